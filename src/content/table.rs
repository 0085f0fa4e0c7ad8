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
    // A workbook is a zip: refuse parts that inflate past what any table
    // needs before calamine reads them (shared strings are read whole).
    if let Err(why) = inflated_sizes_ok(&bytes) {
        problems.push(bad(why));
        return None;
    }
    let mut book: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(err) => {
            problems.push(bad(err.to_string()));
            return None;
        }
    };
    let Some(first) = book.sheet_names().first().cloned() else {
        problems.push(bad("no sheet".into()));
        return None;
    };
    // Cells are streamed, not read into calamine's dense range: one stray
    // cell at XFD1048576 would make that 17 billion cells.
    let mut reader = match book.worksheet_cells_reader(&first) {
        Ok(reader) => reader,
        Err(err) => {
            problems.push(bad(err.to_string()));
            return None;
        }
    };
    let mut cells: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    let mut cut = false;
    loop {
        match reader.next_cell() {
            Ok(Some(cell)) => {
                let (row, col) = cell.get_position();
                let text = cell_text(&Data::from(cell.get_value().clone()));
                if text.is_empty() {
                    continue;
                }
                if row >= MAX_ROWS || col >= MAX_COLUMNS {
                    cut = true;
                    continue;
                }
                cells.entry(row).or_default().push((col, text));
            }
            Ok(None) => break,
            Err(err) => {
                problems.push(bad(err.to_string()));
                return None;
            }
        }
    }
    if cut {
        problems.push(
            Problem::new(
                path,
                format!("表格超过 {MAX_ROWS} 行或 {MAX_COLUMNS} 列，超出的部分没有显示"),
                format!("the sheet exceeds {MAX_ROWS} rows or {MAX_COLUMNS} columns; the rest is not shown"),
            )
            .hint(
                "把表格拆成几个文件，或删去不需要的行和列",
                "split the sheet into several files, or delete unused rows and columns",
            ),
        );
    }
    // The table starts at its first used column, wherever the sheet puts it.
    let first_col = cells.values().flatten().map(|(c, _)| *c).min().unwrap_or(0);
    let width = cells.values().flatten().map(|(c, _)| c + 1 - first_col).max().unwrap_or(0) as usize;
    let rows = cells
        .into_values()
        .map(|row| {
            let mut out = vec![String::new(); width];
            for (c, text) in row {
                out[(c - first_col) as usize] = text;
            }
            out
        })
        .collect();
    Table::from_rows(path, rows, problems)
}

/// Rows and columns of a spreadsheet that a table shows at most.
const MAX_ROWS: u32 = 20_000;
const MAX_COLUMNS: u32 = 64;

/// Whether every part of a zip inflates to at most 32 MB, 100 MB in all.
fn inflated_sizes_ok(bytes: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| e.to_string())?;
        if part.size() > 32 << 20 {
            return Err(format!("{} inflates to {} MB", part.name(), part.size() >> 20));
        }
        total += part.size();
    }
    if total > 100 << 20 {
        return Err(format!("the workbook inflates to {} MB", total >> 20));
    }
    Ok(())
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
