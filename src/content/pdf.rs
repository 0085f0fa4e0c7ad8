//! PDF notices: the text layer of a digitally made PDF, in reading order,
//! as an article with its headings and paragraphs.
//!
//! The text comes from poppler's `pdftotext -bbox-layout` (Debian's
//! poppler-utils): poppler is the PDF reader the distribution maintains and
//! patches, its reading order and its CJK handling (ToUnicode maps, CID
//! fonts, vertical metrics) are what every Linux desktop shows, and a PDF
//! parsed in another process cannot take the server down. The crates tried
//! (pdf-extract, lopdf) lose characters of CID-keyed Chinese fonts.
//!
//! poppler gives blocks of lines with their boxes; this module joins them
//! into paragraphs (a block that ends at the right margin goes on in the
//! next, across a page too), finds headings (a short line set larger than
//! the body), drops page numbers, and joins words the way Chinese is
//! written: no space between a hanzi and a digit.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::article::{Block, Span};
use super::package::text_piece;
use crate::problem::Problem;

/// The longest a PDF may take to read, and the most text kept.
const TIME_LIMIT: Duration = Duration::from_secs(30);
const MAX_OUTPUT: u64 = 64 << 20;
const MAX_PAGES: u32 = 200;

/// A PDF's content as an article.
#[derive(Debug)]
pub struct Pdf {
    pub title: Option<String>,
    pub blocks: Vec<Block>,
}

/// One line as poppler measured it.
#[derive(Debug, Clone)]
struct Line {
    page: usize,
    x0: f32,
    x1: f32,
    y0: f32,
    y1: f32,
    text: String,
}

impl Line {
    fn height(&self) -> f32 {
        self.y1 - self.y0
    }
}

/// Reads the PDF whose bytes are `pdf` (`path` names it in problems).
/// The bytes go to pdftotext on its standard input: it is never given a
/// name in the channel folder to open (and follow) itself.
pub fn read(path: &str, pdf: Vec<u8>) -> Result<Pdf, Box<Problem>> {
    let xhtml = pdftotext(path, pdf)?;
    let pages = lines(&xhtml).map_err(|e| {
        Box::new(Problem::new(
            path,
            format!("PDF 的文字无法读取（{e}），已跳过"),
            format!("the PDF's text cannot be read ({e}); skipped"),
        ))
    })?;
    let pdf = article(&pages);
    if pdf.blocks.is_empty() && pdf.title.is_none() {
        return Err(Box::new(
            Problem::new(
                path,
                "这个 PDF 没有文字层（像是扫描件），无法显示",
                "this PDF has no text layer (it looks scanned); not shown",
            )
            .hint(
                "请放入原始文档（Word 或导出的 PDF），或把扫描的每一页存成图片放进图集",
                "put in the original document (Word, or a PDF exported from it), or save each scanned page as a picture",
            ),
        ));
    }
    Ok(pdf)
}

fn pdftotext(path: &str, pdf: Vec<u8>) -> Result<Vec<u8>, Box<Problem>> {
    let bad = |why: String| {
        Box::new(
            Problem::new(
                path,
                format!("PDF 无法读取（{why}），已跳过"),
                format!("the PDF cannot be read ({why}); skipped"),
            )
            .hint(
                "用 Word 或 WPS 重新“导出为 PDF”；如果文件还在复制，等复制完成即可",
                "export the PDF again from Word or WPS; if it is still copying, wait for the copy to finish",
            ),
        )
    };
    let child = Command::new("pdftotext")
        .args(["-bbox-layout", "-enc", "UTF-8", "-l", &MAX_PAGES.to_string()])
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Box::new(
                Problem::new(
                    path,
                    "服务器上没有 PDF 阅读程序（pdftotext），PDF 没有显示",
                    "pdftotext is not installed on the server; the PDF is not shown",
                )
                .hint("请管理员安装 poppler-utils 软件包", "ask the administrator to install poppler-utils"),
            ))
        }
        Err(e) => return Err(bad(e.to_string())),
    };
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from a thread of its own: poppler may start writing its
    // answer before it has read the whole file. A broken pipe (it stopped
    // reading) is told by its exit status.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&pdf);
    });
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut out);
        out
    });
    let errors = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = (&mut stderr).take(64 << 10).read_to_string(&mut out);
        out
    });
    let began = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if began.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(bad(format!("读取超过 {} 秒", TIME_LIMIT.as_secs())));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(bad(e.to_string())),
        }
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        let why = errors.lines().find(|l| !l.trim().is_empty()).unwrap_or("pdftotext failed").trim().to_string();
        return Err(bad(why));
    }
    Ok(out)
}

/// Blocks of lines per page, words joined.
fn lines(xhtml: &[u8]) -> Result<Vec<Vec<Vec<Line>>>, quick_xml::Error> {
    let mut reader = Reader::from_reader(xhtml);
    let mut buf = Vec::new();
    let mut pages: Vec<Vec<Vec<Line>>> = Vec::new();
    let mut line: Option<Line> = None;
    // The word being read: its text may come in pieces (entities apart).
    let mut word: Option<String> = None;
    let num = |e: &quick_xml::events::BytesStart, k: &[u8]| -> f32 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k)
            .and_then(|a| std::str::from_utf8(&a.value).ok().and_then(|v| v.parse().ok()))
            .unwrap_or(0.0)
    };
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"page" => pages.push(Vec::new()),
                b"block" => {
                    if let Some(p) = pages.last_mut() {
                        p.push(Vec::new());
                    }
                }
                b"line" => {
                    line = Some(Line {
                        page: pages.len().saturating_sub(1),
                        x0: num(&e, b"xMin"),
                        x1: num(&e, b"xMax"),
                        y0: num(&e, b"yMin"),
                        y1: num(&e, b"yMax"),
                        text: String::new(),
                    })
                }
                b"word" => word = Some(String::new()),
                _ => {}
            },
            e @ (Event::Text(_) | Event::GeneralRef(_)) => {
                if let (Some(w), Some(piece)) = (word.as_mut(), text_piece(&e)) {
                    w.push_str(&piece?);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"word" => {
                    if let (Some(l), Some(w)) = (line.as_mut(), word.take()) {
                        join(&mut l.text, w.trim());
                    }
                }
                b"line" => {
                    if let (Some(l), Some(block)) = (line.take(), pages.last_mut().and_then(|p| p.last_mut())) {
                        if !l.text.is_empty() {
                            block.push(l);
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    for page in &mut pages {
        page.retain(|b| !b.is_empty());
    }
    Ok(pages)
}

/// Appends `word` as Chinese text is written: a space only between two
/// Latin letters or digits (`Wi-Fi 6`, not `2026 年`).
fn join(text: &mut String, word: &str) {
    let latin = |c: char| c.is_ascii_alphanumeric() || matches!(c, '%' | ')' | '(' | '.' | ',' | ':');
    if let (Some(a), Some(b)) = (text.chars().last(), word.chars().next()) {
        if latin(a) && latin(b) && !(a.is_ascii_digit() && matches!(b, ':' | '.' | ',')) {
            text.push(' ');
        }
    }
    text.push_str(word);
}

/// A page number or running footer: digits, `- 3 -`, `第 3 页`, `3/12`.
fn page_number(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let core = t.trim_matches(|c| matches!(c, '-' | '—' | '第' | '页' | '共'));
    !core.is_empty() && core.len() <= 9 && core.chars().all(|c| c.is_ascii_digit() || c == '/')
}

fn article(pages: &[Vec<Vec<Line>>]) -> Pdf {
    // The body's line height: the commonest, in tenths of a point.
    let mut heights: Vec<i32> = pages.iter().flatten().flatten().map(|l| (l.height() * 10.0) as i32).collect();
    heights.sort_unstable();
    let body = mode(&heights) as f32 / 10.0;
    let right = pages.iter().flatten().flatten().map(|l| l.x1).fold(0.0, f32::max);
    let left = pages.iter().flatten().flatten().map(|l| l.x0).fold(f32::MAX, f32::min);

    // Paragraphs: blocks joined where the text runs on.
    let mut paragraphs: Vec<Vec<Line>> = Vec::new();
    for page in pages {
        for block in page {
            let block: Vec<Line> = block.iter().filter(|l| !page_number(&l.text)).cloned().collect();
            let Some(first) = block.first() else { continue };
            let runs_on = paragraphs.last().and_then(|p| p.last()).is_some_and(|last| {
                let full = last.x1 >= right - 2.2 * body;
                let ended = last.text.ends_with(['。', '：', ':', '！', '？', '；']);
                let close = first.page != last.page || first.y0 - last.y1 < 0.5 * body;
                let same_size = (first.height() - last.height()).abs() < 0.15 * body;
                let no_indent = first.x0 <= left + 0.5 * body;
                full && !ended && close && same_size && no_indent
            });
            match paragraphs.last_mut() {
                Some(p) if runs_on => p.extend(block),
                _ => paragraphs.push(block),
            }
        }
    }
    let mut title = None;
    let mut blocks = Vec::new();
    for p in paragraphs {
        let mut text = String::new();
        for l in &p {
            join(&mut text, l.text.trim());
        }
        let text = text.trim().to_string();
        if text.is_empty() {
            continue;
        }
        let tall = p.iter().map(Line::height).fold(0.0, f32::max) >= body * 1.05;
        let heading = p.len() == 1 && tall && text.chars().count() <= 40 && !text.ends_with('。');
        let span = vec![Span { text: text.clone(), strong: false }];
        if heading && title.is_none() && blocks.is_empty() {
            title = Some(text);
        } else if heading {
            blocks.push(Block::Heading(span));
        } else {
            blocks.push(Block::Paragraph(span));
        }
    }
    Pdf { title, blocks }
}

fn mode(sorted: &[i32]) -> i32 {
    let (mut best, mut best_n, mut i) = (sorted.first().copied().unwrap_or(120), 0, 0);
    while i < sorted.len() {
        let j = sorted[i..].iter().position(|&h| h != sorted[i]).map_or(sorted.len(), |k| i + k);
        if j - i > best_n {
            (best, best_n) = (sorted[i], j - i);
        }
        i = j;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_as_chinese_is_written() {
        let mut t = String::new();
        for w in ["将于", "2026", "年", "12", "月", "8:00", "至", "18:00", "Wi-Fi", "6"] {
            join(&mut t, w);
        }
        assert_eq!(t, "将于2026年12月8:00至18:00 Wi-Fi 6");
        assert!(page_number("- 3 -") && page_number("第 2 页") && page_number("3/12") && !page_number("2026年"));
    }
}
