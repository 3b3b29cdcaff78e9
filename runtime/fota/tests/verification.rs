//! The verification of a pushed package runs after the answer to its last block: the 2.04 goes
//! out before a single byte is hashed, whatever the image's size, and the polls that follow
//! hash it a bounded step at a time; State and Update Result carry the verdict.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use coap_lite::{CoapOption, Packet};
use lwm2m_fota::image::{Claim, ImageError, ImageInfo, Read, Verifier};
use lwm2m_fota::{DEFAULT_VERIFY_STEP, FirmwareUpdate, ImageError as Refusal};
use support::*;

/// 256 KiB images (and a little more, for the trailer) in 4 KiB sectors.
const BIG: Layout = Layout::new(4096, 4, 2, 66);
const IMAGE_LEN: usize = 256 * 1024;

/// What the verifier was asked to do.
#[derive(Default)]
struct Calls {
    begins: Cell<u32>,
    steps: Cell<u32>,
    /// The most bytes one step read.
    largest_step: Cell<usize>,
}

/// The MCUboot verifier, counting its calls and the bytes each step reads.
struct Counting {
    inner: Mcuboot,
    calls: Rc<Calls>,
}

impl Verifier for Counting {
    const HEADER_LEN: usize = <Mcuboot as Verifier>::HEADER_LEN;
    type Check = <Mcuboot as Verifier>::Check;

    fn claim(&self, header: &[u8]) -> Result<Claim, ImageError> {
        self.inner.claim(header)
    }

    fn begin(&self, read: Read<'_>, len: u32, capacity: u32) -> Result<Self::Check, ImageError> {
        self.calls.begins.set(self.calls.begins.get() + 1);
        self.inner.begin(read, len, capacity)
    }

    fn step(
        &self,
        check: &mut Self::Check,
        read: Read<'_>,
        budget: u32,
    ) -> Result<Option<ImageInfo>, ImageError> {
        self.calls.steps.set(self.calls.steps.get() + 1);
        let mut bytes = 0;
        let mut counted = |at: u32, buf: &mut [u8]| {
            bytes += buf.len();
            read(at, buf)
        };
        let r = self.inner.step(check, &mut counted, budget);
        self.calls
            .largest_step
            .set(self.calls.largest_step.get().max(bytes));
        r
    }
}

type Counted = FirmwareUpdate<Flash, Counting, EmbassyBoot>;

/// A device on a fresh factory flash of the big layout, and what its verifier was asked since
/// it booted (the boot verifies the running image).
fn device() -> (Counted, Rc<Calls>) {
    let mut flash = NorSim::new(vec![ERASED; BIG.size() as usize]).unwrap();
    let factory = mcuboot::sign(&body(2048, true), FACTORY, &dev_key());
    slot::provision(&mut flash, &BIG, &factory).unwrap();
    let bootloader = EmbassyBoot::new(BIG);
    bootloader.prepare_boot_4k(&mut flash).unwrap();
    let calls = Rc::new(Calls::default());
    let verifier = Counting {
        inner: Mcuboot::new(keys::dev_public_key().unwrap()),
        calls: Rc::clone(&calls),
    };
    let fw = FirmwareUpdate::boot(
        flash,
        BIG,
        verifier,
        bootloader,
        Settings::default(),
        self_test,
    )
    .map_err(|(_, e)| e)
    .unwrap();
    calls.begins.set(0);
    calls.steps.set(0);
    calls.largest_step.set(0);
    (fw, calls)
}

/// Pushes `data` in 1 KiB blocks; the answer to the last block, and how long the client took
/// to produce it (handling the block and polling until the answer came out).
fn push_all(h: &mut Harness, fw: &mut Counted, data: &[u8]) -> (Packet, std::time::Duration) {
    let blocks: Vec<&[u8]> = data.chunks(1024).collect();
    for (num, chunk) in blocks.iter().enumerate() {
        let last = num + 1 == blocks.len();
        let request = Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(num as u32, !last, 6)
            .uint(CoapOption::Size1, data.len() as u32)
            .payload(chunk);
        let started = std::time::Instant::now();
        let r = h.send(dev!(*fw), request);
        if last {
            return (r, started.elapsed());
        }
        assert_eq!(code_str(&r), "2.31", "block {num}");
    }
    unreachable!("an image has a last block")
}

/// State and Update Result, the result as its number.
fn state_of(fw: &Counted) -> (State, u8) {
    let (s, r) = fw.state();
    (s, u8::from(r))
}

/// The State values the server was notified of, in order.
fn notified_states(h: &mut Harness, fw: &mut Counted) -> Vec<String> {
    h.ack_until_quiet(dev!(*fw))
        .into_iter()
        .map(|p| String::from_utf8(p.payload).unwrap())
        .collect()
}

fn image_of(len: usize) -> Vec<u8> {
    let image = mcuboot::sign(&body(len - OVERHEAD, true), NEW, &dev_key());
    assert_eq!(image.len(), len);
    image
}

#[test]
fn the_last_block_is_answered_before_any_verification_and_polls_verify_in_bounded_steps() {
    let (mut fw, calls) = device();
    let mut h = client();
    h.register(dev!(fw));
    let r = h.send(
        dev!(fw),
        Request::new(GET, "/5/0/3").uint(CoapOption::Observe, 0),
    );
    assert_eq!(r.payload, b"0");

    let data = image_of(IMAGE_LEN);
    let (last, took) = push_all(&mut h, &mut fw, &data);
    assert_eq!(code_str(&last), "2.04", "the last block is acknowledged");
    assert_eq!(
        (calls.begins.get(), calls.steps.get()),
        (0, 0),
        "nothing was verified before the answer went out"
    );
    assert_eq!(state_of(&fw), (State::Downloading, 0), "verifying");
    println!("the last block of a 256 KiB image was answered in {took:?}");

    // The polls that follow verify it, a bounded step each, one a millisecond.
    let start = h.now;
    settle(&mut h, &mut fw);
    assert_eq!(state_of(&fw), (State::Downloaded, 0));
    let hashed = IMAGE_LEN - 144; // the TLVs after the hashed bytes are read, not hashed
    let hash_steps = hashed.div_ceil(DEFAULT_VERIFY_STEP as usize) as u32;
    assert_eq!(calls.begins.get(), 1);
    assert_eq!(
        calls.steps.get(),
        hash_steps + 1,
        "{hash_steps} steps of 4 KiB at most, then the signature"
    );
    assert!(
        calls.largest_step.get() <= DEFAULT_VERIFY_STEP as usize,
        "a step read {} bytes",
        calls.largest_step.get()
    );
    assert!(
        h.now.since(start) > u64::from(hash_steps),
        "at most one step a millisecond"
    );
    // The server heard Downloading, then Downloaded, and nothing else.
    assert_eq!(notified_states(&mut h, &mut fw), ["1", "2"]);
    assert_eq!(dfu_of(&mut fw, data.len()), data);
}

#[test]
fn a_bad_signature_is_answered_2_04_then_reported_as_an_integrity_failure() {
    let (mut fw, calls) = device();
    let mut h = client();
    h.register(dev!(fw));
    h.send(
        dev!(fw),
        Request::new(GET, "/5/0/5").uint(CoapOption::Observe, 0),
    );
    let mut data = image_of(64 * 1024);
    let at = data.len() - 1;
    data[at] ^= 1; // inside the signature
    let (last, _) = push_all(&mut h, &mut fw, &data);
    assert_eq!(code_str(&last), "2.04");
    assert_eq!(calls.steps.get(), 0, "not verified yet");
    assert_eq!(state_of(&fw), (State::Downloading, 0));

    settle(&mut h, &mut fw);
    assert_eq!(state_of(&fw), (State::Idle, 5), "Integrity check failure");
    assert!(calls.steps.get() > 16, "the whole image was hashed first");
    let refusals: Vec<Notice> = std::iter::from_fn(|| fw.take_notice())
        .filter(|n| matches!(n, Notice::Refused(_)))
        .collect();
    assert_eq!(refusals, [Notice::Refused(Refusal::BadSignature)]);
    // The observer of Update Result hears 5, after the 2.04, and nothing else but 0 before.
    let results: Vec<Vec<u8>> = h
        .ack_until_quiet(dev!(fw))
        .into_iter()
        .map(|p| p.payload)
        .collect();
    assert_eq!(
        results.last().map(Vec::as_slice),
        Some(&b"5"[..]),
        "{results:?}"
    );
    assert!(
        results.iter().rev().skip(1).all(|r| r == b"0"),
        "{results:?}"
    );
}

#[test]
fn a_push_started_over_while_verifying_drops_the_check_and_a_late_block_is_refused() {
    let (mut fw, calls) = device();
    let mut h = client();
    h.register(dev!(fw));
    let data = image_of(16 * 1024);
    push_all(&mut h, &mut fw, &data);
    // Two steps of the check, then a stray block after the last one: refused, and the check
    // goes on.
    h.advance(dev!(fw), 1);
    h.advance(dev!(fw), 1);
    assert_eq!(calls.steps.get(), 2);
    let r = h.send(
        dev!(fw),
        Request::new(PUT, "/5/0/0")
            .format(42)
            .block1(16, false, 6)
            .payload(&[0xAA; 100]),
    );
    assert_eq!(code_str(&r), "4.08");
    assert_eq!(state_of(&fw), (State::Downloading, 0));
    // The server starts over with another package: the check of the first one is dropped.
    let other = mcuboot::sign(&body(8 * 1024, true), Version::new(2, 1, 0, 0), &dev_key());
    let (last, _) = push_all(&mut h, &mut fw, &other);
    assert_eq!(code_str(&last), "2.04");
    settle(&mut h, &mut fw);
    assert_eq!(state_of(&fw), (State::Downloaded, 0));
    assert_eq!(calls.begins.get(), 2);
    assert_eq!(dfu_of(&mut fw, other.len()), other);
}

#[test]
fn an_install_verifies_the_package_again_a_step_a_poll_after_the_answer() {
    let (mut fw, calls) = device();
    let mut h = client();
    h.register(dev!(fw));
    let data = image_of(64 * 1024);
    push_all(&mut h, &mut fw, &data);
    settle(&mut h, &mut fw);
    let steps = calls.steps.get();
    let r = h.send(dev!(fw), Request::new(POST, "/5/0/2"));
    assert_eq!(code_str(&r), "2.04");
    assert_eq!(calls.steps.get(), steps, "not checked before the answer");
    assert_eq!(state_of(&fw), (State::Updating, 0));
    assert_eq!(fw.reboot_requested(), None);
    settle(&mut h, &mut fw);
    assert_eq!(calls.steps.get(), 2 * steps, "checked again, as many steps");
    assert_eq!(fw.reboot_requested(), Some(Reboot::Install));
}

/// The first `len` bytes of the download slot of the big layout.
fn dfu_of(fw: &mut Counted, len: usize) -> Vec<u8> {
    use embedded_storage::nor_flash::ReadNorFlash;
    let mut bytes = vec![0; len];
    fw.flash_mut().read(BIG.dfu.start, &mut bytes).unwrap();
    bytes
}
