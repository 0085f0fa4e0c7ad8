//! Articles: title, date and body set in lines and paged into screens.

use crate::config::Rgb;
use std::sync::Arc;

use crate::content::{Block, Body, Doc, ImageData};
use crate::fonts::Weight;

use super::frame::{line_box, offset, page_label, paging_keys, Frame};
use super::text::{ellipsize, wrap, Line};
use super::{page_id, screen_id, Kind, Op, Rect, Screen, Target, TextRun};

/// A unit of vertical space: lines and the gaps between paragraphs.
struct Row {
    height: f32,
    /// Ops relative to the row's top-left at (body.x, 0).
    ops: Vec<Op>,
    /// A heading stays with the row after it.
    keep_with_next: bool,
    /// A picture, which may shrink to the room left on a page.
    picture: Option<(Arc<ImageData>, String)>,
    /// A table's header, drawn again above this row when it opens a page.
    repeat: Option<Arc<(f32, Vec<Op>)>>,
}

impl Row {
    fn new(height: f32, ops: Vec<Op>) -> Row {
        Row { height, ops, keep_with_next: false, picture: None, repeat: None }
    }

    fn gap(height: f32, keep_with_next: bool) -> Row {
        Row { keep_with_next, ..Row::new(height, Vec::new()) }
    }
}

/// The screens of one article: one per page.
pub fn screens(frame: &Frame, article: &Doc, crumbs: &[String], back: Target, accent: Rgb) -> Vec<Screen> {
    let g = frame.geo;
    let t = frame.theme();
    let width = g.body.w as f32;
    let base = screen_id("a", &article.key);

    let mut head: Vec<Row> = Vec::new();
    for line in wrap(frame.cx.fonts, &[(article.title.clone(), Weight::Bold)], g.article_title, width, 0.0, false) {
        head.push(text_row(line, g.article_title, line_box(g.article_title), t.text, 0.0));
    }
    let mut meta = String::new();
    if let Some(date) = article.date {
        meta.push_str(&date.format("%Y年%m月%d日").to_string());
        meta.push('\u{3000}');
    }
    meta.push_str(&crumbs.join(" · "));
    // A village's path is long: the line ends with an ellipsis rather than past the safe area.
    let meta = ellipsize(frame.cx.fonts, &meta, g.small, Weight::Regular, width);
    head.push(Row {
        height: line_box(g.small) + g.gap as f32,
        ops: vec![
            frame.text(0.0, 0.0, g.small, Weight::Regular, t.dim, &meta),
            Op::Fill {
                rect: Rect::new(0, (line_box(g.small) + g.gap as f32 / 2.0 - 2.0) as i32, g.body.w, 2),
                color: accent,
                radius: 0,
            },
        ],
        keep_with_next: true,
        picture: None,
        repeat: None,
    });
    let blocks: &[Block] = match &article.body {
        Body::Text(blocks) => blocks.as_slice(),
        Body::Table(_) | Body::Poll(_) => &[],
    };
    let mut body_rows = body_rows(frame, blocks, width, accent);
    if let Some(row) = article.qr.as_deref().and_then(|url| qr_row(frame, url, width)) {
        body_rows.push(row);
    }

    // Fill pages: the head on the first only, a running title on the others.
    let running = ellipsize(frame.cx.fonts, &article.title, g.small, Weight::Regular, width);
    let running_h = line_box(g.small) + g.gap as f32 / 2.0;
    let pages = fill_pages(frame, head, body_rows, running_h);
    let count = pages.len();
    let mut out = Vec::with_capacity(count);
    for (p, rows) in pages.into_iter().enumerate() {
        let hints =
            if count > 1 { vec![("←→", "翻页"), ("返回", "上一级")] } else { vec![("返回", "上一级")] };
        let mut ops = frame.chrome(crumbs, accent, &hints, page_label(p + 1, count, "页"));
        if p > 0 {
            ops.push(frame.text(g.body.x as f32, g.body.y as f32, g.small, Weight::Regular, t.dim, &running));
        }
        for (top, row) in rows {
            for op in row.ops {
                ops.push(offset(op, g.body.x as f32, g.body.y as f32 + top));
            }
        }
        let keys = paging_keys(&base, p, count, &back);
        out.push(Screen::page(page_id(&base, p), Kind::Article, &article.title, &back, ops, keys));
    }
    out
}

/// Rows onto pages: the head on the first; a heading kept with what follows;
/// a picture shrunk into the room left; a table's header drawn again above
/// its rows on a new page; paragraph gaps never opening one.
fn fill_pages(frame: &Frame, head: Vec<Row>, body_rows: Vec<Row>, running_h: f32) -> Vec<Vec<(f32, Row)>> {
    let g = frame.geo;
    let width = g.body.w as f32;
    let mut pages: Vec<Vec<(f32, Row)>> = Vec::new();
    let mut page: Vec<(f32, Row)> = Vec::new();
    let mut y = 0.0;
    for row in head {
        y += row.height;
        page.push((y - row.height, row));
    }
    let mut rows = body_rows.into_iter().peekable();
    while let Some(mut row) = rows.next() {
        // A picture that does not fit shrinks into the room left, down to a
        // third of the body, rather than leaving a page half empty.
        if let Some((image, caption)) = row.picture.clone() {
            let room = g.body.h as f32 - y;
            if row.height > room && room >= g.body.h as f32 * 0.33 {
                row = picture_row(frame, &image, &caption, width, room);
            }
        }
        let mut need = row.height;
        if row.keep_with_next {
            need += rows.peek().map_or(0.0, |r| r.height);
        }
        let fits = y + need <= g.body.h as f32;
        if !fits && !page.is_empty() && y > running_h {
            pages.push(std::mem::take(&mut page));
            y = running_h;
            // Paragraph gaps never open a page.
            if row.ops.is_empty() {
                continue;
            }
            // A table's rows go on under its header, drawn again.
            if let Some(header) = &row.repeat {
                page.push((y, Row::new(header.0, header.1.clone())));
                y += header.0;
            }
        }
        y += row.height;
        page.push((y - row.height, row));
    }
    if !page.is_empty() {
        pages.push(page);
    }
    pages
}

/// The phone hand-off after the text: the code at the left, what it is for
/// beside it. `None` when the address is too long for a code on this screen.
fn qr_row(frame: &Frame, url: &str, width: f32) -> Option<Row> {
    let g = frame.geo;
    let t = frame.theme();
    let qr = super::qr::Qr::encode(url)?;
    let room = (g.body.h as f32 * 0.6) as i32;
    let module = qr.module_for(room)?;
    let side = qr.side(module);
    let top = g.gap;
    let mut ops = qr.ops(0, top, module);
    let x = (side + g.gap * 2) as f32;
    let text_w = width - x;
    let mut y = top as f32 + g.gap as f32;
    let fonts = frame.cx.fonts;
    let head = ellipsize(fonts, "用手机扫描二维码", g.item, Weight::Bold, text_w);
    ops.push(frame.text(x, y, g.item, Weight::Bold, t.text, &head));
    y += line_box(g.item);
    for line in super::text::wrap_at_most(fonts, "在手机上继续办理、查看详情", Weight::Regular, g.row, text_w, 2)
    {
        let s: String = line.pieces.iter().map(|p| p.text.as_str()).collect();
        ops.push(frame.text(x, y, g.row, Weight::Regular, t.text, &s));
        y += line_box(g.row);
    }
    y += g.gap as f32 / 2.0;
    let shown = ellipsize(frame.cx.fonts, url, g.small, Weight::Regular, text_w);
    ops.push(frame.text(x, y, g.small, Weight::Regular, t.dim, &shown));
    Some(Row::new((side + top) as f32, ops))
}

fn body_rows(frame: &Frame, blocks: &[Block], width: f32, accent: Rgb) -> Vec<Row> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let size = g.body_size;
    let para_gap = (g.body_line - line_box(size)).max(0.0) / 2.0;
    let mut rows = Vec::new();
    for block in blocks {
        let runs: Vec<(String, Weight)> = block
            .spans()
            .iter()
            .map(|s| (s.text.clone(), if s.strong { Weight::Bold } else { Weight::Regular }))
            .collect();
        match block {
            Block::Picture { .. } => {}
            Block::Image { image, caption } => {
                rows.push(picture_row(frame, image, caption, width, g.body.h as f32 * 0.62));
            }
            Block::Table(table) => {
                let (above, laid, below) = super::table::in_text(frame, table, accent);
                rows.push(Row::gap(para_gap, true));
                for (h, ops) in above {
                    rows.push(Row { keep_with_next: true, ..Row::new(h, ops) });
                }
                let header = Arc::new(laid.header);
                rows.push(Row { keep_with_next: true, ..Row::new(header.0, header.1.clone()) });
                for (h, ops) in laid.rows {
                    rows.push(Row { repeat: Some(header.clone()), ..Row::new(h, ops) });
                }
                for (h, ops) in below {
                    rows.push(Row::new(h, ops));
                }
                rows.push(Row::gap(para_gap, false));
            }
            Block::Heading(_) => {
                rows.push(Row::gap(para_gap, true));
                let runs: Vec<_> = runs.into_iter().map(|(s, _)| (s, Weight::Bold)).collect();
                for line in wrap(fonts, &runs, g.heading, width, 0.0, false) {
                    let mut row = text_row(line, g.heading, g.body_line, t.text, 0.0);
                    row.keep_with_next = true;
                    rows.push(row);
                }
            }
            Block::Paragraph(_) => {
                // Two full-width spaces of indent, as Chinese paragraphs are set.
                let indent = 2.0 * fonts.advance('\u{3000}', size, Weight::Regular);
                for (i, line) in wrap(fonts, &runs, size, width, indent, true).into_iter().enumerate() {
                    let x = if i == 0 { indent } else { 0.0 };
                    rows.push(text_row(line, size, g.body_line, t.text, x));
                }
                rows.push(Row::gap(para_gap, false));
            }
            Block::Item { marker, .. } => {
                let hang = fonts.advance('\u{3000}', size, Weight::Regular) * 1.5;
                for (i, line) in wrap(fonts, &runs, size, width - hang, 0.0, true).into_iter().enumerate() {
                    let mut row = text_row(line, size, g.body_line, t.text, hang);
                    if i == 0 {
                        row.ops.push(frame.text(hang * 0.2, 0.0, size, Weight::Bold, t.focus_frame, marker));
                        if let Some(Op::Text(run)) = row.ops.last_mut() {
                            run.h = g.body_line;
                        }
                    }
                    rows.push(row);
                }
            }
        }
    }
    while rows.last().is_some_and(|r| r.ops.is_empty()) {
        rows.pop();
    }
    rows
}

/// A picture scaled to the measure and at most `max_h` tall (caption included).
fn picture_row(frame: &Frame, image: &Arc<ImageData>, caption: &str, width: f32, max_h: f32) -> Row {
    let g = frame.geo;
    let fonts = frame.cx.fonts;
    let para_gap = (g.body_line - line_box(g.body_size)).max(0.0) / 2.0;
    let cap_h = if caption.is_empty() { 0.0 } else { line_box(g.small) };
    let fit_h = (max_h - cap_h - 2.0 * para_gap).max(1.0);
    let scale = (width / image.width as f32).min(fit_h / image.height as f32).min(2.0);
    let (w, h) = ((image.width as f32 * scale).floor(), (image.height as f32 * scale).floor());
    let x = ((width - w) / 2.0).round() as i32;
    let mut ops = vec![Op::Image { rect: Rect::new(x, para_gap as i32, w as i32, h as i32), image: image.clone() }];
    let mut height = h + para_gap;
    if !caption.is_empty() {
        let cap = ellipsize(fonts, caption, g.small, Weight::Regular, width);
        let cw = fonts.measure(&cap, g.small, Weight::Regular);
        ops.push(frame.text((width - cw) / 2.0, height, g.small, Weight::Regular, frame.theme().dim, &cap));
        height += cap_h;
    }
    Row { picture: Some((image.clone(), caption.to_string())), ..Row::new(height + para_gap, ops) }
}

fn text_row(line: Line, size: f32, height: f32, color: Rgb, x: f32) -> Row {
    let ops = line
        .pieces
        .into_iter()
        .map(|p| {
            Op::Text(TextRun {
                x: x + p.x,
                y: 0.0,
                w: p.w,
                h: height,
                size,
                weight: p.weight,
                color,
                spacing: p.spacing,
                text: p.text,
                body: true,
            })
        })
        .collect();
    Row::new(height, ops)
}
