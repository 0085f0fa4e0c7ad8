//! `.xlsx` workbooks read as they print: every visible sheet, its merged
//! cells, hidden rows and columns, formulas' cached values, and each number
//! in its cell's format. Read straight from the zip's XML parts: calamine
//! gives values but not formats or hidden rows.

use std::collections::HashMap;
use std::io::Cursor;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::numfmt;
use super::package::{attr, part, text_piece};
use super::sheet::{Grid, MAX_COLUMNS, MAX_ROWS};

/// The workbook's visible sheets, in order.
pub fn read(bytes: &[u8]) -> Result<Vec<Grid>, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let workbook = part(&mut zip, "xl/workbook.xml")?.ok_or("xl/workbook.xml is missing")?;
    let rels = part(&mut zip, "xl/_rels/workbook.xml.rels")?.unwrap_or_default();
    let strings = match part(&mut zip, "xl/sharedStrings.xml")? {
        Some(xml) => shared_strings(&xml)?,
        None => Vec::new(),
    };
    let formats = match part(&mut zip, "xl/styles.xml")? {
        Some(xml) => styles(&xml)?,
        None => Vec::new(),
    };
    let targets = relationships(&rels)?;
    let book = sheets(&workbook)?;
    let mut out = Vec::new();
    for sheet in book.sheets.iter().filter(|s| s.visible) {
        let Some(target) = targets.get(&sheet.rel) else { continue };
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let Some(xml) = part(&mut zip, &path)? else { continue };
        let mut grid =
            worksheet(&xml, &strings, &formats, book.date1904).map_err(|e| format!("{}: {e}", sheet.name))?;
        grid.name = sheet.name.clone();
        out.push(grid);
    }
    if out.is_empty() {
        return Err("no visible sheet".into());
    }
    Ok(out)
}

fn truthy(v: Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "true"))
}

struct Book {
    sheets: Vec<SheetRef>,
    date1904: bool,
}

struct SheetRef {
    name: String,
    rel: String,
    visible: bool,
}

fn sheets(xml: &[u8]) -> Result<Book, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut book = Book { sheets: Vec::new(), date1904: false };
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"workbookPr" => book.date1904 = truthy(attr(&e, b"date1904")),
                b"sheet" => book.sheets.push(SheetRef {
                    name: attr(&e, b"name").unwrap_or_default(),
                    rel: attr(&e, b"id").unwrap_or_default(),
                    visible: attr(&e, b"state").is_none_or(|s| s == "visible"),
                }),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(book)
}

fn relationships(xml: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = HashMap::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, b"Id"), attr(&e, b"Target")) {
                    out.insert(id, target);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// The shared strings, rich text joined, phonetic guides (`rPh`) left out.
fn shared_strings(xml: &[u8]) -> Result<Vec<String>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let (mut current, mut in_t, mut in_ph) = (String::new(), false, false);
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => current.clear(),
                b"t" => in_t = true,
                b"rPh" => in_ph = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => out.push(String::new()),
            e @ (Event::Text(_) | Event::GeneralRef(_)) if in_t && !in_ph => {
                if let Some(piece) = text_piece(&e) {
                    current.push_str(&piece.map_err(|e| e.to_string())?)
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"si" => out.push(std::mem::take(&mut current)),
                b"t" => in_t = false,
                b"rPh" => in_ph = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Each cell style's number format code, by the style's index (`s`).
fn styles(xml: &[u8]) -> Result<Vec<Option<String>>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut custom: HashMap<u32, String> = HashMap::new();
    let mut out = Vec::new();
    let mut in_xfs = false;
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"numFmt" => {
                    if let (Some(id), Some(code)) = (attr(&e, b"numFmtId"), attr(&e, b"formatCode")) {
                        custom.insert(id.parse().unwrap_or(0), code);
                    }
                }
                b"cellXfs" => in_xfs = true,
                b"xf" if in_xfs => {
                    let id: u32 = attr(&e, b"numFmtId").and_then(|v| v.parse().ok()).unwrap_or(0);
                    out.push(custom.get(&id).cloned().or_else(|| numfmt::builtin(id).map(str::to_string)));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"cellXfs" => in_xfs = false,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// The name of the cell at 0-based (`row`, `col`): (11, 3) is `D12`.
pub(crate) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// `B12` → (11, 1).
pub(crate) fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r[..letters].bytes().fold(0u32, |n, b| n * 26 + (b.to_ascii_uppercase() - b'A' + 1) as u32) - 1;
    let row: u32 = r[letters..].parse().ok()?;
    Some((row.checked_sub(1)?, col))
}

fn worksheet(xml: &[u8], strings: &[String], formats: &[Option<String>], date1904: bool) -> Result<Grid, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut grid = Grid::default();
    let mut row: u32 = 0;
    let mut col: u32 = 0;
    let (mut kind, mut style) = (String::new(), 0usize);
    let (mut value, mut in_v, mut in_t) = (String::new(), false, false);
    let mut in_cell = false;
    // A formula whose result was never saved (files written by programs):
    // no value, or an empty one, unless it is a text formula's empty text.
    let mut formula = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| e.to_string())?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"row" => {
                    row = attr(&e, b"r").and_then(|v| v.parse::<u32>().ok()).map_or(row + 1, |r| r.saturating_sub(1));
                    col = 0;
                    if truthy(attr(&e, b"hidden")) {
                        grid.hidden_rows.insert(row);
                    }
                }
                b"col" if truthy(attr(&e, b"hidden")) => {
                    let min: u32 = attr(&e, b"min").and_then(|v| v.parse().ok()).unwrap_or(1);
                    let max: u32 = attr(&e, b"max").and_then(|v| v.parse().ok()).unwrap_or(min);
                    for c in min.max(1)..=max.min(MAX_COLUMNS) {
                        grid.hidden_cols.insert(c - 1);
                    }
                }
                b"c" => {
                    if let Some((r, c)) = attr(&e, b"r").as_deref().and_then(cell_ref) {
                        (row, col) = (r, c);
                    }
                    kind = attr(&e, b"t").unwrap_or_default();
                    style = attr(&e, b"s").and_then(|v| v.parse().ok()).unwrap_or(0);
                    value.clear();
                    formula = false;
                    in_cell = !empty;
                    if empty {
                        col += 1;
                    }
                }
                b"v" => in_v = !empty,
                b"f" if in_cell => formula = true,
                b"drawing" => grid.pictures = true,
                b"t" if in_cell => in_t = true,
                b"mergeCell" => {
                    if let Some(r) = attr(&e, b"ref") {
                        let (a, b) = r.split_once(':').unwrap_or((&r, &r));
                        if let (Some((r0, c0)), Some((r1, c1))) = (cell_ref(a), cell_ref(b)) {
                            grid.merges.push((r0, c0, r1.min(MAX_ROWS), c1.min(MAX_COLUMNS)));
                        }
                    }
                }
                _ => {}
            },
            e @ (Event::Text(_) | Event::GeneralRef(_)) if in_v || in_t => {
                if let Some(piece) = text_piece(&e) {
                    value.push_str(&piece.map_err(|e| e.to_string())?)
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"v" => in_v = false,
                b"t" => in_t = false,
                b"c" => {
                    in_cell = false;
                    if row >= MAX_ROWS || col >= MAX_COLUMNS {
                        grid.cut |= !value.trim().is_empty();
                    } else if formula && value.trim().is_empty() && kind != "str" {
                        grid.uncalculated.push((row, col));
                    } else {
                        let code = formats.get(style).and_then(|f| f.as_deref());
                        let text = shown(&kind, &value, code, strings, date1904);
                        if !text.trim().is_empty() {
                            grid.cells.insert((row, col), text);
                        }
                    }
                    col += 1;
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(grid)
}

fn shown(kind: &str, value: &str, code: Option<&str>, strings: &[String], date1904: bool) -> String {
    match kind {
        "s" => value.trim().parse::<usize>().ok().and_then(|i| strings.get(i)).cloned().unwrap_or_default(),
        "str" | "inlineStr" => value.to_string(),
        "b" => if value.trim() == "1" { "是" } else { "否" }.to_string(),
        "e" => value.to_string(),
        "d" => value.replace('T', " ").trim_end_matches(" 00:00:00").to_string(),
        _ => match value.trim().parse::<f64>() {
            Ok(v) => numfmt::format(v, code, date1904),
            Err(_) => value.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        for (name, at) in [("A1", (0, 0)), ("D12", (11, 3)), ("Z3", (2, 25)), ("AA1", (0, 26)), ("BL7", (6, 63))] {
            assert_eq!(cell_name(at.0, at.1), name);
            assert_eq!(cell_ref(name), Some(at));
        }
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("B12"), Some((11, 1)));
        assert_eq!(cell_ref("AA3"), Some((2, 26)));
        assert_eq!(cell_ref("A0"), None);
        assert_eq!(cell_ref("12"), None);
    }
}
