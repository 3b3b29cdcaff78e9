//! Observations (RFC 7641) and the notification attributes of Write-Attributes (pmin, pmax,
//! gt, lt, st).

use crate::format::ContentFormat;
use crate::path::Path;

use super::Instant;

/// Most observations at once; a server asking for more gets a plain read.
pub(crate) const MAX_OBSERVATIONS: usize = 8;
/// Most paths with attributes.
pub(crate) const MAX_ATTRIBUTES: usize = 16;

/// The notification attributes of one path. `None` is unset (inherit, or the default).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Attributes {
    /// Minimum seconds between notifications.
    pub pmin: Option<u32>,
    /// Maximum seconds between notifications.
    pub pmax: Option<u32>,
    /// Notify when the value rises above.
    pub gt: Option<f64>,
    /// Notify when the value falls below.
    pub lt: Option<f64>,
    /// Notify when the value changes by at least.
    pub st: Option<f64>,
}

impl Attributes {
    /// `self`, with unset attributes taken from `parent`.
    pub fn or(self, parent: Attributes) -> Attributes {
        Attributes {
            pmin: self.pmin.or(parent.pmin),
            pmax: self.pmax.or(parent.pmax),
            gt: self.gt.or(parent.gt),
            lt: self.lt.or(parent.lt),
            st: self.st.or(parent.st),
        }
    }

    /// Whether the numeric value moved enough to notify: crossed gt or lt, or changed by st.
    /// Without any of them, any change notifies.
    pub fn numeric_change(&self, last: f64, now: f64) -> bool {
        if self.gt.is_none() && self.lt.is_none() && self.st.is_none() {
            return last != now;
        }
        let crossed = |t: f64| (last > t) != (now > t);
        self.gt.is_some_and(crossed)
            || self.lt.is_some_and(|t| (last < t) != (now < t))
            || self.st.is_some_and(|st| (now - last).abs() >= st)
    }
}

/// Attributes set by Write-Attributes, per path.
#[derive(Default)]
pub(crate) struct AttributeTable {
    entries: heapless::Vec<(Path, Attributes), MAX_ATTRIBUTES>,
}

impl AttributeTable {
    pub(crate) fn get(&self, path: &Path) -> Attributes {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, a)| *a)
            .unwrap_or_default()
    }

    /// The attributes in force at `path`: its own, then its instance's, then its object's.
    pub(crate) fn effective(&self, path: &Path) -> Attributes {
        let mut a = Attributes::default();
        for depth in (1..=path.len()).rev() {
            if let Some(prefix) = Path::new(path.ids().get(..depth).unwrap_or(&[])) {
                a = a.or(self.get(&prefix));
            }
        }
        a
    }

    /// Sets a path's attributes; all unset removes the entry. False when the table is full.
    pub(crate) fn set(&mut self, path: Path, attributes: Attributes) -> bool {
        self.entries.retain(|(p, _)| *p != path);
        if attributes == Attributes::default() {
            return true;
        }
        self.entries.push((path, attributes)).is_ok()
    }
}

/// One observation.
#[derive(Clone, Debug)]
pub(crate) struct Observation {
    pub token: heapless::Vec<u8, 8>,
    pub path: Path,
    pub format: ContentFormat,
    pub sequence: u32,
    pub last_sent: Instant,
    /// A fingerprint of the last notified payload.
    pub fingerprint: u64,
    /// The last notified value, when it is a single number (for gt, lt, st).
    pub number: Option<f64>,
}

#[derive(Default)]
pub(crate) struct Observations {
    pub list: heapless::Vec<Observation, MAX_OBSERVATIONS>,
}

impl Observations {
    /// Adds or replaces (same token) an observation. False when full.
    pub(crate) fn add(&mut self, o: Observation) -> bool {
        self.remove_token(&o.token);
        self.list.push(o).is_ok()
    }

    pub(crate) fn remove_token(&mut self, token: &[u8]) {
        self.list.retain(|o| o.token.as_slice() != token);
    }
}

/// FNV-1a, for payload fingerprints and ETags.
pub(crate) fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// FNV-1a's starting value.
pub(crate) const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_inherit_from_instance_and_object() {
        let mut t = AttributeTable::default();
        let object = Path::new(&[3]).unwrap();
        let resource = Path::new(&[3, 0, 9]).unwrap();
        assert!(t.set(
            object,
            Attributes {
                pmin: Some(10),
                pmax: Some(60),
                ..Default::default()
            }
        ));
        assert!(t.set(
            resource,
            Attributes {
                pmin: Some(1),
                ..Default::default()
            }
        ));
        let a = t.effective(&resource);
        assert_eq!((a.pmin, a.pmax), (Some(1), Some(60)));
        assert!(t.set(resource, Attributes::default()), "clearing removes");
        assert_eq!(t.effective(&resource).pmin, Some(10));
    }

    #[test]
    fn thresholds_and_steps() {
        let gt = Attributes {
            gt: Some(-90.0),
            ..Default::default()
        };
        assert!(gt.numeric_change(-95.0, -85.0), "crossed up");
        assert!(gt.numeric_change(-85.0, -95.0), "crossed down");
        assert!(!gt.numeric_change(-85.0, -80.0));
        let st = Attributes {
            st: Some(5.0),
            ..Default::default()
        };
        assert!(!st.numeric_change(10.0, 14.0));
        assert!(st.numeric_change(10.0, 15.0));
        assert!(Attributes::default().numeric_change(1.0, 2.0));
        assert!(!Attributes::default().numeric_change(1.0, 1.0));
    }
}
