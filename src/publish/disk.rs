//! The generation on air, kept on disk so that a restart — after a clean stop
//! or a `kill -9` — serves the channel at once, before the first render ends.
//!
//! The bytes (pictures, shells, texts) are in the content-addressed
//! [`super::blobs`], written as renders make them. What is saved here is
//! `onair.bin`, the generation's manifest: magic, its length, a blake3 of it,
//! then JSON naming, per profile, buckets of screen records (each bucket a
//! blob of about 32 screens, by a hash of their ids), so that a save stores
//! only the buckets whose screens changed. `graph.json` is not stored: it is
//! written again from the records on load and must match its saved ETag.
//!
//! The manifest is written only after the blobs are flushed to the disk,
//! under a temporary name, flushed and renamed, then the folder is flushed
//! too: a reader finds the old manifest or the new one, never half of one,
//! and every blob either names is on the disk. A manifest naming a blob that
//! is not there, or a bucket that does not hash to its name, is refused,
//! like a damaged one, and never served.
//!
//! The records carry each screen's drawing key and shell key, so the first
//! render after a restart redraws and rewrites only what changed while it
//! was down — but only when the same binary saved them (a new build may draw
//! differently).

use std::collections::{BTreeMap, HashSet};

use hashbrown::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::blobs::Blobs;
use super::{AlertOut, Asset, ColumnFreshness, Generation, ProfileOut, ScreenOut};
use crate::config::Profile;
use crate::layout::{Section, Target};
use crate::problem::Problem;
use crate::raster::{Format, Rendered};

const MAGIC: &[u8; 8] = b"INFOTVG3";
/// Magic, manifest length, blake3 of the manifest.
const HEADER: usize = 8 + 8 + 32;
/// The file's name in the data folder.
pub const FILE: &str = "onair.bin";

/// A picture memo entry: what a screen drew (its drawing key) → its pictures.
pub type MemoEntry = ([u8; 32], Rendered);

/// What [`load`] gives back.
pub struct Restored {
    pub generation: Generation,
    /// Memo entries, when the binary that drew them is this one.
    pub memo: Vec<MemoEntry>,
    /// Whether this very binary saved it (its memos may be trusted).
    pub same_binary: bool,
    pub bytes: u64,
    /// The blobs holding the screen records (with the generation's
    /// [`Generation::blob_names`], every blob the saved generation needs).
    pub buckets: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    id: String,
    built_at: DateTime<FixedOffset>,
    title: String,
    default_profile: String,
    profiles: Vec<ProfileDisk>,
    /// Assets no screen names (the overlays); the screens name the rest.
    other_assets: Vec<String>,
    problems: Vec<Problem>,
    alert: Option<AlertOut>,
    utc_offset_minutes: i32,
    next_change: Option<DateTime<FixedOffset>>,
    columns: Vec<ColumnFreshness>,
    stale_days: u32,
    #[serde(default)]
    broadcast: Option<super::plan::Plan>,
    #[serde(default)]
    interaction: crate::config::InteractionConfig,
    drawn_by: String,
}

#[derive(Serialize, Deserialize)]
struct ProfileDisk {
    profile: Profile,
    start: String,
    graph_etag: String,
    numbers: BTreeMap<String, Target>,
    screens: usize,
    /// The screens' records in buckets by a hash of their id, each bucket a
    /// blob: an edit rewrites the buckets of the screens it changed.
    buckets: Vec<String>,
}

/// How many buckets a profile of `screens` screens is kept in: about 32
/// screens a bucket (a few kilobytes to write when one of them changes).
fn bucket_count(screens: usize) -> usize {
    (screens / 32).next_power_of_two().clamp(1, 4096)
}

fn bucket_of(id: &str, buckets: usize) -> usize {
    let h = blake3::hash(id.as_bytes());
    u32::from_le_bytes([h.as_bytes()[0], h.as_bytes()[1], h.as_bytes()[2], h.as_bytes()[3]]) as usize % buckets
}

/// The buckets the last save wrote, with the screens in each, so a save
/// stores again only buckets whose screens changed (a screen that did not
/// change is the very same `Arc` in the next generation).
#[derive(Default)]
pub struct SaveMemo {
    buckets: HashMap<BucketKey, (Bucket, String)>,
}

/// The screens of a bucket, in order of id.
type Bucket = Vec<(String, Arc<ScreenOut>)>;

/// A bucket: profile, number of buckets, index.
type BucketKey = (String, usize, usize);

/// Who drew the pictures: a hash of this very executable, so a memo is only
/// trusted by the build that made it.
pub(crate) fn this_binary() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe()
            .and_then(std::fs::read)
            .map(|b| blake3::hash(&b).to_hex()[..24].to_string())
            .unwrap_or_default()
    })
}

/// What [`save`] wrote.
pub struct Saved {
    /// The manifest's size.
    pub bytes: u64,
    /// The buckets it names (blobs the generation itself does not name).
    pub buckets: Vec<String>,
    /// Of those, the bytes of the ones stored by this save.
    pub stored: u64,
}

/// Writes the manifest of `g` to `dir`, once its blobs are on the disk,
/// replacing what was there only once the new file is safely on disk.
pub fn save(dir: &Path, g: &Generation, memo: &mut SaveMemo) -> Result<Saved> {
    let mut named = HashSet::new();
    let mut profiles = Vec::with_capacity(g.profiles.len());
    let (mut buckets_all, mut stored) = (Vec::new(), 0u64);
    let mut kept = HashMap::new();
    for (name, p) in &g.profiles {
        let n = bucket_count(p.screens.len());
        let mut buckets: Vec<Vec<(&String, &Arc<ScreenOut>)>> = vec![Vec::new(); n];
        for (id, s) in &p.screens {
            buckets[bucket_of(id, n)].push((id, s));
            for state in &s.graph.states {
                named.insert(state.image.trim_start_matches("/a/"));
                named.extend(state.focus.as_ref().map(|f| f.image.trim_start_matches("/a/")));
            }
        }
        let mut names = Vec::with_capacity(n);
        for (i, mut bucket) in buckets.into_iter().enumerate() {
            bucket.sort_by(|a, b| a.0.cmp(b.0));
            let key = (name.clone(), n, i);
            let same = memo.buckets.remove(&key).filter(|(was, blob)| {
                was.len() == bucket.len()
                    && was.iter().zip(&bucket).all(|((a, x), (b, y))| a == *b && Arc::ptr_eq(x, y))
                    && g.blobs.has(blob)
            });
            let blob = match same {
                Some((_, blob)) => blob,
                None => {
                    let records: Vec<(&String, &ScreenOut)> = bucket.iter().map(|(id, s)| (*id, s.as_ref())).collect();
                    let json = serde_json::to_vec(&records)?;
                    stored += json.len() as u64;
                    super::store(&g.blobs, json.into(), "json").context("cannot store the screens")?
                }
            };
            names.push(blob.clone());
            kept.insert(key, (bucket.into_iter().map(|(id, s)| (id.clone(), s.clone())).collect(), blob));
        }
        buckets_all.extend(names.iter().cloned());
        profiles.push(ProfileDisk {
            profile: p.profile.clone(),
            start: p.start.clone(),
            graph_etag: p.graph_etag.clone(),
            numbers: p.numbers.clone(),
            screens: p.screens.len(),
            buckets: names,
        });
    }
    memo.buckets = kept;
    let mut other_assets: Vec<String> =
        g.assets.keys().filter(|a| !named.contains(&***a)).map(|a| a.to_string()).collect();
    other_assets.sort();
    let listed = Manifest {
        id: g.id.clone(),
        built_at: g.built_at,
        title: g.title.clone(),
        default_profile: g.default_profile.clone(),
        profiles,
        other_assets,
        problems: g.problems.clone(),
        alert: g.alert.clone(),
        utc_offset_minutes: g.utc_offset_minutes,
        next_change: g.next_change,
        columns: g.columns.clone(),
        stale_days: g.stale_days,
        broadcast: g.broadcast.clone(),
        interaction: g.interaction.clone(),
        drawn_by: this_binary().to_string(),
    };
    let manifest = serde_json::to_vec(&listed)?;
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&(manifest.len() as u64).to_le_bytes());
    header.extend_from_slice(blake3::hash(&manifest).as_bytes());
    // Every blob the manifest names is on the disk before the manifest is.
    g.blobs.sync().context("cannot flush the blobs to the disk")?;
    write_atomically(&dir.join(FILE), &[&header, &manifest])?;
    Ok(Saved { bytes: (HEADER + manifest.len()) as u64, buckets: buckets_all, stored })
}

/// Writes `parts` to `path` whole or not at all ([`crate::atomic`]), making
/// its folder first. Returns the file written, open for reading.
pub(crate) fn write_atomically(path: &Path, parts: &[&[u8]]) -> Result<std::fs::File> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let written = crate::atomic::write_with(path, crate::atomic::SHARED, |mut f| {
        parts.iter().try_for_each(|part| f.write_all(part))
    });
    Ok(written.with_context(|| format!("cannot write {}", path.display()))?.0)
}

/// Reads the generation saved in `dir`, its bytes in `blobs`: `Ok(None)`
/// when there is none, an error when the file is there but damaged or names
/// a blob that is not there (it is then never served).
pub fn load(dir: &Path, blobs: &Arc<Blobs>) -> Result<Option<Restored>> {
    let path = dir.join(FILE);
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    load_bytes(&data, blobs).with_context(|| format!("{} is damaged", path.display())).map(Some)
}

/// Reads a generation from the bytes of an `onair.bin`, its blobs in `blobs`.
pub(crate) fn load_bytes(data: &[u8], blobs: &Arc<Blobs>) -> Result<Restored> {
    let bytes = data.len() as u64;
    let (generation, memo, same_binary, buckets) = parse(data, blobs)?;
    Ok(Restored { generation, memo, same_binary, bytes, buckets })
}

fn parse(data: &[u8], blobs: &Arc<Blobs>) -> Result<(Generation, Vec<MemoEntry>, bool, Vec<String>)> {
    if data.len() < HEADER || &data[..8] != MAGIC {
        bail!("not an infotv generation file (or one of an older version)");
    }
    let manifest_len = u64::from_le_bytes(data[8..16].try_into().unwrap_or_default()) as usize;
    if HEADER.checked_add(manifest_len) != Some(data.len()) {
        bail!("cut short: {} bytes, the header says {}", data.len(), HEADER.saturating_add(manifest_len));
    }
    if blake3::hash(&data[HEADER..]).as_bytes() != &data[16..48] {
        bail!("checksum mismatch");
    }
    let manifest: Manifest = serde_json::from_slice(&data[HEADER..])?;
    let trusted = manifest.drawn_by == this_binary();
    let buckets = manifest.profiles.iter().flat_map(|p| p.buckets.iter().cloned()).collect();
    // The profiles are read on every core: a restart serves once they are.
    let id = manifest.id.as_str();
    let read: Vec<Result<(ProfileOut, Reading)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = manifest
            .profiles
            .into_iter()
            .map(|p| {
                scope.spawn(move || {
                    let mut reading = Reading { blobs, assets: HashMap::new(), memo: HashMap::new() };
                    reading.profile(p, id, trusted).map(|out| (out, reading))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading a profile panicked"))))
            .collect()
    });
    let mut reading = Reading { blobs, assets: HashMap::new(), memo: HashMap::new() };
    for name in &manifest.other_assets {
        reading.need(name, true)?;
    }
    let mut profiles = BTreeMap::new();
    for r in read {
        let (out, found) = r?;
        reading.assets.extend(found.assets);
        reading.memo.extend(found.memo);
        profiles.insert(out.profile.name.clone(), out);
    }
    let Reading { assets, memo, .. } = reading;
    if !profiles.contains_key(&manifest.default_profile) {
        bail!("the default profile {} is missing", manifest.default_profile);
    }
    let generation = Generation {
        id: manifest.id,
        built_at: manifest.built_at,
        title: manifest.title,
        default_profile: manifest.default_profile,
        profiles,
        assets,
        blobs: blobs.clone(),
        problems: manifest.problems,
        alert: manifest.alert,
        utc_offset_minutes: manifest.utc_offset_minutes,
        next_change: manifest.next_change,
        columns: manifest.columns,
        stale_days: manifest.stale_days,
        broadcast: manifest.broadcast,
        interaction: manifest.interaction,
        shell_settings: None,
    };
    Ok((generation, memo.into_iter().collect(), trusted, buckets))
}

/// A screen as its bucket holds it, its graph entry still the bytes that
/// were saved: they go into the graph as they are, parsed once and not
/// written again.
#[derive(Deserialize)]
struct ScreenIn<'a> {
    #[serde(borrow)]
    graph: &'a serde_json::value::RawValue,
    section: Option<Section>,
    shells: Vec<String>,
    etags: Vec<String>,
    text: String,
    #[serde(with = "super::generation::hex32")]
    drawn: [u8; 32],
    #[serde(with = "super::generation::hex32")]
    shell_key: [u8; 32],
}

impl<'a> ScreenIn<'a> {
    /// The screen, and its graph entry as saved; its section one with the
    /// equal ones in `sections`.
    fn screen(self, sections: &mut HashSet<Arc<Section>>) -> serde_json::Result<(ScreenOut, &'a [u8])> {
        let screen = ScreenOut {
            graph: serde_json::from_str(self.graph.get())?,
            section: self.section.map(|s| super::share_section(sections, &s)),
            shells: self.shells,
            etags: self.etags,
            text: self.text,
            drawn: self.drawn,
            shell_key: self.shell_key,
        };
        Ok((screen, self.graph.get().as_bytes()))
    }
}

/// What reading a manifest has found so far.
struct Reading<'a> {
    blobs: &'a Arc<Blobs>,
    assets: HashMap<crate::raster::Name, Asset>,
    memo: HashMap<[u8; 32], Rendered>,
}

impl Reading<'_> {
    /// Fails unless the blobs hold `name`; an asset is listed too.
    fn need(&mut self, name: &str, asset: bool) -> Result<()> {
        if asset && self.assets.contains_key(name) {
            return Ok(());
        }
        if !self.blobs.has(name) {
            bail!("{name} is not in the blobs");
        }
        if asset {
            // The name says the format, as it did when the asset was made.
            self.assets.insert(name.into(), Asset::new(name, Format::of_name(name).content_type()));
        }
        Ok(())
    }

    /// A profile from its buckets, its graph joined again from them.
    fn profile(&mut self, p: ProfileDisk, id: &str, trusted: bool) -> Result<ProfileOut> {
        let mut screens = HashMap::with_capacity(p.screens);
        let mut entries = Vec::with_capacity(p.screens);
        // Held until the graph is joined: its entries are slices of them.
        let mut held = Vec::with_capacity(p.buckets.len());
        for bucket in &p.buckets {
            let Some(json) = self.blobs.read(bucket) else { bail!("{bucket} is not in the blobs") };
            // A bucket is read whole at every start: check it is what was stored.
            if !bucket.starts_with(&blake3::hash(&json).to_hex()[..20]) {
                bail!("bucket {bucket} does not hash to its name");
            }
            held.push(json);
        }
        let mut frames = super::graph::Frames::default();
        let mut sections = HashSet::new();
        for (i, (bucket, json)) in p.buckets.iter().zip(&held).enumerate() {
            let records: Vec<(String, ScreenIn<'_>)> =
                serde_json::from_slice(json).with_context(|| format!("bucket {bucket}"))?;
            for (id, saved) in records {
                if bucket_of(&id, p.buckets.len()) != i {
                    bail!("screen {id} is in the wrong bucket");
                }
                let (mut s, entry) = saved.screen(&mut sections).with_context(|| format!("screen {id}"))?;
                frames.share_screen(&mut s.graph);
                let states = s.graph.states.len();
                if states == 0 || s.shells.len() != states || s.etags.len() != states {
                    bail!("screen {id} has {} shells, {} etags, {states} states", s.shells.len(), s.etags.len());
                }
                for name in s.shells.iter().chain([&s.text]) {
                    self.need(name, false)?;
                }
                for state in &s.graph.states {
                    self.need(state.image.trim_start_matches("/a/"), true)?;
                    if let Some(f) = &state.focus {
                        self.need(f.image.trim_start_matches("/a/"), true)?;
                    }
                }
                if trusted && s.drawn != [0; 32] {
                    self.memo.extend(s.rendered().map(|r| (s.drawn, r)));
                }
                entries.push((id.clone(), entry));
                screens.insert(id, Arc::new(s));
            }
        }
        if screens.len() != p.screens {
            bail!("profile {} lists {} screens, its buckets hold {}", p.profile.name, p.screens, screens.len());
        }
        if !screens.contains_key(&p.start) {
            bail!("profile {} starts at {}, which it does not hold", p.profile.name, p.start);
        }
        // The graph is joined from the entries as they were saved; its ETag
        // shows it came out whole.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let ordered = entries.iter().map(|(id, json)| (id.as_str(), *json));
        let graph_json = bytes::Bytes::from(super::graph::json(id, &p.profile, &p.numbers, ordered));
        if super::etag(&graph_json) != p.graph_etag {
            bail!("the graph of profile {} does not come out as it was saved", p.profile.name);
        }
        Ok(ProfileOut {
            graph_json,
            graph_etag: p.graph_etag,
            start: p.start,
            screens,
            numbers: p.numbers,
            profile: p.profile,
            overlays: None,
            search: None,
        })
    }
}
