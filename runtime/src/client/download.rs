//! The PULL downloader: a package fetched over CoAP with Block2 (RFC 7959) from the server a
//! Package URI names, each block written to the storage as it arrives, resumed from what
//! the storage holds after a timeout, a reboot or a change of network.

extern crate alloc;

use alloc::vec::Vec;

use super::firmware::FirmwareView;
use super::transport::{Purpose, confirmable};
use super::{Client, Device, Instant, Peer, storage_of};
use crate::block::Block;
use crate::coap::{self, CoapOption, Packet};
use crate::fota::{DownloadFailure, FirmwareStorage, FotaError, State};

/// Attempts that time out in a row before a pull gives up with Connection lost (4).
const MAX_PULL_FAILURES: u8 = 4;

/// A PULL over CoAP in progress.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Pull {
    pub host: heapless::String<64>,
    pub port: u16,
    pub path: heapless::Vec<heapless::String<32>, 8>,
    /// The package's ETag, from the first block: a block with another one is from another
    /// package.
    pub etag: heapless::Vec<u8, 8>,
    /// Whether the slot was prepared (`begin`) for this download.
    pub begun: bool,
    /// Bytes stored so far: the next request asks for the block at this offset.
    offset: u32,
    szx: u8,
    /// Failed attempts in a row (timeouts); resumes back off.
    failures: u8,
    resume_at: Option<Instant>,
    in_flight: bool,
}

/// What a response did to a download.
enum Fetched {
    /// More to fetch, now or after a pause.
    Pending,
    /// The last block is stored.
    Complete,
    /// The download failed.
    Failed(DownloadFailure),
}

impl Pull {
    /// A download from `host`:`port` in the largest blocks; the caller adds the path.
    pub(crate) fn new(host: heapless::String<64>, port: u16) -> Self {
        Self {
            host,
            port,
            szx: Block::MAX_SZX,
            ..Self::default()
        }
    }

    /// When the next block request is due (none while one is in flight).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        (!self.in_flight).then(|| self.resume_at.unwrap_or_default())
    }

    /// The GET for the next block, when one is due; blocks are at most `max_block` bytes.
    fn next_request(
        &mut self,
        now: Instant,
        storage: &dyn FirmwareStorage,
        max_block: usize,
    ) -> Option<Packet> {
        if self.in_flight || self.resume_at.is_some_and(|at| at > now) {
            return None;
        }
        if self.begun && self.offset == 0 {
            // Resuming after a reboot: from what the slot holds.
            self.offset = storage.written();
        }
        let szx = self.szx.min(Block::szx_for(max_block));
        self.szx = szx;
        let num = self.offset >> (u32::from(szx) + 4);
        let mut p = confirmable(coap::GET);
        for segment in &self.path {
            coap::add_option(&mut p, CoapOption::UriPath, segment.as_bytes());
        }
        coap::set_block_option(&mut p, CoapOption::Block2, Block::new(num, false, szx));
        if num == 0 {
            coap::set_uint_option(&mut p, CoapOption::Size2, 0);
        }
        self.in_flight = true;
        self.resume_at = None;
        Some(p)
    }

    /// Reads the answer to a block request (`None`: reset or timed out) and writes what it
    /// brings to the storage.
    fn on_response(
        &mut self,
        now: Instant,
        response: Option<Packet>,
        storage: &mut dyn FirmwareStorage,
    ) -> Fetched {
        self.in_flight = false;
        let Some(p) = response else {
            // No answer: resume later from the last block written, up to a limit.
            self.failures += 1;
            if self.failures >= MAX_PULL_FAILURES {
                return Fetched::Failed(DownloadFailure::ConnectionLost);
            }
            self.resume_at = Some(now.after(2_000u64 << self.failures));
            return Fetched::Pending;
        };
        let code = coap::code_of(&p);
        match code >> 5 {
            2 => {}
            // The server is in trouble: try again later, as for a timeout.
            5 => {
                self.failures += 1;
                self.resume_at = Some(now.after(2_000u64 << self.failures.min(6)));
                if self.failures >= MAX_PULL_FAILURES {
                    return Fetched::Failed(DownloadFailure::ConnectionLost);
                }
                return Fetched::Pending;
            }
            // Not found, bad request and the like: the URI does not name a package.
            _ => return Fetched::Failed(DownloadFailure::InvalidUri),
        }
        self.failures = 0;
        let block = match coap::block_option(&p, CoapOption::Block2) {
            Some(Ok(b)) => b,
            Some(Err(_)) => return Fetched::Failed(DownloadFailure::UnsupportedPackageType),
            None => Block::new(0, false, self.szx),
        };
        let etag = p
            .get_first_option(CoapOption::ETag)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if self.begun && !self.etag.is_empty() && etag != self.etag.as_slice() {
            // The package changed under the download: what is stored is a mix (Update Result 5).
            return Fetched::Failed(DownloadFailure::IntegrityCheckFailure);
        }
        if self.etag.is_empty() {
            self.etag = heapless::Vec::from_slice(etag.get(..etag.len().min(8)).unwrap_or(&[]))
                .unwrap_or_default();
        }
        if !self.begun {
            let total = coap::uint_option(&p, CoapOption::Size2).and_then(Result::ok);
            let result = match total {
                Some(t) if t > storage.capacity() => Err(FotaError::NoSpace),
                _ => storage.begin(total),
            };
            if let Err(e) = result {
                return Fetched::Failed(e.download_failure());
            }
            self.begun = true;
        }
        // The server may answer with smaller blocks than asked: keep to its size.
        self.szx = self.szx.min(block.szx);
        let Some(offset) = block.offset() else {
            return Fetched::Pending;
        };
        let end = offset.saturating_add(p.payload.len() as u32);
        if offset > self.offset {
            // Not the block asked for: ask again.
            return Fetched::Pending;
        }
        if end > self.offset {
            let fresh = p
                .payload
                .get((self.offset - offset) as usize..)
                .unwrap_or(&[]);
            if let Err(e) = storage.write(self.offset, fresh) {
                return Fetched::Failed(e.download_failure());
            }
            self.offset = end;
        }
        if block.more {
            Fetched::Pending
        } else {
            Fetched::Complete
        }
    }
}

impl Client {
    /// The network came back (or changed): resume a stalled PULL now, from the last block
    /// written.
    pub fn connection_changed(&mut self, now: Instant) {
        if let Some(pull) = self.firmware.as_mut().and_then(|fw| fw.pull.as_mut()) {
            pull.failures = 0;
            if pull.in_flight {
                self.transport.kick(now, Peer::Download);
            } else {
                pull.resume_at = Some(now);
            }
        }
    }

    /// Host and port of the PULL download in progress, for the board to address
    /// [`Peer::Download`] datagrams.
    pub fn download_peer(&self) -> Option<(&str, u16)> {
        let pull = self.firmware.as_ref()?.pull.as_ref()?;
        Some((pull.host.as_str(), pull.port))
    }

    /// Requests the next block of the PULL in progress, when one is due.
    pub(super) fn tick_download(&mut self, now: Instant, device: &mut Device<'_, '_>) {
        let (Some(fw), Some(storage)) = (self.firmware.as_mut(), storage_of(&mut device.firmware))
        else {
            return;
        };
        let Some(pull) = fw.pull.as_mut() else { return };
        if fw.machine.state() != State::Downloading {
            return;
        }
        if let Some(p) = pull.next_request(now, storage, self.config.max_block) {
            self.transport
                .request(now, p, Peer::Download, Purpose::Fetch);
        }
    }

    /// The answer to a block request (`None`: reset or timed out).
    pub(super) fn on_fetch(
        &mut self,
        now: Instant,
        response: Option<Packet>,
        device: &mut Device<'_, '_>,
    ) {
        let Some(fw) = self.firmware.as_mut() else {
            return;
        };
        let Some(storage) = storage_of(&mut device.firmware) else {
            return;
        };
        let Some(pull) = fw.pull.as_mut() else { return };
        match pull.on_response(now, response, storage) {
            Fetched::Pending => {}
            Fetched::Failed(why) => {
                fw.fail_download(why);
                fw.last_change = device.clock;
            }
            Fetched::Complete => {
                let mut view = FirmwareView {
                    state: fw,
                    storage,
                    clock: device.clock,
                    now,
                };
                let _ = view.finish_download();
                view.state.last_change = device.clock;
            }
        }
    }
}
