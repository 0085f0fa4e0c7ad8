//! Spreadsheet number formats: a cell's number shown as the sheet shows it
//! (`#,##0.00` → `12,500.50`, `0.0%` → `12.5%`, `yyyy"年"m"月"d"日"` →
//! `2026年11月20日`). The codes are Excel's, which `.xlsx` and `.xls` store
//! and LibreOffice writes too.

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};

/// The code of a built-in format id (ECMA-376 18.8.30), as a Chinese
/// (zh-CN) Excel shows it; `None` for General and ids it does not define.
pub(crate) fn builtin(id: u32) -> Option<&'static str> {
    Some(match id {
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        5 | 7 => "\"¥\"#,##0.00;\"¥\"-#,##0.00",
        6 | 8 => "\"¥\"#,##0;\"¥\"-#,##0",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        14 | 30 => "yyyy/m/d",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 | 32 => "h:mm",
        21 | 33 => "h:mm:ss",
        22 => "yyyy/m/d h:mm",
        27 | 31 | 36 | 50 | 57 => "yyyy\"年\"m\"月\"d\"日\"",
        28 | 29 | 54 | 58 => "m\"月\"d\"日\"",
        34 | 55 => "h\"时\"mm\"分\"",
        35 | 56 => "h\"时\"mm\"分\"ss\"秒\"",
        37 => "#,##0;-#,##0",
        38 => "#,##0;[Red]-#,##0",
        39 => "#,##0.00;-#,##0.00",
        40 => "#,##0.00;[Red]-#,##0.00",
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mm:ss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

/// `value` shown in format `code` (`None` or `General`: as Excel's General
/// shows it). Dates count days from 1899-12-30 (`date1904`: from 1904-01-01).
pub fn format(value: f64, code: Option<&str>, date1904: bool) -> String {
    let Some(code) = code.filter(|c| !c.eq_ignore_ascii_case("general") && !c.is_empty()) else {
        return general(value);
    };
    let sections = split_sections(code);
    // Sections: positive; negative; zero; text. A negative value shown by
    // its own section loses its sign (the section writes it, if at all).
    let (section, value) = match sections.len() {
        _ if value == 0.0 && sections.len() >= 3 => (sections[2], value),
        n if value < 0.0 && n >= 2 => (sections[1], -value),
        _ => (sections[0], value),
    };
    let tokens = tokens(section);
    if tokens.iter().any(|t| matches!(t, Tok::Date(_))) {
        return date(value, &tokens, date1904).unwrap_or_else(|| general(value));
    }
    if tokens.iter().any(|t| matches!(t, Tok::Text)) && !tokens.iter().any(|t| matches!(t, Tok::Digits(_))) {
        return general(value);
    }
    number(value, &tokens)
}

/// Excel's General: integers whole, others to about ten significant digits.
pub(crate) fn general(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-5..15).contains(&magnitude) {
        return format!("{value:E}");
    }
    let decimals = (10 - magnitude).clamp(0, 15) as usize;
    let s = format!("{value:.decimals$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Splits on `;` outside quotes and brackets.
fn split_sections(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut bracket, mut escaped) = (0, false, false, false);
    for (i, c) in code.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            ';' if !quoted && !bracket => {
                out.push(&code[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&code[start..]);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Text written as it is.
    Lit(String),
    /// Digit placeholders (`0`, `#`, `?`), commas and the point of a number.
    Digits(String),
    Percent,
    /// A date or time part: `yyyy`, `m`, `dd`, `h`, `mm` (minutes after h), `ss`, `AM/PM`.
    Date(String),
    /// `@`: the text of a text cell.
    Text,
}

fn tokens(section: &str) -> Vec<Tok> {
    let chars: Vec<char> = section.chars().collect();
    let mut out: Vec<Tok> = Vec::new();
    let lit = |out: &mut Vec<Tok>, s: &str| match out.last_mut() {
        Some(Tok::Lit(l)) => l.push_str(s),
        _ => out.push(Tok::Lit(s.to_string())),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let end = chars[i + 1..].iter().position(|&x| x == '"').map_or(chars.len(), |p| i + 1 + p);
                lit(&mut out, &chars[i + 1..end].iter().collect::<String>());
                i = end + 1;
                continue;
            }
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    lit(&mut out, &n.to_string());
                }
                i += 2;
                continue;
            }
            // [Red], [$-804], [$¥-804]: a colour or locale; the currency of the latter is shown.
            '[' => {
                let end = chars[i..].iter().position(|&x| x == ']').map_or(chars.len(), |p| i + p);
                let inner: String = chars[i + 1..end].iter().collect();
                if let Some(cur) = inner.strip_prefix('$') {
                    lit(&mut out, cur.split('-').next().unwrap_or(""));
                } else if inner.eq_ignore_ascii_case("h") || inner.eq_ignore_ascii_case("hh") {
                    out.push(Tok::Date("[h]".into()));
                }
                i = end + 1;
                continue;
            }
            // `_x` leaves the room of x; `*x` fills with x: neither shows on a TV.
            '_' | '*' => {
                i += 2;
                continue;
            }
            '0' | '#' | '?' | '.' | ',' => {
                // A point or comma belongs to a number only beside digits.
                let number_part = matches!(c, '0' | '#' | '?')
                    || matches!(out.last(), Some(Tok::Digits(_)))
                    || chars.get(i + 1).is_some_and(|n| matches!(n, '0' | '#' | '?'));
                if number_part {
                    match out.last_mut() {
                        Some(Tok::Digits(d)) => d.push(c),
                        _ => out.push(Tok::Digits(c.to_string())),
                    }
                } else {
                    lit(&mut out, &c.to_string());
                }
            }
            '%' => out.push(Tok::Percent),
            '@' => out.push(Tok::Text),
            'E' | 'e' if matches!(chars.get(i + 1), Some('+' | '-')) => {
                // Scientific: shown as General would.
                return vec![Tok::Digits("E".into())];
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => {
                let lower = c.to_ascii_lowercase();
                let mut j = i;
                while j < chars.len() && chars[j].to_ascii_lowercase() == lower {
                    j += 1;
                }
                out.push(Tok::Date(std::iter::repeat_n(lower, j - i).collect()));
                i = j;
                continue;
            }
            'a' if chars[i..].starts_with(&['a', 'a', 'a']) => {
                // aaa / aaaa: the weekday as Chinese Excel writes it.
                let run = chars[i..].iter().take_while(|&&x| x == 'a').count();
                out.push(Tok::Date(if run >= 4 { "aaaa" } else { "aaa" }.into()));
                i += run;
                continue;
            }
            'A' | 'a' if chars[i..].iter().collect::<String>().to_ascii_uppercase().starts_with("AM/PM") => {
                out.push(Tok::Date("AM/PM".into()));
                i += 5;
                continue;
            }
            _ => lit(&mut out, &c.to_string()),
        }
        i += 1;
    }
    out
}

fn number(value: f64, tokens: &[Tok]) -> String {
    if tokens.iter().any(|t| matches!(t, Tok::Digits(d) if d == "E")) {
        return general(value);
    }
    let percent = tokens.iter().filter(|t| matches!(t, Tok::Percent)).count() as i32;
    let mut value = value * 100f64.powi(percent);
    let mut out = String::new();
    let mut placed = false;
    for tok in tokens {
        match tok {
            Tok::Lit(s) => out.push_str(s),
            Tok::Percent => out.push('%'),
            Tok::Text | Tok::Date(_) => {}
            Tok::Digits(d) if !placed => {
                placed = true;
                // Trailing commas scale by a thousand each (`#,##0,` shows thousands).
                let trimmed = d.trim_end_matches(',');
                for _ in 0..(d.len() - trimmed.len()) {
                    value /= 1000.0;
                }
                let (int_part, frac_part) = trimmed.split_once('.').unwrap_or((trimmed, ""));
                let decimals = frac_part.chars().filter(|c| matches!(c, '0' | '#' | '?')).count();
                let min_decimals = frac_part.chars().filter(|c| *c == '0').count();
                let grouped = int_part.contains(',');
                let min_int = int_part.chars().filter(|c| *c == '0').count();
                let s = format!("{:.*}", decimals, value.abs());
                let (i, f) = s.split_once('.').unwrap_or((&s, ""));
                let mut f = f.to_string();
                while f.len() > min_decimals && f.ends_with('0') {
                    f.pop();
                }
                let mut i = i.trim_start_matches('0').to_string();
                while i.len() < min_int {
                    i.insert(0, '0');
                }
                if grouped {
                    i = group(&i);
                }
                if value < 0.0 && (i.chars().any(|c| c != '0' && c != ',') || f.chars().any(|c| c != '0')) {
                    out.push('-');
                }
                out.push_str(&i);
                if !f.is_empty() {
                    out.push('.');
                    out.push_str(&f);
                } else if frac_part.contains('.') || trimmed.ends_with('.') {
                    // `0.` keeps its point only when asked for digits.
                }
            }
            Tok::Digits(_) => {}
        }
    }
    out
}

fn group(digits: &str) -> String {
    let mut out = String::new();
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn date(value: f64, tokens: &[Tok], date1904: bool) -> Option<String> {
    if !(0.0..2_958_466.0).contains(&value) {
        return None;
    }
    let epoch = if date1904 { NaiveDate::from_ymd_opt(1904, 1, 1)? } else { NaiveDate::from_ymd_opt(1899, 12, 30)? };
    let ms = (value * 86_400_000.0).round() as i64;
    let at: NaiveDateTime = epoch.and_hms_opt(0, 0, 0)? + Duration::milliseconds(ms);
    let twelve = tokens.iter().any(|t| matches!(t, Tok::Date(d) if d == "AM/PM"));
    let mut out = String::new();
    for (n, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Lit(s) => out.push_str(s),
            Tok::Digits(d) => out.push_str(d),
            Tok::Percent => out.push('%'),
            Tok::Text => {}
            Tok::Date(d) => {
                let hour = if twelve { (at.hour() + 11) % 12 + 1 } else { at.hour() };
                // `m` after an hour or before a second is minutes.
                let minutes = d.starts_with('m') && d.len() <= 2 && {
                    let before = tokens[..n].iter().rev().find_map(|t| match t {
                        Tok::Date(x) => Some(x.as_str()),
                        _ => None,
                    });
                    let after = tokens[n + 1..].iter().find_map(|t| match t {
                        Tok::Date(x) => Some(x.as_str()),
                        _ => None,
                    });
                    before.is_some_and(|b| b.starts_with('h') || b == "[h]")
                        || after.is_some_and(|a| a.starts_with('s'))
                };
                let s = match d.as_str() {
                    "yy" => format!("{:02}", at.format("%y")),
                    y if y.starts_with('y') => at.format("%Y").to_string(),
                    "m" if minutes => at.minute().to_string(),
                    "mm" if minutes => format!("{:02}", at.minute()),
                    "m" => at.format("%-m").to_string(),
                    "mm" => at.format("%m").to_string(),
                    "mmm" => at.format("%b").to_string(),
                    m if m.starts_with('m') => at.format("%B").to_string(),
                    "d" => at.format("%-d").to_string(),
                    "dd" => at.format("%d").to_string(),
                    "ddd" => weekday(at.date(), true),
                    "aaa" => weekday(at.date(), true).replace('周', ""),
                    "aaaa" => weekday(at.date(), false),
                    dd if dd.starts_with('d') => weekday(at.date(), false),
                    "h" => hour.to_string(),
                    "hh" => format!("{hour:02}"),
                    "[h]" => ((value * 24.0).floor() as i64).to_string(),
                    "s" => at.second().to_string(),
                    s if s.starts_with('s') => format!("{:02}", at.second()),
                    "AM/PM" => if at.hour() < 12 { "上午" } else { "下午" }.to_string(),
                    other => other.to_string(),
                };
                out.push_str(&s);
            }
        }
    }
    Some(out)
}

fn weekday(d: NaiveDate, short: bool) -> String {
    use chrono::Datelike;
    let names = ["一", "二", "三", "四", "五", "六", "日"];
    let n = names[d.weekday().num_days_from_monday() as usize];
    if short {
        format!("周{n}")
    } else {
        format!("星期{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_the_sheet_shows_them() {
        let cases = [
            (12500.5, "#,##0.00", "12,500.50"),
            (12500.5, "0.00", "12500.50"),
            (1234567.0, "#,##0", "1,234,567"),
            (-1234.5, "#,##0.00", "-1,234.50"),
            (-1234.5, "#,##0.00;[Red]\\(#,##0.00\\)", "(1,234.50)"),
            (0.125, "0.0%", "12.5%"),
            (0.5, "0%", "50%"),
            (3.0, "0.00", "3.00"),
            (8.5, "\"¥\"#,##0.00", "¥8.50"),
            (8.5, "[$¥-804]#,##0.00", "¥8.50"),
            (28000.0, "#,##0\"元\"", "28,000元"),
            (0.0, "#,##0.00;-#,##0.00;\"-\"", "-"),
            (7.0, "000", "007"),
            (1234.0, "#,##0_);(#,##0)", "1,234"),
            (12500.5, "General", "12500.5"),
            (0.1 + 0.2, "General", "0.3"),
            (1500000.0, "#,##0.0,\"千\"", "1,500.0千"),
        ];
        for (v, code, want) in cases {
            assert_eq!(format(v, Some(code), false), want, "{v} in {code}");
        }
    }

    #[test]
    fn dates_as_the_sheet_shows_them() {
        // 2026-11-20 is serial 46346.
        let cases = [
            (46346.0, "yyyy/m/d", "2026/11/20"),
            (46346.0, "yyyy-mm-dd", "2026-11-20"),
            (46346.0, "yyyy\"年\"m\"月\"d\"日\"", "2026年11月20日"),
            (46346.0, "m\"月\"d\"日\"", "11月20日"),
            (46346.75, "yyyy/m/d h:mm", "2026/11/20 18:00"),
            (0.5625, "h:mm", "13:30"),
            (0.5625, "hh:mm:ss", "13:30:00"),
            (46346.0, "yyyy\"年\"m\"月\"d\"日\" aaaa", "2026年11月20日 星期五"),
        ];
        for (v, code, want) in cases {
            assert_eq!(format(v, Some(code), false), want, "{v} in {code}");
        }
        assert_eq!(format(46346.0, builtin(57), false), "2026年11月20日");
    }
}
