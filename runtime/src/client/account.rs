//! The account the client keeps with its LwM2M server: where the server is and how to secure
//! the connection to it (what LwM2M keeps in a Security object instance, /0), and how to
//! register and notify (what it keeps in a Server object instance, /1).
//!
//! These are plain runtime types: the runtime never sees generated code. The
//! `lwm2m-servers` crate serves Objects 0 and 1 through the generated API and produces an
//! [`Account`] from them; a device without those objects builds one by hand (or takes the
//! default one of [`Client::new`](super::Client::new)).
//!
//! The client itself needs only the [`ServerSettings`]; the server URI and the [`Security`]
//! are for whoever binds [`Peer::Server`](super::Peer::Server) to a socket or a DTLS session,
//! which asks [`Client::server_target`](super::Client::server_target) for them, and
//! [`Peer::Bootstrap`](super::Peer::Bootstrap), from
//! [`Client::bootstrap_target`](super::Client::bootstrap_target) (the [`BootstrapAccount`]).

use core::fmt;

/// The most bytes of key material (an identity, a public key, a secret key) an account
/// holds: what the generated Security object gives those Opaque resources.
pub const KEY_MAX: usize = 256;

/// The longest server URI, in bytes (the range of the Security object's Server URI).
pub const URI_MAX: usize = 255;

/// Bytes that must not leak: its `Debug` shows the length only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub heapless::Vec<u8, KEY_MAX>);

impl Secret {
    /// The secret's bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// How the connection to the server is secured, with the key material it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// No security: plain CoAP over UDP.
    #[default]
    NoSec,
    /// DTLS with a pre-shared key.
    Psk {
        /// The PSK identity the client presents.
        identity: heapless::Vec<u8, KEY_MAX>,
        /// The pre-shared key.
        key: Secret,
    },
    /// DTLS with raw public keys.
    RawPublicKey {
        /// The client's public key.
        public_key: heapless::Vec<u8, KEY_MAX>,
        /// The server's public key the client trusts.
        server_public_key: heapless::Vec<u8, KEY_MAX>,
        /// The client's private key.
        private_key: Secret,
    },
    /// DTLS with X.509 certificates.
    Certificate {
        /// The client's certificate.
        certificate: heapless::Vec<u8, KEY_MAX>,
        /// The server's certificate (or its trust anchor).
        server_certificate: heapless::Vec<u8, KEY_MAX>,
        /// The client's private key.
        private_key: Secret,
        /// The client's certificate is enrolled over EST.
        est: bool,
    },
}

/// The transports the server may reach the client over (`b=` of Register), as the letters of
/// LwM2M's Binding resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Binding(heapless::String<8>);

impl Binding {
    /// The letters a binding may hold: UDP, MQTT, HTTP, TCP, SMS, Non-IP, and the queue mode
    /// letter of LwM2M 1.0.
    pub const LETTERS: &'static str = "UMHTSNQ";

    /// A binding from its letters: `None` unless there are one to seven of
    /// [`Binding::LETTERS`], none twice.
    pub fn new(letters: &str) -> Option<Self> {
        let valid = !letters.is_empty()
            && letters.chars().all(|c| Self::LETTERS.contains(c))
            && letters
                .char_indices()
                .all(|(i, c)| !letters.get(..i).is_some_and(|before| before.contains(c)));
        if !valid {
            return None;
        }
        heapless::String::try_from(letters).ok().map(Self)
    }

    /// UDP only.
    pub fn udp() -> Self {
        let mut letters = heapless::String::new();
        let _ = letters.push('U');
        Self(letters)
    }

    /// The letters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The letters Register announces in `b=`: all but the queue mode letter, which LwM2M 1.1
    /// announces with its own `Q` parameter.
    pub fn registered(&self) -> impl Iterator<Item = char> + '_ {
        self.0.chars().filter(|&c| c != 'Q')
    }

    /// Whether the binding asks for queue mode (the `Q` of LwM2M 1.0).
    pub fn queue_mode(&self) -> bool {
        self.0.contains('Q')
    }
}

impl Default for Binding {
    fn default() -> Self {
        Self::udp()
    }
}

/// How the client retries registration before it falls back to bootstrap (LwM2M 1.1's
/// registration procedure): `count` attempts spaced by a timer that doubles from `timer_s`
/// make a sequence; `sequence_count` sequences, `sequence_delay_s` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Retry {
    /// Attempts in one sequence (the spec's default: 5).
    pub count: u32,
    /// The first wait between two attempts, in seconds; it doubles after each (default 60).
    pub timer_s: u32,
    /// The wait between two sequences, in seconds (default 86400, one day).
    pub sequence_delay_s: u32,
    /// Sequences before the client gives up on the server (default 1).
    pub sequence_count: u32,
}

impl Retry {
    /// The defaults LwM2M gives these settings when a Server instance leaves them out.
    pub const DEFAULT: Self = Self {
        count: 5,
        timer_s: 60,
        sequence_delay_s: 86_400,
        sequence_count: 1,
    };
}

impl Default for Retry {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How the client registers with one server and notifies it: what a Server object
/// instance (/1) holds, read into plain values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// The Short Server ID (1..65534) that ties the settings to the server's credentials.
    pub short_server_id: u16,
    /// The registration lifetime in seconds (`lt`).
    pub lifetime: u32,
    /// The minimum period of an observation that sets none, in seconds.
    pub default_pmin: u32,
    /// The maximum period of an observation that sets none, in seconds; `None`: no maximum.
    pub default_pmax: Option<u32>,
    /// How long the account stays off after the server executes Disable, in seconds.
    pub disable_timeout: u32,
    /// Whether notifications are kept while the server is disabled or unreachable.
    pub notification_storing: bool,
    /// The transports the server may use (`b=`).
    pub binding: Binding,
    /// The registration retry settings.
    pub retry: Retry,
}

impl ServerSettings {
    /// The Disable Timeout LwM2M applies when a Server instance has none: a day.
    pub const DEFAULT_DISABLE_TIMEOUT: u32 = 86_400;

    /// Settings for server `short_server_id` with lifetime `lifetime`: no default periods,
    /// UDP, notifications stored, the defaults of Disable Timeout and the retries.
    pub fn new(short_server_id: u16, lifetime: u32) -> Self {
        Self {
            short_server_id,
            lifetime,
            default_pmin: 0,
            default_pmax: None,
            disable_timeout: Self::DEFAULT_DISABLE_TIMEOUT,
            notification_storing: true,
            binding: Binding::udp(),
            retry: Retry::DEFAULT,
        }
    }
}

/// Everything the client and its transport need to reach one LwM2M server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The server's URI (`coap://host:port` or `coaps://...`); empty when the application
    /// binds [`Peer::Server`](super::Peer::Server) by other means.
    pub server_uri: heapless::String<URI_MAX>,
    /// How to secure the connection.
    pub security: Security,
    /// How to register and notify.
    pub settings: ServerSettings,
}

impl Account {
    /// An account with no URI and no security, for server 1 with `lifetime`: what
    /// [`Client::new`](super::Client::new) uses, the server being bound by the application.
    pub fn unprovisioned(lifetime: u32) -> Self {
        Self {
            server_uri: heapless::String::new(),
            security: Security::NoSec,
            settings: ServerSettings::new(1, lifetime),
        }
    }
}

/// How to reach the Bootstrap-Server (a Security instance, /0, with Bootstrap-Server set):
/// the client asks it for accounts when it has no management server it can register with
/// (see the client's module documentation, Bootstrap).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootstrapAccount {
    /// The Bootstrap-Server's URI (`coap://host:port` or `coaps://...`).
    pub server_uri: heapless::String<URI_MAX>,
    /// How to secure the connection.
    pub security: Security,
    /// Client Hold Off Time (/0/x/11): seconds the client waits before it asks for bootstrap
    /// when it starts with no management server.
    pub hold_off_s: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_take_known_letters_once() {
        assert_eq!(Binding::new("UQ").map(|b| b.queue_mode()), Some(true));
        assert_eq!(
            Binding::new("UQ")
                .map(|b| b.registered().collect::<heapless::String<8>>())
                .as_deref(),
            Some("U")
        );
        for bad in ["", "X", "UU", "u", "UMHTSNQU"] {
            assert_eq!(Binding::new(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let key = Secret(heapless::Vec::from_slice(b"hunter2").unwrap());
        let shown = alloc::format!("{key:?}");
        assert_eq!(shown, "Secret(<7 bytes>)");
    }
}
