//! File events to renders: the channel folder is watched — by the kernel's
//! events, or by polling where those never come (SMB and NFS mounts) — events
//! are normalised, debounced over a quiet period, a changed file counts as
//! ready only once its size and modification time hold still, and one render
//! follows a burst of changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use chrono::{DateTime, Days, FixedOffset, Utc};
use notify::event::{EventKind, MetadataKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::config::WatchMode;
use crate::content::names::is_ignored;
use crate::driver::{rebuild_since, Driver};
use crate::pipeline::Station;
use crate::renderlog::Trigger;

/// A burst that never settles (a file written to forever) is rendered anyway
/// after this long.
const MAX_SETTLE: Duration = Duration::from_secs(30);

/// Folders deeper than this below the channel are not polled: the channel is
/// column / sub-item / file, and a runaway tree must not cost a walk each tick.
const MAX_DEPTH: usize = 4;

/// What happened to a path, after notify's many event kinds are folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Modified,
    Removed,
}

/// Folds a notify event kind into a change, or `None` for events that change
/// nothing a render reads (reads, opens, permission and ownership changes).
pub(crate) fn normalise(kind: &EventKind) -> Option<Change> {
    match kind {
        EventKind::Create(_) => Some(Change::Created),
        EventKind::Remove(_) => Some(Change::Removed),
        // A new modification time (`touch`, a copy that keeps dates) is worth a look.
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime | MetadataKind::Any)) => Some(Change::Modified),
        EventKind::Modify(ModifyKind::Metadata(_)) => None,
        // A rename is a removal of the old name and a creation of the new; both
        // mean "render again", which is all the watcher decides.
        EventKind::Modify(ModifyKind::Name(_)) => Some(Change::Modified),
        EventKind::Modify(_) => Some(Change::Modified),
        EventKind::Any | EventKind::Other => Some(Change::Modified),
        EventKind::Access(_) => None,
    }
}

/// Whether a changed path matters: temp, hidden and partial files do not.
pub(crate) fn relevant(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    !rel.components().any(|c| is_ignored(&c.as_os_str().to_string_lossy()))
}

/// How the watcher runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A burst ends once this long passes without an event and without any
    /// changed file growing.
    pub quiet: Duration,
    /// From the command line; `Auto` defers to site.toml, then to the kind
    /// of file system the channel is on.
    pub mode: WatchMode,
    /// Time between scans when polling; site.toml may set its own.
    pub poll_interval: Duration,
}

impl Options {
    pub fn new(quiet: Duration) -> Options {
        Options { quiet, mode: WatchMode::Auto, poll_interval: Duration::from_secs(2) }
    }
}

/// The watching actually chosen: mode and poll interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Events,
    Poll(Duration),
}

/// site.toml's `[watch]`, read on its own: the watch starts before the first
/// render and must not wait for it. A broken site.toml says nothing here.
fn site_setting(root: &Path) -> Option<(WatchMode, Option<Duration>)> {
    let (text, _) = crate::confined::Root::new(root).read(Path::new("site.toml"), 2 << 20).ok()?;
    let text = crate::content::text::decode(&text)?.text;
    let (config, _) = crate::config::parse_site("site.toml", &text);
    Some((config.watch, config.watch_interval))
}

/// The command line wins, then site.toml; left to itself, a channel on a
/// network file system is polled and any other gets kernel events.
fn choose(options: &Options, site: Option<(WatchMode, Option<Duration>)>, root: &Path) -> (Plan, String) {
    let interval = site.and_then(|s| s.1).unwrap_or(options.poll_interval);
    let (mode, why) = match (options.mode, site.map(|s| s.0)) {
        (WatchMode::Auto, Some(m)) if m != WatchMode::Auto => (m, "site.toml".to_string()),
        (WatchMode::Auto, _) => match network_fs(root) {
            Some(fs) => (WatchMode::Poll, format!("{fs} file system")),
            None => (WatchMode::Events, "local file system".to_string()),
        },
        (m, _) => (m, "command line".to_string()),
    };
    match mode {
        WatchMode::Poll => (Plan::Poll(interval), why),
        _ => (Plan::Events, why),
    }
}

/// The file system type of the mount holding `path`, when it is one that
/// delivers no change events for writes made by other machines.
pub(crate) fn network_fs(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    // Fields: id parent major:minor root mount-point options ... - fstype source.
    let (_, fstype) = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let point = fields.nth(4)?;
            let fstype = line.split(" - ").nth(1)?.split(' ').next()?;
            let point = PathBuf::from(point.replace("\\040", " "));
            path.starts_with(&point).then(|| (point.components().count(), fstype.to_string()))
        })
        .max_by_key(|(depth, _)| *depth)?;
    let network = ["nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "vboxsf", "fuse.sshfs", "davfs"];
    network.contains(&fstype.as_str()).then_some(fstype)
}

/// A running watch: kernel events or a polling thread, feeding `tx`. Dropping
/// it stops the watch.
enum Active {
    /// Held for its drop: the watcher stops when it goes.
    Events(#[allow(dead_code)] Box<dyn Watcher + Send>),
    Poll(Arc<AtomicBool>),
}

impl Drop for Active {
    fn drop(&mut self) {
        if let Active::Poll(stop) = self {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

fn start(plan: Plan, root: &Path, tx: mpsc::UnboundedSender<PathBuf>) -> Result<Active> {
    match plan {
        Plan::Events => {
            let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
                Ok(event) => {
                    if normalise(&event.kind).is_some() {
                        for path in event.paths {
                            let _ = tx.send(path);
                        }
                    }
                }
                // The kernel's queue overflowed or a watch broke: look at everything.
                Err(err) => {
                    tracing::warn!("file watcher: {err}");
                    for path in err.paths {
                        let _ = tx.send(path);
                    }
                }
            })
            .context("cannot start the file watcher")?;
            watcher
                .watch(root, RecursiveMode::Recursive)
                .with_context(|| format!("cannot watch {}", root.display()))?;
            Ok(Active::Events(Box::new(watcher)))
        }
        Plan::Poll(interval) => {
            let stop = Arc::new(AtomicBool::new(false));
            let (root, flag) = (root.to_path_buf(), stop.clone());
            // The first scan now: a change made while the thread starts counts.
            let mut before = scan(&root);
            std::thread::Builder::new()
                .name("infotv-poll".into())
                .spawn(move || {
                    while !flag.load(Ordering::Relaxed) {
                        std::thread::sleep(interval);
                        let now = scan(&root);
                        for path in differences(&before, &now) {
                            if tx.send(path).is_err() {
                                return;
                            }
                        }
                        before = now;
                    }
                })
                .context("cannot start the polling thread")?;
            Ok(Active::Poll(stop))
        }
    }
}

/// Size, modification time and kind of one path.
type Stamp = (u64, Option<SystemTime>, bool);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok(), meta.is_dir()))
}

/// Every path under `root` (ignored names and links not followed) with its stamp.
fn scan(root: &Path) -> BTreeMap<PathBuf, Stamp> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        for entry in read.flatten() {
            if is_ignored(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let path = entry.path();
            let Some(s) = stamp(&path) else { continue };
            if s.2 && depth + 1 < MAX_DEPTH {
                stack.push((path.clone(), depth + 1));
            }
            out.insert(path, s);
        }
    }
    out
}

/// Paths added, removed or changed between two scans.
fn differences(before: &BTreeMap<PathBuf, Stamp>, now: &BTreeMap<PathBuf, Stamp>) -> Vec<PathBuf> {
    let changed = now.iter().filter(|(p, s)| before.get(*p) != Some(s)).map(|(p, _)| p.clone());
    let removed = before.keys().filter(|p| !now.contains_key(*p)).cloned();
    changed.chain(removed).collect()
}

/// A watch on the renderer's channel folder, started but not yet rendering.
pub struct Watch {
    driver: Arc<Driver>,
    station: Station,
    options: Options,
    root: PathBuf,
    tx: mpsc::UnboundedSender<PathBuf>,
    rx: mpsc::UnboundedReceiver<PathBuf>,
    plan: Plan,
    active: Active,
}

impl Watch {
    /// Starts watching now, so that nothing written while the first render
    /// runs is missed: start the watch, then render, then [`run`](Watch::run).
    pub fn start(driver: Arc<Driver>, station: Station, options: Options) -> Result<Watch> {
        let root = driver.channels().to_path_buf();
        let (tx, rx) = mpsc::unbounded_channel::<PathBuf>();
        let (mut plan, mut why) = choose(&options, site_setting(&root), &root);
        let active = match start(plan, &root, tx.clone()) {
            Ok(active) => active,
            // A channel folder that is not there yet (a share not mounted):
            // poll for it, so the channel appears when the folder does.
            Err(err) if plan == Plan::Events => {
                tracing::warn!("{err:#}: polling instead");
                (plan, why) = (Plan::Poll(options.poll_interval), "the folder cannot be watched by events".into());
                start(plan, &root, tx.clone())?
            }
            Err(err) => return Err(err),
        };
        tracing::info!("watching {} by {} ({why})", root.display(), describe_plan(plan));
        Ok(Watch { driver, station, options, root, tx, rx, plan, active })
    }

    /// Re-renders after each burst of changes once it has settled, at local
    /// midnight (a new day; the shell draws the date, so only what changed
    /// by the day is drawn) and at each scheduled publish or expiry.
    /// Returns when `shutdown` completes.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let root = self.root.clone();
        tokio::pin!(shutdown);
        loop {
            // Wake for a new day at midnight, and for the next scheduled
            // publish or expiry, whichever comes first.
            // Only the two times are kept: holding the generation itself
            // across the wait would keep it in memory after it went off air
            // (a county's is a hundred MB).
            let (built_at, next_change) =
                self.station.on_air.current().map_or((None, None), |g| (Some(g.built_at), g.next_change));
            let midnight = until_midnight(built_at);
            let scheduled = next_change.map(|t| {
                (t.with_timezone(&Utc) - Utc::now()).to_std().unwrap_or(Duration::ZERO) + Duration::from_millis(50)
            });
            let (wake, why) = match scheduled {
                Some(s) if s < midnight => (s, Trigger::Schedule),
                _ => (midnight, Trigger::Midnight),
            };
            let first = tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(wake) => None,
                event = self.rx.recv() => match event {
                    Some(path) => Some(path),
                    None => return Ok(()),
                },
            };
            let (trigger, since) = match first {
                None => (why, None),
                Some(path) => {
                    let seen = Instant::now();
                    // In poll mode a change shows only at the next scan: the burst
                    // is over once a whole scan brought nothing new.
                    let quiet = match self.plan {
                        Plan::Poll(interval) => self.options.quiet.max(interval + interval / 2),
                        Plan::Events => self.options.quiet,
                    };
                    let Some(changed) = settle(&root, path, &mut self.rx, quiet, &mut shutdown).await else {
                        return Ok(());
                    };
                    if changed.is_empty() {
                        continue;
                    }
                    (describe(&root, &changed), Some(seen))
                }
            };
            let (r, st) = (self.driver.clone(), self.station.clone());
            let unavailable = match tokio::task::spawn_blocking(move || rebuild_since(&r, &st, trigger, since)).await {
                Ok(report) => report.unavailable.is_some(),
                Err(err) => {
                    tracing::error!("render task failed: {err}");
                    false
                }
            };
            // site.toml may have asked for another way of watching. A channel
            // folder that went away (deleted, unmounted) takes its kernel
            // watch with it: poll until it is back, then watch it afresh.
            let (next, why) = if unavailable {
                (Plan::Poll(self.options.poll_interval), "the channel folder is unavailable".to_string())
            } else {
                choose(&self.options, site_setting(&root), &root)
            };
            if next != self.plan {
                self.active = start(next, &root, self.tx.clone())?;
                self.plan = next;
                tracing::info!("now watching {} by {} ({why})", root.display(), describe_plan(next));
            }
        }
    }
}

fn describe_plan(plan: Plan) -> String {
    match plan {
        Plan::Events => "file events".into(),
        Plan::Poll(every) => format!("polling every {} ms", every.as_millis()),
    }
}

/// Collects the burst that `first` began until no event arrived for `quiet`
/// and every changed path's size and modification time held still over that
/// time; `None` on shutdown. Ignored paths are dropped.
async fn settle(
    root: &Path,
    first: PathBuf,
    rx: &mut mpsc::UnboundedReceiver<PathBuf>,
    quiet: Duration,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Option<BTreeSet<PathBuf>> {
    let started = Instant::now();
    // Each path's stamp when its last event arrived.
    let mut stamps: HashMap<PathBuf, Option<Stamp>> = HashMap::new();
    let add = |path: PathBuf, stamps: &mut HashMap<PathBuf, Option<Stamp>>| {
        if relevant(root, &path) {
            let s = stamp(&path);
            stamps.insert(path, s);
        }
    };
    add(first, &mut stamps);
    loop {
        tokio::select! {
            () = shutdown.as_mut() => return None,
            event = tokio::time::timeout(quiet, rx.recv()) => match event {
                Ok(Some(path)) => add(path, &mut stamps),
                Ok(None) => return None,
                Err(_) => {
                    // Quiet: ready when nothing grew without telling us.
                    let mut still = true;
                    for (path, was) in stamps.iter_mut() {
                        let now = stamp(path);
                        if now != *was {
                            still = false;
                            *was = now;
                        }
                    }
                    if still {
                        break;
                    }
                    if started.elapsed() > MAX_SETTLE {
                        tracing::warn!("files still changing after {} s; rendering anyway", MAX_SETTLE.as_secs());
                        break;
                    }
                }
            },
        }
    }
    Some(stamps.into_keys().collect())
}

/// The first three files of a burst (`files:a.md,b.md(+3)` in the log).
fn describe(root: &Path, changed: &BTreeSet<PathBuf>) -> Trigger {
    // The channel folder itself (moved away, mounted) is named by its own path.
    let names: Vec<String> = changed
        .iter()
        .take(3)
        .map(|p| match p.strip_prefix(root) {
            Ok(rel) if rel.as_os_str().is_empty() => p.display().to_string(),
            Ok(rel) => crate::problem::slash_path(rel),
            Err(_) => crate::problem::slash_path(p),
        })
        .collect();
    Trigger::Files { names, more: changed.len().saturating_sub(3) }
}

/// Time until the next local midnight of the channel's zone.
fn until_midnight(last: Option<DateTime<FixedOffset>>) -> Duration {
    let zone = last.map_or_else(|| FixedOffset::east_opt(0).expect("zero offset"), |t| *t.offset());
    let now = Utc::now().with_timezone(&zone);
    let next = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .and_then(|d| d.and_hms_opt(0, 0, 1))
        .and_then(|t| t.and_local_timezone(zone).single());
    match next {
        Some(next) => (next - now).to_std().unwrap_or(Duration::from_secs(60)),
        None => Duration::from_secs(3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, DataChange, MetadataKind, RemoveKind, RenameMode};

    #[test]
    fn every_event_kind_maps() {
        let table = [
            (EventKind::Create(CreateKind::File), Some(Change::Created)),
            (EventKind::Create(CreateKind::Folder), Some(Change::Created)),
            (EventKind::Remove(RemoveKind::File), Some(Change::Removed)),
            (EventKind::Modify(ModifyKind::Data(DataChange::Content)), Some(Change::Modified)),
            (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), Some(Change::Modified)),
            (EventKind::Modify(ModifyKind::Metadata(MetadataKind::Permissions)), None),
            (EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)), Some(Change::Modified)),
            (EventKind::Access(AccessKind::Read), None),
            (EventKind::Any, Some(Change::Modified)),
        ];
        for (kind, want) in table {
            assert_eq!(normalise(&kind), want, "{kind:?}");
        }
    }

    #[test]
    fn temp_files_are_not_relevant() {
        let root = Path::new("/c");
        assert!(relevant(root, Path::new("/c/01-要闻/01-时政/a.md")));
        assert!(!relevant(root, Path::new("/c/01-要闻/01-时政/~$a.docx")));
        assert!(!relevant(root, Path::new("/c/.git/index")));
        assert!(!relevant(root, Path::new("/c/01-要闻/a.md.swp")));
    }

    #[test]
    fn the_command_line_wins_then_site_toml_then_the_file_system() {
        let root = std::env::temp_dir();
        let auto = Options::new(Duration::from_millis(300));
        let every = |ms| Plan::Poll(Duration::from_millis(ms));
        // /tmp is local here: kernel events.
        assert_eq!(choose(&auto, None, &root).0, Plan::Events);
        assert_eq!(choose(&auto, Some((WatchMode::Auto, None)), &root).0, Plan::Events);
        assert_eq!(choose(&auto, Some((WatchMode::Poll, None)), &root).0, every(2000));
        assert_eq!(choose(&auto, Some((WatchMode::Poll, Some(Duration::from_secs(5)))), &root).0, every(5000));
        let events = Options { mode: WatchMode::Events, ..auto };
        assert_eq!(choose(&events, Some((WatchMode::Poll, None)), &root).0, Plan::Events);
        let poll = Options { mode: WatchMode::Poll, poll_interval: Duration::from_millis(700), ..auto };
        assert_eq!(choose(&poll, Some((WatchMode::Events, None)), &root).0, every(700));
    }

    #[test]
    fn site_toml_sets_the_watch() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(site_setting(dir.path()), None);
        std::fs::write(dir.path().join("site.toml"), "[watch]\nmode = \"poll\"\ninterval_seconds = 3\n").unwrap();
        assert_eq!(site_setting(dir.path()), Some((WatchMode::Poll, Some(Duration::from_secs(3)))));
    }

    #[test]
    fn scans_differ_by_size_time_and_presence() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.md");
        std::fs::write(&a, "one").unwrap();
        std::fs::write(dir.path().join("b.md"), "b").unwrap();
        std::fs::write(dir.path().join("~$b.docx"), "lock").unwrap();
        let before = scan(dir.path());
        assert_eq!(before.len(), 2, "ignored names are not scanned: {before:?}");
        std::fs::write(&a, "one two").unwrap();
        std::fs::remove_file(dir.path().join("b.md")).unwrap();
        std::fs::write(dir.path().join("c.md"), "c").unwrap();
        let mut diff = differences(&before, &scan(dir.path()));
        diff.sort();
        let names: Vec<_> = diff.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.md", "b.md", "c.md"]);
    }

    #[test]
    fn a_trigger_names_files_inside_and_the_folder_itself() {
        let root = Path::new("/srv/channels");
        let changed: BTreeSet<PathBuf> = [root.join("01-新闻/a.md"), root.to_path_buf()].into_iter().collect();
        assert_eq!(describe(root, &changed).to_string(), "files:/srv/channels,01-新闻/a.md");
    }

    #[test]
    fn midnight_is_within_a_day() {
        let d = until_midnight(None);
        assert!(d > Duration::ZERO && d <= Duration::from_secs(86_401));
    }
}
