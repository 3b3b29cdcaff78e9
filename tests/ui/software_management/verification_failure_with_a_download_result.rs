// A failed check reports 53 or 54; "connection lost" (52) belongs to downloads.
use lwm2m_objects::lwm2m_software_management::machine::{Current, Machine, VerificationFailure};

fn main() {
    let mut machine = Machine::new();
    if let Current::Downloaded(downloaded) = machine.current() {
        downloaded.verification_failed(VerificationFailure::ConnectionLost);
    }
}
