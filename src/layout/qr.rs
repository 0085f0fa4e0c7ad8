//! QR codes drawn as plain fills, for the phone hand-off (`qr = "https://…"`):
//! what a remote cannot do, a phone held 2 metres from the TV can. Sized
//! for an SD picture on composite video: error correction level M (a
//! blurred or interlaced edge still reads), modules of at least 4 pixels,
//! and a quiet zone of 4 modules on a light field (studio white and black,
//! not the full range that blooms on composite).

use super::{Op, Rect};
use crate::config::Rgb;

/// Modules of quiet zone on each side.
pub const QUIET: i32 = 4;

/// The light and dark of the code: studio levels.
const LIGHT: Rgb = Rgb(236, 236, 236);
const DARK: Rgb = Rgb(16, 16, 16);

/// The smallest module drawn, in pixels.
pub const MIN_MODULE: i32 = 4;

/// An encoded code: `width` × `width` modules, dark or light.
#[derive(Debug, Clone)]
pub struct Qr {
    pub width: i32,
    dark: Vec<bool>,
}

impl Qr {
    /// `text` as a QR code at level M; `None` when it is too long for one.
    pub fn encode(text: &str) -> Option<Qr> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Some(Qr { width: code.width() as i32, dark })
    }

    fn is_dark(&self, x: i32, y: i32) -> bool {
        self.dark[(y * self.width + x) as usize]
    }

    /// The side of the drawn code with its quiet zone, in pixels.
    pub fn side(&self, module: i32) -> i32 {
        (self.width + 2 * QUIET) * module
    }

    /// The largest module (at least [`MIN_MODULE`]) for which the code fits
    /// in `room` pixels; `None` when even the smallest does not.
    pub(crate) fn module_for(&self, room: i32) -> Option<i32> {
        let m = room / (self.width + 2 * QUIET);
        (m >= MIN_MODULE).then_some(m)
    }

    /// The code at (`x`, `y`), top left of the quiet zone: a white field,
    /// then each row's runs of dark modules as one fill each.
    pub fn ops(&self, x: i32, y: i32, module: i32) -> Vec<Op> {
        let side = self.side(module);
        let mut ops = vec![Op::Fill { rect: Rect::new(x, y, side, side), color: LIGHT, radius: 0 }];
        let (ox, oy) = (x + QUIET * module, y + QUIET * module);
        for row in 0..self.width {
            let mut col = 0;
            while col < self.width {
                if !self.is_dark(col, row) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < self.width && self.is_dark(col, row) {
                    col += 1;
                }
                let rect = Rect::new(ox + start * module, oy + row * module, (col - start) * module, module);
                ops.push(Op::Fill { rect, color: DARK, radius: 0 });
            }
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fills drawn into a grey picture, as the rasteriser would.
    fn draw(ops: &[Op], w: u32, h: u32) -> image::GrayImage {
        let mut img = image::GrayImage::from_pixel(w, h, image::Luma([60]));
        for op in ops {
            if let Op::Fill { rect, color, .. } = op {
                for y in rect.y..rect.y + rect.h {
                    for x in rect.x..rect.x + rect.w {
                        img.put_pixel(x as u32, y as u32, image::Luma([color.0]));
                    }
                }
            }
        }
        img
    }

    #[test]
    fn a_drawn_code_decodes_to_its_address() {
        let url = "https://www.wanyuan.gov.cn/hdjl/zxts/";
        let qr = Qr::encode(url).unwrap();
        let module = qr.module_for(200).unwrap();
        assert!(module >= MIN_MODULE);
        let img = draw(&qr.ops(20, 30, module), 260, 260);
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url);
    }

    #[test]
    fn the_smallest_module_still_reads_through_a_composite_blur() {
        let url = "https://www.wanyuan.gov.cn/hdjl/zxts/?from=infotv&item=0123";
        let qr = Qr::encode(url).unwrap();
        let img = draw(&qr.ops(10, 10, MIN_MODULE), qr.side(MIN_MODULE) as u32 + 20, qr.side(MIN_MODULE) as u32 + 20);
        // A 3x3 box blur, as a composite signal softens edges, then the
        // picture at half contrast (a dim set).
        let (w, h) = img.dimensions();
        let blurred = image::GrayImage::from_fn(w, h, |x, y| {
            let mut sum = 0u32;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let (sx, sy) = ((x as i32 + dx).clamp(0, w as i32 - 1), (y as i32 + dy).clamp(0, h as i32 - 1));
                    sum += u32::from(img.get_pixel(sx as u32, sy as u32)[0]);
                }
            }
            image::Luma([(64 + sum / 9 / 2) as u8])
        });
        let mut prepared = rqrr::PreparedImage::prepare(blurred);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url);
    }

    #[test]
    fn runs_are_merged_and_room_is_respected() {
        let qr = Qr::encode("https://example.org/a").unwrap();
        assert!(qr.ops(0, 0, 4).len() < (qr.width * qr.width) as usize / 2, "runs, not one fill a module");
        assert_eq!(qr.module_for(qr.side(1) * 5 + 3), Some(5));
        assert_eq!(qr.module_for(qr.side(1) * 3), None, "under four pixels a module is too small for a TV");
        assert!(Qr::encode(&"x".repeat(5000)).is_none());
    }
}
