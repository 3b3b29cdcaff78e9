//! `--flag value` command lines, for the example binaries (the board, the signer, the server).

use std::str::FromStr;
use std::string::{String, ToString};

/// Walks `--flag value` arguments, naming the flag in every error.
pub struct Flags<'a> {
    args: core::slice::Iter<'a, String>,
    flag: &'a str,
}

impl<'a> Flags<'a> {
    /// Flags from the arguments after the program name.
    pub fn new(args: &'a [String]) -> Self {
        Self {
            args: args.iter(),
            flag: "",
        }
    }

    /// The next flag, if any.
    pub fn next_flag(&mut self) -> Option<&'a str> {
        self.flag = self.args.next()?;
        Some(self.flag)
    }

    /// The current flag's value.
    pub fn value(&mut self) -> Result<&'a str, String> {
        self.args
            .next()
            .map(String::as_str)
            .ok_or_else(|| std::format!("{} needs a value", self.flag))
    }

    /// The current flag's value as a `T`; `what` says what it should be when it is not.
    pub fn parsed<T: FromStr>(&mut self, what: &str) -> Result<T, String> {
        let v = self.value()?;
        v.parse()
            .map_err(|_| std::format!("{} {v}: {what}", self.flag))
    }

    /// The current flag's value as a `String`.
    pub fn string(&mut self) -> Result<String, String> {
        self.value().map(ToString::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn flags_name_themselves_in_errors() {
        let args: Vec<String> = ["--n", "7", "--x", "seven", "--last"]
            .map(String::from)
            .to_vec();
        let mut f = Flags::new(&args);
        assert_eq!(f.next_flag(), Some("--n"));
        assert_eq!(f.parsed::<u8>("a number"), Ok(7));
        assert_eq!(f.next_flag(), Some("--x"));
        assert_eq!(
            f.parsed::<u8>("a number"),
            Err("--x seven: a number".into())
        );
        assert_eq!(f.next_flag(), Some("--last"));
        assert_eq!(f.value(), Err("--last needs a value".into()));
        assert_eq!(f.next_flag(), None);
    }
}
