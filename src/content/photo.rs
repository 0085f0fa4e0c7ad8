//! Pictures: read as bytes with their size and EXIF orientation; decoding to
//! pixels is raster's job.

use std::borrow::Cow;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::metadata::Orientation;
use image::{ImageDecoder, ImageReader};

use crate::problem::Problem;

/// Pictures larger than this are refused before decoding: a 20,000 x 20,000
/// PNG is a few KB on disk and 1.6 GB in memory.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Picture files larger than this are refused unread.
pub const MAX_FILE_BYTES: u64 = 30 * 1024 * 1024;

/// An encoded picture from the channel folder.
pub struct ImageData {
    bytes: Held,
    /// Size as shown, after the EXIF orientation is applied.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    /// Content hash: identical pictures are decoded once.
    pub hash: String,
}

impl std::fmt::Debug for ImageData {
    // The hash stands for the bytes: layout hashes ops through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageData({} {}x{})", self.hash, self.width, self.height)
    }
}

impl PartialEq for ImageData {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

/// Where a picture's encoded bytes are kept between its load and its decode.
enum Held {
    /// One-off renders and tests, and pictures inside another file.
    Memory(Vec<u8>),
    /// A server's pictures: a copy named by its hash in the data folder's
    /// spool (the county channel's come to 42 MB, which the server would
    /// otherwise hold for as long as it serves). A copy, not the channel's
    /// file: staff may break or replace that while its last good version
    /// stays on air. Read when a screen is drawn (once a size; raster keeps
    /// the pixels for the render).
    Spooled(PathBuf),
}

impl ImageData {
    /// The encoded picture; `None` when its spooled copy is gone or no
    /// longer matches its hash (a damaged data folder), which raster draws
    /// as an empty frame.
    pub fn bytes(&self) -> Option<Cow<'_, [u8]>> {
        match &self.bytes {
            Held::Memory(bytes) => Some(Cow::Borrowed(bytes)),
            Held::Spooled(path) => {
                let mut bytes = Vec::new();
                std::fs::File::open(path).ok()?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).ok()?;
                (hash_of(&bytes) == self.hash).then_some(Cow::Owned(bytes))
            }
        }
    }

    /// Whether its bytes are still where they were put: a spooled copy
    /// someone removed is read from the channel again.
    pub(crate) fn is_held(&self) -> bool {
        match &self.bytes {
            Held::Memory(_) => true,
            Held::Spooled(path) => path.is_file(),
        }
    }
}

fn hash_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..20].to_string()
}

/// A picture checked from its `bytes`, held in memory.
pub fn probe(path: &str, bytes: Vec<u8>) -> Result<Arc<ImageData>, Box<Problem>> {
    probe_into(path, bytes, None)
}

/// A picture checked from its `bytes`, and when there is a `spool` folder
/// copied there as a file named by its hash (unless already there) and held
/// only by that name. A copy that cannot be written (a full disk) leaves the
/// picture in memory, as without a spool.
pub(crate) fn probe_into(path: &str, bytes: Vec<u8>, spool: Option<&Path>) -> Result<Arc<ImageData>, Box<Problem>> {
    let mut image = checked(path, &bytes)?;
    image.bytes = match spool.map(|dir| spool_copy(dir, &image.hash, &bytes)) {
        Some(Ok(file)) => Held::Spooled(file),
        Some(Err(e)) => {
            tracing::warn!("cannot copy picture {path} to the spool, holding it in memory: {e}");
            Held::Memory(bytes)
        }
        None => Held::Memory(bytes),
    };
    Ok(Arc::new(image))
}

/// Writes `bytes` to `dir/hash` whole or not at all ([`crate::atomic`]:
/// two sub-items may hold the same picture, each writes its own copy).
fn spool_copy(dir: &Path, hash: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let file = dir.join(hash);
    if std::fs::metadata(&file).is_ok_and(|m| m.len() == bytes.len() as u64) {
        return Ok(file);
    }
    std::fs::create_dir_all(dir)?;
    crate::atomic::write(&file, bytes, crate::atomic::SHARED).map(|_| file)
}

/// Removes from `dir` every spooled picture whose hash `keep` does not hold,
/// and pieces of copies a killed process left. Returns how many went.
pub(crate) fn sweep_spool(dir: &Path, keep: &std::collections::HashSet<&str>) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut gone = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !keep.contains(name.to_string_lossy().as_ref()) && std::fs::remove_file(entry.path()).is_ok() {
            gone += 1;
        }
    }
    gone
}

/// The picture's size, orientation and hash, when its header is sound.
fn checked(path: &str, bytes: &[u8]) -> Result<ImageData, Box<Problem>> {
    let bad = |err: String| {
        let err = err.trim();
        Box::new(
            Problem::new(
                path,
                format!("图片无法读取（{err}），已跳过"),
                format!("picture cannot be read ({err}); skipped"),
            )
            .hint(
                "用看图软件打开确认图片完好，另存为 JPEG 或 PNG 后再放入",
                "check that it opens in a picture viewer, save it as JPEG or PNG, copy it again",
            ),
        )
    };
    if truncated(bytes) {
        return Err(Box::new(
            Problem::new(
                path,
                "图片不完整（文件末尾缺失），可能还没复制完，已跳过",
                "picture is incomplete (its end is missing), perhaps still being copied; skipped",
            )
            .hint(
                "等复制完成；如果一直这样，请重新复制这张图片",
                "wait for the copy to finish, or copy the picture again",
            ),
        ));
    }
    let ((w, h), orientation) = {
        let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(e.to_string()))?;
        let mut decoder = reader.into_decoder().map_err(|e| bad(e.to_string()))?;
        (decoder.dimensions(), decoder.orientation().unwrap_or(Orientation::NoTransforms))
    };
    if w == 0 || h == 0 {
        return Err(bad("0 px".into()));
    }
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Box::new(
            Problem::new(
                path,
                format!("图片太大（{w}x{h}），超过 4000 万像素，已跳过"),
                format!("picture too large ({w}x{h}); the limit is 40 megapixels; skipped"),
            )
            .hint("把图片缩小到 1920x1080 左右再放入，电视上一样清楚", "scale it to about 1920x1080; TV shows no more"),
        ));
    }
    let (width, height) = match orientation {
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH => {
            (h, w)
        }
        _ => (w, h),
    };
    Ok(ImageData { bytes: Held::Memory(Vec::new()), width, height, orientation, hash: hash_of(bytes) })
}

/// Whether an encoded picture stops before its format's end marker — the mark
/// of a copy cut short. JPEG: an end-of-image marker after the last scan
/// (entropy-coded data escapes 0xFF, so the pair cannot occur by chance).
/// PNG: the IEND chunk. GIF: the trailer byte. Other formats: not checked.
pub(crate) fn truncated(bytes: &[u8]) -> bool {
    let find_last = |needle: &[u8]| bytes.windows(needle.len()).rposition(|w| w == needle);
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let last_scan = find_last(&[0xFF, 0xDA]).unwrap_or(0);
        return !bytes[last_scan..].windows(2).any(|w| w == [0xFF, 0xD9]);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return find_last(b"IEND").is_none();
    }
    if bytes.starts_with(b"GIF8") {
        // Trailing zero padding after the trailer is common.
        let end = bytes.iter().rposition(|&b| b != 0).unwrap_or(0);
        return bytes[end] != 0x3B;
    }
    false
}

/// File types read as pictures.
pub(crate) fn is_picture(ext: &str) -> bool {
    matches!(ext, "jpg" | "jpeg" | "png" | "gif" | "bmp" | "webp")
}
