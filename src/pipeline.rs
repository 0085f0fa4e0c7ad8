//! Runs the stages — load, layout, raster, publish — and keeps the generation
//! on air.
//!
//! Invariant: the generation on air is replaced whole, never edited; a render
//! that cannot be trusted (a broken site.toml) keeps the last good one.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};

use crate::broadcast::{self, LoopStatus};
use crate::config::Profile;
use crate::content;
use crate::fonts::Fonts;
use crate::layout::Target;
use crate::layout::{self, Screen};
use crate::problem::Problem;
use crate::publish::{self, AssetSet, Generation, OverlayPics, Pictures, ProfileInput, ShellSettings};
use crate::raster::{self, RasterCache, Rendered};

/// The generation on air, swapped atomically, and what renders did.
pub struct Live {
    // A std RwLock: readers clone the Arc and let go at once.
    current: RwLock<Option<Arc<Generation>>>,
    /// Every screen id ever on air, per profile, with its parent: a box asking
    /// for a screen that is gone is sent to its nearest living ancestor.
    ancestry: Mutex<HashMap<(String, String), Option<String>>>,
    /// The most recent renders, newest last.
    history: Mutex<VecDeque<Report>>,
    /// Every finished render, for the live log and the store.
    events: tokio::sync::broadcast::Sender<Arc<Report>>,
    /// Render durations for `/metrics`.
    durations: Mutex<Histogram>,
    /// What is wrong with the server itself (not the content): the data
    /// folder unwritable, the channel folder gone. Key → message in Chinese.
    faults: Mutex<BTreeMap<&'static str, String>>,
    /// The broadcast loop's encoders, by output name.
    loops: Mutex<BTreeMap<String, LoopStatus>>,
    /// Where the loop's HLS is written (`{dir}/{profile}/`), once set.
    live_dir: std::sync::OnceLock<PathBuf>,
    started: Instant,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            current: RwLock::default(),
            ancestry: Mutex::default(),
            history: Mutex::default(),
            events: tokio::sync::broadcast::channel(256).0,
            durations: Mutex::new(Histogram::new(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])),
            faults: Mutex::default(),
            loops: Mutex::default(),
            live_dir: std::sync::OnceLock::new(),
            started: Instant::now(),
        }
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

    pub fn observe(&mut self, value: f64) {
        for (bound, count) in self.bounds.iter().zip(&mut self.counts) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }
}

/// How many render reports [`Live`] keeps.
const HISTORY: usize = 500;

impl Live {
    pub fn new() -> Live {
        Live::default()
    }

    /// The generation on air, if any render has finished.
    pub fn current(&self) -> Option<Arc<Generation>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn swap(&self, generation: Arc<Generation>) {
        {
            let mut ancestry = self.ancestry.lock().unwrap_or_else(|e| e.into_inner());
            for (name, profile) in &generation.profiles {
                for (id, screen) in &profile.screens {
                    ancestry.insert((name.clone(), id.clone()), screen.parent.clone());
                }
            }
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(generation);
    }

    /// Records a finished render and tells every subscriber.
    pub fn record(&self, report: Report) {
        self.durations.lock().unwrap_or_else(|e| e.into_inner()).observe(report.duration.as_secs_f64());
        let report = Arc::new(report);
        {
            let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back((*report).clone());
        }
        // No subscriber is fine: nobody is watching the log.
        let _ = self.events.send(report);
    }

    /// Every render from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Report>> {
        self.events.subscribe()
    }

    /// Render durations so far.
    pub fn durations(&self) -> Histogram {
        self.durations.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reports a fault of the server (`Some`) or its end (`None`); logged
    /// once when it starts and when it ends, shown to operators meanwhile.
    pub fn set_fault(&self, key: &'static str, message: Option<String>) {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        match message {
            Some(m) => {
                if faults.get(key) != Some(&m) {
                    tracing::error!(fault = key, "{m}");
                    faults.insert(key, m);
                }
            }
            None => {
                if faults.remove(key).is_some() {
                    tracing::info!(fault = key, "recovered");
                }
            }
        }
    }

    /// The server's faults now, by key.
    pub fn faults(&self) -> Vec<(&'static str, String)> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// Sets (`Some`) or removes (`None`) what an encoder of the loop reports.
    pub fn set_loop_status(&self, output: &str, status: Option<LoopStatus>) {
        let mut loops = self.loops.lock().unwrap_or_else(|e| e.into_inner());
        match status {
            Some(s) => loops.insert(output.to_string(), s),
            None => loops.remove(output),
        };
    }

    /// The loop's encoders now, by output name.
    pub fn loop_statuses(&self) -> Vec<LoopStatus> {
        self.loops.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    /// Sets where the loop's HLS is written (once; later calls are ignored).
    pub fn set_live_dir(&self, dir: PathBuf) {
        let _ = self.live_dir.set(dir);
    }

    pub fn live_dir(&self) -> Option<&Path> {
        self.live_dir.get().map(PathBuf::as_path)
    }

    /// Time since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The most recent renders, oldest first.
    pub fn history(&self) -> Vec<Report> {
        self.recent(HISTORY)
    }

    /// The last `n` renders, oldest first, without copying the rest.
    pub fn recent(&self, n: usize) -> Vec<Report> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.iter().skip(history.len().saturating_sub(n)).cloned().collect()
    }

    /// The newest render, if any.
    pub fn last_report(&self) -> Option<Report> {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).back().cloned()
    }

    /// The nearest screen on air among `id`'s ancestors (as they were when
    /// they were last on air), or `None` when none is known.
    pub fn living_ancestor(&self, profile: &str, id: &str) -> Option<String> {
        let current = self.current()?;
        let screens = &current.profiles.get(profile)?.screens;
        let ancestry = self.ancestry.lock().unwrap_or_else(|e| e.into_inner());
        let mut at = id.to_string();
        for _ in 0..16 {
            let parent = ancestry.get(&(profile.to_string(), at.clone()))?.clone()?;
            if screens.contains_key(&parent) {
                return Some(parent);
            }
            at = parent;
        }
        None
    }
}

/// What one render did, for the render log.
#[derive(Debug, Clone)]
pub struct Report {
    pub trigger: String,
    pub duration: Duration,
    pub screens: usize,
    pub rendered: usize,
    pub reused: usize,
    pub problems: Vec<Problem>,
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
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "finished": self.finished.to_rfc3339(),
            "trigger": self.trigger,
            "duration_ms": self.duration.as_millis() as u64,
            "change_to_air_ms": self.change_to_air.map(|d| d.as_millis() as u64),
            "screens": self.screens,
            "rendered": self.rendered,
            "reused": self.reused,
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

/// Renders a channel folder into generations, reusing pictures of screens
/// whose drawing did not change since the previous render.
pub struct Renderer {
    channels: PathBuf,
    cache: RasterCache,
    fonts: Arc<Fonts>,
    /// Pictures by a hash of what the screen draws and its size.
    memo: Mutex<HashMap<[u8; 32], Rendered>>,
    /// Each file's last good version, standing in when it breaks.
    last_good: Mutex<content::LastGood>,
    progress: Option<Progress>,
    /// Held by [`rebuild_since`]: one render at a time, so they go on air in
    /// the order they started.
    serial: Mutex<()>,
}

/// Told `(profile, screens done, screens to draw)` as rasterising goes.
pub type Progress = Box<dyn Fn(&str, usize, usize) + Send + Sync>;

impl Renderer {
    pub fn new(channels: &Path, fonts: Arc<Fonts>) -> Renderer {
        Renderer {
            channels: channels.to_path_buf(),
            cache: RasterCache::new(fonts.clone()),
            fonts,
            memo: Mutex::new(HashMap::new()),
            last_good: Mutex::new(content::LastGood::default()),
            progress: None,
            serial: Mutex::new(()),
        }
    }

    /// Reports rasterising progress to `progress` (a progress bar).
    pub fn with_progress(mut self, progress: Progress) -> Renderer {
        self.progress = Some(progress);
        self
    }

    /// Renders the overlays of a profile into assets.
    fn overlay_pictures(&self, ov: &layout::Overlays, profile: &Profile, assets: &mut AssetSet) -> OverlayPics {
        let mut png =
            |s: &layout::Sprite| assets.add(&raster::render_sprite(s, profile, &self.cache), raster::Format::Png);
        OverlayPics {
            clock: ov.clock,
            clock_glyphs: ov.clock_glyphs.iter().map(|g| (png(g), g.w)).collect(),
            entry: ov.entry,
            entry_box: png(&ov.entry_box),
            entry_slots: ov.entry_slots.clone(),
            entry_glyphs: ov.entry_glyphs.iter().map(&mut png).collect(),
            entry_glyph_size: ov.entry_glyphs.first().map_or((0, 0), |g| (g.w, g.h)),
            nowhere: (ov.nowhere.0, png(&ov.nowhere.1)),
            alert: ov.alert.as_ref().map(|(r, s)| (*r, png(s))),
        }
    }

    /// The pictures the memo holds, for saving beside the generation.
    pub fn memo_entries(&self) -> Vec<publish::disk::MemoEntry> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, r)| (*k, r.clone())).collect()
    }

    /// Fills the memo with pictures saved by an earlier run of this binary,
    /// so the first render redraws only what changed since.
    pub fn seed_memo(&self, entries: Vec<publish::disk::MemoEntry>) {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).extend(entries);
    }

    /// Empties the memo, so the next render draws every screen (benchmarks).
    pub fn forget_memo(&self) {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn channels(&self) -> &Path {
        &self.channels
    }

    /// Loads and renders the channel as of now.
    pub fn render(&self, trigger: &str) -> (Option<Generation>, Report) {
        self.render_at(trigger, None, false)
    }

    /// Loads and renders the channel as of `now` (the local time of the channel
    /// when `None`). Returns no generation when it must not go on air — a
    /// broken site.toml — unless `force`d, when defaults stand in for it.
    pub fn render_at(
        &self,
        trigger: &str,
        now: Option<DateTime<FixedOffset>>,
        force: bool,
    ) -> (Option<Generation>, Report) {
        let started = Instant::now();
        let (site, mut problems) = {
            let mut last = self.last_good.lock().unwrap_or_else(|e| e.into_inner());
            let (site, problems) = content::load_with(&self.channels, &last);
            last.remember(&site);
            (site, problems)
        };
        let now = now.unwrap_or_else(|| Utc::now().with_timezone(&site.config.time_zone));
        problems.extend(self.fonts.use_chain(site.config.fonts.as_deref()));
        problems.extend(layout::coverage_problems(&site, &self.fonts));
        let loaded = started.elapsed();
        let (mut t_layout, mut t_raster, mut t_assets) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);

        let mut assets = AssetSet::default();
        let mut laid_out: Vec<ProfileBuild> = Vec::new();
        let (mut rendered, mut reused) = (0, 0);
        let mut memo_next = HashMap::new();
        for profile in &site.config.profiles {
            let t = Instant::now();
            let cx = layout::Context { fonts: &self.fonts, profile, now };
            let screens = layout::build(&site, &cx);
            problems.extend(layout::floor_problems(&screens, profile));
            t_layout += t.elapsed();
            let t = Instant::now();
            let (pictures, r, u) = self.rasterise(&screens, profile, &mut memo_next);
            rendered += r;
            reused += u;
            t_raster += t.elapsed();
            let t = Instant::now();
            let pictures: Vec<Pictures> = pictures.iter().map(|p| assets.add_rendered(p)).collect();
            let overlays = self.overlay_pictures(&layout::overlays(&site, &cx), profile, &mut assets);
            let numbers = layout::numbers(&site, &screens);
            t_assets += t.elapsed();
            laid_out.push(ProfileBuild { screens, pictures, overlays, numbers });
        }
        // Keep only what this render used, so the memo never grows without
        // bound — unless this render will not go on air (a broken site.toml
        // drawn with defaults): then the pictures on air stay the ones to reuse.
        self.cache.forget_pictures();
        let trusted = (site.config_ok && site.unavailable.is_none()) || force;
        if trusted {
            *self.memo.lock().unwrap_or_else(|e| e.into_inner()) = memo_next;
        }

        let inputs: Vec<ProfileInput> = site
            .config
            .profiles
            .iter()
            .zip(&laid_out)
            .map(|(profile, b)| ProfileInput {
                profile,
                screens: &b.screens,
                pictures: &b.pictures,
                overlays: &b.overlays,
                numbers: &b.numbers,
            })
            .collect();
        let t_publish = Instant::now();
        let laid: Vec<broadcast::Laid> = inputs
            .iter()
            .map(|i| broadcast::Laid { profile: i.profile, screens: i.screens, pictures: i.pictures })
            .collect();
        let plan =
            broadcast::plan(site.config.broadcast.as_ref(), &site.config.theme, &self.channels, &laid, &mut problems);
        let settings = ShellSettings {
            poll_seconds: site.config.poll_seconds,
            key_codes: site.config.key_codes.clone(),
            alert: site.alert.as_ref().map(|a| (a.paragraphs.clone(), a.since.to_rfc3339())),
            broadcast: plan,
        };
        let mut generation = publish::assemble(
            &site.config.title,
            &site.config.default_profile,
            now,
            &inputs,
            &settings,
            assets,
            problems.clone(),
        );
        generation.next_change = site
            .columns
            .iter()
            .flat_map(|c| &c.items)
            .flat_map(|i| &i.docs)
            .flat_map(|d| [d.publish, d.expires])
            .flatten()
            .filter(|t| *t > now)
            .min();
        generation.stale_days = site.config.stale_days;
        generation.columns = site
            .columns
            .iter()
            .map(|c| publish::ColumnFreshness { title: c.title.clone(), newest: newest_in(&self.channels, c) })
            .collect();
        // Where the time went, for profiling (RUST_LOG=debug).
        tracing::debug!(
            load_ms = loaded.as_millis() as u64,
            layout_ms = t_layout.as_millis() as u64,
            raster_ms = t_raster.as_millis() as u64,
            assets_ms = t_assets.as_millis() as u64,
            publish_ms = t_publish.elapsed().as_millis() as u64,
            "render stages"
        );
        let report = Report {
            trigger: trigger.to_string(),
            duration: started.elapsed(),
            screens: generation.screen_count(),
            rendered,
            reused,
            problems,
            generation: generation.id.clone(),
            published: trusted,
            unavailable: site.unavailable.clone(),
            change_to_air: None,
            finished: Utc::now(),
        };
        (report.published.then_some(generation), report)
    }

    /// Rasterises screens on every core, taking unchanged ones from the memo.
    fn rasterise(
        &self,
        screens: &[Screen],
        profile: &Profile,
        memo_next: &mut HashMap<[u8; 32], Rendered>,
    ) -> (Vec<Rendered>, usize, usize) {
        let keys: Vec<[u8; 32]> = screens.iter().map(|s| drawing_key(s, profile)).collect();
        let mut out: Vec<Option<Rendered>> = {
            let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter().map(|k| memo.get(k).or_else(|| memo_next.get(k)).cloned()).collect()
        };
        let todo: Vec<usize> = (0..screens.len()).filter(|&i| out[i].is_none()).collect();
        let reused = screens.len() - todo.len();
        let next = AtomicUsize::new(0);
        let done_count = AtomicUsize::new(0);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(todo.len().max(1));
        let done: Vec<Vec<(usize, Rendered)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    // Each worker reuses its canvases and encode buffers
                    // from screen to screen (raster::scratch).
                    scope.spawn(|| {
                        raster::scratch::pooled(|| {
                            let mut mine = Vec::new();
                            loop {
                                let n = next.fetch_add(1, Ordering::Relaxed);
                                let Some(&i) = todo.get(n) else { break };
                                mine.push((i, raster::render(&screens[i], profile, &self.cache)));
                                if let Some(progress) = &self.progress {
                                    progress(&profile.name, done_count.fetch_add(1, Ordering::Relaxed) + 1, todo.len());
                                }
                            }
                            mine
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        for (i, r) in done.into_iter().flatten() {
            out[i] = Some(r);
        }
        let out: Vec<Rendered> = out.into_iter().map(Option::unwrap_or_default).collect();
        for (k, r) in keys.into_iter().zip(&out) {
            memo_next.insert(k, r.clone());
        }
        (out, todo.len(), reused)
    }
}

/// What one profile's part of a render produced.
struct ProfileBuild {
    screens: Vec<Screen>,
    pictures: Vec<Pictures>,
    overlays: OverlayPics,
    numbers: BTreeMap<String, Target>,
}

/// The date of a column's newest content: a document's date, else the day its
/// file (or a picture) was last written.
fn newest_in(root: &Path, column: &content::Column) -> Option<chrono::NaiveDate> {
    let written = |source: &str| {
        let modified = std::fs::metadata(root.join(source)).and_then(|m| m.modified()).ok()?;
        Some(DateTime::<Utc>::from(modified).date_naive())
    };
    let items = column.items.iter();
    let docs = items.clone().flat_map(|i| &i.docs).filter_map(|d| d.date.or_else(|| written(&d.source)));
    let pictures = items.flat_map(|i| &i.pictures).filter_map(|(source, _)| written(source));
    docs.chain(pictures).max()
}

/// A hash of everything that decides a screen's pictures.
fn drawing_key(screen: &Screen, profile: &Profile) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(format!("{}x{}i{}", profile.width, profile.height, profile.interlaced).as_bytes());
    for op in &screen.ops {
        op.digest(&mut h);
    }
    for state in &screen.states {
        match &state.focus {
            Some(f) => {
                h.update(b"S");
                for v in [f.rect.x, f.rect.y, f.rect.w, f.rect.h] {
                    h.update(&v.to_le_bytes());
                }
                for op in &f.ops {
                    op.digest(&mut h);
                }
            }
            None => {
                h.update(b"N");
            }
        }
    }
    *h.finalize().as_bytes()
}

/// Keeps large blocks (canvases, encoded pictures being built, the saved
/// generation's file) out of glibc's heaps: each is mapped on its own and
/// returned the moment it is freed. glibc otherwise raises this threshold
/// after the first such free, and a render's canvases then fragment the
/// heaps the long-lived assets sit in (measured: 164 MB resident after a
/// cold render with the default, 125 MB with this). Call once at start.
#[allow(unsafe_code)] // A libc function with no preconditions; see below.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it touches no allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Returns the memory a render freed to the system. glibc keeps freed memory
/// in per-thread arenas; after a render on every core that is tens of MB the
/// server would otherwise hold while serving.
#[allow(unsafe_code)] // A libc function with no preconditions (with tune_allocator and the two system calls of serve::sendfile, infotv's only unsafe).
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Renders, logs and publishes: the one path every trigger takes.
pub fn rebuild(renderer: &Renderer, live: &Live, trigger: &str) -> Report {
    rebuild_since(renderer, live, trigger, None)
}

/// [`rebuild`] for a change first seen at `changed`: the report carries the
/// change → on-air time.
pub fn rebuild_since(renderer: &Renderer, live: &Live, trigger: &str, changed: Option<Instant>) -> Report {
    let _one_at_a_time = renderer.serial.lock().unwrap_or_else(|e| e.into_inner());
    // With nothing on air yet, a channel with defaults beats a black screen.
    // Renders are one at a time (above) and only they put a generation on
    // air, so what is on air now is what the new one replaces.
    let on_air = live.current();
    let force = on_air.is_none();
    let (generation, mut report) = renderer.render_at(trigger, None, force);
    if let Some(g) = generation {
        // Nothing changed: the saved file holds this generation already.
        if let Some(old) = on_air.filter(|old| old.id == g.id) {
            publish::disk::adopt_marks(&old, &g);
        }
        live.swap(Arc::new(g));
    }
    report.change_to_air = changed.map(|t| t.elapsed());
    // With nothing on air before, the (empty) render went on air: there is
    // no last version to speak of.
    let kept = if report.published { "电视上暂无内容" } else { "继续播出上一版" };
    live.set_fault("channels", report.unavailable.as_ref().map(|why| format!("{why}：{kept}，文件夹恢复后自动更新")));
    give_back_memory();
    tracing::info!(
        trigger = %report.trigger,
        duration_ms = report.duration.as_millis() as u64,
        change_to_air_ms = report.change_to_air.map(|d| d.as_millis() as u64),
        screens = report.screens,
        rendered = report.rendered,
        reused = report.reused,
        problems = report.problems.len(),
        generation = %report.generation,
        published = report.published,
        "render"
    );
    for p in &report.problems {
        tracing::warn!(path = %p.path, line = p.line, last_good = p.last_good, "problem {p}");
    }
    live.record(report.clone());
    report
}

/// Keeps the generation on air saved in `dir` (see [`publish::disk`]): after
/// every render that changed it, and again every 30 s while saving fails (a
/// full disk), reporting the failure as a fault meanwhile. `saved` is the id
/// already on disk (the restored one). Returns when `events` closes.
pub async fn keep_on_disk(
    live: Arc<Live>,
    renderer: Arc<Renderer>,
    dir: PathBuf,
    mut events: tokio::sync::broadcast::Receiver<Arc<Report>>,
    mut saved: Option<String>,
) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let mut failing = false;
    loop {
        let retry = async {
            if failing {
                tokio::time::sleep(Duration::from_secs(30)).await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            got = events.recv() => if let Err(RecvError::Closed) = got { return },
            () = retry => {}
        }
        // Only the newest generation matters: renders queued behind are skipped.
        loop {
            match events.try_recv() {
                Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return,
            }
        }
        let Some(g) = live.current() else { continue };
        if saved.as_deref() == Some(g.id.as_str()) {
            continue;
        }
        let (r, d, g2) = (renderer.clone(), dir.clone(), g.clone());
        let started = Instant::now();
        let written = tokio::task::spawn_blocking(move || {
            let written = publish::disk::save(&d, &g2, &r.memo_entries());
            // The file was assembled in memory: give those megabytes back.
            give_back_memory();
            written
        })
        .await;
        match written {
            Ok(Ok(bytes)) => {
                tracing::debug!(generation = %g.id, bytes, ms = started.elapsed().as_millis() as u64, "saved on-air generation");
                live.set_fault("onair-save", None);
                saved = Some(g.id.clone());
                failing = false;
            }
            Ok(Err(err)) => {
                live.set_fault(
                    "onair-save",
                    Some(format!("无法把播出版本保存到数据目录，重启后需等首次渲染完成才能播出：{err:#}")),
                );
                failing = true;
            }
            Err(err) => tracing::error!("saving task failed: {err}"),
        }
    }
}
