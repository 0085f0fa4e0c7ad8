//! Articles: `.txt` and `.md` files with optional `+++` TOML front matter.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::problem::Problem;
use crate::problem::{line_of, toml_problem};

use super::fields::{qr_address, to_datetime};
use super::photo::ImageData;

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub strong: bool,
}

/// A block of an article body, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(Vec<Span>),
    Paragraph(Vec<Span>),
    /// A list item; `marker` is `•` or `3.`.
    Item {
        marker: String,
        spans: Vec<Span>,
    },
    /// `![caption](file.jpg)` as written; the loader resolves it to [`Block::Image`].
    Picture {
        src: String,
        caption: String,
        line: u32,
    },
    /// A picture of the sub-item, placed in the text.
    Image {
        image: Arc<ImageData>,
        caption: String,
    },
    /// A table in the text (a Word document's).
    Table(super::Table),
}

impl Block {
    /// The text of the block; pictures have none (their caption is apart).
    pub fn spans(&self) -> &[Span] {
        match self {
            Block::Heading(s) | Block::Paragraph(s) | Block::Item { spans: s, .. } => s,
            Block::Picture { .. } | Block::Image { .. } | Block::Table(_) => &[],
        }
    }
}

/// What the front matter may set.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub date: Option<NaiveDate>,
    pub publish: Option<DateTime<FixedOffset>>,
    pub expires: Option<DateTime<FixedOffset>>,
    pub pinned: bool,
    /// An address for phones, drawn as a QR code (`qr = "https://…"`).
    pub qr: Option<String>,
}

/// A parsed article body with the title it gave itself, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub front: FrontMatter,
    /// The first `# heading` of a Markdown file, used when nothing else names it.
    pub heading_title: Option<String>,
    pub blocks: Vec<Block>,
}

/// Parses an article's text. `markdown` selects the .md reader; `path` is only
/// used to name the file in problems. Front-matter problems do not stop the
/// article; only a body with no text does.
pub fn parse(path: &str, text: &str, markdown: bool, zone: FixedOffset) -> (Option<Parsed>, Vec<Problem>) {
    let mut problems = Vec::new();
    let (front_text, body, body_line) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(line) => {
            problems.push(
                Problem::new(
                    path,
                    "开头的 +++ 没有对应的结束 +++，整篇已按正文处理",
                    "front matter opened with +++ is never closed; read as body",
                )
                .hint("在标题、日期等设置的下一行加上一行 +++", "add a line +++ after the settings")
                .at_line(line),
            );
            (None, text, 1)
        }
    };
    let front = match front_text {
        Some(ft) => parse_front(path, ft, zone, &mut problems),
        None => FrontMatter::default(),
    };
    let (heading_title, blocks) = if markdown { markdown_blocks(body) } else { (None, text_blocks(body)) };
    if blocks.is_empty() {
        problems.push(
            Problem::new(path, "文章没有正文，已跳过", "article has no body text; skipped")
                .hint(
                    "写入正文后保存；如果文件还在复制，等复制完成即可",
                    "add the text; if it is still copying, wait for the copy to finish",
                )
                .at_line(body_line),
        );
        return (None, problems);
    }
    (Some(Parsed { front, heading_title, blocks }), problems)
}

/// Splits `+++\n…\n+++\n` from the body. Returns the front matter text, the
/// body and the body's first line; `Err(line)` when the opening is never closed.
fn split_front_matter(text: &str) -> Result<(Option<&str>, &str, u32), u32> {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return Ok((None, text, 1));
    };
    if first.trim_end() != "+++" {
        return Ok((None, text, 1));
    }
    let start = first.len();
    let mut offset = start;
    for line in lines {
        if line.trim_end() == "+++" {
            let body_start = offset + line.len();
            return Ok((Some(&text[start..offset]), &text[body_start..], line_of(text, body_start)));
        }
        offset += line.len();
    }
    Err(1)
}

fn parse_front(path: &str, text: &str, zone: FixedOffset, problems: &mut Vec<Problem>) -> FrontMatter {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(err) => {
            problems.push(toml_problem(path, text, &err, 1));
            return FrontMatter::default();
        }
    };
    let mut front = FrontMatter::default();
    for (key, value) in table {
        let bad = |zh: &str, en: &str, hint_zh: &str, hint_en: &str| {
            Problem::new(path, format!("{key}：{zh}"), format!("{key}: {en}"))
                .hint(hint_zh, hint_en)
                .at_line(key_line(text, &key) + 1)
        };
        match key.as_str() {
            "title" => match value.as_str().map(str::trim) {
                Some(t) if !t.is_empty() => front.title = Some(t.to_string()),
                _ => problems.push(bad(
                    "标题不是文字，已忽略",
                    "title is not text; ignored",
                    "写成 title = \"标题\"，标题两边加英文双引号",
                    "write title = \"…\" with double quotes",
                )),
            },
            "pinned" => match value.as_bool() {
                Some(b) => front.pinned = b,
                None => problems.push(bad(
                    "置顶设置无法识别，已忽略",
                    "pinned not understood; ignored",
                    "写成 pinned = true（置顶）或 pinned = false",
                    "write pinned = true or pinned = false",
                )),
            },
            "qr" => match value.as_str().and_then(qr_address) {
                Some(url) => front.qr = Some(url),
                None => problems.push(bad(
                    "二维码地址无效，已忽略",
                    "qr is not a usable address; ignored",
                    "写成 qr = \"https://…\"，以 http:// 或 https:// 开头，不超过 200 个字符",
                    "write qr = \"https://…\" (http or https, at most 200 characters)",
                )),
            },
            "date" => match to_datetime(&value, zone) {
                Some(dt) => front.date = Some(dt.date_naive()),
                None => problems.push(bad(
                    "日期无法识别，已忽略",
                    "date not understood; ignored",
                    "写成 date = 2026-11-20",
                    "write date = 2026-11-20",
                )),
            },
            "publish" | "expires" => match to_datetime(&value, zone) {
                Some(dt) if key == "publish" => front.publish = Some(dt),
                Some(dt) => front.expires = Some(dt),
                None => problems.push(bad(
                    "时间无法识别，已忽略",
                    "time not understood; ignored",
                    "写成 2026-11-20 08:00 或 2026-11-20（加英文双引号也可以）",
                    "write a time like 2026-11-20 08:00 or a date like 2026-11-20",
                )),
            },
            _ => problems.push(bad(
                "不认识的设置，已忽略",
                "unknown setting; ignored",
                "可用的设置有 title、date、publish、expires、pinned、qr，请检查拼写",
                "the settings are title, date, publish, expires, pinned and qr; check the spelling",
            )),
        }
    }
    front
}

/// Line (1-based, within the front matter) where `key` is set.
fn key_line(text: &str, key: &str) -> u32 {
    text.lines().position(|l| l.trim_start().starts_with(key)).map(|i| i as u32 + 1).unwrap_or(1)
}

/// Plain text: every non-empty line is a paragraph, the way Chinese text files
/// are written; leading spaces (often two full-width ones) are dropped because
/// layout indents paragraphs itself.
fn text_blocks(body: &str) -> Vec<Block> {
    body.lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'))
        .filter(|l| !l.is_empty())
        .map(|l| Block::Paragraph(vec![Span { text: l.to_string(), strong: false }]))
        .collect()
}

/// Markdown: headings, paragraphs, emphasis and lists. A first-level heading
/// before any other text becomes the title.
fn markdown_blocks(body: &str) -> (Option<String>, Vec<Block>) {
    let mut title = None;
    let mut blocks: Vec<Block> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut strong = 0u32;
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut marker: Option<String> = None;
    let mut heading: Option<HeadingLevel> = None;
    let mut picture: Option<(String, String, u32)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        if let Some((_, caption, _)) = picture.as_mut() {
            match event {
                Event::Text(t) | Event::Code(t) => caption.push_str(&t),
                Event::End(TagEnd::Image) => {
                    flush_paragraph(&mut blocks, &mut spans, &mut marker);
                    if let Some((src, caption, line)) = picture.take() {
                        blocks.push(Block::Picture { src, caption: caption.trim().to_string(), line });
                    }
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                picture = Some((dest_url.to_string(), String::new(), line_of(body, range.start)));
            }
            Event::Start(Tag::Heading { level, .. }) => heading = Some(level),
            Event::End(TagEnd::Heading(_)) => {
                let text = flatten(&spans);
                if heading == Some(HeadingLevel::H1) && title.is_none() && blocks.is_empty() {
                    title = Some(text);
                } else if !text.is_empty() {
                    blocks.push(Block::Heading(std::mem::take(&mut spans)));
                }
                spans.clear();
                heading = None;
            }
            Event::Start(Tag::List(start)) => lists.push(start),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                flush_paragraph(&mut blocks, &mut spans, &mut marker);
                marker = Some(match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}.", *n - 1)
                    }
                    _ => "•".to_string(),
                });
            }
            Event::End(TagEnd::Item) | Event::End(TagEnd::Paragraph) => {
                flush_paragraph(&mut blocks, &mut spans, &mut marker)
            }
            Event::Start(Tag::Strong) | Event::Start(Tag::Emphasis) => strong += 1,
            Event::End(TagEnd::Strong) | Event::End(TagEnd::Emphasis) => strong = strong.saturating_sub(1),
            Event::Text(t) | Event::Code(t) => push_text(&mut spans, &t, strong > 0),
            Event::SoftBreak => {
                // Chinese lines join without a space; Latin words need one.
                let before = spans.last().and_then(|s| s.text.chars().last());
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == ',' || c == '.') {
                    push_text(&mut spans, " ", strong > 0);
                }
            }
            Event::HardBreak => flush_paragraph(&mut blocks, &mut spans, &mut marker),
            _ => {}
        }
    }
    flush_paragraph(&mut blocks, &mut spans, &mut marker);
    (title, blocks)
}

fn flatten(spans: &[Span]) -> String {
    spans.iter().map(|s| s.text.as_str()).collect::<String>().trim().to_string()
}

fn push_text(spans: &mut Vec<Span>, text: &str, strong: bool) {
    match spans.last_mut() {
        Some(last) if last.strong == strong => last.text.push_str(text),
        _ => spans.push(Span { text: text.to_string(), strong }),
    }
}

fn flush_paragraph(blocks: &mut Vec<Block>, spans: &mut Vec<Span>, marker: &mut Option<String>) {
    // Trim the whole paragraph, including the full-width indent staff type.
    let trim = |c: char| c.is_whitespace() || c == '\u{3000}';
    if let Some(first) = spans.first_mut() {
        first.text = first.text.trim_start_matches(trim).to_string();
    }
    if let Some(last) = spans.last_mut() {
        last.text = last.text.trim_end_matches(trim).to_string();
    }
    spans.retain(|s| !s.text.is_empty());
    if spans.is_empty() {
        // An item whose only content was a picture keeps no marker.
        return;
    }
    let taken = std::mem::take(spans);
    blocks.push(match marker.take() {
        Some(m) => Block::Item { marker: m, spans: taken },
        None => Block::Paragraph(taken),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn front_matter_and_markdown() {
        let text = "+++\ntitle = \"冬季防火\"\npinned = true\npublish = 2026-11-20T08:00:00+08:00\n+++\n# 不用的标题\n\n第一段**重点**内容，\n接着写。\n\n## 小标题\n\n- 甲\n- 乙\n\n1. 一\n2. 二\n";
        let (parsed, problems) = parse("a.md", text, true, zone());
        assert!(problems.is_empty(), "{problems:?}");
        let p = parsed.unwrap();
        assert_eq!(p.front.title.as_deref(), Some("冬季防火"));
        assert!(p.front.pinned);
        assert_eq!(p.front.publish.unwrap().to_rfc3339(), "2026-11-20T08:00:00+08:00");
        assert_eq!(p.heading_title.as_deref(), Some("不用的标题"));
        assert_eq!(p.blocks.len(), 6);
        let Block::Paragraph(spans) = &p.blocks[0] else { panic!("{:?}", p.blocks[0]) };
        assert_eq!(spans.len(), 3);
        assert!(spans[1].strong);
        assert_eq!(flatten(spans), "第一段重点内容，接着写。");
        assert!(matches!(&p.blocks[1], Block::Heading(_)));
        assert!(matches!(&p.blocks[2], Block::Item { marker, .. } if marker == "•"));
        assert!(matches!(&p.blocks[5], Block::Item { marker, .. } if marker == "2."));
    }

    #[test]
    fn txt_lines_are_paragraphs() {
        let (parsed, _) = parse("a.txt", "\u{3000}\u{3000}第一段。\r\n\r\n  第二段。\n", false, zone());
        let blocks = parsed.unwrap().blocks;
        assert_eq!(blocks.len(), 2);
        assert_eq!(flatten(blocks[0].spans()), "第一段。");
    }

    #[test]
    fn broken_front_matter_names_the_line() {
        let text = "+++\ntitle = \"好\"\ndate = 2026-13-45\n+++\n正文。\n";
        let (parsed, problems) = parse("a.md", text, true, zone());
        assert!(parsed.is_some(), "the body still loads");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(3), "{problems:?}");
    }

    #[test]
    fn unknown_field_and_bad_value() {
        let text = "+++\ntitel = \"x\"\npinned = \"yes\"\n+++\n正文。\n";
        let (_, problems) = parse("a.md", text, true, zone());
        let mut lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        lines.sort();
        assert_eq!(lines, vec![Some(2), Some(3)]);
    }

    #[test]
    fn unclosed_front_matter_and_empty_body() {
        let (parsed, problems) = parse("a.md", "+++\ntitle = \"x\"\n正文\n", true, zone());
        assert!(parsed.is_some());
        assert_eq!(problems[0].line, Some(1));
        let (parsed, problems) = parse("b.md", "+++\ntitle = \"x\"\n+++\n\n", true, zone());
        assert!(parsed.is_none());
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn dates_staff_type() {
        for s in ["2026-11-20", "2026/11/20", "2026年11月20日", "2026-11-20 00:00"] {
            let v = toml::Value::String(s.into());
            assert_eq!(
                to_datetime(&v, zone()).unwrap().date_naive(),
                NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                "{s}"
            );
        }
    }
}
