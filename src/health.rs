//! The server's own health, apart from its content: faults (the data folder
//! unwritable, the channel folder gone, an encoder of the loop down), what
//! each encoder of the broadcast loop is doing, and uptime. Shown on the
//! dashboard, in `/api/v1/status` and in `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::sync::Locked;

/// Something wrong with the server itself, each kind at most once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// The saved generation could not be read at start.
    OnAirLoad,
    /// The generation on air cannot be saved (a full disk).
    OnAirSave,
    /// The store cannot be written.
    Store,
    /// The audit log cannot be written.
    Audit,
    /// The channel folder is gone or empty.
    Channels,
    /// An encoder of the broadcast loop, by output name, is down.
    Loop(String),
}

impl std::fmt::Display for Fault {
    /// The fault's key, as the status API and the log name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::OnAirLoad => f.write_str("onair-load"),
            Fault::OnAirSave => f.write_str("onair-save"),
            Fault::Store => f.write_str("store"),
            Fault::Audit => f.write_str("audit"),
            Fault::Channels => f.write_str("channels"),
            Fault::Loop(output) => write!(f, "loop-{output}"),
        }
    }
}

/// What an encoder of the loop is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoopState {
    #[default]
    Starting,
    Playing,
    Restarting,
    Stopped,
}

/// What one encoder is doing, for the dashboard, `/api/v1/status` and `/metrics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoopStatus {
    /// `hls-sd`, `hls-hd`, `ts`.
    pub output: String,
    /// The profile its frames are drawn in.
    pub profile: String,
    /// Starting, playing, restarting or stopped.
    pub state: LoopState,
    /// The screen playing, by id and by title.
    pub screen: String,
    pub title: String,
    /// 1-based place of the screen in the loop.
    pub position: usize,
    /// The loop's length in screens.
    pub total: usize,
    /// Whether the alert page is on.
    pub alert: bool,
    /// Times the encoder died and was started again.
    pub restarts: u64,
    /// Frames fed to it since the server started.
    pub frames: u64,
    /// The encoder process now, if one runs.
    pub pid: Option<u32>,
    /// What the encoder said when it last died.
    pub last_error: Option<String>,
}

/// Faults, loop encoders and uptime.
pub struct Health {
    /// Fault → message in Chinese.
    faults: Mutex<BTreeMap<Fault, String>>,
    /// The loop's encoders, by output name.
    loops: Mutex<BTreeMap<String, LoopStatus>>,
    started: Instant,
}

impl Default for Health {
    fn default() -> Health {
        Health { faults: Mutex::default(), loops: Mutex::default(), started: Instant::now() }
    }
}

impl Health {
    pub fn new() -> Health {
        Health::default()
    }

    /// Reports a fault (`Some`) or its end (`None`); logged once when it
    /// starts and when it ends, shown to operators meanwhile.
    pub(crate) fn set_fault(&self, fault: Fault, message: Option<String>) {
        let mut faults = self.faults.locked();
        match message {
            Some(m) => {
                if faults.get(&fault) != Some(&m) {
                    tracing::error!(fault = %fault, "{m}");
                    faults.insert(fault, m);
                }
            }
            None => {
                if faults.remove(&fault).is_some() {
                    tracing::info!(fault = %fault, "recovered");
                }
            }
        }
    }

    /// The faults now, in a stable order.
    pub fn faults(&self) -> Vec<(Fault, String)> {
        self.faults.locked().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Sets (`Some`) or removes (`None`) what an encoder of the loop reports.
    pub(crate) fn set_loop_status(&self, output: &str, status: Option<LoopStatus>) {
        let mut loops = self.loops.locked();
        match status {
            Some(s) => loops.insert(output.to_string(), s),
            None => loops.remove(output),
        };
    }

    /// The loop's encoders now, by output name.
    pub(crate) fn loop_statuses(&self) -> Vec<LoopStatus> {
        self.loops.locked().values().cloned().collect()
    }

    /// Time since the server started.
    pub(crate) fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_kept_until_it_ends() {
        let h = Health::new();
        h.set_fault(Fault::Store, Some("满了".into()));
        h.set_fault(Fault::Loop("hls-sd".into()), Some("ffmpeg".into()));
        h.set_fault(Fault::Store, Some("满了".into()));
        let keys: Vec<String> = h.faults().iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(keys, ["store", "loop-hls-sd"]);
        h.set_fault(Fault::Store, None);
        assert_eq!(h.faults().len(), 1);
        assert_eq!(serde_json::to_value(LoopState::Restarting).unwrap(), "restarting");
    }
}
