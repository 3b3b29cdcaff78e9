//! What a person watching an update wants to see: one line per state change, and the
//! image's progress while it travels: a live bar (indicatif) on a terminal, plain lines at
//! every tenth otherwise, so that output piped to a file reads line by line.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lwm2m_runtime::Enumeration;

use crate::server::{Event, Job};

/// Prints events to stdout.
pub struct Reporter {
    /// Whether stdout is a terminal, where progress is a bar redrawn in place.
    terminal: bool,
    /// The bar of the transfer under way, on a terminal.
    bar: Option<ProgressBar>,
    /// The last tenth of the transfer printed as a line, elsewhere.
    last_tenth: Option<u64>,
    /// When the current transfer's first bytes went.
    transfer_start: Option<Instant>,
    /// When the current job began.
    job_start: Option<Instant>,
}

impl Default for Reporter {
    fn default() -> Self {
        Self::new(std::io::stdout().is_terminal())
    }
}

impl Reporter {
    /// A reporter that draws a live bar (`terminal`) or prints plain progress lines.
    pub fn new(terminal: bool) -> Self {
        Self {
            terminal,
            bar: None,
            last_tenth: None,
            transfer_start: None,
            job_start: None,
        }
    }

    /// Prints a line from elsewhere (the board's output), above the bar if one is drawn.
    pub fn line(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                let _ = writeln!(std::io::stdout().lock(), "{text}");
            }
        }
    }

    /// Shows how far the image has gone.
    fn progress(&mut self, done: u32, total: u32) {
        let started = *self.transfer_start.get_or_insert_with(Instant::now);
        let (done, total) = (u64::from(done), u64::from(total));
        if done >= total {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
            self.last_tenth = None;
            self.transfer_start = None;
            let secs = started.elapsed().as_secs_f64();
            self.line(&format!(
                "  transferred {} KiB in {secs:.2} s ({:.0} KiB/s)",
                total / 1024,
                total as f64 / 1024.0 / secs.max(1e-6)
            ));
            return;
        }
        if self.terminal {
            let bar = self.bar.get_or_insert_with(|| {
                // On stdout, with the lines printed above it (indicatif draws on stderr
                // unless told).
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stdout());
                let style = ProgressStyle::with_template(
                    "  [{bar:25}] {percent:>3}% {bytes:>9}/{total_bytes} {bytes_per_sec}",
                )
                .map(|s| s.progress_chars("#> "));
                if let Ok(style) = style {
                    bar.set_style(style);
                }
                bar
            });
            bar.set_length(total);
            bar.set_position(done);
            return;
        }
        let tenth = done * 10 / total.max(1);
        if self.last_tenth.is_some_and(|t| t >= tenth) || tenth == 0 {
            return;
        }
        self.last_tenth = Some(tenth);
        self.line(&format!(
            "  progress: {}% {}/{} KiB",
            tenth * 10,
            done / 1024,
            total / 1024
        ));
    }

    /// Prints one event; `jobs` names the job an event is about.
    pub fn event(&mut self, jobs: &[Job], event: &Event) {
        if let Event::Progress { done, total } = event {
            self.progress(*done, *total);
            return;
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
                format!(
                    "server: signal {rssi} dBm is below {min} dBm: waiting before sending the image"
                )
            }
            Event::Attempt { job, attempt } => {
                if *attempt == 1 {
                    self.job_start = Some(Instant::now());
                }
                self.transfer_start = None;
                self.last_tenth = None;
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
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
                    "server: {name}: {} -- {}, after {:.1} s",
                    if outcome.as_expected {
                        "as expected"
                    } else {
                        "NOT as expected"
                    },
                    outcome.describe(),
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
        self.line(&line);
    }
}
