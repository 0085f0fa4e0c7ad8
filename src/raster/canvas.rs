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

impl Canvas {
    pub fn new(width: u32, height: u32) -> Canvas {
        Canvas { width, height, pixels: vec![0; width as usize * height as usize * 3] }
    }

    /// A canvas over RGB pixels, row by row; `None` when the sizes disagree.
    pub fn from_rgb(width: u32, height: u32, pixels: Vec<u8>) -> Option<Canvas> {
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

    /// The colour at (x, y).
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Rgb(self.pixels[i], self.pixels[i + 1], self.pixels[i + 2])
    }

    /// A copy of the pixels inside `r`, which must lie within the canvas.
    pub fn crop(&self, r: Rect) -> Canvas {
        let mut out = Canvas::new(r.w as u32, r.h as u32);
        let row = r.w as usize * 3;
        for y in 0..r.h as usize {
            let src = ((r.y as usize + y) * self.width as usize + r.x as usize) * 3;
            out.pixels[y * row..(y + 1) * row].copy_from_slice(&self.pixels[src..src + row]);
        }
        out
    }

    pub fn apply(&mut self, op: &Op, cache: &RasterCache) {
        self.apply_offset(op, cache, 0, 0);
    }

    /// Draws `op` as if this canvas's top-left were at (ox, oy) of the screen.
    pub fn apply_offset(&mut self, op: &Op, cache: &RasterCache, ox: i32, oy: i32) {
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
    pub fn soften_vertical(&mut self) {
        let (w, h) = (self.width as usize * 3, self.height as usize);
        if h < 3 {
            return;
        }
        let src = self.pixels.clone();
        for y in 0..h {
            let up = y.saturating_sub(1) * w;
            let here = y * w;
            let down = (y + 1).min(h - 1) * w;
            for x in 0..w {
                let v = src[up + x] as u32 + 2 * src[here + x] as u32 + src[down + x] as u32;
                self.pixels[here + x] = ((v + 2) / 4) as u8;
            }
        }
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
            let px = [c.0, c.1, c.2];
            for y in y0..y1 {
                let start = (y as usize * self.width as usize + x0 as usize) * 3;
                let end = start + (x1 - x0) as usize * 3;
                for chunk in self.pixels[start..end].chunks_exact_mut(3) {
                    chunk.copy_from_slice(&px);
                }
            }
            return;
        }
        let inner = ring.map(|w| (Rect::new(r.x + w, r.y + w, r.w - 2 * w, r.h - 2 * w), (radius - w as f32).max(0.0)));
        for y in y0..y1 {
            for x in x0..x1 {
                let mut cov = coverage(r, radius, x, y);
                if let Some((ir, irad)) = inner {
                    cov *= 1.0 - coverage(ir, irad, x, y);
                }
                self.blend(x, y, c, (cov * 255.0).round() as u32);
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
            for row in 0..glyph.height {
                for col in 0..glyph.width {
                    let a = glyph.coverage[row * glyph.width + col];
                    self.blend(gx + col as i32, gy + row as i32, run.color, a as u32);
                }
            }
            pen += fonts.advance(ch, run.size, run.weight) + run.spacing;
        }
    }
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
