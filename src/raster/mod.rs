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

/// An encoded picture's asset name (content hash and extension), hashed
/// once when encoded: a render reuses most pictures and must not hash them
/// again. The bytes go to the blobs as they are made; memos and generations
/// keep names (a county's memo holds 100,000 of them).
#[derive(Debug, Clone, Default)]
pub struct Named {
    pub name: Name,
    pub format: Format,
}

/// A picture's name, `{hash}.{ext}`: 24 bytes, held inline. Names are made
/// by the render's workers among their scratch, and those that live on (in
/// the memo, in the generation) must not be blocks of their own there (see
/// `memory`).
pub type Name = compact_str::CompactString;

impl Named {
    /// The name of `bytes` encoded as `format`.
    pub fn of(bytes: &[u8], format: Format) -> Named {
        let hash = blake3::hash(bytes).to_hex();
        let mut name = Name::with_capacity(0);
        name.push_str(&hash[..20]);
        name.push('.');
        name.push_str(format.extension());
        Named { name, format }
    }
}

/// The pictures of one screen, by name.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// The whole screen with nothing focused.
    pub base: Named,
    /// Per state, the focused look of its element: a PNG crop the shell lays
    /// over the base at the focus rectangle (clipped to the screen).
    pub sprites: Vec<Option<(Rect, Named)>>,
}

impl Rendered {
    /// The asset names of the base and every sprite.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&*self.base.name).chain(self.sprites.iter().flatten().map(|(_, e)| &*e.name))
    }
}

/// A screen's pictures as [`render`] encodes them.
pub struct Encoded {
    pub rendered: Rendered,
    /// The bytes of each picture, in the order of [`Rendered::names`].
    pub bytes: Vec<Vec<u8>>,
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
pub fn render(screen: &Screen, profile: &Profile, cache: &RasterCache) -> Encoded {
    let (base, sprites) = pictures(screen, profile, cache);
    let photo = screen.ops.iter().any(|op| matches!(op, Op::Image { .. }));
    let base = encode_base(&base, photo);
    let sprites = sprites.into_iter().map(|s| s.map(|(r, c)| (r, encode::png(&c)))).collect();
    encoded(base, sprites)
}

/// [`render`] for one screen someone is waiting for: its focus sprites are
/// encoded on a second thread while this one encodes the base picture.
/// The same bytes, in about two thirds of the time on two cores.
pub(crate) fn render_now(screen: &Screen, profile: &Profile, cache: &RasterCache) -> Encoded {
    let (base, sprites) = pictures(screen, profile, cache);
    let photo = screen.ops.iter().any(|op| matches!(op, Op::Image { .. }));
    let (base, sprites) = std::thread::scope(|scope| {
        let sprites = scope.spawn(|| sprites.iter().map(|s| s.as_ref().map(|(r, c)| (*r, encode::png(c)))).collect());
        let base = encode_base(&base, photo);
        (base, sprites.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    encoded(base, sprites)
}

fn encode_base(base: &Canvas, photo: bool) -> (Vec<u8>, Format) {
    if photo {
        (encode::jpeg(base), Format::Jpeg)
    } else {
        (encode::png(base), Format::Png)
    }
}

fn encoded((base, format): (Vec<u8>, Format), sprites: Vec<Option<(Rect, Vec<u8>)>>) -> Encoded {
    let mut rendered = Rendered { base: Named::of(&base, format), sprites: Vec::with_capacity(sprites.len()) };
    let mut bytes = vec![base];
    for sprite in sprites {
        rendered.sprites.push(sprite.map(|(r, png)| {
            let named = Named::of(&png, Format::Png);
            bytes.push(png);
            (r, named)
        }));
    }
    Encoded { rendered, bytes }
}

/// Renders an overlay sprite (softened like the screens of its profile) as PNG.
pub(crate) fn render_sprite(sprite: &crate::layout::Sprite, profile: &Profile, cache: &RasterCache) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_is_named_by_its_bytes_inline() {
        for (format, ext) in [(Format::Png, "png"), (Format::Jpeg, "jpg")] {
            let named = Named::of(b"some picture", format);
            let hash = blake3::hash(b"some picture").to_hex();
            assert_eq!(named.name, format!("{}.{ext}", &hash[..20]));
            assert!(!named.name.is_heap_allocated(), "{} is on the heap", named.name);
            assert_ne!(Named::of(b"another", format).name, named.name);
        }
    }
}
