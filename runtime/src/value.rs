//! The Rust types LwM2M values map to.

use core::fmt;

use heapless::Vec;

/// A LwM2M `Time`: seconds since the Unix epoch (1970-01-01T00:00:00Z), signed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Time {
    /// The epoch itself.
    pub const EPOCH: Self = Self(0);

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> i64 {
        self.0
    }
}

/// A LwM2M `Objlnk`: a reference to an object instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjLink {
    /// Object ID.
    pub object: u16,
    /// Object instance ID.
    pub instance: u16,
}

impl ObjLink {
    /// The link that points nowhere: both halves are `MAX_ID` (65535).
    pub const NULL: Self = Self {
        object: u16::MAX,
        instance: u16::MAX,
    };

    /// Whether this is [`ObjLink::NULL`].
    pub const fn is_null(self) -> bool {
        self.object == u16::MAX && self.instance == u16::MAX
    }
}

impl Default for ObjLink {
    fn default() -> Self {
        Self::NULL
    }
}

impl ObjLink {
    /// `3:0`: what [`Display`](fmt::Display) writes, without core's formatting machinery.
    pub fn text(&self) -> heapless::String<11> {
        use crate::format::Digits;
        let mut text = heapless::String::new();
        // Two u16s and a colon always fit.
        let _ = text.push_str(Digits::unsigned(self.object.into()).as_str());
        let _ = text.push(':');
        let _ = text.push_str(Digits::unsigned(self.instance.into()).as_str());
        text
    }
}

impl fmt::Display for ObjLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// One piece of a value too large to hold in RAM (an unbounded, writable `Opaque` such as a
/// firmware package), handed to the write handler as it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Byte offset of `bytes` in the whole value.
    pub offset: u32,
    /// The bytes of this piece.
    pub bytes: &'a [u8],
    /// Size of the whole value, when the sender declared it (CoAP Size1).
    pub total: Option<u32>,
    /// Whether this is the final piece.
    pub last: bool,
}

/// The arguments of an Execute request, as the server sent them: `0,1='text',...` where each
/// argument is a digit, optionally followed by `='value'`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecuteArgs<'a>(pub &'a [u8]);

/// Why [`ExecuteArgs::iter`] stopped: the payload breaks the argument grammar at this byte
/// offset. A client answers 4.00 Bad Request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MalformedArgs {
    /// Offset of the first byte that does not fit the grammar.
    pub offset: usize,
}

impl fmt::Display for MalformedArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed Execute arguments at byte {}", self.offset)
    }
}

impl core::error::Error for MalformedArgs {}

impl<'a> ExecuteArgs<'a> {
    /// The raw payload.
    pub const fn as_bytes(self) -> &'a [u8] {
        self.0
    }

    /// Whether the server sent no arguments.
    pub const fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// Each `(digit, value)` in order; the value is the text between the quotes. Stops with
    /// an error at the first byte that breaks the grammar.
    pub fn iter(self) -> impl Iterator<Item = Result<(u8, Option<&'a [u8]>), MalformedArgs>> {
        let mut pos = 0usize;
        let bytes = self.0;
        let mut failed = false;
        core::iter::from_fn(move || {
            if failed || pos >= bytes.len() {
                return None;
            }
            let result = parse_arg(bytes, &mut pos);
            failed = result.is_err();
            Some(result)
        })
    }
}

/// Parses one argument at `*pos` and moves past it and its trailing comma.
fn parse_arg<'a>(
    bytes: &'a [u8],
    pos: &mut usize,
) -> Result<(u8, Option<&'a [u8]>), MalformedArgs> {
    let at = |offset| MalformedArgs { offset };
    let digit = match bytes.get(*pos) {
        Some(b @ b'0'..=b'9') => b - b'0',
        _ => return Err(at(*pos)),
    };
    *pos += 1;
    let mut value = None;
    if bytes.get(*pos) == Some(&b'=') {
        if bytes.get(*pos + 1) != Some(&b'\'') {
            return Err(at(*pos + 1));
        }
        let start = *pos + 2;
        let rest = bytes.get(start..).ok_or(at(start))?;
        let len = rest
            .iter()
            .position(|&b| b == b'\'')
            .ok_or(at(bytes.len()))?;
        let text = rest.get(..len).ok_or(at(start))?;
        // Printable ASCII except the quote characters, as the grammar allows.
        if let Some(bad) = text
            .iter()
            .position(|&b| !(0x20..0x7f).contains(&b) || b == b'"')
        {
            return Err(at(start + bad));
        }
        value = Some(text);
        *pos = start + len + 1;
    }
    match bytes.get(*pos) {
        None => {}
        Some(b',') if *pos + 1 < bytes.len() => *pos += 1,
        Some(_) => return Err(at(*pos)),
    }
    Ok((digit, value))
}

/// The instances of a multiple-instance resource: at most `N` values keyed by resource
/// instance ID, kept sorted by ID so reads are deterministic. Never allocates.
#[derive(Clone, Debug, PartialEq)]
pub struct Instances<T, const N: usize> {
    entries: Vec<(u16, T), N>,
}

impl<T, const N: usize> Default for Instances<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Instances<T, N> {
    /// No instances.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// How many instances there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most instances this can hold.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The value of instance `id`.
    pub fn get(&self, id: u16) -> Option<&T> {
        self.position(id)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// Sets instance `id` to `value` and returns the value it replaces. Fails, giving `value`
    /// back, when the map is full or `id` is the reserved `MAX_ID` 65535.
    pub fn insert(&mut self, id: u16, value: T) -> Result<Option<T>, T> {
        if id == u16::MAX {
            return Err(value);
        }
        match self.position(id) {
            Ok(i) => match self.entries.get_mut(i) {
                Some(slot) => Ok(Some(core::mem::replace(&mut slot.1, value))),
                None => Err(value),
            },
            Err(i) => self
                .entries
                .insert(i, (id, value))
                .map(|()| None)
                .map_err(|(_, v)| v),
        }
    }

    /// Removes instance `id` and returns its value.
    pub fn remove(&mut self, id: u16) -> Option<T> {
        let i = self.position(id).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// Removes every instance.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// `(id, value)` pairs in increasing ID order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &T)> {
        self.entries.iter().map(|(id, v)| (*id, v))
    }

    fn position(&self, id: u16) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&id, |(k, _)| *k)
    }
}

/// An integer resource whose definition names its values (`0: Idle`, `1: Downloading`, ...).
/// Implemented by every generated enum.
pub trait Enumeration: Copy + Sized + 'static {
    /// Every variant, in increasing value order.
    const VARIANTS: &'static [Self];

    /// The integer the variant stands for.
    fn value(self) -> i64;

    /// The variant for `value`, if the definition names it.
    fn from_value(value: i64) -> Option<Self>;

    /// The label of the value in the definition, e.g. `"Integrity check failure"`.
    fn label(self) -> &'static str;
}

/// An integer that names no variant of a generated enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownValue(pub i64);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not one of the values the definition names",
            self.0
        )
    }
}

impl core::error::Error for UnknownValue {}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn instances_stay_sorted_and_bounded() {
        let mut m: Instances<i8, 3> = Instances::new();
        assert_eq!(m.insert(7, 70), Ok(None));
        assert_eq!(m.insert(2, 20), Ok(None));
        assert_eq!(m.insert(7, 71), Ok(Some(70)));
        assert_eq!(m.insert(5, 50), Ok(None));
        assert_eq!(m.insert(9, 90), Err(90), "full");
        let ids: std::vec::Vec<_> = m.iter().map(|(id, v)| (id, *v)).collect();
        assert_eq!(ids, [(2, 20), (5, 50), (7, 71)]);
        assert_eq!(m.remove(5), Some(50));
        assert_eq!(m.get(5), None);
        assert_eq!(m.insert(u16::MAX, 1), Err(1), "MAX_ID is reserved");
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn execute_args_follow_the_grammar() {
        let args = ExecuteArgs(b"0,1='a b',7");
        let got: std::vec::Vec<_> = args.iter().collect();
        assert_eq!(
            got,
            [Ok((0, None)), Ok((1, Some(&b"a b"[..]))), Ok((7, None))]
        );
        assert_eq!(ExecuteArgs(b"").iter().count(), 0);
    }

    #[test]
    fn malformed_execute_args_stop_at_the_offending_byte() {
        for (input, offset) in [
            (&b"x"[..], 0),
            (b"0,", 1),
            (b"12", 1),
            (b"0=a", 2),
            (b"0='abc", 6),
            (b"1='a\"b'", 4),
            (b"1='\x01'", 3),
        ] {
            let last = ExecuteArgs(input).iter().last();
            assert_eq!(last, Some(Err(MalformedArgs { offset })), "{input:?}");
        }
    }

    #[test]
    fn null_objlink_is_max_id_twice() {
        assert!(ObjLink::default().is_null());
        assert!(
            !ObjLink {
                object: 3,
                instance: 0
            }
            .is_null()
        );
        assert_eq!(
            std::format!(
                "{}",
                ObjLink {
                    object: 3,
                    instance: 1
                }
            ),
            "3:1"
        );
    }
}
