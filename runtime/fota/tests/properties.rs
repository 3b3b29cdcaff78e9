//! Random sequences of server operations, downloads, corrupt packages and reboots against the
//! update agent: it never panics, never reaches a State and Update Result pair the
//! specification does not have, never changes state in a way the operation cannot cause,
//! reaches Downloaded only with a package that verifies, and a reboot finds what was left.

mod support;

use coap_lite::{CoapOption, Packet};
use lwm2m_runtime::client::Peer;
use proptest::prelude::*;
use support::*;

#[derive(Clone, Debug)]
enum Op {
    /// A Block1 write to /5/0/0 of a piece of the package.
    Push {
        num: u32,
        more: bool,
        szx: u8,
        len: usize,
        size1: Option<u32>,
    },
    /// The whole package pushed in 1 KiB blocks, intact or with one byte flipped.
    PushAll { corrupt: bool },
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
    ServeBlock { etag: u8 },
    /// Time passes.
    Advance(u64),
    /// The device reboots (only the flash survives).
    Reboot,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..6, any::<bool>(), 0u8..=6, 0usize..=1024, proptest::option::of(0u32..90_000))
            .prop_map(|(num, more, szx, len, size1)| Op::Push { num, more, szx, len, size1 }),
        2 => any::<bool>().prop_map(|corrupt| Op::PushAll { corrupt }),
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
        3 => (0u8..2).prop_map(|etag| Op::ServeBlock { etag }),
        1 => (1u64..400_000).prop_map(Op::Advance),
        1 => Just(Op::Reboot),
    ]
}

/// The State and Update Result pairs LwM2M has: Update Result is 0 while downloading or
/// updating; Downloaded carries 0, 8 (an update failed) or 11 (deferred); Idle anything but 11.
fn legal(state: State, result: u8) -> bool {
    match state {
        State::Idle => result != 11,
        State::Downloading | State::Updating => result == 0,
        State::Downloaded => matches!(result, 0 | 8 | 11),
    }
}

const ANSWERS: [&str; 10] = [
    "2.04", "2.05", "2.31", "4.00", "4.04", "4.05", "4.08", "4.13", "4.15", "5.00",
];

/// How the running download began, to know what a reboot can resume.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Started {
    Push,
    Uri,
}

struct Run {
    fw: Firmware,
    h: Harness,
    package: Vec<u8>,
    started: Option<Started>,
}

impl Run {
    fn send(&mut self, request: Request) -> Packet {
        self.h.send(dev!(self.fw), request)
    }

    /// Boots a copy of the flash and returns what the agent reports there.
    fn state_after_reboot(&mut self) -> (State, u8) {
        let bytes = self.fw.flash_mut().memory().clone();
        let copy = boot(NorSim::new(bytes).unwrap(), Settings::default());
        state(&copy)
    }
}

fn check(
    run: &mut Run,
    op: &Op,
    before: (State, u8),
    r: Option<Packet>,
) -> Result<(), TestCaseError> {
    let now = state(&run.fw);
    prop_assert!(legal(now.0, now.1), "{op:?}: illegal pair {now:?}");
    if let Some(r) = r {
        prop_assert!(
            ANSWERS.contains(&code_str(&r).as_str()),
            "{op:?}: answered {}",
            code_str(&r)
        );
    }
    // Updating is entered only by Update; Success only by a boot.
    if now.0 == State::Updating && before.0 != State::Updating {
        prop_assert!(
            matches!(op, Op::Update),
            "{op:?} moved {before:?} to Updating"
        );
    }
    if now.1 == 1 && before.1 != 1 {
        prop_assert!(matches!(op, Op::Reboot), "{op:?} reported Success");
    }
    // Downloaded only with a package that verifies.
    if now.0 == State::Downloaded && before.0 != State::Downloaded {
        let capacity = LAYOUT.image_capacity();
        let slot = dfu(&mut run.fw, capacity as usize);
        let key = keys::dev_public_key().unwrap();
        prop_assert!(
            mcuboot::verify_bytes(&slot, capacity, &key).is_ok(),
            "{op:?}: Downloaded with a package that does not verify"
        );
    }
    // A reboot finds the same State and Update Result, except that a push in flight cannot
    // resume (Idle with Connection lost) and an install under way is decided by the boot.
    if now.0 != State::Updating {
        let again = run.state_after_reboot();
        if now.0 == State::Downloading && run.started == Some(Started::Push) {
            prop_assert_eq!(again, (State::Idle, 4));
        } else {
            prop_assert_eq!(again, now, "{:?}", op);
        }
    }
    Ok(())
}

fn apply(run: &mut Run, op: &Op) -> Result<Option<Packet>, TestCaseError> {
    Ok(match op {
        Op::Push {
            num,
            more,
            szx,
            len,
            size1,
        } => {
            let size = 16usize << szx;
            let start = (*num as usize * size).min(run.package.len());
            let end = (start + len).min(run.package.len());
            let mut req = Request::new(PUT, "/5/0/0")
                .format(42)
                .block1(*num, *more, *szx)
                .payload(&run.package[start..end]);
            if let Some(s) = size1 {
                req = req.uint(CoapOption::Size1, *s);
            }
            if *num == 0 && state(&run.fw).0 == State::Idle {
                run.started = Some(Started::Push);
            }
            Some(run.send(req))
        }
        Op::PushAll { corrupt } => {
            let mut data = run.package.clone();
            if *corrupt {
                data[2000] ^= 0x40;
            }
            if state(&run.fw).0 == State::Idle {
                run.started = Some(Started::Push);
            }
            push(&mut run.h, &mut run.fw, &data, 6).pop()
        }
        Op::Uri(uri) => {
            if !uri.is_empty() && state(&run.fw).0 == State::Idle {
                run.started = Some(Started::Uri);
            }
            Some(
                run.send(
                    Request::new(PUT, "/5/0/1")
                        .format(0)
                        .payload(uri.as_bytes()),
                ),
            )
        }
        Op::ResetNul => Some(run.send(Request::new(PUT, "/5/0/0").format(42).payload(&[0]))),
        Op::Update => Some(run.send(Request::new(POST, "/5/0/2"))),
        Op::Cancel => Some(run.send(Request::new(POST, "/5/0/10"))),
        Op::Forbidden(path, code) => {
            let r = run.send(Request::new(*code, path).format(0).payload(b"1"));
            prop_assert!(
                code_str(&r).starts_with('4'),
                "{op:?} answered {}",
                code_str(&r)
            );
            Some(r)
        }
        Op::ServeBlock { etag } => {
            run.h.pump(dev!(run.fw));
            if let Some(get) = run.h.take_download() {
                let (num, _, szx) = block(&get, CoapOption::Block2).unwrap_or((0, false, 6));
                let size = 16usize << szx;
                let total = run.package.len();
                let start = (num as usize * size).min(total);
                let end = (start + size).min(total);
                let payload = run.package[start..end].to_vec();
                run.h
                    .reply(dev!(run.fw), Peer::Download, &get, code(2, 5), |r| {
                        r.add_option(CoapOption::Block2, block_value(num, end < total, szx));
                        r.add_option(CoapOption::ETag, vec![*etag]);
                        r.add_option(CoapOption::Size2, uint_value(total as u32));
                        r.payload = payload;
                    });
            }
            None
        }
        Op::Advance(ms) => {
            run.h.advance(dev!(run.fw), *ms);
            None
        }
        Op::Reboot => {
            let fw = std::mem::replace(&mut run.fw, fresh(Settings::default()));
            let mut flash = fw.into_flash();
            flash.power_on();
            run.fw = boot(flash, Settings::default());
            run.h = client();
            run.h.register(dev!(run.fw));
            None
        }
    })
}

fn play(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut run = Run {
        fw: fresh(Settings::default()),
        h: client(),
        package: image(6000),
        started: None,
    };
    run.h.register(dev!(run.fw));
    for op in &ops {
        let before = state(&run.fw);
        let response = apply(&mut run, op)?;
        run.h.pump(dev!(run.fw));
        let _ = run.h.ack_all(dev!(run.fw));
        run.h.to_download.clear();
        check(&mut run, op, before, response)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_server_operations_keep_the_machine_legal(ops in proptest::collection::vec(op(), 1..30)) {
        play(ops)?;
    }
}
