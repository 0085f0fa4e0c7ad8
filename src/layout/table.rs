//! Tables: columns sized to their content, long cells wrapped, numbers
//! right-aligned, rows paged with the header repeated on every page.

use crate::config::Rgb;
use crate::content::{Doc, Table};
use crate::fonts::Weight;

use super::article::paging_keys;
use super::frame::{line_box, page_label, Frame};
use super::text::{ellipsize, wrap, Line};
use super::{page_id, screen_id, Kind, Op, Rect, Screen, State, TextRun};

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
    let pad_x = (size * 0.45).round();
    let pad_y = (size * 0.2).round();
    let lh = line_box(size);
    let ncols = table.header.len().max(1);
    let numeric: Vec<bool> = (0..ncols).map(|c| table.numeric(c)).collect();
    let widths = column_widths(frame, table, &numeric, size, pad_x);

    let lay_row = |cells: &[String], weight: Weight| -> Row {
        let lines: Vec<Vec<Line>> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, w)| wrap(fonts, &[(cell.clone(), weight)], size, w - 2.0 * pad_x, 0.0, false))
            .collect();
        let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
        Row { height: n as f32 * lh + 2.0 * pad_y, cells: lines }
    };
    let header = lay_row(&table.header, Weight::Bold);
    let rows: Vec<Row> = table.rows.iter().map(|r| lay_row(r, Weight::Regular)).collect();

    // Fill pages below the title and the repeated header.
    let title_h = line_box(g.item) + g.gap as f32 / 2.0;
    let room = g.body.h as f32 - title_h - header.height;
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
        out.push(Screen {
            id: page_id(&base, p),
            kind: Kind::Table,
            title: doc.title.clone(),
            parent: Some(back.screen.clone()),
            number: None,
            ops,
            states: vec![State { focus: None, keys: paging_keys(&base, p, count, &back) }],
        });
    }
    out
}

/// Widths that fit the body: natural widths when they fit (slack to text
/// columns); otherwise numbers keep theirs and text columns share the rest.
fn column_widths(frame: &Frame, table: &Table, numeric: &[bool], size: f32, pad_x: f32) -> Vec<f32> {
    let fonts = frame.cx.fonts;
    let avail = frame.geo.body.w as f32;
    let n = table.header.len().max(1);
    let natural: Vec<f32> = (0..n)
        .map(|c| {
            let head = fonts.measure(&table.header[c], size, Weight::Bold);
            let body = table.rows.iter().map(|r| fonts.measure(&r[c], size, Weight::Regular)).fold(0.0, f32::max);
            head.max(body) + 2.0 * pad_x
        })
        .collect();
    let total: f32 = natural.iter().sum();
    let texty: Vec<usize> = (0..n).filter(|&c| !numeric[c]).collect();
    let grow: Vec<usize> = if texty.is_empty() { (0..n).collect() } else { texty };
    let mut widths = natural.clone();
    if total <= avail {
        let extra = (avail - total) / grow.len() as f32;
        for &c in &grow {
            widths[c] += extra;
        }
    } else {
        let fixed: f32 = (0..n).filter(|c| !grow.contains(c)).map(|c| natural[c]).sum();
        let min = 2.0 * size + 2.0 * pad_x;
        let share = (avail - fixed).max(min * grow.len() as f32);
        let grow_total: f32 = grow.iter().map(|&c| natural[c]).sum();
        for &c in &grow {
            widths[c] = (natural[c] / grow_total * share).max(min);
        }
        // Still too wide (many number columns): scale everything to fit.
        let sum: f32 = widths.iter().sum();
        if sum > avail {
            for w in &mut widths {
                *w *= avail / sum;
            }
        }
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
                }));
            }
        }
        x += widths[c];
    }
}
