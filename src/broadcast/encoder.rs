//! ffmpeg processes fed the loop's frames through a pipe, one per output:
//! HLS for each streamed profile, MPEG-TS for the headend. Each runs on a
//! thread of its own, is restarted with back-off when it dies, and is
//! reported as a fault meanwhile; the server never waits on one.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};

use crate::config::Profile;
use crate::fonts::Fonts;
use crate::health::{Fault, LoopState, LoopStatus};
use crate::pipeline::Station;
use crate::publish::Generation;
use crate::sync::Locked;

use super::compose::{Composer, Place};
use super::{ts_profile, Plan};

/// Where the encoders' outputs and the ffmpeg to run are.
#[derive(Debug, Clone)]
pub struct Options {
    /// The ffmpeg executable (a name looked up in PATH, or a path).
    pub ffmpeg: PathBuf,
    /// HLS playlists and segments go to `{live}/{profile}/`.
    pub live: PathBuf,
    /// The data folder: the music is copied into it for ffmpeg to read.
    pub data: PathBuf,
    /// The recordings folder (checked by [`super::output::recordings`]): a
    /// TS file or named pipe may only be there. `None`: stream addresses only.
    pub recordings: Option<PathBuf>,
}

/// Back-off after an encoder dies: doubles from 1 s up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// An encoder that ran this long before dying starts its back-off afresh.
const HEALTHY: Duration = Duration::from_secs(60);
/// An encoder that takes no frame for this long is stuck (a TS pipe nobody
/// reads, a full disk) and is restarted.
const STALLED: Duration = Duration::from_secs(20);
/// Frames per second fed to ffmpeg; it repeats each to 25 fps.
const FEED_FPS: u32 = 1;

/// One output and everything that decides its ffmpeg command line: when
/// any of it changes the encoder is restarted with the new one.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// `hls-sd`, `ts`.
    pub name: String,
    pub profile: Profile,
    pub kind: Kind,
    pub music: Option<PathBuf>,
    /// Size and time of the music file, so a new file restarts the encoder.
    pub music_stamp: String,
    pub service: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// H.264 + AAC segments in `{live}/{profile}/`.
    Hls,
    /// MPEG-2 + MP2 in MPEG-TS, 720x576 at 25 fps, to a UDP address, a file
    /// or a named pipe.
    Ts(String),
}

/// The outputs a plan asks for.
pub(crate) fn specs(plan: &Plan, title: &str) -> Vec<Spec> {
    let (music, music_stamp) = match &plan.music {
        Some((path, stamp)) => (Some(path.clone()), stamp.clone()),
        None => (None, String::new()),
    };
    let spec = |name: String, profile: &Profile, kind: Kind| Spec {
        name,
        profile: profile.clone(),
        kind,
        music: music.clone(),
        music_stamp: music_stamp.clone(),
        service: title.to_string(),
    };
    let mut out: Vec<Spec> = plan
        .config
        .profiles
        .iter()
        .filter_map(|p| plan.profiles.get(p))
        .map(|l| spec(format!("hls-{}", l.profile.name), &l.profile, Kind::Hls))
        .collect();
    if let (Some(target), Some(l)) = (&plan.config.ts, plan.profiles.get(&ts_profile(&plan.config))) {
        out.push(spec("ts".to_string(), &l.profile, Kind::Ts(target.clone())));
    }
    out
}

/// ffmpeg's arguments for `spec`: raw RGB frames at one a second on stdin,
/// silence or the `music` (the data folder's copy) looped as sound; a TS
/// goes to `ts`, a checked stream address or `pipe:1` (a file infotv
/// opened). Every input and the TS output are under a protocol allow-list,
/// and nothing is overwritten (`-n`): the HLS folder is emptied first, and
/// a TS file is opened here, not by ffmpeg.
pub fn args(spec: &Spec, options: &Options, music: Option<&Path>, ts: Option<&str>) -> Vec<String> {
    let p = &spec.profile;
    let mut a: Vec<String> = vec!["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-n"]
        .into_iter()
        .map(String::from)
        .collect();
    let mut push = |items: &[&str]| a.extend(items.iter().map(|s| s.to_string()));
    push(&["-protocol_whitelist", "pipe", "-f", "rawvideo", "-pix_fmt", "rgb24"]);
    push(&["-video_size", &format!("{}x{}", p.width, p.height)]);
    push(&["-framerate", &FEED_FPS.to_string(), "-i", "pipe:0"]);
    match music {
        Some(path) => push(&["-protocol_whitelist", "file", "-stream_loop", "-1", "-i", &path.to_string_lossy()]),
        None => push(&["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=48000"]),
    }
    // The sound never ends by itself: end with the frames, so an encoder
    // whose server died (its pipe closed) exits instead of running on.
    push(&["-map", "0:v:0", "-map", "1:a:0", "-shortest"]);
    match &spec.kind {
        Kind::Hls => {
            let dir = options.live.join(&p.name);
            push(&["-vf", "fps=25,format=yuv420p"]);
            // Still pages: x264's still-image tuning, a key frame every 2 s
            // so every 4 s segment starts with one, bitrate capped for IPTV.
            push(&["-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-profile:v", "main"]);
            push(&["-crf", "21", "-maxrate", "2500k", "-bufsize", "5000k"]);
            push(&["-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-threads", "1"]);
            push(&["-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2"]);
            push(&["-f", "hls", "-hls_time", "4", "-hls_list_size", "6"]);
            // Segment numbers from the clock: a restarted encoder never
            // reuses a name a box or cache may hold.
            push(&["-hls_flags", "delete_segments+temp_file+discont_start", "-hls_start_number_source", "epoch"]);
            push(&["-hls_segment_filename", &dir.join("seg-%d.ts").to_string_lossy()]);
            push(&[&dir.join("index.m3u8").to_string_lossy()]);
        }
        Kind::Ts(_) => {
            // PAL SD for a DVB-C headend: 720x576, 4:3, 25 fps, MPEG-2 video
            // at a constant 4 Mbit/s, MPEG-1 layer II sound.
            push(&["-vf", "fps=25,scale=720:576,setsar=16/15,format=yuv420p"]);
            push(&["-c:v", "mpeg2video", "-b:v", "4000k", "-minrate", "4000k", "-maxrate", "4000k"]);
            push(&["-bufsize", "1835k", "-g", "12", "-bf", "2", "-aspect", "4:3", "-threads", "1"]);
            push(&["-c:a", "mp2", "-b:a", "192k", "-ar", "48000", "-ac", "2"]);
            push(&["-f", "mpegts", "-mpegts_service_id", "1"]);
            push(&["-metadata", &format!("service_name={}", spec.service), "-metadata", "service_provider=infotv"]);
            // rtp runs over udp; pipe is the file opened here.
            push(&["-protocol_whitelist", "udp,rtp,srt,pipe", ts.unwrap_or("pipe:1")]);
        }
    }
    a
}

/// Runs the loop's encoders while the server runs: starts one for each
/// output the plan on air asks for, restarts one whose command line the
/// plan changed, stops those no longer asked for.
pub async fn run(
    station: Station,
    fonts: Arc<Fonts>,
    options: Options,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut running: HashMap<String, (Spec, Worker)> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        let Some(g) = station.on_air.current() else { continue };
        let wanted = g.broadcast.as_ref().map(|p| specs(p, &g.title)).unwrap_or_default();
        // site.toml's new TS target was refused: the TS keeps its last good one.
        let keep_ts = g.broadcast.as_ref().is_some_and(|p| p.config.ts_refused);
        let names: Vec<String> = running.keys().cloned().collect();
        for name in names {
            if keep_ts && name == "ts" {
                continue;
            }
            if !wanted.iter().any(|s| Some(s) == running.get(&name).map(|(s, _)| s)) {
                if let Some((_, worker)) = running.remove(&name) {
                    let _ = tokio::task::spawn_blocking(move || worker.stop()).await;
                }
                station.health.set_loop_status(&name, None);
            }
        }
        for spec in wanted {
            if !running.contains_key(&spec.name) {
                let worker = Worker::start(spec.clone(), station.clone(), fonts.clone(), options.clone());
                running.insert(spec.name.clone(), (spec, worker));
            }
        }
    }
    let workers: Vec<Worker> = running.into_values().map(|(_, w)| w).collect();
    let _ = tokio::task::spawn_blocking(move || workers.into_iter().for_each(Worker::stop)).await;
}

/// One encoder's thread.
pub struct Worker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    pub fn start(spec: Spec, station: Station, fonts: Arc<Fonts>, options: Options) -> Worker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("loop-{}", spec.name))
            .spawn(move || supervise(&spec, &station, fonts, &options, &flag))
            .ok();
        Worker { stop, thread }
    }

    /// Stops the encoder (it finishes its segment) and waits for the thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Why an encoder's run ended.
enum End {
    Stopped,
    Died(String),
}

fn supervise(spec: &Spec, station: &Station, fonts: Arc<Fonts>, options: &Options, stop: &AtomicBool) {
    let key = Fault::Loop(spec.name.clone());
    let mut status = LoopStatus {
        output: spec.name.clone(),
        profile: spec.profile.name.clone(),
        state: LoopState::Starting,
        ..LoopStatus::default()
    };
    station.health.set_loop_status(&spec.name, Some(status.clone()));
    let mut composer = Composer::new(fonts, spec.profile.clone());
    let mut player = Player::default();
    let mut backoff = Duration::from_secs(1);
    while !stop.load(Ordering::SeqCst) {
        let started = Instant::now();
        let end = match spawn(spec, options) {
            Ok((child, errors)) => {
                status.pid = Some(child.id());
                status.state = LoopState::Playing;
                station.health.set_loop_status(&spec.name, Some(status.clone()));
                tracing::info!(output = %spec.name, pid = child.id(), "loop encoder started");
                play(child, errors, spec, station, &mut composer, &mut player, &mut status, stop, &key)
            }
            Err(e) => End::Died(e),
        };
        status.pid = None;
        let End::Died(why) = end else { break };
        if started.elapsed() >= HEALTHY {
            backoff = Duration::from_secs(1);
        }
        status.restarts += 1;
        status.state = LoopState::Restarting;
        status.last_error = Some(why.clone());
        station.health.set_loop_status(&spec.name, Some(status.clone()));
        station.health.set_fault(
            key.clone(),
            Some(format!(
                "轮播编码器 {} 停止：{why}；{} 秒后重启（已重启 {} 次）",
                spec.name,
                backoff.as_secs(),
                status.restarts
            )),
        );
        let until = Instant::now() + backoff;
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    station.health.set_fault(key, None);
    status.state = LoopState::Stopped;
    status.pid = None;
    station.health.set_loop_status(&spec.name, Some(status));
}

/// The last lines ffmpeg wrote to its standard error.
type Said = Arc<Mutex<VecDeque<String>>>;

/// Starts ffmpeg with a pipe for frames; its error lines are collected.
fn spawn(spec: &Spec, options: &Options) -> Result<(Child, Said), String> {
    if spec.kind == Kind::Hls {
        let dir = options.live.join(&spec.profile.name);
        // Segments of an earlier run are stale: boxes start from the new playlist.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("无法创建 {}：{e}", dir.display()))?;
    }
    let music = spec.music.as_deref().and_then(|path| match super::output::stage_music(path, &options.data) {
        Ok(copy) => Some(copy),
        Err(e) => {
            tracing::warn!(output = %spec.name, "{e}");
            None
        }
    });
    let (ts, stdout) = match &spec.kind {
        Kind::Hls => (None, Stdio::null()),
        Kind::Ts(target) => match super::output::open(target, options.recordings.as_deref())? {
            super::output::Out::Url(url) => (Some(url), Stdio::null()),
            super::output::Out::File(file) => (None, Stdio::from(file)),
        },
    };
    let mut child = Command::new(&options.ffmpeg)
        .args(args(spec, options, music.as_deref(), ts.as_deref()))
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("无法启动 {}：{e}", options.ffmpeg.display()))?;
    let errors = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(stderr) = child.stderr.take() {
        let sink = errors.clone();
        let name = spec.name.clone();
        let _ = std::thread::Builder::new().name(format!("loop-{name}-log")).spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                tracing::warn!(output = %name, "ffmpeg: {line}");
                let mut lines = sink.locked();
                if lines.len() == 8 {
                    lines.pop_front();
                }
                lines.push_back(line);
            }
        });
    }
    Ok((child, errors))
}

/// Feeds frames to a running encoder, one a second on the clock, until it
/// is stopped or dies.
#[allow(clippy::too_many_arguments)]
fn play(
    mut child: Child,
    errors: Said,
    spec: &Spec,
    station: &Station,
    composer: &mut Composer,
    player: &mut Player,
    status: &mut LoopStatus,
    stop: &AtomicBool,
    key: &Fault,
) -> End {
    // Frames go through a thread of their own: a stuck encoder blocks that
    // thread, not this one, which notices and restarts it.
    let Some(mut stdin) = child.stdin.take() else { return End::Died("ffmpeg 没有输入管道".into()) };
    let (frames, queue) = sync_channel::<Vec<u8>>(1);
    let writer = std::thread::spawn(move || {
        for frame in queue {
            if let Err(e) = stdin.write_all(&frame) {
                return Some(e.to_string());
            }
        }
        None
    });
    let started = Instant::now();
    let mut fed = Instant::now();
    let mut healthy_said = false;
    let mut tick: u32 = 0;
    let last_words = |errors: &Said| {
        let lines = errors.locked();
        lines.back().cloned()
    };
    let end = loop {
        if stop.load(Ordering::SeqCst) {
            break End::Stopped;
        }
        if let Ok(Some(exit)) = child.try_wait() {
            std::thread::sleep(Duration::from_millis(100)); // its last error line
            let said = last_words(&errors).map(|l| format!("（{l}）")).unwrap_or_default();
            break End::Died(format!("ffmpeg 退出，{exit}{said}"));
        }
        if let Some(frame) = player.frame(station, spec, composer, status) {
            match frames.try_send(frame) {
                Ok(()) => {
                    fed = Instant::now();
                    status.frames += 1;
                }
                Err(TrySendError::Full(_)) if fed.elapsed() > STALLED => {
                    break End::Died(format!("ffmpeg {} 秒没有接收画面（输出被阻塞？）", STALLED.as_secs()));
                }
                Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => {
                    std::thread::sleep(Duration::from_millis(200));
                    let said = last_words(&errors).unwrap_or_else(|| "管道已断开".into());
                    break End::Died(format!("ffmpeg 不再接收画面：{said}"));
                }
            }
        }
        station.health.set_loop_status(&spec.name, Some(status.clone()));
        if !healthy_said && started.elapsed() > Duration::from_secs(5) {
            // Running again: the fault is over; the restarts stay counted.
            station.health.set_fault(key.clone(), None);
            healthy_said = true;
        }
        tick += 1;
        let next = started + Duration::from_secs(tick as u64) / FEED_FPS;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    };
    drop(frames);
    match end {
        End::Stopped => {
            // End of input lets ffmpeg close its last segment; then make sure.
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        End::Died(_) => {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    let _ = writer.join();
    end
}

/// Where the loop is: which screen, since when, and the alert it has shown.
#[derive(Default)]
struct Player {
    index: usize,
    screen: String,
    /// Seconds the current screen has been on.
    shown: u32,
    /// The alert (by its since-time) already announced with its page.
    alert_seen: Option<String>,
    /// Seconds of the alert page left to show.
    alert_left: u32,
    /// Screens played since the alert page was last shown.
    since_alert: u32,
}

/// While an alert is on air, its page comes back after this many screens,
/// for those who tuned in after it began.
const ALERT_EVERY: u32 = 5;

impl Player {
    /// The next second's frame, following the generation on air.
    fn frame(
        &mut self,
        station: &Station,
        spec: &Spec,
        composer: &mut Composer,
        status: &mut LoopStatus,
    ) -> Option<Vec<u8>> {
        let generation: Arc<Generation> = station.on_air.current()?;
        let plan = generation.broadcast.as_ref()?;
        let entries = &plan.profiles.get(&spec.profile.name)?.entries;
        if entries.is_empty() {
            return None;
        }
        // Follow the content: the screen playing keeps its turn if it is
        // still in the loop; if it is gone, the loop goes on from its place.
        if let Some(i) = entries.iter().position(|e| e.screen == self.screen) {
            self.index = i;
        } else {
            self.index = self.index.min(entries.len() - 1);
            self.shown = 0;
        }
        if self.shown >= plan.config.seconds {
            self.index = (self.index + 1) % entries.len();
            self.shown = 0;
            self.since_alert += 1;
        }
        let entry = &entries[self.index];
        self.screen = entry.screen.clone();
        self.shown += 1;
        composer.set_scale(plan.text_scale);
        let offset = FixedOffset::east_opt(generation.utc_offset_minutes * 60);
        let now = Utc::now().with_timezone(&offset.unwrap_or(FixedOffset::east_opt(0)?));
        // An alert interrupts the loop at once with a page of its own, then
        // rides along in the strip while it is on air.
        match &generation.alert {
            Some(alert) if self.alert_seen.as_deref() != Some(alert.since.as_str()) => {
                self.alert_seen = Some(alert.since.clone());
                self.alert_left = plan.config.seconds.max(15);
            }
            Some(_) if self.since_alert >= ALERT_EVERY && self.alert_left == 0 => {
                self.alert_left = plan.config.seconds.max(15);
            }
            None => {
                self.alert_seen = None;
                self.alert_left = 0;
            }
            _ => {}
        }
        if self.alert_left > 0 {
            self.since_alert = 0;
        }
        let canvas = if self.alert_left > 0 && generation.alert.is_some() {
            self.alert_left -= 1;
            self.shown = 0; // the screen plays its full time after the alert
            let paragraphs: Vec<String> =
                generation.alert.as_ref().map(|a| a.text.split('\n').map(String::from).collect()).unwrap_or_default();
            composer.alert_page(&generation, plan, entry, &paragraphs, now)
        } else {
            let place = Place {
                position: self.index + 1,
                total: entries.len(),
                entry,
                next: &entries[(self.index + 1) % entries.len()],
            };
            let alert = generation.alert.as_ref().map(|a| a.text.replace('\n', " "));
            composer.screen(&generation, plan, &place, alert.as_deref(), now)
        };
        status.screen = entry.screen.clone();
        status.title = entry.title.clone();
        status.position = self.index + 1;
        status.total = entries.len();
        status.alert = self.alert_left > 0;
        Some(canvas.pixels().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: Kind) -> Spec {
        Spec {
            name: "x".into(),
            profile: Profile::new("sd", 720, 576),
            kind,
            music: None,
            music_stamp: String::new(),
            service: "幸福·美丽万源".into(),
        }
    }

    #[test]
    fn command_lines_read_frames_from_the_pipe_and_overwrite_nothing() {
        let options = Options { ffmpeg: "ffmpeg".into(), live: "/d/live".into(), data: "/d".into(), recordings: None };
        let hls = args(&spec(Kind::Hls), &options, None, None);
        let joined = hls.join(" ");
        assert!(joined.contains("-nostdin"), "stdin carries frames, never keystrokes");
        assert!(joined.contains("-n ") && !hls.contains(&"-y".to_string()), "never overwrites: {joined}");
        assert!(joined.contains("-protocol_whitelist pipe -f rawvideo"));
        assert!(joined.contains("-video_size 720x576 -framerate 1 -i pipe:0"));
        assert!(joined.contains("libx264") && joined.ends_with("/d/live/sd/index.m3u8"));
        assert!(joined.contains("anullsrc"), "silence without a music file");
        let udp = spec(Kind::Ts("udp://239.1.1.1:1234".into()));
        let ts = args(&udp, &options, Some(Path::new("/d/loop-music/ab.mp3")), Some("udp://239.1.1.1:1234")).join(" ");
        assert!(
            ts.contains("-protocol_whitelist file -stream_loop -1 -i /d/loop-music/ab.mp3") && !ts.contains("anullsrc")
        );
        assert!(ts.contains("mpeg2video") && ts.contains("scale=720:576"));
        assert!(ts.ends_with("-protocol_whitelist udp,rtp,srt,pipe udp://239.1.1.1:1234"), "{ts}");
        let file = args(&spec(Kind::Ts("loop.ts".into())), &options, None, None).join(" ");
        assert!(file.ends_with(" pipe:1"), "a file is written as ffmpeg's standard output: {file}");
    }
}
