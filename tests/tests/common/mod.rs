//! A scripted LwM2M server for exchange-level tests: it builds requests byte by byte (with
//! coap-lite), hands them to the client as datagrams, and parses what comes back.

#![allow(dead_code, reason = "each test file uses part of the harness")]

use coap_lite::{CoapOption, MessageClass, MessageType, Packet};
use lwm2m_runtime::client::{Client, Config, Device, Event, Instant, Peer, Transmit};

/// A code from class and detail.
pub const fn code(class: u8, detail: u8) -> u8 {
    (class << 5) | detail
}

pub const GET: u8 = code(0, 1);
pub const POST: u8 = code(0, 2);
pub const PUT: u8 = code(0, 3);
pub const DELETE: u8 = code(0, 4);

/// The piggybacked response to `to` (an ACK with its message ID and token) with `code`.
pub fn piggybacked(to: &Packet, code: u8) -> Packet {
    let mut r = empty(MessageType::Acknowledgement, to.header.message_id);
    r.header.code = MessageClass::from(code);
    r.set_token(to.get_token().to_vec());
    r
}

/// An empty message (code 0.00): an ACK or a RST. (coap-lite's `Packet::new()` is a GET.)
pub fn empty(kind: MessageType, mid: u16) -> Packet {
    let mut p = Packet::new();
    p.header.set_type(kind);
    p.header.code = MessageClass::Empty;
    p.header.message_id = mid;
    p
}

pub fn code_of(p: &Packet) -> u8 {
    u8::from(p.header.code)
}

/// `2.05`.
pub fn code_str(p: &Packet) -> String {
    let c = code_of(p);
    format!("{}.{:02}", c >> 5, c & 0x1f)
}

pub fn uint(p: &Packet, option: CoapOption) -> Option<u32> {
    p.get_first_option(option)
        .map(|v| v.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

/// Block option as (num, more, szx).
pub fn block(p: &Packet, option: CoapOption) -> Option<(u32, bool, u8)> {
    uint(p, option).map(|v| (v >> 4, v & 8 != 0, (v & 7) as u8))
}

pub fn block_value(num: u32, more: bool, szx: u8) -> Vec<u8> {
    let v = (num << 4) | (u32::from(more) << 3) | u32::from(szx);
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

pub fn uint_value(v: u32) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

pub fn strings(p: &Packet, option: CoapOption) -> Vec<String> {
    p.get_option(option)
        .into_iter()
        .flatten()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

/// A request as a server sends it.
pub struct Request(pub Packet);

impl Request {
    pub fn new(code: u8, path: &str) -> Self {
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::from(code);
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        Self(p)
    }

    pub fn non(mut self) -> Self {
        self.0.header.set_type(MessageType::NonConfirmable);
        self
    }

    pub fn option(mut self, option: CoapOption, value: Vec<u8>) -> Self {
        self.0.add_option(option, value);
        self
    }

    pub fn uint(self, option: CoapOption, value: u32) -> Self {
        self.option(option, uint_value(value))
    }

    pub fn format(self, cf: u16) -> Self {
        self.uint(CoapOption::ContentFormat, u32::from(cf))
    }

    pub fn accept(self, cf: u16) -> Self {
        self.uint(CoapOption::Accept, u32::from(cf))
    }

    pub fn query(self, q: &str) -> Self {
        self.option(CoapOption::UriQuery, q.as_bytes().to_vec())
    }

    pub fn block1(self, num: u32, more: bool, szx: u8) -> Self {
        self.option(CoapOption::Block1, block_value(num, more, szx))
    }

    pub fn block2(self, num: u32, szx: u8) -> Self {
        self.option(CoapOption::Block2, block_value(num, false, szx))
    }

    pub fn payload(mut self, bytes: &[u8]) -> Self {
        self.0.payload = bytes.to_vec();
        self
    }
}

/// The client and its clock, with helpers that play the server's part.
pub struct Harness {
    pub client: Client,
    pub now: Instant,
    next_mid: u16,
    /// Datagrams the client sent to the download peer and not yet taken.
    pub to_download: Vec<Packet>,
    /// Notifications and other CONs the client sent to the server, not yet taken.
    pub to_server: Vec<Packet>,
    /// What the client sent to the Bootstrap-Server, not yet taken.
    pub to_bootstrap: Vec<Packet>,
}

impl Harness {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            now: Instant(1_000),
            next_mid: 0x4000,
            to_download: Vec::new(),
            to_server: Vec::new(),
            to_bootstrap: Vec::new(),
        }
    }

    pub fn endpoint(name: &str) -> Client {
        Client::new(Config::new(name).unwrap(), 42)
    }

    /// Everything the client wants to send now, sorted by peer.
    pub fn drain(&mut self, device: &mut Device<'_, '_>) -> Vec<Transmit> {
        let mut all = Vec::new();
        while let Some(t) = self.client.poll(self.now, device) {
            all.push(t);
        }
        all
    }

    /// Collects what the client sends into `to_server`/`to_download`.
    pub fn pump(&mut self, device: &mut Device<'_, '_>) {
        for t in self.drain(device) {
            let p = Packet::from_bytes(&t.data).expect("the client sends valid CoAP");
            self.keep(t.to, p);
        }
    }

    /// Sends a request and returns the client's response to it.
    pub fn send(&mut self, device: &mut Device<'_, '_>, request: Request) -> Packet {
        let mut req = request.0;
        self.next_mid = self.next_mid.wrapping_add(1);
        req.header.message_id = self.next_mid;
        req.set_token(self.next_mid.to_be_bytes().to_vec());
        self.send_raw(device, &req)
    }

    /// Files a datagram the client sent by where it went.
    fn keep(&mut self, to: Peer, p: Packet) {
        match to {
            Peer::Server(_) => self.to_server.push(p),
            Peer::Bootstrap => self.to_bootstrap.push(p),
            Peer::Download => self.to_download.push(p),
        }
    }

    /// The line to the client's first management server (the lowest Short Server ID; server
    /// 1 before it has any).
    pub fn server(&self) -> Peer {
        self.client
            .server_targets()
            .next()
            .map_or(Peer::Server(1), |t| t.peer)
    }

    /// Sends a request as it is (same message ID: a retransmission) and returns the response.
    pub fn send_raw(&mut self, device: &mut Device<'_, '_>, req: &Packet) -> Packet {
        self.send_raw_from(device, self.server(), req)
    }

    /// Sends a request as `from` (the server or the Bootstrap-Server) and returns the
    /// response, which must go back to `from`.
    pub fn send_raw_from(
        &mut self,
        device: &mut Device<'_, '_>,
        from: Peer,
        req: &Packet,
    ) -> Packet {
        self.client
            .handle(self.now, from, &req.to_bytes().unwrap(), device);
        let mut response = None;
        for t in self.drain(device) {
            let p = Packet::from_bytes(&t.data).unwrap();
            // A piggybacked response shares the message ID; a NON response only the token.
            let same_mid = p.header.message_id == req.header.message_id
                || req.header.get_type() == MessageType::NonConfirmable;
            if t.to == from && same_mid && p.get_token() == req.get_token() && response.is_none() {
                response = Some(p);
            } else {
                self.keep(t.to, p);
            }
        }
        let r = response.expect("the client answered the request");
        let expected = if req.header.get_type() == MessageType::Confirmable {
            MessageType::Acknowledgement
        } else {
            MessageType::NonConfirmable
        };
        assert_eq!(r.header.get_type(), expected);
        r
    }

    /// Answers a CON the client sent, from `peer`.
    pub fn reply(
        &mut self,
        device: &mut Device<'_, '_>,
        peer: Peer,
        to: &Packet,
        code: u8,
        build: impl FnOnce(&mut Packet),
    ) {
        let mut r = piggybacked(to, code);
        build(&mut r);
        self.client
            .handle(self.now, peer, &r.to_bytes().unwrap(), device);
    }

    /// Registers: takes the Register request and accepts it with location `rd/5a3f`.
    pub fn register(&mut self, device: &mut Device<'_, '_>) -> Packet {
        self.client.register(self.now, device);
        self.pump(device);
        let register = self.take_server().expect("a Register request");
        self.reply(device, self.server(), &register, code(2, 1), |r| {
            r.add_option(CoapOption::LocationPath, b"rd".to_vec());
            r.add_option(CoapOption::LocationPath, b"5a3f".to_vec());
        });
        let server = self.server();
        assert!(self.events().iter().any(
            |e| matches!((e, server), (Event::Registered { server: a }, Peer::Server(b)) if *a == b)
        ));
        register
    }

    pub fn take_server(&mut self) -> Option<Packet> {
        (!self.to_server.is_empty()).then(|| self.to_server.remove(0))
    }

    pub fn take_bootstrap(&mut self) -> Option<Packet> {
        (!self.to_bootstrap.is_empty()).then(|| self.to_bootstrap.remove(0))
    }

    pub fn take_download(&mut self) -> Option<Packet> {
        (!self.to_download.is_empty()).then(|| self.to_download.remove(0))
    }

    pub fn events(&mut self) -> Vec<Event> {
        let mut all = Vec::new();
        while let Some(e) = self.client.poll_event() {
            all.push(e);
        }
        all
    }

    /// The application tells the client that the values at `path` changed.
    pub fn changed(&mut self, path: &[u16]) {
        let path = lwm2m_runtime::path::Path::new(path).expect("a path of 1 to 4 IDs");
        self.client.changed(self.now, path);
    }

    /// Moves the clock and lets the client act.
    pub fn advance(&mut self, device: &mut Device<'_, '_>, ms: u64) {
        self.now = self.now.after(ms);
        self.pump(device);
    }

    /// Acknowledges every CON the client sent to the server, returning them: notifications
    /// get an empty ACK, requests (a registration Update) a piggybacked 2.04 Changed.
    pub fn ack_all(&mut self, device: &mut Device<'_, '_>) -> Vec<Packet> {
        let sent: Vec<Packet> = std::mem::take(&mut self.to_server);
        let server = self.server();
        for p in &sent {
            if p.header.get_type() == MessageType::Confirmable {
                let mut ack = empty(MessageType::Acknowledgement, p.header.message_id);
                if code_of(p) >> 5 == 0 {
                    ack.header.code = MessageClass::from(code(2, 4));
                    ack.set_token(p.get_token().to_vec());
                }
                self.client
                    .handle(self.now, server, &ack.to_bytes().unwrap(), device);
            }
        }
        self.pump(device);
        sent
    }

    /// Acknowledges every confirmable message the client sends until it goes quiet, returning
    /// all of them in order. Bounded so a client that never settles fails the test instead of
    /// hanging it.
    pub fn ack_until_quiet(&mut self, device: &mut Device<'_, '_>) -> Vec<Packet> {
        let mut all = Vec::new();
        for _ in 0..32 {
            let sent = self.ack_all(device);
            if sent.is_empty() {
                return all;
            }
            all.extend(sent);
        }
        panic!("the client kept sending after 32 acknowledged rounds: {all:?}");
    }
}
