//! The generation on air, kept on disk so that a restart — after a clean stop
//! or a `kill -9` — serves the channel at once, before the first render ends.
//!
//! The bytes (pictures, shells, texts, graphs) are in the content-addressed
//! [`super::blobs`], written as renders make them. What is saved here is
//! `onair.bin`, the generation's manifest: magic, its length, a blake3 of it,
//! then JSON naming every blob. It is written only after the blobs are
//! flushed to the disk, under a temporary name, flushed and renamed, then
//! the folder is flushed too: a reader finds the old manifest or the new
//! one, never half of one, and every blob either names is on the disk.
//! A manifest naming a blob that is not there is refused, like a damaged
//! one, and never served.
//!
//! The manifest also lists which pictures the render memo held, so the first
//! render after a restart redraws only what changed while it was down — but
//! only when the same binary drew them (a new build may draw differently).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::blobs::Blobs;
use super::{AlertOut, Asset, ColumnFreshness, Generation, ProfileOut, ScreenOut};
use crate::config::Profile;
use crate::layout::{Kind, Rect, Section};
use crate::problem::Problem;
use crate::raster::{Encoded, Format, Rendered};

const MAGIC: &[u8; 8] = b"INFOTVG2";
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
    pub bytes: u64,
}

/// A file held open to send from: it stays readable when it is removed or
/// another is renamed over it. Its bytes, once there, never change.
#[derive(Debug)]
pub struct SavedFile {
    file: std::fs::File,
}

impl SavedFile {
    /// A file that grows but whose bytes never change (a pack of blobs).
    pub fn append_only(file: std::fs::File) -> SavedFile {
        SavedFile { file }
    }

    /// The descriptor to send from.
    pub fn fd_if_unchanged(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        Some(self.file.as_raw_fd())
    }
}

/// Where an answer's bytes lie in an open file.
#[derive(Debug, Clone)]
pub struct SavedAt {
    pub file: Arc<SavedFile>,
    pub offset: u64,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    id: String,
    built_at: DateTime<FixedOffset>,
    title: String,
    default_profile: String,
    profiles: Vec<ProfileDisk>,
    assets: Vec<String>,
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
    graph: String,
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
    shells: Vec<String>,
    etags: Vec<String>,
    keys: Vec<BTreeMap<String, crate::layout::Target>>,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ask: Option<crate::layout::interact::Ask>,
}

#[derive(Serialize, Deserialize)]
struct MemoDisk {
    key: String,
    base: String,
    sprites: Vec<Option<(Rect, String)>>,
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

/// What [`save`] wrote.
pub struct Saved {
    /// The manifest's size.
    pub bytes: u64,
    /// The blobs of the graphs it names (made by the save).
    pub graphs: Vec<String>,
}

/// Writes the manifest of `g` (and the memo entries whose pictures it
/// holds) to `dir`, once its blobs are on the disk, replacing what was there
/// only once the new file is safely on disk.
pub fn save(dir: &Path, g: &Generation, memo: &[MemoEntry]) -> Result<Saved> {
    let mut graphs = Vec::new();
    let mut assets: Vec<String> = g.assets.keys().cloned().collect();
    assets.sort();
    let mut profiles = Vec::with_capacity(g.profiles.len());
    for p in g.profiles.values() {
        let graph = super::store(&g.blobs, p.graph_json.clone(), "json").context("cannot store the graph")?;
        graphs.push(graph.clone());
        let mut ids: Vec<&String> = p.screens.keys().collect();
        ids.sort();
        let screens = ids
            .into_iter()
            .map(|id| {
                let s = &p.screens[id];
                ScreenDisk {
                    id: id.clone(),
                    kind: s.kind,
                    title: s.title.clone(),
                    section: s.section.clone(),
                    parent: s.parent.clone(),
                    shells: s.shells.clone(),
                    etags: s.etags.clone(),
                    keys: s.keys.clone(),
                    text: s.text.clone(),
                    ask: s.ask.clone(),
                }
            })
            .collect();
        profiles.push(ProfileDisk {
            profile: p.profile.clone(),
            start: p.start.clone(),
            graph,
            graph_etag: p.graph_etag.clone(),
            screens,
        });
    }
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
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&(manifest.len() as u64).to_le_bytes());
    header.extend_from_slice(blake3::hash(&manifest).as_bytes());
    // Every blob the manifest names is on the disk before the manifest is.
    g.blobs.sync().context("cannot flush the blobs to the disk")?;
    write_atomically(&dir.join(FILE), &[&header, &manifest])?;
    Ok(Saved { bytes: (HEADER + manifest.len()) as u64, graphs })
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
    let bytes = data.len() as u64;
    let (generation, memo) = parse(&data, blobs).with_context(|| format!("{} is damaged", path.display()))?;
    Ok(Some(Restored { generation, memo, bytes }))
}

fn parse(data: &[u8], blobs: &Arc<Blobs>) -> Result<(Generation, Vec<MemoEntry>)> {
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
    let need = |name: &str| -> Result<()> {
        match blobs.has(name) {
            true => Ok(()),
            false => bail!("{name} is not in the blobs"),
        }
    };
    let mut assets = HashMap::with_capacity(manifest.assets.len());
    for name in manifest.assets {
        need(&name)?;
        // The name says the format, as it did when the asset was made.
        assets.insert(name.clone(), Asset::new(&name, Format::of_name(&name).content_type()));
    }
    let mut profiles = BTreeMap::new();
    for p in manifest.profiles {
        let mut screens = HashMap::with_capacity(p.screens.len());
        for s in p.screens {
            if s.shells.is_empty() || s.shells.len() != s.etags.len() || s.shells.len() != s.keys.len() {
                bail!(
                    "screen {} has {} shells, {} etags, {} key maps",
                    s.id,
                    s.shells.len(),
                    s.etags.len(),
                    s.keys.len()
                );
            }
            for name in s.shells.iter().chain([&s.text]) {
                need(name)?;
            }
            let out = ScreenOut {
                kind: s.kind,
                title: s.title,
                section: s.section,
                parent: s.parent,
                shells: s.shells,
                etags: s.etags,
                keys: s.keys,
                text: s.text,
                ask: s.ask,
            };
            screens.insert(s.id, out);
        }
        if !screens.contains_key(&p.start) {
            bail!("profile {} starts at {}, which it does not hold", p.profile.name, p.start);
        }
        let Some(graph_json) = blobs.read(&p.graph) else { bail!("{} is not in the blobs", p.graph) };
        let out =
            ProfileOut { graph_json, graph_etag: p.graph_etag, start: p.start, screens, profile: p.profile.clone() };
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
        blobs: blobs.clone(),
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

/// A memo entry by name (its bytes are in the blobs).
fn memo_entry(m: &MemoDisk, assets: &HashMap<String, Asset>) -> Option<MemoEntry> {
    let encoded = |name: &str| -> Option<Encoded> {
        assets.contains_key(name).then(|| Encoded {
            bytes: bytes::Bytes::new(),
            name: name.to_string(),
            format: Format::of_name(name),
        })
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
