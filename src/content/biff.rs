//! What calamine leaves out of an Excel 97–2003 (`.xls`) workbook: each
//! numeric cell's number format, hidden rows and hidden columns. calamine
//! reads the values (shared strings, formulas' cached results, merges);
//! this reads the same `Workbook` stream for the rest: the compound file
//! (CFB) container, then the BIFF8 records FORMAT, XF, DATEMODE,
//! BOUNDSHEET8, and in each sheet ROW, COLINFO and the cells' XF indexes.
//! Every read is bounds-checked: a damaged file is an `Err`, never a panic.

use std::collections::{BTreeSet, HashMap};

/// The formats and visibility of one workbook.
#[derive(Debug, Default)]
pub struct Extras {
    pub date1904: bool,
    pub sheets: Vec<SheetExtras>,
    /// The number format code of each XF (cell style) index.
    formats: Vec<Option<String>>,
}

#[derive(Debug, Default)]
pub struct SheetExtras {
    pub name: String,
    pub hidden_rows: BTreeSet<u32>,
    pub hidden_cols: BTreeSet<u32>,
    /// The XF index of each numeric cell, by (row, column).
    xf: HashMap<(u32, u32), u16>,
}

impl Extras {
    /// The number format of a cell of `sheet`, `None` for General.
    pub(crate) fn format_of(&self, sheet: &SheetExtras, row: u32, col: u32) -> Option<&str> {
        let xf = *sheet.xf.get(&(row, col))?;
        self.formats.get(xf as usize)?.as_deref()
    }
}

/// Reads the extras of an `.xls` file.
pub fn scan(bytes: &[u8]) -> Result<Extras, String> {
    let stream = workbook_stream(bytes)?;
    let mut ext = Extras::default();
    let mut codes: HashMap<u16, String> = HashMap::new();
    let mut xf_formats: Vec<u16> = Vec::new();
    let mut sheets: Vec<(u32, String, bool)> = Vec::new();
    for (kind, data) in Records::at(&stream, 0) {
        match kind {
            // FORMAT: ifmt, then the code as an XLUnicodeString.
            0x041E => {
                if let (Some(id), Some((code, _))) = (u16_at(data, 0), unicode_string(data, 2, true)) {
                    codes.insert(id, code);
                }
            }
            // XF: the font, then the format index.
            0x00E0 => xf_formats.push(u16_at(data, 2).ok_or("short XF record")?),
            0x0022 => ext.date1904 = u16_at(data, 0) == Some(1),
            // BOUNDSHEET8: where the sheet starts, its visibility, its name.
            0x0085 => {
                let pos = u32_at(data, 0).ok_or("short BOUNDSHEET record")?;
                let (name, _) = unicode_string(data, 6, false).ok_or("bad sheet name")?;
                // Every kind of sheet is read by calamine and so counted;
                // worksheets only (dt = 0), visible or not, are kept: the
                // caller keeps the visible ones.
                sheets.push((pos, name, data.get(5) == Some(&0)));
            }
            0x000A => break,
            _ => {}
        }
    }
    ext.formats = xf_formats
        .iter()
        .map(|id| codes.get(id).cloned().or_else(|| super::numfmt::builtin(u32::from(*id)).map(str::to_string)))
        .map(|code| code.filter(|c| !c.eq_ignore_ascii_case("general")))
        .collect();
    // calamine reserves a sheet's cells by its DIMENSIONS record and lays
    // its cells out in their bounding box: both are checked against
    // `MAX_CELLS` over the workbook before calamine sees it.
    let mut cells: u64 = 0;
    for (pos, name, worksheet) in sheets {
        let sheet = sheet_extras(&stream, pos as usize, name, &mut cells)?;
        if worksheet {
            ext.sheets.push(sheet);
        }
    }
    Ok(ext)
}

/// One sheet's formats and visibility, from its BOF at `pos`; `cells`
/// counts what calamine would hold of the workbook so far.
fn sheet_extras(stream: &[u8], pos: usize, name: String, cells: &mut u64) -> Result<SheetExtras, String> {
    let mut sheet = SheetExtras { name, ..SheetExtras::default() };
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    let mut seen = |r: u32, c0: u32, c1: u32| {
        let b = bounds.get_or_insert((r, c0, r, c1));
        *b = (b.0.min(r), b.1.min(c0), b.2.max(r), b.3.max(c1));
    };
    let mut records = Records::at(stream, pos);
    // The sheet's own BOF first; a position past the stream reads nothing.
    records.next();
    for (kind, data) in records {
        match kind {
            // ROW: fDyZero (bit 5 of the flags at 12) hides it.
            0x0208 => {
                if let (Some(row), Some(flags)) = (u16_at(data, 0), u16_at(data, 12)) {
                    if flags & 0x20 != 0 {
                        sheet.hidden_rows.insert(u32::from(row));
                    }
                }
            }
            // COLINFO: first and last column, fHidden in the options.
            0x007D => {
                if let (Some(first), Some(last), Some(options)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 8)) {
                    if options & 1 != 0 {
                        let last = last.min(super::sheet::MAX_COLUMNS as u16);
                        sheet.hidden_cols.extend((first..=last).map(u32::from));
                    }
                }
            }
            0x0200 => *cells += dimensions(data)?,
            // NUMBER, RK, FORMULA: row, column, XF.
            0x0203 | 0x027E | 0x0006 => {
                if let (Some(r), Some(c), Some(xf)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4)) {
                    sheet.xf.insert((u32::from(r), u32::from(c)), xf);
                    seen(u32::from(r), u32::from(c), u32::from(c));
                }
            }
            // LABEL, BOOLERR, LABELSST, RSTRING: cells calamine reads too.
            0x0204 | 0x0205 | 0x00FD | 0x00D6 => {
                if let (Some(r), Some(c)) = (u16_at(data, 0), u16_at(data, 2)) {
                    seen(u32::from(r), u32::from(c), u32::from(c));
                }
            }
            // MULRK: row, first column, then (XF, RK) six bytes each.
            0x00BD => {
                if let (Some(r), Some(first)) = (u16_at(data, 0), u16_at(data, 2)) {
                    let n = data.len().saturating_sub(6) / 6;
                    seen(u32::from(r), u32::from(first), u32::from(first) + n.max(1) as u32 - 1);
                    for i in 0..n {
                        if let Some(xf) = u16_at(data, 4 + 6 * i) {
                            sheet.xf.insert((u32::from(r), u32::from(first) + i as u32), xf);
                        }
                    }
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    if let Some((r0, c0, r1, c1)) = bounds {
        // Cells and their formulas, each laid out in the box.
        *cells += 2 * u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
    }
    if *cells > MAX_CELLS {
        return Err(format!("more than {MAX_CELLS} cells"));
    }
    Ok(sheet)
}

/// Cells a workbook may make calamine hold (its `Data` is 32 bytes).
const MAX_CELLS: u64 = 4_000_000;

/// The cells calamine reserves for a DIMENSIONS record, read as it reads
/// it; rows that would wrap around are an error.
fn dimensions(data: &[u8]) -> Result<u64, String> {
    let (rf, rl, cf, cl) = match data.len() {
        10 => (
            u16_at(data, 0).map(u32::from),
            u16_at(data, 2).map(u32::from),
            u16_at(data, 4).map(u32::from),
            u16_at(data, 6).map(u32::from),
        ),
        14 => (u32_at(data, 0), u32_at(data, 4), u16_at(data, 8).map(u32::from), u16_at(data, 10).map(u32::from)),
        _ => return Ok(0),
    };
    let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (rf, rl, cf, cl) else { return Ok(0) };
    if cf > 0xFF || cl < cf {
        cf = 0;
    }
    if rl < 1 || cl < 1 {
        return Ok(1);
    }
    if rl < rf || cl < cf {
        return Err("a sheet's dimensions run backwards".into());
    }
    Ok(u64::from(rl - rf) * u64::from(cl - cf))
}

/// BIFF records from `pos`: (type, data) until the stream ends or a
/// record runs past it.
struct Records<'a> {
    stream: &'a [u8],
    pos: usize,
}

impl<'a> Records<'a> {
    fn at(stream: &'a [u8], pos: usize) -> Records<'a> {
        Records { stream, pos }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let kind = u16_at(self.stream, self.pos)?;
        let len = u16_at(self.stream, self.pos + 2)? as usize;
        let data = self.stream.get(self.pos + 4..self.pos + 4 + len)?;
        self.pos += 4 + len;
        Some((kind, data))
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// An XLUnicodeString (16-bit length) or ShortXLUnicodeString (8-bit) at
/// `at`: the text and the offset after it.
fn unicode_string(b: &[u8], at: usize, long: bool) -> Option<(String, usize)> {
    let (count, at) = if long { (u16_at(b, at)? as usize, at + 2) } else { (*b.get(at)? as usize, at + 1) };
    let wide = b.get(at)? & 1 != 0;
    let at = at + 1;
    if wide {
        let raw = b.get(at..at + 2 * count)?;
        let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        Some((String::from_utf16_lossy(&units), at + 2 * count))
    } else {
        // Compressed: each byte is the low byte of a UTF-16 unit (Latin-1).
        let raw = b.get(at..at + count)?;
        Some((raw.iter().map(|&x| char::from(x)).collect(), at + count))
    }
}

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;

/// The `Workbook` (or BIFF5 `Book`) stream of a compound file.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, String> {
    const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.get(..8) != Some(&MAGIC[..]) {
        return Err("not a compound file".into());
    }
    let shift = u16_at(bytes, 0x1E).ok_or("short header")?;
    if shift != 9 && shift != 12 {
        return Err(format!("sector shift {shift}"));
    }
    let size = 1usize << shift;
    let sector = |n: u32| -> Option<&[u8]> {
        let start = (n as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start + size)
    };
    // The FAT's own sectors: 109 in the header, then the DIFAT chain.
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(bytes, 0x4C + 4 * i)).collect();
    let mut difat = u32_at(bytes, 0x44).ok_or("short header")?;
    let mut guard = 0;
    while difat != END_OF_CHAIN && difat != FREE && guard < 4096 {
        let s = sector(difat).ok_or("DIFAT past the end")?;
        let per = size / 4 - 1;
        fat_sectors.extend((0..per).filter_map(|i| u32_at(s, 4 * i)));
        difat = u32_at(s, 4 * per).ok_or("short DIFAT")?;
        guard += 1;
    }
    if guard == 4096 {
        return Err("the DIFAT chain loops".into());
    }
    let mut fat: Vec<u32> = Vec::new();
    for &n in fat_sectors.iter().filter(|&&n| n != FREE && n != END_OF_CHAIN) {
        let s = sector(n).ok_or("FAT past the end")?;
        fat.extend(s.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    }
    let read = |start: u32| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for n in chain(start, &fat)? {
            out.extend_from_slice(sector(n).ok_or("a sector past the end")?);
        }
        Ok(out)
    };
    let dir = read(u32_at(bytes, 0x30).ok_or("short header")?)?;
    let entries: Vec<&[u8]> = dir.chunks_exact(128).collect();
    let root = entries.first().ok_or("no root entry")?;
    sane_for_calamine(bytes, size, &entries, &fat)?;
    let name_of = |e: &[u8]| {
        let len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64);
        let units: Vec<u16> = e[..len].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units).trim_end_matches('\0').to_string()
    };
    let entry = entries
        .iter()
        .find(|e| e[0x42] == 2 && matches!(name_of(e).as_str(), "Workbook" | "Book"))
        .ok_or("no Workbook stream")?;
    let start = u32_at(entry, 0x74).ok_or("short entry")?;
    let len = u32_at(entry, 0x78).ok_or("short entry")? as usize;
    let cutoff = u32_at(bytes, 0x38).unwrap_or(4096) as usize;
    let mut data = if len >= cutoff {
        read(start)?
    } else {
        // A small stream lives in 64-byte sectors of the root's mini stream.
        let mini = read(u32_at(root, 0x74).ok_or("short root")?)?;
        let mut minifat: Vec<u32> = Vec::new();
        if u32_at(bytes, 0x40).unwrap_or(0) > 0 {
            let raw = read(u32_at(bytes, 0x3C).ok_or("short header")?)?;
            minifat.extend(raw.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        }
        let mut out = Vec::new();
        for n in chain(start, &minifat)? {
            let at = n as usize * 64;
            out.extend_from_slice(mini.get(at..at + 64).ok_or("a mini sector past the end")?);
        }
        out
    };
    if data.len() < len {
        return Err("the Workbook stream is cut short".into());
    }
    data.truncate(len);
    Ok(data)
}

/// A chain of sectors from `start` by the table `next`, guarded against loops.
fn chain(start: u32, next: &[u32]) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    let mut n = start;
    while n != END_OF_CHAIN {
        if out.len() > next.len() {
            return Err("a sector chain loops".into());
        }
        out.push(n);
        n = *next.get(n as usize).ok_or("a sector chain runs off the table")?;
    }
    Ok(out)
}

/// calamine (0.32) trusts a compound file's header and directory: it
/// reserves memory by their sizes and follows sector chains without a
/// guard, so a crafted `.xls` could exhaust memory or loop forever — not a
/// panic that `catch_unwind` stops. What it will reserve and follow is
/// checked here first: every size within the file, every chain it reads
/// ending.
fn sane_for_calamine(bytes: &[u8], size: usize, entries: &[&[u8]], fat: &[u32]) -> Result<(), String> {
    let file = bytes.len();
    let field = |at: usize| u32_at(bytes, at).map_or(usize::MAX, |v| v as usize);
    let (dir_len, fat_len, mini_fat_len) = (field(0x28), field(0x2C), field(0x40));
    if dir_len.saturating_mul(size) > file || fat_len.saturating_mul(size) > file {
        return Err("the header's sizes exceed the file".into());
    }
    if mini_fat_len.saturating_mul(size) > file || field(62) > 16 << 20 {
        return Err("the header's mini FAT size exceeds the file".into());
    }
    let mut minifat: Vec<u32> = Vec::new();
    if mini_fat_len > 0 {
        let start = u32_at(bytes, 0x3C).ok_or("short header")?;
        for n in chain(start, fat)? {
            let at = (n as usize + 1) * size;
            let s = bytes.get(at..at + size).ok_or("a mini FAT sector past the end")?;
            minifat.extend(s.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        }
    }
    for (i, e) in entries.iter().enumerate() {
        let len = if size == 512 {
            u32_at(e, 0x78).map(u64::from)
        } else {
            e.get(0x78..0x80).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
        };
        let len = len.ok_or("short entry")?;
        let kind = e[0x42];
        if !(kind == 2 || kind == 5) || len == 0 {
            continue;
        }
        if len > file as u64 {
            return Err("a stream is longer than the file".into());
        }
        let start = u32_at(e, 0x74).ok_or("short entry")?;
        if i == 0 && mini_fat_len > 0 || kind == 2 && len >= 4096 {
            chain(start, fat)?;
        } else if kind == 2 && !minifat.is_empty() {
            chain(start, &minifat)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_files_are_errors_not_panics() {
        assert!(scan(b"").is_err());
        assert!(scan(b"not a compound file at all").is_err());
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        header[0x1E] = 9;
        assert!(scan(&header).is_err());
    }

    #[test]
    fn strings_compressed_and_wide() {
        assert_eq!(unicode_string(&[3, 0, 0, b'a', b'b', b'c'], 0, true), Some(("abc".into(), 6)));
        let wide = [2, 1, 0x2D, 0x4E, 0x87, 0x65];
        assert_eq!(unicode_string(&wide, 0, false), Some(("中文".into(), 6)));
        assert_eq!(unicode_string(&[9, 0, 0, b'a'], 0, true), None);
    }
}
