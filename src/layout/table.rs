//! Tables: columns sized to their content, long cells wrapped, numbers
//! right-aligned, rows paged with the header repeated on every page.

use crate::config::Rgb;
use crate::content::{Doc, Table};
use crate::fonts::Weight;

use super::article::paging_keys;
use super::frame::{line_box, page_label, Frame};
use super::text::{ellipsize, wrap_at_most, Line};
use super::{page_id, screen_id, Kind, Op, Rect, Screen, TextRun};

/// One laid-out row: its height and each cell's lines.
struct Row {
    height: f32,
    cells: Vec<Vec<Line>>,
}

/// The screens of one table document.
pub fn screens(
    frame: &Frame,
    doc: &Doc,
    table: &Table,
    crumbs: &[String],
    back: super::Target,
    accent: Rgb,
) -> Vec<Screen> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let size = g.table;
    let pad_x = (size * 0.32).round();
    let pad_y = (size * 0.15).round();
    let lh = line_box(size);
    let ncols = table.header.len().max(1);
    let numeric: Vec<bool> = (0..ncols).map(|c| table.numeric(c)).collect();
    let widths = column_widths(frame, table, &numeric, size, pad_x);

    // A cell longer than a whole page can show is cut, with an ellipsis.
    let lay_row = |cells: &[String], weight: Weight, max_lines: usize| -> Row {
        let lines: Vec<Vec<Line>> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                // Numbers never wrap: their column is sized to the widest.
                // Two pixels of the padding absorb rounding of measured widths.
                let inner = if numeric[c] && weight == Weight::Regular { f32::MAX } else { w - 2.0 * pad_x + 2.0 };
                wrap_at_most(fonts, cell, weight, size, inner, max_lines)
            })
            .collect();
        let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        Row { height: n as f32 * lh + 2.0 * pad_y, cells: lines }
    };
    let title_h = line_box(g.item) + g.gap as f32 / 2.0;
    let page_lines = (((g.body.h as f32 - title_h - 2.0 * pad_y) / lh).floor() as usize).max(2);
    let header = lay_row(&table.header, Weight::Bold, (page_lines / 3).max(1));
    let room = g.body.h as f32 - title_h - header.height;
    let row_lines = (((room - 2.0 * pad_y) / lh).floor() as usize).max(1);
    let rows: Vec<Row> = table.rows.iter().map(|r| lay_row(r, Weight::Regular, row_lines)).collect();

    // Fill pages below the title and the repeated header.
    let mut pages: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0.0;
    for (i, row) in rows.iter().enumerate() {
        let last = pages.last_mut().expect("pages starts with one page");
        if used + row.height > room && !last.is_empty() {
            pages.push(Vec::new());
            used = 0.0;
        }
        used += row.height;
        pages.last_mut().expect("just pushed").push(i);
    }

    let base = screen_id("a", &doc.key);
    let count = pages.len();
    let (x0, y0) = (g.body.x as f32, g.body.y as f32);
    let mut out = Vec::with_capacity(count);
    for (p, page) in pages.iter().enumerate() {
        let hints =
            if count > 1 { vec![("←→", "翻页"), ("返回", "上一级")] } else { vec![("返回", "上一级")] };
        let mut ops = frame.chrome(crumbs, accent, &hints, page_label(p + 1, count, "页"));
        let title = if p == 0 { doc.title.clone() } else { format!("{}（续）", doc.title) };
        let title = ellipsize(fonts, &title, g.item, Weight::Bold, g.body.w as f32);
        ops.push(frame.text(x0, y0, g.item, Weight::Bold, t.text, &title));
        let mut y = y0 + title_h;
        let header_fill = accent.mix(t.background, 0.2);
        draw_row(&mut ops, &header, &widths, &numeric, x0, y, header_fill, t.text, size, pad_x, pad_y);
        y += header.height;
        for (n, &i) in page.iter().enumerate() {
            let fill = if n % 2 == 0 { t.background.mix(t.text, 0.06) } else { t.background.mix(t.text, 0.13) };
            draw_row(&mut ops, &rows[i], &widths, &numeric, x0, y, fill, t.text, size, pad_x, pad_y);
            y += rows[i].height;
        }
        out.push(Screen::page(
            page_id(&base, p),
            Kind::Table,
            &doc.title,
            &back,
            ops,
            paging_keys(&base, p, count, &back),
        ));
    }
    out
}

/// Widths that fit the body. Columns get their natural width (widest cell
/// on one line) when everything fits, with the slack going to text columns.
/// Otherwise each starts from a minimum — a number column its widest number
/// (numbers never wrap), a text column its longest word or date and at least
/// two characters — and the remaining room is shared max-min fairly.
fn column_widths(frame: &Frame, table: &Table, numeric: &[bool], size: f32, pad_x: f32) -> Vec<f32> {
    let fonts = frame.cx.fonts;
    let avail = frame.geo.body.w as f32;
    let n = table.header.len().max(1);
    let cell_w = |c: usize| table.rows.iter().map(|r| fonts.measure(&r[c], size, Weight::Regular)).fold(0.0, f32::max);
    let natural: Vec<f32> =
        (0..n).map(|c| fonts.measure(&table.header[c], size, Weight::Bold).max(cell_w(c)) + 2.0 * pad_x).collect();
    let total: f32 = natural.iter().sum();
    let mut widths = natural.clone();
    if total <= avail {
        let texty: Vec<usize> = (0..n).filter(|&c| !numeric[c]).collect();
        let grow: Vec<usize> = if texty.is_empty() { (0..n).collect() } else { texty };
        let extra = (avail - total) / grow.len() as f32;
        for &c in &grow {
            widths[c] += extra;
        }
        return widths.iter().map(|w| w.floor()).collect();
    }
    let min: Vec<f32> = (0..n)
        .map(|c| {
            // Numbers never wrap; text keeps two characters and its longest
            // Latin word, time or date whole.
            let word = table
                .rows
                .iter()
                .flat_map(|r| r[c].split(|ch: char| ch.is_whitespace() || ch as u32 >= 0x2E80))
                .map(|w| fonts.measure(w, size, Weight::Regular))
                .fold(0.0, f32::max);
            let head = fonts.measure(&table.header[c], size, Weight::Bold).min(2.0 * size);
            let floor = if numeric[c] { cell_w(c).max(head) } else { (2.0 * size).max(word) } + 2.0 * pad_x + 1.0;
            floor.min(natural[c])
        })
        .collect();
    let min_total: f32 = min.iter().sum();
    if min_total >= avail {
        return min.iter().map(|m| (m * avail / min_total).floor()).collect();
    }
    // Max-min fair sharing: columns that want little get all of it, so short
    // names stay on one line, and the long texts share what is left equally.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| (natural[a] - min[a]).total_cmp(&(natural[b] - min[b])));
    let mut remaining = avail - min_total;
    for (k, &c) in order.iter().enumerate() {
        let fair = remaining / (n - k) as f32;
        let give = (natural[c] - min[c]).min(fair);
        widths[c] = min[c] + give;
        remaining -= give;
    }
    widths.iter().map(|w| w.floor()).collect()
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    ops: &mut Vec<Op>,
    row: &Row,
    widths: &[f32],
    numeric: &[bool],
    x0: f32,
    y: f32,
    fill: Rgb,
    color: Rgb,
    size: f32,
    pad_x: f32,
    pad_y: f32,
) {
    let total: f32 = widths.iter().sum();
    ops.push(Op::Fill {
        rect: Rect::new(x0 as i32, y as i32, total as i32, row.height.ceil() as i32),
        color: fill,
        radius: 0,
    });
    let lh = line_box(size);
    let mut x = x0;
    for (c, lines) in row.cells.iter().enumerate() {
        for (l, line) in lines.iter().enumerate() {
            let inner = widths[c] - 2.0 * pad_x;
            let lx = if numeric[c] { x + pad_x + inner - line.width } else { x + pad_x };
            for piece in &line.pieces {
                ops.push(Op::Text(TextRun {
                    x: lx + piece.x,
                    y: y + pad_y + l as f32 * lh,
                    w: piece.w,
                    h: lh,
                    size,
                    weight: piece.weight,
                    color,
                    spacing: 0.0,
                    text: piece.text.clone(),
                    body: true,
                }));
            }
        }
        x += widths[c];
    }
}
