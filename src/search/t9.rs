//! Titles as the number keys spell them: each syllable's readings in T9
//! digits (2 = abc … 9 = wxyz), and a query of digits matched against them
//! syllable by syllable.
//!
//! A code is bytes: for each syllable the count of its readings, then each
//! reading as its length and its digits (`b'0'…b'9'`). A Han character is a
//! syllable with every reading the `pinyin` crate knows (重: zhong, chong);
//! a run of ASCII letters is a word (all capitals: a syllable a letter, as
//! CCTV is spoken), a run of digits a word; anything else separates.

use pinyin::ToPinyinMulti;

/// The digit a letter is on: 2 = abc, 3 = def, … 9 = wxyz (ü is typed v).
pub fn digit_of(letter: char) -> Option<u8> {
    let d = match letter.to_ascii_lowercase() {
        'a'..='c' => b'2',
        'd'..='f' => b'3',
        'g'..='i' => b'4',
        'j'..='l' => b'5',
        'm'..='o' => b'6',
        'p'..='s' => b'7',
        't'..='v' | 'ü' => b'8',
        'w'..='z' => b'9',
        c @ '0'..='9' => c as u8,
        _ => return None,
    };
    Some(d)
}

/// The letters on a digit key, as a phone prints them.
pub fn letters_of(digit: u8) -> &'static str {
    match digit {
        b'2' => "abc",
        b'3' => "def",
        b'4' => "ghi",
        b'5' => "jkl",
        b'6' => "mno",
        b'7' => "pqrs",
        b'8' => "tuv",
        b'9' => "wxyz",
        b'0' => "0",
        b'1' => "1",
        _ => "",
    }
}

fn spelled(word: &str) -> Vec<u8> {
    word.chars().filter_map(digit_of).collect()
}

/// Appends the code of `text` to `out`; the number of syllables.
pub fn encode(text: &str, out: &mut Vec<u8>) -> usize {
    let mut syllables = 0;
    let mut push = |readings: &[Vec<u8>], out: &mut Vec<u8>| {
        let readings: Vec<&Vec<u8>> = readings.iter().filter(|r| !r.is_empty() && r.len() < 256).take(255).collect();
        if readings.is_empty() {
            return;
        }
        out.push(readings.len() as u8);
        for r in readings {
            out.push(r.len() as u8);
            out.extend_from_slice(r);
        }
        syllables += 1;
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            let digits = c.is_ascii_digit();
            while i < chars.len() && chars[i].is_ascii_alphanumeric() && chars[i].is_ascii_digit() == digits {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if !digits && word.len() > 1 && word.chars().all(|c| c.is_ascii_uppercase()) {
                for letter in word.chars() {
                    push(&[spelled(&letter.to_string())], out);
                }
            } else {
                push(&[spelled(&word)], out);
            }
            continue;
        }
        if let Some(multi) = c.to_pinyin_multi() {
            let mut readings: Vec<Vec<u8>> = Vec::new();
            for p in multi {
                let r = spelled(p.plain());
                if !readings.contains(&r) {
                    readings.push(r);
                }
            }
            push(&readings, out);
        }
        i += 1;
    }
    syllables
}

/// How a query matched a code: the whole title (its every syllable
/// consumed) or its beginning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    /// The query spells the whole title: 3247 for 低保公示.
    Whole,
    /// The query spells the title's first syllables (the last perhaps in part).
    Prefix,
}

/// The syllables of a code: each a list of readings.
fn syllables(code: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < code.len() {
        let n = code[at] as usize;
        at += 1;
        let mut readings = Vec::with_capacity(n);
        for _ in 0..n {
            let len = code[at] as usize;
            readings.push(&code[at + 1..at + 1 + len]);
            at += 1 + len;
        }
        out.push(readings);
    }
    out
}

/// Whether `query` (digits) spells the start of the code, and how: each
/// syllable by its initial or by its whole spelling, mixed syllable by
/// syllable (dib = di + b); the last syllable typed may be spelled in part.
pub fn fit(code: &[u8], query: &[u8]) -> Option<Fit> {
    if query.is_empty() || code.is_empty() {
        return None;
    }
    // Quick refusal: the first digit is the first letter of some reading.
    let n = code[0] as usize;
    let mut at = 1;
    let mut first = false;
    for _ in 0..n {
        let len = code[at] as usize;
        first |= len > 0 && code[at + 1] == query[0];
        at += 1 + len;
    }
    if !first {
        return None;
    }
    let syllables = syllables(code);
    best(&syllables, 0, query)
}

fn best(syllables: &[Vec<&[u8]>], s: usize, query: &[u8]) -> Option<Fit> {
    if query.is_empty() {
        return Some(if s == syllables.len() { Fit::Whole } else { Fit::Prefix });
    }
    let readings = syllables.get(s)?;
    let mut found: Option<Fit> = None;
    let take = |found: &mut Option<Fit>, f: Option<Fit>| {
        if let Some(f) = f {
            *found = Some(found.map_or(f, |g| g.min(f)));
        }
    };
    for r in readings {
        let common = r.iter().zip(query).take_while(|(a, b)| a == b).count();
        if common == 0 {
            continue;
        }
        // By its initial.
        take(&mut found, best(syllables, s + 1, &query[1..]));
        // By its whole spelling.
        if common == r.len() && r.len() > 1 {
            take(&mut found, best(syllables, s + 1, &query[r.len()..]));
        }
        // The end of the query spells this syllable in part.
        if common == query.len() && common > 1 {
            let whole = s + 1 == syllables.len() && common == r.len();
            take(&mut found, Some(if whole { Fit::Whole } else { Fit::Prefix }));
        }
        if found == Some(Fit::Whole) {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(text: &str, query: &str) -> Option<Fit> {
        let mut code = Vec::new();
        encode(text, &mut code);
        fit(&code, query.as_bytes())
    }

    fn t9(letters: &str) -> String {
        letters.chars().map(|c| digit_of(c).unwrap() as char).collect()
    }

    #[test]
    fn initials_and_spellings_mix_syllable_by_syllable() {
        assert_eq!(t9("dbgs"), "3247");
        assert_eq!(fits("低保公示", "3247"), Some(Fit::Whole));
        assert_eq!(fits("低保公示", "324"), Some(Fit::Prefix));
        assert_eq!(fits("低保公示", &t9("dibao")), Some(Fit::Prefix));
        assert_eq!(fits("低保公示", &t9("dib")), Some(Fit::Prefix));
        assert_eq!(fits("低保", &t9("dibao")), Some(Fit::Whole));
        assert_eq!(fits("低保公示", &t9("diba")), Some(Fit::Prefix));
        assert_eq!(fits("低保公示", "3248"), None);
        assert_eq!(fits("低保公示", "4"), None);
        assert_eq!(fits("低保公示", &t9("dbgsx")), None);
    }

    #[test]
    fn every_reading_of_a_polyphone_counts() {
        for q in ["cq", "zq", "chongqing", "zhongq"] {
            assert!(fits("重庆", &t9(q)).is_some(), "{q}");
        }
        for q in ["cb", "zb", "zhangba"] {
            assert!(fits("长坝", &t9(q)).is_some(), "{q}");
        }
        assert!(fits("银行网点", &t9("yhwd")).is_some());
        assert!(fits("银行网点", &t9("yinhang")).is_some());
        assert!(fits("银行网点", &t9("yxwd")).is_some());
    }

    #[test]
    fn letters_and_numbers_in_titles_are_typed_as_they_are() {
        assert_eq!(fits("CCTV新闻", &t9("cctvxw")), Some(Fit::Whole));
        assert_eq!(
            fits("110报警", "110bj".chars().map(|c| digit_of(c).unwrap() as char).collect::<String>().as_str()),
            Some(Fit::Whole)
        );
        assert_eq!(fits("2026年三季度", "2026"), Some(Fit::Prefix));
        // G65 高速: the letter, the number, then the syllables.
        assert_eq!(fits("G65 高速", "46547"), Some(Fit::Whole));
        assert_eq!(fits("G65 高速", "465"), Some(Fit::Prefix));
        assert_eq!(fits("《万源》·新闻", &t9("wyxw")), Some(Fit::Whole));
        assert_eq!(fits("", "2"), None);
    }
}
