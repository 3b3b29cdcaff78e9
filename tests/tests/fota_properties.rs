//! Random sequences of server operations, downloads, failures and reboots against the /5
//! state machine: it never panics, never reaches a State and Update Result pair the
//! specification does not have, never changes state in a way the operation cannot cause,
//! and every snapshot restores.

mod common;

use coap_lite::{CoapOption, Packet};
use common::*;
use lwm2m_runtime::client::{Client, Config, Device, FirmwareSettings, Peer};
use lwm2m_runtime::fota::{FotaError, State, UpdateResult};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// A Block1 write to /5/0/0.
    Push {
        num: u32,
        more: bool,
        szx: u8,
        len: usize,
        size1: Option<u32>,
    },
    /// A Package URI write.
    Uri(&'static str),
    /// The package reset by one NUL byte.
    ResetNul,
    /// POST /5/0/2 Update.
    Update,
    /// POST /5/0/10 Cancel.
    Cancel,
    /// A write or execute the object does not allow.
    Forbidden(&'static str, u8),
    /// The download server answers the client's pending GET with a block.
    ServeBlock { etag: u8, total: u32 },
    /// The download server stays silent for a while.
    Advance(u64),
    /// The next storage call fails.
    Fault(FotaError),
    /// The board reboots from its snapshot and reports how the boot went.
    Reboot(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..6, any::<bool>(), 0u8..=6, 0usize..=1024, proptest::option::of(0u32..9000))
            .prop_map(|(num, more, szx, len, size1)| Op::Push { num, more, szx, len, size1 }),
        2 => prop_oneof![
            Just(""),
            Just("coap://fw.example/img.bin"),
            Just("coaps://fw.example/img.bin"),
            Just("http://fw.example/img.bin"),
            Just("not a uri"),
            Just("coap://[::1/"),
        ]
        .prop_map(Op::Uri),
        1 => Just(Op::ResetNul),
        2 => Just(Op::Update),
        1 => Just(Op::Cancel),
        1 => prop_oneof![
            Just(("/5/0/3", PUT)),
            Just(("/5/0/5", PUT)),
            Just(("/5/0/3", POST)),
            Just(("/5/0/1", POST)),
        ]
        .prop_map(|(path, code)| Op::Forbidden(path, code)),
        3 => (0u8..2, 500u32..4000).prop_map(|(etag, total)| Op::ServeBlock { etag, total }),
        1 => (1u64..400_000).prop_map(Op::Advance),
        1 => prop_oneof![
            Just(FotaError::NoSpace),
            Just(FotaError::Integrity),
            Just(FotaError::UnsupportedPackage),
            Just(FotaError::UpdateFailed),
        ]
        .prop_map(Op::Fault),
        1 => any::<bool>().prop_map(Op::Reboot),
    ]
}

fn client() -> Harness {
    Harness::new(
        Client::new(Config::new("prop-1").unwrap(), 11).with_firmware(FirmwareSettings::default()),
    )
}

macro_rules! dev {
    ($storage:expr) => {
        &mut Device::new(&mut []).with_firmware(&mut $storage)
    };
}

/// The State and Update Result pairs LwM2M has: Update Result is 0 while downloading or
/// updating; Downloaded carries 0, 8 (an update failed) or 11 (deferred); Idle anything but 11.
fn legal(state: State, result: UpdateResult) -> bool {
    let r = result as u8;
    match state {
        State::Idle => r != 11,
        State::Downloading | State::Updating => r == 0,
        State::Downloaded => matches!(r, 0 | 8 | 11),
    }
}

const ANSWERS: [&str; 10] = [
    "2.04", "2.05", "2.31", "4.00", "4.04", "4.05", "4.08", "4.13", "4.15", "5.00",
];

fn check(
    h: &mut Harness,
    storage: &mut MemoryStorage,
    op: &Op,
    before: (State, UpdateResult),
    r: Option<Packet>,
) -> Result<(), TestCaseError> {
    let now = h.client.firmware_state().unwrap();
    prop_assert!(legal(now.0, now.1), "{op:?}: illegal pair {now:?}");
    if let Some(r) = r {
        prop_assert!(
            ANSWERS.contains(&code_str(&r).as_str()),
            "{op:?}: answered {}",
            code_str(&r)
        );
    }
    // Updating is entered only by Update; Success only by a successful boot.
    if now.0 == State::Updating && before.0 != State::Updating {
        prop_assert!(
            matches!(op, Op::Update),
            "{op:?} moved {before:?} to Updating"
        );
    }
    if now.1 == UpdateResult::Success && before.1 != UpdateResult::Success {
        prop_assert!(matches!(op, Op::Reboot(true)), "{op:?} reported Success");
    }
    // Downloaded only with a package the storage verified.
    if now.0 == State::Downloaded && before.0 != State::Downloaded {
        prop_assert!(
            !storage.data.is_empty() || storage.package.is_some(),
            "{op:?}: Downloaded with nothing stored"
        );
    }
    // Every snapshot restores to the same State and Update Result (a push in flight cannot
    // resume across a reboot: it restores as Idle with Connection Lost).
    let snapshot = h.client.firmware_snapshot().unwrap();
    let mut restored = client();
    prop_assert!(restored.client.restore_firmware(&snapshot).is_ok());
    let again = restored.client.firmware_state().unwrap();
    let push_in_flight = now.0 == State::Downloading
        && h.client.download_peer().is_none()
        && h.client.download_uri().is_none();
    if push_in_flight {
        prop_assert_eq!(again, (State::Idle, UpdateResult::ConnectionLost));
    } else {
        prop_assert_eq!(again, now);
    }
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut storage = MemoryStorage::new(4096);
    let mut h = client();
    h.register(dev!(storage));
    for op in &ops {
        let before = h.client.firmware_state().unwrap();
        let mut response = None;
        match op {
            Op::Push {
                num,
                more,
                szx,
                len,
                size1,
            } => {
                let payload: Vec<u8> = (0..*len).map(|i| i as u8 | 1).collect();
                let mut req = Request::new(PUT, "/5/0/0")
                    .format(42)
                    .block1(*num, *more, *szx)
                    .payload(&payload);
                if let Some(s) = size1 {
                    req = req.uint(CoapOption::Size1, *s);
                }
                response = Some(h.send(dev!(storage), req));
            }
            Op::Uri(uri) => {
                response = Some(
                    h.send(
                        dev!(storage),
                        Request::new(PUT, "/5/0/1")
                            .format(0)
                            .payload(uri.as_bytes()),
                    ),
                );
            }
            Op::ResetNul => {
                response = Some(h.send(
                    dev!(storage),
                    Request::new(PUT, "/5/0/0").format(42).payload(&[0]),
                ));
            }
            Op::Update => response = Some(h.send(dev!(storage), Request::new(POST, "/5/0/2"))),
            Op::Cancel => response = Some(h.send(dev!(storage), Request::new(POST, "/5/0/10"))),
            Op::Forbidden(path, code) => {
                let r = h.send(
                    dev!(storage),
                    Request::new(*code, path).format(0).payload(b"1"),
                );
                prop_assert!(
                    code_str(&r).starts_with('4'),
                    "{op:?} answered {}",
                    code_str(&r)
                );
                response = Some(r);
            }
            Op::ServeBlock { etag, total } => {
                h.pump(dev!(storage));
                if let Some(get) = h.take_download() {
                    let (num, _, szx) = block(&get, CoapOption::Block2).unwrap_or((0, false, 6));
                    let size = 16u32 << szx;
                    let start = num * size;
                    let end = (start + size).min(*total);
                    let payload: Vec<u8> = (start..end.max(start)).map(|i| i as u8).collect();
                    h.reply(dev!(storage), Peer::Download, &get, code(2, 5), |r| {
                        r.add_option(CoapOption::Block2, block_value(num, end < *total, szx));
                        r.add_option(CoapOption::ETag, vec![*etag]);
                        r.add_option(CoapOption::Size2, uint_value(*total));
                        r.payload = payload;
                    });
                }
            }
            Op::Advance(ms) => h.advance(dev!(storage), *ms),
            Op::Fault(e) => {
                storage.fail_begin = Some(*e).filter(|e| *e == FotaError::NoSpace);
                storage.fail_finish = Some(*e).filter(|e| *e == FotaError::Integrity);
                storage.fail_write_at =
                    Some((0, *e)).filter(|(_, e)| *e == FotaError::UnsupportedPackage);
                storage.fail_install = Some(*e).filter(|e| *e == FotaError::UpdateFailed);
            }
            Op::Reboot(ok) => {
                let snapshot = h.client.firmware_snapshot().unwrap();
                h = client();
                h.client.restore_firmware(&snapshot).unwrap();
                if h.client.firmware_state().unwrap().0 == State::Updating {
                    let _ = h.client.firmware_booted(h.now, dev!(storage), *ok);
                }
                h.register(dev!(storage));
            }
        }
        h.pump(dev!(storage));
        let _ = h.ack_all(dev!(storage));
        h.to_download.clear();
        check(&mut h, &mut storage, op, before, response)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_server_operations_keep_the_machine_legal(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}
