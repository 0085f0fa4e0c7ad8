//! Menus: the home grid, a column's sub-items and a sub-item's article list
//! are all pages of focusable tiles; this lays them out and wires the keys.

use std::collections::BTreeMap;

use crate::config::Rgb;
use crate::fonts::Weight;

use super::frame::{line_box, page_label, Frame, Hints};
use super::text::ellipsize;
use super::{page_id, Focus, Key, Kind, Op, Rect, Screen, State, Target};

/// One tile.
pub struct Entry {
    pub title: String,
    /// A second, smaller line: sub-items of a column, article counts, a date.
    pub caption: String,
    /// A short mark: the number key of a column, 置顶 for a pinned article.
    pub badge: Option<String>,
    pub accent: Rgb,
    pub target: Target,
}

/// A menu to lay out.
pub struct Spec {
    /// The first page's id; later pages are `{base}-2`, ….
    pub base: String,
    /// Home, column or list: what graph.json calls it.
    pub kind: Kind,
    /// What the header says.
    pub title: String,
    /// The path in the header: column, then sub-item.
    pub crumbs: Vec<String>,
    /// Where back leads; `None` on the start screen.
    pub parent: Option<Target>,
    /// The focus frame's colour.
    pub accent: Rgb,
    /// Tiles across and down a page.
    pub columns: usize,
    pub rows: usize,
    pub entries: Vec<Entry>,
    /// Keys that work from every tile (digits on home).
    pub extra_keys: Vec<(Key, Target)>,
    /// What an empty menu says.
    pub empty: &'static str,
    /// Lines above the tiles, each large or small: what a search typed.
    pub lead: Vec<(String, bool)>,
}

impl Spec {
    /// A hash of everything the menu shows and where each of its keys
    /// leads: what the layout memo keeps its screens under.
    pub fn digest(&self) -> [u8; 32] {
        fn text(b: &mut Vec<u8>, t: &str) {
            b.extend_from_slice(&(t.len() as u64).to_le_bytes());
            b.extend_from_slice(t.as_bytes());
        }
        fn number(b: &mut Vec<u8>, n: usize) {
            b.extend_from_slice(&(n as u64).to_le_bytes());
        }
        fn target(b: &mut Vec<u8>, t: &Target) {
            text(b, &t.screen);
            number(b, t.focus);
        }
        fn colour(b: &mut Vec<u8>, c: Rgb) {
            b.extend_from_slice(&[c.0, c.1, c.2]);
        }
        let mut b = Vec::with_capacity(256 + 128 * self.entries.len());
        text(&mut b, &self.base);
        text(&mut b, &format!("{:?}", self.kind));
        text(&mut b, &self.title);
        number(&mut b, self.crumbs.len());
        self.crumbs.iter().for_each(|c| text(&mut b, c));
        match &self.parent {
            Some(t) => target(&mut b, t),
            None => number(&mut b, usize::MAX),
        }
        colour(&mut b, self.accent);
        number(&mut b, self.columns);
        number(&mut b, self.rows);
        number(&mut b, self.entries.len());
        for e in &self.entries {
            text(&mut b, &e.title);
            text(&mut b, &e.caption);
            match &e.badge {
                Some(badge) => text(&mut b, badge),
                None => number(&mut b, usize::MAX),
            }
            colour(&mut b, e.accent);
            target(&mut b, &e.target);
        }
        number(&mut b, self.extra_keys.len());
        for (key, t) in &self.extra_keys {
            text(&mut b, key.name());
            target(&mut b, t);
        }
        text(&mut b, self.empty);
        number(&mut b, self.lead.len());
        for (line, large) in &self.lead {
            text(&mut b, line);
            number(&mut b, usize::from(*large));
        }
        *blake3::hash(&b).as_bytes()
    }
}

/// The screens of a menu: one per page of `columns x rows` tiles.
pub fn screens(frame: &Frame, spec: Spec) -> Vec<Screen> {
    let spec = match spec.kind {
        Kind::Search => Spec { rows: search_rows(frame, &spec.lead), ..spec },
        _ => spec,
    };
    let per_page = spec.columns * spec.rows;
    let pages = spec.entries.len().div_ceil(per_page).max(1);
    let g = frame.geo;
    let mut out = Vec::with_capacity(pages);
    for page in 0..pages {
        let first = page * per_page;
        let on_page = &spec.entries[first.min(spec.entries.len())..(first + per_page).min(spec.entries.len())];
        let mut hints = hints(spec.kind, pages > 1, !on_page.is_empty());
        if spec.kind == Kind::Search {
            search_hints(&spec, &mut hints);
        }
        let mut ops = frame.chrome(&spec.crumbs, spec.accent, &hints, page_label(page + 1, pages, "页"));
        let top = lead(frame, &spec.lead, &mut ops);
        let mut states = Vec::new();
        if on_page.is_empty() {
            let size = g.item;
            let y = g.body.y as f32 + top as f32 + (g.body.h as f32 - top as f32 - line_box(size)) / 2.0;
            let w = frame.cx.fonts.measure(spec.empty, size, Weight::Regular);
            let x = g.body.x as f32 + (g.body.w as f32 - w) / 2.0;
            ops.push(frame.text(x, y, size, Weight::Regular, frame.theme().dim, spec.empty));
            let mut keys = BTreeMap::new();
            if let Some(parent) = &spec.parent {
                keys.insert(Key::Back, parent.clone());
            }
            keys.extend(spec.extra_keys.iter().cloned());
            states.push(State { focus: None, keys });
        }
        for (i, entry) in on_page.iter().enumerate() {
            let rect = tile_rect(frame, &spec, i, top);
            ops.extend(tile_ops(frame, spec.kind, entry, rect, false));
            let mut focus_ops = vec![Op::Fill {
                rect: rect.grow(g.frame_w),
                color: frame.theme().focus_frame,
                radius: g.radius + g.frame_w,
            }];
            focus_ops.extend(tile_ops(frame, spec.kind, entry, rect, true));
            let keys = keys_for(&spec, page, pages, i, on_page.len(), per_page, entry);
            states.push(State { focus: Some(Focus { rect: rect.grow(g.frame_w), ops: focus_ops }), keys });
        }
        out.push(Screen {
            id: page_id(&spec.base, page),
            kind: spec.kind,
            title: spec.title.clone(),
            parent: spec.parent.as_ref().map(|t| t.screen.to_string()),
            number: None,
            section: None,
            carousel: None,
            ops,
            states,
            ask: None,
            locals: Vec::new(),
            rows: None,
            drawn: None,
            made: None,
            thin: false,
        });
    }
    out
}

fn hints(kind: Kind, paged: bool, any: bool) -> Hints {
    let mut h: Hints = Vec::new();
    match kind {
        Kind::Home => h.extend([("↑↓←→", "选择"), ("OK", "进入"), ("1-9", "直达")]),
        // Arrows turn the pages of places too: no room for a paging hint on SD.
        Kind::Places => h.extend([("1-9", "直达"), ("↑↓←→", "选择"), ("OK", "进入"), ("返回", "上一级")]),
        Kind::Search => {
            h.push(("0-9", "输入"));
            h.push(("←", "删除"));
            if any {
                h.extend([("↑↓", "选择"), ("OK", "打开")]);
            }
            h.push(("返回", "退出"));
        }
        Kind::List => {
            if any {
                h.extend([("↑↓", "选择"), ("OK", "阅读")]);
            }
            if paged {
                h.push(("←→", "翻页"));
            }
            h.push(("返回", "上一级"));
        }
        _ => {
            if any {
                h.extend([("↑↓←→", "选择"), ("OK", "进入")]);
            }
            if paged {
                h.push(("翻页键", "翻页"));
            }
            h.push(("返回", "上一级"));
        }
    }
    h
}

/// As many two-line result rows as fit the body below the lead lines.
fn search_rows(frame: &Frame, lead: &[(String, bool)]) -> usize {
    let g = frame.geo;
    let lead_h: f32 = lead_lines(frame, lead).iter().map(|(_, size, _)| line_box(*size)).sum();
    let row = line_box(g.row) + line_box(g.small) + g.gap as f32 / 2.0 + (g.gap + g.frame_w) as f32;
    (((g.body.h as f32 - lead_h - g.gap as f32 / 2.0) / row).floor() as usize).max(1)
}

/// The lead lines wrapped to the body's width, never cut: text, size, large.
fn lead_lines(frame: &Frame, lead: &[(String, bool)]) -> Vec<(String, f32, bool)> {
    let g = frame.geo;
    let width = g.body.w as f32 - 2.0 * g.frame_w as f32;
    let mut out = Vec::new();
    for (line, large) in lead {
        let (size, weight) = if *large { (g.item, Weight::Bold) } else { (g.small, Weight::Regular) };
        for l in super::text::wrap(frame.cx.fonts, &[(line.clone(), weight)], size, width, 0.0, false) {
            let text: String = l.pieces.iter().map(|p| p.text.as_str()).collect();
            out.push((text, size, *large));
        }
    }
    out
}

/// Draws the lead lines at the top of the body; the height they take.
fn lead(frame: &Frame, lines: &[(String, bool)], ops: &mut Vec<Op>) -> i32 {
    if lines.is_empty() {
        return 0;
    }
    let g = frame.geo;
    let t = frame.theme();
    let (x, mut y) = (g.body.x as f32 + g.frame_w as f32, g.body.y as f32);
    for (line, size, large) in lead_lines(frame, lines) {
        let (weight, color) = if large { (Weight::Bold, t.text) } else { (Weight::Regular, t.dim) };
        ops.push(frame.text(x, y, size, weight, color, &line));
        y += line_box(size);
    }
    (y - g.body.y as f32).ceil() as i32 + g.gap / 2
}

/// A search screen names only the keys it has: typing where digits type,
/// deleting where there is a digit to delete, else digits are page numbers
/// (查询暂不可用) and back leads up.
fn search_hints(spec: &Spec, hints: &mut Hints) {
    let has = |k: Key| spec.extra_keys.iter().any(|(key, _)| *key == k);
    if !has(Key::Digit(2)) {
        *hints = vec![("0-9", "页码"), ("返回", "上一级")];
    } else if !has(Key::Left) {
        hints.retain(|(k, _)| *k != "←");
    }
}

/// Where tile `i` of a page sits: a grid filling the body below `top`
/// (the lead lines) with even gaps.
fn tile_rect(frame: &Frame, spec: &Spec, i: usize, top: i32) -> Rect {
    let g = frame.geo;
    let (cols, rows) = (spec.columns as i32, spec.rows as i32);
    let (col, row) = ((i % spec.columns) as i32, (i / spec.columns) as i32);
    // Room for the focus frame around the outer tiles.
    let inset = g.frame_w;
    let area = Rect::new(g.body.x + inset, g.body.y + top + inset, g.body.w - 2 * inset, g.body.h - top - 2 * inset);
    let gap = g.gap + g.frame_w;
    let w = (area.w - gap * (cols - 1)) / cols;
    let full_h = (area.h - gap * (rows - 1)) / rows;
    // Lists keep rows at a comfortable height instead of stretching them.
    let h = if spec.kind == Kind::List { full_h.min((line_box(g.row) + g.row * 0.7) as i32) } else { full_h };
    let x = area.x + col * (w + gap);
    let y = area.y + row * (h + gap);
    Rect::new(x, y, w, h)
}

/// A tile in its plain or focused look.
fn tile_ops(frame: &Frame, kind: Kind, entry: &Entry, r: Rect, focused: bool) -> Vec<Op> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let (fill, fg, dim) = match (focused, kind) {
        (true, _) => (t.focus_fill, t.focus_text, t.focus_text.mix(t.focus_fill, 0.3)),
        (false, Kind::Home) => (entry.accent, t.text, t.text.mix(entry.accent, 0.25)),
        (false, Kind::Column) => (entry.accent.mix(t.background, 0.45), t.text, t.text.mix(t.background, 0.25)),
        (false, _) => (t.background.mix(t.text, 0.1), t.text, t.dim),
    };
    let mut ops = vec![Op::Fill { rect: r, color: fill, radius: g.radius }];
    let pad = g.gap as f32;
    let (x, y, w, h) = (r.x as f32, r.y as f32, r.w as f32, r.h as f32);
    match kind {
        Kind::Home => {
            let title_h = line_box(g.tile);
            let cap_h = line_box(g.small);
            let top = y + (h - title_h - cap_h) / 2.0;
            // Centred, but never under the number badge in the corner.
            let badge_end =
                entry.badge.as_ref().map_or(pad, |b| pad * 0.6 + fonts.measure(b, g.small, Weight::Bold) + pad * 0.3);
            let title = ellipsize(fonts, &entry.title, g.tile, Weight::Bold, w - badge_end - pad * 0.6);
            let tw = fonts.measure(&title, g.tile, Weight::Bold);
            let tx = (x + (w - tw) / 2.0).max(x + badge_end);
            ops.push(frame.text(tx, top, g.tile, Weight::Bold, fg, &title));
            let cap = ellipsize(fonts, &entry.caption, g.small, Weight::Regular, w - 2.0 * pad);
            let cw = fonts.measure(&cap, g.small, Weight::Regular);
            ops.push(frame.text(x + (w - cw) / 2.0, top + title_h, g.small, Weight::Regular, dim, &cap));
            if let Some(badge) = &entry.badge {
                ops.push(frame.text(x + pad * 0.6, y + pad * 0.3, g.small, Weight::Bold, dim, badge));
            }
        }
        Kind::Places => {
            // The place's number in a badge, its name, what it holds under it.
            let bh = line_box(g.small).round();
            let title_h = line_box(g.item);
            let cap_h = line_box(g.small);
            let top = y + (h - title_h - cap_h) / 2.0;
            let mut left = x + pad * 0.6;
            if let Some(badge) = &entry.badge {
                let bw = fonts.measure(badge, g.small, Weight::Bold) + pad * 0.6;
                let by = top + (title_h - bh) / 2.0;
                let rect = Rect::new(left as i32, by as i32, bw.ceil() as i32, bh as i32);
                ops.push(Op::Fill { rect, color: entry.accent, radius: g.radius / 2 });
                ops.push(frame.text(left + pad * 0.3, by, g.small, Weight::Bold, t.text, badge));
                left += bw + pad * 0.5;
            }
            let title = ellipsize(fonts, &entry.title, g.item, Weight::Bold, x + w - pad * 0.6 - left);
            ops.push(frame.text(left, top, g.item, Weight::Bold, fg, &title));
            let cap = ellipsize(fonts, &entry.caption, g.small, Weight::Regular, w - pad * 1.2);
            ops.push(frame.text(x + pad * 0.6, top + title_h, g.small, Weight::Regular, dim, &cap));
        }
        Kind::Search => ops.extend(search_tile(frame, entry, r, (fg, dim))),
        Kind::Column => {
            // An accent bar on the left edge marks the column's colour.
            let bar = Rect::new(r.x, r.y, g.frame_w, r.h);
            ops.push(Op::Fill { rect: bar, color: if focused { t.focus_frame } else { entry.accent }, radius: 0 });
            let title_h = line_box(g.item);
            let cap_h = line_box(g.small);
            let top = y + (h - title_h - cap_h) / 2.0;
            let left = x + pad * 1.4;
            let mut title_w = w - pad * 2.4;
            if let Some(badge) = &entry.badge {
                let bw = fonts.measure(badge, g.small, Weight::Bold);
                ops.push(frame.text_right(
                    x + w - pad,
                    top + (title_h - line_box(g.small)) / 2.0,
                    g.small,
                    Weight::Bold,
                    dim,
                    badge,
                ));
                title_w -= bw + pad;
            }
            let title = ellipsize(fonts, &entry.title, g.item, Weight::Bold, title_w);
            ops.push(frame.text(left, top, g.item, Weight::Bold, fg, &title));
            ops.push(frame.text(left, top + title_h, g.small, Weight::Regular, dim, &entry.caption));
        }
        _ => {
            let mut left = x + pad;
            let cap_w = fonts.measure(&entry.caption, g.small, Weight::Regular);
            if let Some(badge) = &entry.badge {
                let bw = fonts.measure(badge, g.small, Weight::Bold) + pad;
                let bh = line_box(g.small);
                let by = y + (h - bh) / 2.0;
                let badge_rect = Rect::new(left as i32, by as i32, bw as i32, bh as i32);
                ops.push(Op::Fill { rect: badge_rect, color: entry.accent, radius: g.radius / 2 });
                ops.push(frame.text(left + pad / 2.0, by, g.small, Weight::Bold, t.text, badge));
                left += bw + pad / 2.0;
            }
            let title_w = x + w - pad - cap_w - pad - left;
            let title = ellipsize(fonts, &entry.title, g.row, Weight::Regular, title_w);
            ops.push(frame.text(left, y + (h - line_box(g.row)) / 2.0, g.row, Weight::Regular, fg, &title));
            let cy = y + (h - line_box(g.small)) / 2.0;
            ops.push(frame.text_right(x + w - pad, cy, g.small, Weight::Regular, dim, &entry.caption));
        }
    }
    ops
}

/// A result of 查询: the title, the path under it, the page number at the right.
fn search_tile(frame: &Frame, entry: &Entry, r: Rect, (fg, dim): (Rgb, Rgb)) -> Vec<Op> {
    let g = frame.geo;
    let fonts = frame.cx.fonts;
    let pad = g.gap as f32;
    let (x, y, w, h) = (r.x as f32, r.y as f32, r.w as f32, r.h as f32);
    let mut ops = Vec::new();
    let left = x + pad;
    let title_h = line_box(g.row);
    let top = y + (h - title_h - line_box(g.small)) / 2.0;
    let mut title_w = w - 2.0 * pad;
    if let Some(badge) = &entry.badge {
        let by = top + (title_h - line_box(g.small)) / 2.0;
        ops.push(frame.text_right(x + w - pad, by, g.small, Weight::Bold, dim, badge));
        title_w -= fonts.measure(badge, g.small, Weight::Bold) + pad;
    }
    let title = ellipsize(fonts, &entry.title, g.row, Weight::Bold, title_w);
    ops.push(frame.text(left, top, g.row, Weight::Bold, fg, &title));
    let cap = ellipsize(fonts, &entry.caption, g.small, Weight::Regular, w - 2.0 * pad);
    ops.push(frame.text(left, top + title_h, g.small, Weight::Regular, dim, &cap));
    ops
}

/// The keys of tile `i` on page `page`.
fn keys_for(
    spec: &Spec,
    page: usize,
    pages: usize,
    i: usize,
    n: usize,
    per_page: usize,
    entry: &Entry,
) -> BTreeMap<Key, Target> {
    let c = spec.columns;
    let at = |p: usize, f: usize| Target::new(page_id(&spec.base, p), f);
    let count_on = |p: usize| spec.entries.len().saturating_sub(p * per_page).min(per_page);
    let mut keys = BTreeMap::new();
    keys.insert(Key::Ok, entry.target.clone());
    if let Some(parent) = &spec.parent {
        keys.insert(Key::Back, parent.clone());
    }
    if i >= c {
        keys.insert(Key::Up, at(page, i - c));
    } else if page > 0 {
        let prev = count_on(page - 1);
        keys.insert(Key::Up, at(page - 1, ((prev - 1) / c * c + i % c).min(prev - 1)));
    }
    if i + c < n {
        keys.insert(Key::Down, at(page, i + c));
    } else if i / c < (n - 1) / c {
        keys.insert(Key::Down, at(page, n - 1));
    } else if page + 1 < pages {
        keys.insert(Key::Down, at(page + 1, (i % c).min(count_on(page + 1) - 1)));
    }
    if c > 1 {
        if !i.is_multiple_of(c) {
            keys.insert(Key::Left, at(page, i - 1));
        }
        if i % c < c - 1 && i + 1 < n {
            keys.insert(Key::Right, at(page, i + 1));
        }
    } else {
        if page > 0 {
            keys.insert(Key::Left, at(page - 1, 0));
        }
        if page + 1 < pages {
            keys.insert(Key::Right, at(page + 1, 0));
        }
    }
    if page > 0 {
        keys.insert(Key::PageUp, at(page - 1, 0));
    }
    if page + 1 < pages {
        keys.insert(Key::PageDown, at(page + 1, 0));
    }
    for (k, t) in &spec.extra_keys {
        keys.insert(*k, t.clone());
    }
    keys
}
