//! The downloader: a resource fetched over CoAP with Block2 (RFC 7959) for the object that
//! asked ([`Context::download`](super::Context::download)), each block handed to it as it
//! arrives, resumed from the last block delivered after a timeout or a change of network.
//!
//! # A resource that changes under the download
//!
//! Every answer is checked against the first one (or, on a resume, against what the owner
//! knew: [`DownloadRequest::etag`] and [`DownloadRequest::size`]):
//!
//! * another ETag, or none where there was one, is [`DownloadError::Changed`];
//! * every request asks for the size (Size2 0, RFC 7959 4), so a server that reports it shows
//!   a resource that grew or shrank on any block: another Size2 is `Changed`, and so is a
//!   last block that ends anywhere but at the known size, or before bytes already delivered.
//!   (RFC 7959 lets Size2 be an estimate; it is taken as exact here, as it is for the static
//!   files a package download fetches.)
//!
//! Not detected: a change that keeps the size on a server that sends no ETag, and any change
//! on a server that sends neither ETag nor Size2 (a resume then trusts that the bytes before
//! it are still the resource's). The owner's check of the whole image (a firmware signature)
//! is the last line of defence for those.

extern crate alloc;

use super::context::{DownloadError, DownloadEvent, DownloadRequest, DownloadUri, Scheme};
use super::transport::{Purpose, confirmable};
use super::{Client, Device, Instant, Peer};
use crate::block::Block;
use crate::coap::{self, CoapOption, Message};

/// Whether this build downloads (the `pull` feature). Without it nothing starts a download,
/// and the code that would carry one is left out of the build.
const PULL: bool = cfg!(feature = "pull");

/// How long a download waits on a silent server before it gives up with
/// [`DownloadError::Unreachable`], counted from the first request left unanswered: two
/// minutes. A block request is retransmitted as RFC 7252 says (up to 93 s), then resumed
/// after a backoff, and cut off here; [`Client::connection_changed`] starts the count again.
pub(crate) const SILENCE_LIMIT_MS: u64 = 120_000;

/// Attempts in a row that bring no new bytes (no answer, a server error, an answer for
/// another block than asked) before a download gives up. Each one backs off longer before
/// asking again: 4 s, 8 s, 16 s.
const MAX_FAILURES: u8 = 4;

/// A download in progress.
#[derive(Clone, Debug, Default, PartialEq)]
struct Pull {
    /// The object it is for.
    owner: u16,
    /// The URI, read again for the host and port ([`Client::download_peer`]).
    uri: heapless::String<{ DownloadUri::MAX_LEN }>,
    /// A GET with the URI's Uri-Path and Uri-Query options: each block request is a copy.
    get: Message,
    /// The resource's ETag: a block with another one is from another resource.
    etag: heapless::Vec<u8, 8>,
    /// The resource's size, once known (Size2, or the owner's on a resume): an answer with
    /// another one is from another resource.
    size: Option<u32>,
    /// Whether the first answer was handed over ([`DownloadEvent::Started`]).
    started: bool,
    /// Bytes delivered so far: the next request asks for the block at this offset.
    offset: u32,
    szx: u8,
    /// Failed attempts in a row; resumes back off.
    failures: u8,
    resume_at: Option<Instant>,
    in_flight: bool,
    /// Since when the server has not answered, if it has not (see [`SILENCE_LIMIT_MS`]).
    silent_since: Option<Instant>,
    /// The number of the block last asked for.
    asked: u32,
}

impl Pull {
    /// An attempt that brought nothing (`why`): ask again after a backoff, or give up with
    /// `error` after [`MAX_FAILURES`] of them in a row.
    fn setback(
        &mut self,
        now: Instant,
        why: &'static str,
        error: DownloadError,
    ) -> Result<bool, DownloadError> {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= MAX_FAILURES {
            warn!(
                "download: {} for block {}, {} times in a row; giving up",
                why, self.asked, self.failures
            );
            return Err(error);
        }
        let wait = 2_000u64 << self.failures.min(6);
        warn!(
            "download: {} for block {}; asking again in {} ms",
            why, self.asked, wait
        );
        self.resume_at = Some(now.after(wait));
        Ok(false)
    }
}

/// The client's one download slot.
#[derive(Debug, Default)]
pub(crate) struct Downloader {
    pull: Option<Pull>,
    /// A download ended while its request was in flight: stop retransmitting it.
    abandon: bool,
    /// Counts starts and cancels, so a delivery can tell that its object stopped the
    /// download it was delivering.
    generation: u32,
}

/// What one answer gives the owner, in order.
pub(super) struct Fetched<'p> {
    pub events: heapless::Vec<DownloadEvent<'p>, 3>,
}

impl Downloader {
    /// Starts a download for object `owner` (see [`super::Context::download`]).
    pub(super) fn start(
        &mut self,
        owner: u16,
        request: &DownloadRequest<'_>,
    ) -> Result<(), DownloadError> {
        let started = self.try_start(owner, request);
        match started {
            Ok(()) => info!("download: for object {}, from byte {}", owner, request.from),
            Err(e) => warn!("download: refused for object {}: {:?}", owner, e),
        }
        started
    }

    fn try_start(
        &mut self,
        owner: u16,
        request: &DownloadRequest<'_>,
    ) -> Result<(), DownloadError> {
        if !PULL {
            return Err(DownloadError::UnsupportedScheme);
        }
        if self.pull.as_ref().is_some_and(|p| p.owner != owner) {
            return Err(DownloadError::Busy);
        }
        let uri = DownloadUri::parse(request.uri)?;
        // coaps:// too: the runner carries Peer::Download over DTLS
        // (`Client::download_is_secure`); the object decides whether it offers it.
        if !matches!(uri.scheme, Scheme::Coap | Scheme::Coaps) {
            return Err(DownloadError::UnsupportedScheme);
        }
        let mut get = confirmable(coap::GET);
        for segment in uri.path_segments() {
            get.add_option(CoapOption::UriPath, segment?.as_bytes());
        }
        for arg in uri.query_args() {
            get.add_option(CoapOption::UriQuery, arg?.as_bytes());
        }
        let pull = Pull {
            owner,
            uri: heapless::String::try_from(request.uri).map_err(|_| DownloadError::InvalidUri)?,
            get,
            etag: heapless::Vec::from_slice(request.etag.get(..8).unwrap_or(request.etag))
                .unwrap_or_default(),
            size: request.size,
            offset: request.from,
            szx: Block::MAX_SZX,
            ..Pull::default()
        };
        self.abandon |= self.pull.as_ref().is_some_and(|p| p.in_flight);
        self.pull = Some(pull);
        self.generation = self.generation.wrapping_add(1);
        Ok(())
    }

    /// Stops `owner`'s download, if it has one.
    pub(super) fn cancel(&mut self, owner: u16) {
        if let Some(p) = self.pull.take_if(|p| p.owner == owner) {
            self.abandon |= p.in_flight;
            self.generation = self.generation.wrapping_add(1);
        }
    }

    /// The object the download is for.
    pub(super) fn owner(&self) -> Option<u16> {
        if !PULL {
            return None;
        }
        self.pull.as_ref().map(|p| p.owner)
    }

    /// When the next block request is due, or the server has been silent too long.
    pub(super) fn deadline(&self) -> Option<Instant> {
        if !PULL {
            return None;
        }
        let p = self.pull.as_ref()?;
        let give_up = p.silent_since.map(|s| s.after(SILENCE_LIMIT_MS));
        let next = (!p.in_flight).then(|| p.resume_at.unwrap_or_default());
        next.into_iter().chain(give_up).min()
    }

    /// The GET for the next block, when one is due; blocks are at most `max_block` bytes.
    /// An error ends the download: the server has been silent for [`SILENCE_LIMIT_MS`]
    /// ([`DownloadError::Unreachable`]), or the next block's number does not fit its 20 bits
    /// ([`DownloadError::TooLarge`]).
    fn next_request(
        &mut self,
        now: Instant,
        max_block: usize,
    ) -> Option<Result<Message, DownloadError>> {
        if !PULL {
            return None;
        }
        let p = self.pull.as_mut()?;
        if let Some(since) = p.silent_since
            && now >= since.after(SILENCE_LIMIT_MS)
        {
            warn!(
                "download: no answer for {} ms; giving up at byte {}",
                now.since(since),
                p.offset
            );
            self.abandon |= p.in_flight;
            self.pull = None;
            return Some(Err(DownloadError::Unreachable));
        }
        if p.in_flight || p.resume_at.is_some_and(|at| at > now) {
            return None;
        }
        let szx = p.szx.min(Block::szx_for(max_block));
        p.szx = szx;
        let num = p.offset >> (u32::from(szx) + 4);
        let mut request = p.get.clone();
        if coap::set_block_option(
            &mut request,
            CoapOption::Block2,
            Block::new(num, false, szx),
        )
        .is_err()
        {
            warn!(
                "download: byte {} is in block {}, past what Block2 numbers (20 bits); giving up",
                p.offset, num
            );
            self.pull = None;
            return Some(Err(DownloadError::TooLarge));
        }
        // The size with every block: a resource that changes size shows on any of them.
        coap::set_uint_option(&mut request, CoapOption::Size2, 0);
        if p.failures > 0 {
            info!("download: asking for block {} again", num);
        }
        p.in_flight = true;
        p.silent_since = p.silent_since.or(Some(now));
        p.asked = num;
        p.resume_at = None;
        Some(Ok(request))
    }

    /// Reads the answer to a block request (`None`: reset or timed out): what it gives the
    /// owner. The download ends with [`DownloadEvent::Finished`] or a failure.
    fn on_response<'p>(&mut self, now: Instant, response: Option<&'p Message>) -> Fetched<'p> {
        let mut out = Fetched {
            events: heapless::Vec::new(),
        };
        let Some(pull) = self.pull.as_mut() else {
            return out;
        };
        pull.in_flight = false;
        let ended = match Self::read(pull, now, response, &mut out) {
            Ok(finished) => finished,
            Err(e) => {
                let _ = out.events.push(DownloadEvent::Failed(e));
                true
            }
        };
        if ended {
            self.pull = None;
        }
        out
    }

    /// Whether the download finished; an error when it failed.
    fn read<'p>(
        pull: &mut Pull,
        now: Instant,
        response: Option<&'p Message>,
        out: &mut Fetched<'p>,
    ) -> Result<bool, DownloadError> {
        let Some(p) = response else {
            // No answer: resume later from the last block delivered, until the silence has
            // lasted too long (or the server resets too often).
            return pull.setback(now, "no answer", DownloadError::Unreachable);
        };
        pull.silent_since = None;
        let code = p.code;
        match code >> 5 {
            2 => {}
            // The server is in trouble: try again later, as for a timeout.
            5 => return pull.setback(now, "a server error", DownloadError::Unreachable),
            // Not found, bad request and the like: the URI names nothing to download.
            _ => {
                warn!(
                    "download: answered {}.{:02} for block {}; giving up",
                    code >> 5,
                    code & 0x1f,
                    pull.asked
                );
                return Err(DownloadError::NotFound);
            }
        }
        let block = match coap::block_option(p, CoapOption::Block2) {
            Some(Ok(b)) => b,
            Some(Err(_)) => {
                warn!("download: a malformed Block2 for block {}", pull.asked);
                return Err(DownloadError::BadResponse);
            }
            // Without Block2 an answer is the whole resource: what was asked for only if that
            // was its start (an answer that ignores Block2 would end a resumed download early).
            None if pull.asked != 0 => {
                warn!("download: no Block2 in the answer for block {}", pull.asked);
                return Err(DownloadError::BadResponse);
            }
            None => Block::new(0, false, pull.szx),
        };
        let etag = p.option(CoapOption::ETag).unwrap_or(&[]);
        if !pull.etag.is_empty() && etag != pull.etag.as_slice() {
            warn!("download: the ETag changed at block {}", pull.asked);
            return Err(DownloadError::Changed);
        }
        if pull.etag.is_empty() {
            pull.etag =
                heapless::Vec::from_slice(etag.get(..8).unwrap_or(etag)).unwrap_or_default();
        }
        let size = match coap::uint_option(p, CoapOption::Size2) {
            None => None,
            Some(Ok(size)) => Some(size),
            Some(Err(_)) => {
                warn!("download: a malformed Size2 for block {}", pull.asked);
                return Err(DownloadError::BadResponse);
            }
        };
        if let (Some(known), Some(size)) = (pull.size, size)
            && known != size
        {
            warn!(
                "download: the size changed from {} to {} at block {}",
                known, size, pull.asked
            );
            return Err(DownloadError::Changed);
        }
        pull.size = pull.size.or(size);
        let Some(offset) = block.offset() else {
            warn!("download: block {} is past 4 GiB", block.num);
            return Err(DownloadError::BadResponse);
        };
        let end = offset.saturating_add(p.payload.len() as u32);
        if offset > pull.offset || (end <= pull.offset && block.more) {
            // Not the bytes asked for: a server that keeps doing it is given up on.
            return pull.setback(now, "another block", DownloadError::BadResponse);
        }
        let last = !block.more;
        if (last && end < pull.offset) || pull.size.is_some_and(|s| end > s || (last && end != s)) {
            // The resource ends elsewhere than it did or than it says: it is another one.
            warn!(
                "download: the resource ends at byte {}, not at {:?} ({} delivered)",
                end, pull.size, pull.offset
            );
            return Err(DownloadError::Changed);
        }
        if !pull.started {
            pull.started = true;
            let _ = out.events.push(DownloadEvent::Started {
                total: pull.size,
                etag,
            });
        }
        // The server may answer with smaller blocks than asked: keep to its size.
        pull.szx = pull.szx.min(block.szx);
        if end > pull.offset {
            let fresh = p
                .payload
                .get((pull.offset - offset) as usize..)
                .unwrap_or(&[]);
            let _ = out.events.push(DownloadEvent::Data {
                offset: pull.offset,
                bytes: fresh,
            });
            pull.offset = end;
            pull.failures = 0;
        }
        if block.more {
            return Ok(false);
        }
        info!("download: finished, {} bytes", pull.offset);
        let _ = out.events.push(DownloadEvent::Finished);
        Ok(true)
    }
}

impl Client {
    /// The network came back (or changed: a new address, a modem that attached again): the
    /// exchanges in flight are sent again at once, a Register waiting for its backoff goes
    /// now, a registered device sends an Update (so the server learns its new address), and
    /// a stalled download resumes from the last block delivered.
    pub fn connection_changed(&mut self, now: Instant) {
        for s in &mut self.servers {
            self.transport.kick(now, s.peer());
            s.registrar.connection_changed(now);
        }
        if let Some(pull) = self.downloads.pull.as_mut() {
            info!(
                "download: the connection changed; going on from byte {}",
                pull.offset
            );
            pull.failures = 0;
            // The silence of the old path says nothing about the new one.
            pull.silent_since = pull.silent_since.map(|_| now);
            if pull.in_flight {
                self.transport.kick(now, Peer::Download);
            } else {
                pull.resume_at = Some(now);
            }
        }
    }

    /// Host and port of the download in progress, for the runner to address
    /// [`Peer::Download`] datagrams (without a port in the URI: 5683 for `coap://`, 5684 for
    /// `coaps://`).
    pub fn download_peer(&self) -> Option<(&str, u16)> {
        let pull = self.downloads.pull.as_ref()?;
        let uri = DownloadUri::parse(&pull.uri).ok()?;
        let default = if uri.scheme == Scheme::Coaps {
            5684
        } else {
            5683
        };
        Some((uri.host, uri.port.unwrap_or(default)))
    }

    /// Whether the download in progress is over `coaps://`: the runner then carries
    /// [`Peer::Download`] datagrams over DTLS.
    pub fn download_is_secure(&self) -> bool {
        self.downloads
            .pull
            .as_ref()
            .and_then(|pull| DownloadUri::parse(&pull.uri).ok())
            .is_some_and(|uri| uri.scheme == Scheme::Coaps)
    }

    /// Requests the next block of the download in progress, when one is due; stops
    /// retransmitting a request whose download ended. A download that cannot go on ends here
    /// with [`DownloadEvent::Failed`].
    pub(super) fn tick_download(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        if core::mem::take(&mut self.downloads.abandon) {
            self.transport.abandon(Peer::Download);
        }
        let owner = self.downloads.owner();
        match self.downloads.next_request(now, self.config.max_block) {
            None => {}
            Some(Ok(p)) => {
                if self
                    .transport
                    .request(now, p, Peer::Download, Purpose::Fetch)
                    .is_err()
                    && let Some(pull) = self.downloads.pull.as_mut()
                {
                    // Not sent: ask again a little later.
                    pull.in_flight = false;
                    pull.resume_at = Some(now.after(super::transport::ACK_TIMEOUT_MS));
                }
            }
            Some(Err(e)) => {
                if core::mem::take(&mut self.downloads.abandon) {
                    self.transport.abandon(Peer::Download);
                }
                if let Some(owner) = owner {
                    self.deliver(now, owner, DownloadEvent::Failed(e), device);
                    self.poll_objects(now, device);
                }
            }
        }
    }

    /// The answer to a block request (`None`: reset or timed out), handed to the object the
    /// download is for.
    pub(super) fn on_fetch(
        &mut self,
        now: Instant,
        response: Option<Message>,
        device: &mut Device<'_, '_>,
    ) {
        let Some(owner) = self.downloads.owner() else {
            return;
        };
        let generation = self.downloads.generation;
        let fetched = self.downloads.on_response(now, response.as_ref());
        for event in fetched.events {
            self.deliver(now, owner, event, device);
            if self.downloads.generation != generation {
                // The owner stopped (or replaced) its download: the rest is not for it.
                break;
            }
        }
        self.poll_objects(now, device);
    }
}

/// Run by `firmware_target` (`cargo test -p lwm2m-runtime --no-default-features`).
#[cfg(all(test, not(feature = "pull")))]
mod without_pull {
    use super::*;

    #[test]
    fn without_pull_no_download_starts() {
        let mut downloads = Downloader::default();
        let request = DownloadRequest {
            uri: "coap://127.0.0.1:5683/fw.bin",
            from: 0,
            etag: &[],
            size: None,
        };
        assert_eq!(
            downloads.start(5, &request),
            Err(DownloadError::UnsupportedScheme)
        );
        assert_eq!(downloads.owner(), None);
        assert_eq!(downloads.deadline(), None);
        assert!(downloads.next_request(Instant(0), 1024).is_none());
    }
}
