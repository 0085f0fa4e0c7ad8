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
    let mut findings = checks::Findings::default();
    let source = doc.source.clone();
    let none = checks::Piece { line: None, context: "" };
    checker.text(&source, &mut doc.title, &none, &mut findings);
    match &mut doc.body {
        Body::Text(blocks) => {
            for block in blocks {
                match block {
                    Block::Heading(spans) | Block::Paragraph(spans) | Block::Item { spans, .. } => {
                        for span in spans {
                            checker.text(&source, &mut span.text, &none, &mut findings);
                        }
                    }
                    Block::Picture { caption, line, .. } => {
                        checker.text(&source, caption, &checks::Piece { line: Some(*line), context: "" }, &mut findings)
                    }
                    Block::Image { caption, .. } => checker.text(&source, caption, &none, &mut findings),
                    Block::Table(table) => check_table(&checker, &source, table, &mut findings),
                }
            }
        }
        Body::Poll(poll) => {
            for q in &mut poll.questions {
                checker.text(&source, &mut q.text, &none, &mut findings);
                for c in &mut q.choices {
                    checker.text(&source, c, &none, &mut findings);
                }
            }
        }
        Body::Table(tables) => {
            for table in tables {
                check_table(&checker, &source, table, &mut findings);
            }
        }
    }
    let withhold = findings.withhold;
    let text_file = matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "markdown" | "txt"));
    if text_file {
        problems.extend(lined(findings, root, path));
    } else {
        problems.extend(findings.problems());
    }
    (!withhold).then_some(doc)
}

/// The checks on every part of a table: title, the lines above and below
/// it, the header, and each cell with its column's header as context and its
/// row's line.
pub(super) fn check_table(checker: &checks::Checker, source: &str, table: &mut Table, findings: &mut checks::Findings) {
    let none = checks::Piece { line: None, context: "" };
    if let Some(title) = &mut table.title {
        checker.text(source, title, &none, findings);
    }
    for line in table.subtitle.iter_mut().chain(table.notes.iter_mut()) {
        checker.text(source, line, &none, findings);
    }
    let header = table.header.clone();
    for cell in &mut table.header {
        checker.text(source, cell, &none, findings);
    }
    for (r, row) in table.rows.iter_mut().enumerate() {
        let line = table.lines.get(r).copied();
        for (c, cell) in row.iter_mut().enumerate() {
            let context = header.get(c).map_or("", String::as_str);
            checker.text(source, cell, &checks::Piece { line, context }, findings);
        }
    }
}

/// Findings without a line get the line of the file where their text is
/// (the word, or the number's digits as written). The file is read (once)
/// only when one of them needs it.
pub(super) fn lined(found: checks::Findings, root: &Root, path: &Path) -> impl Iterator<Item = Problem> {
    let found = found.found;
    let unlined = found.iter().any(|f| f.problem.line.is_none());
    let raw = unlined.then(|| read_text(root, path, &mut Vec::new())).flatten();
    found.into_iter().map(move |f| match (&raw, f.problem.line) {
        (Some(raw), None) => match f.needle.line_in(raw) {
            Some(i) => f.problem.at_line(i),
            None => f.problem,
        },
        _ => f.problem,
    })
}
