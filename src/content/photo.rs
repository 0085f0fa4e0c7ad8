//! Pictures: read as bytes with their size and EXIF orientation; decoding to
//! pixels is raster's job.

use std::io::Cursor;
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
    pub bytes: Vec<u8>,
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

/// Reads a picture's header; a problem when it is not a picture infotv can show.
pub fn probe(path: &str, bytes: Vec<u8>) -> Result<Arc<ImageData>, Problem> {
    let bad = |err: String| {
        Problem::new(
            path,
            format!("图片无法读取（{err}），已跳过；支持 JPEG、PNG、GIF、BMP、WebP"),
            format!("picture cannot be read ({err}); skipped (JPEG, PNG, GIF, BMP, WebP are shown)"),
        )
    };
    let ((w, h), orientation) = {
        let reader = ImageReader::new(Cursor::new(&bytes)).with_guessed_format().map_err(|e| bad(e.to_string()))?;
        let mut decoder = reader.into_decoder().map_err(|e| bad(e.to_string()))?;
        (decoder.dimensions(), decoder.orientation().unwrap_or(Orientation::NoTransforms))
    };
    if w == 0 || h == 0 {
        return Err(bad("0 px".into()));
    }
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(Problem::new(
            path,
            format!("图片太大（{w}x{h}），最大 4000 万像素，请缩小后再放入"),
            format!("picture too large ({w}x{h}); the limit is 40 megapixels"),
        ));
    }
    let (width, height) = match orientation {
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH => {
            (h, w)
        }
        _ => (w, h),
    };
    let hash = blake3::hash(&bytes).to_hex()[..20].to_string();
    Ok(Arc::new(ImageData { bytes, width, height, orientation, hash }))
}

/// File types read as pictures.
pub fn is_picture(ext: &str) -> bool {
    matches!(ext, "jpg" | "jpeg" | "png" | "gif" | "bmp" | "webp")
}
