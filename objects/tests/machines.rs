//! The generated state machines of Firmware Update (/5) and Software Management (/9): the
//! typestate handles walk the diagrams, and the run-time table agrees with them.

use lwm2m_objects::firmware_update::machine::{
    Current, DownloadFailure, Event, Machine, Spec as FotaSpec,
};
use lwm2m_objects::firmware_update::{State, UpdateResult};
use lwm2m_objects::lwm2m_software_management as swm;
use lwm2m_runtime::Enumeration;
use lwm2m_runtime::machine::{MachineSpec, Refused};

fn at(m: &Machine) -> (u8, u8) {
    (m.state() as u8, m.result() as u8)
}

#[test]
fn a_firmware_update_walks_the_diagram_through_its_handles() {
    let mut m = Machine::new();
    let Current::Idle(idle) = m.current() else {
        panic!("a new machine is Idle")
    };
    let downloaded = idle.start_download().downloaded();
    assert_eq!(downloaded.machine().state(), State::Downloaded);
    let deferred = downloaded.defer();
    assert_eq!(deferred.machine().result(), UpdateResult::Deferred);
    let failed = deferred.start_update().failed();
    assert_eq!(at(failed.machine()), (2, 8), "back to Downloaded with 8");
    let Current::Downloaded(again) = m.current() else {
        panic!("{m:?}")
    };
    again.start_update().succeeded();
    assert_eq!(at(&m), (0, 1));
    assert_eq!(m.changes(), 7, "one change per transition");
}

#[test]
fn every_download_failure_is_a_result_of_its_edge() {
    let expected = [2u8, 3, 4, 5, 6, 7, 9];
    let failures = [
        DownloadFailure::NotEnoughFlash,
        DownloadFailure::OutOfRam,
        DownloadFailure::ConnectionLost,
        DownloadFailure::IntegrityCheckFailure,
        DownloadFailure::UnsupportedPackageType,
        DownloadFailure::InvalidUri,
        DownloadFailure::UnsupportedProtocol,
    ];
    for (why, code) in failures.into_iter().zip(expected) {
        let mut m = Machine::new();
        let Current::Idle(idle) = m.current() else {
            panic!()
        };
        idle.start_download().failed(why);
        assert_eq!(at(&m), (0, code));
        assert_eq!(UpdateResult::from(why).value(), i64::from(code));
        assert_eq!(DownloadFailure::try_from(UpdateResult::from(why)), Ok(why));
    }
    assert_eq!(
        DownloadFailure::try_from(UpdateResult::UpdateFailed),
        Err(Refused),
        "8 is not a download failure"
    );
}

#[test]
fn server_events_are_checked_against_the_table_at_run_time() {
    let mut m = Machine::new();
    assert_eq!(
        m.fire_default(Event::StartUpdate),
        Err(Refused),
        "Update in Idle"
    );
    assert_eq!(
        m.fire_default(Event::Cancel),
        Err(Refused),
        "nothing to cancel"
    );
    assert_eq!(m.fire_default(Event::StartDownload), Ok(State::Downloading));
    assert_eq!(
        m.fire(Event::Failed, UpdateResult::UpdateFailed),
        Err(Refused),
        "8 does not end a download"
    );
    assert_eq!(
        m.fire(Event::Failed, UpdateResult::InvalidUri),
        Ok(State::Idle)
    );
    assert_eq!(at(&m), (0, 7));
    m.fire_default(Event::StartDownload).unwrap();
    m.fire_default(Event::Downloaded).unwrap();
    m.fire_default(Event::StartUpdate).unwrap();
    for refused in [
        Event::Cancel,
        Event::Reset,
        Event::StartDownload,
        Event::Defer,
    ] {
        assert_eq!(
            m.fire_default(refused),
            Err(Refused),
            "{refused:?} while Updating"
        );
    }
    assert_eq!(m.state(), State::Updating, "refusals change nothing");
}

#[test]
fn the_handles_and_the_table_agree_edge_by_edge() {
    // For every row of the table, the handle of its `from` state makes the same move.
    for t in <FotaSpec as MachineSpec>::TRANSITIONS {
        for &result in t.results {
            let mut by_table = Machine::restore(0, 0).unwrap();
            // Reach `from` along the table itself.
            let path: &[Event] = match t.from {
                State::Idle => &[],
                State::Downloading => &[Event::StartDownload],
                State::Downloaded => &[Event::StartDownload, Event::Downloaded],
                State::Updating => &[Event::StartDownload, Event::Downloaded, Event::StartUpdate],
            };
            for e in path {
                by_table.fire_default(*e).unwrap();
            }
            let mut by_handle = by_table.clone();
            assert_eq!(by_table.fire(t.event, result), Ok(t.to), "{t:?}");
            by_handle_step(&mut by_handle, t.event, result);
            assert_eq!(by_handle, by_table, "{t:?} with {result:?}");
        }
    }
}

fn by_handle_step(m: &mut Machine, event: Event, result: UpdateResult) {
    match (m.current(), event) {
        (Current::Idle(h), Event::StartDownload) => {
            h.start_download();
        }
        (Current::Idle(h), Event::Reset) => {
            h.reset();
        }
        (Current::Downloading(h), Event::Downloaded) => {
            h.downloaded();
        }
        (Current::Downloading(h), Event::Failed) => {
            h.failed(DownloadFailure::try_from(result).unwrap());
        }
        (Current::Downloading(h), Event::Cancel) => {
            h.cancel();
        }
        (Current::Downloading(h), Event::Reset) => {
            h.reset();
        }
        (Current::Downloaded(h), Event::Cancel) => {
            h.cancel();
        }
        (Current::Downloaded(h), Event::Reset) => {
            h.reset();
        }
        (Current::Downloaded(h), Event::StartUpdate) => {
            h.start_update();
        }
        (Current::Downloaded(h), Event::Defer) => {
            h.defer();
        }
        (Current::Updating(h), Event::Succeeded) => {
            h.succeeded();
        }
        (Current::Updating(h), Event::Failed) => {
            h.failed();
        }
        (Current::Updating(h), Event::IntegrityFailed) => {
            h.integrity_failed();
        }
        (other, e) => panic!("no handle method for {e:?} in {other:?}"),
    }
}

#[test]
fn restore_refuses_what_flash_cannot_honestly_hold() {
    assert_eq!(at(&Machine::restore(3, 0).unwrap()), (3, 0));
    assert_eq!(at(&Machine::restore(2, 11).unwrap()), (2, 11), "deferred");
    assert_eq!(
        Machine::restore(1, 1),
        Err(Refused),
        "Downloading after a success"
    );
    assert_eq!(Machine::restore(3, 5), Err(Refused), "Updating with 5");
    assert_eq!(Machine::restore(4, 0), Err(Refused), "no State 4");
    assert_eq!(Machine::restore(0, 12), Err(Refused), "no Update Result 12");
}

#[test]
fn software_management_installs_and_uninstalls() {
    use swm::machine::{Current, DownloadFailure, Event, Machine, VerificationFailure};
    use swm::{UpdateResult, UpdateState};

    let mut m = Machine::new();
    assert_eq!(
        (m.state(), m.result()),
        (UpdateState::Initial, UpdateResult::Initial)
    );
    let Current::Initial(initial) = m.current() else {
        panic!()
    };
    let delivered = initial.start_download().downloaded().verified();
    assert_eq!(delivered.machine().result(), UpdateResult::Verified);
    let installed = delivered.install_failed().installed();
    assert_eq!(installed.machine().result(), UpdateResult::Installed);
    installed.prepare_for_update_failed().uninstall();
    assert_eq!(
        (m.state(), m.result()),
        (UpdateState::Initial, UpdateResult::Initial)
    );

    let Current::Initial(initial) = m.current() else {
        panic!()
    };
    initial
        .start_download()
        .download_failed(DownloadFailure::ConnectionLost);
    assert_eq!(m.result().value(), 52);
    let Current::Initial(initial) = m.current() else {
        panic!()
    };
    initial
        .start_download()
        .downloaded()
        .verification_failed(VerificationFailure::UnsupportedPackageType);
    assert_eq!((m.state().value(), m.result().value()), (0, 54));
    assert_eq!(
        m.fire_default(Event::Uninstall),
        Err(Refused),
        "nothing to uninstall"
    );
    assert_eq!(m.fire_default(Event::Installed), Err(Refused));
}
