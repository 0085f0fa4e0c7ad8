//! Word documents (`.docx`): paragraphs, headings, bold, lists and the
//! pictures inside, read from the zip's `word/document.xml`.

use std::collections::HashMap;
use std::io::Cursor;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::article::{Block, Span};
use super::package::{attr, required as read_part, text_piece};
use crate::problem::Problem;

/// A Word document's content.
pub struct Docx {
    /// The first Title or Heading 1 paragraph before any body text.
    pub title: Option<String>,
    /// Text blocks; pictures as [`Block::Picture`] naming an entry of `media`.
    pub blocks: Vec<Block>,
    /// Picture bytes by their path inside the zip.
    pub media: HashMap<String, Vec<u8>>,
}

/// Reads a `.docx`; a problem when it is not a readable Word document.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Docx, Box<Problem>> {
    let bad = |why: String| {
        Box::new(
            Problem::new(
                path,
                format!("Word 文件无法读取（{why}），已跳过"),
                format!("the Word file cannot be read ({why}); skipped"),
            )
            .hint(
                "在 Word 中打开后“另存为” .docx；如果文件还在复制，等复制完成即可",
                "open it in Word and Save As .docx; if it is still copying, wait for the copy to finish",
            ),
        )
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    let document = read_part(&mut zip, "word/document.xml").map_err(bad)?;
    let rels = read_part(&mut zip, "word/_rels/document.xml.rels").unwrap_or_default();
    let targets = relationships(&rels);
    let (title, blocks) = body(&document, &targets).map_err(|e| bad(e.to_string()))?;
    let mut media = HashMap::new();
    for block in &blocks {
        if let Block::Picture { src, .. } = block {
            if !media.contains_key(src) {
                if let Ok(bytes) = read_part(&mut zip, src) {
                    media.insert(src.clone(), bytes);
                }
            }
        }
    }
    Ok(Docx { title, blocks, media })
}

/// Relationship id → zip path (`rId5` → `word/media/image1.png`).
fn relationships(xml: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == b"Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, b"Id"), attr(&e, b"Target")) {
                    let target = target.trim_start_matches('/');
                    let full = if target.starts_with("word/") { target.to_string() } else { format!("word/{target}") };
                    out.insert(id, full);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// A Word table being read: rows of cells, each with its text, the
/// columns it spans and how it takes part in a vertical merge.
#[derive(Default)]
struct WordTable {
    rows: Vec<Vec<WordCell>>,
}

#[derive(Default)]
struct WordCell {
    text: String,
    span: u32,
    /// `Some(true)`: begins a vertical merge; `Some(false)`: continues one.
    vmerge: Option<bool>,
}

impl WordTable {
    /// The table as a sheet would hold it, then read as printed.
    fn table(self) -> Option<super::Table> {
        let mut grid = super::sheet::Grid::default();
        // Per column: the vertical merge open there.
        let mut open: HashMap<u32, usize> = HashMap::new();
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32;
            let mut c = 0u32;
            for cell in row {
                let span = cell.span.max(1);
                if cell.vmerge == Some(false) {
                    if let Some(&m) = open.get(&c) {
                        grid.merges[m].2 = r;
                    }
                } else {
                    if !cell.text.trim().is_empty() {
                        grid.cells.insert((r, c), cell.text.trim().to_string());
                    }
                    open.remove(&c);
                    if span > 1 || cell.vmerge == Some(true) {
                        grid.merges.push((r, c, r, c + span - 1));
                        if cell.vmerge == Some(true) {
                            open.insert(c, grid.merges.len() - 1);
                        }
                    }
                }
                c += span;
            }
        }
        grid.table()
    }
}

/// Paragraphs to blocks.
// Long: one pass of events over the document with the state of where it is
// (paragraph, run, table cell, drawing); split, each piece would take all of it.
fn body(xml: &[u8], targets: &HashMap<String, String>) -> Result<(Option<String>, Vec<Block>), quick_xml::Error> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut blocks = Vec::new();
    let mut title = None;
    let mut spans: Vec<Span> = Vec::new();
    let mut style = String::new();
    let mut list = false;
    let mut bold = false;
    let mut in_text = false;
    let mut pictures: Vec<String> = Vec::new();
    // Tables: the outermost being read (a table inside a cell is its text).
    let mut depth = 0usize;
    let mut table = WordTable::default();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) if e.local_name().as_ref() == b"tbl" => {
                depth += 1;
                if depth == 1 {
                    table = WordTable::default();
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"tbl" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    blocks.extend(std::mem::take(&mut table).table().map(Block::Table));
                    for src in pictures.drain(..) {
                        blocks.push(Block::Picture { src, caption: String::new(), line: 0 });
                    }
                }
            }
            Event::Start(e) if depth == 1 && e.local_name().as_ref() == b"tr" => table.rows.push(Vec::new()),
            Event::Start(e) if depth == 1 && e.local_name().as_ref() == b"tc" => {
                if let Some(row) = table.rows.last_mut() {
                    row.push(WordCell { span: 1, ..WordCell::default() });
                }
            }
            Event::Start(e) | Event::Empty(e) if depth == 1 && e.local_name().as_ref() == b"gridSpan" => {
                if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                    cell.span = attr(&e, b"val").and_then(|v| v.parse().ok()).unwrap_or(1).clamp(1, 64);
                }
            }
            Event::Start(e) | Event::Empty(e) if depth == 1 && e.local_name().as_ref() == b"vMerge" => {
                if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                    cell.vmerge = Some(attr(&e, b"val").as_deref() == Some("restart"));
                }
            }
            Event::End(e) if depth > 0 && e.local_name().as_ref() == b"p" => {
                // A paragraph in a cell is part of the cell's text.
                let text: String = spans.drain(..).map(|s| s.text).collect();
                if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                    if !cell.text.is_empty() && !text.trim().is_empty() {
                        cell.text.push(' ');
                    }
                    cell.text.push_str(text.trim());
                }
            }
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"p" => {
                    spans.clear();
                    style.clear();
                    list = false;
                }
                b"pStyle" => style = attr(&e, b"val").unwrap_or_default(),
                b"numPr" => list = true,
                b"r" => bold = false,
                b"b" => bold = !matches!(attr(&e, b"val").as_deref(), Some("0" | "false")),
                b"t" => in_text = true,
                b"tab" => push(&mut spans, " ", bold),
                b"blip" => {
                    if let Some(target) = attr(&e, b"embed").and_then(|id| targets.get(&id)) {
                        pictures.push(target.clone());
                    }
                }
                _ => {}
            },
            e @ (Event::Text(_) | Event::GeneralRef(_)) if in_text => {
                if let Some(piece) = text_piece(&e) {
                    push(&mut spans, &piece?, bold)
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    let text: String = spans.iter().map(|s| s.text.as_str()).collect::<String>().trim().to_string();
                    let lower = style.to_ascii_lowercase();
                    let heading = lower == "title" || lower.starts_with("heading") || lower.starts_with('标');
                    // Lists come as numbering properties or as list styles (ListBullet).
                    let list = list || lower.starts_with("list");
                    if !text.is_empty() {
                        if heading && title.is_none() && blocks.is_empty() && (lower == "title" || lower.ends_with('1'))
                        {
                            title = Some(text);
                        } else if heading {
                            blocks.push(Block::Heading(std::mem::take(&mut spans)));
                        } else if list {
                            blocks.push(Block::Item { marker: "•".into(), spans: std::mem::take(&mut spans) });
                        } else {
                            blocks.push(Block::Paragraph(std::mem::take(&mut spans)));
                        }
                    }
                    for src in pictures.drain(..) {
                        blocks.push(Block::Picture { src, caption: String::new(), line: 0 });
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok((title, blocks))
}

fn push(spans: &mut Vec<Span>, text: &str, strong: bool) {
    match spans.last_mut() {
        Some(last) if last.strong == strong => last.text.push_str(text),
        _ => spans.push(Span { text: text.to_string(), strong }),
    }
}
