//! Reading tables: `.csv` (any encoding staff save in) and workbooks
//! (`.xlsx`, `.xls`, `.ods`: every visible sheet, as printed).

use std::io::Cursor;

use calamine::{Data, Reader, SheetVisible, Xls};

use super::sheet::{Grid, MAX_COLUMNS, MAX_ROWS};
use super::table::Table;
use crate::problem::Problem;

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

/// Reads a workbook (`.xlsx`, `.xls`, `.ods`): each visible sheet a table,
/// as it prints (see [`super::sheet`]).
pub fn parse_workbook(path: &str, ext: &str, bytes: Vec<u8>, problems: &mut Vec<Problem>) -> Option<Vec<Table>> {
    let bad = |err: String| {
        Problem::new(
            path,
            format!("无法读取电子表格（{err}），已跳过"),
            format!("cannot read the spreadsheet ({err}); skipped"),
        )
        .hint(
            "在 Excel、WPS 或 LibreOffice 中打开后“另存为” .xlsx；如果文件还在复制，等复制完成即可",
            "open it in Excel, WPS or LibreOffice and Save As .xlsx; if it is still copying, wait for the copy to finish",
        )
    };
    // A workbook is a zip: refuse parts that inflate past what any table
    // needs before they are read.
    if ext != "xls" {
        if let Err(why) = inflated_sizes_ok(&bytes) {
            problems.push(bad(why));
            return None;
        }
    }
    let grids = match ext {
        "ods" => super::ods::read(&bytes),
        "xls" => read_xls(bytes),
        _ => super::xlsx::read(&bytes),
    };
    let grids = match grids {
        Ok(g) => g,
        Err(err) => {
            problems.push(bad(err));
            return None;
        }
    };
    if grids.iter().any(|g| g.cut) {
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
    not_shown(path, &grids, problems);
    let several = grids.len() > 1;
    let mut tables = Vec::new();
    for grid in &grids {
        let Some(mut table) = grid.table() else { continue };
        // A sheet without a title row is titled by its name when the
        // workbook has several (Sheet1 alone says nothing).
        if several && table.title.is_none() {
            table.title = Some(grid.name.clone());
        }
        tables.push(table);
    }
    if tables.is_empty() {
        problems.push(
            Problem::new(path, "表格是空的，已跳过", "the table is empty; skipped")
                .hint("第一行写表头，下面每行一条记录", "put the header in the first row and one record per row"),
        );
        return None;
    }
    Some(tables)
}

/// What a table cannot show, each a problem with a hint: formulas saved
/// without their results, pictures and charts.
fn not_shown(path: &str, grids: &[Grid], problems: &mut Vec<Problem>) {
    for grid in grids {
        if let Some(&(r, c)) = grid.uncalculated.first() {
            let cell = super::xlsx::cell_name(r, c);
            let n = grid.uncalculated.len();
            let (zh, en) = if n == 1 {
                (format!("单元格 {cell} 的公式"), format!("the formula in {cell} was"))
            } else {
                (format!("{cell} 等 {n} 个公式"), format!("{n} formulas ({cell} first) were"))
            };
            problems.push(
                Problem::new(
                    path,
                    format!("工作表“{}”中{zh}没有保存计算结果，显示为空", grid.name),
                    format!("sheet {}: {en} saved without results; shown empty", grid.name),
                )
                .at_line(r + 1)
                .hint(
                    "用 Excel 或 WPS 打开这个文件，保存一次（程序导出的表格常常没有计算结果）",
                    "open the file in Excel or WPS and save it once (files exported by programs often lack the results)",
                ),
            );
        }
        if grid.pictures {
            problems.push(
                Problem::new(
                    path,
                    format!("工作表“{}”中的图片或图表不会显示，只显示单元格", grid.name),
                    format!("sheet {}: its pictures and charts are not shown, only its cells", grid.name),
                )
                .hint(
                    "图片另存为 .jpg 放进图集或文章；图表的数字写成表格",
                    "save pictures as .jpg into a gallery or an article; put a chart's figures in a table",
                ),
            );
        }
    }
}

/// An Excel 97–2003 workbook: values, merges and hidden sheets through
/// calamine, number formats and hidden rows and columns from our own scan
/// of its records ([`super::biff`]).
///
/// Our scan reads the container first and refuses a damaged one; calamine
/// then runs behind `catch_unwind`, as it panics on some damaged files
/// (found by `fuzz/run xlsx`): a bad file is a problem, not a crash.
fn read_xls(bytes: Vec<u8>) -> Result<Vec<Grid>, String> {
    let extras = super::biff::scan(&bytes).map_err(|e| format!("damaged .xls: {e}"))?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| calamine_xls(bytes, &extras)))
        .unwrap_or_else(|_| Err("damaged .xls: the reader gave up".into()))
}

fn calamine_xls(bytes: Vec<u8>, extras: &super::biff::Extras) -> Result<Vec<Grid>, String> {
    let extras = Some(extras);
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let sheets: Vec<(String, bool)> =
        book.sheets_metadata().iter().map(|s| (s.name.clone(), s.visible == SheetVisible::Visible)).collect();
    let mut out = Vec::new();
    for (name, visible) in sheets {
        if !visible {
            continue;
        }
        let range = book.worksheet_range(&name).map_err(|e| e.to_string())?;
        let mut grid = Grid { name: name.clone(), ..Grid::default() };
        let sheet = extras.and_then(|x| x.sheets.iter().find(|s| s.name == name).map(|s| (x, s)));
        if let Some((_, s)) = sheet {
            grid.hidden_rows.clone_from(&s.hidden_rows);
            grid.hidden_cols.clone_from(&s.hidden_cols);
        }
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, cell) in range.used_cells() {
            let (r, c) = (r as u32 + r0, c as u32 + c0);
            if r >= MAX_ROWS || c >= MAX_COLUMNS {
                grid.cut = true;
                continue;
            }
            let number = match cell {
                Data::Float(f) => Some(*f),
                Data::Int(i) => Some(*i as f64),
                Data::DateTime(d) => Some(d.as_f64()),
                _ => None,
            };
            let text = match (number, sheet) {
                (Some(v), Some((x, s))) => super::numfmt::format(v, x.format_of(s, r, c), x.date1904),
                _ => cell_text(cell),
            };
            if !text.trim().is_empty() {
                grid.cells.insert((r, c), text);
            }
        }
        for d in book.worksheet_merge_cells(&name).unwrap_or_default() {
            grid.merges.push((d.start.0, d.start.1, d.end.0.min(MAX_ROWS), d.end.1.min(MAX_COLUMNS)));
        }
        out.push(grid);
    }
    if out.is_empty() {
        return Err("no visible sheet".into());
    }
    Ok(out)
}

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
        Data::Float(f) => super::numfmt::general(*f),
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
    fn a_broken_workbook_is_a_problem() {
        let mut problems = Vec::new();
        assert!(parse_workbook("t.xlsx", "xlsx", b"not a zip".to_vec(), &mut problems).is_none());
        assert_eq!(problems.len(), 1);
    }
}
