//! Runs the stages — load, layout, raster, publish — over a channel folder,
//! with the caches they share between renders. Nothing here knows of review,
//! the store or the operators: [`crate::driver`] applies those around it.
//!
//! Invariant: the generation on air is replaced whole, never edited; a render
//! that cannot be trusted (a broken site.toml) keeps the last good one.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};

use crate::config::Profile;
use crate::content;
use crate::fonts::Fonts;
use crate::health::Health;
use crate::layout::Target;
use crate::layout::{self, Screen};
use crate::onair::OnAir;
use crate::problem::Problem;
use crate::publish::{self, AssetSet, Generation, OverlayPics, Pictures, ProfileInput, ShellSettings};
use crate::raster::{self, RasterCache, Rendered};
use crate::renderlog::{RenderLog, Report, Trigger};
use crate::sync::Locked;

/// Where a render's results go: the generation on air, the render log and
/// the server's health. Cheap to clone; every part is shared.
#[derive(Clone, Default)]
pub struct Station {
    pub on_air: Arc<OnAir>,
    pub log: Arc<RenderLog>,
    pub health: Arc<Health>,
}

impl Station {
    pub fn new() -> Station {
        Station::default()
    }
}

/// A site just loaded, from `root`, with what loading it found.
pub struct Loaded {
    started: Instant,
    /// Files read, not taken as they parsed last time.
    files_read: usize,
    root: PathBuf,
    pub site: content::Site,
    pub problems: Vec<Problem>,
}

/// Renders a channel folder into generations, reusing pictures of screens
/// whose drawing did not change since the previous render.
pub struct Renderer {
    channels: PathBuf,
    cache: RasterCache,
    fonts: Arc<Fonts>,
    /// Pictures by a hash of what the screen draws and its size.
    memo: Mutex<HashMap<[u8; 32], Rendered>>,
    /// Documents' screens as laid out by the last renders.
    layouts: layout::memo::Memo,
    /// Shells and texts of the last render's screens.
    shells: Mutex<publish::ShellMemo>,
    /// Where the bytes of every generation go.
    blobs: Arc<publish::blobs::Blobs>,
    /// Each file's last good version, standing in when it breaks.
    last_good: Mutex<content::LastGood>,
    progress: Option<Progress>,
    /// Held by [`rebuild_since`]: one render at a time, so they go on air in
    /// the order they started.
    serial: Mutex<()>,
    /// How many assets the last render had: room made for as many.
    assets_seen: AtomicUsize,
    /// What the last render leaves to tidy once its generation is on air:
    /// its garbage, and whether the layout memo turns to what it used.
    untidy: Mutex<Option<(Drawn, bool)>>,
    /// The last render on air's settings and columns, without their
    /// documents: what screens made at request time are framed in.
    framing: Mutex<Option<Arc<content::Site>>>,
}

/// A screen made on its own (at request time): everything a box fetches
/// for it, in memory, for the caller to serve and cache.
#[derive(Debug, Clone)]
pub struct OneScreen {
    pub id: String,
    /// Its pictures, every one its shells name: name (`{hash}.png`),
    /// content type, bytes.
    pub pictures: Vec<(String, &'static str, bytes::Bytes)>,
    /// The HTML shell of each focus state, with its strong ETag.
    pub shells: Vec<(String, String)>,
    /// `screens/{id}.json`: its text as laid out, per state.
    pub text: bytes::Bytes,
}

/// A profile's pictures, their drawing keys, how many were drawn and how
/// many reused, and the first picture that could not be stored.
type Rasterised = (Vec<Rendered>, Vec<[u8; 32]>, usize, usize, Option<String>);

/// Told `(profile, screens done, screens to draw)` as rasterising goes.
pub type Progress = Box<dyn Fn(&str, usize, usize) + Send + Sync>;

impl Renderer {
    pub fn new(channels: &Path, fonts: Arc<Fonts>) -> Renderer {
        Renderer {
            channels: channels.to_path_buf(),
            cache: RasterCache::new(fonts.clone()),
            fonts,
            memo: Mutex::new(HashMap::new()),
            layouts: layout::memo::Memo::default(),
            shells: Mutex::new(publish::ShellMemo::default()),
            blobs: Arc::new(publish::blobs::Blobs::in_memory()),
            last_good: Mutex::new(content::LastGood::default()),
            progress: None,
            serial: Mutex::new(()),
            assets_seen: AtomicUsize::new(0),
            untidy: Mutex::new(None),
            framing: Mutex::new(None),
        }
    }

    /// Stores generations in `blobs` (the data folder's) instead of memory.
    pub fn with_blobs(mut self, blobs: Arc<publish::blobs::Blobs>) -> Renderer {
        self.blobs = blobs;
        self
    }

    /// Keeps the channel's pictures as files in `dir` (this renderer's
    /// alone) between renders, instead of in memory.
    pub fn with_spool(mut self, dir: &Path) -> Renderer {
        self.last_good = Mutex::new(content::LastGood::with_spool(dir));
        self
    }

    pub fn blobs(&self) -> &Arc<publish::blobs::Blobs> {
        &self.blobs
    }

    /// Reports rasterising progress to `progress` (a progress bar).
    pub(crate) fn with_progress(mut self, progress: Progress) -> Renderer {
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
            date: ov.date,
            date_glyphs: ov.date_glyphs.iter().map(|g| (png(g), g.w)).collect(),
            date_space: ov.date_space,
            entry: ov.entry,
            entry_box: png(&ov.entry_box),
            entry_slots: ov.entry_slots.clone(),
            entry_glyphs: ov.entry_glyphs.iter().map(&mut png).collect(),
            entry_glyph_size: ov.entry_glyphs.first().map_or((0, 0), |g| (g.w, g.h)),
            nowhere: (ov.nowhere.0, png(&ov.nowhere.1)),
            alert: ov.alert.as_ref().map(|(r, s)| (*r, png(s))),
            notices: ov.notices.iter().map(|(k, r, s)| (*k, *r, png(s))).collect(),
        }
    }

    /// Lays out a menu made at request time (search results, a lookup's
    /// list) for `profile`, framed like the channel's own menus; `None`
    /// before the first render, or for a profile the channel does not have.
    pub fn request_menu(
        &self,
        profile: &str,
        now: DateTime<FixedOffset>,
        spec: layout::menu::Spec,
    ) -> Option<Vec<Screen>> {
        let site = self.framing.locked().clone()?;
        let profile = site.config.profiles.iter().find(|p| p.name == profile)?;
        let cx = layout::Context { fonts: &self.fonts, profile, now, memo: None };
        Some(layout::request_menu(&site, &cx, spec))
    }

    /// Draws one laid-out screen and makes its shells and text, with the
    /// glyph caches the generations share and the overlays and settings of
    /// `on_air`: a screen made at request time, served like any other.
    /// `None` for a profile `on_air` does not have, or when it was read
    /// back from disk and the first render of this run is not done.
    pub fn screen(&self, screen: &Screen, on_air: &Generation, profile: &str) -> Option<OneScreen> {
        let out = on_air.profiles.get(profile)?;
        let raster::Encoded { rendered, bytes } =
            raster::scratch::pooled(|| raster::render_now(screen, &out.profile, &self.cache));
        let url = |name: &str| format!("/a/{name}");
        let pics = Pictures {
            base: url(&rendered.base.name),
            sprites: rendered.sprites.iter().map(|s| s.as_ref().map(|(r, e)| (*r, url(&e.name)))).collect(),
        };
        let (shells, text) = publish::request_screen(on_air, profile, screen, &pics)?;
        let pictures = rendered
            .names()
            .zip(bytes)
            .map(|(name, b)| (name.to_string(), raster::Format::of_name(name).content_type(), bytes::Bytes::from(b)))
            .collect();
        Some(OneScreen { id: screen.id.clone(), pictures, shells, text })
    }

    /// The pictures the memo holds, for saving beside the generation.
    pub fn memo_entries(&self) -> Vec<publish::disk::MemoEntry> {
        self.memo.locked().iter().map(|(k, r)| (*k, r.clone())).collect()
    }

    /// Fills the memo with pictures saved by an earlier run of this binary,
    /// so the first render redraws only what changed since.
    pub fn seed_memo(&self, entries: Vec<publish::disk::MemoEntry>) {
        self.memo.locked().extend(entries);
    }

    /// Seeds the shell memo with a restored generation's screens (saved by
    /// this very binary: another build may write shells differently).
    pub fn seed_shells(&self, g: &Generation) {
        self.shells.locked().seed(g);
    }

    /// Empties the memo, so the next render draws every screen (benchmarks).
    pub fn forget_memo(&self) {
        self.memo.locked().clear();
        self.layouts.clear();
    }

    /// Loads and renders the channel as it is in `root` (a candidate for
    /// review), with no last good versions and whatever its site.toml says.
    pub(crate) fn render_root(&self, root: &Path, trigger: impl Into<Trigger>) -> (Option<Generation>, Report) {
        self.tidy();
        let started = Instant::now();
        let (site, problems) = content::load(root);
        self.finish(
            Loaded { started, files_read: 0, root: root.to_path_buf(), site, problems },
            trigger.into(),
            None,
            true,
        )
    }

    pub fn channels(&self) -> &Path {
        &self.channels
    }

    /// Loads and renders the channel as of now.
    pub fn render(&self, trigger: impl Into<Trigger>) -> (Option<Generation>, Report) {
        self.render_at(trigger.into(), None, false)
    }

    /// Loads and renders the channel as of `now` (the local time of the channel
    /// when `None`). Returns no generation when it must not go on air — a
    /// broken site.toml — unless `force`d, when defaults stand in for it.
    pub fn render_at(
        &self,
        trigger: impl Into<Trigger>,
        now: Option<DateTime<FixedOffset>>,
        force: bool,
    ) -> (Option<Generation>, Report) {
        self.tidy();
        let loaded = self.load(&self.channels);
        self.finish(loaded, trigger.into(), now, force)
    }

    /// The first stage: the channel as it is in `root`, each broken file
    /// standing in with its last good version. What it returns is the
    /// driver's to add to (review's problems, poll counts) before
    /// [`Renderer::finish`] lays it out, draws and publishes it.
    pub fn load(&self, root: &Path) -> Loaded {
        let started = Instant::now();
        let mut last = self.last_good.locked();
        let (site, problems) = content::load_with(root, &last);
        let files_read = last.files_read();
        last.remember(&site);
        Loaded { started, files_read, root: root.to_path_buf(), site, problems }
    }

    /// Held by the driver for a whole render and its going on air: one at a
    /// time, so they go on air in the order they started.
    pub(crate) fn one_at_a_time(&self) -> std::sync::MutexGuard<'_, ()> {
        self.serial.locked()
    }

    /// Lays out, draws and publishes a loaded site, and reports on it.
    pub fn finish(
        &self,
        loaded: Loaded,
        trigger: Trigger,
        now: Option<DateTime<FixedOffset>>,
        force: bool,
    ) -> (Option<Generation>, Report) {
        let Loaded { started, files_read, root, site, mut problems } = loaded;
        let root = root.as_path();
        let site = &site;
        let now = now.unwrap_or_else(|| Utc::now().with_timezone(&site.config.time_zone));
        problems.extend(layout::site_problems(site, &self.fonts, Some(&self.layouts)));
        let loaded = started.elapsed();
        let mut trusted = (site.config_ok && site.unavailable.is_none()) || force;
        let (mut drawn, t_publish, generation) = self.draw_and_publish(root, site, now, &mut problems);
        let generation = match generation {
            Ok(g) => g,
            Err(e) => {
                // Nothing goes on air that the disk does not hold whole.
                problems.push(
                    Problem::new(
                        "",
                        format!("无法写入数据目录，继续播出上一版：{e:#}"),
                        format!("the data folder cannot be written; the last version stays on air: {e:#}"),
                    )
                    .hint(
                        "检查磁盘是否已满、数据目录是否可写",
                        "check that the disk is not full and the data folder writable",
                    ),
                );
                trusted = false;
                Generation::empty(self.blobs.clone())
            }
        };
        if trusted {
            *self.memo.locked() = std::mem::take(&mut drawn.memo);
            *self.framing.locked() = Some(Arc::new(framing_of(site)));
        }
        // Where the time went, for profiling (RUST_LOG=debug).
        tracing::debug!(
            load_ms = loaded.as_millis() as u64,
            layout_ms = drawn.times[0].as_millis() as u64,
            raster_ms = drawn.times[1].as_millis() as u64,
            assets_ms = drawn.times[2].as_millis() as u64,
            publish_ms = t_publish.elapsed().as_millis() as u64,
            "render stages"
        );
        let report = Report {
            trigger,
            duration: started.elapsed(),
            screens: generation.screen_count(),
            rendered: drawn.rendered,
            reused: drawn.reused,
            files_read,
            problems,
            generation: generation.id.clone(),
            published: trusted,
            unavailable: site.unavailable.clone(),
            change_to_air: None,
            finished: Utc::now(),
        };
        // Left for once the generation is on air (see `tidy`).
        *self.untidy.locked() = Some((drawn, trusted));
        (report.published.then_some(generation), report)
    }

    /// Lets go of what the last render left and turns the layout memo to
    /// what it used. Done once its generation is on air, not on the way
    /// there; at the latest when the next render starts.
    pub(crate) fn tidy(&self) {
        let Some((drawn, trusted)) = self.untidy.locked().take() else { return };
        // The render's screens go first: what the memo keeps is copied after.
        drop(drawn);
        self.layouts.turn(trusted);
    }

    /// Draws and publishes; when a screen the layout memo kept thin was
    /// needed whole (its pictures or shells were gone), forgets the memo
    /// and does both again.
    fn draw_and_publish(
        &self,
        root: &Path,
        site: &content::Site,
        now: DateTime<FixedOffset>,
        problems: &mut Vec<Problem>,
    ) -> (Drawn, Instant, anyhow::Result<Generation>) {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut tried = problems.clone();
            let thin = match self.draw(site, now, &mut tried) {
                Ok(mut drawn) => {
                    // Keep only what this render used, so the memo never grows
                    // without bound — unless this render will not go on air (a
                    // broken site.toml drawn with defaults): then the pictures
                    // on air stay the ones to reuse.
                    self.cache.forget_pictures();
                    let t_publish = Instant::now();
                    let assets = std::mem::replace(&mut drawn.assets, AssetSet::new(self.blobs.clone()));
                    let generation = self.publish(root, site, now, &drawn, assets, &mut tried);
                    match generation {
                        Err(e) if attempts == 1 && e.downcast_ref::<layout::Thin>().is_some() => e.to_string(),
                        generation => {
                            *problems = tried;
                            return (drawn, t_publish, generation);
                        }
                    }
                }
                // Never twice: a memo just forgotten keeps no thin screen.
                Err(e) if attempts == 1 => e.to_string(),
                Err(e) => return (Drawn::empty(&self.blobs), Instant::now(), Err(e.into())),
            };
            tracing::debug!("laying out anew: {thin}");
            self.layouts.forget();
        }
    }

    /// Lays out and draws every profile: screens, their pictures as assets,
    /// overlays and page numbers.
    fn draw(
        &self,
        site: &content::Site,
        now: DateTime<FixedOffset>,
        problems: &mut Vec<Problem>,
    ) -> Result<Drawn, layout::Thin> {
        let mut drawn = Drawn::empty(&self.blobs);
        drawn.assets.reserve(self.assets_seen.load(Ordering::Relaxed));
        let cx = |profile| layout::Context { fonts: &self.fonts, profile, now, memo: Some(&self.layouts) };
        // The profiles are laid out side by side: each on a core.
        let t = Instant::now();
        let laid: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = site
                .config
                .profiles
                .iter()
                .map(|profile| {
                    scope.spawn(move || {
                        let (screens, floor) = layout::screens(site, &cx(profile));
                        let t = Instant::now();
                        let index = crate::search::Index::build(site, &screens, now);
                        tracing::debug!(profile = %profile.name, entries = index.len(), bytes = index.weight(),
                            ms = t.elapsed().as_secs_f64() * 1e3, "search index");
                        (screens, floor, Arc::new(index))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
        drawn.times[0] += t.elapsed();
        for (profile, (screens, floor, search)) in site.config.profiles.iter().zip(laid) {
            let cx = cx(profile);
            problems.extend(floor);
            let t = Instant::now();
            let (pictures, keys, r, u, failed) = self.rasterise(&screens, profile, &mut drawn.memo)?;
            if let Some(failed) = failed {
                drawn.assets.fail(failed);
            }
            drawn.rendered += r;
            drawn.reused += u;
            drawn.times[1] += t.elapsed();
            let t = Instant::now();
            // Rasterising stored every picture, or found it stored.
            let pictures: Vec<Pictures> = pictures.iter().map(|p| drawn.assets.add_stored(p)).collect();
            let overlays = self.overlay_pictures(&layout::overlays(site, &cx), profile, &mut drawn.assets);
            let numbers = layout::numbers(site, &screens);
            drawn.times[2] += t.elapsed();
            drawn.profiles.push(ProfileBuild { screens, pictures, overlays, numbers, drawn: keys, search });
        }
        self.assets_seen.store(drawn.assets.len(), Ordering::Relaxed);
        Ok(drawn)
    }

    /// Assembles the generation: shells, graphs, the loop's plan, and what
    /// the dashboard reads (next scheduled change, column freshness).
    /// The plan's problems are added to `problems`, and all go into the
    /// generation.
    fn publish(
        &self,
        root: &Path,
        site: &content::Site,
        now: DateTime<FixedOffset>,
        drawn: &Drawn,
        assets: AssetSet,
        problems: &mut Vec<Problem>,
    ) -> anyhow::Result<Generation> {
        let inputs: Vec<ProfileInput> = site
            .config
            .profiles
            .iter()
            .zip(&drawn.profiles)
            .map(|(profile, b)| ProfileInput {
                profile,
                screens: &b.screens,
                pictures: &b.pictures,
                overlays: &b.overlays,
                numbers: &b.numbers,
                drawn: &b.drawn,
            })
            .collect();
        let laid: Vec<publish::plan::Laid> = inputs
            .iter()
            .map(|i| publish::plan::Laid { profile: i.profile, screens: i.screens, pictures: i.pictures })
            .collect();
        let config = &site.config;
        let plan = publish::plan::plan(config.broadcast.as_ref(), &config.theme, root, &laid, problems);
        let settings = ShellSettings {
            poll_seconds: config.poll_seconds,
            key_codes: config.key_codes.clone(),
            alert: site.alert.as_ref().map(|a| (a.paragraphs.clone(), a.since.to_rfc3339())),
            broadcast: plan,
            portal_url: config.portal_url.clone(),
            interaction: config.interaction.clone(),
        };
        let mut generation = publish::assemble(
            &config.title,
            &config.default_profile,
            now,
            &inputs,
            &settings,
            assets,
            &mut self.shells.locked(),
        )?;
        generation.problems = problems.clone();
        for (profile, build) in config.profiles.iter().zip(&drawn.profiles) {
            if let Some(out) = generation.profiles.get_mut(&profile.name) {
                out.search = Some(build.search.clone());
            }
        }
        let docs = site.all_items().into_iter().flat_map(|i| &i.docs);
        // A poll closing is a scheduled change too: its screens turn to the final results.
        let closes = |d: &content::Doc| match &d.body {
            content::Body::Poll(p) => p.closes,
            _ => None,
        };
        generation.next_change =
            docs.flat_map(|d| [d.publish, d.expires, closes(d)]).flatten().filter(|t| *t > now).min();
        generation.stale_days = config.stale_days;
        generation.columns = site
            .columns
            .iter()
            .map(|c| publish::ColumnFreshness { title: c.title.clone(), newest: newest_in(root, c) })
            .collect();
        Ok(generation)
    }

    /// Rasterises screens on every core, taking unchanged ones from the memo.
    fn rasterise(
        &self,
        screens: &[Arc<Screen>],
        profile: &Profile,
        memo_next: &mut HashMap<[u8; 32], Rendered>,
    ) -> Result<Rasterised, layout::Thin> {
        let keys: Vec<[u8; 32]> = screens.iter().map(|s| s.drawing_key(profile)).collect();
        // Every test checks that a kept screen's drawing is the one it was kept with.
        debug_assert!(screens.iter().zip(&keys).all(|(s, k)| s.thin || layout::drawing_key(s, profile) == *k));
        // A picture of the memo is reused while its blobs are there (the
        // memo keeps names only).
        let kept = |r: &&Rendered| r.names().all(|n| self.blobs.has(n));
        let mut out: Vec<Option<Rendered>> = {
            let memo = self.memo.locked();
            keys.iter().map(|k| memo.get(k).filter(kept).or_else(|| memo_next.get(k)).cloned()).collect()
        };
        let todo: Vec<usize> = (0..screens.len()).filter(|&i| out[i].is_none()).collect();
        if let Some(&i) = todo.iter().find(|&&i| screens[i].thin) {
            return Err(layout::Thin(screens[i].id.clone()));
        }
        let reused = screens.len() - todo.len();
        let next = AtomicUsize::new(0);
        let done_count = AtomicUsize::new(0);
        let failed: Mutex<Option<String>> = Mutex::new(None);
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
                                // Stored at once, kept by name: a channel's
                                // pictures never all sit in memory.
                                let raster::Encoded { rendered, bytes } =
                                    raster::render(&screens[i], profile, &self.cache);
                                for (name, bytes) in rendered.names().zip(bytes) {
                                    if let Err(err) = self.blobs.put(name, &bytes.into()) {
                                        tracing::warn!("picture {name} not stored: {err}");
                                        failed.locked().get_or_insert_with(|| format!("{name}: {err}"));
                                    }
                                }
                                mine.push((i, rendered));
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
        for (k, r) in keys.iter().zip(&out) {
            memo_next.insert(*k, r.clone());
        }
        Ok((out, keys, todo.len(), reused, failed.into_inner().unwrap_or_else(|e| e.into_inner())))
    }
}

impl Drawn {
    fn empty(blobs: &Arc<publish::blobs::Blobs>) -> Drawn {
        Drawn {
            profiles: Vec::new(),
            assets: AssetSet::new(blobs.clone()),
            memo: HashMap::new(),
            rendered: 0,
            reused: 0,
            times: Default::default(),
        }
    }
}

/// What drawing every profile produced.
struct Drawn {
    profiles: Vec<ProfileBuild>,
    assets: AssetSet,
    /// The memo for the next render: every picture this one used.
    memo: HashMap<[u8; 32], Rendered>,
    rendered: usize,
    reused: usize,
    /// Time spent laying out, rasterising, and collecting assets.
    times: [Duration; 3],
}

/// What one profile's part of a render produced.
struct ProfileBuild {
    screens: Vec<Arc<Screen>>,
    pictures: Vec<Pictures>,
    overlays: OverlayPics,
    numbers: BTreeMap<String, Target>,
    /// Each screen's drawing key.
    drawn: Vec<[u8; 32]>,
    search: Arc<crate::search::Index>,
}

/// `site` without its documents: the settings and columns that frame a
/// screen made at request time.
fn framing_of(site: &content::Site) -> content::Site {
    let columns = site
        .columns
        .iter()
        .map(|c| content::Column { items: Vec::new(), key: c.key.clone(), title: c.title.clone(), accent: c.accent })
        .collect();
    content::Site {
        config: site.config.clone(),
        config_ok: site.config_ok,
        columns,
        unavailable: site.unavailable.clone(),
        alert: site.alert.clone(),
        tally: Default::default(),
    }
}

/// The date of a column's newest content: a document's date, else the day its
/// file (or a picture) was last written.
fn newest_in(root: &Path, column: &content::Column) -> Option<chrono::NaiveDate> {
    let written = |source: &str| {
        let modified = std::fs::metadata(root.join(source)).and_then(|m| m.modified()).ok()?;
        Some(DateTime::<Utc>::from(modified).date_naive())
    };
    let items = column.all_items().into_iter();
    let docs = items.clone().flat_map(|i| &i.docs).filter_map(|d| d.date.or_else(|| written(&d.source)));
    let pictures = items.flat_map(|i| &i.pictures).filter_map(|(source, _)| written(source));
    docs.chain(pictures).max()
}
