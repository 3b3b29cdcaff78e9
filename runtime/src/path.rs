//! LwM2M paths: `/object/instance/resource/resource-instance`, up to four IDs.

use core::fmt;

use crate::error::Error;

/// A path of zero to four IDs: `/`, `/3`, `/3/0`, `/3/0/1`, `/3/0/6/2`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Path {
    ids: [u16; 4],
    len: u8,
}

impl Path {
    /// `/`.
    pub const ROOT: Self = Self {
        ids: [0; 4],
        len: 0,
    };

    /// The path of the given IDs; `None` for more than four.
    pub fn new(ids: &[u16]) -> Option<Self> {
        let mut path = Self::ROOT;
        for &id in ids {
            path = path.child(id)?;
        }
        Some(path)
    }

    /// This path with one more ID; `None` when already four deep.
    pub fn child(self, id: u16) -> Option<Self> {
        let mut ids = self.ids;
        *ids.get_mut(usize::from(self.len))? = id;
        Some(Self {
            ids,
            len: self.len + 1,
        })
    }

    /// The IDs.
    pub fn ids(&self) -> &[u16] {
        self.ids.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// How many IDs.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether this is `/` (no IDs).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether this is `/`.
    pub const fn is_root(&self) -> bool {
        self.is_empty()
    }

    /// The object ID.
    pub fn object(&self) -> Option<u16> {
        self.ids().first().copied()
    }

    /// The object instance ID.
    pub fn instance(&self) -> Option<u16> {
        self.ids().get(1).copied()
    }

    /// The resource ID.
    pub fn resource(&self) -> Option<u16> {
        self.ids().get(2).copied()
    }

    /// The resource instance ID.
    pub fn resource_instance(&self) -> Option<u16> {
        self.ids().get(3).copied()
    }

    /// Whether `self` is `prefix` or below it.
    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.ids().starts_with(prefix.ids())
    }

    /// The path named by CoAP Uri-Path segments: each a decimal ID below 65535 (MAX_ID is
    /// reserved), at most four. Anything else answers 4.04 Not Found: no such path exists.
    pub fn from_segments<'a>(segments: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, Error> {
        let mut path = Self::ROOT;
        for segment in segments {
            let id = parse_id(segment).ok_or(Error::NotFound)?;
            path = path.child(id).ok_or(Error::NotFound)?;
        }
        Ok(path)
    }

    /// Reads `/3/0/1` (as SenML names and link formats write paths).
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix('/')?;
        if rest.is_empty() {
            return Some(Self::ROOT);
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut path = Self::ROOT;
        for segment in rest.split('/') {
            path = path.child(parse_id(segment.as_bytes())?)?;
        }
        Some(path)
    }
}

fn parse_id(segment: &[u8]) -> Option<u16> {
    if segment.is_empty() || segment.len() > 5 || !segment.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = segment.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })?;
    u16::try_from(value).ok().filter(|&id| id != u16::MAX)
}

impl Path {
    /// `/3/0/1`, or `/` for the root: what [`Display`](fmt::Display) writes, without core's
    /// formatting machinery (for a firmware's hot paths).
    pub fn text(&self) -> heapless::String<24> {
        let mut text = heapless::String::new();
        // Four IDs of at most five digits, each after a `/`: it always fits.
        if self.is_root() {
            let _ = text.push('/');
        }
        for &id in self.ids() {
            let _ = text.push('/');
            let _ = text.push_str(crate::format::Digits::unsigned(id.into()).as_str());
        }
        text
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn segments_become_paths() {
        let p = Path::from_segments([&b"5"[..], b"0", b"1"]).unwrap();
        assert_eq!(
            (
                p.object(),
                p.instance(),
                p.resource(),
                p.resource_instance()
            ),
            (Some(5), Some(0), Some(1), None)
        );
        assert_eq!(std::format!("{p}"), "/5/0/1");
        assert_eq!(Path::ROOT.text(), "/");
        // The longest path there is still fits its text.
        let longest = Path::new(&[65534; 4]).unwrap();
        assert_eq!(longest.text(), "/65534/65534/65534/65534");
        assert_eq!(
            Path::from_segments([&b"65535"[..]]),
            Err(Error::NotFound),
            "MAX_ID"
        );
        assert_eq!(Path::from_segments([&b"x"[..]]), Err(Error::NotFound));
        assert_eq!(Path::from_segments([&b""[..]]), Err(Error::NotFound));
        assert_eq!(
            Path::from_segments([&b"1"[..]; 5]),
            Err(Error::NotFound),
            "five deep"
        );
        assert_eq!(Path::from_segments([&b"99999"[..]]), Err(Error::NotFound));
        assert_eq!(
            Path::from_segments(core::iter::empty::<&[u8]>()),
            Ok(Path::ROOT)
        );
    }

    #[test]
    fn text_paths() {
        assert_eq!(Path::parse("/3/0/"), Path::new(&[3, 0]));
        assert_eq!(Path::parse("/"), Some(Path::ROOT));
        assert_eq!(Path::parse("3/0"), None);
        assert_eq!(Path::parse("/3//0"), None);
        assert!(
            Path::new(&[3, 0, 1])
                .unwrap()
                .starts_with(&Path::new(&[3]).unwrap())
        );
        assert!(
            !Path::new(&[3])
                .unwrap()
                .starts_with(&Path::new(&[3, 0]).unwrap())
        );
    }
}
