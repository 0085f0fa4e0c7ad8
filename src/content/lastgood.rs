//! What every file last loaded as, and what it parsed to under its size
//! and time: a broken file keeps its last good version on air, and a render
//! re-reads only the files that changed.

use super::article::Block;
use super::model::{Doc, Site};
use super::photo;
use super::photo::ImageData;
use crate::config::SiteConfig;
use crate::problem::Problem;
use crate::sync::Locked;
use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

/// What every file last loaded as: a file that used to render and then breaks
/// (a half-finished copy, a bad edit) keeps its last good version on air, and
/// its problems say so.
///
/// It also keeps what each file parsed to, with the file's size and time:
/// a render re-reads only the files that changed since the last one.
#[derive(Debug, Default)]
pub struct LastGood {
    pub(super) docs: HashMap<String, Arc<Doc>>,
    pub(super) pictures: HashMap<String, Arc<ImageData>>,
    pub(super) parsed: std::sync::Mutex<Parsed>,
    /// Where pictures are kept instead of memory (see `photo::Held`).
    pub(super) spool: Option<std::path::PathBuf>,
}

/// Files as they last parsed, and which of them this load has seen.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) docs: HashMap<String, Cached<Arc<Doc>>>,
    pub(super) pictures: HashMap<String, Cached<Arc<ImageData>>>,
    seen: std::collections::HashSet<String>,
    /// Files read (not taken from here) since the last `remember`.
    read: usize,
    /// What every parse depends on (see [`LastGood::set_context`]).
    context: [u8; 32],
}

/// A file's stamp, what it parsed to (nothing when it failed) and the
/// problems found.
pub(super) type Cached<T> = (Stamp, Option<T>, Vec<Problem>);

/// What `source` parsed to, from `map`, when its stamp is still `stamp`;
/// the file is marked seen either way.
pub(super) fn cached<T: Clone>(
    map: &HashMap<String, Cached<T>>,
    seen: &mut std::collections::HashSet<String>,
    source: &str,
    stamp: Option<Stamp>,
) -> Option<(Option<T>, Vec<Problem>)> {
    seen.insert(source.to_string());
    let (at, value, problems) = map.get(source)?;
    (Some(*at) == stamp).then(|| (value.clone(), problems.clone()))
}

/// Keeps what `source` parsed to under `stamp`; a file without one (too
/// new to trust its time) is forgotten, so it is read again next time.
pub(super) fn keep<T: Clone>(
    map: &mut HashMap<String, Cached<T>>,
    source: &str,
    stamp: Option<Stamp>,
    value: &Option<T>,
    problems: &[Problem],
) {
    match stamp {
        Some(stamp) => {
            map.insert(source.to_string(), (stamp, value.clone(), problems.to_vec()));
        }
        None => {
            map.remove(source);
        }
    }
}

/// What says a file is as it was: its size and time, and what else the
/// parse depended on (the site's settings, the pictures beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    len: u64,
    modified: i128,
    context: [u8; 32],
}

impl Stamp {
    /// The stamp of `path` now, when the file is old enough to trust its
    /// time: one written in the last seconds may change again within the
    /// same tick of a coarse clock (network shares keep 1–2 s), so it is
    /// read again next time, as git does with "racily clean" files.
    pub(super) fn of(path: &Path, context: [u8; 32]) -> Option<Stamp> {
        let m = fs::metadata(path).ok()?;
        let modified = m.modified().ok()?;
        let age = std::time::SystemTime::now().duration_since(modified).ok()?;
        if age < std::time::Duration::from_secs(3) {
            return None;
        }
        let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Stamp { len: m.len(), modified: since.as_nanos() as i128, context })
    }
}

impl LastGood {
    /// Keeps pictures as files in `dir` (a folder of their own: what is not
    /// this loader's is removed from it) instead of in memory.
    pub fn with_spool(dir: &Path) -> LastGood {
        LastGood { spool: Some(dir.to_path_buf()), ..LastGood::default() }
    }

    /// Sets what every file's parse depends on: the site's settings and
    /// the day (the checks know the year).
    pub(super) fn set_context(&self, config: &SiteConfig) {
        let today = chrono::Utc::now().with_timezone(&config.time_zone).date_naive();
        let hash = blake3::hash(format!("{config:?} {today}").as_bytes());
        self.parsed.locked().context = *hash.as_bytes();
    }

    pub(super) fn context(&self) -> [u8; 32] {
        self.parsed.locked().context
    }

    /// How many files the loads since the last `remember` read (the rest
    /// were as they had parsed before).
    pub fn files_read(&self) -> usize {
        self.parsed.locked().read
    }

    /// What `source` parsed to last, when it is unchanged.
    pub(super) fn parsed_doc(&self, source: &str, stamp: Option<Stamp>) -> Option<(Option<Arc<Doc>>, Vec<Problem>)> {
        let mut parsed = self.parsed.locked();
        let Parsed { docs, seen, .. } = &mut *parsed;
        cached(docs, seen, source, stamp)
    }

    pub(super) fn parsed_doc_is(
        &self,
        source: &str,
        stamp: Option<Stamp>,
        doc: &Option<Arc<Doc>>,
        problems: &[Problem],
    ) {
        let mut parsed = self.parsed.locked();
        parsed.read += 1;
        keep(&mut parsed.docs, source, stamp, doc, problems);
    }

    pub(super) fn parsed_picture(
        &self,
        source: &str,
        stamp: Option<Stamp>,
    ) -> Option<(Option<Arc<ImageData>>, Vec<Problem>)> {
        let mut parsed = self.parsed.locked();
        let Parsed { pictures, seen, .. } = &mut *parsed;
        cached(pictures, seen, source, stamp)
    }

    pub(super) fn parsed_picture_is(
        &self,
        source: &str,
        stamp: Option<Stamp>,
        image: &Option<Arc<ImageData>>,
        problems: &[Problem],
    ) {
        let mut parsed = self.parsed.locked();
        parsed.read += 1;
        keep(&mut parsed.pictures, source, stamp, image, problems);
    }

    /// Remembers every document and picture of `site`, forgetting files that
    /// are gone.
    pub fn remember(&mut self, site: &Site) {
        {
            let parsed = self.parsed.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            let seen = std::mem::take(&mut parsed.seen);
            parsed.docs.retain(|source, _| seen.contains(source));
            parsed.pictures.retain(|source, _| seen.contains(source));
            parsed.read = 0;
        }
        self.docs.clear();
        self.pictures.clear();
        for item in site.all_items() {
            for doc in &item.docs {
                self.docs.insert(doc.source.clone(), doc.clone());
            }
            for (source, image) in &item.pictures {
                self.pictures.insert(source.clone(), image.clone());
            }
        }
        if let Some(dir) = &self.spool {
            self.sweep_spool(dir, site);
        }
    }

    /// Removes the spooled pictures that nothing on air or remembered uses:
    /// the site's and the last good versions, and what the parse cache holds.
    pub(super) fn sweep_spool(&self, dir: &Path, site: &Site) {
        let parsed = self.parsed.locked();
        let items = site.all_items();
        let docs = items.iter().flat_map(|i| i.docs.iter()).chain(self.docs.values()).map(|d| &**d);
        let docs = docs.chain(parsed.docs.values().filter_map(|(_, d, _)| d.as_deref()));
        let in_docs = docs.flat_map(|d| d.blocks()).filter_map(|b| match b {
            Block::Image { image, .. } => Some(image),
            _ => None,
        });
        let pictures = items.iter().flat_map(|i| i.pictures.iter().map(|(_, p)| p)).chain(self.pictures.values());
        let cached = parsed.pictures.values().filter_map(|(_, p, _)| p.as_ref());
        let keep: std::collections::HashSet<&str> =
            pictures.chain(cached).chain(in_docs).map(|p| p.hash.as_str()).collect();
        let gone = photo::sweep_spool(dir, &keep);
        if gone > 0 {
            tracing::debug!(gone, kept = keep.len(), "swept the picture spool");
        }
    }

    /// The last good version of `source`, when loading it just failed with a
    /// problem; those problems are marked as having it on air.
    pub(super) fn stand_in<T: Clone>(found: Option<&T>, source: &str, problems: &mut [Problem]) -> Option<T> {
        let found = found?;
        let mut any = false;
        for p in problems.iter_mut().filter(|p| p.path == source) {
            p.last_good = true;
            any = true;
        }
        any.then(|| found.clone())
    }
}
