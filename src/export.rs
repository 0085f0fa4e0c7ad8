//! A static export of a generation that any HTTP server can serve: the URL
//! space mirrored as files (`tv/…`, `a/…`, `api/v1/{profile}/graph.json`).

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::publish::Generation;
use crate::sync::Locked;

/// Writes `generation` under `out`, creating folders as needed, so that a
/// server reading `out` (an edge node's nginx serving the export before)
/// never sends half a file or a link to a file not yet there:
///
/// - in waves, each whole before the next begins: pictures, then screen
///   texts and shells new to `out`, then those replacing earlier ones,
///   then the graphs and what shells poll — nothing is linked before the
///   file it links to is whole;
/// - a file already in `out` is replaced by writing beside it and renaming;
///   a new one is written in place, as nothing links to it yet (a third of
///   the cost: measured 27 µs a file against 46–160 µs for write and
///   rename on this machine's ext4, which scans for free inodes the longer
///   after many files were deleted);
/// - a picture already in `out` with its length is left as it is: its name
///   is its content's hash, and a file a killed export cut short has
///   another length.
///
/// Written from several threads: creating a file waits on the file system
/// and the waits overlap. A folder's entries are changed under its lock, so
/// the threads take turns by folder, in runs of files from one folder.
///
/// Nothing is written through a link planted in `out` (a folder or file
/// replaced by a link into the data folder, say): folders under `out` must
/// be folders, new files are created only where nothing is, and a file is
/// replaced by renaming over its name, never by writing into it.
pub fn write(generation: &Generation, out: &Path) -> Result<usize> {
    let waves = waves(generation, out);
    let dirs: std::collections::BTreeSet<&Path> = waves.iter().flatten().filter_map(|f| f.path.parent()).collect();
    for dir in dirs {
        real_folders(out, dir)?;
    }
    let mut written = 0;
    let [pictures, texts, graphs] = waves;
    let replaced = Mutex::new(Vec::new());
    for wave in [pictures, texts] {
        written += wave.len();
        in_parallel(&wave, |file| match file.put(generation)? {
            Put::Done => Ok(()),
            Put::Replace => {
                replaced.locked().push(file.clone());
                Ok(())
            }
        })?;
    }
    let replaced = replaced.into_inner().unwrap_or_else(|e| e.into_inner());
    in_parallel(&replaced, |file| file.replace(generation))?;
    written += graphs.len();
    in_parallel(&graphs, |file| file.replace(generation))?;
    Ok(written)
}

/// Makes `dir` (under `out`) and every folder between, refusing any that is
/// a link: the export writes only into folders of its own.
fn real_folders(out: &Path, dir: &Path) -> Result<()> {
    let rel = dir.strip_prefix(out).unwrap_or(Path::new(""));
    let mut at = out.to_path_buf();
    fs::create_dir_all(&at).with_context(|| format!("cannot create {}", at.display()))?;
    for part in rel.components() {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                anyhow::bail!("{} is a link: the export does not write through links; remove it", at.display())
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => anyhow::bail!("{} is a file where the export needs a folder", at.display()),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                fs::create_dir(&at).with_context(|| format!("cannot create {}", at.display()))?;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", at.display())),
        }
    }
    Ok(())
}

/// One file of the export.
#[derive(Clone)]
struct File<'a> {
    path: PathBuf,
    src: Src<'a>,
}

/// Where a file's bytes come from.
#[derive(Clone)]
enum Src<'a> {
    Bytes(std::borrow::Cow<'a, [u8]>),
    /// A blob named by its content's hash: a picture.
    Picture(&'a str),
    /// A blob that goes out under a screen's name: a shell or a screen text.
    Named(&'a str),
}

/// What became of a file.
enum Put {
    Done,
    /// It is there from an earlier export: it is replaced after every new
    /// file is written.
    Replace,
}

impl File<'_> {
    fn bytes(&self, generation: &Generation) -> Result<bytes::Bytes> {
        match &self.src {
            Src::Bytes(b) => Ok(bytes::Bytes::copy_from_slice(b)),
            // Read, not mapped: pages of a mapped pack stay in the process
            // until it ends, and a county's export then showed 3.8 GB
            // resident against 0.8 GB read (the same time either way).
            Src::Picture(name) | Src::Named(name) => match generation.blobs.read(name) {
                Some(bytes) => Ok(bytes),
                None => anyhow::bail!("{name} is missing from the generation's blobs"),
            },
        }
    }

    /// Writes a file new to `out` in place; one already there is left to
    /// be replaced, or kept when it is this picture.
    fn put(&self, generation: &Generation) -> Result<Put> {
        match fs::symlink_metadata(&self.path) {
            Ok(there) if self.kept(generation, &there) => return Ok(Put::Done),
            Ok(_) => return Ok(Put::Replace),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot write {}", self.path.display())),
        }
        // Read only to be written: a picture kept or a file left to be
        // replaced costs no read here.
        let bytes = self.bytes(generation)?;
        let file = match fs::OpenOptions::new().write(true).create_new(true).open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(Put::Replace),
            Err(e) => return Err(e).with_context(|| format!("cannot write {}", self.path.display())),
        };
        (&file).write_all(&bytes).with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(Put::Done)
    }

    /// Whether the file `there` is this picture already, by the length the
    /// blob index gives: its bytes are not read.
    fn kept(&self, generation: &Generation, there: &fs::Metadata) -> bool {
        let Src::Picture(name) = self.src else { return false };
        there.is_file() && generation.blobs.len(name) == Some(there.len())
    }

    /// Writes the file whole or not at all ([`crate::atomic`]): a link
    /// planted where it goes is replaced, never written through.
    fn replace(&self, generation: &Generation) -> Result<()> {
        let bytes = self.bytes(generation)?;
        crate::atomic::write(&self.path, &bytes, crate::atomic::SHARED)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(())
    }
}

/// The export's files in their waves: pictures; screen texts and shells;
/// graphs, what shells poll and the start page.
fn waves<'a>(generation: &'a Generation, out: &Path) -> [Vec<File<'a>>; 3] {
    let file = |path: PathBuf, src: Src<'a>| File { path, src };
    let pictures = generation.assets.keys().map(|name| file(out.join("a").join(&**name), Src::Picture(name))).collect();
    let mut texts = Vec::new();
    let mut graphs = Vec::new();
    for (name, profile) in &generation.profiles {
        let api = out.join("api/v1").join(name);
        graphs.push(file(api.join("graph.json"), Src::Bytes(profile.graph_json.as_ref().into())));
        let tv = out.join("tv").join(name);
        // The shell reads `?f=` itself, so one file per screen serves every state.
        texts.extend(
            profile.screens.iter().map(|(id, s)| file(tv.join(format!("{id}.html")), Src::Named(&s.shells[0]))),
        );
        let screens = api.join("screens");
        texts.extend(
            profile.screens.iter().map(|(id, s)| file(screens.join(format!("{id}.json")), Src::Named(&s.text))),
        );
    }
    // What shells poll for new content. A static file has no clock to offer,
    // so boxes behind an edge node show the time of their own clock; `built`
    // lets a box whose clock was never set (before the build) show none. It
    // is the build's day (UTC midnight), so exporting the same generation
    // again on the same day writes the same bytes and the edges copy nothing.
    let day = 86_400_000;
    let polled = serde_json::json!({
        "generation": generation.id,
        "built": generation.built_at.timestamp_millis().div_euclid(day) * day,
        "alert": generation.alert,
        "utc_offset": generation.utc_offset_minutes,
    })
    .to_string();
    graphs.push(file(out.join("api/v1/generation.json"), Src::Bytes(polled.into_bytes().into())));
    let start = format!(
        "<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" content=\"0; url=tv/{}/home.html\"></head><body></body></html>\n",
        generation.default_profile
    );
    graphs.push(file(out.join("index.html"), Src::Bytes(start.into_bytes().into())));
    [pictures, texts, graphs]
}

/// Files from one folder a thread takes at a time.
const RUN: usize = 64;

/// Runs `each` on every file, on twice as many threads as cores. The files
/// are dealt in runs from one folder, the folders taken in turn, so that
/// threads working side by side mostly change different folders.
fn in_parallel<'a>(files: &[File<'a>], each: impl Fn(&File<'a>) -> Result<()> + Sync) -> Result<()> {
    let mut by_folder: std::collections::BTreeMap<&Path, Vec<&File<'a>>> = Default::default();
    for f in files {
        by_folder.entry(f.path.parent().unwrap_or(Path::new(""))).or_default().push(f);
    }
    let mut folders: Vec<_> = by_folder.values().map(|files| files.chunks(RUN)).collect();
    let mut dealt: Vec<&[&File<'a>]> = Vec::new();
    loop {
        let before = dealt.len();
        dealt.extend(folders.iter_mut().filter_map(Iterator::next));
        if dealt.len() == before {
            break;
        }
    }
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) * 2;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(dealt.len()))
            .map(|_| {
                scope.spawn(|| loop {
                    let Some(run) = dealt.get(next.fetch_add(1, Ordering::Relaxed)) else { return Ok(()) };
                    run.iter().try_for_each(|f| each(f))?;
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|_| anyhow::bail!("an export thread panicked")))
    })
}
