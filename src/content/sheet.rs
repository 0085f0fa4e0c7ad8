//! A sheet as an office prints it, read back as a table: the title merged
//! across the top, the 填报单位 and 单位 line under it, a header of one or
//! two rows (序号 merged down, 金额 merged over 收入 and 支出), the data,
//! and the notes merged across the bottom (监督电话, 公示时间).
//!
//! Every reader (`.xlsx`, `.xls`, `.ods`) produces a [`Grid`]: the cells as
//! shown (number formats applied), the merged ranges, and what is hidden.
//! [`Grid::table`] finds the parts.

use std::collections::{BTreeMap, BTreeSet};

use super::table::Table;

/// One sheet's visible content.
#[derive(Debug, Default)]
pub struct Grid {
    pub name: String,
    /// (row, column) → the text shown, 0-based.
    pub cells: BTreeMap<(u32, u32), String>,
    /// Merged ranges: first row, first column, last row, last column (inclusive).
    pub merges: Vec<(u32, u32, u32, u32)>,
    pub hidden_rows: BTreeSet<u32>,
    pub hidden_cols: BTreeSet<u32>,
    /// Cells past the reader's limits were left out.
    pub cut: bool,
    /// Formula cells saved without their result (shown empty).
    pub uncalculated: Vec<(u32, u32)>,
    /// The sheet has pictures or charts, which a table does not show.
    pub pictures: bool,
}

/// Rows and columns of a sheet that a table shows at most.
pub const MAX_ROWS: u32 = 20_000;
pub const MAX_COLUMNS: u32 = 64;

/// A row of the sheet, its cells by visible column, merges resolved.
struct Line {
    /// The sheet's row number (1-based, as the sheet names it).
    number: u32,
    cells: Vec<String>,
    /// Per visible column: the merge the cell is the first of, its visible
    /// width and height, or covered by one begun elsewhere.
    spans: Vec<Span>,
    /// Per visible column: the text of a cell merged down into this row.
    above: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Span {
    Plain,
    /// The top-left of a merge: visible columns and rows it spans.
    Start {
        cols: usize,
        rows: usize,
    },
    /// Inside a merge begun in another cell, at visible row `from_row`
    /// and column `from_col`; `top`: on the merge's first row.
    Covered {
        top: bool,
        from_row: usize,
        from_col: usize,
    },
}

impl Line {
    fn filled(&self) -> usize {
        self.cells.iter().filter(|c| !c.is_empty()).count()
    }

    /// A line that spans the table: one piece of text (or two, like
    /// "填报单位：… 单位：元") across a row whose table is wider, or a cell
    /// merged across most of the width.
    fn spans_table(&self, width: usize) -> bool {
        let filled = self.filled();
        if filled == 0 || width < 2 {
            return false;
        }
        let wide = self.spans.iter().any(|s| matches!(s, Span::Start { cols, .. } if *cols * 2 > width));
        wide && filled <= 2 || filled == 1 && width >= 3
    }

    /// The line's text pieces joined as one line.
    fn text(&self) -> String {
        self.cells.iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("\u{3000}\u{3000}")
    }
}

impl Grid {
    /// The sheet's visible lines, merges resolved, and their width in
    /// visible columns; `None` when nothing visible is in it.
    fn lines(&self) -> Option<(Vec<Line>, usize)> {
        let rows: BTreeSet<u32> =
            self.cells.keys().map(|(r, _)| *r).filter(|r| !self.hidden_rows.contains(r)).collect();
        let cols: BTreeSet<u32> = self
            .cells
            .iter()
            .filter(|((r, c), t)| {
                !t.trim().is_empty() && !self.hidden_rows.contains(r) && !self.hidden_cols.contains(c)
            })
            .map(|((_, c), _)| *c)
            .collect();
        if cols.is_empty() {
            return None;
        }
        // Columns between the first and last used one, hidden ones left out.
        let (first, last) = (*cols.first()?, *cols.last()?);
        let visible: Vec<u32> = (first..=last).filter(|c| !self.hidden_cols.contains(c)).collect();
        let col_index: BTreeMap<u32, usize> = visible.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let width = visible.len();
        let visible_rows: Vec<u32> = match (rows.first(), rows.last()) {
            (Some(&a), Some(&b)) => (a..=b).filter(|r| !self.hidden_rows.contains(r)).collect(),
            _ => return None,
        };
        let row_index: BTreeMap<u32, usize> = visible_rows.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        // Each merge, measured in visible rows and columns.
        let mut span_at: BTreeMap<(usize, usize), Span> = BTreeMap::new();
        for &(r0, c0, r1, c1) in &self.merges {
            let vr: Vec<usize> = (r0..=r1).filter_map(|r| row_index.get(&r).copied()).collect();
            let vc: Vec<usize> = (c0..=c1).filter_map(|c| col_index.get(&c).copied()).collect();
            let (Some(&top), Some(&left)) = (vr.first(), vc.first()) else { continue };
            for (i, &r) in vr.iter().enumerate() {
                for (j, &c) in vc.iter().enumerate() {
                    let span = match (i, j) {
                        (0, 0) => Span::Start { cols: vc.len(), rows: vr.len() },
                        _ => Span::Covered { top: r == top, from_row: top, from_col: left },
                    };
                    span_at.insert((r, c), span);
                }
            }
        }
        let mut lines: Vec<Line> = Vec::new();
        for (ri, &r) in visible_rows.iter().enumerate() {
            let mut cells = vec![String::new(); width];
            for (ci, &c) in visible.iter().enumerate() {
                if let Some(t) = self.cells.get(&(r, c)) {
                    if !matches!(span_at.get(&(ri, ci)), Some(Span::Covered { .. })) {
                        cells[ci] = t.trim().to_string();
                    }
                }
            }
            let spans: Vec<Span> =
                (0..width).map(|ci| span_at.get(&(ri, ci)).copied().unwrap_or(Span::Plain)).collect();
            let above = (0..width)
                .map(|ci| match spans[ci] {
                    Span::Covered { top: false, from_row, from_col } if from_col == ci => self
                        .cells
                        .get(&(visible_rows[from_row], visible[from_col]))
                        .map(|t| t.trim().to_string())
                        .unwrap_or_default(),
                    _ => String::new(),
                })
                .collect();
            lines.push(Line { number: r + 1, cells, spans, above });
        }
        lines.retain(|l| l.filled() > 0);
        (!lines.is_empty()).then_some((lines, width))
    }

    /// The sheet as a table, or `None` when nothing visible is in it.
    pub fn table(&self) -> Option<Table> {
        let (lines, width) = self.lines()?;

        // Above the header: the title, then the lines under it.
        let mut top = 0;
        while top < lines.len() && lines[top].spans_table(width) {
            top += 1;
        }
        // A sheet of nothing but spanning lines is a list of lines.
        if top == lines.len() {
            top = 0;
        }
        let mut title = None;
        let mut subtitle = Vec::new();
        for line in &lines[..top] {
            if title.is_none() && line.filled() == 1 {
                title = Some(line.text());
            } else {
                subtitle.push(line.text());
            }
        }
        // Below the data: the notes.
        let mut bottom = lines.len();
        while bottom > top + 1 && lines[bottom - 1].spans_table(width) {
            bottom -= 1;
        }
        let notes: Vec<String> = lines[bottom..].iter().map(Line::text).collect();

        // The header: its first row, and the rows under it while a header
        // cell is merged down into them or a group cell spans columns.
        let mut header_rows = 1;
        let head = &lines[top];
        let down = head.spans.iter().filter_map(|s| match s {
            Span::Start { rows, .. } => Some(*rows),
            _ => None,
        });
        let group = head.spans.iter().any(|s| matches!(s, Span::Start { cols, .. } if *cols > 1));
        header_rows = header_rows.max(down.max().unwrap_or(1)).max(if group { 2 } else { 1 });
        header_rows = header_rows.min(bottom - top - 1).max(1);
        let header = header_of(&lines[top..top + header_rows], width);
        let mut data: Vec<Vec<String>> = Vec::new();
        let mut numbers = Vec::new();
        for line in &lines[top + header_rows..bottom] {
            // A cell merged down over several records (a 村组 over its
            // households) is shown in each: a row on a later page, or read
            // alone, still says which it belongs to.
            let cells = line.cells.iter().zip(&line.above).map(|(c, a)| if a.is_empty() { c } else { a }).cloned();
            data.push(cells.collect());
            numbers.push(line.number);
        }
        // Columns with neither header nor data are spacing the office left.
        let keep: Vec<usize> =
            (0..width).filter(|&c| !header[c].is_empty() || data.iter().any(|r| !r[c].is_empty())).collect();
        let pick = |row: &[String]| keep.iter().map(|&c| row[c].clone()).collect::<Vec<String>>();
        Some(Table {
            title,
            subtitle,
            header: pick(&header),
            rows: data.iter().map(|r| pick(r)).collect(),
            notes,
            lines: numbers,
        })
    }
}

/// The header of the rows `head`: a cell merged down is named once, a group
/// cell names each column under it (金额·收入, 金额·支出).
fn header_of(head: &[Line], width: usize) -> Vec<String> {
    let mut header = vec![String::new(); width];
    for (c, cell) in header.iter_mut().enumerate() {
        let mut parts: Vec<String> = Vec::new();
        for line in head {
            let text = match line.spans[c] {
                Span::Covered { top: true, from_col, .. } if from_col != c => line.cells[from_col].clone(),
                Span::Covered { .. } => String::new(),
                _ => line.cells[c].clone(),
            };
            // A group cell names each column under it: 金额·收入, 金额·支出.
            let text = match line.spans[c] {
                Span::Covered { top: false, from_col, .. } => {
                    let above = head
                        .iter()
                        .find(|l| matches!(l.spans[from_col], Span::Start { .. }))
                        .map(|l| l.cells[from_col].clone());
                    above.unwrap_or(text)
                }
                _ => text,
            };
            if !text.is_empty() && parts.last() != Some(&text) {
                parts.push(text);
            }
        }
        *cell = parts.join("·");
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]], merges: &[(u32, u32, u32, u32)]) -> Grid {
        let mut g = Grid { name: "Sheet1".into(), ..Grid::default() };
        for (r, row) in rows.iter().enumerate() {
            for (c, t) in row.iter().enumerate() {
                if !t.is_empty() {
                    g.cells.insert((r as u32, c as u32), t.to_string());
                }
            }
        }
        g.merges = merges.to_vec();
        g
    }

    #[test]
    fn a_printed_sheet_has_a_title_a_two_row_header_and_notes() {
        let g = grid(
            &[
                &["村级财务收支公示表", "", "", "", "", ""],
                &["填报单位：石窝镇双河村", "", "", "", "单位：元", ""],
                &["序号", "日期", "摘要", "金额", "", "经办人"],
                &["", "", "", "收入", "支出", ""],
                &["1", "2026-10-08", "上级补助资金", "12,500.50", "", "张三"],
                &["2", "2026-10-15", "道路维修", "", "3,200.00", "李四"],
                &["合计", "", "", "12,500.50", "3,200.00", ""],
                &["监督电话：0818-8621234", "", "", "", "", ""],
                &["公示时间：2026年11月1日至11月30日", "", "", "", "", ""],
            ],
            &[
                (0, 0, 0, 5),
                (1, 0, 1, 3),
                (2, 0, 3, 0),
                (2, 1, 3, 1),
                (2, 2, 3, 2),
                (2, 3, 2, 4),
                (2, 5, 3, 5),
                (6, 0, 6, 2),
                (7, 0, 7, 5),
                (8, 0, 8, 5),
            ],
        );
        let t = g.table().unwrap();
        assert_eq!(t.title.as_deref(), Some("村级财务收支公示表"));
        assert_eq!(t.subtitle, ["填报单位：石窝镇双河村\u{3000}\u{3000}单位：元"]);
        assert_eq!(t.header, ["序号", "日期", "摘要", "金额·收入", "金额·支出", "经办人"]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0], ["1", "2026-10-08", "上级补助资金", "12,500.50", "", "张三"]);
        assert_eq!(t.rows[2], ["合计", "", "", "12,500.50", "3,200.00", ""]);
        assert_eq!(t.notes, ["监督电话：0818-8621234", "公示时间：2026年11月1日至11月30日"]);
        assert_eq!(t.lines, [5, 6, 7]);
    }

    #[test]
    fn hidden_rows_and_columns_are_skipped_and_a_plain_sheet_stays_plain() {
        let mut g = grid(&[&["名称", "内部编号", "电话"], &["火警", "A1", "119"], &["草稿", "", "x"]], &[]);
        g.hidden_cols.insert(1);
        g.hidden_rows.insert(2);
        let t = g.table().unwrap();
        assert_eq!((t.title, t.subtitle.len(), t.notes.len()), (None, 0, 0));
        assert_eq!(t.header, ["名称", "电话"]);
        assert_eq!(t.rows, [vec!["火警", "119"]]);
    }
}
