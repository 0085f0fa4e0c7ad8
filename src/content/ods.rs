//! `.ods` spreadsheets (LibreOffice, WPS): every visible sheet as it prints.
//! An OpenDocument cell carries the text it shows (`<text:p>`), number
//! format applied, so the reader keeps that; merges are spans on the cell,
//! hidden rows and columns are `visibility="collapse"`, hidden sheets have a
//! table style with `display="false"`.

use std::collections::HashSet;
use std::io::Cursor;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::package::{attr, required, text_piece};
use super::sheet::{Grid, MAX_COLUMNS, MAX_ROWS};

/// The spreadsheet's visible sheets, in order.
pub fn read(bytes: &[u8]) -> Result<Vec<Grid>, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let xml = required(&mut zip, "content.xml")?;
    let out = content(&xml).map_err(|e| e.to_string())?;
    if out.is_empty() {
        return Err("no visible sheet".into());
    }
    Ok(out)
}

fn count(e: &BytesStart, local: &[u8]) -> u32 {
    attr(e, local).and_then(|v| v.parse().ok()).unwrap_or(1).max(1)
}

// Long: one pass of events over content.xml with the state of where it is
// (table, row, cell, paragraph, repeats); split, each piece would take all of it.
fn content(xml: &[u8]) -> Result<Vec<Grid>, quick_xml::Error> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut hidden_tables: HashSet<String> = HashSet::new();
    let mut style: Option<String> = None;
    let mut out = Vec::new();
    let mut grid: Option<Grid> = None;
    let (mut row, mut col, mut rows_repeat) = (0u32, 0u32, 1u32);
    let mut row_hidden = false;
    // The cell being read: its text, spans and repeat.
    let mut cell: Option<(String, u32, u32, u32)> = None;
    let mut paragraphs = 0;
    loop {
        let event = reader.read_event_into(&mut buf)?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"style" => style = attr(&e, b"name"),
                b"table-properties" if attr(&e, b"display").as_deref() == Some("false") => {
                    if let Some(s) = &style {
                        hidden_tables.insert(s.clone());
                    }
                }
                b"table" => {
                    let hidden = attr(&e, b"style-name").is_some_and(|s| hidden_tables.contains(&s));
                    let name = attr(&e, b"name").unwrap_or_default();
                    grid = (!hidden).then(|| Grid { name, ..Grid::default() });
                    (row, col) = (0, 0);
                }
                b"table-column" => {
                    let n = count(&e, b"number-columns-repeated");
                    if let Some(g) = grid.as_mut() {
                        if attr(&e, b"visibility").is_some_and(|v| v != "visible") {
                            for c in col..col.saturating_add(n).min(MAX_COLUMNS) {
                                g.hidden_cols.insert(c);
                            }
                        }
                    }
                    col = col.saturating_add(n);
                }
                b"table-row" => {
                    col = 0;
                    rows_repeat = count(&e, b"number-rows-repeated");
                    row_hidden = attr(&e, b"visibility").is_some_and(|v| v != "visible");
                    if empty {
                        row = row.saturating_add(rows_repeat);
                    }
                }
                b"table-cell" | b"covered-table-cell" => {
                    let repeat = count(&e, b"number-columns-repeated");
                    let spans = (count(&e, b"number-columns-spanned"), count(&e, b"number-rows-spanned"));
                    if e.local_name().as_ref() == b"table-cell" && (spans.0 > 1 || spans.1 > 1) {
                        if let Some(g) = grid.as_mut().filter(|_| row < MAX_ROWS && col < MAX_COLUMNS) {
                            g.merges.push((row, col, row + spans.1 - 1, col + spans.0 - 1));
                        }
                    }
                    if empty {
                        col = col.saturating_add(repeat);
                    } else {
                        cell = Some((String::new(), repeat, spans.0, spans.1));
                        paragraphs = 0;
                    }
                }
                b"p" if cell.is_some() => {
                    if paragraphs > 0 {
                        if let Some(c) = cell.as_mut() {
                            c.0.push(' ');
                        }
                    }
                    paragraphs += 1;
                }
                b"s" => {
                    if let Some(c) = cell.as_mut() {
                        let n = count(&e, b"c").min(16);
                        c.0.extend(std::iter::repeat_n(' ', n as usize));
                    }
                }
                b"tab" | b"line-break" => {
                    if let Some(c) = cell.as_mut() {
                        c.0.push(' ');
                    }
                }
                _ => {}
            },
            e @ (Event::Text(_) | Event::GeneralRef(_)) => {
                if let (Some(c), Some(piece)) = (cell.as_mut(), text_piece(&e)) {
                    c.0.push_str(&piece?);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"table-cell" | b"covered-table-cell" => {
                    if let Some((text, repeat, _, _)) = cell.take() {
                        if let Some(g) = grid.as_mut() {
                            let text = text.trim();
                            if !text.is_empty() && !e.local_name().as_ref().starts_with(b"covered") {
                                // A repeated cell with text is rare; a handful are kept.
                                for i in 0..repeat.min(MAX_COLUMNS) {
                                    let (r, c) = (row, col + i);
                                    if r >= MAX_ROWS || c >= MAX_COLUMNS {
                                        g.cut = true;
                                    } else {
                                        g.cells.insert((r, c), text.to_string());
                                    }
                                }
                            }
                        }
                        col = col.saturating_add(repeat);
                    }
                }
                b"table-row" => {
                    if let Some(g) = grid.as_mut() {
                        // A row repeated with text (rare) is kept a few times;
                        // blank repeats (to the sheet's end) only advance.
                        let cells: Vec<((u32, u32), String)> =
                            g.cells.range((row, 0)..(row, u32::MAX)).map(|(k, v)| (*k, v.clone())).collect();
                        let copies = if cells.is_empty() { 0 } else { rows_repeat.min(100) };
                        for i in 1..copies {
                            for ((_, c), t) in &cells {
                                if row + i < MAX_ROWS {
                                    g.cells.insert((row + i, *c), t.clone());
                                }
                            }
                        }
                        if row_hidden {
                            for r in row..row.saturating_add(rows_repeat).min(MAX_ROWS) {
                                if r < row + 1000 {
                                    g.hidden_rows.insert(r);
                                }
                            }
                        }
                    }
                    row = row.saturating_add(rows_repeat);
                }
                b"table" => out.extend(grid.take()),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}
