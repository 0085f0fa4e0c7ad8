//! Counters of the box-facing server and the views it saw, for `/metrics`
//! and for the store. Everything here is cheap enough to touch on every
//! request: atomics, and a short-held lock per request.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};

use crate::health::{Health, LoopState, LoopStatus};
use crate::ids::unhex;
use crate::onair::OnAir;
use crate::renderlog::{Histogram, RenderLog};
use crate::routes::Route;
use crate::store::{box_id, local_hour, ViewKey};
use crate::sync::Locked;

/// Statuses counted one by one; anything else counts as its class (`5xx`).
const STATUSES: [u16; 12] = [200, 204, 301, 302, 303, 304, 400, 401, 404, 405, 500, 503];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const COLUMNS: usize = STATUSES.len() + CLASSES.len();

/// What the box port did since start. Request counters are atomics in a fixed
/// table: no lock is shared by every request.
pub struct Metrics {
    requests: Vec<AtomicU64>,
    bytes: AtomicU64,
    /// Of `bytes`, those sent from the saved generation file (serve::sendfile).
    sendfile_bytes: AtomicU64,
    open: AtomicI64,
    views: AtomicU64,
    /// Views not yet written to the store.
    pending: Mutex<Pending>,
    salt: String,
    /// Answers taken, by kind: poll, rating, request.
    answers: [AtomicU64; 3],
}

/// The kinds of answer `/metrics` counts, in order.
pub const ANSWER_KINDS: [&str; 3] = ["poll", "rating", "request"];

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new(String::new())
    }
}

/// Views not yet written, kept so that counting a screen already seen this
/// hour, or a box already seen today, allocates nothing: the maps are looked
/// up with the request's own text ([`ViewRef`]) and hashed by foldhash.
#[derive(Default)]
struct Pending {
    views: hashbrown::HashMap<ViewKey, u64>,
    boxes: hashbrown::HashSet<(NaiveDate, [u8; 12])>,
}

/// A [`ViewKey`] borrowed from a request. The same fields in the same order,
/// and `&str` hashes as `String` does, so it hashes as the key it stands for.
#[derive(Hash)]
struct ViewRef<'a> {
    day: NaiveDate,
    hour: u32,
    profile: &'a str,
    screen: &'a str,
    column: &'a str,
    item: &'a str,
}

impl hashbrown::Equivalent<ViewKey> for ViewRef<'_> {
    fn equivalent(&self, k: &ViewKey) -> bool {
        (self.day, self.hour, self.profile, self.screen, self.column, self.item)
            == (k.day, k.hour, k.profile.as_str(), k.screen.as_str(), k.column.as_str(), k.item.as_str())
    }
}

impl ViewRef<'_> {
    fn to_key(&self) -> ViewKey {
        ViewKey {
            day: self.day,
            hour: self.hour,
            profile: self.profile.to_string(),
            screen: self.screen.to_string(),
            column: self.column.to_string(),
            item: self.item.to_string(),
        }
    }
}

/// The box last seen on one connection and its id. A keep-alive connection
/// is one box, so its id (a keyed hash) is worked out once, not on every
/// view: it was half of counting one.
#[derive(Default)]
pub struct BoxMemo {
    last: Option<(NaiveDate, String, String, [u8; 12])>,
}

impl BoxMemo {
    fn id(&mut self, salt: &str, day: NaiveDate, address: &str, agent: &str) -> [u8; 12] {
        match &self.last {
            Some((d, a, u, id)) if (*d, a.as_str(), u.as_str()) == (day, address, agent) => *id,
            _ => {
                let id = box_id(salt, day, address, agent);
                self.last = Some((day, address.to_string(), agent.to_string(), id));
                id
            }
        }
    }
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
            requests: (0..Route::LABELS.len() * COLUMNS).map(|_| AtomicU64::new(0)).collect(),
            bytes: AtomicU64::default(),
            sendfile_bytes: AtomicU64::default(),
            open: AtomicI64::default(),
            views: AtomicU64::default(),
            pending: Mutex::default(),
            salt,
            answers: Default::default(),
        }
    }

    pub(crate) fn connection_opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts one answered request.
    pub fn request(&self, route: Route<'_>, status: u16, bytes: u64) {
        let row = route.index();
        let column = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or_else(|| STATUSES.len() + usize::from(status / 100).clamp(1, 5) - 1);
        self.requests[row * COLUMNS + column].fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts body bytes sent from the saved generation file.
    pub fn sent_from_file(&self, bytes: u64) {
        self.sendfile_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a screen shown on a box; `memo` is its connection's.
    pub fn view(&self, seen: &ViewSeen<'_>, memo: &mut BoxMemo) {
        self.views.fetch_add(1, Ordering::Relaxed);
        let (day, hour) = local_hour(Utc::now(), seen.utc_offset_minutes);
        let id = memo.id(&self.salt, day, seen.address, seen.agent);
        let seen =
            ViewRef { day, hour, profile: seen.profile, screen: seen.screen, column: seen.column, item: seen.item };
        let mut pending = self.pending.locked();
        match pending.views.get_mut(&seen) {
            Some(n) => *n += 1,
            None => {
                pending.views.insert(seen.to_key(), 1);
            }
        }
        pending.boxes.insert((day, id));
    }

    /// Views counted since the last call, for the store.
    pub(crate) fn take_views(&self) -> (HashMap<ViewKey, u64>, HashSet<(NaiveDate, String)>) {
        let mut pending = self.pending.locked();
        let taken = std::mem::take(&mut *pending);
        (taken.views.into_iter().collect(), taken.boxes.into_iter().map(|(day, id)| (day, hex::encode(id))).collect())
    }

    /// Puts views back when the store could not take them (a full disk).
    pub(crate) fn restore_views(&self, views: HashMap<ViewKey, u64>, boxes: HashSet<(NaiveDate, String)>) {
        let mut pending = self.pending.locked();
        for (k, n) in views {
            *pending.views.entry(k).or_default() += n;
        }
        pending.boxes.extend(boxes.into_iter().filter_map(|(day, id)| Some((day, unhex(&id)?))));
    }

    /// Counts an answer taken (`kind` one of [`ANSWER_KINDS`]).
    pub(crate) fn answer_taken(&self, kind: &str) {
        if let Some(i) = ANSWER_KINDS.iter().position(|k| *k == kind) {
            self.answers[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition of everything: the box port's
    /// counters, the generation on air, the renders and the server's health.
    pub fn render(&self, on_air: &OnAir, log: &RenderLog, health: &Health) -> String {
        let mut out = format!(
            "# HELP infotv_build_info The release serving, and the commit it was built from.\n\
             # TYPE infotv_build_info gauge\n\
             infotv_build_info{{version=\"{}\",build=\"{}\"}} 1\n\
             # HELP infotv_http_requests_total Box-port requests by route and status.\n\
             # TYPE infotv_http_requests_total counter\n",
            env!("CARGO_PKG_VERSION"),
            env!("INFOTV_BUILD")
        );
        for (i, counter) in self.requests.iter().enumerate() {
            let n = counter.load(Ordering::Relaxed);
            if n == 0 {
                continue;
            }
            let (route, column) = (Route::LABELS[i / COLUMNS], i % COLUMNS);
            let status = match STATUSES.get(column) {
                Some(s) => s.to_string(),
                None => CLASSES[column - STATUSES.len()].to_string(),
            };
            let _ = writeln!(out, "infotv_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let current = on_air.current();
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let sendfile = "Of those, bytes sent from the saved generation file with sendfile(2), not copied from memory.";
        let single: [(&str, &str, &str, u64); 9] = [
            ("infotv_http_response_bytes_total", "counter", "Body bytes served to boxes.", load(&self.bytes)),
            ("infotv_http_sendfile_bytes_total", "counter", sendfile, load(&self.sendfile_bytes)),
            (
                "infotv_http_open_connections",
                "gauge",
                "Box connections open now.",
                self.open.load(Ordering::Relaxed).max(0) as u64,
            ),
            ("infotv_views_total", "counter", "Screens shown on boxes since start.", load(&self.views)),
            ("infotv_uptime_seconds", "gauge", "Seconds since start.", health.uptime().as_secs()),
            (
                "infotv_screens",
                "gauge",
                "Screens on air, all profiles.",
                current.as_ref().map_or(0, |g| g.screen_count()) as u64,
            ),
            (
                "infotv_problems",
                "gauge",
                "Problems reported by the last render.",
                log.last().map_or(0, |r| r.problems.len()) as u64,
            ),
            (
                "infotv_faults",
                "gauge",
                "Faults of the server itself (data folder, channel folder) now.",
                health.faults().len() as u64,
            ),
            (
                "infotv_alert_on_air",
                "gauge",
                "1 while an emergency alert is on air.",
                u64::from(current.as_ref().is_some_and(|g| g.alert.is_some())),
            ),
        ];
        for (name, kind, help, value) in single {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        let _ = writeln!(
            out,
            "# HELP infotv_answers_total Answers households sent that were taken, by kind.\n# TYPE infotv_answers_total counter"
        );
        for (kind, n) in ANSWER_KINDS.iter().zip(&self.answers) {
            let _ = writeln!(out, "infotv_answers_total{{kind=\"{kind}\"}} {}", load(n));
        }
        loop_metrics(&mut out, &health.loop_statuses());
        histogram(&mut out, "infotv_render_duration_seconds", "Time per render.", &log.durations());
        out
    }
}

/// The broadcast loop's encoders: one series per output for each gauge.
fn loop_metrics(out: &mut String, loops: &[LoopStatus]) {
    type Value = fn(&LoopStatus) -> String;
    let per_output: [(&str, &str, &str, Value); 4] = [
        ("infotv_loop_playing", "gauge", "1 while the broadcast loop's encoder for an output is playing.", |l| {
            u8::from(l.state == LoopState::Playing).to_string()
        }),
        ("infotv_loop_position", "gauge", "Place of the screen playing in the loop (1-based).", |l| {
            l.position.to_string()
        }),
        (
            "infotv_loop_encoder_restarts_total",
            "counter",
            "Times an encoder of the loop died and was restarted.",
            |l| l.restarts.to_string(),
        ),
        ("infotv_loop_frames_total", "counter", "Frames fed to an encoder of the loop.", |l| l.frames.to_string()),
    ];
    for (name, kind, help, value) in per_output {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for l in loops {
            // The position names the screen playing too.
            let screen =
                if name == "infotv_loop_position" { format!(",screen=\"{}\"", l.screen) } else { String::new() };
            let _ = writeln!(out, "{name}{{output=\"{}\"{screen}}} {}", l.output, value(l));
        }
    }
}

/// A Prometheus histogram in the text exposition.
fn histogram(out: &mut String, name: &str, help: &str, h: &Histogram) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (bound, count) in h.bounds.iter().zip(&h.counts) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", h.sum);
    let _ = writeln!(out, "{name}_count {}", h.count);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn seen<'a>(screen: &'a str, address: &'a str) -> ViewSeen<'a> {
        ViewSeen {
            profile: "sd",
            screen,
            column: "要闻速递",
            item: "时政要闻",
            address,
            agent: "box",
            utc_offset_minutes: 480,
        }
    }

    #[test]
    fn a_borrowed_view_hashes_and_compares_as_its_key() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let r = ViewRef { day, hour: 9, profile: "sd", screen: "a-1", column: "便民万源", item: "" };
        let hasher = hashbrown::DefaultHashBuilder::default();
        assert_eq!(hasher.hash_one(&r), hasher.hash_one(r.to_key()));
        assert!(hashbrown::Equivalent::equivalent(&r, &r.to_key()));
        let other = ViewRef { screen: "a-2", ..r };
        assert!(!hashbrown::Equivalent::equivalent(&other, &r.to_key()));
    }

    #[test]
    fn views_are_counted_per_screen_and_boxes_once_a_day() {
        let metrics = Metrics::new("salt".into());
        for (screen, address) in [("home", "10.0.0.1"), ("home", "10.0.0.1"), ("home", "10.0.0.2"), ("a-1", "10.0.0.1")]
        {
            metrics.view(&seen(screen, address), &mut BoxMemo::default());
        }
        let (views, boxes) = metrics.take_views();
        let count = |screen: &str| views.iter().filter(|(k, _)| k.screen == screen).map(|(_, n)| *n).sum::<u64>();
        assert_eq!((views.len(), count("home"), count("a-1")), (2, 3, 1));
        let day = views.keys().next().unwrap().day;
        let expected: HashSet<_> = ["10.0.0.1", "10.0.0.2"]
            .into_iter()
            .map(|a| (day, crate::store::box_hash("salt", day, a, "box")))
            .collect();
        assert_eq!(boxes, expected, "the store's box hashes, as before");
        assert!(metrics.take_views().0.is_empty(), "taken");

        // Put back (the store was full): counted again with what comes next.
        metrics.restore_views(views, boxes.clone());
        metrics.view(&seen("home", "10.0.0.3"), &mut BoxMemo::default());
        let (views, again) = metrics.take_views();
        assert_eq!(views.iter().filter(|(k, _)| k.screen == "home").map(|(_, n)| *n).sum::<u64>(), 4);
        assert_eq!(again.len(), 3);
        assert!(boxes.is_subset(&again));
    }

    #[test]
    fn a_connection_remembers_its_box_until_the_box_or_the_day_changes() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let mut memo = BoxMemo::default();
        for (day, address, agent) in [
            (day, "10.0.0.1", "box"),
            (day, "10.0.0.1", "box"),
            (day, "10.0.0.9", "box"),
            (day, "10.0.0.9", "other"),
            (day.succ_opt().unwrap(), "10.0.0.9", "other"),
        ] {
            assert_eq!(memo.id("salt", day, address, agent), box_id("salt", day, address, agent));
        }
    }

    #[test]
    fn the_exposition_names_every_route_the_loop_and_the_render_histogram() {
        let metrics = Metrics::new("salt".into());
        metrics.request(Route::of_path("/tv/sd/home.html"), 200, 10);
        metrics.request(Route::of_path("/x/y"), 404, 10);
        let (on_air, log, health) = (OnAir::new(), RenderLog::new(), Health::new());
        let playing = crate::health::LoopStatus {
            output: "hls-sd".into(),
            state: LoopState::Playing,
            screen: "home".into(),
            position: 3,
            frames: 42,
            ..Default::default()
        };
        health.set_loop_status("hls-sd", Some(playing));
        let text = metrics.render(&on_air, &log, &health);
        for line in [
            "infotv_http_requests_total{route=\"shell\",status=\"200\"} 1",
            "infotv_http_requests_total{route=\"other\",status=\"404\"} 1",
            "# TYPE infotv_loop_playing gauge",
            "infotv_loop_playing{output=\"hls-sd\"} 1",
            "infotv_loop_position{output=\"hls-sd\",screen=\"home\"} 3",
            "# TYPE infotv_loop_encoder_restarts_total counter",
            "infotv_loop_encoder_restarts_total{output=\"hls-sd\"} 0",
            "infotv_loop_frames_total{output=\"hls-sd\"} 42",
            "# TYPE infotv_render_duration_seconds histogram",
            "infotv_render_duration_seconds_bucket{le=\"+Inf\"} 0",
            "infotv_render_duration_seconds_count 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
    }
}
