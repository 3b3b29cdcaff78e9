//! The client's heap stays bounded over random fault schedules on the simulated network.
//!
//! A counting allocator sees every allocation; the simulation calls [`ClientHeap::enter`] and
//! [`ClientHeap::leave`] around each call into the client, so what the client allocates and
//! frees is told apart from what the simulator does between calls. The heap the client holds
//! is the running sum of what each call left allocated, less the datagrams it handed out
//! (they belong to the caller from then on); its peak is that plus the peak within a call.
//!
//! It runs without the libtest harness (`harness = false`) so that nothing allocates on
//! another thread while it measures. `cargo test -p lwm2m-tests --test network_heap` prints
//! the peak and the bound; `LWM2M_SOAK=1` runs 16 times more schedules.

mod netsim;

use netsim::faults::schedules;
use netsim::sim::Meter;
use netsim::{Profile, Sim};
use peak_alloc::PeakAlloc;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Datagrams the client may hold at once: 2 exchanges in flight (one per peer) and 8 queued
/// behind them, each keeping its bytes for retransmission; 16 datagrams waiting to be handed
/// out; 8 cached responses for duplicate detection.
const DATAGRAMS_HELD: usize = 2 + 8 + 16 + 8;

/// The largest datagram of this simulation (the Register, about 100 bytes; notifications
/// and read responses of one small integer are smaller), with room to spare.
const LARGEST_DATAGRAM: usize = 160;

/// What one call may use on top: parsing a datagram into a `Packet` and building the answer
/// (the `heap` test measures 0.4 to 1.5 KiB per request kind).
const WORKING: usize = 2048;

/// The bound: every datagram slot full of the largest datagram, plus one call's working heap.
const BOUND: usize = DATAGRAMS_HELD * LARGEST_DATAGRAM + WORKING;

/// The client's heap, measured around each call into it.
#[derive(Default)]
struct ClientHeap {
    before: usize,
    /// Bytes the client holds between calls.
    held: isize,
    /// The most it held, or used within a call on top of what it held.
    peak: usize,
}

impl Meter for ClientHeap {
    fn enter(&mut self) {
        self.before = HEAP.current_usage();
        HEAP.reset_peak_usage();
    }

    fn leave(&mut self, handed_out: usize) {
        let within = HEAP.peak_usage().saturating_sub(self.before);
        self.peak = self.peak.max(self.held.max(0) as usize + within);
        self.held += HEAP.current_usage() as isize - self.before as isize - handed_out as isize;
    }
}

fn main() {
    let runs = if netsim::soak() { 24 * 16 } else { 24 };
    let mut runner = TestRunner::deterministic();
    let strategy = schedules(Profile::current(), netsim::quiet_ms);
    let (mut peak, mut held_at_end, mut largest, mut datagrams) = (0, 0, 0, 0);
    for run in 0..runs {
        let schedule = strategy
            .new_tree(&mut runner)
            .expect("a schedule")
            .current();
        let mut sim = Sim::with_meter(&schedule, ClientHeap::default());
        sim.start();
        let end = sim.timeline.end;
        sim.run_until(end);
        let (run_peak, run_held) = (sim.meter.peak, sim.meter.held);
        let report = sim.finish();
        let run_largest = report.sent.iter().map(|s| s.len).max().unwrap_or(0);
        assert!(
            run_largest <= LARGEST_DATAGRAM,
            "run {run}: a {run_largest}-byte datagram; the bound assumes at most \
             {LARGEST_DATAGRAM}\n{schedule:?}"
        );
        assert!(
            run_peak <= BOUND,
            "run {run}: the client's heap peaked at {run_peak} B, bound {BOUND} B\n{schedule:?}"
        );
        peak = peak.max(run_peak);
        held_at_end = held_at_end.max(run_held);
        largest = largest.max(run_largest);
        datagrams += report.sent.len();
    }
    println!(
        "network heap: {runs} schedules, {datagrams} datagrams sent (largest {largest} B): \
         the client's heap peaked at {peak} B (bound {BOUND} B), held at most {held_at_end} B \
         at the end of a run"
    );
}
