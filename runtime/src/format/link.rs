//! CoRE link format (RFC 6690, content format 40): the payload of Register, Update and
//! Discover.

use super::{Digits, Out};
use crate::error::Error;
use crate::path::Path;
use crate::spec::Version;

/// Writes link-format entries one by one, separated by commas.
pub struct LinkWriter<'o> {
    out: &'o mut dyn Out,
    first: bool,
}

impl<'o> LinkWriter<'o> {
    /// A writer with nothing written yet.
    pub fn new(out: &'o mut dyn Out) -> Self {
        Self { out, first: true }
    }

    /// Starts the entry `<path>`.
    pub fn link(&mut self, path: &Path) -> Result<(), Error> {
        self.raw_link(&path.text())
    }

    /// Starts an entry with a literal target (such as `</>`).
    pub fn raw_link(&mut self, target: &str) -> Result<(), Error> {
        if !self.first {
            self.out.write(b",")?;
        }
        self.first = false;
        self.out.write(b"<")?;
        self.out.write(target.as_bytes())?;
        self.out.write(b">")
    }

    /// Adds `;name=value` for an integer attribute (`pmin`, `dim`, `ssid`, `ct`).
    pub fn attr(&mut self, name: &str, value: u32) -> Result<(), Error> {
        self.name(name)?;
        self.out.write(Digits::unsigned(value.into()).as_bytes())
    }

    /// Adds `;name=major.minor` (`ver=1.1`).
    pub fn version_attr(&mut self, name: &str, value: Version) -> Result<(), Error> {
        self.name(name)?;
        self.out.write(value.text().as_bytes())
    }

    /// `;name=`.
    fn name(&mut self, name: &str) -> Result<(), Error> {
        self.out.write(b";")?;
        self.out.write(name.as_bytes())?;
        self.out.write(b"=")
    }

    /// Adds `;name=value` for a float attribute (gt, lt, st), in its shortest text, without a
    /// trailing `.0` (`gt=-30`, `st=0.5`, `gt=1e300`). Without the `float-text` feature no
    /// float attribute can be set, and this is 4.06.
    pub fn float_attr(&mut self, name: &str, value: f64) -> Result<(), Error> {
        let mut text: heapless::String<40> = heapless::String::new();
        super::decimal::write_float(&mut text, value)?;
        let text = text.strip_suffix(".0").unwrap_or(&text);
        self.name(name)?;
        self.out.write(text.as_bytes())
    }

    /// Adds `;name="value"`.
    pub fn quoted_attr(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.out.write(b";")?;
        self.out.write(name.as_bytes())?;
        self.out.write(b"=\"")?;
        self.out.write(value.as_bytes())?;
        self.out.write(b"\"")
    }
}

#[cfg(all(test, feature = "float-text"))]
mod tests {
    use super::*;

    #[test]
    fn float_attributes_are_their_shortest_text() {
        let mut out = alloc::vec::Vec::new();
        let mut w = LinkWriter::new(&mut out);
        w.raw_link("/3/0/7").unwrap();
        w.float_attr("gt", -30.0).unwrap();
        w.float_attr("st", 0.5).unwrap();
        // A value whose plain decimal would be 301 digits long.
        w.float_attr("lt", 1e300).unwrap();
        assert_eq!(out, b"</3/0/7>;gt=-30;st=0.5;lt=1e300");
    }
}
