//! What an object may ask of the client between requests ([`Object::poll`]): tell observers
//! about a change now, be polled again at a time, download a URI block-wise.
//!
//! Objects with work of their own (Firmware Update, Software Management) use it; the others
//! never see it.
//!
//! [`Object::poll`]: crate::Object::poll

use super::Instant;
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

    /// Poll the object again no later than `at` (at once when `at` has passed).
    pub fn wake_at(&mut self, at: Instant) {
        self.asks.wake = Some(self.asks.wake.map_or(at, |w| w.min(at)));
    }

    /// Starts downloading `request.uri` block-wise (CoAP Block2), from byte `request.from`,
    /// for this object: what arrives is handed to [`Object::download`]. One download runs at
    /// a time; a new one from the same object replaces its old one.
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
    /// What to download: a `coap://` URI.
    pub uri: &'a str,
    /// The first byte wanted (what the object already holds, when it resumes).
    pub from: u32,
    /// The ETag the resource had when the download began (empty when unknown): a resource
    /// that answers with another one has changed under the download.
    pub etag: &'a [u8],
}

/// What a download delivers to its object, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadEvent<'a> {
    /// The first answer: the size when the server says it (Size2), and its ETag.
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
pub enum DownloadError {
    /// The URI is not a URI with a host (or its port is not a number).
    InvalidUri,
    /// The scheme is not one this client downloads.
    UnsupportedScheme,
    /// Another object's download is running.
    Busy,
    /// The server did not answer, after retries with backoff.
    Unreachable,
    /// The server answered with an error: no such resource, or not for us.
    NotFound,
    /// The resource changed during the download (another ETag).
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
    /// Reads `uri`. [`DownloadError::InvalidUri`] for anything that is not a URI with a host;
    /// [`DownloadError::UnsupportedScheme`] for a scheme other than coap, coaps, http, https.
    pub fn parse(uri: &'a str) -> Result<Self, DownloadError> {
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
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(DownloadError::InvalidUri)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse::<u16>().map_err(|_| DownloadError::InvalidUri)?),
                None if after.is_empty() => None,
                None => return Err(DownloadError::InvalidUri),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    Some(p.parse::<u16>().map_err(|_| DownloadError::InvalidUri)?),
                ),
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
        Ok(Self {
            scheme,
            host,
            port,
            path,
            query,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
