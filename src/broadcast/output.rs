//! What the loop's ffmpeg is handed: where its MPEG-TS goes and the music it
//! reads. ffmpeg never opens a name from site.toml itself. A stream address
//! is passed on only when it is `udp://`, `rtp://` or `srt://`, under a
//! protocol allow-list; a file or named pipe is opened here, in the
//! recordings folder only, and handed over as ffmpeg's standard output, so
//! no `-y` ever replaces anything. A file infotv did not make there is never
//! replaced. The music is copied from the channel (read only from inside
//! it) into the data folder first.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::config::TsTarget;

/// The list of files the loop made in the recordings folder, one name a line:
/// only those may be written over.
const MADE: &str = ".infotv-made";

/// Where ffmpeg's MPEG-TS goes once checked.
#[derive(Debug)]
pub enum Out {
    /// Passed to ffmpeg as its output, under a protocol allow-list.
    Url(String),
    /// Opened here; ffmpeg writes it as its standard output.
    File(File),
}

/// The recordings folder, checked: it must exist (it is made) and be
/// neither inside nor around the data or the channel folder. Its real path.
pub fn recordings(dir: &Path, data: &Path, channels: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make the recordings folder {}: {e}", dir.display()))?;
    let real = dir.canonicalize().map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
    for (what, other) in [("data", data), ("channel", channels)] {
        let Ok(other) = other.canonicalize() else { continue };
        if real.starts_with(&other) || other.starts_with(&real) {
            return Err(format!(
                "the recordings folder {} must be outside the {what} folder {} (and not hold it): a TS written there could replace what infotv keeps",
                real.display(),
                other.display()
            ));
        }
    }
    Ok(real)
}

/// Opens `target` for ffmpeg. `recordings` is the checked recordings folder,
/// if there is one. The error is said in Chinese, for the status page.
pub fn open(target: &str, recordings: Option<&Path>) -> Result<Out, String> {
    match TsTarget::parse(target) {
        Ok(TsTarget::Url(url)) => Ok(Out::Url(url)),
        Ok(TsTarget::File(name)) => {
            let Some(dir) = recordings else {
                return Err(format!(
                    "TS 输出到文件“{}”需要录制文件夹（启动参数 --recordings，在数据和频道文件夹以外），已停用",
                    name.display()
                ));
            };
            open_file(dir, &name).map(Out::File)
        }
        Err(why) => Err(format!("ts = “{target}” 不是允许的输出：{why}")),
    }
}

/// Opens `name` in `dir` to be written: a new file (recorded as ours), one
/// made before, or a named pipe; never a link, never someone else's file.
fn open_file(dir: &Path, name: &Path) -> Result<File, String> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let full = dir.join(name);
    let parent = full.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| format!("无法创建 {}：{e}", parent.display()))?;
    if !parent.canonicalize().is_ok_and(|p| p.starts_with(dir)) {
        return Err(format!("{} 指向录制文件夹以外，已停用", parent.display()));
    }
    let made = std::fs::read_to_string(dir.join(MADE)).unwrap_or_default();
    let ours = made.lines().any(|l| Path::new(l) == name);
    let mut options = std::fs::OpenOptions::new();
    options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    let opened = match std::fs::symlink_metadata(&full) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let f = options.write(true).create_new(true).open(&full);
            if f.is_ok() && !ours {
                record_made(dir, name)?;
            }
            f
        }
        Ok(m) if m.file_type().is_fifo() => {
            // Read and write: on Linux the open does not wait for the
            // headend to start reading; ffmpeg's writes wait instead.
            options.read(true).write(true).open(&full)
        }
        Ok(m) if m.file_type().is_file() && ours => options.write(true).truncate(true).open(&full),
        Ok(m) if m.file_type().is_file() => {
            return Err(format!("{} 已存在且不是轮播建的文件，不会覆盖；请换一个文件名", full.display()))
        }
        Ok(_) => return Err(format!("{} 不是普通文件或命名管道，已停用", full.display())),
        Err(e) => Err(e),
    };
    opened.map_err(|e| format!("无法打开 {}：{e}", full.display()))
}

fn record_made(dir: &Path, name: &Path) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(MADE))
        .map_err(|e| format!("无法记录 {}：{e}", name.display()))?;
    writeln!(f, "{}", name.display())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("无法记录 {}：{e}", name.display()))
}

/// The largest music file taken.
const MAX_MUSIC: u64 = 200 << 20;

/// Copies the channel's music file `path` (read only from inside the
/// channel it is in) to `data/loop-music/`, named by its content, and
/// returns the copy: what ffmpeg reads.
pub(crate) fn stage_music(path: &Path, data: &Path) -> Result<PathBuf, String> {
    let (Some(channel), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(format!("{} 不是音乐文件", path.display()));
    };
    let root = crate::confined::Root::new(channel);
    let (bytes, _) = root
        .read(Path::new(name), MAX_MUSIC)
        .map_err(|e| format!("轮播音乐 {} 无法读取（{e}），已停用音乐", name.to_string_lossy()))?;
    let ext = Path::new(name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let dir = data.join("loop-music");
    let copy = dir.join(format!("{}.{ext}", &blake3::hash(&bytes).to_hex()[..20]));
    if !copy.is_file() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("无法创建 {}：{e}", dir.display()))?;
        crate::atomic::write(&copy, &bytes, crate::atomic::SHARED).map_err(|e| format!("无法复制轮播音乐：{e}"))?;
    }
    Ok(copy)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn files_only_in_the_recordings_folder_and_never_someone_elses() {
        let base = tempfile::tempdir().unwrap();
        let (data, channels, rec) = (base.path().join("data"), base.path().join("channels"), base.path().join("rec"));
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&channels).unwrap();
        assert!(recordings(&data.join("rec"), &data, &channels).is_err(), "inside the data folder");
        assert!(recordings(base.path(), &data, &channels).is_err(), "holding the data folder");
        assert!(recordings(&channels, &data, &channels).is_err());
        let rec = recordings(&rec, &data, &channels).unwrap();

        assert!(matches!(open("udp://239.1.1.1:1234?pkt_size=1316", Some(&rec)), Ok(Out::Url(_))));
        assert!(open("loop.ts", None).unwrap_err().contains("--recordings"));
        assert!(matches!(open("loop.ts", Some(&rec)), Ok(Out::File(_))), "a new file");
        assert!(matches!(open("loop.ts", Some(&rec)), Ok(Out::File(_))), "its own file again");
        std::fs::write(rec.join("theirs.ts"), "not ours").unwrap();
        assert!(open("theirs.ts", Some(&rec)).unwrap_err().contains("不会覆盖"));
        assert_eq!(std::fs::read(rec.join("theirs.ts")).unwrap(), b"not ours");
        std::os::unix::fs::symlink(data.join("infotv.sqlite"), rec.join("link.ts")).unwrap();
        assert!(open("link.ts", Some(&rec)).is_err());
        assert!(!data.join("infotv.sqlite").exists(), "nothing made through the link");
        crate::confined::make_fifo(&rec.join("pipe"));
        assert!(matches!(open("pipe", Some(&rec)), Ok(Out::File(_))));
        for bad in ["../data/infotv.sqlite", "/etc/passwd", "file:///x", "http://a:1/", "udp://a", ".hidden"] {
            assert!(open(bad, Some(&rec)).is_err(), "{bad}");
        }
    }
}
