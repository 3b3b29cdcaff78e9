//! A small JSON reader for SenML: tokens over a mutable payload, with strings unescaped in
//! place, so nothing is copied or allocated; and the escaping for writing strings.

use super::Out;
use crate::error::Error;

/// One JSON token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Token<'a> {
    BeginArray,
    EndArray,
    BeginObject,
    EndObject,
    Colon,
    Comma,
    /// An unescaped string.
    String(&'a str),
    /// The text of a number.
    Number(&'a str),
    Bool(bool),
    Null,
}

/// Splits tokens off the front of a payload. Every token's text borrows the payload for its
/// whole lifetime, so a string is unescaped into its own bytes before it is split off.
pub(super) struct Lexer<'a> {
    rest: &'a mut [u8],
    depth: u8,
}

/// Nesting deeper than this is refused (SenML needs 2).
const MAX_DEPTH: u8 = 16;

impl<'a> Lexer<'a> {
    pub(super) fn new(payload: &'a mut [u8]) -> Self {
        Self {
            rest: payload,
            depth: 0,
        }
    }

    /// Takes the first `n` bytes of the rest.
    fn take(&mut self, n: usize) -> Result<&'a mut [u8], Error> {
        if n > self.rest.len() {
            return Err(Error::BadRequest);
        }
        let (head, tail) = core::mem::take(&mut self.rest).split_at_mut(n);
        self.rest = tail;
        Ok(head)
    }

    fn skip_space(&mut self) -> Result<(), Error> {
        let n = self
            .rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        self.take(n).map(drop)
    }

    /// Whether only whitespace is left.
    pub(super) fn at_end(&mut self) -> Result<bool, Error> {
        self.skip_space()?;
        Ok(self.rest.is_empty())
    }

    pub(super) fn next(&mut self) -> Result<Token<'a>, Error> {
        self.skip_space()?;
        let first = *self.rest.first().ok_or(Error::BadRequest)?;
        let punct = |lexer: &mut Self, token| lexer.take(1).map(|_| token);
        match first {
            b'[' | b'{' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Error::BadRequest);
                }
                punct(
                    self,
                    if first == b'[' {
                        Token::BeginArray
                    } else {
                        Token::BeginObject
                    },
                )
            }
            b']' | b'}' => {
                self.depth = self.depth.checked_sub(1).ok_or(Error::BadRequest)?;
                punct(
                    self,
                    if first == b']' {
                        Token::EndArray
                    } else {
                        Token::EndObject
                    },
                )
            }
            b':' => punct(self, Token::Colon),
            b',' => punct(self, Token::Comma),
            b'"' => self.string(),
            b't' => self.literal(b"true", Token::Bool(true)),
            b'f' => self.literal(b"false", Token::Bool(false)),
            b'n' => self.literal(b"null", Token::Null),
            b'-' | b'0'..=b'9' => {
                let n = self
                    .rest
                    .iter()
                    .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .count();
                let text = self.take(n)?;
                core::str::from_utf8(text)
                    .map(Token::Number)
                    .map_err(|_| Error::BadRequest)
            }
            _ => Err(Error::BadRequest),
        }
    }

    fn literal(&mut self, word: &[u8], token: Token<'a>) -> Result<Token<'a>, Error> {
        if self.rest.starts_with(word) {
            self.take(word.len()).map(|_| token)
        } else {
            Err(Error::BadRequest)
        }
    }

    /// A string token: unescaped in place, then split off.
    fn string(&mut self) -> Result<Token<'a>, Error> {
        let bad = Error::BadRequest;
        let mut r = 1usize;
        let mut w = 1usize;
        loop {
            let c = *self.rest.get(r).ok_or(bad)?;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.rest.get(r + 1).ok_or(bad)?;
                    r += 2;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(bad),
                    };
                    let ch = match simple {
                        Some(b) => char::from(b),
                        None => {
                            let high = self.hex4(r)?;
                            r += 4;
                            let code = if (0xd800..0xdc00).contains(&high) {
                                if self.rest.get(r..r + 2) != Some(b"\\u") {
                                    return Err(bad);
                                }
                                let low = self.hex4(r + 2)?;
                                r += 6;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return Err(bad);
                                }
                                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                            } else {
                                high
                            };
                            char::from_u32(code).ok_or(bad)?
                        }
                    };
                    let mut utf8 = [0u8; 4];
                    for &b in ch.encode_utf8(&mut utf8).as_bytes() {
                        // Escapes are longer than what they stand for, so `w` stays behind `r`.
                        *self.rest.get_mut(w).ok_or(bad)? = b;
                        w += 1;
                    }
                }
                0x00..=0x1f => return Err(bad),
                _ => {
                    let b = c;
                    *self.rest.get_mut(w).ok_or(bad)? = b;
                    w += 1;
                    r += 1;
                }
            }
        }
        let token = self.take(r + 1)?;
        let text: &'a [u8] = token.get(1..w).ok_or(bad)?;
        core::str::from_utf8(text)
            .map(Token::String)
            .map_err(|_| bad)
    }

    fn hex4(&self, at: usize) -> Result<u32, Error> {
        let digits = self.rest.get(at..at + 4).ok_or(Error::BadRequest)?;
        digits.iter().try_fold(0u32, |acc, &d| {
            let v = char::from(d).to_digit(16).ok_or(Error::BadRequest)?;
            Ok(acc * 16 + v)
        })
    }

    /// Skips one value (of any shape) after a key.
    pub(super) fn skip_value(&mut self) -> Result<(), Error> {
        match self.next()? {
            Token::BeginArray | Token::BeginObject => {
                let depth = self.depth;
                while self.depth >= depth {
                    self.next()?;
                }
                Ok(())
            }
            Token::String(_) | Token::Number(_) | Token::Bool(_) | Token::Null => Ok(()),
            _ => Err(Error::BadRequest),
        }
    }

    /// Reads the next token and checks that it is `token`.
    pub(super) fn expect(&mut self, token: Token<'_>) -> Result<(), Error> {
        if self.next()? == token {
            Ok(())
        } else {
            Err(Error::BadRequest)
        }
    }

    /// A string token split off mutably, for decoding in place (base64).
    pub(super) fn next_string_mut(&mut self) -> Result<&'a mut [u8], Error> {
        self.skip_space()?;
        if self.rest.first() != Some(&b'"') {
            return Err(Error::BadRequest);
        }
        let n = self
            .rest
            .iter()
            .skip(1)
            .position(|&b| b == b'"' || b == b'\\')
            .ok_or(Error::BadRequest)?;
        if self.rest.get(n + 1) != Some(&b'"') {
            // Base64 never needs escapes.
            return Err(Error::BadRequest);
        }
        let token = self.take(n + 2)?;
        let len = token.len();
        token.get_mut(1..len - 1).ok_or(Error::BadRequest)
    }
}

/// Writes `text` as a JSON string.
pub(super) fn write_string(text: &str, out: &mut dyn Out) -> Result<(), Error> {
    out.write(b"\"")?;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.write(text.get(start..i).unwrap_or("").as_bytes())?;
        match escape {
            Some(e) => out.write(e)?,
            None => {
                let hex = b"0123456789abcdef";
                let v = c as usize;
                let code = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    hex.get(v >> 4).copied().unwrap_or(b'0'),
                    hex.get(v & 15).copied().unwrap_or(b'0'),
                ];
                out.write(&code)?;
            }
        }
        start = i + c.len_utf8();
    }
    out.write(text.get(start..).unwrap_or("").as_bytes())?;
    out.write(b"\"")
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::*;

    fn tokens(text: &str) -> Result<Vec<std::string::String>, Error> {
        let mut bytes = text.as_bytes().to_vec();
        let mut lexer = Lexer::new(&mut bytes);
        let mut out = Vec::new();
        while !lexer.at_end()? {
            out.push(std::format!("{:?}", lexer.next()?));
        }
        Ok(out)
    }

    #[test]
    fn strings_are_unescaped_in_place() {
        assert_eq!(
            tokens(r#"["a\"b\\c", "\u00e9\ud83d\ude00", "x\/y\n"]"#).unwrap(),
            [
                "BeginArray",
                "String(\"a\\\"b\\\\c\")",
                "Comma",
                "String(\"é😀\")",
                "Comma",
                "String(\"x/y\\n\")",
                "EndArray"
            ]
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            r#"["abc"#,
            r#""\x""#,
            r#""\ud800""#,
            "tru",
            "]",
            "\"a\u{1}\"",
            r#""\u12"#,
        ] {
            assert_eq!(tokens(bad), Err(Error::BadRequest), "{bad}");
        }
        let deep = "[".repeat(40);
        assert_eq!(tokens(&deep), Err(Error::BadRequest));
    }

    #[test]
    fn writing_escapes_what_json_needs() {
        let mut out = Vec::new();
        write_string("a\"b\\c\n\u{1}é", &mut out).unwrap();
        assert_eq!(std::str::from_utf8(&out).unwrap(), r#""a\"b\\c\n\u0001é""#);
        let mut bytes = out.clone();
        let mut lexer = Lexer::new(&mut bytes);
        assert_eq!(lexer.next().unwrap(), Token::String("a\"b\\c\n\u{1}é"));
    }
}
