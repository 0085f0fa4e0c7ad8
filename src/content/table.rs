//! Tables: `.csv` (any encoding staff save in) and `.xlsx` (the first sheet).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::problem::Problem;

/// A table as staff wrote it: the first row is the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    /// Every row has the header's length: short rows are padded, long rows
    /// widen the header with empty titles.
    pub rows: Vec<Vec<String>>,
}

impl Table {
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

    fn from_rows(path: &str, mut rows: Vec<Vec<String>>, problems: &mut Vec<Problem>) -> Option<Table> {
        // Blank rows (a spreadsheet's trailing lines) carry nothing.
        rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
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
        Some(Table { header, rows })
    }
}

/// Numbers as tables show them: `1,234.50`, `-3`, `12%`, `¥8.5`, `28,000元`.
pub fn is_number(s: &str) -> bool {
    let t = s.trim_start_matches(['¥', '￥', '+', '-']).trim_end_matches(['%', '元', '万']);
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

/// Reads CSV text (already decoded). Rows may be ragged.
pub fn parse_csv(path: &str, text: &str, problems: &mut Vec<Problem>) -> Option<Table> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) => rows.push(r.iter().map(str::to_string).collect()),
            Err(err) => {
                let line = err.position().map_or(i as u32 + 1, |p| p.line() as u32);
                problems.push(
                    Problem::new(path, format!("CSV 格式错误：{err}，已跳过"), format!("invalid CSV: {err}; skipped"))
                        .hint(
                            "检查这一行的英文引号是否成对；用 Excel 打开后另存为 .xlsx 也可以",
                            "check that quotes on this line are paired, or save it from Excel as .xlsx",
                        )
                        .at_line(line),
                );
                return None;
            }
        }
    }
    Table::from_rows(path, rows, problems)
}

/// Reads the first sheet of an `.xlsx` workbook.
pub fn parse_xlsx(path: &str, bytes: Vec<u8>, problems: &mut Vec<Problem>) -> Option<Table> {
    let bad = |err: String| {
        Problem::new(
            path,
            format!("无法读取 Excel 文件（{err}），已跳过"),
            format!("cannot read the workbook ({err}); skipped"),
        )
        .hint(
            "在 Excel 或 WPS 中打开后“另存为” .xlsx；如果文件还在复制，等复制完成即可",
            "open it in Excel or WPS and Save As .xlsx; if it is still copying, wait for the copy to finish",
        )
    };
    let mut book: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(err) => {
            problems.push(bad(err.to_string()));
            return None;
        }
    };
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(err)) => {
            problems.push(bad(err.to_string()));
            return None;
        }
        None => {
            problems.push(bad("no sheet".into()));
            return None;
        }
    };
    let rows = range.rows().map(|row| row.iter().map(cell_text).collect()).collect();
    Table::from_rows(path, rows, problems)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => {
            let (y, mo, day, h, mi, _, _) = d.to_ymd_hms_milli();
            if (h, mi) == (0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_csv_is_padded() {
        let mut problems = Vec::new();
        let t = parse_csv("t.csv", "名称,电话\n火警,119,备注\n急救\n\n", &mut problems).unwrap();
        assert!(problems.is_empty());
        assert_eq!(t.header, ["名称", "电话", ""]);
        assert_eq!(t.rows, [vec!["火警", "119", "备注"], vec!["急救", "", ""]]);
        assert!(t.numeric(1));
        assert!(!t.numeric(0));
    }

    #[test]
    fn numbers() {
        for n in ["1,234.50", "-3", "12%", "¥8.5", "28,000元", "2026"] {
            assert!(is_number(n), "{n}");
        }
        for s in ["火警", "6:30", "2026-11-20", "", "-", "0818-1234"] {
            assert!(!is_number(s), "{s}");
        }
    }

    #[test]
    fn a_broken_workbook_is_a_problem() {
        let mut problems = Vec::new();
        assert!(parse_xlsx("t.xlsx", b"not a zip".to_vec(), &mut problems).is_none());
        assert_eq!(problems.len(), 1);
    }
}
