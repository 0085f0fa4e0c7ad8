//! What renders did: why each ran ([`Trigger`]), its [`Report`], the last
//! few hundred of them, a duration histogram for `/metrics`, and a channel
//! every finished render is sent on (the store's recorder, the saver and
//! the live log subscribe).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::problem::Problem;
use crate::sync::Locked;

/// Why a render ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The server started.
    Start,
    /// `infotv render --out`.
    Export,
    /// Local midnight: a new day. What is dated by the day may change; the
    /// header's date is drawn by the shell, so no screen is drawn for it.
    Midnight,
    /// A scheduled publish or expiry came due.
    Schedule,
    /// Files changed: the first three (relative to the channel folder, or the
    /// folder itself by its path) and how many more.
    Files { names: Vec<String>, more: usize },
    /// Answers arrived: results screens show the new counts.
    Answers,
    /// Anything else a caller names (benchmarks, tools).
    Named(String),
}

impl std::fmt::Display for Trigger {
    /// The render log's text: `start`, `clock:midnight`, `files:a.md,b.md(+3)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Start => f.write_str("start"),
            Trigger::Export => f.write_str("export"),
            Trigger::Midnight => f.write_str("clock:midnight"),
            Trigger::Schedule => f.write_str("clock:schedule"),
            Trigger::Answers => f.write_str("answers"),
            Trigger::Files { names, more } => {
                write!(f, "files:{}", names.join(","))?;
                if *more > 0 {
                    write!(f, "(+{more})")?;
                }
                Ok(())
            }
            Trigger::Named(name) => f.write_str(name),
        }
    }
}

impl From<&str> for Trigger {
    /// Reads the render log's text back (the store keeps it as text).
    fn from(text: &str) -> Trigger {
        match text {
            "start" => Trigger::Start,
            "export" => Trigger::Export,
            "clock:midnight" => Trigger::Midnight,
            "clock:schedule" => Trigger::Schedule,
            "answers" => Trigger::Answers,
            _ => match text.strip_prefix("files:") {
                Some(files) => {
                    let (names, more) = match files.rsplit_once("(+") {
                        Some((names, n)) => match n.strip_suffix(')').and_then(|n| n.parse().ok()) {
                            Some(more) => (names, more),
                            None => (files, 0),
                        },
                        None => (files, 0),
                    };
                    Trigger::Files { names: names.split(',').map(String::from).collect(), more }
                }
                None => Trigger::Named(text.to_string()),
            },
        }
    }
}

impl serde::Serialize for Trigger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What one render did, for the render log.
#[derive(Debug, Clone)]
pub struct Report {
    /// Why it ran.
    pub trigger: Trigger,
    /// From the start of loading to the generation assembled.
    pub duration: Duration,
    /// Screens of the generation, all profiles.
    pub screens: usize,
    /// Of those, drawn afresh.
    pub rendered: usize,
    /// Of those, taken from the memo: their drawing did not change.
    pub reused: usize,
    /// Files read and parsed (the rest were unchanged since the last render).
    pub files_read: usize,
    /// What content staff must fix.
    pub problems: Vec<Problem>,
    /// The generation's id.
    pub generation: String,
    /// Whether the result went on air (false when the last good one was kept).
    pub published: bool,
    /// From the first file event of the burst to the new generation on air.
    pub change_to_air: Option<Duration>,
    /// When the render finished.
    pub finished: DateTime<Utc>,
    /// Why the channel folder could not be used, if it could not.
    pub unavailable: Option<String>,
}

impl Report {
    /// The report as the admin API and the live log show it.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "finished": self.finished.to_rfc3339(),
            "trigger": self.trigger,
            "duration_ms": self.duration.as_millis() as u64,
            "change_to_air_ms": self.change_to_air.map(|d| d.as_millis() as u64),
            "screens": self.screens,
            "rendered": self.rendered,
            "reused": self.reused,
            "files_read": self.files_read,
            "problems": self.problems,
            "generation": self.generation,
            "published": self.published,
        })
    }

    /// The one render-log line.
    pub fn line(&self) -> String {
        format!(
            "render trigger={} duration={}ms{} screens={} rendered={} reused={} problems={} generation={}{}",
            self.trigger,
            self.duration.as_millis(),
            self.change_to_air.map(|d| format!(" change_to_air={}ms", d.as_millis())).unwrap_or_default(),
            self.screens,
            self.rendered,
            self.reused,
            self.problems.len(),
            self.generation,
            if self.published { "" } else { " kept=last-good" }
        )
    }
}

/// A Prometheus histogram: cumulative counts per upper bound, in seconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    pub bounds: Vec<f64>,
    pub counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn new(bounds: &[f64]) -> Histogram {
        Histogram { bounds: bounds.to_vec(), counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    pub(crate) fn observe(&mut self, value: f64) {
        for (bound, count) in self.bounds.iter().zip(&mut self.counts) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }
}

/// How many render reports [`RenderLog`] keeps.
const HISTORY: usize = 500;

/// The renders so far, newest last, and the channel new ones are told on.
pub struct RenderLog {
    history: Mutex<VecDeque<Report>>,
    events: tokio::sync::broadcast::Sender<Arc<Report>>,
    durations: Mutex<Histogram>,
}

impl Default for RenderLog {
    fn default() -> RenderLog {
        RenderLog {
            history: Mutex::default(),
            events: tokio::sync::broadcast::channel(256).0,
            durations: Mutex::new(Histogram::new(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])),
        }
    }
}

impl RenderLog {
    pub fn new() -> RenderLog {
        RenderLog::default()
    }

    /// Records a finished render and tells every subscriber.
    pub fn record(&self, report: Report) {
        self.durations.locked().observe(report.duration.as_secs_f64());
        let report = Arc::new(report);
        {
            let mut history = self.history.locked();
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back((*report).clone());
        }
        // No subscriber is fine: nobody is watching the log.
        let _ = self.events.send(report);
    }

    /// Every render from now on.
    pub(crate) fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Report>> {
        self.events.subscribe()
    }

    /// Render durations so far.
    pub(crate) fn durations(&self) -> Histogram {
        self.durations.locked().clone()
    }

    /// The most recent renders, oldest first.
    pub fn history(&self) -> Vec<Report> {
        self.recent(HISTORY)
    }

    /// The last `n` renders, oldest first, without copying the rest.
    pub(crate) fn recent(&self, n: usize) -> Vec<Report> {
        let history = self.history.locked();
        history.iter().skip(history.len().saturating_sub(n)).cloned().collect()
    }

    /// The newest render, if any.
    pub fn last(&self) -> Option<Report> {
        self.history.locked().back().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_read_back_from_their_text() {
        let files = Trigger::Files { names: vec!["/srv/channels".into(), "01-新闻/a.md".into()], more: 3 };
        for t in [
            Trigger::Start,
            Trigger::Export,
            Trigger::Midnight,
            Trigger::Schedule,
            Trigger::Answers,
            files,
            Trigger::Named("bench".into()),
        ] {
            assert_eq!(Trigger::from(t.to_string().as_str()), t, "{t}");
        }
        assert_eq!(
            Trigger::Files { names: vec!["a.md".into()], more: 0 }.to_string(),
            "files:a.md",
            "the text the store and the log have always had"
        );
    }

    #[test]
    fn the_log_keeps_the_newest_and_counts_durations() {
        let log = RenderLog::new();
        let mut events = log.subscribe();
        for i in 0..(HISTORY + 3) {
            log.record(Report {
                files_read: 0,
                trigger: Trigger::Named(format!("r{i}")),
                duration: Duration::from_millis(70),
                screens: 1,
                rendered: 1,
                reused: 0,
                problems: Vec::new(),
                generation: String::new(),
                published: true,
                change_to_air: None,
                finished: Utc::now(),
                unavailable: None,
            });
            if i == 0 {
                assert_eq!(events.try_recv().unwrap().trigger, Trigger::Named("r0".into()), "told at once");
            }
        }
        assert_eq!(log.history().len(), HISTORY);
        assert_eq!(log.last().unwrap().trigger, Trigger::Named(format!("r{}", HISTORY + 2)));
        assert_eq!(log.recent(2).len(), 2);
        let h = log.durations();
        assert_eq!((h.count, h.counts[0], h.counts[1]), (HISTORY as u64 + 3, 0, HISTORY as u64 + 3));
    }
}
