//! What a campaign came to: per device, per wave, and in all; as JSON for machines and as a
//! summary for people.

use std::fmt::Write as _;
use std::hash::Hash;

use lwm2m_runtime::Enumeration;
use serde::Serialize;

use super::{Campaign, CampaignEvent, Phase, Status};
use crate::server::Event;
use crate::server::Method;

/// Why a campaign halted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Halt {
    /// The wave, from 0.
    pub wave: usize,
    /// Its failed devices.
    pub failures: usize,
    /// How many it was allowed.
    pub limit: usize,
}

/// One device.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceReport {
    /// Its endpoint name.
    pub endpoint: String,
    /// `enrolling`, `queued`, `skipped`, `updating`, `updated` or `failed`.
    pub status: &'static str,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Its wave, from 0.
    pub wave: Option<usize>,
    /// `push` or `pull`.
    pub method: Option<&'static str>,
    /// Attempts made.
    pub attempts: u32,
    /// Image bytes sent to it (pushed, or served to its download), retransmissions included.
    pub bytes: u64,
    /// From its wave's start to its end (or to now), in seconds.
    pub seconds: Option<f64>,
    /// The version it ran when it enrolled.
    pub from_version: Option<String>,
    /// The version it runs (/3/0/3).
    pub version: Option<String>,
    /// /5/0/3 State at the end.
    pub state: Option<u8>,
    /// /5/0/5 Update Result at the end.
    pub result: Option<u8>,
    /// The Update Result's name.
    pub result_label: Option<&'static str>,
}

/// One wave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaveReport {
    /// Its index, from 0.
    pub wave: usize,
    /// Its devices.
    pub devices: usize,
    /// Updated.
    pub updated: usize,
    /// Failed.
    pub failed: usize,
}

/// A whole campaign.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Its name.
    pub campaign: String,
    /// The version it brings.
    pub version: String,
    /// `enrolling`, `running`, `halted` or `done`.
    pub status: &'static str,
    /// Why it halted.
    pub halted: Option<Halt>,
    /// Each wave started.
    pub waves: Vec<WaveReport>,
    /// Each device that registered, in endpoint order.
    pub devices: Vec<DeviceReport>,
}

pub(super) fn build<A: Clone + Eq + Hash>(c: &Campaign<A>, now: u64) -> Report {
    let mut devices: Vec<DeviceReport> = c
        .members
        .iter()
        .map(|m| {
            let view = m.server.device();
            let (status, reason) = match &m.status {
                Status::Enrolling => ("enrolling", None),
                Status::Queued => ("queued", None),
                Status::Skipped(why) => ("skipped", Some(why.clone())),
                Status::Updating => ("updating", None),
                Status::Updated => ("updated", None),
                Status::Failed(why) => ("failed", Some(why.clone())),
            };
            let stats = m.server.stats();
            let state = m.outcome.as_ref().map(|o| o.state).or(view.state);
            let result = m.outcome.as_ref().map(|o| o.result).or(view.result);
            DeviceReport {
                endpoint: m.endpoint.clone(),
                status,
                reason,
                wave: m.wave,
                method: m.method.as_ref().map(|method| match method {
                    Method::Push { .. } => "push",
                    Method::Pull { .. } => "pull",
                }),
                attempts: m.outcome.as_ref().map_or(0, |o| o.attempts),
                bytes: stats.bytes_pushed + stats.bytes_served,
                seconds: m
                    .started
                    .map(|s| m.ended.unwrap_or(now).saturating_sub(s) as f64 / 1000.0),
                from_version: m.from_version.clone(),
                version: m
                    .outcome
                    .as_ref()
                    .map(|o| o.version.clone())
                    .or(view.version.map(str::to_owned)),
                state: state.map(|s| s.value() as u8),
                result: result.map(|r| r.value() as u8),
                result_label: result.map(|r| r.label()),
            }
        })
        .collect();
    devices.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    let last_wave = devices.iter().filter_map(|d| d.wave).max();
    let waves = (0..last_wave.map_or(0, |w| w + 1))
        .map(|wave| {
            let of = |status: &str| {
                devices
                    .iter()
                    .filter(|d| d.wave == Some(wave) && d.status == status)
                    .count()
            };
            WaveReport {
                wave,
                devices: devices.iter().filter(|d| d.wave == Some(wave)).count(),
                updated: of("updated"),
                failed: of("failed"),
            }
        })
        .collect();
    Report {
        campaign: c.plan.name.clone(),
        version: c.plan.version.clone(),
        status: match c.phase {
            Phase::Enrolling(_) => "enrolling",
            Phase::Wave { .. } => "running",
            Phase::Halted(_) => "halted",
            Phase::Done => "done",
        },
        halted: c.halted(),
        waves,
        devices,
    }
}

impl Report {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Devices with this status.
    pub fn count(&self, status: &str) -> usize {
        self.devices.iter().filter(|d| d.status == status).count()
    }

    /// A few lines for people: the totals, each wave, why it halted, and each failure.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "campaign {} (to {}): {}; {} devices: {} updated, {} failed, {} skipped, {} not yet updated",
            self.campaign,
            self.version,
            self.status,
            self.devices.len(),
            self.count("updated"),
            self.count("failed"),
            self.count("skipped"),
            self.count("queued") + self.count("updating") + self.count("enrolling"),
        );
        for w in &self.waves {
            let _ = writeln!(
                out,
                "  wave {}: {} devices, {} updated, {} failed",
                w.wave, w.devices, w.updated, w.failed
            );
        }
        if let Some(h) = self.halted {
            let _ = writeln!(
                out,
                "  HALTED after wave {}: {} failed, {} allowed; resume to go on",
                h.wave, h.failures, h.limit
            );
        }
        for d in self.devices.iter().filter(|d| d.status == "failed") {
            let _ = writeln!(
                out,
                "  failed: {} ({})",
                d.endpoint,
                d.reason.as_deref().unwrap_or("?")
            );
        }
        out
    }
}

impl CampaignEvent {
    /// A line for people, for what is worth one; a device's own events only when they
    /// register it or end its update.
    pub fn describe(&self) -> Option<String> {
        Some(match self {
            CampaignEvent::Device { endpoint, event } => match event {
                Event::Registered { .. } => format!("campaign: {endpoint} registered"),
                Event::WaitingForSignal { rssi, min } => {
                    format!("campaign: {endpoint} waits for its signal ({rssi} dBm, {min} needed)")
                }
                Event::JobDone { outcome, .. } => format!(
                    "campaign: {endpoint} {}: {}",
                    if outcome.as_expected {
                        "updated"
                    } else {
                        "FAILED"
                    },
                    outcome.describe()
                ),
                _ => return None,
            },
            CampaignEvent::Enrolled { endpoint, status } => match status {
                Status::Skipped(why) => format!("campaign: {endpoint} skipped: {why}"),
                _ => format!("campaign: {endpoint} enrolled"),
            },
            CampaignEvent::WaveStarted { wave, devices } => {
                format!(
                    "campaign: wave {wave} starts with {} devices",
                    devices.len()
                )
            }
            CampaignEvent::WaveDone {
                wave,
                updated,
                failed,
            } => format!("campaign: wave {wave} done: {updated} updated, {failed} failed"),
            CampaignEvent::Halted(h) => format!(
                "campaign: HALTED after wave {}: {} failed, {} allowed",
                h.wave, h.failures, h.limit
            ),
            CampaignEvent::Finished => "campaign: every wave is done".to_owned(),
        })
    }
}
