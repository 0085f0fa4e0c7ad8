//! Encoding canvases: palette PNG for text screens (small and crisp), JPEG
//! for screens that show photos.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use super::{deflate, scratch, Canvas};

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
    pub(crate) fn of_name(name: &str) -> Format {
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

/// Baseline JPEG at a quality where captions over photos stay clean, colour
/// at full resolution (4:4:4) so red and blue text keeps its edges.
///
/// jpeg-encoder rather than image's encoder: the same tables and sampling,
/// its transform and colour conversion in AVX2 where the processor has it —
/// image's took a third of the time of a photo screen.
pub fn jpeg(canvas: &Canvas) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 * 1024);
    let mut encoder = Encoder::new(&mut out, 88);
    encoder.set_sampling_factor(SamplingFactor::F_1_1);
    let (w, h) = (canvas.width(), canvas.height());
    let side = |n: u32| u16::try_from(n).expect("screens are far smaller than JPEG's 65,535 pixels a side");
    encoder
        .encode(canvas.pixels(), side(w), side(h), ColorType::Rgb)
        .expect("encoding JPEG into memory cannot fail for a well-sized canvas");
    out
}

/// An 8-bit palette PNG. Screens of flat colours and anti-aliased text have
/// few colours; when they have more than 256, the 256 most frequent are kept
/// and every other colour maps to its nearest (a popularity quantiser: flat
/// areas and text stay exact, only the rarest edge shades move).
///
/// The rows are unfiltered (palette indices are not a signal to predict)
/// and go to the zlib stream as the runs the quantiser found, without being
/// written out as bytes first (see `raster::deflate`). Measured
/// on the shipped channel's 354 base pictures, zlib-rs at level 2 took
/// 1.3–1.5 ms a picture against libdeflate's 1.9–2.2 ms at its fastest
/// level; its RLE strategy 0.69 ms against 0.85 ms at level 2 on the
/// county channel, for pictures 6 % bigger. Runs coded directly cost less
/// than either.
pub fn png(canvas: &Canvas) -> Vec<u8> {
    let mut stream = deflate::Stream::new();
    let palette = quantise(canvas, |value, count| stream.push(value, count));
    let mut data = scratch::take(stream.len() / 8 + 1024);
    stream.finish(&mut data);

    let mut out = Vec::with_capacity(data.len() + 3 * palette.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut header = [0u8; 13];
    header[..4].copy_from_slice(&canvas.width().to_be_bytes());
    header[4..8].copy_from_slice(&canvas.height().to_be_bytes());
    // 8-bit indexed colour, deflate, adaptive filtering method, no interlace.
    header[8..].copy_from_slice(&[8, 3, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"PLTE", &palette.concat());
    chunk(&mut out, b"IDAT", &data);
    chunk(&mut out, b"IEND", &[]);
    scratch::give(data);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The palette; and the pixels as PNG rows of palette indices (each row led
/// by its filter type, 0: none), given to `rows` as runs of equal bytes
/// (value, count). One pass over the pixels: each new colour
/// gets a provisional number from an open-addressed table and is counted;
/// the numbers are then ranked by count and mapped to palette indices.
fn quantise(canvas: &Canvas, mut rows: impl FnMut(u8, usize)) -> Vec<[u8; 3]> {
    let pixels = canvas.pixels();
    let mut table = Colours::new();
    // A screen is mostly runs of one colour: find each run's end comparing
    // four pixels at a time, and number its colour once. Runs are kept as
    // little-endian u64s (length low, number high) in a scratch buffer: a
    // text screen has ~50,000 of them, and a fresh vector grown to that
    // was a third of a cold render's page faults.
    let mut runs = scratch::take(pixels.len() / 3 * 8);
    let mut at = 0;
    while at < pixels.len() {
        let p = [pixels[at], pixels[at + 1], pixels[at + 2]];
        let key = u32::from_le_bytes([p[0], p[1], p[2], 0]);
        // Four pixels of this colour as the twelve bytes they would be:
        // p0 p1 p2 p0 p1 p2 p0 p1 | p2 p0 p1 p2.
        let k = u64::from(key);
        let (head, tail) = (k | k << 24 | k << 48, key >> 16 | key << 8);
        let mut end = at + 3;
        while let Some(next) = pixels.get(end..end + 12) {
            let (a, b) = next.split_at(8);
            if u64::from_le_bytes(a.try_into().expect("8 bytes")) != head
                || u32::from_le_bytes(b.try_into().expect("4 bytes")) != tail
            {
                break;
            }
            end += 12;
        }
        while end + 3 <= pixels.len() && pixels[end..end + 3] == p {
            end += 3;
        }
        let id = table.id(key);
        let len = ((end - at) / 3) as u32;
        table.count(id, len);
        runs.extend_from_slice(&(u64::from(len) | u64::from(id) << 32).to_le_bytes());
        at = end;
    }
    let mut ranked: Vec<u32> = (0..table.colours.len() as u32).collect();
    ranked.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        table.counts[b].cmp(&table.counts[a]).then(table.colours[a].cmp(&table.colours[b]))
    });
    let palette: Vec<[u8; 3]> = ranked.iter().take(256).map(|&i| rgb(table.colours[i as usize])).collect();
    let mut remap = vec![0u8; table.colours.len()];
    let search = Nearest::of(&palette);
    for (rank, &id) in ranked.iter().enumerate() {
        remap[id as usize] = if rank < 256 { rank as u8 } else { search.nearest(rgb(table.colours[id as usize])) };
    }
    // A run that passes a row's end goes on after the next row's filter byte.
    let width = canvas.width() as usize;
    let mut left = 0; // pixels still to come in the current row
    for run in runs.chunks_exact(8) {
        let run = u64::from_le_bytes(run.try_into().expect("eight bytes"));
        let (mut len, value) = ((run & 0xFFFF_FFFF) as usize, remap[(run >> 32) as usize]);
        while len > 0 {
            if left == 0 {
                rows(0, 1); // filter type None
                left = width;
            }
            let n = len.min(left);
            rows(value, n);
            (left, len) = (left - n, len - n);
        }
    }
    scratch::give(runs);
    palette
}

/// Colours seen so far, numbered in order of first sight.
struct Colours {
    /// Open-addressed slots: colour (`EMPTY` when free) and its number.
    slots: Vec<(u32, u32)>,
    colours: Vec<u32>,
    counts: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

impl Colours {
    fn new() -> Colours {
        Colours { slots: vec![(EMPTY, 0); 1024], colours: Vec::with_capacity(512), counts: Vec::with_capacity(512) }
    }

    fn id(&mut self, colour: u32) -> u32 {
        let mask = self.slots.len() - 1;
        let mut at = (colour.wrapping_mul(0x9E37_79B1) >> 12) as usize & mask;
        loop {
            let (key, id) = self.slots[at];
            if key == colour {
                return id;
            }
            if key == EMPTY {
                break;
            }
            at = (at + 1) & mask;
        }
        let id = self.colours.len() as u32;
        self.colours.push(colour);
        self.counts.push(0);
        self.slots[at] = (colour, id);
        if self.colours.len() * 2 > self.slots.len() {
            self.grow();
        }
        id
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mut slots = vec![(EMPTY, 0); size];
        for (id, &colour) in self.colours.iter().enumerate() {
            let mut at = (colour.wrapping_mul(0x9E37_79B1) >> 12) as usize & (size - 1);
            while slots[at].0 != EMPTY {
                at = (at + 1) & (size - 1);
            }
            slots[at] = (colour, id as u32);
        }
        self.slots = slots;
    }

    fn count(&mut self, id: u32, pixels: u32) {
        self.counts[id as usize] += pixels;
    }
}

fn rgb(k: u32) -> [u8; 3] {
    let b = k.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// The palette sorted by green, the channel weighted most, for a nearest
/// search that starts at the colour's green and walks outward: once green
/// alone is farther than the best so far, nothing past it can be nearer.
/// With anti-aliased text a screen has a few thousand colours past the 256
/// kept; comparing each with all 256 was a tenth of a render.
struct Nearest {
    /// (green, red, blue, palette index), by green then index.
    by_green: Vec<(u8, u8, u8, u8)>,
}

impl Nearest {
    fn of(palette: &[[u8; 3]]) -> Nearest {
        let mut by_green: Vec<(u8, u8, u8, u8)> =
            palette.iter().enumerate().map(|(i, p)| (p[1], p[0], p[2], i as u8)).collect();
        by_green.sort_unstable_by_key(|e| (e.0, e.3));
        Nearest { by_green }
    }

    /// The same answer as [`nearest`]: the least weighted distance, the
    /// lowest palette index among equals.
    fn nearest(&self, c: [u8; 3]) -> u8 {
        let entries = &self.by_green;
        let at = entries.partition_point(|e| e.0 < c[1]);
        let (mut below, mut above) = (at, at); // entries[below..above] are done
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        let mut best = (i32::MAX, 0u8);
        loop {
            // The unvisited entry nearer in green: below or above.
            let down = below.checked_sub(1).map(|i| (i, d(entries[i].0, c[1])));
            let up = entries.get(above).map(|e| (above, d(e.0, c[1])));
            let (i, green) = match (down, up) {
                (Some(a), Some(b)) => {
                    if a.1 <= b.1 {
                        a
                    } else {
                        b
                    }
                }
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => break,
            };
            // Green only grows from here, on both sides: no nearer entry,
            // and an equal one would need red and blue both exact.
            if 4 * green > best.0 {
                break;
            }
            if i < below {
                below = i;
            } else {
                above = i + 1;
            }
            let (_, r, b, index) = entries[i];
            let dist = 2 * d(r, c[0]) + 4 * green + 3 * d(b, c[2]);
            if (dist, index) < best {
                best = (dist, index);
            }
        }
        best.1
    }
}

#[cfg(test)]
fn nearest(palette: &[[u8; 3]], c: [u8; 3]) -> u8 {
    let dist = |p: &[u8; 3]| {
        let d = |a: u8, b: u8| (a as i32 - b as i32).pow(2);
        // Weighted toward green, as the eye is.
        2 * d(p[0], c[0]) + 4 * d(p[1], c[1]) + 3 * d(p[2], c[2])
    };
    palette.iter().enumerate().min_by_key(|(_, p)| dist(p)).map_or(0, |(i, _)| i as u8)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The quantiser as first written: two passes over a hash map and a
    /// plain nearest search. The fast one must give the same palette and
    /// indices.
    fn reference(canvas: &Canvas) -> (Vec<[u8; 3]>, Vec<u8>) {
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

        (palette, indices)
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

    /// What the quantiser gives the deflater, as bytes.
    fn quantised(canvas: &Canvas) -> (Vec<[u8; 3]>, Vec<u8>) {
        let mut raw = Vec::new();
        let palette = quantise(canvas, |value, count| raw.extend(std::iter::repeat_n(value, count)));
        (palette, raw)
    }

    /// The indices of PNG rows, without their filter bytes (which must be 0).
    fn unfiltered(raw: &[u8], width: u32) -> Vec<u8> {
        let rows = raw.chunks_exact(width as usize + 1);
        assert!(rows.remainder().is_empty(), "whole rows");
        rows.flat_map(|row| {
            assert_eq!(row[0], 0, "filter type none");
            row[1..].to_vec()
        })
        .collect()
    }

    /// The next number of a xorshift sequence: repeatable noise for tests.
    fn xorshift(state: &mut u32) -> u32 {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        *state
    }

    fn screen_like(width: u32, height: u32, seed: u32) -> Canvas {
        // Flat fields, ramps and noise: more than 256 colours, runs of
        // every length.
        let mut canvas = Canvas::new(width, height);
        let mut state = seed;
        let pixels = canvas.pixels_mut();
        for (i, p) in pixels.chunks_exact_mut(3).enumerate() {
            xorshift(&mut state);
            let (x, y) = (i as u32 % width, i as u32 / width);
            let colour = match state % 7 {
                0 => [(x * 255 / width) as u8, (y * 255 / height) as u8, 200],
                1 => [(state >> 8) as u8, (state >> 16) as u8, (state >> 24) as u8],
                _ if y % 9 < 4 => [16, 40, 90],
                _ => [240, 240, 240],
            };
            p.copy_from_slice(&colour);
        }
        canvas
    }

    #[test]
    fn fast_quantiser_matches_the_reference() {
        for (w, h, seed) in [(64, 48, 1), (720, 20, 7), (33, 17, 99), (1, 1, 3)] {
            let canvas = screen_like(w, h, seed);
            let (palette, raw) = quantised(&canvas);
            assert_eq!((palette, unfiltered(&raw, w)), reference(&canvas), "{w}x{h} seed {seed}");
        }
    }

    #[test]
    fn png_decodes_to_the_quantised_screen() {
        let canvas = screen_like(200, 120, 5);
        let (palette, raw) = quantised(&canvas);
        let indices = unfiltered(&raw, 200);
        assert_eq!(palette.len(), 256, "the test screen must need the nearest search");
        let decoded = image::load_from_memory(&png(&canvas)).expect("a valid PNG").to_rgb8();
        assert_eq!(decoded.dimensions(), (200, 120));
        let expected: Vec<u8> = indices.iter().flat_map(|&i| palette[i as usize]).collect();
        assert_eq!(decoded.into_raw(), expected);
    }

    #[test]
    fn nearest_search_matches_the_full_one() {
        let mut state = 7u32;
        let mut next = || xorshift(&mut state);
        for round in 0..200 {
            // Palettes of every size, some with few distinct greens and a
            // coarse grid of values, so equal distances (ties) are common.
            let coarse = round % 2 == 0;
            let size = 1 + next() as usize % if coarse { 75 } else { 256 };
            let mut palette: Vec<[u8; 3]> = Vec::new();
            while palette.len() < size {
                let v = next();
                let p = if coarse {
                    [(v % 5 * 60) as u8, (v / 5 % 3 * 120) as u8, (v / 15 % 5 * 60) as u8]
                } else {
                    [v as u8, (v >> 8) as u8, (v >> 16) as u8]
                };
                if !palette.contains(&p) {
                    palette.push(p);
                }
            }
            let search = Nearest::of(&palette);
            for _ in 0..300 {
                let v = next();
                // Coarse colours sit on the grid, greens half-way between
                // the palette's too: ties of red and blue exact.
                let c = if coarse {
                    [(v % 5 * 60) as u8, (v / 5 % 5 * 60) as u8, (v / 25 % 5 * 60) as u8]
                } else {
                    [v as u8, (v >> 8) as u8, (v >> 16) as u8]
                };
                assert_eq!(search.nearest(c), nearest(&palette, c), "palette {palette:?} colour {c:?}");
            }
        }
    }
}
