//! Encoding canvases: palette PNG for text screens (small and crisp), JPEG
//! for screens that show photos.

use std::collections::HashMap;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;

use super::Canvas;

/// What an asset is encoded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Png,
    Jpeg,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
        }
    }

    /// The format of an asset named `{hash}.{extension}`.
    pub fn of_name(name: &str) -> Format {
        if name.ends_with(".jpg") {
            Format::Jpeg
        } else {
            Format::Png
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
        }
    }
}

/// JPEG at a quality where captions over photos stay clean.
pub fn jpeg(canvas: &Canvas) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 * 1024);
    JpegEncoder::new_with_quality(Cursor::new(&mut out), 88)
        .encode(canvas.pixels(), canvas.width(), canvas.height(), ExtendedColorType::Rgb8)
        .expect("encoding JPEG into memory cannot fail for a well-sized canvas");
    out
}

/// An 8-bit palette PNG. Screens of flat colours and anti-aliased text have
/// few colours; when they have more than 256, the 256 most frequent are kept
/// and every other colour maps to its nearest (a popularity quantiser: flat
/// areas and text stay exact, only the rarest edge shades move).
pub fn png(canvas: &Canvas) -> Vec<u8> {
    let pixels = canvas.pixels();
    let key = |p: &[u8]| u32::from_le_bytes([p[0], p[1], p[2], 0]);
    // Runs of one colour are most of a screen: count a run with one lookup.
    let mut counts: HashMap<u32, u32, Fast> = HashMap::with_hasher(Fast);
    let mut run = (u32::MAX, 0u32);
    for p in pixels.chunks_exact(3) {
        let k = key(p);
        if k == run.0 {
            run.1 += 1;
            continue;
        }
        if run.1 > 0 {
            *counts.entry(run.0).or_insert(0) += run.1;
        }
        run = (k, 1);
    }
    *counts.entry(run.0).or_insert(0) += run.1;
    let mut colours: Vec<(u32, u32)> = counts.into_iter().collect();
    colours.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let palette: Vec<[u8; 3]> = colours.iter().take(256).map(|c| rgb(c.0)).collect();
    let mut index: HashMap<u32, u8, Fast> = HashMap::with_hasher(Fast);
    for (i, c) in colours.iter().take(256).enumerate() {
        index.insert(c.0, i as u8);
    }
    for (c, _) in colours.iter().skip(256) {
        index.insert(*c, nearest(&palette, rgb(*c)));
    }
    let mut indices = Vec::with_capacity(pixels.len() / 3);
    let mut last = (u32::MAX, 0u8);
    for p in pixels.chunks_exact(3) {
        let k = key(p);
        if k != last.0 {
            last = (k, index[&k]);
        }
        indices.push(last.1);
    }

    let mut out = Vec::with_capacity(48 * 1024);
    let mut encoder = png::Encoder::new(Cursor::new(&mut out), canvas.width(), canvas.height());
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette.concat());
    encoder.set_compression(png::Compression::Balanced);
    // Palette indices are not a signal to predict: unfiltered rows deflate best.
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder.write_header().expect("PNG header into memory");
    writer.write_image_data(&indices).expect("PNG data into memory");
    writer.finish().expect("PNG end into memory");
    out
}

fn rgb(k: u32) -> [u8; 3] {
    let b = k.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// A multiplicative hasher for packed colours: the keys are not attacker
/// controlled and SipHash would dominate the encoder's time.
#[derive(Clone, Copy, Default)]
struct Fast;

impl std::hash::BuildHasher for Fast {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

fn nearest(palette: &[[u8; 3]], c: [u8; 3]) -> u8 {
    let dist = |p: &[u8; 3]| {
        let d = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        // Weighted toward green, as the eye is.
        2 * d(p[0], c[0]) + 4 * d(p[1], c[1]) + 3 * d(p[2], c[2])
    };
    palette.iter().enumerate().min_by_key(|(_, p)| dist(p)).map_or(0, |(i, _)| i as u8)
}
