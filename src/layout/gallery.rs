//! Galleries: one photo a screen, scaled to fit, with its caption.

use crate::config::Rgb;
use crate::content::Item;
use crate::fonts::Weight;

use super::frame::paging_keys;
use super::frame::{line_box, page_label, Frame};
use super::text::wrap_at_most;
use super::{screen_id, Kind, Op, Rect, Screen, Target};

/// The screens of a gallery sub-item: one per photo.
pub fn screens(frame: &Frame, item: &Item, crumbs: &[String], back: Target, accent: Rgb) -> Vec<Screen> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let count = item.photos.len();
    let ids: Vec<String> = item.photos.iter().map(|p| screen_id("g", &p.key)).collect();
    let mut out = Vec::with_capacity(count);
    for (i, photo) in item.photos.iter().enumerate() {
        // Up to two lines of caption under the photo.
        let lines = wrap_at_most(fonts, &photo.caption, Weight::Regular, g.row, g.body.w as f32, 2);
        let caption_h = lines.len() as f32 * line_box(g.row) + g.gap as f32 / 2.0;
        let area = Rect::new(g.body.x, g.body.y, g.body.w, g.body.h - caption_h as i32);
        let hints = if count > 1 {
            vec![("←→", "上一张/下一张"), ("返回", "上一级")]
        } else {
            vec![("返回", "上一级")]
        };
        let mut ops = frame.chrome(crumbs, accent, &hints, page_label(i + 1, count, "张"));
        let img = &photo.image;
        let scale = (area.w as f32 / img.width as f32).min(area.h as f32 / img.height as f32);
        let (w, h) = ((img.width as f32 * scale).round() as i32, (img.height as f32 * scale).round() as i32);
        let rect = Rect::new(area.x + (area.w - w) / 2, area.y + (area.h - h) / 2, w, h);
        ops.push(Op::Image { rect, image: img.clone() });
        let mut cy = (area.bottom() as f32 + g.gap as f32 / 2.0).round();
        for line in &lines {
            let text: String = line.pieces.iter().map(|p| p.text.as_str()).collect();
            let x = g.body.x as f32 + (g.body.w as f32 - line.width) / 2.0;
            ops.push(frame.text(x, cy, g.row, Weight::Regular, t.text, &text));
            cy += line_box(g.row);
        }
        // Paging keys, but by photo ids rather than page suffixes.
        let mut keys = paging_keys(&ids[0], i, count, &back);
        for target in keys.values_mut() {
            if target.screen != back.screen {
                let n = if target.screen == ids[0] {
                    0
                } else {
                    target.screen.rsplit('-').next().and_then(|n| n.parse::<usize>().ok()).map_or(0, |n| n - 1)
                };
                target.screen = ids[n].as_str().into();
            }
        }
        out.push(Screen::page(ids[i].clone(), Kind::Gallery, &photo.caption, &back, ops, keys));
    }
    out
}
