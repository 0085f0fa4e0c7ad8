//! Content checks applied to what a file loaded to: masking, blocked and
//! banned words, each finding a problem at the line it came from.

use super::article::Block;
use super::checks;
use super::model::{Body, Doc};
use super::read::read_text;
use super::table::Table;
use crate::config::SiteConfig;
use crate::confined::Root;
use crate::problem::Problem;
use std::path::Path;

pub(super) fn checker(config: &SiteConfig) -> checks::Checker<'_> {
    let today_year = chrono::Datelike::year(&chrono::Utc::now().with_timezone(&config.time_zone));
    checks::Checker { config: &config.review, today_year }
}

/// The content checks on a loaded document: its text masked in place, or
/// `None` when it must be withheld; the findings go to `problems`.
pub(super) fn checked(
    mut doc: Doc,
    root: &Root,
    path: &Path,
    config: &SiteConfig,
    problems: &mut Vec<Problem>,
) -> Option<Doc> {
    let checker = checker(config);
    let mut verdict = checks::Verdict::default();
    let source = doc.source.clone();
    let none = checks::Piece { line: None, context: "" };
    checker.text(&source, &mut doc.title, &none, &mut verdict);
    match &mut doc.body {
        Body::Text(blocks) => {
            for block in blocks {
                match block {
                    Block::Heading(spans) | Block::Paragraph(spans) | Block::Item { spans, .. } => {
                        for span in spans {
                            checker.text(&source, &mut span.text, &none, &mut verdict);
                        }
                    }
                    Block::Picture { caption, line, .. } => {
                        checker.text(&source, caption, &checks::Piece { line: Some(*line), context: "" }, &mut verdict)
                    }
                    Block::Image { caption, .. } => checker.text(&source, caption, &none, &mut verdict),
                    Block::Table(table) => check_table(&checker, &source, table, &mut verdict),
                }
            }
        }
        Body::Poll(poll) => {
            for q in &mut poll.questions {
                checker.text(&source, &mut q.text, &none, &mut verdict);
                for c in &mut q.choices {
                    checker.text(&source, c, &none, &mut verdict);
                }
            }
        }
        Body::Table(tables) => {
            for table in tables {
                check_table(&checker, &source, table, &mut verdict);
            }
        }
    }
    let text_file = matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "markdown" | "txt"));
    if text_file {
        problems.extend(lined(verdict.problems, root, path));
    } else {
        problems.extend(verdict.problems);
    }
    (!verdict.withhold).then_some(doc)
}

/// The checks on every part of a table: title, the lines above and below
/// it, the header, and each cell with its column's header as context and its
/// row's line.
pub(super) fn check_table(checker: &checks::Checker, source: &str, table: &mut Table, verdict: &mut checks::Verdict) {
    let none = checks::Piece { line: None, context: "" };
    if let Some(title) = &mut table.title {
        checker.text(source, title, &none, verdict);
    }
    for line in table.subtitle.iter_mut().chain(table.notes.iter_mut()) {
        checker.text(source, line, &none, verdict);
    }
    let header = table.header.clone();
    for cell in &mut table.header {
        checker.text(source, cell, &none, verdict);
    }
    for (r, row) in table.rows.iter_mut().enumerate() {
        let line = table.lines.get(r).copied();
        for (c, cell) in row.iter_mut().enumerate() {
            let context = header.get(c).map_or("", String::as_str);
            checker.text(source, cell, &checks::Piece { line, context }, verdict);
        }
    }
}

/// Findings without a line get the line of the file where their text is:
/// the masked form's digits, the word, or the number as written. The file
/// is read (once) only when one of them needs it.
pub(super) fn lined(found: Vec<Problem>, root: &Root, path: &Path) -> impl Iterator<Item = Problem> {
    let raw = found.iter().any(|p| p.line.is_none()).then(|| read_text(root, path, &mut Vec::new())).flatten();
    found.into_iter().map(move |p| match (&raw, p.line) {
        (Some(raw), None) => match line_of(raw, &needle_of(&p.zh)) {
            Some(i) => p.at_line(i),
            None => p,
        },
        _ => p,
    })
}

/// The 1-based line of `raw` holding `needle`.
pub(super) fn line_of(raw: &str, needle: &Needle) -> Option<u32> {
    let at = raw.lines().position(|l| match needle {
        Needle::Word(w) => l.contains(w.as_str()),
        Needle::Number(head, tail) => {
            let digits: String = l.chars().filter(|c| c.is_ascii_digit() || matches!(c, 'X' | 'x')).collect();
            let digits = digits.to_uppercase();
            digits.contains(head.as_str()) && digits.contains(tail.as_str())
        }
    });
    at.map(|i| i as u32 + 1)
}

pub(super) enum Needle {
    Word(String),
    /// The masked form's visible digits, before and after the stars.
    Number(String, String),
}

/// What to look for in the file, from a finding's Chinese wording.
pub(super) fn needle_of(zh: &str) -> Needle {
    let quoted = zh.split('“').nth(1).and_then(|r| r.split('”').next());
    if let Some(w) = quoted {
        return Needle::Word(w.to_string());
    }
    let masked: String = zh.chars().filter(|c| c.is_ascii_digit() || matches!(c, '*' | 'X')).collect();
    let head: String = masked.split('*').next().unwrap_or("").to_string();
    let tail: String = masked.rsplit('*').next().unwrap_or("").to_string();
    Needle::Number(head, tail)
}
