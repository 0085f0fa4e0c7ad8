//! Files to site model: walks a channel folder by the conventions of DESIGN.md.
//!
//! Loading never stops at the first bad file: [`load`] returns the site *and*
//! the problems, and every file it cannot use is skipped with a problem naming
//! the file, the line where it applies, and the reason.

pub mod article;
pub mod docx;
pub mod names;
pub mod photo;
pub mod table;
pub mod text;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use crate::config::{colour_problem, parse_site, toml_problem, Rgb, SiteConfig};
use crate::problem::Problem;
pub use article::{Block, Span};
pub use photo::ImageData;
pub use table::Table;

/// Text files larger than this are refused: no article is 2 MB of text, and a
/// runaway file must not exhaust memory.
const MAX_TEXT_BYTES: u64 = 2 * 1024 * 1024;

/// The whole channel as content staff arranged it.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: SiteConfig,
    /// Whether site.toml was read without problems. A broken site.toml must not
    /// replace a good generation on air.
    pub config_ok: bool,
    pub columns: Vec<Column>,
    /// An emergency notice shown on every box while `alert.txt` or `alert.md` exists.
    pub alert: Option<Alert>,
}

/// The emergency notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Paragraphs of the notice.
    pub paragraphs: Vec<String>,
    /// When the file was last written: boxes acknowledge one notice, not all.
    pub since: DateTime<FixedOffset>,
}

/// A top-level folder: one tile of the home grid.
#[derive(Debug, Clone)]
pub struct Column {
    /// Stable identity: the folder name without its order prefix.
    pub key: String,
    pub title: String,
    pub accent: Option<Rgb>,
    pub items: Vec<Item>,
}

/// A sub-item folder inside a column.
#[derive(Debug, Clone)]
pub struct Item {
    /// Stable identity: `column-key/item-key`.
    pub key: String,
    pub title: String,
    /// Articles and tables in no particular order; layout sorts them.
    pub docs: Vec<Doc>,
    /// Pictures in name order. A sub-item with pictures and no documents is a
    /// gallery; otherwise its pictures are there for articles to show.
    pub photos: Vec<Photo>,
    /// Articles per list page, when item.toml sets it.
    pub page_size: Option<usize>,
    /// Seconds per screen when the sub-item plays by itself (item.toml `carousel`).
    pub carousel: Option<u32>,
    pub sort: Sort,
}

/// How a sub-item orders its articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Pinned first, then newest first: news.
    #[default]
    Newest,
    /// Oldest first: a series or a guide in steps.
    Oldest,
    /// By file name: the staff's own order via NN- prefixes.
    Name,
}

impl Item {
    /// Whether the sub-item shows as a gallery: pictures and nothing to read.
    pub fn is_gallery(&self) -> bool {
        self.docs.is_empty() && !self.photos.is_empty()
    }
}

/// One picture of a gallery.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Stable identity: `column-key/item-key/file-name`.
    pub key: String,
    pub file_name: String,
    /// From a sidecar `.txt` of the same name, else from the file name.
    pub caption: String,
    pub image: Arc<ImageData>,
}

/// What a document holds.
#[derive(Debug, Clone)]
pub enum Body {
    Text(Vec<Block>),
    Table(Table),
}

/// One document of a sub-item: an article or a table.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Stable identity: `column-key/item-key/file-name`.
    pub key: String,
    pub file_name: String,
    pub title: String,
    pub date: Option<NaiveDate>,
    pub publish: Option<DateTime<FixedOffset>>,
    pub expires: Option<DateTime<FixedOffset>>,
    pub pinned: bool,
    pub body: Body,
    /// Path relative to the channel folder, for problems found later.
    pub source: String,
}

impl Doc {
    /// The article's blocks; a table has none.
    pub fn blocks(&self) -> &[Block] {
        match &self.body {
            Body::Text(blocks) => blocks,
            Body::Table(_) => &[],
        }
    }

    /// Whether the article is on air at `now` (publish and expiry times).
    pub fn is_live(&self, now: DateTime<FixedOffset>) -> bool {
        self.publish.is_none_or(|p| p <= now) && self.expires.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnToml {
    title: Option<String>,
    accent: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemToml {
    title: Option<String>,
    carousel: Option<u32>,
    sort: Option<Sort>,
    page_size: Option<usize>,
}

/// An entry of a folder that is worth looking at, in staff order.
struct Entry {
    name: String,
    path: PathBuf,
    is_dir: bool,
    order: Option<u32>,
    title: String,
}

/// Loads the channel at `root`. Never fails: an unreadable root is a problem
/// and an empty site.
pub fn load(root: &Path) -> (Site, Vec<Problem>) {
    let mut problems = Vec::new();
    let (config, config_ok) = match read_text(root, Path::new("site.toml"), &mut problems) {
        Some(text) => {
            let (config, site_problems) = parse_site("site.toml", &text);
            let ok = site_problems.is_empty();
            problems.extend(site_problems);
            (config, ok)
        }
        None => (SiteConfig::default(), !root.join("site.toml").exists()),
    };
    let alert = load_alert(root, &config, &mut problems);
    let mut site = Site { config, config_ok, columns: Vec::new(), alert };
    let entries = match list_dir(root, Path::new(""), &mut problems) {
        Some(entries) => entries,
        None => return (site, problems),
    };
    for entry in entries {
        if entry.is_dir {
            if let Some(column) = load_column(root, &entry, &site.config, &mut problems) {
                site.columns.push(column);
            }
        } else if !is_root_file(&entry.name) {
            problems.push(Problem::new(
                &entry.path,
                "频道根目录只放栏目文件夹和 site.toml，此文件已忽略；文章请放进栏目下的子栏目文件夹",
                "only column folders and site.toml belong at the top of the channel; file ignored",
            ));
        }
    }
    (site, problems)
}

/// `alert.md` or `alert.txt` at the top of the channel, if present.
fn load_alert(root: &Path, config: &SiteConfig, problems: &mut Vec<Problem>) -> Option<Alert> {
    for (name, markdown) in [("alert.md", true), ("alert.txt", false)] {
        let path = Path::new(name);
        let Some(text) = read_text(root, path, problems) else { continue };
        let (parsed, found) = article::parse(name, &text, markdown, config.time_zone);
        problems.extend(found);
        let paragraphs: Vec<String> = parsed
            .map(|p| {
                let mut out: Vec<String> = p.heading_title.into_iter().collect();
                out.extend(p.blocks.iter().map(|b| b.spans().iter().map(|s| s.text.as_str()).collect::<String>()));
                out.retain(|t| !t.trim().is_empty());
                out
            })
            .unwrap_or_default();
        if paragraphs.is_empty() {
            continue;
        }
        let modified = fs::metadata(root.join(path)).and_then(|m| m.modified()).ok();
        let since = modified
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).with_timezone(&config.time_zone))
            .unwrap_or_else(|| chrono::Utc::now().with_timezone(&config.time_zone));
        return Some(Alert { paragraphs, since });
    }
    None
}

fn is_root_file(name: &str) -> bool {
    matches!(name, "site.toml" | "alert.txt" | "alert.md" | "README.md" | "README.txt")
}

fn load_column(root: &Path, entry: &Entry, config: &SiteConfig, problems: &mut Vec<Problem>) -> Option<Column> {
    let key = entry.title.clone();
    let meta: ColumnToml = read_toml(root, &entry.path.join("column.toml"), problems).unwrap_or_default();
    let accent = meta.accent.and_then(|a| {
        let parsed = Rgb::parse(&a);
        if parsed.is_none() {
            problems.push(colour_problem(&rel(&entry.path.join("column.toml")), "accent", &a));
        }
        parsed
    });
    let mut column = Column {
        key: key.clone(),
        title: meta.title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| entry.title.clone()),
        accent,
        items: Vec::new(),
    };
    for sub in list_dir(root, &entry.path, problems)? {
        if sub.is_dir {
            let item = load_item(root, &sub, &key, config, problems);
            column.items.push(item);
        } else if sub.name != "column.toml" {
            problems.push(Problem::new(
                &sub.path,
                "栏目文件夹里只放子栏目文件夹和 column.toml，此文件已忽略；请把它移到一个子栏目文件夹中",
                "a column folder holds sub-item folders and column.toml only; file ignored",
            ));
        }
    }
    Some(column)
}

fn load_item(root: &Path, entry: &Entry, column_key: &str, config: &SiteConfig, problems: &mut Vec<Problem>) -> Item {
    let key = format!("{column_key}/{}", entry.title);
    let meta: ItemToml = read_toml(root, &entry.path.join("item.toml"), problems).unwrap_or_default();
    let mut item = Item {
        key: key.clone(),
        title: meta.title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| entry.title.clone()),
        docs: Vec::new(),
        photos: Vec::new(),
        page_size: meta.page_size.filter(|&n| n > 0),
        sort: meta.sort.unwrap_or_default(),
        carousel: meta.carousel.map(|s| s.clamp(3, 600)),
    };
    let files = list_dir(root, &entry.path, problems).unwrap_or_default();
    let ext_of =
        |name: &str| Path::new(name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    // Pictures first: articles refer to them, and a `.txt` beside a picture
    // is its caption rather than an article.
    let mut images: HashMap<String, Arc<ImageData>> = HashMap::new();
    let mut picture_stems = std::collections::HashSet::new();
    for file in files.iter().filter(|f| !f.is_dir && photo::is_picture(&ext_of(&f.name))) {
        picture_stems.insert(stem_of(&file.name));
        let Some(bytes) = read_bytes(root, &file.path, photo::MAX_FILE_BYTES, problems) else { continue };
        match photo::probe(&rel(&file.path), bytes) {
            Ok(image) => {
                images.insert(file.name.clone(), image);
            }
            Err(problem) => problems.push(problem),
        }
    }
    for file in &files {
        let ext = ext_of(&file.name);
        if file.is_dir {
            problems.push(Problem::new(
                &file.path,
                "子栏目里不能再有文件夹，此文件夹已忽略",
                "sub-items cannot contain folders; folder ignored",
            ));
            continue;
        }
        match ext.as_str() {
            _ if file.name == "item.toml" || photo::is_picture(&ext) => {}
            "txt" if picture_stems.contains(&stem_of(&file.name)) => {}
            "md" | "markdown" | "txt" => {
                if let Some(doc) = load_article(root, file, &key, ext != "txt", &images, config, problems) {
                    item.docs.push(doc);
                }
            }
            "docx" => {
                if let Some(doc) = load_docx(root, file, &key, problems) {
                    item.docs.push(doc);
                }
            }
            "csv" | "xlsx" => {
                if let Some(doc) = load_table(root, file, &key, ext == "xlsx", problems) {
                    item.docs.push(doc);
                }
            }
            "doc" | "wps" => problems.push(Problem::new(
                &file.path,
                "旧版 Word 文件（.doc/.wps）无法读取，请在 Word 中另存为 .docx 或 .txt",
                "legacy .doc/.wps cannot be read; save it as .docx or .txt",
            )),
            "xls" | "et" => problems.push(Problem::new(
                &file.path,
                "旧版 Excel 文件（.xls）无法读取，请在 Excel 中另存为 .xlsx 或 .csv",
                "legacy .xls cannot be read; save it as .xlsx or .csv",
            )),
            _ => problems.push(Problem::new(
                &file.path,
                format!(
                    "不支持的文件类型“.{ext}”，已忽略；文章用 .txt 或 .md，表格用 .csv 或 .xlsx，图片用 .jpg 或 .png"
                ),
                format!(
                    "unsupported file type .{ext}; ignored (articles .txt/.md, tables .csv/.xlsx, pictures .jpg/.png)"
                ),
            )),
        }
    }
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
        item.photos.push(Photo { key: format!("{key}/{}", file.name), file_name: file.name.clone(), caption, image });
    }
    item
}

fn load_docx(root: &Path, entry: &Entry, item_key: &str, problems: &mut Vec<Problem>) -> Option<Doc> {
    let source = rel(&entry.path);
    let bytes = read_bytes(root, &entry.path, MAX_TEXT_BYTES * 25, problems)?;
    let docx = match docx::parse(&source, &bytes) {
        Ok(d) => d,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let mut images: HashMap<String, Arc<ImageData>> = HashMap::new();
    for (name, bytes) in docx.media {
        match photo::probe(&format!("{source}:{name}"), bytes) {
            Ok(image) => {
                images.insert(name, image);
            }
            Err(p) => problems.push(p),
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
        problems.push(Problem::new(
            &entry.path,
            "Word 文件里没有正文，已跳过",
            "the Word file has no body text; skipped",
        ));
        return None;
    }
    let stem = stem_of(&entry.name);
    let (date, name_title) = split_name(&stem);
    Some(Doc {
        key: format!("{item_key}/{}", entry.name),
        file_name: entry.name.clone(),
        title: docx.title.unwrap_or_else(|| name_title.to_string()),
        date,
        publish: None,
        expires: None,
        pinned: false,
        body: Body::Text(blocks),
        source,
    })
}

fn load_table(root: &Path, entry: &Entry, item_key: &str, xlsx: bool, problems: &mut Vec<Problem>) -> Option<Doc> {
    let source = rel(&entry.path);
    let table = if xlsx {
        let bytes = read_bytes(root, &entry.path, MAX_TEXT_BYTES * 5, problems)?;
        table::parse_xlsx(&source, bytes, problems)?
    } else {
        let text = read_text(root, &entry.path, problems)?;
        table::parse_csv(&source, &text, problems)?
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
        body: Body::Table(table),
        source,
    })
}

/// A file name without its extension.
fn stem_of(name: &str) -> String {
    Path::new(name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A document's date and title from its file stem: `2026-11-20-标题` or `01-标题`.
fn split_name(stem: &str) -> (Option<NaiveDate>, &str) {
    // A date prefix first: `2026-11-20-…` must not read as order 2026.
    match names::split_date(stem) {
        (Some(date), title) => (Some(date), title),
        (None, _) => (None, names::split_order(stem).1),
    }
}

fn load_article(
    root: &Path,
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
    })
}

/// Lists a folder (relative to root) in staff order, skipping ignored names
/// and links that lead out of the channel.
fn list_dir(root: &Path, dir: &Path, problems: &mut Vec<Problem>) -> Option<Vec<Entry>> {
    let read = match fs::read_dir(root.join(dir)) {
        Ok(read) => read,
        Err(err) => {
            problems.push(io_problem(dir, &err));
            return None;
        }
    };
    let canonical_root = root.canonicalize().ok();
    let mut entries = Vec::new();
    for item in read.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        if names::is_ignored(&name) {
            continue;
        }
        let path = dir.join(&name);
        let Ok(file_type) = item.file_type() else {
            continue;
        };
        let is_dir = if file_type.is_symlink() {
            let target = root.join(&path).canonicalize().ok();
            let inside = match (&target, &canonical_root) {
                (Some(t), Some(r)) => t.starts_with(r),
                _ => false,
            };
            if !inside {
                problems.push(Problem::new(
                    &path,
                    "链接指向频道文件夹以外（或已失效），已忽略",
                    "link leads outside the channel folder (or is broken); ignored",
                ));
                continue;
            }
            target.is_some_and(|t| t.is_dir())
        } else {
            file_type.is_dir()
        };
        let (order, title) = if is_dir {
            let (order, title) = names::split_order(&name);
            (order, title.to_string())
        } else {
            (None, name.clone())
        };
        entries.push(Entry { name, path, is_dir, order, title });
    }
    // Prefixed names first in prefix order, then the rest by name.
    entries.sort_by(|a, b| (a.order.is_none(), a.order, &a.name).cmp(&(b.order.is_none(), b.order, &b.name)));
    Some(entries)
}

/// Reads and decodes a text file (relative to root); `None` when absent, with
/// a problem when present but unusable.
fn read_text(root: &Path, path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let full = root.join(path);
    let meta = match fs::metadata(&full) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            problems.push(io_problem(path, &err));
            return None;
        }
    };
    if meta.len() > MAX_TEXT_BYTES {
        problems.push(Problem::new(
            path,
            format!("文件过大（{} KB），文字文件最大 {} KB，已跳过", meta.len() / 1024, MAX_TEXT_BYTES / 1024),
            format!("file too large ({} KB, limit {} KB); skipped", meta.len() / 1024, MAX_TEXT_BYTES / 1024),
        ));
        return None;
    }
    let bytes = match fs::read(&full) {
        Ok(bytes) => bytes,
        Err(err) => {
            problems.push(io_problem(path, &err));
            return None;
        }
    };
    match text::decode(&bytes) {
        Some(decoded) => Some(decoded.text),
        None => {
            problems.push(Problem::new(
                path,
                "无法识别文字编码（支持 UTF-8、GBK/GB18030、带 BOM 的 UTF-16），已跳过",
                "text encoding not recognised (UTF-8, GBK/GB18030, UTF-16 with BOM are read); skipped",
            ));
            None
        }
    }
}

/// Reads a file's bytes (relative to root) within a size limit.
fn read_bytes(root: &Path, path: &Path, limit: u64, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let full = root.join(path);
    match fs::metadata(&full) {
        Ok(meta) if meta.len() > limit => {
            problems.push(Problem::new(
                path,
                format!("文件过大（{} KB，上限 {} KB），已跳过", meta.len() / 1024, limit / 1024),
                format!("file too large ({} KB, limit {} KB); skipped", meta.len() / 1024, limit / 1024),
            ));
            return None;
        }
        Ok(_) => {}
        Err(err) => {
            problems.push(io_problem(path, &err));
            return None;
        }
    }
    match fs::read(&full) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            problems.push(io_problem(path, &err));
            None
        }
    }
}

fn read_toml<T: for<'de> Deserialize<'de>>(root: &Path, path: &Path, problems: &mut Vec<Problem>) -> Option<T> {
    let text = read_text(root, path, problems)?;
    match toml::from_str(&text) {
        Ok(value) => Some(value),
        Err(err) => {
            problems.push(toml_problem(&rel(path), &text, &err, 0));
            None
        }
    }
}

fn io_problem(path: &Path, err: &std::io::Error) -> Problem {
    let shown = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    Problem::new(shown, format!("无法读取：{err}"), format!("cannot read: {err}"))
}

fn rel(path: &Path) -> String {
    crate::problem::slash_path(path)
}
