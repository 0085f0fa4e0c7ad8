//! Reading the channel folder from inside only. Every file infotv takes from
//! the channel — listed in a folder or opened by a fixed name (site.toml, an
//! item.toml, alert.txt, a caption, the loop's music) — is opened here, and
//! only a regular file whose real path stays under the channel's root is
//! handed back. A link that leads out (or nowhere) is refused before a byte
//! of it is read.
//!
//! The check that counts is made on the open descriptor (its path as the
//! kernel has it, `/proc/self/fd/N`), not on the name before opening: a link
//! swapped in between a check and the open cannot slip through.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// A channel folder, with its real path worked out once.
#[derive(Debug, Clone)]
pub struct Root {
    given: PathBuf,
    /// `None` when the folder cannot be resolved (gone, unmounted): then
    /// nothing can be opened through it.
    real: Option<PathBuf>,
}

/// The folder's path as given: joining names to it is how other parts
/// still name files (in problems, for stamps).
impl std::ops::Deref for Root {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.given
    }
}

impl AsRef<Path> for Root {
    fn as_ref(&self) -> &Path {
        &self.given
    }
}

/// Why a file was not handed back.
#[derive(Debug)]
pub enum Refusal {
    /// Nothing of that name.
    Missing,
    /// A link that leads out of the channel folder, or a broken one.
    Outside,
    /// A folder, a pipe, a device: not a file to read.
    NotFile,
    /// Longer than the caller's limit.
    TooLarge {
        len: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Missing => write!(f, "no such file"),
            Refusal::Outside => write!(f, "a link leading outside the channel folder, or a broken one"),
            Refusal::NotFile => write!(f, "not a regular file"),
            Refusal::TooLarge { len } => write!(f, "too large ({len} bytes)"),
            Refusal::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A file opened inside the channel, and what the descriptor says of it.
pub struct Opened {
    pub file: File,
    pub meta: Metadata,
}

impl Root {
    pub fn new(path: &Path) -> Root {
        Root { given: path.to_path_buf(), real: path.canonicalize().ok() }
    }

    /// The folder as it was given.
    pub fn path(&self) -> &Path {
        &self.given
    }

    /// The folder's real path, if it resolves.
    pub fn real(&self) -> Option<&Path> {
        self.real.as_deref()
    }

    /// Whether `target` (a resolved path) lies inside the channel.
    pub fn holds(&self, target: &Path) -> bool {
        self.real.as_deref().is_some_and(|r| target.starts_with(r))
    }

    /// Opens `rel` (relative to the root) for reading, if it is a regular
    /// file inside the channel.
    pub fn open(&self, rel: &Path) -> Result<Opened, Refusal> {
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Refusal::Outside);
        }
        // A channel folder that is gone holds nothing (its absence is the
        // loader's problem to report, once).
        let Some(real_root) = &self.real else { return Err(Refusal::Missing) };
        let full = self.given.join(rel);
        let named = match std::fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Refusal::Missing),
            Err(e) => return Err(Refusal::Io(e)),
        };
        if named.file_type().is_symlink() {
            // Resolved before opening too, so a link to a device or a pipe
            // elsewhere is never even opened.
            match full.canonicalize() {
                Ok(target) if target.starts_with(real_root) => {}
                _ => return Err(Refusal::Outside),
            }
        } else if !named.is_file() {
            return Err(Refusal::NotFile);
        }
        let file = open_quietly(&full).map_err(|e| match e.kind() {
            // The name resolved a moment ago: a link whose target went.
            std::io::ErrorKind::NotFound => Refusal::Outside,
            _ => Refusal::Io(e),
        })?;
        let meta = file.metadata().map_err(Refusal::Io)?;
        if !meta.is_file() {
            return Err(Refusal::NotFile);
        }
        if !self.opened_inside(&file, &full, &meta, real_root) {
            return Err(Refusal::Outside);
        }
        Ok(Opened { file, meta })
    }

    /// Reads `rel` whole when it is at most `limit` bytes.
    pub fn read(&self, rel: &Path, limit: u64) -> Result<(Vec<u8>, Metadata), Refusal> {
        let Opened { file, meta } = self.open(rel)?;
        if meta.len() > limit {
            return Err(Refusal::TooLarge { len: meta.len() });
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        // Bounded even if the file grows while it is read.
        file.take(limit + 1).read_to_end(&mut bytes).map_err(Refusal::Io)?;
        if bytes.len() as u64 > limit {
            return Err(Refusal::TooLarge { len: bytes.len() as u64 });
        }
        Ok((bytes, meta))
    }

    /// Whether the open `file` really lies under `real_root`: its path as
    /// the kernel keeps it for the descriptor, or where /proc is missing,
    /// the name resolved again and found to be the same file.
    fn opened_inside(&self, file: &File, full: &Path, meta: &Metadata, real_root: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::AsRawFd;
        match std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            Ok(path) => path.starts_with(real_root),
            Err(_) => match full.canonicalize().and_then(|p| Ok((std::fs::metadata(&p)?, p))) {
                Ok((again, p)) => p.starts_with(real_root) && again.dev() == meta.dev() && again.ino() == meta.ino(),
                Err(_) => false,
            },
        }
    }
}

/// Opens for reading without blocking on a pipe and without taking a
/// terminal: what is opened is checked before anything is read.
fn open_quietly(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path)
}

/// Makes a named pipe at `path`, for tests of files that are not files.
#[cfg(test)]
#[allow(unsafe_code)]
pub(crate) fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("a path without NUL");
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn only_regular_files_inside_are_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "key").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/in.txt"), "hello").unwrap();
        symlink(root.join("a/in.txt"), root.join("inside-link")).unwrap();
        symlink("a/in.txt", root.join("relative-link")).unwrap();
        symlink(outside.path().join("secret"), root.join("out-link")).unwrap();
        symlink("../../../../../../etc/passwd", root.join("dots-link")).unwrap();
        symlink(root.join("gone"), root.join("broken")).unwrap();
        symlink(outside.path(), root.join("out-dir")).unwrap();
        let r = Root::new(root);
        assert_eq!(r.read(Path::new("a/in.txt"), 100).unwrap().0, b"hello");
        assert_eq!(r.read(Path::new("inside-link"), 100).unwrap().0, b"hello");
        assert_eq!(r.read(Path::new("relative-link"), 100).unwrap().0, b"hello");
        for outside in ["out-link", "dots-link", "broken", "out-dir/secret", "../secret", "a/../../x"] {
            assert!(matches!(r.read(Path::new(outside), 100), Err(Refusal::Outside)), "{outside}");
        }
        assert!(matches!(r.read(Path::new("a"), 100), Err(Refusal::NotFile)));
        assert!(matches!(r.read(Path::new("nothing"), 100), Err(Refusal::Missing)));
        assert!(matches!(r.read(Path::new("a/in.txt"), 3), Err(Refusal::TooLarge { len: 5 })));
    }

    #[test]
    fn a_pipe_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("alert.txt");
        make_fifo(&pipe);
        let r = Root::new(dir.path());
        assert!(matches!(r.read(Path::new("alert.txt"), 100), Err(Refusal::NotFile)));
        symlink(&pipe, dir.path().join("to-pipe")).unwrap();
        assert!(matches!(r.read(Path::new("to-pipe"), 100), Err(Refusal::NotFile)));
    }
}
