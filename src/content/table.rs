//! A table as content holds it, whichever file it came from: a header, the
//! records, and the lines a printed sheet has above and below them.

use crate::problem::Problem;

/// A table as staff wrote it: a header row over the records, and in a
/// spreadsheet made for print the lines above and below them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// The title printed above the table (a row merged across the top).
    pub title: Option<String>,
    /// Lines between the title and the header (填报单位, 单位：元).
    pub subtitle: Vec<String>,
    pub header: Vec<String>,
    /// Every row has the header's length: short rows are padded, long rows
    /// widen the header with empty titles.
    pub rows: Vec<Vec<String>>,
    /// Lines printed under the table (监督电话, 公示时间).
    pub notes: Vec<String>,
    /// The line (CSV) or row (sheet) each record was read from, 1-based.
    pub lines: Vec<u32>,
}

impl Table {
    /// Every piece of text the table shows.
    pub fn texts(&self) -> impl Iterator<Item = &String> {
        self.title.iter().chain(&self.subtitle).chain(&self.header).chain(self.rows.iter().flatten()).chain(&self.notes)
    }

    /// Whether every non-empty cell of column `c` is a number (right-aligned).
    pub fn numeric(&self, c: usize) -> bool {
        let mut any = false;
        for row in &self.rows {
            let cell = row[c].trim();
            if cell.is_empty() {
                continue;
            }
            if !is_number(cell) {
                return false;
            }
            any = true;
        }
        any
    }

    pub(super) fn from_rows(path: &str, rows: Vec<Vec<String>>, problems: &mut Vec<Problem>) -> Option<Table> {
        // Blank rows (a spreadsheet's trailing lines) carry nothing.
        let (mut lines, mut rows): (Vec<u32>, Vec<Vec<String>>) = rows
            .into_iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
            .map(|(i, r)| (i as u32 + 1, r))
            .unzip();
        if rows.is_empty() {
            problems.push(
                Problem::new(path, "表格是空的，已跳过", "the table is empty; skipped")
                    .hint("第一行写表头，下面每行一条记录", "put the header in the first row and one record per row"),
            );
            return None;
        }
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        for row in &mut rows {
            for cell in row.iter_mut() {
                *cell = cell.trim().to_string();
            }
            row.resize(width, String::new());
        }
        let header = rows.remove(0);
        lines.remove(0);
        Some(Table { header, rows, lines, ..Table::default() })
    }
}

/// Numbers as tables show them: `1,234.50`, `-3`, `12%`, `¥8.5`, `28,000元`.
pub(crate) fn is_number(s: &str) -> bool {
    let t = s.trim_start_matches(['¥', '￥', '+', '-']).trim_end_matches(['%', '元', '万']);
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in ["1,234.50", "-3", "12%", "¥8.5", "28,000元", "2026"] {
            assert!(is_number(n), "{n}");
        }
        for s in ["火警", "6:30", "2026-11-20", "", "-", "0818-1234"] {
            assert!(!is_number(s), "{s}");
        }
    }
}
