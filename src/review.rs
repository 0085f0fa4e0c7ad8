//! Review before air (先审后发). With site.toml's `[review] required = true`
//! the renderer does not read the channel folder itself but the *air tree*
//! (`data/air/`): a copy holding, for every file, its newest version a
//! reviewer approved. Each render first stages it: every file of the folder
//! is hashed; an approved version is copied in; a new or changed one is
//! recorded as pending and the version before it stays; a file gone from the
//! folder is gone from the tree at once (taking down never waits).
//! Decisions are rows of the store bound to path and content hash, so they
//! survive restarts and an edit makes a file wait again.
//!
//! When review is first turned on, the files as they are at that moment are
//! approved as the baseline (recorded in the audit log), so turning it on
//! never takes the channel off air. Turning it off is itself a change of
//! site.toml that waits: review stays on until a reviewer approves it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::audit::{Action, Event};
use crate::clock::stamp;
use crate::confined::Root;
use crate::problem::Problem;
use crate::store::Store;
use crate::sync::Locked;

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Approved,
    Rejected,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Rejected => "rejected",
        }
    }

    fn of(name: &str) -> State {
        match name {
            "approved" => State::Approved,
            "rejected" => State::Rejected,
            _ => State::Pending,
        }
    }
}

/// One version of one file: path and content hash.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// A short id of path and content, used in URLs.
    pub version: String,
    pub path: String,
    pub hash: String,
    pub state: State,
    pub reason: Option<String>,
    /// When this version was first seen.
    pub changed: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// Whether an earlier approved version of the file is on air meanwhile.
    pub replaces: bool,
}

/// What a render reads, and what waits.
#[derive(Debug)]
pub struct Staged {
    /// The folder to load: the air tree under review, else the channel folder.
    pub root: PathBuf,
    pub required: bool,
    /// Versions in the folder now that are not approved.
    pub waiting: Vec<Version>,
}

/// The review desk of one data folder.
pub struct Desk {
    store: std::sync::Arc<Store>,
    air: PathBuf,
    /// Content hashes by path, size and modification time: a render hashes
    /// only what changed.
    hashes: Mutex<HashMap<PathBuf, (u64, SystemTime, String)>>,
    /// One staging at a time (a render and a preview may both ask).
    staging: Mutex<()>,
}

/// The id of a version: path and content, hashed.
pub fn version_id(path: &str, hash: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(path.as_bytes());
    h.update(b"\0");
    h.update(hash.as_bytes());
    h.finalize().to_hex()[..16].to_string()
}

/// Whether site.toml at `root` asks for review.
pub(crate) fn asks_review(root: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Site {
        review: Option<Review>,
    }
    #[derive(serde::Deserialize)]
    struct Review {
        required: Option<bool>,
    }
    let Ok((bytes, _)) = Root::new(root).read(Path::new("site.toml"), 2 << 20) else { return false };
    let Some(decoded) = crate::content::text::decode(&bytes) else { return false };
    toml::from_str::<Site>(&decoded.text).ok().and_then(|s| s.review?.required).unwrap_or(false)
}

/// Every file under `root` (relative, `/`-separated), but hidden ones and
/// Office's `~$` lock files.
fn files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with("~$") {
                continue;
            }
            let path = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => dirs.push(path),
                Ok(t) if t.is_file() => {
                    let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                    out.push((rel, path));
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// The folder in the data folder holding the approved versions on air.
pub const AIR: &str = "air";

impl Desk {
    pub fn new(store: std::sync::Arc<Store>, data: &Path) -> Desk {
        Desk { store, air: data.join(AIR), hashes: Mutex::default(), staging: Mutex::default() }
    }

    /// The air tree.
    pub fn air(&self) -> &Path {
        &self.air
    }

    /// Whether review is on: asked for by the folder's site.toml or, until
    /// turning it off is approved, by the air tree's.
    pub fn required(&self, channels: &Path) -> bool {
        asks_review(channels) || (self.air.exists() && asks_review(&self.air))
    }

    /// The content hash of `rel` under `root`, read only from inside it.
    fn hash(&self, root: &Root, rel: &str) -> Result<String> {
        let path = root.join(rel);
        let meta = std::fs::symlink_metadata(&path)?;
        let key = (meta.len(), meta.modified()?);
        if let Some((len, at, h)) = self.hashes.locked().get(&path) {
            if (*len, *at) == key && meta.is_file() {
                return Ok(h.clone());
            }
        }
        let (bytes, _) = root.read(Path::new(rel), MAX_FILE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let h = blake3::hash(&bytes).to_hex().to_string();
        self.hashes.locked().insert(path, (key.0, key.1, h.clone()));
        Ok(h)
    }

    /// Brings the air tree up to date with the folder and the decisions.
    pub fn stage(&self, channels: &Path, now: DateTime<Utc>) -> Result<Staged> {
        let _one = self.staging.locked();
        if !self.required(channels) {
            return Ok(Staged { root: channels.to_path_buf(), required: false, waiting: Vec::new() });
        }
        let folder = Root::new(channels);
        let present = files(channels);
        let mut versions = Vec::with_capacity(present.len());
        for (rel, path) in &present {
            let hash = self.hash(&folder, rel).with_context(|| format!("cannot read {rel}"))?;
            versions.push((rel.clone(), path.clone(), hash));
        }
        if self.store.meta("review_baseline")?.is_none() {
            self.baseline(&versions, now)?;
        }
        let mut waiting = Vec::new();
        let on_air: HashSet<String> = files(&self.air).into_iter().map(|(rel, _)| rel).collect();
        let mut keep = HashSet::new();
        for (rel, _, hash) in &versions {
            let v = self.version(rel, hash, now)?;
            keep.insert(rel.clone());
            if v.state == State::Approved {
                self.copy_in(&folder, rel, hash)?;
            } else {
                waiting.push(Version { replaces: on_air.contains(rel), ..v });
            }
        }
        // Gone from the folder: gone from the air at once.
        for rel in on_air.difference(&keep) {
            let _ = std::fs::remove_file(self.air.join(rel));
        }
        prune_empty(&self.air);
        std::fs::create_dir_all(&self.air)?;
        // Turning review off was approved just now (the air tree's site.toml
        // no longer asks for it either): the folder goes on air as it is, in
        // this render, not in whichever comes next.
        if !self.required(channels) {
            return Ok(Staged { root: channels.to_path_buf(), required: false, waiting: Vec::new() });
        }
        Ok(Staged { root: self.air.clone(), required: true, waiting })
    }

    /// Approves every version present as the baseline of a review just
    /// turned on.
    fn baseline(&self, versions: &[(String, PathBuf, String)], now: DateTime<Utc>) -> Result<()> {
        for (rel, _, hash) in versions {
            let v = self.version(rel, hash, now)?;
            self.set(&v.version, State::Approved, None, "system (baseline)", now)?;
        }
        self.store.set_meta("review_baseline", &stamp(now))?;
        self.store.audit(
            &Event {
                account: "system",
                role: "-",
                address: "local",
                action: Action::Approve,
                target: &format!("baseline: {} files on air when review was turned on", versions.len()),
                result: "ok",
            },
            now,
        )?;
        Ok(())
    }

    /// The version of `rel` with content `hash`, recorded as pending when new.
    fn version(&self, rel: &str, hash: &str, now: DateTime<Utc>) -> Result<Version> {
        let id = version_id(rel, hash);
        let conn = self.store.conn();
        conn.execute(
            "INSERT OR IGNORE INTO review (version, path, hash, state, changed) VALUES (?1, ?2, ?3, 'pending', ?4)",
            params![id, rel, hash, stamp(now)],
        )?;
        recorded(&conn, &id)?.context("a version just recorded is missing")
    }

    fn set(&self, version: &str, state: State, reason: Option<&str>, by: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = self.store.conn().execute(
            "UPDATE review SET state = ?2, reason = ?3, decided_by = ?4, decided_at = ?5 WHERE version = ?1",
            params![version, state.name(), reason, by, stamp(now)],
        )?;
        Ok(n == 1)
    }

    /// Approves or rejects `version` (only one still in the folder, pending
    /// or rejected); returns it as decided.
    pub fn decide(
        &self,
        channels: &Path,
        version: &str,
        approve: bool,
        reason: Option<&str>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Version>> {
        let Some(v) = self.waiting(channels)?.into_iter().find(|v| v.version == version) else { return Ok(None) };
        let state = if approve { State::Approved } else { State::Rejected };
        // Seen by a page before any render recorded it: recorded now.
        self.version(&v.path, &v.hash, now)?;
        if !self.set(version, state, reason, by, now)? {
            anyhow::bail!("version {version} could not be recorded");
        }
        Ok(Some(Version { state, reason: reason.map(str::to_string), decided_by: Some(by.to_string()), ..v }))
    }

    /// The versions in the folder now that are not approved, without
    /// changing anything (for pages and `infotv check`).
    pub fn waiting(&self, channels: &Path) -> Result<Vec<Version>> {
        if !self.required(channels) {
            return Ok(Vec::new());
        }
        let on_air: HashSet<String> = files(&self.air).into_iter().map(|(rel, _)| rel).collect();
        let folder = Root::new(channels);
        let mut out = Vec::new();
        for (rel, _) in files(channels) {
            let hash = self.hash(&folder, &rel)?;
            let conn = self.store.conn();
            let id = version_id(&rel, &hash);
            let v = recorded(&conn, &id)?.unwrap_or(Version {
                version: id,
                path: rel.clone(),
                hash,
                state: State::Pending,
                reason: None,
                changed: String::new(),
                decided_by: None,
                decided_at: None,
                replaces: false,
            });
            if v.state != State::Approved {
                out.push(Version { replaces: on_air.contains(&rel), ..v });
            }
        }
        Ok(out)
    }

    /// A folder holding the air tree with one waiting version put in: what
    /// the channel will be once that version is approved.
    pub(crate) fn candidate(&self, channels: &Path, v: &Version) -> Result<PathBuf> {
        let dir = self.air.with_file_name("candidates").join(&v.version);
        let _ = std::fs::remove_dir_all(&dir);
        for (rel, path) in files(&self.air) {
            let to = dir.join(&rel);
            std::fs::create_dir_all(to.parent().unwrap_or(&dir))?;
            if std::fs::hard_link(&path, &to).is_err() {
                std::fs::copy(&path, &to)?;
            }
        }
        let to = dir.join(&v.path);
        std::fs::create_dir_all(to.parent().unwrap_or(&dir))?;
        let _ = std::fs::remove_file(&to);
        if !copy_checked(&Root::new(channels), &v.path, &to, &v.hash)? {
            anyhow::bail!("{} changed while it was copied for the preview; reload the page", v.path);
        }
        Ok(dir)
    }

    /// Copies `rel` of the channel into the air tree unless it holds `hash`
    /// already. What goes on air is what the reviewer approved, byte for
    /// byte: the copy is hashed once written, and a file that changed since
    /// it was hashed (staff saving again that moment) is not put on air; the
    /// next render finds it waiting.
    fn copy_in(&self, folder: &Root, rel: &str, hash: &str) -> Result<bool> {
        let to = self.air.join(rel);
        let air = Root::new(&self.air);
        if to.exists() && self.hash(&air, rel).ok().as_deref() == Some(hash) {
            return Ok(true);
        }
        std::fs::create_dir_all(to.parent().unwrap_or(&self.air))?;
        if !copy_checked(folder, rel, &to, hash)? {
            tracing::warn!("{rel} changed while it was copied on air; the approved version was not what it held");
            return Ok(false);
        }
        Ok(true)
    }

    /// What content staff are told of rejected versions: a problem each.
    pub fn problems(waiting: &[Version]) -> Vec<Problem> {
        waiting
            .iter()
            .filter(|v| v.state == State::Rejected)
            .map(|v| {
                let reason = v.reason.clone().unwrap_or_default();
                let by = v.decided_by.clone().unwrap_or_default();
                let mut p = Problem::new(
                    &v.path,
                    format!("审核未通过（{by}）：{reason}"),
                    format!("rejected in review by {by}: {reason}"),
                )
                .hint(
                    "按审核意见修改后重新保存，修改后的文件会再次送审",
                    "change it as asked and save: the new version goes to review again",
                );
                p.last_good = v.replaces;
                p
            })
            .collect()
    }
}

/// The recorded version `id`, if any.
fn recorded(conn: &rusqlite::Connection, id: &str) -> Result<Option<Version>> {
    let sql =
        "SELECT version, path, hash, state, reason, changed, decided_by, decided_at FROM review WHERE version = ?1";
    Ok(conn.query_row(sql, [id], row).optional()?)
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Version> {
    let state: String = r.get(3)?;
    Ok(Version {
        version: r.get(0)?,
        path: r.get(1)?,
        hash: r.get(2)?,
        state: State::of(&state),
        reason: r.get(4)?,
        changed: r.get(5)?,
        decided_by: r.get(6)?,
        decided_at: r.get(7)?,
        replaces: false,
    })
}

/// The largest file review copies: larger than any the loader reads.
const MAX_FILE: u64 = 64 << 20;

/// Copies `rel` of `folder` to `to` whole or not at all ([`crate::atomic`]:
/// a render never reads half a file), keeping its modification time
/// (articles without a date in their name are dated by it); `false`, and
/// nothing written, when what the file holds now is not the version
/// `hash` that was approved.
fn copy_checked(folder: &Root, rel: &str, to: &Path, hash: &str) -> Result<bool> {
    use std::io::Write;
    let (bytes, meta) = folder.read(Path::new(rel), MAX_FILE).map_err(|e| anyhow::anyhow!("cannot copy {rel}: {e}"))?;
    if blake3::hash(&bytes).to_hex().as_str() != hash {
        return Ok(false);
    }
    crate::atomic::write_with(to, crate::atomic::SHARED, |mut f| {
        f.write_all(&bytes)?;
        if let Ok(t) = meta.modified() {
            let _ = f.set_modified(t);
        }
        Ok::<_, std::io::Error>(())
    })
    .with_context(|| format!("cannot put {rel} on air"))?;
    Ok(true)
}

/// Removes folders left empty under `root` (a column whose last file went).
fn prune_empty(root: &Path) {
    fn walk(dir: &Path, top: bool) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else { return false };
        let mut empty = true;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !walk(&p, false) {
                    empty = false;
                }
            } else {
                empty = false;
            }
        }
        if empty && !top {
            let _ = std::fs::remove_dir(dir);
        }
        empty
    }
    walk(root, true);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn what_goes_on_air_is_the_approved_bytes_and_never_a_link_out() {
        let channel = tempfile::tempdir().unwrap();
        let air = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(channel.path().join("a.md"), "approved text").unwrap();
        let approved = blake3::hash(b"approved text").to_hex().to_string();
        let root = Root::new(channel.path());
        let to = air.path().join("a.md");
        assert!(copy_checked(&root, "a.md", &to, &approved).unwrap());
        assert_eq!(std::fs::read(&to).unwrap(), b"approved text");
        // Saved again after it was approved: the copy holds other bytes,
        // so it is not put on air, and nothing is left behind.
        std::fs::write(channel.path().join("a.md"), "changed since").unwrap();
        assert!(!copy_checked(&root, "a.md", &to, &approved).unwrap());
        assert_eq!(std::fs::read(&to).unwrap(), b"approved text", "the approved copy stays");
        let names: Vec<_> = std::fs::read_dir(air.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.md"], "nothing left beside it");
        // A link out of the channel is never read, whatever it was approved as.
        std::fs::write(outside.path().join("key"), "secret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("key"), channel.path().join("b.md")).unwrap();
        let secret = blake3::hash(b"secret").to_hex().to_string();
        assert!(copy_checked(&root, "b.md", &air.path().join("b.md"), &secret).is_err());
        assert!(!air.path().join("b.md").exists());
    }
}
