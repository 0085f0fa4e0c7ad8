//! Caches shared by every screen of a render: rasterised glyphs and decoded,
//! scaled pictures.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use image::imageops::FilterType;
use image::{DynamicImage, ImageReader, RgbImage};

use crate::content::ImageData;
use crate::fonts::{Fonts, Weight};
use crate::sync::Locked;

/// One glyph's coverage bitmap and where it sits relative to the pen.
#[derive(Debug)]
pub struct Glyph {
    pub xmin: i32,
    /// Distance from the baseline up to the bitmap's top row.
    pub top: i32,
    pub width: usize,
    pub height: usize,
    pub coverage: Vec<u8>,
}

/// A picture's content hash and the size it is shown at.
type PictureKey = (String, u32, u32);

/// Glyphs by (weight, character, size) and pictures by (hash, width, height).
/// A channel uses a few thousand glyphs, each drawn on many screens, so
/// rasterising each once dominates cold renders; a picture is decoded once
/// per size however many screens show it.
pub struct RasterCache {
    fonts: Arc<Fonts>,
    // std Mutexes: held only for a map lookup or insert, never across work.
    glyphs: Mutex<HashMap<(Weight, char, u32), Arc<Glyph>>>,
    pictures: Mutex<HashMap<PictureKey, Option<Arc<RgbImage>>>>,
}

impl RasterCache {
    pub fn new(fonts: Arc<Fonts>) -> RasterCache {
        RasterCache { fonts, glyphs: Mutex::new(HashMap::new()), pictures: Mutex::new(HashMap::new()) }
    }

    /// The picture decoded, turned upright by its EXIF orientation and scaled
    /// to `w` x `h` with a Catmull-Rom filter; `None` when it cannot be decoded.
    pub fn picture(&self, image: &ImageData, w: u32, h: u32) -> Option<Arc<RgbImage>> {
        let key = (image.hash.clone(), w, h);
        if let Some(p) = self.pictures.locked().get(&key) {
            return p.clone();
        }
        let Some(bytes) = image.bytes() else {
            // Changed since it was loaded: not remembered, so the render
            // that loads the new picture draws it.
            tracing::warn!("picture {} changed on disk while it was being drawn", image.hash);
            return None;
        };
        let decoded = decode(&bytes, image.orientation).map(|img| {
            let mut rgb = img.into_rgb8();
            if (rgb.width(), rgb.height()) != (w, h) {
                // Halved (2x2 averages) while still at least twice the size
                // wanted, then Catmull-Rom for the last step: as sharp, and
                // a 1600x1200 photo to a 541x406 slot went from ~40 ms of
                // filtering at full size to a few.
                while rgb.width() >= 2 * w && rgb.height() >= 2 * h {
                    rgb = halve(&rgb);
                }
                rgb = image::imageops::resize(&rgb, w, h, FilterType::CatmullRom);
            }
            Arc::new(rgb)
        });
        if decoded.is_none() {
            tracing::warn!("picture {} could not be decoded", image.hash);
        }
        self.pictures.locked().insert(key, decoded.clone());
        decoded
    }

    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// The glyph for `ch` at `size` px, rasterised on first use.
    pub fn get(&self, ch: char, size: f32, weight: Weight) -> Arc<Glyph> {
        let key = (weight, ch, size.to_bits());
        if let Some(g) = self.glyphs.locked().get(&key) {
            return g.clone();
        }
        let c = self.fonts.with_glyph(ch, weight, |face, id| super::outline::rasterize(face, id, size));
        let glyph = Arc::new(Glyph {
            xmin: c.xmin,
            top: c.height as i32 + c.ymin,
            width: c.width,
            height: c.height,
            coverage: c.alpha,
        });
        self.glyphs.locked().insert(key, glyph.clone());
        glyph
    }

    /// Forgets decoded pictures. A full-screen photo decoded and scaled is
    /// megabytes; between renders the memo holds what they became, so the
    /// rare re-render of a photo screen decodes it again instead.
    pub(crate) fn forget_pictures(&self) {
        let mut pictures = self.pictures.locked();
        *pictures = HashMap::new();
    }

    /// How many glyphs are cached.
    pub fn len(&self) -> usize {
        self.glyphs.locked().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Decodes a picture the loader accepted, upright, within memory bounds;
/// `None` when it cannot be decoded.
/// Half the size, each pixel the average of four (an odd last row or column
/// is dropped).
fn halve(src: &RgbImage) -> RgbImage {
    let (w, h) = (src.width() / 2, src.height() / 2);
    let (sw, px) = (src.width() as usize * 3, src.as_raw());
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h as usize {
        let (top, bottom) = (&px[2 * y * sw..(2 * y + 1) * sw], &px[(2 * y + 1) * sw..(2 * y + 2) * sw]);
        for x in 0..w as usize {
            for c in 0..3 {
                let i = 6 * x + c;
                let sum = top[i] as u16 + top[i + 3] as u16 + bottom[i] as u16 + bottom[i + 3] as u16;
                out.push(((sum + 2) / 4) as u8);
            }
        }
    }
    RgbImage::from_raw(w, h, out).expect("sized to fit")
}

/// The picture decoded and turned upright (the fuzzer's way in; the cache
/// reads the bytes itself to tell a spooled copy gone missing).
pub fn decode_picture(image: &ImageData) -> Option<DynamicImage> {
    decode(&image.bytes()?, image.orientation)
}

fn decode(bytes: &[u8], orientation: image::metadata::Orientation) -> Option<DynamicImage> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    // The loader refused bombs by their header; this bounds the decoder too.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(crate::content::photo::MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let decoder = reader.into_decoder().ok()?;
    let mut img = DynamicImage::from_decoder(decoder).ok()?;
    img.apply_orientation(orientation);
    Some(img)
}
