//! File events to renders: the channel folder is watched, events are
//! normalised and debounced over a quiet period, and one render follows a
//! burst of changes.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Days, FixedOffset, Utc};
use notify::event::{EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::content::names::is_ignored;
use crate::pipeline::{rebuild, Live, Renderer};

/// What happened to a path, after notify's many event kinds are folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Modified,
    Removed,
}

/// Folds a notify event kind into a change, or `None` for events that change
/// nothing a render reads (reads, opens, attribute-only changes).
pub fn normalise(kind: &EventKind) -> Option<Change> {
    match kind {
        EventKind::Create(_) => Some(Change::Created),
        EventKind::Remove(_) => Some(Change::Removed),
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
pub fn relevant(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    !rel.components().any(|c| is_ignored(&c.as_os_str().to_string_lossy()))
}

/// Watches the renderer's channel folder and re-renders after each burst of
/// changes once `quiet` has passed without another event, and at local
/// midnight (the date on every screen). Returns when `shutdown` completes.
pub async fn run(
    renderer: Arc<Renderer>,
    live: Arc<Live>,
    quiet: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let root = renderer.channels().to_path_buf();
    let (tx, mut rx) = mpsc::unbounded_channel::<(Change, PathBuf)>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res {
            if let Some(change) = normalise(&event.kind) {
                for path in event.paths {
                    let _ = tx.send((change, path));
                }
            }
        }
    })
    .context("cannot start the file watcher")?;
    watcher.watch(&root, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", root.display()))?;
    tokio::pin!(shutdown);
    loop {
        // Wake for the date on screen at midnight, and for the next scheduled
        // publish or expiry, whichever comes first.
        let current = live.current();
        let midnight = until_midnight(current.as_ref().map(|g| g.built_at));
        let scheduled = current.as_ref().and_then(|g| g.next_change).map(|t| {
            (t.with_timezone(&Utc) - Utc::now()).to_std().unwrap_or(Duration::ZERO) + Duration::from_millis(50)
        });
        let (wake, why) = match scheduled {
            Some(s) if s < midnight => (s, "clock:schedule"),
            _ => (midnight, "clock:midnight"),
        };
        let first = tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = tokio::time::sleep(wake) => None,
            event = rx.recv() => match event {
                Some(e) => Some(e),
                None => return Ok(()),
            },
        };
        let mut changed = BTreeSet::new();
        let trigger = match first {
            None => why.to_string(),
            Some((_, path)) => {
                if relevant(&root, &path) {
                    changed.insert(path);
                }
                // Debounce: keep collecting until the folder has been quiet.
                loop {
                    tokio::select! {
                        () = &mut shutdown => return Ok(()),
                        event = tokio::time::timeout(quiet, rx.recv()) => match event {
                            Ok(Some((_, path))) => {
                                if relevant(&root, &path) {
                                    changed.insert(path);
                                }
                            }
                            Ok(None) => return Ok(()),
                            Err(_) => break,
                        },
                    }
                }
                if changed.is_empty() {
                    continue;
                }
                describe(&root, &changed)
            }
        };
        let (r, l) = (renderer.clone(), live.clone());
        if let Err(err) = tokio::task::spawn_blocking(move || rebuild(&r, &l, &trigger)).await {
            tracing::error!("render task failed: {err}");
        }
    }
}

/// `files:a.md,b.md(+3)` for the render log.
fn describe(root: &Path, changed: &BTreeSet<PathBuf>) -> String {
    let names: Vec<String> =
        changed.iter().take(3).map(|p| crate::problem::slash_path(p.strip_prefix(root).unwrap_or(p))).collect();
    let more = changed.len().saturating_sub(3);
    let mut s = format!("files:{}", names.join(","));
    if more > 0 {
        s.push_str(&format!("(+{more})"));
    }
    s
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
    fn midnight_is_within_a_day() {
        let d = until_midnight(None);
        assert!(d > Duration::ZERO && d <= Duration::from_secs(86_401));
    }
}
