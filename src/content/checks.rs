//! Content checks on every render: personal numbers (resident ID numbers,
//! mainland mobile numbers, bank card numbers) found, masked on screen or the
//! file withheld; banned wording withholds a file; misused wording is
//! reported with its fix. Every finding is a problem with file and line.
//!
//! A number is only flagged when it is one: an ID number needs a real region,
//! a real birth date and the ISO 7064 MOD 11-2 check digit; a card number
//! 16–19 digits passing Luhn and a card prefix; a mobile number 11 digits
//! `1[3-9]…`. Digits that run on into more digits or letters (order numbers,
//! credit codes), amounts, dates and hotlines are not numbers of a person.

use std::ops::Range;

use crate::config::{Privacy, ReviewConfig};
use crate::problem::Problem;

/// What kind of personal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Id,
    Mobile,
    Card,
}

impl Kind {
    pub fn zh(self) -> &'static str {
        match self {
            Kind::Id => "身份证号",
            Kind::Mobile => "手机号",
            Kind::Card => "银行卡号",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Kind::Id => "resident ID number",
            Kind::Mobile => "mobile number",
            Kind::Card => "bank card number",
        }
    }
}

/// A personal number in a text: its byte range and its masked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub range: Range<usize>,
    pub kind: Kind,
    pub masked: String,
}

/// Province codes of resident ID numbers (GB/T 2260), and 71/81/82/83/91.
const PROVINCES: [u8; 37] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82, 83, 91, 0,
];

/// Words near a number that say it is a card's.
const CARD_WORDS: [&str; 7] = ["卡号", "银行卡", "账号", "帐号", "账户", "社保卡", "存折"];

fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// Whether `d` (17 digits and a check character) is a resident ID number.
fn id18(d: &[u8], x: bool, today_year: i32) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    if d.len() != 18 - usize::from(x) || !region(d) {
        return false;
    }
    let year = num(&d[6..10]) as i32;
    if !(1900..=today_year).contains(&year) || !date(year, num(&d[10..12]), num(&d[12..14])) {
        return false;
    }
    let sum: u32 = d[..17].iter().zip(W).map(|(&a, w)| u32::from(a) * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    if x {
        check == b'X'
    } else {
        d.len() == 18 && check == b'0' + d[17]
    }
}

/// The old 15-digit form: region, then YYMMDD of the 1900s.
fn id15(d: &[u8]) -> bool {
    d.len() == 15 && region(d) && date(1900 + num(&d[6..8]) as i32, num(&d[8..10]), num(&d[10..12]))
}

fn region(d: &[u8]) -> bool {
    let p = d[0] * 10 + d[1];
    p != 0 && PROVINCES.contains(&p)
}

fn date(year: i32, month: u32, day: u32) -> bool {
    chrono::NaiveDate::from_ymd_opt(year, month, day).is_some()
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |n, &x| n * 10 + u32::from(x))
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Groups of digits joined by single spaces or hyphens, as people write
/// mobile numbers (138-1234-5678) and cards (6222 0212 3456 7890).
fn grouped(groups: &[usize]) -> bool {
    matches!(groups, [3, 4, 4] | [6, 8, 4] | [4, 4, 4, 4] | [4, 4, 4, 4, 1..=3])
}

/// Every personal number in `text`. `context` is text that goes with it
/// (a table's column header) and may say it holds card numbers.
pub fn scan(text: &str, context: &str, today_year: i32) -> Vec<Hit> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut hits = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i].1).is_none() {
            i += 1;
            continue;
        }
        // A run of digit groups starting at i.
        let start = i;
        let mut digits = Vec::new();
        let mut groups = Vec::new();
        let mut j = i;
        loop {
            let from = j;
            while j < chars.len() {
                match digit(chars[j].1) {
                    Some(d) => digits.push(d),
                    None => break,
                }
                j += 1;
            }
            groups.push(j - from);
            let joins = j + 1 < chars.len() && matches!(chars[j].1, ' ' | '-') && digit(chars[j + 1].1).is_some();
            if !joins {
                break;
            }
            j += 1;
        }
        let x = j < chars.len() && is_x(chars[j].1);
        let mut end = if x { j + 1 } else { j };
        // Groups that are no known pattern: only the first stands alone.
        if groups.len() > 1 && !grouped(&groups) {
            end = start + groups[0];
            digits.truncate(groups[0]);
        }
        let before = start.checked_sub(1).map(|k| chars[k].1);
        let after = chars.get(end).map(|c| c.1);
        let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || digit(c).is_some() || is_x(c));
        let decimal =
            |c: Option<char>, next: Option<char>| matches!(c, Some('.' | '．')) && next.and_then(digit).is_some();
        let prev2 = start.checked_sub(2).map(|k| chars[k].1);
        let next2 = chars.get(end + 1).map(|c| c.1);
        let alone = !glued(before) && !glued(after) && !decimal(before, prev2) && !decimal(after, next2);
        let x_here = x && end == j + 1;
        let kind = if alone {
            classify(&digits, x_here, today_year, text, chars[start.saturating_sub(8)].0..chars[start].0, context)
        } else {
            None
        };
        if let Some(kind) = kind {
            let range = chars[start].0..chars.get(end).map_or(text.len(), |c| c.0);
            hits.push(Hit { range, kind, masked: mask(kind, &digits, x_here) });
            i = end;
        } else {
            i = j.max(i + 1);
        }
    }
    hits
}

/// What a standalone run of digits is, if a person's number: `near` is
/// the text just before it.
fn classify(d: &[u8], x: bool, today_year: i32, text: &str, near: Range<usize>, context: &str) -> Option<Kind> {
    if id18(d, x, today_year) || (!x && id15(d)) {
        return Some(Kind::Id);
    }
    if x {
        return None;
    }
    let mobile = |m: &[u8]| m.len() == 11 && m[0] == 1 && (3..=9).contains(&m[1]);
    if mobile(d) || (d.len() == 13 && d[..2] == [8, 6] && mobile(&d[2..])) {
        return Some(Kind::Mobile);
    }
    if (16..=19).contains(&d.len()) && (3..=6).contains(&d[0]) && luhn(d) {
        let near = &text[near];
        let said = CARD_WORDS.iter().any(|w| near.contains(w) || context.contains(w));
        return (said || matches!(d.len(), 16 | 19)).then_some(Kind::Card);
    }
    None
}

fn mask(kind: Kind, d: &[u8], x: bool) -> String {
    let s: String = d.iter().map(|&n| char::from(b'0' + n)).chain(x.then_some('X')).collect();
    let n = s.len();
    match kind {
        Kind::Id => format!("{}{}{}", &s[..6], "*".repeat(n - 10), &s[n - 4..]),
        Kind::Mobile => format!("{}****{}", &s[n - 11..n - 8], &s[n - 4..]),
        Kind::Card => format!("**** {}", &s[n - 4..]),
    }
}

/// `text` with its hits replaced by their masked forms.
pub fn masked(text: &str, hits: &[Hit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for h in hits {
        out.push_str(&text[at..h.range.start]);
        out.push_str(&h.masked);
        at = h.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// What the checks found in one file.
#[derive(Debug, Default)]
pub struct Findings {
    pub found: Vec<Finding>,
    /// The file must not go on air (a banned word, or a number in `block` mode).
    pub withhold: bool,
}

/// One thing the checks found: the problem, and what to look for in the
/// file to name its line when the piece checked had none (an article's
/// paragraph, which markup may have moved).
#[derive(Debug, Clone)]
pub struct Finding {
    pub problem: Problem,
    pub needle: Needle,
}

/// What a finding's text is in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    /// A word as written.
    Word(String),
    /// The digits (and an ID number's `X`) of a number as written, whatever
    /// spaces or dashes were between them.
    Digits(String),
}

impl Needle {
    /// The 1-based line of `raw` where this is.
    pub(crate) fn line_in(&self, raw: &str) -> Option<u32> {
        let at = raw.lines().position(|l| match self {
            Needle::Word(w) => l.contains(w.as_str()),
            Needle::Digits(d) => digits(l).contains(d.as_str()),
        });
        at.map(|i| i as u32 + 1)
    }
}

/// The digits of `text`, with `x` read as `X`.
fn digits(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_digit() || matches!(c, 'X' | 'x')).map(|c| c.to_ascii_uppercase()).collect()
}

impl Findings {
    /// The problems, as they are (each has the line of its piece, if any).
    pub fn problems(self) -> impl Iterator<Item = Problem> {
        self.found.into_iter().map(|f| f.problem)
    }
}

/// The checks of a channel, from site.toml's `[review]`.
pub struct Checker<'a> {
    pub config: &'a ReviewConfig,
    pub today_year: i32,
}

/// One piece of a file's text: where it is (1-based line, or row), and
/// what goes with it (a table column's header).
pub struct Piece<'a> {
    pub line: Option<u32>,
    pub context: &'a str,
}

impl Checker<'_> {
    /// Checks `text` of `path`, masking it in place in `mask` mode.
    pub fn text(&self, path: &str, text: &mut String, piece: &Piece, findings: &mut Findings) {
        for word in &self.config.banned {
            if text.contains(word.as_str()) {
                findings.withhold = true;
                let p = Problem::new(
                    path,
                    format!("含有禁用词“{word}”，此文件暂不播出"),
                    format!("contains the banned wording {word:?}; the file is withheld"),
                )
                .hint("删去或改写这处文字后重新保存", "remove or reword it and save again");
                findings.found.push(Finding { problem: at(p, piece.line), needle: Needle::Word(word.clone()) });
            }
        }
        for (wrong, right) in &self.config.corrections {
            if text.contains(wrong.as_str()) {
                let p = Problem::new(path, format!("“{wrong}”应为“{right}”"), format!("{wrong:?} should be {right:?}"))
                    .hint(format!("把“{wrong}”改成“{right}”"), format!("replace {wrong:?} with {right:?}"));
                findings.found.push(Finding { problem: at(p, piece.line), needle: Needle::Word(wrong.clone()) });
            }
        }
        let hits = scan(text, piece.context, self.today_year);
        if hits.is_empty() {
            return;
        }
        for h in &hits {
            let p = match self.config.privacy {
                Privacy::Mask => Problem::new(
                    path,
                    format!("含有个人{}，已在屏幕上遮盖为 {}", h.kind.zh(), h.masked),
                    format!("a personal {} is shown masked as {}", h.kind.en(), h.masked),
                ),
                Privacy::Block => Problem::new(
                    path,
                    format!("含有个人{}（{}），此文件暂不播出", h.kind.zh(), h.masked),
                    format!("a personal {} ({}); the file is withheld", h.kind.en(), h.masked),
                ),
            }
            .hint(
                "公开前请去标识化：只保留必要的部分，例如 510722********1234、138****5678",
                "de-identify before publishing: keep only what is needed, e.g. 510722********1234, 138****5678",
            );
            let needle = Needle::Digits(digits(&text[h.range.clone()]));
            findings.found.push(Finding { problem: at(p, piece.line), needle });
        }
        match self.config.privacy {
            Privacy::Mask => *text = masked(text, &hits),
            Privacy::Block => findings.withhold = true,
        }
    }
}

fn at(p: Problem, line: Option<u32>) -> Problem {
    match line {
        Some(l) => p.at_line(l),
        None => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        scan(text, "", 2026).into_iter().map(|h| (h.kind, h.masked)).collect()
    }

    #[test]
    fn id_numbers_need_a_region_a_birth_date_and_the_check_digit() {
        // 11010519491231002X is the standard's worked example.
        assert_eq!(kinds("身份证 11010519491231002X 号"), [(Kind::Id, "110105********002X".to_string())]);
        assert_eq!(kinds("11010519491231002x。"), [(Kind::Id, "110105********002X".to_string())]);
        assert!(kinds("110105194912310021").is_empty(), "wrong check digit");
        assert!(kinds("110105194913310026").is_empty(), "month 13");
        assert!(kinds("990105194912310021").is_empty(), "no such region");
        assert_eq!(kinds("旧证 510722800101123"), [(Kind::Id, "510722*****1123".to_string())]);
        assert_eq!(kinds("１１０１０５１９４９１２３１００２Ｘ"), [(Kind::Id, "110105********002X".to_string())]);
    }

    #[test]
    fn mobiles_and_cards() {
        assert_eq!(kinds("电话13812345678"), [(Kind::Mobile, "138****5678".to_string())]);
        assert_eq!(kinds("电话 138-1234-5678。"), [(Kind::Mobile, "138****5678".to_string())]);
        assert_eq!(kinds("+8613812345678"), [(Kind::Mobile, "138****5678".to_string())]);
        // 6222021234567890128 passes Luhn (19 digits, UnionPay).
        assert_eq!(kinds("卡号 6222021234567890128"), [(Kind::Card, "**** 0128".to_string())]);
        assert_eq!(kinds("6222 0212 3456 7890 128"), [(Kind::Card, "**** 0128".to_string())]);
        assert!(kinds("6222021234567890127").is_empty(), "fails Luhn");
    }

    #[test]
    fn numbers_that_only_look_alike_are_left_alone() {
        for text in [
            "便民热线 12345，火警 119，急救 120",
            "咨询电话：0818-8621234",
            "2026-11-30 08:30 发车",
            "金额 13,812,345,678.00 元",
            "共计 1381234567.8 万元",
            "订单号 A13812345678",
            "统一社会信用代码 91511781MA62XXXX1Y",
            "文号 万府发〔2026〕13 号",
            "邮编 636350，人口 59.8 万",
            "13812345678901234",
            "编号 138123456789",
            "6 路公交：06:30 07:00 07:30 08:00",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }

    #[test]
    fn masking_replaces_only_the_numbers() {
        let text = "张三，11010519491231002X，13812345678。";
        let hits = scan(text, "", 2026);
        assert_eq!(masked(text, &hits), "张三，110105********002X，138****5678。");
    }
}
