//! What a person watching an update wants to see: one line per state change, and a
//! progress bar while the image travels.

use std::io::Write;

use lwm2m_runtime::Enumeration;

use crate::server::{Event, Job};

/// Prints events to stdout; the progress bar redraws one line.
#[derive(Default)]
pub struct Reporter {
    bar_open: bool,
    last_percent: Option<u32>,
    /// When the current transfer's first bytes went.
    transfer_start: Option<std::time::Instant>,
    /// When the current job began.
    job_start: Option<std::time::Instant>,
}

impl Reporter {
    /// Prints a line from elsewhere (the board's output), closing the progress bar first.
    pub fn line(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        if self.bar_open {
            let _ = writeln!(out);
            self.bar_open = false;
            self.last_percent = None;
        }
        let _ = writeln!(out, "{text}");
    }

    /// Prints one event; `jobs` names the job an event is about.
    pub fn event(&mut self, jobs: &[Job], event: &Event) {
        let mut out = std::io::stdout().lock();
        if let Event::Progress { done, total } = event {
            let started = *self
                .transfer_start
                .get_or_insert_with(std::time::Instant::now);
            if done >= total {
                let secs = started.elapsed().as_secs_f64();
                self.transfer_start = None;
                let _ = write!(
                    out,
                    "\r  [{}] 100% {:>7}/{} KiB in {secs:.2} s ({:.0} KiB/s)\n",
                    "#".repeat(25),
                    total / 1024,
                    total / 1024,
                    f64::from(*total) / 1024.0 / secs.max(1e-6)
                );
                let _ = out.flush();
                self.bar_open = false;
                self.last_percent = None;
                return;
            }
            let percent = if *total == 0 {
                100
            } else {
                (u64::from(*done) * 100 / u64::from(*total)) as u32
            };
            if self.last_percent == Some(percent) {
                return;
            }
            self.last_percent = Some(percent);
            let filled = (percent / 4) as usize;
            let _ = write!(
                out,
                "\r  [{}{}] {percent:3}% {:>7}/{} KiB",
                "#".repeat(filled),
                " ".repeat(25 - filled.min(25)),
                done / 1024,
                total / 1024
            );
            let _ = out.flush();
            self.bar_open = true;
            return;
        }
        if self.bar_open {
            let _ = writeln!(out);
            self.bar_open = false;
            self.last_percent = None;
        }
        let line = match event {
            Event::Registered { endpoint, .. } => format!("server: {endpoint} registered"),
            Event::Version(v) => format!("server: /3/0/3 Firmware Version = {v}"),
            Event::State(s) => {
                format!("server: /5/0/3 State = {} ({})", s.value(), s.label())
            }
            Event::Result(r) => {
                format!(
                    "server: /5/0/5 Update Result = {} ({})",
                    r.value(),
                    r.label()
                )
            }
            Event::Rssi(dbm) => format!("server: /4/0/2 Radio Signal Strength = {dbm} dBm"),
            Event::WaitingForSignal { rssi, min } => {
                format!("server: signal {rssi} dBm is below {min} dBm: waiting before the push")
            }
            Event::Attempt { job, attempt } => {
                if *attempt == 1 {
                    self.job_start = Some(std::time::Instant::now());
                }
                self.transfer_start = None;
                let name = jobs.get(*job).map_or("?", |j| j.name.as_str());
                format!("server: === {name} (attempt {attempt}) ===")
            }
            Event::PushRefused { code } => {
                format!(
                    "server: the device refused the push with {}",
                    crate::coap::code_text(*code)
                )
            }
            Event::UpdateExecuted => "server: executed /5/0/2 Update".to_owned(),
            Event::Cancelled => "server: executed /5/0/10 Cancel".to_owned(),
            Event::JobDone { job, outcome } => {
                let name = jobs.get(*job).map_or("?", |j| j.name.as_str());
                format!(
                    "server: {name}: {} -- State {}, Update Result {} ({}), running {}, after {:.1} s",
                    if outcome.as_expected {
                        "as expected"
                    } else {
                        "NOT as expected"
                    },
                    outcome.state.value(),
                    outcome.result.value(),
                    outcome.result.label(),
                    outcome.version,
                    self.job_start.map_or(0.0, |t| t.elapsed().as_secs_f64())
                )
            }
            Event::Finished(ok) => format!(
                "server: all jobs done, {}",
                if *ok {
                    "all as expected"
                } else {
                    "some NOT as expected"
                }
            ),
            Event::Progress { .. } => return,
        };
        let _ = writeln!(out, "{line}");
    }
}
