//! Reading inside the channel folder: confined to it, bounded in size, and
//! every failure a problem naming the file.

use super::{names, text};
use crate::confined::{Refusal, Root};
use crate::problem::toml_problem;
use crate::problem::Problem;
use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};

/// Text files larger than this are refused: no article is 2 MB of text, and a
/// runaway file must not exhaust memory.
pub(super) const MAX_TEXT_BYTES: u64 = 2 * 1024 * 1024;

/// An entry of a folder that is worth looking at, in staff order.
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) path: PathBuf,
    pub(super) is_dir: bool,
    pub(super) order: Option<u32>,
    pub(super) title: String,
}

/// Lists a folder (relative to root) in staff order, skipping ignored names
/// and links that lead out of the channel.
pub(super) fn list_dir(root: &Root, dir: &Path, problems: &mut Vec<Problem>) -> Option<Vec<Entry>> {
    let read = match fs::read_dir(root.join(dir)) {
        Ok(read) => read,
        Err(err) => {
            problems.push(io_problem(dir, &err));
            return None;
        }
    };
    let mut entries = Vec::new();
    for item in read.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        if names::is_ignored(&name) {
            continue;
        }
        let path = dir.join(&name);
        let Ok(file_type) = item.file_type() else {
            continue;
        };
        let is_dir = if file_type.is_symlink() {
            let target = root.join(&path).canonicalize().ok().filter(|t| root.holds(t));
            let Some(target) = target else {
                problems.push(outside_link(&path));
                continue;
            };
            target.is_dir()
        } else {
            file_type.is_dir()
        };
        let (order, title) = if is_dir {
            let (order, title) = names::split_order(&name);
            (order, title.to_string())
        } else {
            (None, name.clone())
        };
        entries.push(Entry { name, path, is_dir, order, title });
    }
    // Prefixed names first in prefix order, then the rest by name.
    entries.sort_by(|a, b| (a.order.is_none(), a.order, &a.name).cmp(&(b.order.is_none(), b.order, &b.name)));
    Some(entries)
}

/// Reads a text file (relative to root), decoded; `None` when it is missing
/// (nothing to say) or unreadable (a problem says why).
pub(super) fn read_text(root: &Root, path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let hint = ("把长文拆成几篇文章，或删去多余内容", "split it into several articles or shorten it");
    let bytes = read_limited(root, path, MAX_TEXT_BYTES, hint, true, problems)?;
    match text::decode(&bytes) {
        Some(decoded) => Some(decoded.text),
        None => {
            problems.push(
                Problem::new(
                    path,
                    "无法识别文字编码，或这不是文字文件，已跳过",
                    "text encoding not recognised, or not a text file; skipped",
                )
                .hint(
                    "用记事本打开后选“另存为”，编码选 UTF-8（也可读 GBK 和带 BOM 的 UTF-16）",
                    "open it in Notepad, Save As, encoding UTF-8 (GBK and UTF-16 with BOM are read too)",
                ),
            );
            None
        }
    }
}

/// Reads a file's bytes (relative to root) within a size limit.
pub(super) fn read_bytes(root: &Root, path: &Path, limit: u64, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let hint = ("缩小图片或压缩文件后再放入", "make the picture or file smaller and copy it again");
    read_limited(root, path, limit, hint, false, problems)
}

/// A file's bytes if it is a regular file inside the channel of at most
/// `limit` bytes; else a problem with `hint` (a missing file is a problem
/// too unless `missing_ok`). Nothing of a file that is refused is read.
pub(super) fn read_limited(
    root: &Root,
    path: &Path,
    limit: u64,
    hint: (&str, &str),
    missing_ok: bool,
    problems: &mut Vec<Problem>,
) -> Option<Vec<u8>> {
    match root.read(path, limit) {
        Ok((bytes, _)) => Some(bytes),
        Err(Refusal::Missing) if missing_ok => None,
        Err(Refusal::TooLarge { len }) => {
            let kb = (len / 1024, limit / 1024);
            problems.push(
                Problem::new(
                    path,
                    format!("文件过大（{} KB，上限 {} KB），已跳过", kb.0, kb.1),
                    format!("file too large ({} KB, limit {} KB); skipped", kb.0, kb.1),
                )
                .hint(hint.0, hint.1),
            );
            None
        }
        Err(refusal) => {
            problems.push(refused(path, &refusal));
            None
        }
    }
}

/// The problem of a file the channel folder did not hand over.
pub(super) fn refused(path: &Path, refusal: &Refusal) -> Problem {
    match refusal {
        Refusal::Outside => outside_link(path),
        Refusal::NotFile => Problem::new(
            path,
            "这不是普通文件（可能是文件夹、管道或设备），已忽略",
            "not a regular file (a folder, a pipe or a device); ignored",
        )
        .hint("放入普通的文件即可", "put an ordinary file there"),
        Refusal::Missing => io_problem(path, &std::io::Error::from(std::io::ErrorKind::NotFound)),
        Refusal::TooLarge { len } => Problem::new(
            path,
            format!("文件过大（{} KB），已跳过", len / 1024),
            format!("file too large ({} KB); skipped", len / 1024),
        ),
        Refusal::Io(err) => io_problem(path, err),
    }
}

/// A link out of the channel: refused, and nothing of it is read.
pub(super) fn outside_link(path: &Path) -> Problem {
    Problem::new(
        path,
        "链接指向频道文件夹以外（或已失效），未读取，已忽略",
        "link leads outside the channel folder (or is broken); not read, ignored",
    )
    .hint(
        "把文件本身复制进频道文件夹，不要用快捷方式或链接",
        "copy the file itself into the channel folder instead of linking to it",
    )
}

pub(super) fn read_toml<T: for<'de> Deserialize<'de>>(
    root: &Root,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let text = read_text(root, path, problems)?;
    match toml::from_str(&text) {
        Ok(value) => Some(value),
        Err(err) => {
            problems.push(toml_problem(&rel(path), &text, &err, 0));
            None
        }
    }
}

pub(super) fn io_problem(path: &Path, err: &std::io::Error) -> Problem {
    let shown = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    Problem::new(shown, format!("无法读取：{err}"), format!("cannot read: {err}"))
        .hint("检查文件的权限，或把文件重新复制一次", "check the file's permissions, or copy it again")
}

pub(super) fn rel(path: &Path) -> String {
    crate::problem::slash_path(path)
}
