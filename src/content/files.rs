//! One file to one document, by its kind: articles, Word, PDF, tables and
//! captioned photos.

use super::article::Block;
use super::model::{Body, Doc, Photo};
use super::photo::ImageData;
use super::read::{read_bytes, read_text, rel, Entry, MAX_TEXT_BYTES};
use super::{article, docx, names, pdf, photo, workbook};
use crate::config::SiteConfig;
use crate::confined::Root;
use crate::problem::Problem;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Why a file of a sub-item is not read, by its extension.
pub(super) fn not_read(path: &Path, ext: &str) -> Problem {
    match ext {
        "doc" | "wps" => Problem::new(
            path,
            "旧版 Word 文件（.doc/.wps）无法读取，已跳过",
            "legacy .doc/.wps cannot be read; skipped",
        )
        .hint("在 Word 或 WPS 中选“另存为”，保存类型选 .docx", "in Word or WPS use Save As and choose .docx"),
        "et" | "xlsb" => Problem::new(
            path,
            format!("“.{ext}”格式的表格（WPS 表格或 Excel 二进制工作簿）无法读取，已跳过"),
            format!("a .{ext} workbook (WPS or Excel binary) cannot be read; skipped"),
        )
        .hint("在 Excel 或 WPS 中选“另存为”，保存类型选 .xlsx", "in Excel or WPS use Save As and choose .xlsx"),
        _ => Problem::new(
            path,
            format!("不支持的文件类型“.{ext}”，已忽略"),
            format!("unsupported file type .{ext}; ignored"),
        )
        .hint(
            "文章用 .docx、.pdf、.txt 或 .md，表格用 .xlsx、.xls、.ods 或 .csv，图片用 .jpg 或 .png",
            "articles are .docx, .pdf, .txt or .md; tables .xlsx, .xls, .ods or .csv; pictures .jpg or .png",
        ),
    }
}

/// A folder inside a sub-item: the channel is three levels deep.
pub(super) fn folder_in_sub_item(path: &Path) -> Problem {
    Problem::new(
        path,
        "地点只能分两级（乡镇/村），村的文件夹里不能再有文件夹，此文件夹已忽略",
        "places go two levels deep (township/village); a folder inside a village is ignored",
    )
    .hint(
        "把其中的文件移到村的文件夹本身；要分组，请在乡镇文件夹里新建村的文件夹",
        "move its files up into the village folder; another group is another folder in the township folder",
    )
}

/// The sub-item's pictures as photos in name order, each captioned by the
/// `.txt` beside it, else by its name.
pub(super) fn captioned_photos(
    root: &Root,
    key: &str,
    files: &[Entry],
    images: &HashMap<String, Arc<ImageData>>,
    problems: &mut Vec<Problem>,
) -> Vec<Photo> {
    let mut out = Vec::new();
    let mut photos: Vec<(&Entry, Arc<ImageData>)> =
        files.iter().filter_map(|f| images.get(&f.name).map(|i| (f, i.clone()))).collect();
    photos.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    for (file, image) in photos {
        let stem = stem_of(&file.name);
        let sidecar = file.path.with_file_name(format!("{stem}.txt"));
        let caption = read_text(root, &sidecar, problems)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| names::split_order(&stem).1.to_string());
        out.push(Photo { key: format!("{key}/{}", file.name), file_name: file.name.clone(), caption, image });
    }
    out
}

pub(super) fn load_docx(root: &Root, entry: &Entry, item_key: &str, problems: &mut Vec<Problem>) -> Option<Doc> {
    let source = rel(&entry.path);
    let bytes = read_bytes(root, &entry.path, MAX_TEXT_BYTES * 25, problems)?;
    let docx = match docx::parse(&source, &bytes) {
        Ok(d) => d,
        Err(p) => {
            problems.push(*p);
            return None;
        }
    };
    let mut images: HashMap<String, Arc<ImageData>> = HashMap::new();
    for (name, bytes) in docx.media {
        match photo::probe(&format!("{source}:{name}"), bytes) {
            Ok(image) => {
                images.insert(name, image);
            }
            Err(p) => problems.push(*p),
        }
    }
    let blocks: Vec<Block> = docx
        .blocks
        .into_iter()
        .filter_map(|b| match b {
            // Pictures of a Word file live inside it; unreadable ones were reported above.
            Block::Picture { src, caption, .. } => {
                images.get(&src).map(|image| Block::Image { image: image.clone(), caption })
            }
            other => Some(other),
        })
        .collect();
    if blocks.is_empty() {
        problems.push(
            Problem::new(&entry.path, "Word 文件里没有正文，已跳过", "the Word file has no body text; skipped")
                .hint("在 Word 中写好正文后保存，再放回这里", "write the text in Word, save, and copy it here again"),
        );
        return None;
    }
    Some(document(entry, item_key, source, docx.title, blocks))
}

/// An article made whole from a file (Word, PDF) that carries no front
/// matter: its own title or the file name's, the date from the file name.
pub(super) fn document(
    entry: &Entry,
    item_key: &str,
    source: String,
    title: Option<String>,
    blocks: Vec<Block>,
) -> Doc {
    let stem = stem_of(&entry.name);
    let (date, name_title) = split_name(&stem);
    Doc {
        key: format!("{item_key}/{}", entry.name),
        file_name: entry.name.clone(),
        title: title.unwrap_or_else(|| name_title.to_string()),
        date,
        publish: None,
        expires: None,
        pinned: false,
        body: Body::Text(blocks),
        source,
        qr: None,
        digest: [0; 32],
    }
}

pub(super) fn load_pdf(root: &Root, entry: &Entry, item_key: &str, problems: &mut Vec<Problem>) -> Option<Doc> {
    let source = rel(&entry.path);
    let bytes = read_bytes(root, &entry.path, MAX_TEXT_BYTES * 25, problems)?;
    let pdf = match pdf::read(&source, bytes) {
        Ok(p) => p,
        Err(p) => {
            problems.push(*p);
            return None;
        }
    };
    Some(document(entry, item_key, source, pdf.title, pdf.blocks))
}

pub(super) fn load_table(
    root: &Root,
    entry: &Entry,
    item_key: &str,
    ext: &str,
    problems: &mut Vec<Problem>,
) -> Option<Doc> {
    let source = rel(&entry.path);
    let tables = if ext == "csv" {
        let text = read_text(root, &entry.path, problems)?;
        vec![workbook::parse_csv(&source, &text, problems)?]
    } else {
        let bytes = read_bytes(root, &entry.path, MAX_TEXT_BYTES * 5, problems)?;
        workbook::parse_workbook(&source, ext, bytes, problems)?
    };
    let stem = stem_of(&entry.name);
    let (date, title) = split_name(&stem);
    Some(Doc {
        key: format!("{item_key}/{}", entry.name),
        file_name: entry.name.clone(),
        title: title.to_string(),
        date,
        publish: None,
        expires: None,
        pinned: false,
        body: Body::Table(tables),
        source,
        qr: None,
        digest: [0; 32],
    })
}

/// A file name without its extension.
pub(super) fn stem_of(name: &str) -> String {
    Path::new(name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A document's date and title from its file stem: `2026-11-20-标题` or `01-标题`.
pub(super) fn split_name(stem: &str) -> (Option<NaiveDate>, &str) {
    // A date prefix first: `2026-11-20-…` must not read as order 2026.
    match names::split_date(stem) {
        (Some(date), title) => (Some(date), title),
        (None, _) => (None, names::split_order(stem).1),
    }
}

pub(super) fn load_article(
    root: &Root,
    entry: &Entry,
    item_key: &str,
    markdown: bool,
    images: &HashMap<String, Arc<ImageData>>,
    config: &SiteConfig,
    problems: &mut Vec<Problem>,
) -> Option<Doc> {
    let text = read_text(root, &entry.path, problems)?;
    let source = rel(&entry.path);
    let (parsed, found) = article::parse(&source, &text, markdown, config.time_zone);
    problems.extend(found);
    let parsed = parsed?;
    let stem = stem_of(&entry.name);
    let (name_date, name_title) = split_name(&stem);
    let blocks = parsed
        .blocks
        .into_iter()
        .filter_map(|block| match block {
            Block::Picture { src, caption, line } => {
                // Only pictures of the same sub-item, named plainly: the path is
                // rebuilt from its last component, never followed.
                let name = src.rsplit(['/', '\\']).next().unwrap_or("");
                match images.get(name) {
                    Some(image) => Some(Block::Image { image: image.clone(), caption }),
                    None => {
                        problems.push(
                            Problem::new(
                                &source,
                                format!("引用的图片“{src}”不在本子栏目文件夹中，已略去"),
                                format!("picture {src:?} is not in this sub-item's folder; left out"),
                            )
                            .hint(
                                format!("把图片“{name}”放进本子栏目文件夹，或改正文中的图片文件名"),
                                format!("put {name:?} in this sub-item's folder, or correct the name in the text"),
                            )
                            .at_line(line),
                        );
                        None
                    }
                }
            }
            other => Some(other),
        })
        .collect();
    Some(Doc {
        key: format!("{item_key}/{}", entry.name),
        file_name: entry.name.clone(),
        title: parsed.front.title.or(parsed.heading_title).unwrap_or_else(|| name_title.to_string()),
        date: parsed.front.date.or(name_date),
        publish: parsed.front.publish,
        expires: parsed.front.expires,
        pinned: parsed.front.pinned,
        body: Body::Text(blocks),
        source,
        qr: parsed.front.qr,
        digest: [0; 32],
    })
}
