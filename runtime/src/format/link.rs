//! CoRE link format (RFC 6690, content format 40): the payload of Register, Update and
//! Discover.

use core::fmt::Write as _;

use super::Out;
use crate::error::Error;
use crate::path::Path;

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
        if !self.first {
            self.out.write(b",")?;
        }
        self.first = false;
        let mut text: heapless::String<32> = heapless::String::new();
        let _ = write!(text, "<{path}>");
        self.out.write(text.as_bytes())
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

    /// Adds `;name=value` to the current entry.
    pub fn attr(&mut self, name: &str, value: impl core::fmt::Display) -> Result<(), Error> {
        let mut text: heapless::String<48> = heapless::String::new();
        write!(text, ";{name}={value}").map_err(|_| Error::Internal)?;
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
