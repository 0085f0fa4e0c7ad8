//! Geometry of a profile and the frame every screen shares: background,
//! header (channel name, path; the shell draws the date and the clock) and
//! footer (the keys that work here).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use crate::config::{Profile, Rgb, Theme};
use crate::content::Site;
use crate::fonts::{Fonts, Weight};

use super::{page_id, Context, Key, Op, Rect, Screen, Target, TextRun};

/// Sizes and places for one profile, all in profile pixels.
///
/// Sizes are designed on the 720x576 SD frame. Taller profiles scale them by
/// `height / 562.5` rather than `height / 576`, so the 22 px SD floor for any
/// text lands on the 28 px HD floor (1.28x, where the frame is 1.25x taller).
#[derive(Debug, Clone)]
pub struct Geometry {
    pub width: i32,
    pub height: i32,
    /// Title-safe area: 5 % in from every edge. All text stays inside.
    pub safe: Rect,
    pub header_h: i32,
    pub footer_y: i32,
    /// Where screen content goes, between header and footer, inside `safe`.
    pub body: Rect,
    pub gap: i32,
    pub radius: i32,
    /// Focus frame width: even, so it survives interlace.
    pub frame_w: i32,
    /// The smallest text: path, dates, key hints, captions.
    pub small: f32,
    pub channel: f32,
    pub tile: f32,
    pub item: f32,
    pub row: f32,
    pub body_size: f32,
    pub body_line: f32,
    pub heading: f32,
    pub article_title: f32,
    /// Table cells: body text, at the body floor on SD.
    pub table: f32,
    /// Sub-item tiles per column of a column screen.
    pub column_rows: usize,
    /// Articles per list page.
    pub list_rows: usize,
}

/// The legibility floors of a profile: (any text, body text), in px.
pub fn floors(profile: &Profile) -> (f32, f32) {
    if profile.height <= 600 {
        (22.0, 26.0)
    } else {
        (28.0, 32.0)
    }
}

/// Height of a line box for text of `size`.
pub fn line_box(size: f32) -> f32 {
    (size * 1.36).round()
}

impl Geometry {
    pub fn new(profile: &Profile, text_scale: f32) -> Geometry {
        let (w, h) = (profile.width as i32, profile.height as i32);
        let k = if h <= 600 { 1.0 } else { h as f32 / 562.5 };
        let px = |v: f32| (v * k * text_scale).round();
        let even = |v: f32| ((v * k / 2.0).round() * 2.0) as i32;
        let safe = Rect::new(
            (w as f32 * 0.05).ceil() as i32,
            (h as f32 * 0.05).ceil() as i32,
            w - 2 * (w as f32 * 0.05).ceil() as i32,
            h - 2 * (h as f32 * 0.05).ceil() as i32,
        );
        let small = px(22.0);
        let channel = px(30.0);
        let header_h = safe.y + line_box(channel) as i32 + line_box(small) as i32 + even(6.0);
        let footer_y = safe.bottom() - line_box(small) as i32 - even(10.0);
        let gap = even(14.0);
        let body = Rect::new(safe.x, header_h + gap, safe.w, footer_y - gap - (header_h + gap));
        let row = px(28.0);
        let row_h = line_box(row) + px(18.0);
        let list_rows = ((body.h as f32 + gap as f32 / 2.0) / (row_h + gap as f32 / 2.0)).floor().max(1.0) as usize;
        Geometry {
            width: w,
            height: h,
            safe,
            header_h,
            footer_y,
            body,
            gap,
            radius: even(10.0),
            frame_w: even(6.0),
            small,
            channel,
            tile: px(32.0),
            item: px(30.0),
            row,
            body_size: px(28.0),
            body_line: px(46.0),
            heading: px(30.0),
            article_title: px(34.0),
            table: px(26.0),
            column_rows: 4,
            list_rows,
        }
    }
}

/// The pictures the shell builds the date from, by index: digits 0–9, 年,
/// 月, 日, 星期, then 一 to 六 (Sunday is 日, index 12).
pub const DATE_GLYPHS: [&str; 20] =
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "年", "月", "日", "星期", "一", "二", "三", "四", "五", "六"];

/// What every screen's chrome needs: the site, the layout context, the geometry.
pub struct Frame<'a> {
    pub site: &'a Site,
    pub cx: &'a Context<'a>,
    pub geo: &'a Geometry,
    /// A hash of all the above that a document's screens show: the memo's
    /// key for the frame (see [`super::memo`]).
    pub key: [u8; 32],
    /// The page number of the sub-item being laid out.
    number: Option<u16>,
}

impl<'a> Frame<'a> {
    pub fn new(site: &'a Site, cx: &'a Context<'a>, geo: &'a Geometry) -> Frame<'a> {
        let mut h = blake3::Hasher::new();
        // Settings, theme, fonts, colour keys, the profile and its geometry,
        // and the columns (titles, keys, accents). Not the date: the shell
        // draws it, so a new day redraws no screen.
        let columns: Vec<_> = site.columns.iter().map(|c| (&c.key, &c.title, c.accent)).collect();
        let _ = std::io::Write::write_fmt(
            &mut h,
            format_args!("{:?}\0{:?}\0{:?}\0{columns:?}\0", site.config, cx.profile, geo),
        );
        let key = *h.finalize().as_bytes();
        Frame { site, cx, geo, key, number: None }
    }

    /// This frame for the screens of sub-item `number`.
    pub(crate) fn numbered(&self, number: Option<u16>) -> Frame<'a> {
        Frame { number, ..*self }
    }

    pub(crate) fn number_of(&self) -> Option<u16> {
        self.number
    }

    /// Gives `screen` the sub-item's page number, and its badge.
    pub fn number(&self, screen: &mut Screen, accent: Rgb) {
        screen.number = self.number;
        if let Some(n) = self.number {
            screen.ops.extend(self.number_badge(n, accent));
        }
    }
}

/// The keys a footer names, as (key label, what it does).
pub type Hints = Vec<(&'static str, &'static str)>;

/// A one-line text run at (x, y), measured with `fonts`.
pub fn text_run(fonts: &Fonts, x: f32, y: f32, size: f32, weight: Weight, color: Rgb, text: &str) -> Op {
    let w = fonts.measure(text, size, weight);
    Op::Text(TextRun {
        x,
        y,
        w,
        h: line_box(size),
        size,
        weight,
        color,
        spacing: 0.0,
        text: text.to_string(),
        body: false,
    })
}

/// The label of the key that opens 查询, as a footer names it.
pub(crate) fn search_label(site: &Site) -> &'static str {
    match site.config.search_key {
        Key::Red => "红键",
        Key::Green => "绿键",
        Key::Yellow => "黄键",
        Key::Blue => "蓝键",
        key => key.name(),
    }
}

/// `第 2/5 页` when there is more than one page.
pub(crate) fn page_label(n: usize, m: usize, unit: &str) -> Option<String> {
    (m > 1).then(|| format!("第 {n}/{m} {unit}"))
}

impl Frame<'_> {
    pub fn theme(&self) -> &Theme {
        &self.site.config.theme
    }

    /// The accent colour of column `index`.
    pub fn accent(&self, index: usize) -> Rgb {
        let theme = self.theme();
        self.site.columns.get(index).and_then(|c| c.accent).unwrap_or(theme.accents[index % theme.accents.len()])
    }

    /// A text run at (x, y) measured with the channel's fonts.
    pub fn text(&self, x: f32, y: f32, size: f32, weight: Weight, color: Rgb, text: &str) -> Op {
        text_run(self.cx.fonts, x, y, size, weight, color, text)
    }

    /// A text run ending at `right`.
    pub(crate) fn text_right(&self, right: f32, y: f32, size: f32, weight: Weight, color: Rgb, text: &str) -> Op {
        let w = self.cx.fonts.measure(text, size, weight);
        self.text(right - w, y, size, weight, color, text)
    }

    /// Background, header and footer of a screen.
    pub(crate) fn chrome(&self, crumbs: &[String], accent: Rgb, hints: &Hints, page: Option<String>) -> Vec<Op> {
        let g = self.geo;
        let t = self.theme();
        let fonts = self.cx.fonts;
        let mut ops = vec![
            Op::Fill { rect: Rect::new(0, 0, g.width, g.height), color: t.background, radius: 0 },
            Op::Fill { rect: Rect::new(0, 0, g.width, g.header_h), color: t.header, radius: 0 },
            // An even-height accent rule under the header: thin lines flicker on interlaced sets.
            Op::Fill {
                rect: Rect::new(0, g.header_h - g.frame_w / 2, g.width, g.frame_w / 2),
                color: accent,
                radius: 0,
            },
            Op::Fill { rect: Rect::new(0, g.footer_y, g.width, g.height - g.footer_y), color: t.header, radius: 0 },
        ];
        let (sx, sy) = (g.safe.x as f32, g.safe.y as f32);
        // The shell draws the date and a live clock at the right of the
        // channel's name (`date_box`, `clock_box`).
        let title_w = (g.date_box(fonts).x - g.gap) as f32 - sx;
        let title = super::text::ellipsize(fonts, &self.site.config.title, g.channel, Weight::Bold, title_w);
        ops.push(self.text(sx, sy, g.channel, Weight::Bold, t.text, &title));
        // Room is left at the right for a sub-item's page number (`number_badge`).
        let badge = fonts.measure("000", g.small, Weight::Bold) + g.small * 1.4;
        let path = fitted_path(fonts, crumbs, g.small, g.safe.w as f32 - badge);
        ops.push(self.text(sx, sy + line_box(g.channel), g.small, Weight::Regular, t.dim, &path));

        let fy = g.footer_y as f32 + (g.safe.bottom() - g.footer_y) as f32 / 2.0 - line_box(g.small) / 2.0;
        let mut x = sx;
        // Every footer names the way to 查询, but search's own; where the
        // keys do not fit beside the page number, the arrows' hint (the
        // least needed: the focus shows them) makes room.
        let mut all: Hints = hints.clone();
        if !hints.iter().any(|(_, what)| *what == "输入" || *what == "页码") {
            all.push((search_label(self.site), "查询"));
        }
        let width = |all: &Hints| -> f32 {
            let keys = all.iter().map(|(k, w)| {
                fonts.measure(k, g.small, Weight::Bold) + fonts.measure(w, g.small, Weight::Regular) + g.small * 1.4
            });
            keys.sum()
        };
        let page_room = page.as_ref().map_or(0.0, |l| fonts.measure(l, g.small, Weight::Bold) + g.small);
        while width(&all) - g.small > g.safe.w as f32 - page_room {
            let Some(i) = all.iter().position(|(k, _)| k.starts_with('↑')) else { break };
            all.remove(i);
        }
        for (key, what) in &all {
            ops.push(self.text(x, fy, g.small, Weight::Bold, t.focus_frame, key));
            x += fonts.measure(key, g.small, Weight::Bold) + g.small * 0.4;
            ops.push(self.text(x, fy, g.small, Weight::Regular, t.text, what));
            x += fonts.measure(what, g.small, Weight::Regular) + g.small;
        }
        // Colour keys: on the start screen at the right of the path line,
        // which has room; elsewhere in the footer, before the page number,
        // where they fit.
        let page_w = page.as_ref().map_or(0.0, |l| fonts.measure(l, g.small, Weight::Bold) + g.small * 1.5);
        let swatch = (g.small * 0.7).round();
        let colours: Vec<(Rgb, String)> = self.colour_keys().into_iter().map(|(_, c, _, label)| (c, label)).collect();
        let gap = g.small * 0.6;
        let colours_w: f32 = colours
            .iter()
            .map(|(_, l)| swatch + g.small * 0.25 + fonts.measure(l, g.small, Weight::Regular) + gap)
            .sum::<f32>()
            - gap;
        let legend_at = if crumbs.is_empty() {
            Some((g.safe.right() as f32 - colours_w, sy + line_box(g.channel)))
        } else {
            (x + colours_w <= g.safe.right() as f32 - page_w).then(|| (g.safe.right() as f32 - page_w - colours_w, fy))
        };
        if let (false, Some((mut cx, ly))) = (colours.is_empty(), legend_at) {
            for (colour, label) in colours {
                let top = ly + (line_box(g.small) - swatch) / 2.0;
                ops.push(Op::Fill {
                    rect: Rect::new(cx as i32, top as i32, swatch as i32, swatch as i32),
                    color: colour,
                    radius: 2,
                });
                cx += swatch + g.small * 0.25;
                ops.push(self.text(cx, ly, g.small, Weight::Regular, t.text, &label));
                cx += fonts.measure(&label, g.small, Weight::Regular) + gap;
            }
        }
        if let Some(label) = page {
            ops.push(self.text_right(g.safe.right() as f32, fy, g.small, Weight::Bold, t.text, &label));
        }
        ops
    }

    /// The colour keys that lead somewhere: (key, swatch colour, column index, label).
    pub(crate) fn colour_keys(&self) -> Vec<(super::Key, Rgb, usize, String)> {
        self.site
            .config
            .colour_keys
            .iter()
            .filter_map(|(key, title)| {
                let index = self.site.columns.iter().position(|c| &c.title == title || &c.key == title)?;
                let swatch = match key.as_str() {
                    "red" => Rgb(196, 58, 52),
                    "green" => Rgb(58, 150, 76),
                    "yellow" => Rgb(214, 176, 48),
                    _ => Rgb(58, 108, 196),
                };
                let chars: Vec<char> = self.site.columns[index].title.chars().collect();
                let label: String = if chars.len() >= 4 { chars[..2].iter().collect() } else { chars.iter().collect() };
                Some((super::Key::from_name(key)?, swatch, index, label))
            })
            .collect()
    }

    /// The sub-item's three-digit page number at the right of the path line.
    pub(crate) fn number_badge(&self, number: u16, accent: Rgb) -> Vec<Op> {
        let g = self.geo;
        let label = number.to_string();
        let pad = g.small * 0.4;
        let w = self.cx.fonts.measure(&label, g.small, Weight::Bold) + 2.0 * pad;
        let y = g.safe.y as f32 + line_box(g.channel);
        let x = g.safe.right() as f32 - w;
        vec![
            Op::Fill {
                rect: Rect::new(x as i32, y as i32, w.ceil() as i32, line_box(g.small) as i32),
                color: accent,
                radius: g.radius / 2,
            },
            self.text(x + pad, y, g.small, Weight::Bold, self.theme().text, &label),
        ]
    }
}

/// Where the shell draws over the header: the clock and the date. The
/// broadcast loop draws them in the same places.
impl Geometry {
    /// Width of one clock digit (all digits share it, so the clock never jiggles).
    pub(crate) fn clock_digit_w(&self, fonts: &Fonts) -> i32 {
        ('0'..='9').map(|c| fonts.advance(c, self.small, Weight::Bold)).fold(0.0, f32::max).ceil() as i32
    }

    /// Width of the clock's colon.
    pub(crate) fn clock_colon_w(&self, fonts: &Fonts) -> i32 {
        fonts.advance(':', self.small, Weight::Bold).ceil() as i32
    }

    /// Where the shell draws `HH:MM`: right-aligned on the channel name's line.
    pub(crate) fn clock_box(&self, fonts: &Fonts) -> Rect {
        let w = 4 * self.clock_digit_w(fonts) + self.clock_colon_w(fonts);
        let h = line_box(self.small) as i32;
        let y = self.safe.y as f32 + (line_box(self.channel) - line_box(self.small)) / 2.0;
        Rect::new(self.safe.right() - w, y.round() as i32, w, h)
    }

    /// Width of one of the date's glyphs ([`DATE_GLYPHS`]): the digits
    /// share the widest digit's, so the date never jiggles.
    pub(crate) fn date_glyph_w(&self, fonts: &Fonts, glyph: &str) -> i32 {
        if glyph.len() == 1 {
            ('0'..='9').map(|c| fonts.advance(c, self.small, Weight::Regular)).fold(0.0, f32::max).ceil() as i32
        } else {
            fonts.measure(glyph, self.small, Weight::Regular).ceil() as i32
        }
    }

    /// The gap between the date's day and its weekday.
    pub(crate) fn date_space_w(&self, fonts: &Fonts) -> i32 {
        fonts.advance(' ', self.small, Weight::Regular).ceil() as i32
    }

    /// Where the shell draws `2026年11月27日 星期五` (right-aligned in this
    /// box, in the channel's time zone): on the clock's line, before it,
    /// as wide as the widest date, so the channel's name never runs under it.
    pub(crate) fn date_box(&self, fonts: &Fonts) -> Rect {
        let clock = self.clock_box(fonts);
        let w = |i: usize| self.date_glyph_w(fonts, DATE_GLYPHS[i]);
        // Eight digits, 年月日, the gap, 星期 and the widest weekday.
        let widest =
            8 * w(0) + w(10) + w(11) + w(12) + self.date_space_w(fonts) + w(13) + (14..20).map(w).max().unwrap_or(0);
        let right = clock.x - (self.small * 0.6).round() as i32;
        Rect::new(right - widest, clock.y, widest, clock.h)
    }
}

/// `2026年11月27日 星期五`: the date as the shell draws it, in `now`'s zone.
pub fn date_text(now: DateTime<FixedOffset>) -> String {
    use chrono::Datelike;
    let weekday = ["一", "二", "三", "四", "五", "六", "日"][now.weekday().num_days_from_monday() as usize];
    format!("{}年{}月{}日 星期{weekday}", now.year(), now.month(), now.day())
}

/// The header's path, `首页 › 阳光万源 › 村务“三资”公开 › 太平镇`, fitted into
/// `width`. When it is too long the crumbs after 首页 give way from the
/// front (`首页 › … › 太平镇 › 石桥村第三季度收支明细表`): the last crumb is
/// the screen the viewer is on, and on SD a table with lines under its rows
/// has its title only there. Only when even `首页 › … › last` is too long
/// is that cut at its end.
fn fitted_path(fonts: &Fonts, crumbs: &[String], size: f32, width: f32) -> String {
    let joined = |from: usize| {
        let mut path = String::from(if from == 0 { "首页" } else { "首页 › …" });
        for c in &crumbs[from..] {
            path.push_str(" › ");
            path.push_str(c);
        }
        path
    };
    let last = crumbs.len().saturating_sub(1);
    let path = (0..last)
        .map(joined)
        .find(|p| fonts.measure(p, size, Weight::Regular) <= width)
        .unwrap_or_else(|| joined(last));
    super::text::ellipsize(fonts, &path, size, Weight::Regular, width)
}

/// Keys of page `p` of `count` pages of one thing: left/right, page keys and
/// up/down turn pages, OK goes on (and back after the last page), back leaves.
pub(super) fn paging_keys(base: &str, p: usize, count: usize, back: &Target) -> BTreeMap<Key, Target> {
    let mut keys = BTreeMap::new();
    keys.insert(Key::Back, back.clone());
    if p > 0 {
        let prev = Target::new(page_id(base, p - 1), 0);
        keys.insert(Key::Left, prev.clone());
        keys.insert(Key::PageUp, prev.clone());
        keys.insert(Key::Up, prev);
    }
    if p + 1 < count {
        let next = Target::new(page_id(base, p + 1), 0);
        keys.insert(Key::Right, next.clone());
        keys.insert(Key::PageDown, next.clone());
        keys.insert(Key::Down, next.clone());
        keys.insert(Key::Ok, next);
    } else {
        keys.insert(Key::Ok, back.clone());
    }
    keys
}

/// `op` moved by (`dx`, `dy`): a block laid out at the origin, placed.
pub(super) fn offset(op: Op, dx: f32, dy: f32) -> Op {
    let (ix, iy) = (dx as i32, dy as i32);
    match op {
        Op::Text(mut run) => {
            run.x += dx;
            run.y += dy;
            Op::Text(run)
        }
        Op::Fill { rect, color, radius } => Op::Fill { rect: rect.offset(ix, iy), color, radius },
        Op::Frame { rect, color, width, radius } => Op::Frame { rect: rect.offset(ix, iy), color, width, radius },
        Op::Image { rect, image } => Op::Image { rect: rect.offset(ix, iy), image },
    }
}
