//! Files written whole or not at all: the one write-then-rename of infotv.
//!
//! Every file infotv replaces — the saved generation, a backup, an export,
//! an approved version put on air, a picture spooled, the loop's music, the
//! first password — is written by [`write_with`]: a new file beside it
//! (hidden, made new, so never written through a link planted there),
//! synced, renamed over the old one, and the folder synced so the rename
//! survives a power cut. A reader sees the old file or the whole new one;
//! a failure (a full disk) removes the new file and leaves the old.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Files the owner alone may read: password hashes, callback numbers.
pub const PRIVATE: u32 = 0o600;
/// Files anyone on the machine may read: pictures, pages, the generation.
pub const SHARED: u32 = 0o644;

/// Writes `bytes` to `path` whole or not at all (see the module).
pub fn write(path: &Path, bytes: &[u8], mode: u32) -> io::Result<File> {
    write_with(path, mode, |mut f| f.write_all(bytes)).map(|(file, ())| file)
}

/// Writes `path` through `write`, which is given the new file: whole or
/// not at all (see the module). Returns the file written, open for
/// reading, and what `write` returned.
pub fn write_with<T, E: From<io::Error>>(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&File) -> Result<T, E>,
) -> Result<(File, T), E> {
    let dir = folder_of(path);
    let new = beside(path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&new)?;
    let done = write(&file).and_then(|out| {
        file.sync_all()?;
        std::fs::rename(&new, path)?;
        Ok(out)
    });
    match done {
        Ok(out) => {
            sync_folder(dir);
            Ok((file, out))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&new);
            Err(e)
        }
    }
}

/// Syncs a folder, so that a rename or a new name in it is on the disk.
pub(crate) fn sync_folder(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A name of its own beside `path`: hidden, so content staff and the
/// folder watcher pass it by, and ending `.tmp`, which the loader skips.
fn beside(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        out.sort();
        out
    }

    #[test]
    fn a_file_is_replaced_whole_with_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        std::fs::write(&path, b"old").unwrap();
        write(&path, b"new and longer", PRIVATE).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new and longer");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(names(dir.path()), ["a.bin"], "nothing left beside it");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        std::fs::write(&path, b"old").unwrap();
        let err = write_with(&path, SHARED, |mut f| {
            f.write_all(b"half")?;
            Err::<(), _>(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["a.bin"]);
    }

    #[test]
    fn a_planted_link_is_replaced_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"keep").unwrap();
        let path = dir.path().join("out");
        std::os::unix::fs::symlink(&secret, &path).unwrap();
        write(&path, b"written", SHARED).unwrap();
        assert_eq!(std::fs::read(&secret).unwrap(), b"keep");
        assert!(!std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&path).unwrap(), b"written");
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write(&dir.path().join("no/such/a"), b"x", SHARED).is_err());
    }
}
