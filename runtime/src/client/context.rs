//! What an object may ask of the client between requests ([`Object::poll`]): tell observers
//! about a change now, be polled again at a time, download a URI block-wise.
//!
//! Objects with work of their own (Firmware Update, Software Management) use it; the others
//! never see it.
//!
//! [`Object::poll`]: crate::Object::poll

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use super::Instant;
use super::account::ServerSettings;
use super::download::Downloader;
use crate::path::Path;
use crate::value::Time;

/// The client as an object sees it while it is polled or given download data.
pub struct Context<'a> {
    pub(super) now: Instant,
    pub(super) clock: Option<Time>,
    pub(super) object: u16,
    pub(super) asks: &'a mut Asks,
    pub(super) downloads: &'a mut Downloader,
}

/// What objects asked during a poll, for the client to do once the poll returns.
#[derive(Debug, Default)]
pub(super) struct Asks {
    /// Paths whose observers must hear their current value now.
    pub changed: heapless::Vec<Path, 8>,
    /// The earliest time an object asked to be polled again.
    pub wake: Option<Instant>,
    /// What a Server object asked of the client's server, in order.
    pub servers: heapless::Vec<ServerAsk, 4>,
}

/// What a Server object (/1) asks of the client for the server it configures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ServerAsk {
    /// The server's settings changed.
    Settings(ServerSettings),
    /// Registration Update Trigger: send an Update now.
    Update(u16),
    /// Disable: deregister, stay off for `seconds`, register again.
    Disable { short_server_id: u16, seconds: u32 },
}

impl ServerAsk {
    pub(super) fn short_server_id(&self) -> u16 {
        match self {
            Self::Settings(s) => s.short_server_id,
            Self::Update(id)
            | Self::Disable {
                short_server_id: id,
                ..
            } => *id,
        }
    }
}

impl Context<'_> {
    /// The time of this poll.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The wall-clock time, when the device knows it.
    pub fn clock(&self) -> Option<Time> {
        self.clock
    }

    /// Resource `resource` of instance `instance` changed and every change counts: observers
    /// hear its current value as soon as the poll returns, even within their pmin.
    pub fn changed(&mut self, instance: u16, resource: u16) {
        if let Some(path) = Path::new(&[self.object, instance, resource])
            && !self.asks.changed.contains(&path)
        {
            // Eight changed paths a poll are plenty; beyond them the regular check catches up.
            let _ = self.asks.changed.push(path);
        }
    }

    /// The settings of server `settings.short_server_id` changed (a Server object instance
    /// was written): if it is the client's server, the client follows them at once, and a
    /// new lifetime or binding goes to the server in an Update.
    pub fn server_settings(&mut self, settings: ServerSettings) {
        self.ask(ServerAsk::Settings(settings));
    }

    /// Registration Update Trigger for server `short_server_id`: if it is the client's
    /// server and the client is registered, an Update goes out at once.
    pub fn registration_update(&mut self, short_server_id: u16) {
        self.ask(ServerAsk::Update(short_server_id));
    }

    /// Disable for server `short_server_id`: if it is the client's server, the client
    /// deregisters (after the answer to the request being served), ignores the server for
    /// `seconds`, then registers again.
    pub fn disable_server(&mut self, short_server_id: u16, seconds: u32) {
        self.ask(ServerAsk::Disable {
            short_server_id,
            seconds,
        });
    }

    fn ask(&mut self, ask: ServerAsk) {
        // Four asks a poll are plenty (one object, a request at a time); a fifth would be a
        // server object asking the same thing again, so the latest replaces the last.
        if let Err(ask) = self.asks.servers.push(ask)
            && let Some(last) = self.asks.servers.last_mut()
        {
            *last = ask;
        }
    }

    /// Poll the object again no later than `at` (at once when `at` has passed).
    pub fn wake_at(&mut self, at: Instant) {
        self.asks.wake = Some(self.asks.wake.map_or(at, |w| w.min(at)));
    }

    /// Starts downloading `request.uri` block-wise (CoAP Block2), from byte `request.from`,
    /// for this object: what arrives is handed to [`Object::download`]. One download runs at
    /// a time; a new one from the same object replaces its old one.
    ///
    /// Every answer is checked against the first (or against `request.etag` and
    /// `request.size` on a resume): another ETag, another Size2 (asked for with every
    /// block), or a last block that ends elsewhere than the known size ends the download with
    /// [`DownloadError::Changed`]. A change that keeps the size on a server without ETags, or
    /// any change on a server that sends neither ETag nor Size2, is not detected: the check
    /// of the whole image (a firmware signature) is the last line of defence.
    ///
    /// [`Object::download`]: crate::Object::download
    pub fn download(&mut self, request: DownloadRequest<'_>) -> Result<(), DownloadError> {
        self.downloads.start(self.object, &request)
    }

    /// Stops this object's download, if it has one.
    pub fn cancel_download(&mut self) {
        self.downloads.cancel(self.object);
    }
}

/// A download an object asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadRequest<'a> {
    /// What to download: a `coap://` URI of at most [`DownloadUri::MAX_LEN`] bytes. Its path
    /// segments and query arguments are percent-decoded into Uri-Path and Uri-Query options
    /// (RFC 7252 6.4).
    pub uri: &'a str,
    /// The first byte wanted (what the object already holds, when it resumes).
    pub from: u32,
    /// The ETag the resource had when the download began (empty when unknown): a resource
    /// that answers with another one has changed under the download.
    pub etag: &'a [u8],
    /// The size the resource had when the download began ([`DownloadEvent::Started`]'s
    /// `total`), when known: a resumed download of a resource that reports another size
    /// (Size2) has changed under it. What is and is not detected is described in the
    /// downloader's documentation ([`Context::download`]).
    pub size: Option<u32>,
}

/// What a download delivers to its object, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadEvent<'a> {
    /// The first answer: the size when known (the server's Size2, or
    /// [`DownloadRequest::size`] on a resume), and its ETag.
    Started {
        /// Bytes of the whole resource.
        total: Option<u32>,
        /// The server's ETag (empty when it sends none).
        etag: &'a [u8],
    },
    /// Bytes of the resource at `offset`, in order, without gaps.
    Data {
        /// Where they go.
        offset: u32,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// The last block arrived.
    Finished,
    /// The download stopped for good.
    Failed(DownloadError),
}

/// Why a download could not start or stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DownloadError {
    /// The URI is not a URI with a host (or its port is not a number), is longer than
    /// [`DownloadUri::MAX_LEN`], or has a `%` escape that is not two hex digits or that does
    /// not decode to UTF-8.
    InvalidUri,
    /// The scheme is not one this client downloads.
    UnsupportedScheme,
    /// Another object's download is running.
    Busy,
    /// The server stayed silent for two minutes (its block request retransmitted, then
    /// resumed after a backoff), or kept answering with server errors or resets.
    Unreachable,
    /// The server answered with an error: no such resource, or not for us.
    NotFound,
    /// The resource changed during the download: another ETag or Size2, or its end moved.
    Changed,
    /// The server's answer broke the block-wise rules.
    BadResponse,
    /// The resource is larger than block-wise transfer reaches: the next block's number does
    /// not fit the 20 bits of a Block2 option (past 1 GiB in 1 KiB blocks, 16 MiB in 16-byte
    /// ones).
    TooLarge,
}

/// The scheme of a download URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `coap://`: the client downloads it.
    Coap,
    /// `coaps://`.
    Coaps,
    /// `http://`.
    Http,
    /// `https://`.
    Https,
}

/// A download URI read into its parts: `scheme://host[:port]/path...[?query]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadUri<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// The host: a name, an IPv4 address, or an IPv6 address without its brackets.
    pub host: &'a str,
    /// The port, when the URI names one.
    pub port: Option<u16>,
    /// The path, without its leading `/`.
    pub path: &'a str,
    /// The query, without its `?`, when there is one.
    pub query: Option<&'a str>,
}

impl<'a> DownloadUri<'a> {
    /// The longest URI a download takes, in bytes: what the Package URI resource holds. Every
    /// path segment and query argument is shorter, so each fits a CoAP option (0..255 bytes).
    pub const MAX_LEN: usize = 255;

    /// Reads `uri`. [`DownloadError::InvalidUri`] for anything that is not a URI with a host,
    /// for a URI longer than [`DownloadUri::MAX_LEN`] and for a path or query with a broken
    /// `%` escape; [`DownloadError::UnsupportedScheme`] for a scheme other than coap, coaps,
    /// http, https.
    pub fn parse(uri: &'a str) -> Result<Self, DownloadError> {
        if uri.len() > Self::MAX_LEN {
            return Err(DownloadError::InvalidUri);
        }
        let (scheme, rest) = uri.split_once("://").ok_or(DownloadError::InvalidUri)?;
        let scheme = [
            ("coap", Scheme::Coap),
            ("coaps", Scheme::Coaps),
            ("http", Scheme::Http),
            ("https", Scheme::Https),
        ]
        .into_iter()
        .find(|(name, _)| scheme.eq_ignore_ascii_case(name))
        .map(|(_, s)| s)
        .ok_or(DownloadError::UnsupportedScheme)?;
        let rest = rest.split('#').next().unwrap_or("");
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let port = |p: &str| {
            crate::format::parse_unsigned(p.as_bytes())
                .and_then(|p| u16::try_from(p).ok())
                .ok_or(DownloadError::InvalidUri)
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(DownloadError::InvalidUri)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(port(p)?),
                None if after.is_empty() => None,
                None => return Err(DownloadError::InvalidUri),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(port(p)?)),
                None => (authority, None),
            }
        };
        let valid_host = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if !valid_host {
            return Err(DownloadError::InvalidUri);
        }
        let uri = Self {
            scheme,
            host,
            port,
            path,
            query,
        };
        uri.path_segments()
            .chain(uri.query_args())
            .try_for_each(|s| s.map(drop))?;
        Ok(uri)
    }

    /// The Uri-Path option values (RFC 7252 6.4, step 8): every segment of the path,
    /// percent-decoded, empty ones included; none for an empty path.
    pub fn path_segments(&self) -> impl Iterator<Item = Result<String, DownloadError>> + 'a {
        let path = self.path;
        (!path.is_empty())
            .then(|| path.split('/'))
            .into_iter()
            .flatten()
            .map(percent_decode)
    }

    /// The Uri-Query option values (RFC 7252 6.4, step 9): every `&`-separated argument of the
    /// query, percent-decoded; none for an empty or absent query.
    pub fn query_args(&self) -> impl Iterator<Item = Result<String, DownloadError>> + 'a {
        self.query
            .filter(|q| !q.is_empty())
            .map(|q| q.split('&'))
            .into_iter()
            .flatten()
            .map(percent_decode)
    }
}

/// `raw` with each `%XX` replaced by the byte it stands for (RFC 3986 2.1); anything else is
/// taken as it is. [`DownloadError::InvalidUri`] for a `%` not followed by two hex digits and
/// for bytes that are not UTF-8 (CoAP's Uri-Path and Uri-Query are strings).
fn percent_decode(raw: &str) -> Result<String, DownloadError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let mut digit = || {
            bytes
                .next()
                .and_then(|d| char::from(d).to_digit(16))
                .ok_or(DownloadError::InvalidUri)
        };
        let (high, low) = (digit()?, digit()?);
        out.push(((high << 4) | low) as u8);
    }
    String::from_utf8(out).map_err(|_| DownloadError::InvalidUri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{format, vec};

    #[test]
    fn uris_read_into_their_parts() {
        let u = DownloadUri::parse("coap://fw.example:5684/images/v2.bin?arch=m4").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port, u.path, u.query),
            (
                Scheme::Coap,
                "fw.example",
                Some(5684),
                "images/v2.bin",
                Some("arch=m4")
            )
        );
        let u = DownloadUri::parse("HTTPS://[2001:db8::1]/x").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port),
            (Scheme::Https, "2001:db8::1", None)
        );
        for (bad, e) in [
            ("coap//no-scheme", DownloadError::InvalidUri),
            ("coap://", DownloadError::InvalidUri),
            ("coap://host:99999/x", DownloadError::InvalidUri),
            ("coap://[::1/x", DownloadError::InvalidUri),
            ("coap://a b/x", DownloadError::InvalidUri),
            ("ftp://host/x", DownloadError::UnsupportedScheme),
        ] {
            assert_eq!(DownloadUri::parse(bad), Err(e), "{bad}");
        }
    }

    fn options(uri: &str) -> (Vec<String>, Vec<String>) {
        let u = DownloadUri::parse(uri).unwrap();
        (
            u.path_segments().map(Result::unwrap).collect(),
            u.query_args().map(Result::unwrap).collect(),
        )
    }

    #[test]
    fn path_segments_and_query_args_are_percent_decoded() {
        assert_eq!(
            options("coap://h/fw/v2.bin?arch=m4&rev=2"),
            (
                vec!["fw".into(), "v2.bin".into()],
                vec!["arch=m4".into(), "rev=2".into()]
            )
        );
        assert_eq!(
            options("coap://h/a%20b/%e2%82%AC%2F?q%3D1=%26&x+y"),
            (
                vec!["a b".into(), "\u{20ac}/".into()],
                vec!["q=1=&".into(), "x+y".into()]
            )
        );
        // RFC 7252 6.4: no Uri-Path for an empty path or `/`; empty segments otherwise count.
        assert_eq!(options("coap://h"), (vec![], vec![]));
        assert_eq!(options("coap://h/?"), (vec![], vec![]));
        assert_eq!(
            options("coap://h/a//b/"),
            (vec!["a".into(), "".into(), "b".into(), "".into()], vec![])
        );
        for bad in [
            "coap://h/a%2",
            "coap://h/a%zz",
            "coap://h/%",
            "coap://h/x?a=%4",
            "coap://h/%ff",
        ] {
            assert_eq!(
                DownloadUri::parse(bad),
                Err(DownloadError::InvalidUri),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_uri_may_fill_the_255_bytes_of_the_package_uri_and_no_more() {
        let hash = "9f".repeat(32);
        let name = format!("coap://h/{}", "s".repeat(DownloadUri::MAX_LEN - 9));
        assert_eq!(name.len(), 255);
        assert_eq!(options(&name).0, ["s".repeat(246)]);
        assert_eq!(options(&format!("coap://h/{hash}")).0, [hash]);
        assert_eq!(
            DownloadUri::parse(&format!("{name}t")),
            Err(DownloadError::InvalidUri)
        );
    }
}
