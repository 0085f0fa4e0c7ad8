//! Tables: columns sized to their content, long cells wrapped, numbers
//! right-aligned, rows paged with the header repeated on every page.

use crate::config::Rgb;
use crate::content::{Doc, Table};
use crate::fonts::Weight;

use super::frame::{line_box, offset, page_label, paging_keys, Frame};
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
fn fit(frame: &Frame, table: &Table, numeric: &[bool], above: f32) -> Fit {
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
    // columns, widest first, move under the row until the rest fit (dates
    // whole if they can be, the year going nowhere else). The
    // first, from the largest size down, to show five rows a page; failing
    // that, the one showing the most.
    let mut best: Option<(f32, Fit)> = None;
    let mut size = g.table;
    while size >= floor {
        let widths = column_widths(frame, table, &table.header, numeric, size, pad_of(size));
        let shared = whole(table, None, size, widths, Vec::new());
        // Under the row the title goes into the path, too narrow on SD to
        // keep a year: dates stay whole there when they fit.
        let under = under_the_row(table, None, size).or_else(|| under_the_row(&short, year.clone(), size));
        for fit in std::iter::once(shared).chain(under) {
            let per_page = rows_per_page(frame, &fit, numeric, above);
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
fn rows_per_page(frame: &Frame, fit: &Fit, numeric: &[bool], above: f32) -> f32 {
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
    // Below the subtitle, the title (in the path when rows have lines under
    // them) and a header of one or two lines.
    let title = above + if fit.detail.is_empty() { title_height(frame) } else { 0.0 };
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
/// `2026-07-13` becomes `07-13` and `2026年7月13日` becomes `7月13日`, and
/// the title says 2026年.
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
            let Some((y, _)) = split_date(cell) else { return false };
            any = true;
            *year.get_or_insert(y) == y
        });
        if let (true, true, Some(y)) = (dated, any, year) {
            years.push(y.to_string());
            for row in &mut out.rows {
                if let Some((_, rest)) = split_date(row[c].trim()) {
                    row[c] = rest.to_string();
                }
            }
        }
    }
    years.dedup();
    let year = (years.len() == 1).then(|| years[0].clone());
    (out, header, year)
}

/// A date's year and the rest: `2026-07-13` → (`2026`, `07-13`),
/// `2026年7月13日` → (`2026`, `7月13日`).
fn split_date(cell: &str) -> Option<(&str, &str)> {
    let b = cell.as_bytes();
    let iso = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && cell.bytes().enumerate().all(|(i, x)| i == 4 || i == 7 || x.is_ascii_digit());
    if iso {
        return Some((&cell[..4], &cell[5..]));
    }
    let (y, rest) = cell.split_once('年')?;
    let (m, d) = rest.strip_suffix('日')?.split_once('月')?;
    let digits =
        |s: &str, n: std::ops::RangeInclusive<usize>| n.contains(&s.len()) && s.bytes().all(|x| x.is_ascii_digit());
    (digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2)).then_some((y, rest))
}

/// The screens of one table document: each table (a workbook's sheets)
/// on its own pages, numbered as one document.
pub fn screens(
    frame: &Frame,
    doc: &Doc,
    tables: &[Table],
    crumbs: &[String],
    back: super::Target,
    accent: Rgb,
) -> Vec<Screen> {
    let pages: Vec<(Vec<String>, Vec<Op>, super::RowSpan)> = tables
        .iter()
        .enumerate()
        .flat_map(|(t, table)| {
            table_pages(frame, doc, table, crumbs, accent)
                .into_iter()
                .map(move |(path, ops, (a, b))| (path, ops, (t as u16, a, b)))
        })
        .collect();
    let base = screen_id("a", &doc.key);
    let count = pages.len();
    let mut out = Vec::with_capacity(count);
    for (p, (path, body, rows)) in pages.into_iter().enumerate() {
        let hints =
            if count > 1 { vec![("←→", "翻页"), ("返回", "上一级")] } else { vec![("返回", "上一级")] };
        let mut ops = frame.chrome(&path, accent, &hints, page_label(p + 1, count, "页"));
        ops.extend(body);
        let mut screen =
            Screen::page(page_id(&base, p), Kind::Table, &doc.title, &back, ops, paging_keys(&base, p, count, &back));
        screen.rows = Some(rows);
        out.push(screen);
    }
    out
}

/// A row as drawn at (0, 0): its height and ops.
pub(super) type Drawn = (f32, Vec<Op>);

/// A table laid out to a width: its header row and its rows, each drawn at
/// (0, 0), with the fit's text size.
pub(super) struct Laid {
    pub header: Drawn,
    pub rows: Vec<Drawn>,
    /// Rows have their long columns on lines under them.
    pub detail: bool,
    /// The year taken out of a date column, for the title.
    pub year: Option<String>,
    /// The width of the rows.
    pub width: f32,
}

/// Lays out the header and rows of `table` (its title and notes are the
/// caller's; `sub_h` is the height of the lines under its title), each row
/// without its fill.
fn lay(frame: &Frame, table: &Table, sub_h: f32) -> Laid {
    let g = frame.geo;
    let fonts = frame.cx.fonts;
    let ncols = table.header.len().max(1);
    let numeric: Vec<bool> = (0..ncols).map(|c| table.numeric(c)).collect();
    let fit = fit(frame, table, &numeric, sub_h);
    let Fit { size, widths, detail, .. } = &fit;
    // Above the header: the subtitle, and the title unless it went into the path.
    let above = sub_h + if detail.is_empty() { title_height(frame) } else { 0.0 };
    let size = *size;
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
    let page_lines = (((g.body.h as f32 - above - 2.0 * pad_y) / lh).floor() as usize).max(2);
    let header = lay_row(&fit.header, Weight::Bold, (page_lines / 3).max(1));
    let room = g.body.h as f32 - above - header.height;
    let row_lines = (((room - 2.0 * pad_y) / lh).floor() as usize).max(1);
    let color = frame.theme().text;
    let drawn = |row: &Row| {
        let mut ops = Vec::new();
        draw_row(&mut ops, row, widths, &numeric, 0.0, 0.0, color, size, pad_x, pad_y);
        (row.height, ops)
    };
    let rows = fit.table.rows.iter().map(|r| drawn(&lay_row(r, Weight::Regular, row_lines))).collect();
    Laid { header: drawn(&header), rows, detail: !detail.is_empty(), year: fit.year.clone(), width: full_w }
}

/// The height of a table's title line and the gap under it.
fn title_height(frame: &Frame) -> f32 {
    line_box(frame.geo.item) + frame.geo.gap as f32 / 2.0
}

/// A row's fill under its cells.
fn fill(x: f32, y: f32, width: f32, height: f32, color: Rgb) -> Op {
    Op::Fill { rect: Rect::new(x as i32, y as i32, width as i32, height.ceil() as i32), color, radius: 0 }
}

/// The fills of a theme: the header's, and of the n-th row on a page.
fn fills(frame: &Frame, accent: Rgb) -> (Rgb, [Rgb; 2]) {
    let t = frame.theme();
    (accent.mix(t.background, 0.2), [t.background.mix(t.text, 0.06), t.background.mix(t.text, 0.13)])
}

/// A table set inside an article (a Word document's): its title in bold,
/// the lines above it, the header, the rows and the notes, as rows of the
/// article's page fill; the header row is repeated where a page breaks.
pub(super) fn in_text(frame: &Frame, table: &Table, accent: Rgb) -> (Vec<Drawn>, Laid, Vec<Drawn>) {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let width = g.body.w as f32;
    let mut above = Vec::new();
    if let Some(title) = &table.title {
        for line in super::text::wrap(fonts, &[(title.clone(), Weight::Bold)], g.table, width, 0.0, false) {
            let s: String = line.pieces.iter().map(|p| p.text.as_str()).collect();
            let x = ((width - line.width) / 2.0).max(0.0);
            above.push((line_box(g.table), vec![frame.text(x, 0.0, g.table, Weight::Bold, t.text, &s)]));
        }
    }
    for line in &table.subtitle {
        let s = ellipsize(fonts, line, g.small, Weight::Regular, width);
        above.push((line_box(g.small), vec![frame.text(0.0, 0.0, g.small, Weight::Regular, t.dim, &s)]));
    }
    let (header_fill, row_fills) = fills(frame, accent);
    let mut laid = lay(frame, table, 0.0);
    laid.header.1.insert(0, fill(0.0, 0.0, laid.width, laid.header.0, header_fill));
    for (n, (h, ops)) in laid.rows.iter_mut().enumerate() {
        ops.insert(0, fill(0.0, 0.0, laid.width, *h, row_fills[n % 2]));
    }
    let below = notes_lines(frame, &table.notes, width);
    (above, laid, below)
}

/// Notes as lines of small text across `width`.
fn notes_lines(frame: &Frame, notes: &[String], width: f32) -> Vec<Drawn> {
    let g = frame.geo;
    let t = frame.theme();
    let mut out = Vec::new();
    for note in notes {
        for line in super::text::wrap(frame.cx.fonts, &[(note.clone(), Weight::Regular)], g.small, width, 0.0, true) {
            let s: String = line.pieces.iter().map(|p| p.text.as_str()).collect();
            out.push((line_box(g.small), vec![frame.text(0.0, 0.0, g.small, Weight::Regular, t.dim, &s)]));
        }
    }
    out
}

/// A table page: its path, the body's ops and the rows it shows (first, end).
type Page = (Vec<String>, Vec<Op>, (u32, u32));

/// One table's pages.
fn table_pages(frame: &Frame, doc: &Doc, table: &Table, crumbs: &[String], accent: Rgb) -> Vec<Page> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let width = g.body.w as f32;
    let (x0, y0) = (g.body.x as f32, g.body.y as f32);
    let name = table.title.clone().unwrap_or_else(|| doc.title.clone());
    // The lines above the header on every page: the subtitle (填报单位, 单位).
    let subtitle: Vec<String> =
        table.subtitle.iter().take(2).map(|l| ellipsize(fonts, l, g.small, Weight::Regular, width)).collect();
    let sub_h = subtitle.len() as f32 * line_box(g.small);
    let title_h = title_height(frame);
    let (header_fill, row_fills) = fills(frame, accent);
    // Rows with lines under them need the room: the title goes into the path.
    let laid = lay(frame, table, sub_h);
    let title_in_path = laid.detail;
    let above = if title_in_path { sub_h } else { title_h + sub_h };
    let mut titled = name.clone();
    if let Some(y) = laid.year.as_ref().filter(|y| !name.contains(y.as_str())) {
        titled = format!("{name} · {y}年");
    }
    let mut path = crumbs.to_vec();
    if title_in_path {
        path.push(titled.clone());
    }
    let room = g.body.h as f32 - above - laid.header.0;

    // Fill pages below the title and the repeated header; the notes after
    // the last row, on a page of their own when they do not fit.
    let mut pages: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0.0;
    for (i, (h, _)) in laid.rows.iter().enumerate() {
        let last = pages.last_mut().expect("pages starts with one page");
        if used + h > room && !last.is_empty() {
            pages.push(Vec::new());
            used = 0.0;
        }
        used += h;
        pages.last_mut().expect("just pushed").push(i);
    }
    let notes = notes_lines(frame, &table.notes, width);
    let notes_h: f32 = notes.iter().map(|n| n.0).sum::<f32>() + if notes.is_empty() { 0.0 } else { g.gap as f32 / 2.0 };
    let notes_apart = !notes.is_empty() && used + notes_h > room;
    let count = pages.len() + usize::from(notes_apart);

    let mut out = Vec::with_capacity(count);
    for p in 0..count {
        let mut ops = Vec::new();
        let mut title = titled.clone();
        if p > 0 {
            title.push_str("（续）");
        }
        if !title_in_path {
            let title = ellipsize(fonts, &title, g.item, Weight::Bold, width);
            ops.push(frame.text(x0, y0, g.item, Weight::Bold, t.text, &title));
        }
        let mut y = y0 + if title_in_path { 0.0 } else { title_h };
        for line in &subtitle {
            ops.push(frame.text(x0, y, g.small, Weight::Regular, t.dim, line));
            y += line_box(g.small);
        }
        if let Some(page) = pages.get(p) {
            let (h, header) = &laid.header;
            ops.push(fill(x0, y, laid.width, *h, header_fill));
            ops.extend(header.iter().map(|op| offset(op.clone(), x0, y)));
            y += h;
            for (n, &i) in page.iter().enumerate() {
                let (h, row) = &laid.rows[i];
                ops.push(fill(x0, y, laid.width, *h, row_fills[n % 2]));
                ops.extend(row.iter().map(|op| offset(op.clone(), x0, y)));
                y += h;
            }
        }
        if p + 1 == count && !notes.is_empty() {
            y += g.gap as f32 / 2.0;
            for (h, line) in &notes {
                ops.extend(line.iter().map(|op| offset(op.clone(), x0, y)));
                y += h;
            }
        }
        let shown = pages.get(p).and_then(|page| Some((*page.first()? as u32, *page.last()? as u32 + 1)));
        out.push((path.clone(), ops, shown.unwrap_or((0, 0))));
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
    color: Rgb,
    size: f32,
    pad_x: f32,
    pad_y: f32,
) {
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
