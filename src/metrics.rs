//! Counters of the box-facing server and the views it saw, for `/metrics`
//! and for the store. Everything here is cheap enough to touch on every
//! request: atomics, and a short-held lock per request.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};

use crate::pipeline::Live;
use crate::store::{box_hash, local_hour, ViewKey};

/// Routes as `/metrics` labels them (see `serve::route_label`).
const ROUTES: [&str; 12] = [
    "root",
    "healthz",
    "favicon",
    "asset",
    "keytest",
    "shell",
    "nav",
    "generation",
    "graph",
    "screen_text",
    "live",
    "other",
];
/// Statuses counted one by one; anything else counts as its class (`5xx`).
const STATUSES: [u16; 12] = [200, 204, 301, 302, 303, 304, 400, 401, 404, 405, 500, 503];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const COLUMNS: usize = STATUSES.len() + CLASSES.len();

/// What the box port did since start. Request counters are atomics in a fixed
/// table: no lock is shared by every request.
pub struct Metrics {
    requests: Vec<AtomicU64>,
    bytes: AtomicU64,
    open: AtomicI64,
    views: AtomicU64,
    /// Views not yet written to the store.
    pending: Mutex<Pending>,
    salt: String,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new(String::new())
    }
}

#[derive(Default)]
struct Pending {
    views: HashMap<ViewKey, u64>,
    boxes: HashSet<(NaiveDate, String)>,
}

/// One shell request, as the server saw it.
pub struct ViewSeen<'a> {
    pub profile: &'a str,
    pub screen: &'a str,
    pub column: &'a str,
    pub item: &'a str,
    pub address: &'a str,
    pub agent: &'a str,
    pub utc_offset_minutes: i32,
}

impl Metrics {
    pub fn new(salt: String) -> Metrics {
        Metrics {
            requests: (0..ROUTES.len() * COLUMNS).map(|_| AtomicU64::new(0)).collect(),
            bytes: AtomicU64::default(),
            open: AtomicI64::default(),
            views: AtomicU64::default(),
            pending: Mutex::default(),
            salt,
        }
    }

    pub fn connection_opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts one answered request.
    pub fn request(&self, route: &'static str, status: u16, bytes: u64) {
        let row = ROUTES.iter().position(|r| *r == route).unwrap_or(ROUTES.len() - 1);
        let column = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or_else(|| STATUSES.len() + usize::from(status / 100).clamp(1, 5) - 1);
        self.requests[row * COLUMNS + column].fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a screen shown on a box.
    pub fn view(&self, seen: &ViewSeen<'_>) {
        self.views.fetch_add(1, Ordering::Relaxed);
        let (day, hour) = local_hour(Utc::now(), seen.utc_offset_minutes);
        let hash = box_hash(&self.salt, day, seen.address, seen.agent);
        let key = ViewKey {
            day,
            hour,
            profile: seen.profile.to_string(),
            screen: seen.screen.to_string(),
            column: seen.column.to_string(),
            item: seen.item.to_string(),
        };
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.views.entry(key).or_default() += 1;
        pending.boxes.insert((day, hash));
    }

    /// Views counted since the last call, for the store.
    pub fn take_views(&self) -> (HashMap<ViewKey, u64>, HashSet<(NaiveDate, String)>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let taken = std::mem::take(&mut *pending);
        (taken.views, taken.boxes)
    }

    /// Puts views back when the store could not take them (a full disk).
    pub fn restore_views(&self, views: HashMap<ViewKey, u64>, boxes: HashSet<(NaiveDate, String)>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (k, n) in views {
            *pending.views.entry(k).or_default() += n;
        }
        pending.boxes.extend(boxes);
    }

    /// The Prometheus text exposition of everything: the box port's counters,
    /// and the renders and generation from `live`.
    pub fn render(&self, live: &Live) -> String {
        let mut out = String::from(
            "# HELP infotv_http_requests_total Box-port requests by route and status.\n\
             # TYPE infotv_http_requests_total counter\n",
        );
        for (i, counter) in self.requests.iter().enumerate() {
            let n = counter.load(Ordering::Relaxed);
            if n == 0 {
                continue;
            }
            let (route, column) = (ROUTES[i / COLUMNS], i % COLUMNS);
            let status = match STATUSES.get(column) {
                Some(s) => s.to_string(),
                None => CLASSES[column - STATUSES.len()].to_string(),
            };
            let _ = writeln!(out, "infotv_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let mut simple = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        simple(
            "infotv_http_response_bytes_total",
            "counter",
            "Body bytes served to boxes.",
            self.bytes.load(Ordering::Relaxed).to_string(),
        );
        simple(
            "infotv_http_sendfile_bytes_total",
            "counter",
            "Of those, bytes sent from the saved generation file with sendfile(2), not copied from memory.",
            crate::serve::sent_from_file().to_string(),
        );
        simple(
            "infotv_http_open_connections",
            "gauge",
            "Box connections open now.",
            self.open.load(Ordering::Relaxed).to_string(),
        );
        simple(
            "infotv_views_total",
            "counter",
            "Screens shown on boxes since start.",
            self.views.load(Ordering::Relaxed).to_string(),
        );
        simple("infotv_uptime_seconds", "gauge", "Seconds since start.", live.uptime().as_secs().to_string());
        let current = live.current();
        let screens: usize = current.as_ref().map_or(0, |g| g.screen_count());
        simple("infotv_screens", "gauge", "Screens on air, all profiles.", screens.to_string());
        simple(
            "infotv_problems",
            "gauge",
            "Problems reported by the last render.",
            live.last_report().map_or(0, |r| r.problems.len()).to_string(),
        );
        simple(
            "infotv_faults",
            "gauge",
            "Faults of the server itself (data folder, channel folder) now.",
            live.faults().len().to_string(),
        );
        simple(
            "infotv_alert_on_air",
            "gauge",
            "1 while an emergency alert is on air.",
            u8::from(current.as_ref().is_some_and(|g| g.alert.is_some())).to_string(),
        );
        let loops = live.loop_statuses();
        let _ = writeln!(
            out,
            "# HELP infotv_loop_playing 1 while the broadcast loop's encoder for an output is playing.\n\
             # TYPE infotv_loop_playing gauge"
        );
        for l in &loops {
            let _ = writeln!(out, "infotv_loop_playing{{output=\"{}\"}} {}", l.output, u8::from(l.state == "playing"));
        }
        let _ = writeln!(
            out,
            "# HELP infotv_loop_position Place of the screen playing in the loop (1-based).\n# TYPE infotv_loop_position gauge"
        );
        for l in &loops {
            let _ =
                writeln!(out, "infotv_loop_position{{output=\"{}\",screen=\"{}\"}} {}", l.output, l.screen, l.position);
        }
        let _ = writeln!(
            out,
            "# HELP infotv_loop_encoder_restarts_total Times an encoder of the loop died and was restarted.\n\
             # TYPE infotv_loop_encoder_restarts_total counter"
        );
        for l in &loops {
            let _ = writeln!(out, "infotv_loop_encoder_restarts_total{{output=\"{}\"}} {}", l.output, l.restarts);
        }
        let _ = writeln!(
            out,
            "# HELP infotv_loop_frames_total Frames fed to an encoder of the loop.\n# TYPE infotv_loop_frames_total counter"
        );
        for l in &loops {
            let _ = writeln!(out, "infotv_loop_frames_total{{output=\"{}\"}} {}", l.output, l.frames);
        }
        let h = live.durations();
        let _ = writeln!(
            out,
            "# HELP infotv_render_duration_seconds Time per render.\n# TYPE infotv_render_duration_seconds histogram"
        );
        for (bound, count) in h.bounds.iter().zip(&h.counts) {
            let _ = writeln!(out, "infotv_render_duration_seconds_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "infotv_render_duration_seconds_bucket{{le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "infotv_render_duration_seconds_sum {}", h.sum);
        let _ = writeln!(out, "infotv_render_duration_seconds_count {}", h.count);
        out
    }
}
