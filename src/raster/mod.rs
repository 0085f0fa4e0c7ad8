//! Screens to pixels: draws layout's ops with the channel's fonts and encodes
//! PNG assets. The only module that touches pixels.

mod cache;
mod canvas;
mod deflate;
pub mod encode;
mod outline;
pub mod scratch;

pub use cache::{decode_picture, RasterCache};
pub use canvas::Canvas;
pub use encode::Format;

use crate::config::Profile;
use crate::layout::{Op, Rect, Screen};

/// Encoded bytes and their asset name (content hash and extension), hashed
/// once when encoded: a render reuses most pictures and must not hash them
/// again.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    pub bytes: bytes::Bytes,
    /// Shared, not copied, by the memos and every generation that shows it.
    pub name: std::sync::Arc<str>,
    pub format: Format,
}

impl Encoded {
    pub fn new(bytes: Vec<u8>, format: Format) -> Encoded {
        let name = format!("{}.{}", &blake3::hash(&bytes).to_hex()[..20], format.extension());
        Encoded { bytes: bytes.into(), name: name.into(), format }
    }
}

/// The encoded pictures of one screen.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// The whole screen with nothing focused.
    pub base: Encoded,
    /// Per state, the focused look of its element: a PNG crop the shell lays
    /// over the base at the focus rectangle (clipped to the screen).
    pub sprites: Vec<Option<(Rect, Encoded)>>,
}

impl Rendered {
    /// The asset names of the base and every sprite.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&*self.base.name).chain(self.sprites.iter().flatten().map(|(_, e)| &*e.name))
    }

    /// The same pictures without their bytes (stored elsewhere by name).
    pub fn names_only(self) -> Rendered {
        let strip = |e: Encoded| Encoded { bytes: bytes::Bytes::new(), ..e };
        Rendered {
            base: strip(self.base),
            sprites: self.sprites.into_iter().map(|s| s.map(|(r, e)| (r, strip(e)))).collect(),
        }
    }
}

/// Draws `ops` onto a fresh canvas of the given size.
pub fn draw(ops: &[Op], width: u32, height: u32, cache: &RasterCache) -> Canvas {
    let mut canvas = Canvas::new(width, height);
    for op in ops {
        canvas.apply(op, cache);
    }
    canvas
}

/// Draws a screen and the focused look of each state, softened for
/// interlaced profiles, as the pixels a viewer sees (before encoding).
pub fn pictures(screen: &Screen, profile: &Profile, cache: &RasterCache) -> (Canvas, Vec<Option<(Rect, Canvas)>>) {
    let (width, height) = (profile.width, profile.height);
    let mut base = draw(&screen.ops, width, height, cache);
    let sprites = screen
        .states
        .iter()
        .map(|state| {
            let focus = state.focus.as_ref()?;
            let rect = clip(focus.rect, width, height)?;
            // One line more above and below, so the filter sees real neighbours.
            let ext = if profile.interlaced { clip(rect.grow_y(1), width, height)? } else { rect };
            let mut focused = base.crop(ext);
            for op in &focus.ops {
                focused.apply_offset(op, cache, ext.x, ext.y);
            }
            if profile.interlaced {
                focused.soften_vertical();
                focused = focused.crop(Rect::new(0, rect.y - ext.y, rect.w, rect.h));
            }
            Some((rect, focused))
        })
        .collect();
    if profile.interlaced {
        base.soften_vertical();
    }
    (base, sprites)
}

/// Renders and encodes a screen: JPEG when it shows a photo, palette PNG
/// otherwise; focus sprites are always PNG.
pub fn render(screen: &Screen, profile: &Profile, cache: &RasterCache) -> Rendered {
    let (base, sprites) = pictures(screen, profile, cache);
    let photo = screen.ops.iter().any(|op| matches!(op, Op::Image { .. }));
    let base = if photo {
        Encoded::new(encode::jpeg(&base), Format::Jpeg)
    } else {
        Encoded::new(encode::png(&base), Format::Png)
    };
    let sprites =
        sprites.into_iter().map(|s| s.map(|(r, c)| (r, Encoded::new(encode::png(&c), Format::Png)))).collect();
    Rendered { base, sprites }
}

/// Renders an overlay sprite (softened like the screens of its profile) as PNG.
pub fn render_sprite(sprite: &crate::layout::Sprite, profile: &Profile, cache: &RasterCache) -> Vec<u8> {
    let mut canvas = draw(&sprite.ops, sprite.w.max(1) as u32, sprite.h.max(1) as u32, cache);
    if profile.interlaced {
        canvas.soften_vertical();
    }
    encode::png(&canvas)
}

fn clip(r: Rect, width: u32, height: u32) -> Option<Rect> {
    let x0 = r.x.max(0);
    let y0 = r.y.max(0);
    let x1 = r.right().min(width as i32);
    let y1 = r.bottom().min(height as i32);
    (x1 > x0 && y1 > y0).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
}
