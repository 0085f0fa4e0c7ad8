//! The data folder as one thing: one server at a time claims it, and a
//! folder a newer release wrote is refused before anything in it is read
//! or written.
//!
//! The claim is an exclusive `flock` on `infotv.lock`, held for the
//! server's life: the kernel lets go when the process ends, however it
//! ends (kill -9 leaves no stale lock). A second server on the same folder
//! would append to the same blob packs; `infotv restore` must not replace a
//! folder a server is using. The file holds the holder's pid, for the message.

use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::Result;

/// The lock's file in the data folder.
pub const LOCK: &str = "infotv.lock";

/// A data folder claimed for as long as this lives.
pub struct Claim {
    _file: Option<std::fs::File>,
}

/// Claims `dir` for a server (or a restore): refused when a newer release
/// wrote it or another process holds it. A folder where the lock cannot
/// even be made (read-only, missing and not creatable) is served from all
/// the same, unclaimed: the parts that need the disk say what is wrong.
pub(crate) fn claim(dir: &Path) -> Result<Claim> {
    crate::store::schema_of(dir)?;
    lock(dir)
}

/// Claims `dir` whatever release wrote it (a restore may replace a newer
/// folder on purpose): refused only when another process holds it.
pub fn lock(dir: &Path) -> Result<Claim> {
    let opened = std::fs::create_dir_all(dir).and_then(|()| {
        std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.join(LOCK))
    });
    let mut file = match opened {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("cannot make {} ({e}); the data folder is not locked", dir.join(LOCK).display());
            return Ok(Claim { _file: None });
        }
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            anyhow::bail!(
                "another infotv (pid {}) is using the data folder {}: stop it first, or give each server a folder of its own",
                pid.trim(),
                dir.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::warn!("cannot lock {} ({e}); the data folder is not locked", dir.join(LOCK).display());
            return Ok(Claim { _file: None });
        }
    }
    let _ = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| write!(file, "{}", std::process::id()));
    Ok(Claim { _file: Some(file) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_claimed_once_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = claim(dir.path()).unwrap();
        let err = claim(dir.path()).err().unwrap().to_string();
        assert!(err.contains("another infotv") && err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        claim(dir.path()).unwrap();
    }
}
