//! `infotv backup` and `infotv restore`: the data folder in one file, taken
//! while the server runs, put back into a folder no server is using.
//!
//! A backup is a gzip'd tar (`tar tzf FILE` lists it), every member under
//! `infotv-backup/`:
//! - `infotv.sqlite`: the store — accounts, the audit log, review
//!   decisions, answers, render history, statistics — copied by SQLite's
//!   online backup in one step, under one read transaction: a consistent
//!   snapshot while the server goes on writing (WAL lets it).
//! - `onair.bin` and `blobs/NAME`: the generation on air as saved, and
//!   every blob it names (only those: no dead bytes of old renders).
//! - `air/…`: under review, the approved versions on air (the only copy
//!   of a version once staff have changed the file in the folder).
//! - `manifest.json`, last: the format, the release that took it, when,
//!   the data schema, row counts, and every member's size and BLAKE3.
//!
//! gzip's CRC covers the whole stream and the manifest every member, so a
//! file cut short (no manifest) or altered anywhere is refused. The file
//! is written under a temporary name and renamed when whole. The BLAKE3 of
//! the file is printed and recorded in the audit log, so an auditor can
//! tell the file is the one that was taken.
//!
//! Restore reads and checks the whole backup into a staging folder inside
//! the data folder before it touches anything; a folder that holds data is
//! replaced only when asked (`--replace`), and what was there is moved
//! aside, never deleted.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::publish::{blobs::Blobs, disk};
use crate::review::AIR;
use crate::store;

/// What the manifest's `format` says.
const FORMAT: &str = "infotv-backup 1";
/// The folder every member is under.
const ROOT: &str = "infotv-backup";
const MANIFEST: &str = "manifest.json";
/// What a restore puts in place, and moves aside with `--replace`.
const RESTORED: [&str; 4] = [store::FILE, disk::FILE, crate::publish::blobs::DIR, AIR];
/// What else belongs to the data folder a restore replaces: moved aside
/// with it (the old store's journal, a first password of the old accounts).
const REPLACED: [&str; 3] = ["infotv.sqlite-wal", "infotv.sqlite-shm", crate::admin::FIRST_PASSWORD];

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    /// The release that took it (`infotv --version`).
    release: String,
    taken: chrono::DateTime<chrono::Utc>,
    from: String,
    schema: usize,
    generation: Option<String>,
    counts: Counts,
    members: Vec<Member>,
}

/// Rows and blobs a backup holds.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
pub struct Counts {
    pub accounts: u64,
    pub audit: u64,
    pub views: u64,
    pub renders: u64,
    pub answers: u64,
    pub blobs: u64,
}

#[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
struct Member {
    path: String,
    bytes: u64,
    blake3: String,
}

/// What a backup or a restore did.
#[derive(Debug)]
pub struct Summary {
    pub file: PathBuf,
    /// The backup file's size and BLAKE3.
    pub bytes: u64,
    pub blake3: String,
    pub release: String,
    pub taken: chrono::DateTime<chrono::Utc>,
    pub schema: usize,
    pub generation: Option<String>,
    pub counts: Counts,
    /// Where a restore moved what the folder held before.
    pub moved_aside: Option<PathBuf>,
    /// What the backup had to leave out, said to the operator.
    pub warning: Option<String>,
}

/// A file or folder removed when dropped: a snapshot, a staging folder or
/// an export's scratch blobs never outlive a failure.
pub(crate) struct Scratch {
    path: PathBuf,
}

impl Scratch {
    pub(crate) fn new(path: PathBuf) -> Scratch {
        Scratch { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let p = &self.path;
        let _ = if p.is_dir() { std::fs::remove_dir_all(p) } else { std::fs::remove_file(p) };
    }
}

/// Passes bytes through, hashing and counting them.
struct Hashing<T> {
    inner: T,
    hash: blake3::Hasher,
    bytes: u64,
}

impl<T> Hashing<T> {
    fn new(inner: T) -> Hashing<T> {
        Hashing { inner, hash: blake3::Hasher::new(), bytes: 0 }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A sibling of `path` named for this process: `.NAME.what-PID`.
fn beside(path: &Path, what: &str) -> Result<PathBuf> {
    let name = path.file_name().with_context(|| format!("{} is not a file name", path.display()))?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.{what}-{}", name.to_string_lossy(), std::process::id())))
}

/// `infotv backup`: a consistent copy of `data` in `out`, taken while a
/// server may be writing it.
pub fn take(data: &Path, out: &Path) -> Result<Summary> {
    if !data.join(store::FILE).is_file() {
        bail!("{} holds no infotv data ({} is missing): give the server's --data folder", data.display(), store::FILE);
    }
    store::schema_of(data)?;
    let work = Scratch::new(beside(out, "work")?);
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(work.path())
        .with_context(|| format!("cannot write beside {}", out.display()))?;
    let snapshot = work.path().join(store::FILE);
    snapshot_store(&data.join(store::FILE), &snapshot)?;
    let (schema, mut counts) = read_counts(&snapshot)?;
    // The store is what cannot be made again: a saved generation that
    // cannot be read (damaged, as a restart would refuse it too) is left
    // out, and said; the restored server renders afresh.
    let (saved, warning) = match saved_generation(data) {
        Ok(s) => (s, None),
        Err(e) => {
            (None, Some(format!("{e:#}; the backup holds everything else, and a restored server renders afresh")))
        }
    };
    counts.blobs = saved.as_ref().map_or(0, |s| s.names.len() as u64);

    // Password hashes, callback numbers: the file is its owner's only.
    let written = crate::atomic::write_with(out, crate::atomic::PRIVATE, |file| -> Result<_> {
        let hashed = Hashing::new(std::io::BufWriter::with_capacity(1 << 20, file));
        let gz = flate2::write::GzEncoder::new(hashed, flate2::Compression::fast());
        let mut archive = Archive { tar: tar::Builder::new(gz), members: Vec::new(), taken: chrono::Utc::now() };
        let taken = archive.taken;
        archive.file(store::FILE, &snapshot)?;
        drop(work);
        if let Some(saved) = &saved {
            archive.bytes(disk::FILE, &saved.onair)?;
            for name in &saved.names {
                let bytes = saved.blobs.read(name).with_context(|| format!("blob {name} cannot be read"))?;
                archive.bytes(&format!("{}/{name}", crate::publish::blobs::DIR), &bytes)?;
            }
        }
        archive.tree(&data.join(AIR), AIR)?;
        let manifest = Manifest {
            format: FORMAT.into(),
            release: crate::VERSION.into(),
            taken,
            from: data.display().to_string(),
            schema,
            generation: saved.as_ref().map(|s| s.id.clone()),
            counts: counts.clone(),
            members: std::mem::take(&mut archive.members),
        };
        archive.bytes(MANIFEST, &serde_json::to_vec_pretty(&manifest)?)?;
        let hashed = archive.tar.into_inner()?.finish()?;
        let (blake3, bytes) = (hashed.hash.finalize().to_hex().to_string(), hashed.bytes);
        hashed.inner.into_inner().map_err(|e| e.into_error())?;
        Ok((manifest, taken, blake3, bytes))
    });
    let (_, (manifest, taken, blake3, bytes)) = written.with_context(|| format!("cannot write {}", out.display()))?;
    let detail = format!("ok: {bytes} bytes, blake3 {blake3}");
    crate::audit::by_command_line(
        &store::Store::open(data)?,
        crate::audit::Action::Backup,
        &out.display().to_string(),
        &detail,
    )?;
    Ok(Summary {
        file: out.to_path_buf(),
        bytes,
        blake3,
        release: manifest.release,
        taken,
        schema,
        generation: manifest.generation,
        counts,
        moved_aside: None,
        warning,
    })
}

/// The archive being written, and the members in it so far.
struct Archive<W: Write> {
    tar: tar::Builder<W>,
    members: Vec<Member>,
    taken: chrono::DateTime<chrono::Utc>,
}

impl<W: Write> Archive<W> {
    fn header(&self, bytes: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes);
        h.set_mode(0o600);
        h.set_mtime(self.taken.timestamp().max(0) as u64);
        h.set_entry_type(tar::EntryType::Regular);
        h
    }

    fn add(&mut self, path: &str, bytes: u64, data: impl Read) -> Result<()> {
        let mut h = self.header(bytes);
        let mut reader = Hashing::new(data.take(bytes));
        self.tar
            .append_data(&mut h, format!("{ROOT}/{path}"), &mut reader)
            .with_context(|| format!("writing {path}"))?;
        if reader.bytes != bytes {
            bail!("{path} changed size while it was copied");
        }
        self.members.push(Member { path: path.into(), bytes, blake3: reader.hash.finalize().to_hex().to_string() });
        Ok(())
    }

    fn bytes(&mut self, path: &str, data: &[u8]) -> Result<()> {
        self.add(path, data.len() as u64, data)
    }

    fn file(&mut self, path: &str, from: &Path) -> Result<()> {
        let file = std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
        let bytes = file.metadata()?.len();
        self.add(path, bytes, std::io::BufReader::with_capacity(1 << 20, file))
    }

    /// Every regular file under `dir` (read whole: a file staged while it
    /// is copied is copied as it was when read).
    fn tree(&mut self, dir: &Path, prefix: &str) -> Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        let mut names: Vec<_> = entries.flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            let (path, kind) = (e.path(), e.file_type()?);
            if kind.is_dir() {
                self.tree(&path, &format!("{prefix}/{name}"))?;
            } else if kind.is_file() {
                match std::fs::read(&path) {
                    Ok(bytes) => self.bytes(&format!("{prefix}/{name}"), &bytes)?,
                    // Removed by the server's staging meanwhile: it is not on air.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
                }
            }
        }
        Ok(())
    }
}

/// Copies the store with SQLite's online backup, all pages in one step: one
/// read transaction, so the copy is the database at one moment.
fn snapshot_store(from: &Path, to: &Path) -> Result<()> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let src = rusqlite::Connection::open_with_flags(from, flags)
        .with_context(|| format!("cannot open {}", from.display()))?;
    src.busy_timeout(Duration::from_secs(10))?;
    let mut dst = rusqlite::Connection::open(to)?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        let mut tries = 0;
        loop {
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                _ if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => bail!("the store stayed busy for 10 s; try again"),
            }
        }
    }
    // A plain file in the backup: the restored store turns WAL on again.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

/// The schema and the row counts of a store file.
fn read_counts(path: &Path) -> Result<(usize, Counts)> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let schema = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.max(0) as usize;
    let count = |table: &str| -> u64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).map_or(0, |n| n as u64)
    };
    let counts = Counts {
        accounts: count("accounts"),
        audit: count("audit"),
        views: count("views"),
        renders: count("renders"),
        answers: count("poll_answers") + count("ratings") + count("requests"),
        blobs: 0,
    };
    Ok((schema, counts))
}

/// The generation saved in a data folder, and the blobs it needs.
struct Saved {
    id: String,
    onair: Vec<u8>,
    blobs: Arc<Blobs>,
    names: BTreeSet<String>,
}

/// Reads the saved generation beside a running server: its manifest, then
/// the blob packs as they are, checked as a restart would check them. A
/// save and a compaction between the two can leave them out of step; then
/// it is read again.
fn saved_generation(data: &Path) -> Result<Option<Saved>> {
    let mut last = None;
    for _ in 0..10 {
        let onair = match std::fs::read(data.join(disk::FILE)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", data.join(disk::FILE).display())),
        };
        let read =
            Blobs::open_read_only(&data.join(crate::publish::blobs::DIR)).map_err(anyhow::Error::from).and_then(|b| {
                let blobs = Arc::new(b);
                disk::load_bytes(&onair, &blobs).map(|r| (r, blobs))
            });
        match read {
            Ok((restored, blobs)) => {
                let g = &restored.generation;
                let mut names: BTreeSet<String> = g.blob_names().map(str::to_string).collect();
                names.extend(restored.buckets.iter().cloned());
                return Ok(Some(Saved { id: g.id.clone(), onair, blobs, names }));
            }
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("?")).context("the saved generation cannot be read"))
}

/// A new file only its owner may read (mode 0600).
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

/// `infotv restore`: puts the backup `file` into `data`. Nothing in `data`
/// changes unless the whole backup is read and checked first; a folder
/// holding data is refused unless `replace`, which moves that data aside.
pub fn restore(file: &Path, data: &Path, replace: bool) -> Result<Summary> {
    // Made if missing, and no server's.
    let _claim = crate::datadir::lock(data)?;
    let present = || -> Vec<&str> { RESTORED.iter().copied().filter(|n| data.join(n).exists()).collect() };
    if !replace && !present().is_empty() {
        bail!(
            "{} already holds infotv data ({}): restore into an empty folder, or give --replace to move what is there aside first",
            data.display(),
            present().join(", ")
        );
    }
    let staging = Scratch::new(data.join(format!(".restore-{}", std::process::id())));
    let stage = staging.path();
    let _ = std::fs::remove_dir_all(stage);
    std::fs::create_dir(stage).with_context(|| format!("cannot write in {}", data.display()))?;
    let (manifest, bytes, blake3) = unpack(file, stage)?;
    check_staged(stage, &manifest)?;

    let mut moved_aside = None;
    let old: Vec<&str> = RESTORED.iter().chain(&REPLACED).copied().filter(|n| data.join(n).exists()).collect();
    if !old.is_empty() {
        let aside = data.join(format!("before-restore-{}", chrono::Local::now().format("%Y%m%d-%H%M%S")));
        std::fs::create_dir(&aside).with_context(|| format!("cannot create {}", aside.display()))?;
        for name in old {
            std::fs::rename(data.join(name), aside.join(name))
                .with_context(|| format!("cannot move {} aside", data.join(name).display()))?;
        }
        moved_aside = Some(aside);
    }
    for name in RESTORED {
        if stage.join(name).exists() {
            std::fs::rename(stage.join(name), data.join(name))
                .with_context(|| format!("cannot put {} in place", data.join(name).display()))?;
        }
    }
    drop(staging);
    crate::atomic::sync_folder(data);
    // An older release's store is brought up to date here, as a start would.
    let store = store::Store::open(data)?;
    let detail = format!(
        "ok: from {} ({} bytes, blake3 {blake3}), taken {} by infotv {}",
        file.display(),
        bytes,
        manifest.taken.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        manifest.release
    );
    crate::audit::by_command_line(&store, crate::audit::Action::Restore, &data.display().to_string(), &detail)?;
    Ok(Summary {
        file: file.to_path_buf(),
        bytes,
        blake3,
        release: manifest.release,
        taken: manifest.taken,
        schema: manifest.schema,
        generation: manifest.generation,
        counts: manifest.counts,
        moved_aside,
        warning: None,
    })
}

/// A member's path inside the backup, if it is one restore knows: plain
/// components under `infotv-backup/`, nothing that climbs out.
fn member_path(path: &Path) -> Option<String> {
    let rest = path.strip_prefix(ROOT).ok()?;
    let parts: Vec<&str> = rest
        .components()
        .map(|c| match c {
            Component::Normal(p) => p.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let known = match parts.as_slice() {
        [one] => [MANIFEST, store::FILE, disk::FILE].contains(one),
        [dir, name] if *dir == crate::publish::blobs::DIR => !name.starts_with('.'),
        [dir, ..] => *dir == AIR,
        [] => false,
    };
    known.then(|| parts.join("/"))
}

/// Reads the whole backup into `stage`, checking every member against the
/// manifest: its manifest, the file's size and BLAKE3.
fn unpack(file: &Path, stage: &Path) -> Result<(Manifest, u64, String)> {
    let opened = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let hashed = Hashing::new(std::io::BufReader::with_capacity(1 << 20, opened));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(hashed));
    let damaged = || format!("{} is not a whole infotv backup (cut short or damaged)", file.display());
    let blobs = Blobs::open(&stage.join(crate::publish::blobs::DIR))?;
    let mut found = Vec::new();
    let mut manifest: Option<Manifest> = None;
    for entry in archive.entries().with_context(damaged)? {
        let mut entry = entry.with_context(damaged)?;
        let raw = entry.path().with_context(damaged)?.into_owned();
        let Some(path) = member_path(&raw).filter(|_| entry.header().entry_type().is_file()) else {
            bail!("{}: {} is not part of an infotv backup", damaged(), raw.display());
        };
        if manifest.is_some() {
            bail!("{}: {path} comes after the manifest", damaged());
        }
        let size = entry.header().size().with_context(damaged)?;
        if path == MANIFEST {
            let mut text = Vec::new();
            (&mut entry).take(64 << 20).read_to_end(&mut text).with_context(damaged)?;
            manifest = Some(serde_json::from_slice(&text).with_context(damaged)?);
            continue;
        }
        let mut reader = Hashing::new(&mut entry);
        if let Some(name) = path.strip_prefix("blobs/") {
            let mut bytes = Vec::with_capacity(size.min(1 << 30) as usize);
            (&mut reader).take(1 << 30).read_to_end(&mut bytes).with_context(damaged)?;
            blobs.put(name, &bytes.into())?;
        } else {
            let to = stage.join(&path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut out = private_file(&to).with_context(|| format!("cannot write {}", to.display()))?;
            std::io::copy(&mut reader, &mut out).with_context(damaged)?;
            out.sync_all()?;
        }
        found.push(Member { path, bytes: reader.bytes, blake3: reader.hash.finalize().to_hex().to_string() });
    }
    // The rest of the stream, so gzip's CRC and length are checked too.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).with_context(damaged)?;
    let hashed = rest.into_inner();
    blobs.sync()?;
    let Some(manifest) = manifest else { bail!("{}: it ends before its manifest", damaged()) };
    if manifest.format != FORMAT {
        bail!("{} is a backup of format {:?}; this infotv reads {FORMAT:?}", file.display(), manifest.format);
    }
    let (mut want, mut got) = (manifest.members.clone(), found);
    want.sort_by(|a, b| a.path.cmp(&b.path));
    got.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some((w, g)) = want.iter().zip(&got).find(|(w, g)| w != g) {
        bail!("{}: {} does not match its checksum ({} bytes read, {} listed)", damaged(), g.path, g.bytes, w.bytes);
    }
    if want.len() != got.len() {
        bail!("{}: the manifest lists {} members, the file holds {}", damaged(), want.len(), got.len());
    }
    Ok((manifest, hashed.bytes, hashed.hash.finalize().to_hex().to_string()))
}

/// Checks what was unpacked as a server would open it: the store's schema
/// and integrity, the generation whole with its blobs.
fn check_staged(stage: &Path, manifest: &Manifest) -> Result<()> {
    if !stage.join(store::FILE).is_file() {
        bail!("the backup holds no store");
    }
    store::schema_of(stage).context("the backup was taken by a newer infotv")?;
    let conn =
        rusqlite::Connection::open_with_flags(stage.join(store::FILE), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        bail!("the backup's store is damaged: {verdict}");
    }
    drop(conn);
    let mut counts = read_counts(&stage.join(store::FILE))?.1;
    counts.blobs = manifest.counts.blobs;
    if counts != manifest.counts {
        bail!("the backup's store does not hold the rows its manifest counts");
    }
    if stage.join(disk::FILE).exists() {
        let blobs = Arc::new(Blobs::open_read_only(&stage.join(crate::publish::blobs::DIR))?);
        disk::load(stage, &blobs)?.context("the backup's generation is missing")?;
    }
    Ok(())
}
