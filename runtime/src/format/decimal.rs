//! Floats as decimal text, for the text and SenML JSON formats and the gt, lt and st
//! attributes. Behind the `float-text` feature: without it these are refused, and core's
//! float formatting and parsing (about 20 KiB of flash on a Cortex-M4) stay out of a firmware
//! that serves no Float resource. TLV and the CBOR formats carry Floats in binary either way.

use core::fmt::Write;

use crate::error::Error;

/// The finite float `text` reads as: 4.00 for anything else; without `float-text`, 4.15 (a
/// Float must come in a binary format).
pub(crate) fn parse_float(text: &str) -> Result<f64, Error> {
    #[cfg(feature = "float-text")]
    {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or(Error::BadRequest)
    }
    #[cfg(not(feature = "float-text"))]
    {
        let _ = text;
        Err(Error::UnsupportedContentFormat)
    }
}

/// Writes `v` as the shortest text that reads back to it (`1.5`, `1e300`); 5.00 for a value
/// that is not finite; without `float-text`, 4.06 (ask for a binary format).
pub(super) fn write_float(out: &mut impl Write, v: f64) -> Result<(), Error> {
    if !v.is_finite() {
        return Err(Error::Internal);
    }
    #[cfg(feature = "float-text")]
    {
        write!(out, "{v:?}").map_err(|_| Error::Internal)
    }
    #[cfg(not(feature = "float-text"))]
    {
        let _ = out;
        Err(Error::NotAcceptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "float-text")]
    #[test]
    fn floats_read_and_write_as_their_shortest_text() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float("-2e3"), Ok(-2000.0));
        for bad in ["", "1.5x", "inf", "NaN", "1e999"] {
            assert_eq!(parse_float(bad), Err(Error::BadRequest), "{bad}");
        }
        let mut s: heapless::String<40> = heapless::String::new();
        write_float(&mut s, 0.1).unwrap();
        assert_eq!(s, "0.1");
        assert_eq!(write_float(&mut s, f64::NAN), Err(Error::Internal));
    }

    /// Run by `firmware_target` (`cargo test -p lwm2m-runtime --no-default-features`).
    #[cfg(not(feature = "float-text"))]
    #[test]
    fn without_float_text_floats_are_refused_as_text() {
        assert_eq!(parse_float("1.5"), Err(Error::UnsupportedContentFormat));
        let mut s: heapless::String<40> = heapless::String::new();
        assert_eq!(write_float(&mut s, 1.5), Err(Error::NotAcceptable));
        assert_eq!(write_float(&mut s, f64::NAN), Err(Error::Internal));
    }

    /// Run by `firmware_target` (`--no-default-features --features senml-json`).
    #[cfg(all(not(feature = "float-text"), feature = "senml-json"))]
    #[test]
    fn without_float_text_senml_json_reads_whole_numbers() {
        use crate::format::{ContentFormat, decode};
        use crate::path::Path;
        use crate::spec::ResourceType;

        // Integers, and `5.0` for an Integer resource, still read.
        let base = Path::new(&[3, 0, 9]).unwrap();
        let shape = |_: &Path| {
            Some(crate::format::Shape {
                kind: ResourceType::Integer,
                multiple: false,
            })
        };
        for (json, want) in [
            (&b"[{\"n\":\"/3/0/9\",\"v\":5}]"[..], Ok(5)),
            (b"[{\"n\":\"/3/0/9\",\"v\":5.0}]", Ok(5)),
            (b"[{\"n\":\"/3/0/9\",\"v\":5.5}]", Err(())),
        ] {
            let mut payload = json.to_vec();
            let got = decode(ContentFormat::SenmlJson, &base, &mut payload, &shape)
                .ok()
                .and_then(|items| match items.first().map(|i| i.value) {
                    Some(crate::object::Value::Integer(v)) => Some(v),
                    _ => None,
                })
                .ok_or(());
            assert_eq!(got, want, "{}", core::str::from_utf8(json).unwrap_or(""));
        }
    }
}
