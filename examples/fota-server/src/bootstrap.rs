//! A small LwM2M Bootstrap-Server: a device that asks (`POST /bs?ep=...`) is given its
//! management-server accounts (one or more), then told to finish.
//!
//! Sans-IO like [`crate::Server`]. Each device goes through the same steps, one request at a
//! time, each retransmitted (2 s doubling, four times) until answered:
//!
//! 1. Bootstrap-Delete `/`: every instance but the Bootstrap-Server's own account goes;
//! 2. Bootstrap-Write `/0/n`: the n-th management server's URI, security mode, PSK identity
//!    and key, and Short Server ID (TLV);
//! 3. Bootstrap-Write `/1/n`: its Short Server ID, lifetime and binding (TLV); steps 2 and 3
//!    again for each further server (n = 1, 2, ...);
//! 4. Bootstrap-Discover `/`: what the device now holds, logged;
//! 5. Bootstrap-Finish (`POST /bs`).

use std::collections::{HashMap, VecDeque};

use coap_lite::{CoapOption, MessageType, Packet};
use lwm2m_objects::lwm2m_security::{self, SecurityMode};
use lwm2m_objects::lwm2m_server;
use lwm2m_runtime::format::{self, ContentFormat, Item, Items};
use lwm2m_runtime::{Enumeration, ObjectSpec, ResourceSpec, Value};

use crate::coap::{self, code_of, code_text, message, set_path};

/// The account a device is given.
#[derive(Clone, Debug)]
pub struct Provision {
    /// The management server's URI, `coaps://host:port`.
    pub server_uri: String,
    /// Its Short Server ID (1 to 65534).
    pub short_server_id: u16,
    /// The registration lifetime, seconds.
    pub lifetime: u32,
    /// The PSK identity and key (hex not needed: bytes); `None` for NoSec.
    pub psk: Option<(Vec<u8>, Vec<u8>)>,
}

/// Something that happened, for the runner to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootstrapEvent {
    /// A request and its answer: what, and the code.
    Step {
        /// The device's endpoint name.
        endpoint: String,
        /// `POST /bs?ep=...`, `DELETE /`, `PUT /0/1`, ...
        request: String,
        /// The answer's code, `2.04`-style.
        code: String,
        /// Bytes of the request and of the answer.
        bytes: (usize, usize),
    },
    /// The device took the account and finished.
    Provisioned {
        /// The device's endpoint name.
        endpoint: String,
    },
    /// A step was refused or went unanswered: the device starts over on its own.
    Failed {
        /// The device's endpoint name.
        endpoint: String,
        /// What went wrong.
        why: String,
    },
}

/// Where a device is.
struct Device {
    endpoint: String,
    steps: VecDeque<(String, Packet)>,
    outstanding: Option<Outstanding>,
}

struct Outstanding {
    what: String,
    mid: u16,
    bytes: Vec<u8>,
    due: u64,
    tries: u32,
}

const ACK_TIMEOUT_MS: u64 = 2_000;
const MAX_RETRANSMIT: u32 = 4;

/// The Bootstrap-Server.
pub struct Bootstrap<A> {
    provisions: Vec<Provision>,
    devices: HashMap<A, Device>,
    outbox: VecDeque<(A, Vec<u8>)>,
    events: VecDeque<BootstrapEvent>,
    mid: u16,
}

impl<A: Clone + Eq + std::hash::Hash> Bootstrap<A> {
    /// A Bootstrap-Server that gives every device the accounts of `provisions`, in order.
    pub fn new(provisions: impl IntoIterator<Item = Provision>, seed: u16) -> Self {
        Self {
            provisions: provisions.into_iter().collect(),
            devices: HashMap::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            mid: seed,
        }
    }

    /// The next datagram to send.
    pub fn poll(&mut self, now: u64) -> Option<(A, Vec<u8>)> {
        self.retransmit(now);
        self.outbox.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<BootstrapEvent> {
        self.events.pop_front()
    }

    /// When [`Bootstrap::poll`] must run next.
    pub fn timeout(&self) -> Option<u64> {
        self.devices
            .values()
            .filter_map(|d| d.outstanding.as_ref().map(|o| o.due))
            .min()
    }

    /// Takes a datagram from `from`.
    pub fn handle(&mut self, now: u64, from: A, datagram: &[u8]) {
        let Ok(p) = Packet::from_bytes(datagram) else {
            return;
        };
        match p.header.get_type() {
            MessageType::Confirmable | MessageType::NonConfirmable => {
                self.request(now, from, &p, datagram.len());
            }
            MessageType::Acknowledgement | MessageType::Reset => {
                self.answer(now, from, &p, datagram.len());
            }
        }
    }

    /// A Bootstrap-Request: answered 2.04, and the device's steps begin.
    fn request(&mut self, now: u64, from: A, p: &Packet, len: usize) {
        let path = coap::path_of(p);
        let endpoint = coap::endpoint_of(p);
        let mut ack = message(MessageType::Acknowledgement, coap::NOT_FOUND);
        ack.header.message_id = p.header.message_id;
        ack.set_token(p.get_token().to_vec());
        let code = match (path.as_str(), endpoint) {
            ("bs", Some(endpoint)) => {
                let steps = self.steps();
                self.devices.insert(
                    from.clone(),
                    Device {
                        endpoint,
                        steps,
                        outstanding: None,
                    },
                );
                coap::CHANGED
            }
            ("bs", None) => coap::BAD_REQUEST,
            _ => coap::NOT_FOUND,
        };
        ack.header.code = code.into();
        let Ok(bytes) = ack.to_bytes() else { return };
        if let Some(d) = self.devices.get(&from) {
            self.events.push_back(BootstrapEvent::Step {
                endpoint: d.endpoint.clone(),
                request: format!("POST /bs?ep={} (from the device)", d.endpoint),
                code: code_text(code),
                bytes: (len, bytes.len()),
            });
        }
        self.outbox.push_back((from.clone(), bytes));
        self.send_next(now, &from);
    }

    /// An answer to one of our requests: the next step, or the end.
    fn answer(&mut self, now: u64, from: A, p: &Packet, len: usize) {
        let Some(d) = self.devices.get_mut(&from) else {
            return;
        };
        let Some(o) = d
            .outstanding
            .as_ref()
            .filter(|o| o.mid == p.header.message_id)
        else {
            return;
        };
        let code = code_of(p);
        let what = o.what.clone();
        let sent = o.bytes.len();
        d.outstanding = None;
        let endpoint = d.endpoint.clone();
        self.events.push_back(BootstrapEvent::Step {
            endpoint: endpoint.clone(),
            request: what.clone(),
            code: code_text(code),
            bytes: (sent, len),
        });
        if what.starts_with("GET") && code == coap::CONTENT {
            self.events.push_back(BootstrapEvent::Step {
                endpoint: endpoint.clone(),
                request: "  discovered".into(),
                code: String::from_utf8_lossy(&p.payload).into_owned(),
                bytes: (0, p.payload.len()),
            });
        }
        if code >> 5 != 2 {
            self.devices.remove(&from);
            self.events.push_back(BootstrapEvent::Failed {
                endpoint,
                why: format!("{what} answered {}", code_text(code)),
            });
            return;
        }
        if what.starts_with("POST /bs") {
            self.devices.remove(&from);
            self.events
                .push_back(BootstrapEvent::Provisioned { endpoint });
            return;
        }
        self.send_next(now, &from);
    }

    fn send_next(&mut self, now: u64, to: &A) {
        let Some(d) = self.devices.get_mut(to) else {
            return;
        };
        if d.outstanding.is_some() {
            return;
        }
        let Some((what, mut p)) = d.steps.pop_front() else {
            return;
        };
        self.mid = self.mid.wrapping_add(1);
        p.header.message_id = self.mid;
        p.set_token(self.mid.to_be_bytes().to_vec());
        let Ok(bytes) = p.to_bytes() else { return };
        self.outbox.push_back((to.clone(), bytes.clone()));
        d.outstanding = Some(Outstanding {
            what,
            mid: self.mid,
            bytes,
            due: now + ACK_TIMEOUT_MS,
            tries: 0,
        });
    }

    fn retransmit(&mut self, now: u64) {
        let mut gone = Vec::new();
        for (addr, d) in &mut self.devices {
            let Some(o) = d.outstanding.as_mut().filter(|o| o.due <= now) else {
                continue;
            };
            if o.tries >= MAX_RETRANSMIT {
                gone.push((addr.clone(), d.endpoint.clone(), o.what.clone()));
                continue;
            }
            o.tries += 1;
            o.due = now + (ACK_TIMEOUT_MS << o.tries);
            self.outbox.push_back((addr.clone(), o.bytes.clone()));
        }
        for (addr, endpoint, what) in gone {
            self.devices.remove(&addr);
            self.events.push_back(BootstrapEvent::Failed {
                endpoint,
                why: format!("{what} went unanswered"),
            });
        }
    }

    /// The requests every device is sent, in order.
    fn steps(&self) -> VecDeque<(String, Packet)> {
        let mut steps = VecDeque::new();
        let mut delete = message(MessageType::Confirmable, coap::DELETE);
        set_path(&mut delete, "/");
        steps.push_back(("DELETE /".to_owned(), delete));
        for (instance, p) in (1..).zip(&self.provisions) {
            steps.extend(account(instance, p));
        }
        let mut discover = message(MessageType::Confirmable, coap::GET);
        discover.add_option(CoapOption::Accept, coap::uint_bytes(40));
        steps.push_back(("GET / (Bootstrap-Discover)".to_owned(), discover));

        let mut finish = message(MessageType::Confirmable, coap::POST);
        set_path(&mut finish, "/bs");
        steps.push_back(("POST /bs (Bootstrap-Finish)".to_owned(), finish));
        steps
    }
}

/// The writes of one account: Security instance `instance` (/0) and Server instance
/// `instance` (/1).
fn account(instance: u16, p: &Provision) -> [(String, Packet); 2] {
    let (mode, identity, key) = match &p.psk {
        Some((identity, key)) => (SecurityMode::PreSharedKey, identity.clone(), key.clone()),
        None => (SecurityMode::NoSec, Vec::new(), Vec::new()),
    };
    let security = [
        (
            res::<lwm2m_security::resources::Lwm2mServerUri>(),
            Value::String(&p.server_uri),
        ),
        (
            res::<lwm2m_security::resources::BootstrapServer>(),
            Value::Boolean(false),
        ),
        (
            res::<lwm2m_security::resources::SecurityMode>(),
            Value::Integer(mode.value()),
        ),
        (
            res::<lwm2m_security::resources::PublicKeyOrIdentity>(),
            Value::Opaque(&identity),
        ),
        (
            res::<lwm2m_security::resources::SecretKey>(),
            Value::Opaque(&key),
        ),
        (
            res::<lwm2m_security::resources::ShortServerId>(),
            Value::Integer(i64::from(p.short_server_id)),
        ),
    ];
    let server = [
        (
            res::<lwm2m_server::resources::ShortServerId>(),
            Value::Integer(i64::from(p.short_server_id)),
        ),
        (
            res::<lwm2m_server::resources::Lifetime>(),
            Value::Integer(i64::from(p.lifetime)),
        ),
        (
            res::<lwm2m_server::resources::Binding>(),
            Value::String("U"),
        ),
    ];
    [
        (
            format!("PUT /0/{instance}"),
            write::<lwm2m_security::Spec>(instance, &security),
        ),
        (
            format!("PUT /1/{instance}"),
            write::<lwm2m_server::Spec>(instance, &server),
        ),
    ]
}

/// A resource's ID, from the generated code.
fn res<R: ResourceSpec>() -> u16 {
    R::ID
}

/// A Bootstrap-Write of instance `instance` of object `O`: the values as TLV.
fn write<O: ObjectSpec>(instance: u16, values: &[(u16, Value<'_>)]) -> Packet {
    let mut p = message(MessageType::Confirmable, coap::PUT);
    set_path(&mut p, &format!("/{}/{instance}", O::ID));
    let Some(base) = lwm2m_runtime::path::Path::new(&[O::ID, instance]) else {
        return p;
    };
    let items: Vec<Item<'_>> = values
        .iter()
        .filter_map(|(id, value)| {
            let kind = O::INFO.resource(*id)?.kind;
            Some(Item {
                path: base.child(*id)?,
                kind,
                value: *value,
            })
        })
        .collect();
    let mut payload = Vec::new();
    if format::encode(ContentFormat::Tlv, &base, &mut Items(&items), &mut payload).is_ok() {
        p.add_option(CoapOption::ContentFormat, coap::uint_bytes(11542));
        p.payload = payload;
    }
    p
}
