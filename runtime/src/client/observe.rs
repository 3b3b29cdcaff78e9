//! Observations (RFC 7641), the notification attributes of Write-Attributes (pmin, pmax, gt,
//! lt, st), and the pass that checks observed values and sends notifications.

use super::render::render;
use super::routing::lookup;
use super::transport::{Purpose, Transport, confirmable};
use super::{Client, Config, Device, Instant, Peer};
use crate::block::Block;
use crate::coap::{self, CoapOption};
use crate::format::ContentFormat;
use crate::path::Path;

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

/// The observations, the attributes that pace them, and when to check them next.
#[derive(Default)]
pub(crate) struct Observer {
    list: heapless::Vec<Observation, MAX_OBSERVATIONS>,
    pub(crate) attributes: AttributeTable,
    next_check: Option<Instant>,
}

impl Observer {
    /// Adds or replaces (same token) an observation, and checks it at `first_check` unless a
    /// check comes sooner. False when full.
    pub(crate) fn add(&mut self, o: Observation, first_check: Instant) -> bool {
        self.remove_token(&o.token);
        let added = self.list.push(o).is_ok();
        if added {
            self.next_check.get_or_insert(first_check);
        }
        added
    }

    pub(crate) fn remove_token(&mut self, token: &[u8]) {
        self.list.retain(|o| o.token.as_slice() != token);
    }

    /// Ends every observation (the client deregistered).
    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }

    /// When the next check is due.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_check
    }

    pub(crate) fn is_due(&self, now: Instant) -> bool {
        self.next_check.is_some_and(|at| at <= now)
    }

    /// Observed values may have changed: check them at `now`, when anything is observed.
    pub(crate) fn values_changed(&mut self, now: Instant) {
        if !self.list.is_empty() {
            self.next_check = Some(now);
        }
    }

    /// One pass over the observations: notifies each whose value changed enough (gt, lt, st)
    /// or whose pmax ran out, no sooner than its pmin. With `only`, just the observations of
    /// those paths (or of what contains them), and pmin does not hold them back: an object
    /// said every change counts.
    pub(crate) fn notify(
        &mut self,
        now: Instant,
        config: &Config,
        transport: &mut Transport,
        device: &mut Device<'_, '_>,
        only: Option<&[Path]>,
    ) {
        if only.is_none() {
            self.next_check = (!self.list.is_empty()).then(|| now.after(config.check_interval_ms));
        }
        let mut i = 0;
        while i < self.list.len() {
            let Some(o) = self.list.get(i).cloned() else {
                break;
            };
            i += 1;
            if let Some(changed) = only
                && !changed.iter().any(|c| c.starts_with(&o.path))
            {
                continue;
            }
            let attrs = self.attributes.effective(&o.path);
            let since = now.since(o.last_sent);
            if only.is_none() && since < u64::from(attrs.pmin.unwrap_or(0)) * 1000 {
                continue;
            }
            let pmax_due = attrs
                .pmax
                .is_some_and(|p| p > 0 && since >= u64::from(p) * 1000);
            let Some(object) = lookup(device.objects, o.path.object().unwrap_or(0)) else {
                continue;
            };
            let size = 16usize << Block::szx_for(config.max_block);
            let rendered = render(object, &o.path, o.format, 0, size);
            let mut p = confirmable(coap::CONTENT);
            p.set_token(o.token.to_vec());
            let sequence = (o.sequence + 1) & 0x00ff_ffff;
            coap::set_uint_option(&mut p, CoapOption::Observe, sequence);
            let (fingerprint, number) = match rendered {
                Ok(r) => {
                    let changed = match (o.number, r.number) {
                        (Some(last), Some(current)) => attrs.numeric_change(last, current),
                        _ => r.fingerprint != o.fingerprint,
                    };
                    if !changed && !pmax_due {
                        continue;
                    }
                    coap::set_uint_option(
                        &mut p,
                        CoapOption::ContentFormat,
                        u32::from(o.format.number()),
                    );
                    if r.total > size {
                        let _block_0_always_fits = coap::set_block_option(
                            &mut p,
                            CoapOption::Block2,
                            Block::new(0, true, Block::szx_for(config.max_block)),
                        );
                    }
                    p.payload = r.bytes;
                    (r.fingerprint, r.number)
                }
                Err(e) => {
                    // The value is gone: an error notification ends the observation.
                    coap::set_code(&mut p, coap::error_code(e));
                    self.remove_token(&o.token);
                    i -= 1;
                    (0, None)
                }
            };
            let mid = transport.mid();
            p.header.message_id = mid;
            if let Ok(bytes) = coap::to_bytes(&p)
                && transport.start(
                    now,
                    mid,
                    o.token.clone(),
                    Peer::Server,
                    bytes,
                    Purpose::Notify,
                )
                && let Some(entry) = self.list.iter_mut().find(|x| x.token == o.token)
            {
                entry.sequence = sequence;
                entry.last_sent = now;
                entry.fingerprint = fingerprint;
                entry.number = number;
            }
        }
    }
}

impl Client {
    /// Checks the observations for changes.
    pub(super) fn check_observations(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        let (config, transport) = (&self.config, &mut self.transport);
        self.observer.notify(now, config, transport, device, None);
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
