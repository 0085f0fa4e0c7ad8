//! What file and folder names mean: order prefixes, date prefixes, and the
//! temp files that editors and copy tools leave behind.

use chrono::NaiveDate;

/// `01-要闻速递` → `(Some(1), "要闻速递")`; a name without a numeric prefix
/// keeps its whole text as the title.
pub(crate) fn split_order(name: &str) -> (Option<u32>, &str) {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 4 {
        return (None, name);
    }
    let rest = &name[digits..];
    let Some(sep) = rest.chars().next().filter(|c| matches!(c, '-' | '_' | '.' | ' ' | '、')) else {
        return (None, name);
    };
    let title = rest[sep.len_utf8()..].trim();
    if title.is_empty() {
        return (None, name);
    }
    (name[..digits].parse().ok(), title)
}

/// `2026-11-20-标题` or `20261120-标题` → the publish date and the title.
pub(crate) fn split_date(stem: &str) -> (Option<NaiveDate>, &str) {
    for (len, format) in [(10, "%Y-%m-%d"), (8, "%Y%m%d")] {
        if stem.len() > len && stem.is_char_boundary(len) {
            if let Ok(date) = NaiveDate::parse_from_str(&stem[..len], format) {
                let rest = stem[len..].trim_start_matches(['-', '_', ' ', '.']).trim();
                if !rest.is_empty() {
                    return (Some(date), rest);
                }
            }
        }
    }
    (None, stem)
}

/// Files nobody meant to publish: hidden files, Office lock and temp files,
/// editor swap files, partial downloads and uploads, OS thumbnails.
pub(crate) fn is_ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.starts_with(".~lock")
        || name.ends_with('~')
        || ["thumbs.db", "desktop.ini", "ehthumbs.db"].contains(&lower.as_str())
        || [".tmp", ".temp", ".swp", ".swx", ".part", ".partial", ".crdownload", ".download", ".bak", ".filepart"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_prefixes() {
        assert_eq!(split_order("01-要闻速递"), (Some(1), "要闻速递"));
        assert_eq!(split_order("7_便民电话"), (Some(7), "便民电话"));
        assert_eq!(split_order("12、村务公开"), (Some(12), "村务公开"));
        assert_eq!(split_order("便民万源"), (None, "便民万源"));
        assert_eq!(split_order("2026年工作"), (None, "2026年工作"));
        assert_eq!(split_order("01-"), (None, "01-"));
    }

    #[test]
    fn date_prefixes() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20);
        assert_eq!(split_date("2026-11-20-全市冬季防火"), (d, "全市冬季防火"));
        assert_eq!(split_date("20261120 全市冬季防火"), (d, "全市冬季防火"));
        assert_eq!(split_date("2026-13-20-坏日期"), (None, "2026-13-20-坏日期"));
        assert_eq!(split_date("通知"), (None, "通知"));
    }

    #[test]
    fn temp_files() {
        for name in ["~$通知.docx", ".~lock.价格.csv#", "a.tmp", "a.md.swp", "Thumbs.db", ".DS_Store", "x.part", "y~"]
        {
            assert!(is_ignored(name), "{name}");
        }
        for name in ["通知.md", "价格表.csv", "photo.jpg"] {
            assert!(!is_ignored(name), "{name}");
        }
    }
}
