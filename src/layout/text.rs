//! Chinese typesetting: measuring, line breaking and justification.
//!
//! Break opportunities come from the Unicode line breaking algorithm (UAX #14,
//! the `unicode-linebreak` crate), which already keeps closing punctuation such
//! as ，。、；：？！）》」 off the start of a line, opening punctuation such as
//! （《「 off its end, and Latin words and numbers whole. Lines are filled
//! greedily and justified, as Chinese print is.

use unicode_linebreak::{linebreaks, BreakOpportunity};

use crate::fonts::{Fonts, Weight};

/// A piece of one line in one weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub weight: Weight,
    /// Offset from the line's start, justification included.
    pub x: f32,
    /// Width as drawn, justification included.
    pub w: f32,
    /// Extra space after every character, for justification.
    pub spacing: f32,
}

/// One laid-out line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub pieces: Vec<Piece>,
    /// Width as drawn.
    pub width: f32,
}

/// Characters that must not end up at the start of a line even where UAX #14
/// would allow it (its classes leave some Chinese marks breakable).
const NO_START: &str = "，。、；：？！）》」』】〕〉…—’”%‰℃·,.;:?!)]}";
/// Characters that must not end a line.
const NO_END: &str = "（《「『【〔〈‘“([{";

/// Breaks styled text into lines no wider than `width`.
///
/// `indent` is taken off the first line only. `justify` spreads the slack of
/// every line but the last over its characters, as Chinese print does.
pub fn wrap(fonts: &Fonts, runs: &[(String, Weight)], size: f32, width: f32, indent: f32, justify: bool) -> Vec<Line> {
    // Flatten to characters with their weight and advance.
    let text: String = runs.iter().map(|(t, _)| t.as_str()).collect();
    if text.is_empty() {
        return Vec::new();
    }
    let mut chars: Vec<(char, Weight, f32)> = Vec::with_capacity(text.len());
    for (t, w) in runs {
        for c in t.chars() {
            chars.push((c, *w, fonts.advance(c, size, *w)));
        }
    }
    // Byte offsets of characters, to map UAX #14's byte positions to indices.
    let mut byte_to_index = vec![0usize; text.len() + 1];
    let mut index = 0;
    for (b, _) in text.char_indices() {
        byte_to_index[b] = index;
        index += 1;
    }
    byte_to_index[text.len()] = index;
    let mut allowed = vec![false; chars.len() + 1];
    for (b, op) in linebreaks(&text) {
        if matches!(op, BreakOpportunity::Allowed | BreakOpportunity::Mandatory) {
            allowed[byte_to_index[b]] = true;
        }
    }
    // UAX #14 before Unicode 15.1 glues curly quotes to both neighbours (LB19);
    // in Chinese text “ opens and ” closes, so breaks before “ and after ” are fine.
    for i in 1..chars.len() {
        let (prev, cur) = (chars[i - 1].0, chars[i].0);
        if (matches!(cur, '“' | '‘') && is_wide(prev)) || (matches!(prev, '”' | '’') && is_wide(cur)) {
            allowed[i] = true;
        }
    }
    // Our own kinsoku on top of UAX #14, looking past spaces: they vanish at
    // a break, so “ before a space would still end the line (found by the
    // line-breaking property test).
    let mut next_seen = vec![None; chars.len() + 1];
    for i in (0..chars.len()).rev() {
        next_seen[i] = if chars[i].0 == ' ' { next_seen[i + 1] } else { Some(chars[i].0) };
    }
    let mut prev_seen = vec![None; chars.len() + 1];
    for i in 1..=chars.len() {
        prev_seen[i] = if chars[i - 1].0 == ' ' { prev_seen[i - 1] } else { Some(chars[i - 1].0) };
    }
    for i in 1..chars.len() {
        let starts = next_seen[i].is_some_and(|c| NO_START.contains(c));
        let ends = prev_seen[i].is_some_and(|c| NO_END.contains(c));
        if starts || ends {
            allowed[i] = false;
        }
    }

    let mut lines = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < chars.len() {
        let avail = if first { width - indent } else { width };
        // Furthest end that fits, and the last allowed break before it.
        let mut w = 0.0;
        let mut end = start;
        while end < chars.len() && (w + chars[end].2 <= avail + 0.01 || end == start) {
            w += chars[end].2;
            end += 1;
        }
        if end < chars.len() {
            let mut brk = end;
            while brk > start && !allowed[brk] {
                brk -= 1;
            }
            if brk > start {
                end = brk;
            } else {
                // No break fits (a long number or URL): cut it, pushing a
                // closing mark along so it never starts the next line, and
                // an opening one down so it never ends this one.
                while end > start + 1
                    && (next_seen[end].is_some_and(|c| NO_START.contains(c))
                        || prev_seen[end].is_some_and(|c| NO_END.contains(c)))
                {
                    end -= 1;
                }
            }
        }
        let is_last = end >= chars.len();
        lines.push(make_line(&chars[start..end], avail, justify && !is_last, size));
        // Spaces at a break vanish.
        start = end;
        while start < chars.len() && chars[start].0 == ' ' {
            start += 1;
        }
        first = false;
    }
    lines
}

/// Ideographs, kana, hangul and full-width forms: text set without spaces.
fn is_wide(c: char) -> bool {
    c as u32 >= 0x2E80
}

fn make_line(chars: &[(char, Weight, f32)], avail: f32, justify: bool, size: f32) -> Line {
    let mut chars = chars;
    while let Some(((' ', _, _), rest)) = chars.split_last() {
        chars = rest;
    }
    let natural: f32 = chars.iter().map(|c| c.2).sum();
    let gaps = chars.len().saturating_sub(1) as f32;
    let mut spacing = if justify && gaps > 0.0 { ((avail - natural) / gaps).max(0.0) } else { 0.0 };
    // A line broken far from the edge (a long Latin word pushed down) stays ragged.
    if spacing > size * 0.25 {
        spacing = 0.0;
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut x = 0.0;
    for &(c, weight, adv) in chars {
        match pieces.last_mut() {
            Some(p) if p.weight == weight => p.text.push(c),
            _ => pieces.push(Piece { text: c.to_string(), weight, x, w: 0.0, spacing }),
        }
        x += adv + spacing;
        if let Some(p) = pieces.last_mut() {
            p.w = x - spacing - p.x;
        }
    }
    Line { pieces, width: (x - spacing).max(0.0) }
}

/// Unjustified lines of one-weight `text`, at most `max_lines` of them: what
/// does not fit is cut with an ellipsis on the last line.
pub(crate) fn wrap_at_most(
    fonts: &Fonts,
    text: &str,
    weight: Weight,
    size: f32,
    width: f32,
    max_lines: usize,
) -> Vec<Line> {
    let mut lines = wrap(fonts, &[(text.to_string(), weight)], size, width, 0.0, false);
    if lines.len() > max_lines {
        let keep = max_lines.max(1) - 1;
        let rest: String = lines[keep..].iter().flat_map(|l| l.pieces.iter().map(|p| p.text.as_str())).collect();
        lines.truncate(keep);
        let cut = ellipsize(fonts, &rest, size, weight, width);
        lines.extend(wrap(fonts, &[(cut, weight)], size, width, 0.0, false));
    }
    lines
}

/// Shortens `text` with an ellipsis so it fits in `width`.
pub(crate) fn ellipsize(fonts: &Fonts, text: &str, size: f32, weight: Weight, width: f32) -> String {
    if fonts.measure(text, size, weight) <= width {
        return text.to_string();
    }
    let ellipsis = fonts.advance('…', size, weight);
    let mut w = 0.0;
    let mut out = String::new();
    for c in text.chars() {
        let a = fonts.advance(c, size, weight);
        if w + a + ellipsis > width {
            break;
        }
        w += a;
        out.push(c);
    }
    let keep = out.trim_end_matches([' ', '·', '、', '，', '\u{3000}']).len();
    out.truncate(keep);
    out.push('…');
    out
}
