//! An RGB canvas and the drawing of layout ops onto it.

use crate::config::Rgb;
use crate::layout::{Op, Rect, TextRun};

use super::RasterCache;

/// 8-bit RGB pixels, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Drop for Canvas {
    fn drop(&mut self) {
        super::scratch::give(std::mem::take(&mut self.pixels));
    }
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Canvas {
        Canvas { width, height, pixels: super::scratch::zeroed(width as usize * height as usize * 3) }
    }

    /// A canvas over RGB pixels, row by row; `None` when the sizes disagree.
    pub(crate) fn from_rgb(width: u32, height: u32, pixels: Vec<u8>) -> Option<Canvas> {
        (pixels.len() == width as usize * height as usize * 3).then_some(Canvas { width, height, pixels })
    }

    /// Copies `other` onto this canvas with its top-left at (x, y), clipped.
    pub fn paste(&mut self, other: &Canvas, x: i32, y: i32) {
        for row in 0..other.height as i32 {
            let ty = y + row;
            if ty < 0 || ty >= self.height as i32 {
                continue;
            }
            let x0 = x.max(0);
            let x1 = (x + other.width as i32).min(self.width as i32);
            if x1 <= x0 {
                return;
            }
            let src = (row as usize * other.width as usize + (x0 - x) as usize) * 3;
            let dst = (ty as usize * self.width as usize + x0 as usize) * 3;
            let n = (x1 - x0) as usize * 3;
            self.pixels[dst..dst + n].copy_from_slice(&other.pixels[src..src + n]);
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    pub fn pixels_mut(&mut self) -> &mut [u8] {
        &mut self.pixels
    }

    /// A copy of the pixels inside `r`, which must lie within the canvas.
    pub(crate) fn crop(&self, r: Rect) -> Canvas {
        let mut out = Canvas::new(r.w as u32, r.h as u32);
        let row = r.w as usize * 3;
        for y in 0..r.h as usize {
            let src = ((r.y as usize + y) * self.width as usize + r.x as usize) * 3;
            out.pixels[y * row..(y + 1) * row].copy_from_slice(&self.pixels[src..src + row]);
        }
        out
    }

    pub(crate) fn apply(&mut self, op: &Op, cache: &RasterCache) {
        self.apply_offset(op, cache, 0, 0);
    }

    /// Draws `op` as if this canvas's top-left were at (ox, oy) of the screen.
    pub(crate) fn apply_offset(&mut self, op: &Op, cache: &RasterCache, ox: i32, oy: i32) {
        match op {
            Op::Fill { rect, color, radius } => {
                let r = Rect::new(rect.x - ox, rect.y - oy, rect.w, rect.h);
                self.rounded(r, *radius, *color, None);
            }
            Op::Frame { rect, color, width, radius } => {
                let r = Rect::new(rect.x - ox, rect.y - oy, rect.w, rect.h);
                self.rounded(r, *radius, *color, Some(*width));
            }
            Op::Text(run) => self.text(run, cache, ox, oy),
            Op::Image { rect, image } => {
                let r = Rect::new(rect.x - ox, rect.y - oy, rect.w, rect.h);
                if r.w <= 0 || r.h <= 0 {
                    return;
                }
                match cache.picture(image, r.w as u32, r.h as u32) {
                    Some(pic) => self.blit(&pic, r.x, r.y),
                    // A picture that passed its header check but cannot be decoded.
                    None => self.rounded(r, 0, Rgb(64, 64, 72), None),
                }
            }
        }
    }

    fn blit(&mut self, pic: &image::RgbImage, x: i32, y: i32) {
        for (py, row) in pic.rows().enumerate() {
            let ty = y + py as i32;
            if ty < 0 || ty >= self.height as i32 {
                continue;
            }
            for (px, p) in row.enumerate() {
                let tx = x + px as i32;
                if tx >= 0 && tx < self.width as i32 {
                    let i = (ty as usize * self.width as usize + tx as usize) * 3;
                    self.pixels[i..i + 3].copy_from_slice(&p.0);
                }
            }
        }
    }

    /// Vertical [1 2 1]/4 filter: a detail one line tall lives in one field of
    /// an interlaced picture and flickers at 25 Hz; spread over three lines it
    /// does not.
    pub(crate) fn soften_vertical(&mut self) {
        let (w, h) = (self.width as usize * 3, self.height as usize);
        if h < 3 {
            return;
        }
        let mut src = super::scratch::take(self.pixels.len());
        src.extend_from_slice(&self.pixels);
        for y in 0..h {
            let up = y.saturating_sub(1) * w;
            let here = y * w;
            let down = (y + 1).min(h - 1) * w;
            for x in 0..w {
                let v = src[up + x] as u32 + 2 * src[here + x] as u32 + src[down + x] as u32;
                self.pixels[here + x] = ((v + 2) / 4) as u8;
            }
        }
        super::scratch::give(src);
    }

    fn blend(&mut self, x: i32, y: i32, c: Rgb, alpha: u32) {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 || alpha == 0 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        let p = &mut self.pixels[i..i + 3];
        if alpha >= 255 {
            p.copy_from_slice(&[c.0, c.1, c.2]);
            return;
        }
        let mix = |dst: u8, src: u8| ((src as u32 * alpha + dst as u32 * (255 - alpha) + 127) / 255) as u8;
        p[0] = mix(p[0], c.0);
        p[1] = mix(p[1], c.1);
        p[2] = mix(p[2], c.2);
    }

    /// A rounded rectangle, anti-aliased at the corners; a ring of `ring`
    /// pixels when given.
    fn rounded(&mut self, r: Rect, radius: i32, c: Rgb, ring: Option<i32>) {
        let radius = radius.clamp(0, r.w.min(r.h) / 2) as f32;
        let x0 = r.x.max(0);
        let y0 = r.y.max(0);
        let x1 = r.right().min(self.width as i32);
        let y1 = r.bottom().min(self.height as i32);
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        if radius == 0.0 && ring.is_none() {
            // Square fills are most of every screen: write whole rows.
            for y in y0..y1 {
                let start = (y as usize * self.width as usize + x0 as usize) * 3;
                let end = start + (x1 - x0) as usize * 3;
                fill(&mut self.pixels[start..end], c);
            }
            return;
        }
        let inner = ring.map(|w| (Rect::new(r.x + w, r.y + w, r.w - 2 * w, r.h - 2 * w), (radius - w as f32).max(0.0)));
        // Only the four corner squares (radius x radius) are partly covered:
        // elsewhere a pixel is wholly in (or, for a ring, wholly inside the
        // hole), so whole runs are written and coverage is worked out for
        // the corners alone.
        let k = radius as i32;
        let exact = |canvas: &mut Canvas, x: i32, y: i32| {
            let mut cov = coverage(r, radius, x, y);
            if let Some((ir, irad)) = inner {
                cov *= 1.0 - coverage(ir, irad, x, y);
            }
            canvas.blend(x, y, c, (cov * 255.0).round() as u32);
        };
        let solid = |canvas: &mut Canvas, y: i32, xa: i32, xb: i32| {
            let hole = inner.map(|(ir, _)| ir).filter(|ir| y >= ir.y && y < ir.bottom() && ir.w > 0);
            let spans = match hole {
                Some(ir) => [(xa, xb.min(ir.x)), (xa.max(ir.right()), xb)],
                None => [(xa, xb), (0, 0)],
            };
            for (a, b) in spans {
                if b > a {
                    let start = (y as usize * canvas.width as usize + a as usize) * 3;
                    let end = start + (b - a) as usize * 3;
                    fill(&mut canvas.pixels[start..end], c);
                }
            }
        };
        for y in y0..y1 {
            if y < r.y + k || y >= r.bottom() - k {
                let (left, right) =
                    ((r.x + k).clamp(x0, x1), (r.right() - k).clamp(x0, x1).max((r.x + k).clamp(x0, x1)));
                for x in x0..left {
                    exact(self, x, y);
                }
                solid(self, y, left, right);
                for x in right..x1 {
                    exact(self, x, y);
                }
            } else {
                solid(self, y, x0, x1);
            }
        }
    }

    fn text(&mut self, run: &TextRun, cache: &RasterCache, ox: i32, oy: i32) {
        let fonts = cache.fonts();
        let baseline = (run.y + fonts.baseline(run.size, run.h)).round() as i32 - oy;
        let mut pen = run.x - ox as f32;
        for ch in run.text.chars() {
            let glyph = cache.get(ch, run.size, run.weight);
            let gx = pen.round() as i32 + glyph.xmin;
            let gy = baseline - glyph.top;
            // Clipped to the canvas once per glyph, then blended in place.
            let (c0, c1) = ((-gx).max(0) as usize, (self.width as i32 - gx).clamp(0, glyph.width as i32) as usize);
            let (r0, r1) = ((-gy).max(0) as usize, (self.height as i32 - gy).clamp(0, glyph.height as i32) as usize);
            let c = [run.color.0 as u32, run.color.1 as u32, run.color.2 as u32];
            for row in (r0..r1).filter(|_| c1 > c0) {
                let cov = &glyph.coverage[row * glyph.width + c0..row * glyph.width + c1];
                let start = ((gy + row as i32) as usize * self.width as usize + (gx + c0 as i32) as usize) * 3;
                let dst = &mut self.pixels[start..start + cov.len() * 3];
                for (&a, p) in cov.iter().zip(dst.chunks_exact_mut(3)) {
                    match a {
                        0 => {}
                        255 => p.copy_from_slice(&[run.color.0, run.color.1, run.color.2]),
                        a => {
                            let a = a as u32;
                            for (d, s) in p.iter_mut().zip(c) {
                                *d = ((s * a + *d as u32 * (255 - a) + 127) / 255) as u8;
                            }
                        }
                    }
                }
            }
            pen += fonts.advance(ch, run.size, run.weight) + run.spacing;
        }
    }
}

/// Fills `dst` (whole pixels) with `c`, sixteen pixels a copy.
fn fill(dst: &mut [u8], c: Rgb) {
    let mut pattern = [0u8; 48];
    for px in pattern.chunks_exact_mut(3) {
        px.copy_from_slice(&[c.0, c.1, c.2]);
    }
    let mut chunks = dst.chunks_exact_mut(48);
    for chunk in &mut chunks {
        chunk.copy_from_slice(&pattern);
    }
    let rest = chunks.into_remainder();
    let n = rest.len();
    rest.copy_from_slice(&pattern[..n]);
}

/// How much of pixel (x, y) a rounded rectangle covers, 0..=1.
fn coverage(r: Rect, radius: f32, x: i32, y: i32) -> f32 {
    if x < r.x || y < r.y || x >= r.right() || y >= r.bottom() {
        return 0.0;
    }
    if radius <= 0.0 {
        return 1.0;
    }
    // Distance from the pixel centre into the nearest corner circle.
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    let cx = px.clamp(r.x as f32 + radius, r.right() as f32 - radius);
    let cy = py.clamp(r.y as f32 + radius, r.bottom() as f32 - radius);
    let d = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
    (radius - d + 0.5).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::{Fonts, Weight};
    use std::sync::Arc;

    /// The drawing as first written, a pixel at a time through `blend`:
    /// the reference the run-at-a-time code must match exactly.
    fn reference(canvas: &mut Canvas, op: &Op, cache: &RasterCache) {
        match op {
            Op::Fill { rect, color, radius } => reference_rounded(canvas, *rect, *radius, *color, None),
            Op::Frame { rect, color, width, radius } => reference_rounded(canvas, *rect, *radius, *color, Some(*width)),
            Op::Text(run) => {
                let fonts = cache.fonts();
                let baseline = (run.y + fonts.baseline(run.size, run.h)).round() as i32;
                let mut pen = run.x;
                for ch in run.text.chars() {
                    let glyph = cache.get(ch, run.size, run.weight);
                    let (gx, gy) = (pen.round() as i32 + glyph.xmin, baseline - glyph.top);
                    for row in 0..glyph.height {
                        for col in 0..glyph.width {
                            let a = glyph.coverage[row * glyph.width + col] as u32;
                            canvas.blend(gx + col as i32, gy + row as i32, run.color, a);
                        }
                    }
                    pen += fonts.advance(ch, run.size, run.weight) + run.spacing;
                }
            }
            Op::Image { .. } => unreachable!(),
        }
    }

    fn reference_rounded(canvas: &mut Canvas, r: Rect, radius: i32, c: Rgb, ring: Option<i32>) {
        let radius = radius.clamp(0, r.w.min(r.h) / 2) as f32;
        let inner = ring.map(|w| (Rect::new(r.x + w, r.y + w, r.w - 2 * w, r.h - 2 * w), (radius - w as f32).max(0.0)));
        for y in r.y.max(0)..r.bottom().min(canvas.height as i32) {
            for x in r.x.max(0)..r.right().min(canvas.width as i32) {
                let mut cov = coverage(r, radius, x, y);
                if let Some((ir, irad)) = inner {
                    cov *= 1.0 - coverage(ir, irad, x, y);
                }
                canvas.blend(x, y, c, (cov * 255.0).round() as u32);
            }
        }
    }

    #[test]
    fn runs_draw_exactly_what_pixel_by_pixel_drawing_did_even_across_every_edge() {
        let fonts = Arc::new(Fonts::load(&std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fonts")).unwrap());
        let cache = RasterCache::new(fonts);
        let (w, h) = (90, 60);
        let text = |x: f32, y: f32| {
            Op::Text(TextRun {
                x,
                y,
                w: 200.0,
                h: 30.0,
                size: 26.0,
                weight: Weight::Regular,
                color: Rgb(250, 240, 20),
                spacing: 1.5,
                text: "万源市Wy，要闻".to_string(),
                body: false,
            })
        };
        let mut ops = Vec::new();
        // Inside, then straddling each edge, then wholly outside.
        for (x, y) in [(10, 10), (-25, 15), (70, 20), (20, -20), (30, 45), (-60, -60), (200, 20), (20, 200)] {
            ops.push(Op::Fill { rect: Rect::new(x, y, 50, 30), color: Rgb(30, 90, 160), radius: 9 });
            ops.push(Op::Frame {
                rect: Rect::new(x + 3, y - 2, 40, 36),
                color: Rgb(255, 200, 0),
                width: 4,
                radius: 12,
            });
            ops.push(Op::Frame { rect: Rect::new(x, y, 30, 20), color: Rgb(200, 0, 0), width: 6, radius: 3 });
            ops.push(Op::Fill { rect: Rect::new(x, y, 7, 5), color: Rgb(1, 2, 3), radius: 0 });
            ops.push(text(x as f32, y as f32));
        }
        let (mut fast, mut slow) = (Canvas::new(w, h), Canvas::new(w, h));
        for (i, op) in ops.iter().enumerate() {
            fast.apply(op, &cache);
            reference(&mut slow, op, &cache);
            assert!(fast == slow, "op {i} ({op:?}) drew differently");
        }
        assert!(fast.pixels().contains(&250), "text was drawn");
    }
}
