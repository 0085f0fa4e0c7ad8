//! Screens to pixels: draws layout's ops with the channel's fonts and encodes
//! PNG assets. The only module that touches pixels.

mod canvas;
mod glyphs;

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

pub use canvas::Canvas;
pub use glyphs::GlyphCache;

use crate::layout::{Op, Rect, Screen};

/// The encoded pictures of one screen.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The whole screen with nothing focused.
    pub base: Vec<u8>,
    /// Per state, the focused look of its element: a crop the shell lays over
    /// the base at the focus rectangle (clipped to the screen).
    pub sprites: Vec<Option<(Rect, Vec<u8>)>>,
}

/// Draws `ops` onto a fresh canvas of the profile's size.
pub fn draw(ops: &[Op], width: u32, height: u32, cache: &GlyphCache) -> Canvas {
    let mut canvas = Canvas::new(width, height);
    for op in ops {
        canvas.apply(op, cache);
    }
    canvas
}

/// Renders and encodes a screen and the focused look of each of its states.
pub fn render(screen: &Screen, width: u32, height: u32, cache: &GlyphCache) -> Rendered {
    let base = draw(&screen.ops, width, height, cache);
    let sprites = screen
        .states
        .iter()
        .map(|state| {
            let focus = state.focus.as_ref()?;
            let rect = clip(focus.rect, width, height)?;
            let mut focused = base.crop(rect);
            for op in &focus.ops {
                focused.apply_offset(op, cache, rect.x, rect.y);
            }
            Some((rect, encode_png(&focused)))
        })
        .collect();
    Rendered {
        base: encode_png(&base),
        sprites,
    }
}

fn clip(r: Rect, width: u32, height: u32) -> Option<Rect> {
    let x0 = r.x.max(0);
    let y0 = r.y.max(0);
    let x1 = r.right().min(width as i32);
    let y1 = r.bottom().min(height as i32);
    (x1 > x0 && y1 > y0).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
}

/// PNG with fast deflate: screens are flat colours and text, which compress
/// well even at low effort, and render time matters more than a few KB.
pub fn encode_png(canvas: &Canvas) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    let encoder = PngEncoder::new_with_quality(
        Cursor::new(&mut out),
        CompressionType::Fast,
        FilterType::Sub,
    );
    encoder
        .write_image(
            canvas.pixels(),
            canvas.width(),
            canvas.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("encoding PNG into memory cannot fail for a well-sized canvas");
    out
}
