//! Registration with the LwM2M server: Register with the objects served, Update before the
//! lifetime runs out or as soon as the objects change, Deregister, and retries with backoff.

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write as _;

use super::observe::{FNV_START, fnv1a};
use super::transport::{Purpose, confirmable};
use super::{Client, Config, Device, Event, Instant, Peer};
use crate::coap::{self, CoapOption, Packet};
use crate::format::ContentFormat;
use crate::format::link::LinkWriter;
use crate::path::Path;
use crate::spec::{ObjectInfo, Version};

/// The first retry delay after a failed registration; it doubles up to [`MAX_RETRY_MS`].
const FIRST_RETRY_MS: u64 = 5_000;
const MAX_RETRY_MS: u64 = 300_000;

/// The Location-Path the server gave the registration.
type Location = heapless::Vec<heapless::String<32>, 4>;

/// Every object served, sorted by ID, with its instance IDs.
type ObjectList = heapless::Vec<(&'static ObjectInfo, heapless::Vec<u16, 16>), 16>;

/// Where the registration stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Registration {
    Stopped,
    Registering,
    Registered {
        location: Location,
        update_at: Instant,
    },
    Updating {
        location: Location,
    },
    Deregistering,
    RetryAt(Instant),
}

/// The registration state machine. It builds the requests and reads their responses; the
/// client sends them and hands the outcomes back.
pub(super) struct Registrar {
    state: Registration,
    retry_ms: u64,
    /// A fingerprint of the objects last announced: when it changes, an Update announces them.
    announced: u64,
}

impl Registrar {
    pub(super) fn new() -> Self {
        Self {
            state: Registration::Stopped,
            retry_ms: FIRST_RETRY_MS,
            announced: 0,
        }
    }

    pub(super) fn is_registered(&self) -> bool {
        matches!(
            self.state,
            Registration::Registered { .. } | Registration::Updating { .. }
        )
    }

    /// When an Update or a retry is due.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match &self.state {
            Registration::Registered { update_at, .. } => Some(*update_at),
            Registration::RetryAt(at) => Some(*at),
            _ => None,
        }
    }

    /// The Register request: `POST /rd?ep=..&lt=..&lwm2m=1.1&b=U` with the objects.
    fn register(&mut self, config: &Config, objects: &ObjectList) -> Packet {
        let mut p = confirmable(coap::POST);
        coap::add_option(&mut p, CoapOption::UriPath, b"rd");
        let mut q: heapless::String<96> = heapless::String::new();
        let _ = write!(q, "ep={}", config.endpoint);
        coap::add_option(&mut p, CoapOption::UriQuery, q.as_bytes());
        q.clear();
        let _ = write!(q, "lt={}", config.lifetime);
        coap::add_option(&mut p, CoapOption::UriQuery, q.as_bytes());
        coap::add_option(&mut p, CoapOption::UriQuery, b"lwm2m=1.1");
        coap::add_option(&mut p, CoapOption::UriQuery, b"b=U");
        coap::set_uint_option(
            &mut p,
            CoapOption::ContentFormat,
            u32::from(ContentFormat::LinkFormat.number()),
        );
        p.payload = links(config, objects);
        self.announced = fingerprint(objects);
        self.state = Registration::Registering;
        p
    }

    /// The Deregister request, when registered; otherwise registration just stops.
    fn deregister(&mut self) -> Option<Packet> {
        let (Registration::Registered { location, .. } | Registration::Updating { location }) =
            &self.state
        else {
            self.state = Registration::Stopped;
            return None;
        };
        let mut p = confirmable(coap::DELETE);
        for segment in location {
            coap::add_option(&mut p, CoapOption::UriPath, segment.as_bytes());
        }
        self.state = Registration::Deregistering;
        Some(p)
    }

    /// The request due at `now`, if any: a retried Register, or an Update when the lifetime
    /// is three quarters over or the objects changed (the Update then lists them).
    fn due(
        &mut self,
        now: Instant,
        config: &Config,
        objects: impl FnOnce() -> ObjectList,
    ) -> Option<(Packet, Purpose)> {
        match &self.state {
            Registration::RetryAt(at) if *at <= now => {
                Some((self.register(config, &objects()), Purpose::Register))
            }
            Registration::Registered {
                location,
                update_at,
            } => {
                let objects = objects();
                let changed = fingerprint(&objects) != self.announced;
                if *update_at > now && !changed {
                    return None;
                }
                let location = location.clone();
                let mut p = confirmable(coap::POST);
                for segment in &location {
                    coap::add_option(&mut p, CoapOption::UriPath, segment.as_bytes());
                }
                if changed {
                    coap::set_uint_option(
                        &mut p,
                        CoapOption::ContentFormat,
                        u32::from(ContentFormat::LinkFormat.number()),
                    );
                    p.payload = links(config, &objects);
                    self.announced = fingerprint(&objects);
                }
                self.state = Registration::Updating { location };
                Some((p, Purpose::Update))
            }
            _ => None,
        }
    }

    /// The answer to Register (`None`: reset or timed out).
    fn on_register(&mut self, now: Instant, config: &Config, response: Option<&Packet>) -> Event {
        match response {
            Some(p) if coap::code_of(p) == coap::CREATED => {
                let location = p
                    .get_option(CoapOption::LocationPath)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| core::str::from_utf8(s).ok())
                    .filter_map(|s| heapless::String::try_from(s).ok())
                    .take(4)
                    .collect();
                info!("registered");
                self.registered(now, config, location);
                Event::Registered
            }
            _ => {
                warn!(
                    "registration failed ({:?}); retry in {} ms",
                    response.map(coap::code_of),
                    self.retry_ms
                );
                self.state = Registration::RetryAt(now.after(self.retry_ms));
                self.retry_ms = (self.retry_ms * 2).min(MAX_RETRY_MS);
                Event::RegistrationFailed
            }
        }
    }

    /// The answer to Update: [`Event::Updated`], or `None` when the client must register
    /// again.
    fn on_update(&mut self, now: Instant, config: &Config, code: Option<u8>) -> Option<Event> {
        let location = match &self.state {
            Registration::Updating { location } => location.clone(),
            _ => heapless::Vec::new(),
        };
        if code != Some(coap::CHANGED) {
            warn!("registration update failed ({:?}); registering again", code);
        }
        (code == Some(coap::CHANGED)).then(|| {
            self.registered(now, config, location);
            Event::Updated
        })
    }

    fn registered(&mut self, now: Instant, config: &Config, location: Location) {
        // Update before the lifetime runs out: at three quarters of it.
        let lifetime_ms = u64::from(config.lifetime) * 1000;
        self.state = Registration::Registered {
            location,
            update_at: now.after(lifetime_ms * 3 / 4),
        };
        self.retry_ms = FIRST_RETRY_MS;
    }
}

impl Client {
    /// Whether the client is registered.
    pub fn is_registered(&self) -> bool {
        self.registrar.is_registered()
    }

    /// Starts (or restarts) registration.
    pub fn register(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        let objects = object_list(device);
        let p = self.registrar.register(&self.config, &objects);
        self.transport
            .request(now, p, Peer::Server, Purpose::Register);
    }

    /// Sends Deregister.
    pub fn deregister(&mut self, now: Instant) {
        if let Some(p) = self.registrar.deregister() {
            self.transport
                .request(now, p, Peer::Server, Purpose::Deregister);
        }
    }

    /// Sends the Register or Update that is due.
    pub(super) fn tick_registration(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        let due = self
            .registrar
            .due(now, &self.config, || object_list(device));
        if let Some((p, purpose)) = due {
            self.transport.request(now, p, Peer::Server, purpose);
        }
    }

    /// The outcome of a Register, Update or Deregister (`None`: reset or timed out).
    pub(super) fn on_registration(
        &mut self,
        now: Instant,
        purpose: Purpose,
        response: Option<&Packet>,
        device: &mut Device<'_, '_>,
    ) {
        match purpose {
            Purpose::Register => {
                let event = self.registrar.on_register(now, &self.config, response);
                self.push_event(event);
            }
            Purpose::Update => {
                let code = response.map(coap::code_of);
                match self.registrar.on_update(now, &self.config, code) {
                    Some(event) => self.push_event(event),
                    // The server forgot us (4.04) or did not answer: register again.
                    None => self.register(now, device),
                }
            }
            Purpose::Deregister => {
                self.registrar.state = Registration::Stopped;
                self.observer.clear();
                self.push_event(Event::Deregistered);
            }
            Purpose::Notify | Purpose::Fetch => {}
        }
    }
}

/// Every object served, sorted by ID, with its instance IDs.
fn object_list(device: &mut Device<'_, '_>) -> ObjectList {
    let mut list = ObjectList::new();
    for o in device.objects.iter() {
        let mut ids = heapless::Vec::new();
        o.instances(&mut |i| {
            let _ = ids.push(i);
        });
        let _ = list.push((o.info(), ids));
    }
    list.sort_unstable_by_key(|(info, _)| info.id);
    list
}

/// A fingerprint of the object list.
fn fingerprint(objects: &ObjectList) -> u64 {
    objects.iter().fold(FNV_START, |h, (info, ids)| {
        let h = fnv1a(h, &info.id.to_be_bytes());
        ids.iter().fold(h, |h, i| fnv1a(h, &i.to_be_bytes()))
    })
}

/// The registration payload: `</>;rt="oma.lwm2m";ct=...` then every object and instance.
fn links(config: &Config, objects: &ObjectList) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = LinkWriter::new(&mut out);
    let _ = w.raw_link("/");
    let _ = w.quoted_attr("rt", "oma.lwm2m");
    let _ = w.attr("ct", config.default_format.number());
    for (info, instances) in objects {
        let object = Path::new(&[info.id]).unwrap_or_default();
        let versioned = info.object_version != Version::new(1, 0);
        if versioned || instances.is_empty() {
            let _ = w.link(&object);
            if versioned {
                let _ = w.attr("ver", info.object_version);
            }
        }
        for &i in instances {
            let _ = w.link(&Path::new(&[info.id, i]).unwrap_or_default());
        }
    }
    out
}
