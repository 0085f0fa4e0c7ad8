//! Pictures the shell lays over screens: the clock's digits, the page-number
//! entry box and its digits, the "no such page" notice and the emergency
//! alert. Drawn by our renderer like everything else, so they match the
//! screens exactly; the shell only places them.

use crate::config::Rgb;
use crate::content::Site;
use crate::fonts::Weight;

use super::frame::{line_box, Frame, DATE_GLYPHS};
use super::text::wrap;
use super::{Op, Rect, TextRun};

/// A small picture: ops relative to its own top-left.
#[derive(Debug, Clone, PartialEq)]
pub struct Sprite {
    pub w: i32,
    pub h: i32,
    pub ops: Vec<Op>,
}

/// Every overlay of one profile, with where the shell puts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlays {
    /// Where `HH:MM` starts; glyphs 0–9 then `:`.
    pub clock: Rect,
    pub clock_glyphs: Vec<Sprite>,
    /// The box the date is right-aligned in; its glyphs ([`DATE_GLYPHS`])
    /// and the gap before the weekday.
    pub date: Rect,
    pub date_glyphs: Vec<Sprite>,
    pub date_space: i32,
    /// The entry box and the top-left of each of its three digit slots.
    pub entry: Rect,
    pub entry_box: Sprite,
    pub entry_slots: Vec<(i32, i32)>,
    /// Glyphs 0–9 for the entry slots.
    pub entry_glyphs: Vec<Sprite>,
    /// "没有这个页号", shown where the entry box was.
    pub nowhere: (Rect, Sprite),
    /// The emergency notice, centred, while one is on air.
    pub alert: Option<(Rect, Sprite)>,
    /// What an answer screen says when an answer is not taken, by the
    /// reason the server (or the shell) gives.
    pub notices: Vec<(&'static str, Rect, Sprite)>,
}

/// The answer notices: (reason, text).
pub const NOTICES: [(&str, &str); 6] = [
    ("closed", "本次征集已截止，不再收集意见"),
    ("limit", "今天已提交 3 次，请明天再来"),
    ("often", "操作太频繁，请稍后再试"),
    ("phone", "号码有误，请输入手机号或带区号的座机号"),
    ("short", "号码不完整，请继续输入"),
    ("busy", "提交未成功，请稍后再试"),
];

/// A one-line text run; `font` is (size, weight, colour).
fn run(x: f32, y: f32, h: f32, font: (f32, Weight, Rgb), text: &str, w: f32) -> Op {
    let (size, weight, color) = font;
    Op::Text(TextRun { x, y, w, h, size, weight, color, spacing: 0.0, text: text.to_string(), body: false })
}

/// The overlays of one profile.
pub fn overlays(frame: &Frame, site: &Site) -> Overlays {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;

    // Clock: digits on the header colour, each the same width.
    let clock = g.clock_box(fonts);
    let dw = g.clock_digit_w(fonts);
    // A glyph centred in a cell `w` wide; `font` is (size, weight, colour).
    let text = |text: &str, w: i32, h: i32, font: (f32, Weight, Rgb), bg: Rgb| {
        let aw = fonts.measure(text, font.0, font.1);
        Sprite {
            w,
            h,
            ops: vec![
                Op::Fill { rect: Rect::new(0, 0, w, h), color: bg, radius: 0 },
                run((w as f32 - aw) / 2.0, 0.0, h as f32, font, text, aw),
            ],
        }
    };
    let glyph =
        |c: char, w: i32, h: i32, size: f32, fg: Rgb, bg: Rgb| text(&c.to_string(), w, h, (size, Weight::Bold, fg), bg);
    let mut clock_glyphs: Vec<Sprite> = ('0'..='9').map(|c| glyph(c, dw, clock.h, g.small, t.text, t.header)).collect();
    clock_glyphs.push(glyph(':', g.clock_colon_w(fonts), clock.h, g.small, t.text, t.header));
    // The date: dim and regular, as the path under it.
    let date = g.date_box(fonts);
    let date_glyphs = DATE_GLYPHS
        .iter()
        .map(|s| text(s, g.date_glyph_w(fonts, s), date.h, (g.small, Weight::Regular, t.dim), t.header))
        .collect();

    // Entry box: "页号" and three slots, in the focus language.
    let size = g.tile;
    let (slot_w, _) = entry_glyph_size(frame);
    let pad = g.gap;
    let label = "页号";
    let label_w = fonts.measure(label, g.small, Weight::Bold).ceil() as i32;
    let h = line_box(size) as i32 + pad;
    let w = pad + label_w + pad / 2 + 3 * slot_w + pad;
    let entry = Rect::new(g.safe.right() - w - g.frame_w, g.body.y + g.frame_w, w, h);
    let entry_box = boxed(frame, w, h, (g.small, label, label_w));
    let slot_y = entry.y + pad / 2;
    let entry_slots = (0..3).map(|i| (entry.x + pad + label_w + pad / 2 + i * slot_w, slot_y)).collect();
    let entry_glyphs = ('0'..='9').map(|c| glyph(c, slot_w, h - pad, size, t.focus_text, t.focus_fill)).collect();

    let msg = "没有这个页号";
    let msg_w = fonts.measure(msg, g.item, Weight::Bold).ceil() as i32;
    let nw = msg_w + 2 * pad;
    let nowhere_rect = Rect::new(g.safe.right() - nw - g.frame_w, entry.y, nw, h);
    let nowhere = boxed(frame, nw, h, (g.item, msg, msg_w));

    let alert = site.alert.as_ref().map(|alert| alert_sprite(frame, &alert.paragraphs));
    // Answer notices: centred just above the footer.
    let notices = NOTICES
        .iter()
        .map(|(reason, msg)| {
            let msg_w = fonts.measure(msg, g.item, Weight::Bold).ceil() as i32;
            let w = (msg_w + 2 * pad).min(g.safe.w);
            let rect = Rect::new(g.safe.x + (g.safe.w - w) / 2, g.footer_y - h - g.gap, w, h);
            (*reason, rect, boxed(frame, w, h, (g.item, msg, msg_w)))
        })
        .collect();
    Overlays {
        clock,
        clock_glyphs,
        date,
        date_glyphs,
        date_space: g.date_space_w(fonts),
        entry,
        entry_box,
        entry_slots,
        entry_glyphs,
        nowhere: (nowhere_rect, nowhere),
        alert,
        notices,
    }
}

/// The size of one entry digit picture: the shell also types callback
/// numbers and shows references with them.
pub(crate) fn entry_glyph_size(frame: &Frame) -> (i32, i32) {
    let size = frame.geo.tile;
    let fonts = frame.cx.fonts;
    let slot_w = ('0'..='9').map(|c| fonts.advance(c, size, Weight::Bold)).fold(0.0, f32::max).ceil() as i32 + 4;
    (slot_w, line_box(size) as i32)
}

/// A box in the focus language (frame and fill) with one bold text at its
/// left; `text` is (size, text, width).
fn boxed(frame: &Frame, w: i32, h: i32, text: (f32, &str, i32)) -> Sprite {
    let g = frame.geo;
    let t = frame.theme();
    let (size, label, label_w) = text;
    let fw = g.frame_w;
    let y = (h as f32 - line_box(size)) / 2.0;
    Sprite {
        w,
        h,
        ops: vec![
            Op::Fill { rect: Rect::new(0, 0, w, h), color: t.focus_frame, radius: g.radius },
            Op::Fill { rect: Rect::new(fw / 2, fw / 2, w - fw, h - fw), color: t.focus_fill, radius: g.radius },
            run(g.gap as f32, y, line_box(size), (size, Weight::Bold, t.focus_text), label, label_w as f32),
        ],
    }
}

/// The emergency notice: a red band with 紧急通知, the text, and how to close it.
fn alert_sprite(frame: &Frame, paragraphs: &[String]) -> (Rect, Sprite) {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let pad = g.gap as f32 * 1.5;
    let w = g.safe.w;
    let inner = w as f32 - 2.0 * pad;
    let band_h = line_box(g.item) + g.gap as f32;
    let mut ops = Vec::new();
    let mut y = band_h + pad / 2.0;
    let max_h = (g.height - 2 * g.safe.y) as f32 - line_box(g.small) - pad * 1.5;
    'outer: for p in paragraphs {
        for line in wrap(fonts, &[(p.clone(), Weight::Regular)], g.body_size, inner, 0.0, true) {
            if y + g.body_line > max_h {
                break 'outer;
            }
            for piece in line.pieces {
                ops.push(Op::Text(TextRun {
                    x: pad + piece.x,
                    y,
                    w: piece.w,
                    h: g.body_line,
                    size: g.body_size,
                    weight: piece.weight,
                    color: t.text,
                    spacing: piece.spacing,
                    text: piece.text,
                    body: true,
                }));
            }
            y += g.body_line;
        }
    }
    let hint = "按 OK 键关闭";
    let hint_w = fonts.measure(hint, g.small, Weight::Bold);
    ops.push(run(
        w as f32 - pad - hint_w,
        y + pad / 4.0,
        line_box(g.small),
        (g.small, Weight::Bold, t.focus_frame),
        hint,
        hint_w,
    ));
    let h = (y + pad / 4.0 + line_box(g.small) + pad / 2.0).ceil() as i32;
    // A muted red: saturated red blooms on composite video.
    let band = Rgb(150, 44, 40);
    let title = "紧急通知";
    let title_w = fonts.measure(title, g.item, Weight::Bold);
    let mut all = vec![
        Op::Fill { rect: Rect::new(0, 0, w, h), color: band, radius: g.radius },
        Op::Fill {
            rect: Rect::new(g.frame_w / 2, band_h as i32, w - g.frame_w, h - band_h as i32 - g.frame_w / 2),
            color: t.header,
            radius: g.radius,
        },
        run(pad, (band_h - line_box(g.item)) / 2.0, line_box(g.item), (g.item, Weight::Bold, t.text), title, title_w),
    ];
    all.extend(ops);
    let rect = Rect::new(g.safe.x, (g.height - h) / 2, w, h);
    (rect, Sprite { w, h, ops: all })
}
