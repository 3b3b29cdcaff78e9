//! A firmware crate's view of the generator: its own object (`xml/thermostat.xml`, generated
//! by `build.rs` exactly as a firmware crate would) served through the generated `Handler`.
//! `cargo run -p lwm2m-thermostat` prints it beside the objects that ship in `lwm2m-objects`.

use lwm2m_runtime::{Error, ExecuteArgs, ObjectInfo, ResourceSpec};

/// The code `build.rs` generated from `xml/thermostat.xml`.
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/lwm2m_objects.rs"));
}

use generated::example_thermostat::{self as thermostat, Mode, resources};

/// The device side of the thermostat object.
#[derive(Debug)]
pub struct Thermostat {
    /// Measured temperature, degrees Celsius.
    pub temperature: f64,
    /// Set point, whole degrees Celsius.
    pub set_point: u8,
    /// Operating mode.
    pub mode: Mode,
    /// Minutes of boost requested by the last Execute.
    pub boost_minutes: u32,
}

impl thermostat::Handler for Thermostat {
    fn read_temperature(&mut self, _instance: u16) -> Result<f64, Error> {
        Ok(self.temperature)
    }
    fn read_set_point(&mut self, _instance: u16) -> Result<u8, Error> {
        Ok(self.set_point)
    }
    fn write_set_point(&mut self, _instance: u16, value: u8) -> Result<(), Error> {
        // The generated constraint is the XML's 5..30; a client checks it before this call,
        // and so can the firmware.
        let range = <resources::SetPoint as ResourceSpec>::INFO.constraint;
        if !range.allows_u64(value.into()) {
            return Err(Error::BadRequest);
        }
        self.set_point = value;
        Ok(())
    }
    fn read_mode(&mut self, _instance: u16) -> Result<Mode, Error> {
        Ok(self.mode)
    }
    fn write_mode(&mut self, _instance: u16, value: Mode) -> Result<(), Error> {
        self.mode = value;
        Ok(())
    }
    fn execute_boost(&mut self, _instance: u16, args: ExecuteArgs<'_>) -> Result<(), Error> {
        let mut minutes = 30;
        for arg in args.iter() {
            match arg.map_err(|_| Error::BadRequest)? {
                (0, Some(text)) => {
                    let text = core::str::from_utf8(text).map_err(|_| Error::BadRequest)?;
                    minutes = text.parse().map_err(|_| Error::BadRequest)?;
                }
                _ => return Err(Error::BadRequest),
            }
        }
        self.boost_minutes = minutes;
        Ok(())
    }
}

/// Prints an object definition as a table, one resource per line.
pub fn describe(info: &ObjectInfo) {
    println!(
        "/{} {} ({}, v{})",
        info.id, info.name, info.urn, info.object_version
    );
    for r in info.resources {
        println!(
            "  /{}/{:<3} {:<34} {:<2} {:<16} {:<8} {:<9} {:<13} {}",
            info.id,
            r.id,
            r.name,
            r.operations.as_str(),
            r.kind.as_str(),
            r.multiplicity.as_str(),
            r.requirement.as_str(),
            r.constraint.to_string(),
            r.units
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thermostat::Handler;

    fn thermostat() -> Thermostat {
        Thermostat {
            temperature: 18.0,
            set_point: 20,
            mode: Mode::Off,
            boost_minutes: 0,
        }
    }

    #[test]
    fn set_point_outside_the_declared_range_is_refused() {
        let mut t = thermostat();
        assert_eq!(t.write_set_point(0, 4), Err(Error::BadRequest));
        assert_eq!(t.write_set_point(0, 31), Err(Error::BadRequest));
        assert_eq!(t.write_set_point(0, 30), Ok(()));
        assert_eq!(t.read_set_point(0), Ok(30));
    }

    #[test]
    fn boost_reads_its_argument() {
        let mut t = thermostat();
        assert_eq!(t.execute_boost(0, ExecuteArgs(b"")), Ok(()));
        assert_eq!(t.boost_minutes, 30, "default");
        assert_eq!(t.execute_boost(0, ExecuteArgs(b"0='5'")), Ok(()));
        assert_eq!(t.boost_minutes, 5);
        assert_eq!(
            t.execute_boost(0, ExecuteArgs(b"0='x'")),
            Err(Error::BadRequest)
        );
        assert_eq!(
            t.execute_boost(0, ExecuteArgs(b"1='5'")),
            Err(Error::BadRequest)
        );
    }

    #[test]
    fn mode_names_come_from_the_description() {
        let mut t = thermostat();
        assert_eq!(t.write_mode(0, Mode::FrostProtection), Ok(()));
        assert_eq!(u8::from(t.read_mode(0).unwrap()), 2);
    }
}
