//! The content-addressed store every generation's bytes live in: pictures,
//! shells, screen texts and graphs, each a file named by its content hash in
//! `data/blobs/`. A render writes only names it has not seen; the server
//! sends files from here with sendfile(2), the page cache doing the
//! caching, so memory holds names and never pictures.
//!
//! Invariant: a file here never changes once it has its name: it is written
//! under a temporary name and renamed into place, never truncated or
//! written again (so a mapping of it stays valid, and a name read once is
//! the same bytes for ever). The generation saved beside it names only
//! files that were flushed to the disk first (`sync`).
//!
//! Without a data folder (one-off renders, tests of the stages) the store
//! is a map in memory with the same interface.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::disk::SavedFile;
use crate::sync::Locked;

/// The folder's name in the data folder.
pub const DIR: &str = "blobs";

/// The store: a folder, or memory.
pub struct Blobs {
    place: Place,
}

enum Place {
    Memory(Mutex<HashMap<String, Bytes>>),
    Disk {
        dir: PathBuf,
        /// The names in the folder, read once when it was opened and kept
        /// as files are added and removed.
        present: Mutex<HashSet<String>>,
    },
}

/// A blob's bytes to send, and the open file they lie in (for sendfile).
pub struct Body {
    pub bytes: Bytes,
    pub file: Option<Arc<SavedFile>>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Place::Memory(m) => write!(f, "Blobs(memory, {})", m.locked().len()),
            Place::Disk { dir, .. } => write!(f, "Blobs({})", dir.display()),
        }
    }
}

impl Default for Blobs {
    fn default() -> Blobs {
        Blobs::in_memory()
    }
}

/// A name that can only be a plain file of the folder.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl Blobs {
    pub fn in_memory() -> Blobs {
        Blobs { place: Place::Memory(Mutex::new(HashMap::new())) }
    }

    /// The store in `dir`, created when missing.
    pub fn open(dir: &Path) -> std::io::Result<Blobs> {
        std::fs::create_dir_all(dir)?;
        let mut present = HashSet::new();
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if plain(&name) {
                present.insert(name);
            }
        }
        Ok(Blobs { place: Place::Disk { dir: dir.to_path_buf(), present: Mutex::new(present) } })
    }

    /// The folder, when the store is one.
    pub fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Disk { dir, .. } => Some(dir),
            Place::Memory(_) => None,
        }
    }

    pub fn has(&self, name: &str) -> bool {
        match &self.place {
            Place::Memory(m) => m.locked().contains_key(name),
            Place::Disk { present, .. } => present.locked().contains(name),
        }
    }

    /// How many blobs the store holds.
    pub fn count(&self) -> usize {
        match &self.place {
            Place::Memory(m) => m.locked().len(),
            Place::Disk { present, .. } => present.locked().len(),
        }
    }

    /// Stores `bytes` as `name` (a hash of them), unless it is there.
    pub fn put(&self, name: &str, bytes: &Bytes) -> std::io::Result<()> {
        if !plain(name) || bytes.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("not a blob: {name}")));
        }
        match &self.place {
            Place::Memory(m) => {
                m.locked().entry(name.to_string()).or_insert_with(|| bytes.clone());
                Ok(())
            }
            Place::Disk { dir, present } => {
                if present.locked().contains(name) {
                    return Ok(());
                }
                // A name of its own per writer: two renders may store the
                // same bytes at once, and both renames are then right.
                let tmp = dir.join(format!(".{name}.{}", crate::ids::random_hex(6)));
                let written = (|| {
                    let mut f = std::fs::File::create(&tmp)?;
                    f.write_all(bytes)?;
                    std::fs::rename(&tmp, dir.join(name))
                })();
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e);
                }
                present.locked().insert(name.to_string());
                Ok(())
            }
        }
    }

    /// The bytes of `name` to send: from memory, or the file mapped (its
    /// pages are read only if the body is not sent with sendfile).
    pub fn get(&self, name: &str) -> Option<Body> {
        if !plain(name) {
            return None;
        }
        match &self.place {
            Place::Memory(m) => m.locked().get(name).map(|b| Body { bytes: b.clone(), file: None }),
            Place::Disk { dir, .. } => {
                let file = std::fs::File::open(dir.join(name)).ok()?;
                let len = file.metadata().ok()?.len();
                let bytes = if len == 0 { Bytes::new() } else { Bytes::from_owner(map(&file)?) };
                let file = SavedFile::new(file).ok().map(Arc::new);
                Some(Body { bytes, file })
            }
        }
    }

    /// The bytes of `name`, read.
    pub fn read(&self, name: &str) -> Option<Bytes> {
        match &self.place {
            Place::Memory(m) => m.locked().get(name).cloned(),
            Place::Disk { dir, .. } if plain(name) => std::fs::read(dir.join(name)).ok().map(Bytes::from),
            Place::Disk { .. } => None,
        }
    }

    /// Flushes every blob written so far to the disk (the whole file
    /// system, once: one flush per file would cost minutes for a channel).
    pub fn sync(&self) -> std::io::Result<()> {
        match &self.place {
            Place::Memory(_) => Ok(()),
            Place::Disk { dir, .. } => {
                let d = std::fs::File::open(dir)?;
                syncfs(&d)
            }
        }
    }

    /// Removes the blobs `keep` does not name and that are older than
    /// `age` (a render under way, or a preview, may be using newer ones),
    /// and temporary files left by a crash. Returns how many went.
    pub fn sweep(&self, keep: &HashSet<&str>, age: Duration) -> usize {
        let Place::Disk { dir, present } = &self.place else { return 0 };
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        let now = SystemTime::now();
        let mut gone = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if keep.contains(name.as_str()) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= age);
            if old && std::fs::remove_file(entry.path()).is_ok() {
                present.locked().remove(&name);
                gone += 1;
            }
        }
        gone
    }
}

/// Maps `file` for reading.
#[allow(unsafe_code)] // A mapping is sound while the file is not truncated.
fn map(file: &std::fs::File) -> Option<memmap2::Mmap> {
    // SAFETY: blobs are never written or truncated after their rename into
    // place (module invariant); removing one leaves the mapping valid.
    unsafe { memmap2::Mmap::map(file) }.ok()
}

/// syncfs(2) on the file system holding `dir`.
#[allow(unsafe_code)] // One system call on a descriptor we hold open.
fn syncfs(dir: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the call.
    match unsafe { libc::syncfs(dir.as_raw_fd()) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_written_once_read_back_and_swept_by_age() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let bytes = Bytes::from_static(b"picture");
        blobs.put("abc.png", &bytes).unwrap();
        let before = std::fs::metadata(dir.path().join("abc.png")).unwrap().modified().unwrap();
        blobs.put("abc.png", &Bytes::from_static(b"other")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("abc.png")).unwrap(), b"picture", "a name is never written again");
        assert_eq!(std::fs::metadata(dir.path().join("abc.png")).unwrap().modified().unwrap(), before);
        assert_eq!(&blobs.get("abc.png").unwrap().bytes[..], b"picture");
        assert!(blobs.get("../abc.png").is_none() && blobs.put("../x", &bytes).is_err());
        blobs.sync().unwrap();
        let again = Blobs::open(dir.path()).unwrap();
        assert!(again.has("abc.png"));
        blobs.put("old.png", &bytes).unwrap();
        assert_eq!(blobs.sweep(&HashSet::from(["abc.png"]), Duration::from_secs(3600)), 0, "young blobs stay");
        assert_eq!(blobs.sweep(&HashSet::from(["abc.png"]), Duration::ZERO), 1);
        assert!(!blobs.has("old.png") && blobs.has("abc.png"));
    }
}
