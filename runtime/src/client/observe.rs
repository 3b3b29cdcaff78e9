//! Observations (RFC 7641), the notification attributes of Write-Attributes (pmin, pmax, gt,
//! lt, st), and the pass that checks observed values and sends notifications.

extern crate alloc;

use super::account::ServerSettings;
use super::render::{Rendered, etag, render};
use super::routing::lookup;
use super::transport::{Purpose, Transport, confirmable};
use super::{Client, Config, Device, Instant, Peer};
use crate::block::Block;
use crate::coap::{self, CoapOption};
use crate::error::Error;
use crate::format::ContentFormat;
use crate::path::Path;

/// Most observations at once; a server asking for more gets a plain read.
pub(crate) const MAX_OBSERVATIONS: usize = 8;
/// Whether gt, lt and st can be set: they are read as decimal text (`float-text`). Without
/// them the last value is not kept as a number and a change is told by the fingerprint
/// alone, which leaves soft-float arithmetic out of a firmware.
pub(super) const THRESHOLDS: bool = cfg!(feature = "float-text");
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
    /// At most [`MAX_ATTRIBUTES`], on the heap: most servers write few or none.
    entries: alloc::vec::Vec<(Path, Attributes)>,
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
        if self.entries.len() >= MAX_ATTRIBUTES {
            return false;
        }
        self.entries.push((path, attributes));
        true
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
    /// The value may have changed since it was last notified: look at it once pmin allows.
    pub dirty: bool,
    /// An object said this change counts whatever pmin says.
    pub urgent: bool,
    /// A notification of it waits for its ACK.
    pub in_flight: bool,
}

impl Observation {
    /// A new observation of `path` whose first value (sent with the response to the
    /// Observe request) has this fingerprint and number.
    pub(crate) fn new(
        token: heapless::Vec<u8, 8>,
        path: Path,
        format: ContentFormat,
        now: Instant,
        fingerprint: u64,
        number: Option<f64>,
    ) -> Self {
        Self {
            token,
            path,
            format,
            sequence: 2,
            last_sent: now,
            fingerprint,
            number,
            dirty: false,
            urgent: false,
            in_flight: false,
        }
    }

    /// When this observation wants a look: at pmax, and at pmin after a change. `None`
    /// while a notification of it is in flight (its outcome brings the next look).
    fn due_at(&self, attrs: &Attributes) -> Option<Instant> {
        if self.in_flight {
            return None;
        }
        let pmax = attrs
            .pmax
            .filter(|&p| p > 0)
            .map(|p| self.last_sent.after(u64::from(p) * 1000));
        let change = if self.urgent {
            Some(self.last_sent)
        } else if self.dirty {
            Some(
                self.last_sent
                    .after(u64::from(attrs.pmin.unwrap_or(0)) * 1000),
            )
        } else {
            None
        };
        [pmax, change].into_iter().flatten().min()
    }
}

/// The observations and the attributes that pace them.
///
/// Nothing is read on a timer: an observed value is rendered again only when something
/// says it may have changed (a write or execute from the server, [`Client::changed`], an
/// object's [`Context::changed`](super::Context::changed)) or when its pmax runs out. An
/// idle device with observations therefore sleeps until its next pmax or registration
/// update.
#[derive(Default)]
pub(crate) struct Observer {
    /// At most [`MAX_OBSERVATIONS`], on the heap: a session holds only those it has.
    list: alloc::vec::Vec<Observation>,
    pub(crate) attributes: AttributeTable,
    /// The server's Default Minimum and Maximum Periods, for observations that set none.
    defaults: Attributes,
}

impl Observer {
    /// Takes the server's default periods.
    pub(crate) fn set_defaults(&mut self, settings: &ServerSettings) {
        self.defaults = Attributes {
            pmin: Some(settings.default_pmin).filter(|&p| p > 0),
            pmax: settings.default_pmax.filter(|&p| p > 0),
            ..Attributes::default()
        };
    }

    /// The attributes in force at `path`: those written there or above, then the server's
    /// default periods.
    fn effective(&self, path: &Path) -> Attributes {
        self.attributes.effective(path).or(self.defaults)
    }

    /// Adds or replaces (same token) an observation. False when full.
    pub(crate) fn add(&mut self, o: Observation) -> bool {
        self.remove_token(&o.token);
        if self.list.len() >= MAX_OBSERVATIONS {
            return false;
        }
        self.list.push(o);
        true
    }

    pub(crate) fn remove_token(&mut self, token: &[u8]) {
        self.list.retain(|o| o.token.as_slice() != token);
    }

    /// Ends every observation (a new registration, or the client deregistered).
    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }

    /// Whether a notification of the observation with this token waits for its ACK (false
    /// when the server observed again with the token since).
    pub(crate) fn in_flight(&self, token: &[u8]) -> bool {
        self.list
            .iter()
            .any(|o| o.token.as_slice() == token && o.in_flight)
    }

    /// The notification of this token was acknowledged.
    pub(crate) fn delivered(&mut self, token: &[u8]) {
        if let Some(o) = self.list.iter_mut().find(|o| o.token.as_slice() == token) {
            o.in_flight = false;
        }
    }

    /// When the next observation wants a look.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.list
            .iter()
            .filter_map(|o| o.due_at(&self.effective(&o.path)))
            .min()
    }

    /// Every observed value may have changed (a write or an execute).
    pub(crate) fn values_changed(&mut self) {
        for o in &mut self.list {
            o.dirty = true;
        }
    }

    /// The values at `path` changed; `urgent`: notify them even within pmin.
    pub(crate) fn changed(&mut self, path: &Path, urgent: bool) {
        for o in self
            .list
            .iter_mut()
            .filter(|o| path.starts_with(&o.path) || o.path.starts_with(path))
        {
            o.dirty = true;
            o.urgent |= urgent;
        }
    }

    /// Sends the notification due first, when the line to the server is free: the
    /// observation waiting longest whose value changed enough (gt, lt, st) and whose pmin
    /// ran out, or whose pmax ran out. One at a time (NSTART 1): the outcome of each brings
    /// the next. Observations found unchanged are settled without sending.
    pub(crate) fn notify(
        &mut self,
        now: Instant,
        peer: Peer,
        config: &Config,
        transport: &mut Transport,
        device: &mut Device<'_, '_>,
    ) {
        while !transport.busy(peer) {
            let due = self
                .list
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.due_at(&self.effective(&o.path))
                        .is_some_and(|at| at <= now)
                })
                .min_by_key(|(_, o)| o.last_sent)
                .map(|(i, _)| i);
            let Some(o) = due.and_then(|i| self.list.get(i)).cloned() else {
                return;
            };
            let attrs = self.effective(&o.path);
            let pmax_due = attrs
                .pmax
                .is_some_and(|p| p > 0 && now.since(o.last_sent) >= u64::from(p) * 1000);
            let note = match Note::render(&o, config, device) {
                Ok(note) => note,
                Err(e) => {
                    end_with_error(self, transport, peer, now, &o, e);
                    continue;
                }
            };
            let changed = match (o.number, note.number) {
                (Some(last), Some(current)) if THRESHOLDS => attrs.numeric_change(last, current),
                _ => note.fingerprint != o.fingerprint,
            };
            if !changed && !pmax_due {
                if let Some(entry) = self.entry(&o.token) {
                    entry.dirty = false;
                    entry.urgent = false;
                }
                continue;
            }
            let mid = transport.mid();
            let sequence = next_sequence(o.sequence);
            let Some(bytes) = note.encode(&o, mid, sequence) else {
                self.remove_token(&o.token);
                continue;
            };
            let started = transport.start(now, mid, o.token.clone(), peer, bytes, Purpose::Notify);
            let Some(entry) = self.entry(&o.token) else {
                return;
            };
            if started.is_err() {
                // Kept dirty: the next outcome brings another try.
                return;
            }
            entry.sequence = sequence;
            entry.last_sent = now;
            entry.fingerprint = note.fingerprint;
            entry.number = note.number;
            entry.dirty = false;
            entry.urgent = false;
            entry.in_flight = true;
        }
    }

    /// The retransmission of the notification with this token is due: it carries the
    /// newest value (a new sequence number and message ID when the value changed).
    pub(crate) fn refresh(
        &mut self,
        token: &[u8],
        peer: Peer,
        config: &Config,
        transport: &mut Transport,
        device: &mut Device<'_, '_>,
    ) {
        let Some(o) = self
            .list
            .iter()
            .find(|o| o.token.as_slice() == token)
            .cloned()
        else {
            return;
        };
        let Ok(note) = Note::render(&o, config, device) else {
            return;
        };
        if note.fingerprint == o.fingerprint {
            return;
        }
        let mid = transport.mid();
        let sequence = next_sequence(o.sequence);
        let Some(bytes) = note.encode(&o, mid, sequence) else {
            return;
        };
        debug!("a notification's retransmission carries a newer value");
        transport.refresh(peer, token, mid, bytes);
        if let Some(entry) = self.entry(token) {
            entry.sequence = sequence;
            entry.fingerprint = note.fingerprint;
            entry.number = note.number;
            entry.dirty = false;
            entry.urgent = false;
        }
    }

    fn entry(&mut self, token: &[u8]) -> Option<&mut Observation> {
        self.list.iter_mut().find(|o| o.token.as_slice() == token)
    }
}

/// The value is gone (or its object, or it is no longer readable): an error notification
/// ends the observation (RFC 7641 4.2).
fn end_with_error(
    observer: &mut Observer,
    transport: &mut Transport,
    peer: Peer,
    now: Instant,
    o: &Observation,
    e: Error,
) {
    observer.remove_token(&o.token);
    let mut p = confirmable(coap::error_code(e));
    p.token = o.token.clone();
    let mid = transport.mid();
    p.mid = mid;
    debug!(
        "an observed value cannot be read ({:?}): the observation ends",
        e
    );
    if let Ok(bytes) = coap::to_bytes(&p) {
        let _ = transport.start(now, mid, o.token.clone(), peer, bytes, Purpose::Notify);
    }
}

/// The Observe option's next value (24 bits, wrapping).
fn next_sequence(sequence: u32) -> u32 {
    (sequence + 1) & 0x00ff_ffff
}

/// A rendered notification, before it is numbered.
struct Note {
    rendered: Rendered,
    size: usize,
    fingerprint: u64,
    number: Option<f64>,
}

impl Note {
    /// The observed value now.
    fn render(
        o: &Observation,
        config: &Config,
        device: &mut Device<'_, '_>,
    ) -> Result<Self, Error> {
        let object = lookup(device.objects, o.path.object().unwrap_or(0)).ok_or(Error::NotFound)?;
        let size = 16usize << Block::szx_for(config.max_block);
        let rendered = render(object, &o.path, o.format, 0, size)?;
        Ok(Self {
            fingerprint: rendered.fingerprint,
            number: rendered.number,
            rendered,
            size,
        })
    }

    /// The notification's bytes (2.05 with Observe, Content-Format, Block2 and ETag when
    /// the value takes more than one block).
    fn encode(&self, o: &Observation, mid: u16, sequence: u32) -> Option<alloc::vec::Vec<u8>> {
        let mut p = confirmable(coap::CONTENT);
        p.mid = mid;
        p.token = o.token.clone();
        coap::set_uint_option(&mut p, CoapOption::Observe, sequence);
        coap::set_uint_option(
            &mut p,
            CoapOption::ContentFormat,
            u32::from(o.format.number()),
        );
        if self.rendered.total > self.size {
            // The rest is read block-wise; the ETag ties the blocks to this value.
            coap::set_block_option(
                &mut p,
                CoapOption::Block2,
                Block::new(0, true, Block::szx_for(self.size)),
            )
            .ok()?;
            p.add_option(CoapOption::ETag, &etag(self.fingerprint));
        }
        p.payload.clone_from(&self.rendered.bytes);
        coap::to_bytes(&p).ok()
    }
}

impl Client {
    /// Sends each server the notification due first, if any and if the line to it is free.
    pub(super) fn check_observations(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        if self.queue.is_asleep() {
            return;
        }
        let (config, transport) = (&self.config, &mut self.transport);
        for s in &mut self.servers {
            let peer = s.peer();
            s.observer.notify(now, peer, config, transport, device);
        }
    }

    /// The values at `path` (a resource, an instance or an object) changed: observers hear
    /// them once their pmin allows. Without this (or [`Client::notify_changed`]) the client
    /// reads observed values again only at their pmax.
    pub fn changed(&mut self, now: Instant, path: Path) {
        for s in &mut self.servers {
            s.observer.changed(&path, false);
        }
        self.check_observations_later(now);
    }

    /// Every observed value may have changed: each is read again once its pmin allows.
    pub fn notify_changed(&mut self, now: Instant) {
        for s in &mut self.servers {
            s.observer.values_changed();
        }
        self.check_observations_later(now);
    }

    /// A change reported between polls is looked at by the next poll.
    fn check_observations_later(&mut self, now: Instant) {
        self.wake = Some(self.wake.map_or(now, |w| w.min(now)));
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
