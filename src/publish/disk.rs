//! The generation on air, kept on disk so that a restart — after a clean stop
//! or a `kill -9` — serves the channel at once, before the first render ends.
//!
//! One file, `onair.bin` in the data folder, written whole under a temporary
//! name, flushed to the disk and renamed over the old one, then the folder is
//! flushed too: a reader finds the old file or the new one, never half of one.
//! Layout: magic, two lengths, a blake3 of everything after the header, a
//! JSON manifest, then one blob holding every asset, shell, graph and screen
//! text back to back. A load reads the file once and serves slices of that one
//! buffer, so a restored generation costs no more memory than a rendered one.
//!
//! Pictures are then sent from this file with sendfile(2) (see
//! [`SavedAt`]): the file is never written in place after its rename, so its
//! bytes stay those of the generation in memory; a file changed all the same
//! (a copy over it) is noticed by its size and time and no longer used.
//!
//! The file also lists which pictures the render memo held, so the first
//! render after a restart redraws only what changed while it was down — but
//! only when the same binary drew them (a new build may draw differently).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::{AlertOut, Asset, ColumnFreshness, Generation, ProfileOut, ScreenOut};
use crate::config::Profile;
use crate::layout::{Kind, Rect, Section};
use crate::problem::Problem;
use crate::raster::{Encoded, Format, Rendered};

const MAGIC: &[u8; 8] = b"INFOTVG1";
/// Magic, manifest length, blob length, blake3 of manifest and blob.
const HEADER: usize = 8 + 8 + 8 + 32;
/// The file's name in the data folder.
pub const FILE: &str = "onair.bin";

/// A picture memo entry: what a screen drew (its drawing key) → its pictures.
pub type MemoEntry = ([u8; 32], Rendered);

/// What [`load`] gives back.
pub struct Restored {
    pub generation: Generation,
    /// Memo entries, when the binary that drew them is this one.
    pub memo: Vec<MemoEntry>,
    pub bytes: u64,
}

/// The saved generation file, held open: it stays readable when a newer
/// file is renamed over it or the folder is removed.
#[derive(Debug)]
pub struct SavedFile {
    file: std::fs::File,
    /// Size and modification time when it was written or read: a file that
    /// no longer shows them was changed by somebody else and is not used.
    stamp: (u64, i64, i64),
}

impl SavedFile {
    fn new(file: std::fs::File) -> std::io::Result<SavedFile> {
        let stamp = Self::stamp_of(&file)?;
        Ok(SavedFile { file, stamp })
    }

    fn stamp_of(file: &std::fs::File) -> std::io::Result<(u64, i64, i64)> {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata()?;
        Ok((m.size(), m.mtime(), m.mtime_nsec()))
    }

    /// The descriptor to send from, when the file is still as it was.
    pub fn fd_if_unchanged(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        (Self::stamp_of(&self.file).ok()? == self.stamp).then(|| self.file.as_raw_fd())
    }
}

/// Where an asset's bytes lie in a saved generation file.
#[derive(Debug, Clone)]
pub struct SavedAt {
    pub file: std::sync::Arc<SavedFile>,
    pub offset: u64,
}

/// An offset and a length in the blob.
type Span = (u64, u64);

#[derive(Serialize, Deserialize)]
struct Manifest {
    id: String,
    built_at: DateTime<FixedOffset>,
    title: String,
    default_profile: String,
    profiles: Vec<ProfileDisk>,
    assets: Vec<AssetDisk>,
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
    memo: Vec<MemoDisk>,
}

#[derive(Serialize, Deserialize)]
struct ProfileDisk {
    profile: Profile,
    start: String,
    graph: Span,
    graph_etag: String,
    screens: Vec<ScreenDisk>,
}

#[derive(Serialize, Deserialize)]
struct ScreenDisk {
    id: String,
    kind: Kind,
    title: String,
    section: Option<Section>,
    parent: Option<String>,
    shells: Vec<Span>,
    etags: Vec<String>,
    keys: Vec<BTreeMap<String, crate::layout::Target>>,
    text: Span,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ask: Option<crate::layout::interact::Ask>,
}

#[derive(Serialize, Deserialize)]
struct AssetDisk {
    name: String,
    span: Span,
}

#[derive(Serialize, Deserialize)]
struct MemoDisk {
    key: String,
    base: String,
    sprites: Vec<Option<(Rect, String)>>,
}

#[derive(Default)]
struct Blob(Vec<u8>);

impl Blob {
    fn put(&mut self, bytes: &[u8]) -> Span {
        let at = self.0.len() as u64;
        self.0.extend_from_slice(bytes);
        (at, bytes.len() as u64)
    }
}

/// Who drew the pictures: a hash of this very executable, so a memo is only
/// trusted by the build that made it.
pub fn this_binary() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe()
            .and_then(std::fs::read)
            .map(|b| blake3::hash(&b).to_hex()[..24].to_string())
            .unwrap_or_default()
    })
}

/// Writes `g` (and the memo entries whose pictures it holds) to `dir`,
/// replacing what was there only once the new file is safely on disk.
/// Returns the file's size.
pub fn save(dir: &Path, g: &Generation, memo: &[MemoEntry]) -> Result<u64> {
    let mut blob = Blob::default();
    let mut names: Vec<&String> = g.assets.keys().collect();
    names.sort();
    let assets = names
        .into_iter()
        .map(|name| {
            let a = &g.assets[name];
            AssetDisk { name: name.clone(), span: blob.put(&a.bytes) }
        })
        .collect();
    let profiles = g
        .profiles
        .values()
        .map(|p| {
            let mut ids: Vec<&String> = p.screens.keys().collect();
            ids.sort();
            ProfileDisk {
                profile: p.profile.clone(),
                start: p.start.clone(),
                graph: blob.put(&p.graph_json),
                graph_etag: p.graph_etag.clone(),
                screens: ids
                    .into_iter()
                    .map(|id| {
                        let s = &p.screens[id];
                        ScreenDisk {
                            id: id.clone(),
                            kind: s.kind,
                            title: s.title.clone(),
                            section: s.section.clone(),
                            parent: s.parent.clone(),
                            shells: s.shells.iter().map(|b| blob.put(b)).collect(),
                            etags: s.etags.clone(),
                            keys: s.keys.clone(),
                            text: blob.put(&s.text_json),
                            ask: s.ask.clone(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let held = |e: &Encoded| g.assets.contains_key(&e.name);
    let memo = memo
        .iter()
        .filter(|(_, r)| held(&r.base) && r.sprites.iter().flatten().all(|(_, e)| held(e)))
        .map(|(key, r)| MemoDisk {
            // The key is a blake3 digest: its own hex form reads back.
            key: blake3::Hash::from_bytes(*key).to_hex().to_string(),
            base: r.base.name.clone(),
            sprites: r.sprites.iter().map(|s| s.as_ref().map(|(rect, e)| (*rect, e.name.clone()))).collect(),
        })
        .collect();
    let listed = Manifest {
        id: g.id.clone(),
        built_at: g.built_at,
        title: g.title.clone(),
        default_profile: g.default_profile.clone(),
        profiles,
        assets,
        problems: g.problems.clone(),
        alert: g.alert.clone(),
        utc_offset_minutes: g.utc_offset_minutes,
        next_change: g.next_change,
        columns: g.columns.clone(),
        stale_days: g.stale_days,
        broadcast: g.broadcast.clone(),
        interaction: g.interaction.clone(),
        drawn_by: this_binary().to_string(),
        memo,
    };
    let manifest = serde_json::to_vec(&listed)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(&manifest);
    hasher.update(&blob.0);
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&(manifest.len() as u64).to_le_bytes());
    header.extend_from_slice(&(blob.0.len() as u64).to_le_bytes());
    header.extend_from_slice(hasher.finalize().as_bytes());
    let file = write_atomically(&dir.join(FILE), &[&header, &manifest, &blob.0])?;
    // The pictures and shells may now be sent from the file, where the
    // manifest says they lie.
    if let Ok(file) = SavedFile::new(file).map(std::sync::Arc::new) {
        let blob_at = (HEADER + manifest.len()) as u64;
        let at = |span: Span| SavedAt { file: file.clone(), offset: blob_at + span.0 };
        for a in &listed.assets {
            let _ = g.assets[&a.name].saved.set(at(a.span));
        }
        for p in &listed.profiles {
            for s in &p.screens {
                let _ = g.profiles[&p.profile.name].screens[&s.id].saved.set(s.shells.iter().map(|&s| at(s)).collect());
            }
        }
    }
    Ok((HEADER + manifest.len() + blob.0.len()) as u64)
}

/// Gives `to` the places in the saved file that `from` knows, for every
/// picture and shell the two share: a render that found nothing changed
/// (the first one after a restart, above all) makes a new generation with
/// the same id, which is not saved again, and without this its answers
/// would all be copied from memory until the next real change. A picture
/// is the same when its name (a content hash) and length are; a shell when
/// its ETag (a hash of its bytes) is.
pub fn adopt_marks(from: &Generation, to: &Generation) {
    for (name, a) in &to.assets {
        let old = from.assets.get(name).filter(|old| old.bytes.len() == a.bytes.len());
        if let Some(at) = old.and_then(|old| old.saved.get()) {
            let _ = a.saved.set(at.clone());
        }
    }
    for (profile, p) in &to.profiles {
        for (id, s) in &p.screens {
            let old = from.profiles.get(profile).and_then(|q| q.screens.get(id)).filter(|old| old.etags == s.etags);
            if let Some(at) = old.and_then(|old| old.saved.get()) {
                let _ = s.saved.set(at.clone());
            }
        }
    }
}

/// Writes `parts` to `path` so that `path` is either untouched or complete:
/// temporary file, fsync, rename, fsync of the folder. A failure (a full
/// disk) removes the temporary file and leaves the old one in place. Returns
/// the file written, open for reading.
pub fn write_atomically(path: &Path, parts: &[&[u8]]) -> Result<std::fs::File> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = temp_name(path);
    let written = (|| -> std::io::Result<std::fs::File> {
        let mut f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&tmp)?;
        for part in parts {
            f.write_all(part)?;
        }
        f.sync_all()?;
        Ok(f)
    })();
    let file = match written {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
        }
    };
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()));
    }
    // The rename itself is durable only once the folder is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(file)
}

fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Reads the generation saved in `dir`: `Ok(None)` when there is none, an
/// error when the file is there but damaged (it is then never served).
pub fn load(dir: &Path) -> Result<Option<Restored>> {
    let path = dir.join(FILE);
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut data).with_context(|| format!("cannot read {}", path.display()))?;
    let data = Bytes::from(data);
    let bytes = data.len() as u64;
    let read = data.as_ptr() as usize..data.as_ptr() as usize + data.len();
    let generation_and_memo = parse(data).with_context(|| format!("{} is damaged", path.display()))?;
    // The assets are slices of what was read through this very descriptor:
    // where they lie in memory is where they lie in the file.
    if let Ok(file) = SavedFile::new(file).map(std::sync::Arc::new) {
        let at = |b: &Bytes| {
            let at = b.as_ptr() as usize;
            (read.contains(&at) && at + b.len() <= read.end)
                .then(|| SavedAt { file: file.clone(), offset: (at - read.start) as u64 })
        };
        let g = &generation_and_memo.0;
        for a in g.assets.values() {
            if let Some(saved) = at(&a.bytes) {
                let _ = a.saved.set(saved);
            }
        }
        for s in g.profiles.values().flat_map(|p| p.screens.values()) {
            if let Some(saved) = s.shells.iter().map(at).collect::<Option<Vec<_>>>() {
                let _ = s.saved.set(saved);
            }
        }
    }
    let (generation, memo) = generation_and_memo;
    Ok(Some(Restored { generation, memo, bytes }))
}

fn parse(data: Bytes) -> Result<(Generation, Vec<MemoEntry>)> {
    if data.len() < HEADER || &data[..8] != MAGIC {
        bail!("not an infotv generation file");
    }
    let len = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or_default()) as usize;
    let (manifest_len, blob_len) = (len(8), len(16));
    if HEADER.checked_add(manifest_len).and_then(|n| n.checked_add(blob_len)) != Some(data.len()) {
        bail!("cut short: {} bytes, the header says {}", data.len(), HEADER + manifest_len + blob_len);
    }
    if blake3::hash(&data[HEADER..]).as_bytes() != &data[24..56] {
        bail!("checksum mismatch");
    }
    let manifest: Manifest = serde_json::from_slice(&data[HEADER..HEADER + manifest_len])?;
    let blob = data.slice(HEADER + manifest_len..);
    let slice = |(at, n): Span| -> Result<Bytes> {
        let (at, n) = (at as usize, n as usize);
        match at.checked_add(n) {
            Some(end) if end <= blob.len() => Ok(blob.slice(at..end)),
            _ => bail!("a span points outside the file"),
        }
    };
    let mut assets = HashMap::with_capacity(manifest.assets.len());
    for a in manifest.assets {
        // The name says the format, as it did when the asset was made.
        let asset = Asset::new(&a.name, slice(a.span)?, Format::of_name(&a.name).content_type());
        assets.insert(a.name, asset);
    }
    let mut profiles = BTreeMap::new();
    for p in manifest.profiles {
        let mut screens = HashMap::with_capacity(p.screens.len());
        for s in p.screens {
            let shells = s.shells.into_iter().map(slice).collect::<Result<Vec<_>>>()?;
            if shells.is_empty() || shells.len() != s.etags.len() || shells.len() != s.keys.len() {
                bail!(
                    "screen {} has {} shells, {} etags, {} key maps",
                    s.id,
                    shells.len(),
                    s.etags.len(),
                    s.keys.len()
                );
            }
            let out = ScreenOut {
                kind: s.kind,
                title: s.title,
                section: s.section,
                parent: s.parent,
                shells,
                etags: s.etags,
                keys: s.keys,
                text_json: slice(s.text)?,
                ask: s.ask,
                saved: std::sync::OnceLock::new(),
            };
            screens.insert(s.id, out);
        }
        if !screens.contains_key(&p.start) {
            bail!("profile {} starts at {}, which it does not hold", p.profile.name, p.start);
        }
        let out = ProfileOut {
            graph_json: slice(p.graph)?,
            graph_etag: p.graph_etag,
            start: p.start,
            screens,
            profile: p.profile.clone(),
        };
        profiles.insert(p.profile.name, out);
    }
    if !profiles.contains_key(&manifest.default_profile) {
        bail!("the default profile {} is missing", manifest.default_profile);
    }
    let memo = if manifest.drawn_by == this_binary() {
        manifest.memo.iter().filter_map(|m| memo_entry(m, &assets)).collect()
    } else {
        Vec::new()
    };
    let generation = Generation {
        id: manifest.id,
        built_at: manifest.built_at,
        title: manifest.title,
        default_profile: manifest.default_profile,
        profiles,
        assets,
        problems: manifest.problems,
        alert: manifest.alert,
        utc_offset_minutes: manifest.utc_offset_minutes,
        next_change: manifest.next_change,
        columns: manifest.columns,
        stale_days: manifest.stale_days,
        broadcast: manifest.broadcast,
        interaction: manifest.interaction,
    };
    Ok((generation, memo))
}

fn memo_entry(m: &MemoDisk, assets: &HashMap<String, Asset>) -> Option<MemoEntry> {
    let encoded = |name: &str| -> Option<Encoded> {
        Some(Encoded { bytes: assets.get(name)?.bytes.clone(), name: name.to_string(), format: Format::of_name(name) })
    };
    let key = *blake3::Hash::from_hex(&m.key).ok()?.as_bytes();
    let sprites = m
        .sprites
        .iter()
        .map(|s| match s {
            Some((rect, name)) => encoded(name).map(|e| Some((*rect, e))),
            None => Some(None),
        })
        .collect::<Option<Vec<_>>>()?;
    Some((key, Rendered { base: encoded(&m.base)?, sprites }))
}
