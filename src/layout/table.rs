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
    /// The columns moved under the row, labelled, across the whole width.
    under: Vec<Line>,
}

/// How a table fits a profile's width.
struct Fit {
    /// The text size of the cells.
    size: f32,
    widths: Vec<f32>,
    /// Columns drawn on lines under their row rather than in it.
    detail: Vec<usize>,
    /// The header as drawn (a shortened date column names its year).
    header: Vec<String>,
    /// The cells as drawn.
    table: Table,
    /// The year of a date column shortened to month and day, for the title.
    year: Option<String>,
}

/// Fits a table to the body's width, as a TV designer would on a narrow
/// screen: first every column on one line, at the table size and then a
/// step smaller down to the legibility floor, dates of one year shortened
/// to month and day, headers on up to two lines; failing that, the widest
/// text columns move under their row, labelled; failing that too, the
/// columns share the width and long cells wrap.
// Long: the four ways to fit share the measuring closures; apart they would
// pass the table, the sizes and the floor back and forth.
fn fit(frame: &Frame, table: &Table, numeric: &[bool]) -> Fit {
    let g = frame.geo;
    let fonts = frame.cx.fonts;
    let avail = g.body.w as f32;
    let (floor, _) = super::frame::floors(frame.cx.profile);
    let n = table.header.len().max(1);
    let natural = |t: &Table, size: f32, c: usize| {
        let cells = t.rows.iter().map(|r| fonts.measure(&r[c], size, Weight::Regular)).fold(0.0, f32::max);
        cells.max(two_lines(fonts, &t.header[c], size)) + 2.0 * pad_of(size) + 1.0
    };
    // The slack goes first to headers that would wrap, so they take one
    // line, then to the text columns.
    let spread = |mut widths: Vec<f32>, keep: &[usize], t: &Table, size: f32| {
        let mut slack = avail - keep.iter().map(|&c| widths[c]).sum::<f32>();
        for &c in keep {
            let one_line = fonts.measure(&t.header[c], size, Weight::Bold).ceil() + 2.0 * pad_of(size) + 2.0;
            let give = (one_line - widths[c]).clamp(0.0, slack.max(0.0));
            widths[c] += give;
            slack -= give;
        }
        let texty: Vec<usize> = keep.iter().copied().filter(|&c| !numeric[c]).collect();
        let grow = if texty.is_empty() { keep.to_vec() } else { texty };
        let extra = slack.max(0.0) / grow.len().max(1) as f32;
        for &c in &grow {
            widths[c] += extra;
        }
        widths.iter().map(|w| w.floor()).collect::<Vec<f32>>()
    };
    let all: Vec<usize> = (0..n).collect();
    let whole = |t: &Table, year: Option<String>, size: f32, widths: Vec<f32>, detail: Vec<usize>| Fit {
        size,
        widths,
        detail,
        header: t.header.clone(),
        table: t.clone(),
        year,
    };
    // 1. As it is, at the table size.
    let widths: Vec<f32> = (0..n).map(|c| natural(table, g.table, c)).collect();
    if widths.iter().sum::<f32>() <= avail {
        return whole(table, None, g.table, spread(widths, &all, table, g.table), Vec::new());
    }
    // 2. Dates shortened, a step smaller at a time down to the floor.
    let (short, _, year) = short_dates(table);
    let mut size = g.table;
    while size >= floor {
        let widths: Vec<f32> = (0..n).map(|c| natural(&short, size, c)).collect();
        if widths.iter().sum::<f32>() <= avail {
            return whole(&short, year, size, spread(widths, &all, &short, size), Vec::new());
        }
        size -= 2.0;
    }
    let under_the_row = |t: &Table, year: Option<String>, size: f32| -> Option<Fit> {
        let natural_w: Vec<f32> = (0..n).map(|c| natural(t, size, c)).collect();
        let mut texts: Vec<usize> = (0..n).filter(|&c| !numeric[c]).collect();
        texts.sort_by(|&a, &b| natural_w[b].total_cmp(&natural_w[a]));
        let mut detail: Vec<usize> = Vec::new();
        for c in texts {
            if detail.len() + 1 >= n {
                break;
            }
            detail.push(c);
            let keep: Vec<usize> = (0..n).filter(|k| !detail.contains(k)).collect();
            if keep.iter().map(|&k| natural_w[k]).sum::<f32>() <= avail {
                detail.sort_unstable();
                let mut widths = natural_w.clone();
                for &d in &detail {
                    widths[d] = 0.0;
                }
                return Some(whole(t, year, size, spread(widths, &keep, t, size), detail));
            }
        }
        None
    };
    // 3. Or the columns share the width and long cells wrap; or text
    // columns, widest first, move under the row until the rest fit. The
    // first, from the largest size down, to show five rows a page; failing
    // that, the one showing the most.
    let mut best: Option<(f32, Fit)> = None;
    let mut size = g.table;
    while size >= floor {
        let widths = column_widths(frame, table, &table.header, numeric, size, pad_of(size));
        let shared = whole(table, None, size, widths, Vec::new());
        for fit in std::iter::once(shared).chain(under_the_row(&short, year.clone(), size)) {
            let per_page = rows_per_page(frame, &fit, numeric);
            if per_page >= ROWS_A_PAGE {
                return fit;
            }
            if best.as_ref().is_none_or(|(b, _)| per_page > *b) {
                best = Some((per_page, fit));
            }
        }
        size -= 2.0;
    }
    match best {
        Some((_, fit)) => fit,
        None => {
            let widths = column_widths(frame, table, &table.header, numeric, g.table, pad_of(g.table));
            whole(table, None, g.table, widths, Vec::new())
        }
    }
}

/// Rows a table page should show at least, where the table allows.
const ROWS_A_PAGE: f32 = 5.0;

/// About how many rows a page of `fit` shows: the body below the header,
/// over a row's lines (its tallest cell, and the lines under it) on average.
fn rows_per_page(frame: &Frame, fit: &Fit, numeric: &[bool]) -> f32 {
    let g = frame.geo;
    let fonts = frame.cx.fonts;
    let lh = line_box(fit.size);
    let pad = 2.0 * pad_of(fit.size);
    let full: f32 = fit.widths.iter().sum::<f32>() - pad;
    let lines = |text: &str, w: f32| (fonts.measure(text, fit.size, Weight::Regular) / w.max(1.0)).ceil().max(1.0);
    let total: f32 = fit
        .table
        .rows
        .iter()
        .map(|r| {
            let main = (0..r.len())
                .filter(|c| !fit.detail.contains(c) && !numeric[*c])
                .map(|c| lines(&r[c], fit.widths[c] - pad))
                .fold(1.0, f32::max);
            let under: String = fit.detail.iter().map(|&c| format!("{}：{}\u{3000}", fit.header[c], r[c])).collect();
            main + if fit.detail.is_empty() { 0.0 } else { lines(&under, full) }
        })
        .sum();
    let per_row = total / fit.table.rows.len().max(1) as f32 * lh + 2.0 * pad_y_of(fit.size, !fit.detail.is_empty());
    // Below the title (in the path when rows have lines under them) and a
    // header of one or two lines.
    let title = if fit.detail.is_empty() { line_box(g.item) + g.gap as f32 / 2.0 } else { 0.0 };
    let header_lines = (0..fit.header.len())
        .filter(|c| !fit.detail.contains(c))
        .map(|c| lines_bold(fonts, &fit.header[c], fit.size, fit.widths[c] - pad))
        .fold(1.0, f32::max);
    let header = header_lines * lh + 2.0 * pad_y_of(fit.size, !fit.detail.is_empty());
    (g.body.h as f32 - title - header) / per_row
}

/// Lines of a bold header over `w`, at most two.
fn lines_bold(fonts: &crate::fonts::Fonts, text: &str, size: f32, w: f32) -> f32 {
    (fonts.measure(text, size, Weight::Bold) / w.max(1.0)).ceil().clamp(1.0, 2.0)
}

/// Room above and below a row's text: less when rows have lines under
/// them, whose alternating fills already set rows apart.
fn pad_y_of(size: f32, under: bool) -> f32 {
    (size * if under { 0.05 } else { 0.15 }).round()
}

/// Room left and right of a cell's text.
fn pad_of(size: f32) -> f32 {
    (size * 0.28).round()
}

/// The width a header needs on at most two lines: split before its
/// bracket (`间隔` / `（分钟）`), else after its first half.
fn two_lines(fonts: &crate::fonts::Fonts, text: &str, size: f32) -> f32 {
    let w = |s: &str| fonts.measure(s, size, Weight::Bold);
    let chars: Vec<char> = text.chars().collect();
    // A short header (单位, 经办人) stays on one line: a character a line reads badly.
    if chars.len() <= 3 {
        return w(text).ceil() + 1.0;
    }
    let at = chars.iter().position(|c| *c == '（' || *c == '(').filter(|&i| i > 0).unwrap_or(chars.len().div_ceil(2));
    let (a, b): (String, String) = (chars[..at].iter().collect(), chars[at..].iter().collect());
    w(&a).max(w(&b)).ceil() + 1.0
}

/// A column of dates of one year shows month and day, the title the year:
/// `2026-07-13` becomes `07-13`, and the title says 2026年.
fn short_dates(table: &Table) -> (Table, Vec<String>, Option<String>) {
    let mut out = table.clone();
    let header = table.header.clone();
    let mut years: Vec<String> = Vec::new();
    for c in 0..header.len() {
        let mut year: Option<&str> = None;
        let mut any = false;
        let dated = table.rows.iter().all(|r| {
            let cell = r[c].trim();
            if cell.is_empty() {
                return true;
            }
            let b = cell.as_bytes();
            let ok = b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && cell.bytes().enumerate().all(|(i, x)| i == 4 || i == 7 || x.is_ascii_digit());
            any |= ok;
            ok && *year.get_or_insert(&cell[..4]) == &cell[..4]
        });
        if let (true, true, Some(y)) = (dated, any, year) {
            years.push(y.to_string());
            for row in &mut out.rows {
                if row[c].trim().len() == 10 {
                    row[c] = row[c].trim()[5..].to_string();
                }
            }
        }
    }
    years.dedup();
    let year = (years.len() == 1).then(|| years[0].clone());
    (out, header, year)
}

/// The screens of one table document.
// Long: the row layout and the page fill share the fit's sizes and widths;
// apart they would pass eight values back and forth.
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
    let ncols = table.header.len().max(1);
    let numeric: Vec<bool> = (0..ncols).map(|c| table.numeric(c)).collect();
    let fit = fit(frame, table, &numeric);
    let Fit { size, widths, detail, .. } = &fit;
    let size = *size;
    let table = &fit.table;
    let pad_x = pad_of(size);
    let pad_y = pad_y_of(size, !detail.is_empty());
    let lh = line_box(size);
    let full_w: f32 = widths.iter().sum();

    // A cell longer than a whole page can show is cut, with an ellipsis.
    // Columns moved under the row are drawn there, labelled, full width.
    let lay_row = |cells: &[String], weight: Weight, max_lines: usize| -> Row {
        let lines: Vec<Vec<Line>> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                if detail.contains(&c) {
                    return Vec::new();
                }
                // Numbers never wrap: their column is sized to the widest.
                // Two pixels of the padding absorb rounding of measured widths.
                let inner = if numeric[c] && weight == Weight::Regular { f32::MAX } else { w - 2.0 * pad_x + 2.0 };
                wrap_at_most(fonts, cell, weight, size, inner, max_lines)
            })
            .collect();
        let mut under = Vec::new();
        if weight == Weight::Regular {
            let mut runs: Vec<(String, Weight)> = Vec::new();
            for &c in detail {
                if cells[c].trim().is_empty() {
                    continue;
                }
                let gap = if runs.is_empty() { "" } else { "\u{3000}" };
                runs.push((format!("{gap}{}：", fit.table.header[c]), Weight::Bold));
                runs.push((cells[c].clone(), Weight::Regular));
            }
            if !runs.is_empty() {
                under = super::text::wrap(fonts, &runs, size, full_w - 2.0 * pad_x, 0.0, false);
                under.truncate(max_lines);
            }
        }
        let n = lines.iter().map(Vec::len).max().unwrap_or(1).max(1) + under.len();
        Row { height: n as f32 * lh + 2.0 * pad_y, cells: lines, under }
    };
    // Rows with lines under them need the room: the title goes into the path.
    let title_in_path = !fit.detail.is_empty();
    let title_h = if title_in_path { 0.0 } else { line_box(g.item) + g.gap as f32 / 2.0 };
    let mut path = crumbs.to_vec();
    if title_in_path {
        path.push(doc.title.clone());
    }
    let page_lines = (((g.body.h as f32 - title_h - 2.0 * pad_y) / lh).floor() as usize).max(2);
    let header = lay_row(&fit.header, Weight::Bold, (page_lines / 3).max(1));
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
        let mut ops = frame.chrome(&path, accent, &hints, page_label(p + 1, count, "页"));
        let mut title = doc.title.clone();
        if let Some(y) = fit.year.as_ref().filter(|y| !title.contains(y.as_str())) {
            title = format!("{title} · {y}年");
        }
        if p > 0 {
            title.push_str("（续）");
        }
        if !title_in_path {
            let title = ellipsize(fonts, &title, g.item, Weight::Bold, g.body.w as f32);
            ops.push(frame.text(x0, y0, g.item, Weight::Bold, t.text, &title));
        }
        let mut y = y0 + title_h;
        let header_fill = accent.mix(t.background, 0.2);
        draw_row(&mut ops, &header, widths, &numeric, x0, y, header_fill, t.text, size, pad_x, pad_y);
        y += header.height;
        for (n, &i) in page.iter().enumerate() {
            let fill = if n % 2 == 0 { t.background.mix(t.text, 0.06) } else { t.background.mix(t.text, 0.13) };
            draw_row(&mut ops, &rows[i], widths, &numeric, x0, y, fill, t.text, size, pad_x, pad_y);
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
fn column_widths(frame: &Frame, table: &Table, header: &[String], numeric: &[bool], size: f32, pad_x: f32) -> Vec<f32> {
    let fonts = frame.cx.fonts;
    let avail = frame.geo.body.w as f32;
    let n = table.header.len().max(1);
    let cell_w = |c: usize| table.rows.iter().map(|r| fonts.measure(&r[c], size, Weight::Regular)).fold(0.0, f32::max);
    let natural: Vec<f32> =
        (0..n).map(|c| fonts.measure(&header[c], size, Weight::Bold).max(cell_w(c)) + 2.0 * pad_x).collect();
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
            let head = fonts.measure(&header[c], size, Weight::Bold).min(2.0 * size);
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
    // Cells are held to the floor of any text (`body: false`): a table may
    // step down to it to keep its columns on one line.
    let run = |piece: &crate::layout::text::Piece, x: f32, y: f32| {
        Op::Text(TextRun {
            x: x + piece.x,
            y,
            w: piece.w,
            h: lh,
            size,
            weight: piece.weight,
            color,
            spacing: 0.0,
            text: piece.text.clone(),
            body: false,
        })
    };
    let mut x = x0;
    for (c, lines) in row.cells.iter().enumerate() {
        for (l, line) in lines.iter().enumerate() {
            let inner = widths[c] - 2.0 * pad_x;
            let lx = if numeric[c] { x + pad_x + inner - line.width } else { x + pad_x };
            for piece in &line.pieces {
                ops.push(run(piece, lx, y + pad_y + l as f32 * lh));
            }
        }
        x += widths[c];
    }
    let main = row.cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32;
    for (l, line) in row.under.iter().enumerate() {
        for piece in &line.pieces {
            ops.push(run(piece, x0 + pad_x, y + pad_y + (main + l as f32) * lh));
        }
    }
}
