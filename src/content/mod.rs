//! Files to site model: walks a channel folder by the conventions of DESIGN.md.
//!
//! Loading never stops at the first bad file: [`load`] returns the site *and*
//! the problems, and every file it cannot use is skipped with a problem naming
//! the file, the line where it applies, and the reason.

pub mod article;
pub mod biff;
pub mod checks;
pub mod docx;
pub mod fields;
pub mod names;
pub mod numfmt;
pub mod ods;
pub mod package;
pub mod pdf;
pub mod photo;
pub mod poll;
pub mod sheet;
pub mod table;
pub mod text;
pub mod workbook;
pub mod xlsx;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use crate::config::{colour_problem, parse_site, toml_problem, Rgb, SiteConfig};
use crate::confined::{Refusal, Root};
use crate::problem::Problem;
pub use crate::registry::Registry;
use crate::sync::Locked;
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
    /// Why the channel folder itself cannot be used (gone, unreadable, an
    /// empty mount point): then nothing read from it may go on air.
    pub unavailable: Option<String>,
    /// An emergency notice shown on every box while `alert.txt` or `alert.md` exists.
    pub alert: Option<Alert>,
    /// Answers to the polls so far, filled in by the renderer from the store
    /// so results screens show them.
    pub tally: poll::Tally,
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
    /// Stable identity: the folder name without its order prefix, so a
    /// column renumbered or retitled keeps its screens' ids.
    pub key: String,
    /// From column.toml, else the folder name without its order prefix.
    pub title: String,
    /// column.toml's colour for its tile and focus frame, if it sets one.
    pub accent: Option<Rgb>,
    /// Its sub-items, in folder order.
    pub items: Vec<Item>,
}

/// A sub-item folder inside a column.
#[derive(Debug, Clone)]
pub struct Item {
    /// Stable identity: `column-key/item-key`.
    pub key: String,
    pub title: String,
    /// Articles and tables in no particular order; layout sorts them.
    /// Shared with the loader's cache: an unchanged file costs no copy.
    pub docs: Vec<Arc<Doc>>,
    /// Pictures in name order. A sub-item with pictures and no documents is a
    /// gallery; otherwise its pictures are there for articles to show.
    pub photos: Vec<Photo>,
    /// Every picture file that loaded, by its path: gallery photos and the
    /// pictures articles show.
    pub pictures: Vec<(String, Arc<ImageData>)>,
    /// Articles per list page, when item.toml sets it.
    pub page_size: Option<usize>,
    /// Seconds per screen when the sub-item plays by itself (item.toml `carousel`).
    pub carousel: Option<u32>,
    /// How its list orders documents (item.toml `sort`).
    pub sort: Sort,
    /// Viewers may rate the service on its screens (item.toml `rating = true`).
    pub rating: bool,
    /// A request desk (item.toml `kind = "request"`): its categories, 1 to 9.
    pub request: Option<Vec<String>>,
    /// An address for phones, drawn as a QR code on its screens.
    pub qr: Option<String>,
    /// Place folders (townships, then their villages), each a sub-item of
    /// its own: two levels at most below a sub-item.
    pub places: Vec<Item>,
}

impl Column {
    /// Its sub-items and every place inside them, depth first.
    pub fn all_items(&self) -> Vec<&Item> {
        let mut out = Vec::new();
        for item in &self.items {
            item.with_places(&mut out);
        }
        out
    }
}

impl Site {
    /// Every sub-item and place of the channel, depth first.
    pub fn all_items(&self) -> Vec<&Item> {
        self.columns.iter().flat_map(Column::all_items).collect()
    }
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
    /// This item, then its places depth first.
    fn with_places<'a>(&'a self, out: &mut Vec<&'a Item>) {
        out.push(self);
        for place in &self.places {
            place.with_places(out);
        }
    }

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
    /// A table, or a workbook's visible sheets one after another.
    Table(Vec<Table>),
    Poll(poll::Poll),
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
    /// An address for phones, drawn as a QR code after the text.
    pub qr: Option<String>,
    /// A hash of everything the document parsed to (its QR address aside),
    /// set once it is parsed and checked; all zeros when unknown. Layout
    /// reuses a document's screens while it and their frame are unchanged.
    pub digest: [u8; 32],
}

impl Doc {
    /// Sets [`Doc::digest`] from what the document holds now.
    fn seal(mut self) -> Doc {
        self.digest = [0; 32];
        let mut h = blake3::Hasher::new();
        // Debug writes every field (a picture as its content hash).
        let _ = std::io::Write::write_fmt(&mut h, format_args!("{self:?}"));
        self.digest = *h.finalize().as_bytes();
        self
    }

    /// The article's blocks; a table has none.
    pub fn blocks(&self) -> &[Block] {
        match &self.body {
            Body::Text(blocks) => blocks,
            Body::Table(_) | Body::Poll(_) => &[],
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
    rating: Option<bool>,
    kind: Option<String>,
    categories: Option<Vec<String>>,
    qr: Option<String>,
}

/// An entry of a folder that is worth looking at, in staff order.
struct Entry {
    name: String,
    path: PathBuf,
    is_dir: bool,
    order: Option<u32>,
    title: String,
}

/// What every file last loaded as: a file that used to render and then breaks
/// (a half-finished copy, a bad edit) keeps its last good version on air, and
/// its problems say so.
///
/// It also keeps what each file parsed to, with the file's size and time:
/// a render re-reads only the files that changed since the last one.
#[derive(Debug, Default)]
pub struct LastGood {
    docs: HashMap<String, Arc<Doc>>,
    pictures: HashMap<String, Arc<ImageData>>,
    parsed: std::sync::Mutex<Parsed>,
    /// Where pictures are kept instead of memory (see `photo::Held`).
    spool: Option<std::path::PathBuf>,
}

/// Files as they last parsed, and which of them this load has seen.
#[derive(Debug, Default)]
struct Parsed {
    docs: HashMap<String, Cached<Arc<Doc>>>,
    pictures: HashMap<String, Cached<Arc<ImageData>>>,
    seen: std::collections::HashSet<String>,
    /// Files read (not taken from here) since the last `remember`.
    read: usize,
    /// What every parse depends on (see [`LastGood::set_context`]).
    context: [u8; 32],
}

/// A file's stamp, what it parsed to (nothing when it failed) and the
/// problems found.
type Cached<T> = (Stamp, Option<T>, Vec<Problem>);

/// What `source` parsed to, from `map`, when its stamp is still `stamp`;
/// the file is marked seen either way.
fn cached<T: Clone>(
    map: &HashMap<String, Cached<T>>,
    seen: &mut std::collections::HashSet<String>,
    source: &str,
    stamp: Option<Stamp>,
) -> Option<(Option<T>, Vec<Problem>)> {
    seen.insert(source.to_string());
    let (at, value, problems) = map.get(source)?;
    (Some(*at) == stamp).then(|| (value.clone(), problems.clone()))
}

/// Keeps what `source` parsed to under `stamp`; a file without one (too
/// new to trust its time) is forgotten, so it is read again next time.
fn keep<T: Clone>(
    map: &mut HashMap<String, Cached<T>>,
    source: &str,
    stamp: Option<Stamp>,
    value: &Option<T>,
    problems: &[Problem],
) {
    match stamp {
        Some(stamp) => {
            map.insert(source.to_string(), (stamp, value.clone(), problems.to_vec()));
        }
        None => {
            map.remove(source);
        }
    }
}

/// What says a file is as it was: its size and time, and what else the
/// parse depended on (the site's settings, the pictures beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: i128,
    context: [u8; 32],
}

impl Stamp {
    /// The stamp of `path` now, when the file is old enough to trust its
    /// time: one written in the last seconds may change again within the
    /// same tick of a coarse clock (network shares keep 1–2 s), so it is
    /// read again next time, as git does with "racily clean" files.
    fn of(path: &Path, context: [u8; 32]) -> Option<Stamp> {
        let m = fs::metadata(path).ok()?;
        let modified = m.modified().ok()?;
        let age = std::time::SystemTime::now().duration_since(modified).ok()?;
        if age < std::time::Duration::from_secs(3) {
            return None;
        }
        let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Stamp { len: m.len(), modified: since.as_nanos() as i128, context })
    }
}

impl LastGood {
    /// Keeps pictures as files in `dir` (a folder of their own: what is not
    /// this loader's is removed from it) instead of in memory.
    pub fn with_spool(dir: &Path) -> LastGood {
        LastGood { spool: Some(dir.to_path_buf()), ..LastGood::default() }
    }

    /// Sets what every file's parse depends on: the site's settings and
    /// the day (the checks know the year).
    fn set_context(&self, config: &SiteConfig) {
        let today = chrono::Utc::now().with_timezone(&config.time_zone).date_naive();
        let hash = blake3::hash(format!("{config:?} {today}").as_bytes());
        self.parsed.locked().context = *hash.as_bytes();
    }

    fn context(&self) -> [u8; 32] {
        self.parsed.locked().context
    }

    /// How many files the loads since the last `remember` read (the rest
    /// were as they had parsed before).
    pub fn files_read(&self) -> usize {
        self.parsed.locked().read
    }

    /// What `source` parsed to last, when it is unchanged.
    fn parsed_doc(&self, source: &str, stamp: Option<Stamp>) -> Option<(Option<Arc<Doc>>, Vec<Problem>)> {
        let mut parsed = self.parsed.locked();
        let Parsed { docs, seen, .. } = &mut *parsed;
        cached(docs, seen, source, stamp)
    }

    fn parsed_doc_is(&self, source: &str, stamp: Option<Stamp>, doc: &Option<Arc<Doc>>, problems: &[Problem]) {
        let mut parsed = self.parsed.locked();
        parsed.read += 1;
        keep(&mut parsed.docs, source, stamp, doc, problems);
    }

    fn parsed_picture(&self, source: &str, stamp: Option<Stamp>) -> Option<(Option<Arc<ImageData>>, Vec<Problem>)> {
        let mut parsed = self.parsed.locked();
        let Parsed { pictures, seen, .. } = &mut *parsed;
        cached(pictures, seen, source, stamp)
    }

    fn parsed_picture_is(
        &self,
        source: &str,
        stamp: Option<Stamp>,
        image: &Option<Arc<ImageData>>,
        problems: &[Problem],
    ) {
        let mut parsed = self.parsed.locked();
        parsed.read += 1;
        keep(&mut parsed.pictures, source, stamp, image, problems);
    }

    /// Remembers every document and picture of `site`, forgetting files that
    /// are gone.
    pub fn remember(&mut self, site: &Site) {
        {
            let parsed = self.parsed.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            let seen = std::mem::take(&mut parsed.seen);
            parsed.docs.retain(|source, _| seen.contains(source));
            parsed.pictures.retain(|source, _| seen.contains(source));
            parsed.read = 0;
        }
        self.docs.clear();
        self.pictures.clear();
        for item in site.all_items() {
            for doc in &item.docs {
                self.docs.insert(doc.source.clone(), doc.clone());
            }
            for (source, image) in &item.pictures {
                self.pictures.insert(source.clone(), image.clone());
            }
        }
        if let Some(dir) = &self.spool {
            self.sweep_spool(dir, site);
        }
    }

    /// Removes the spooled pictures that nothing on air or remembered uses:
    /// the site's and the last good versions, and what the parse cache holds.
    fn sweep_spool(&self, dir: &Path, site: &Site) {
        let parsed = self.parsed.locked();
        let items = site.all_items();
        let docs = items.iter().flat_map(|i| i.docs.iter()).chain(self.docs.values()).map(|d| &**d);
        let docs = docs.chain(parsed.docs.values().filter_map(|(_, d, _)| d.as_deref()));
        let in_docs = docs.flat_map(|d| d.blocks()).filter_map(|b| match b {
            Block::Image { image, .. } => Some(image),
            _ => None,
        });
        let pictures = items.iter().flat_map(|i| i.pictures.iter().map(|(_, p)| p)).chain(self.pictures.values());
        let cached = parsed.pictures.values().filter_map(|(_, p, _)| p.as_ref());
        let keep: std::collections::HashSet<&str> =
            pictures.chain(cached).chain(in_docs).map(|p| p.hash.as_str()).collect();
        let gone = photo::sweep_spool(dir, &keep);
        if gone > 0 {
            tracing::debug!(gone, kept = keep.len(), "swept the picture spool");
        }
    }

    /// The last good version of `source`, when loading it just failed with a
    /// problem; those problems are marked as having it on air.
    fn stand_in<T: Clone>(found: Option<&T>, source: &str, problems: &mut [Problem]) -> Option<T> {
        let found = found?;
        let mut any = false;
        for p in problems.iter_mut().filter(|p| p.path == source) {
            p.last_good = true;
            any = true;
        }
        any.then(|| found.clone())
    }
}

/// Loads the channel at `root`. Never fails: an unreadable root is a problem
/// and an empty site.
pub fn load(root: &Path) -> (Site, Vec<Problem>) {
    load_with(root, &LastGood::default())
}

/// Loads the channel at `root`, standing in the `last` good version of each
/// file that fails to load.
pub fn load_with(root: &Path, last: &LastGood) -> (Site, Vec<Problem>) {
    let root = &Root::new(root);
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
    last.set_context(&config);
    let mut config = config;
    load_registry(root, &mut config, &mut problems);
    let alert = load_alert(root, &config, &mut problems);
    let mut site = Site { config, config_ok, columns: Vec::new(), unavailable: None, alert, tally: Default::default() };
    let entries = match fs::read_dir(root) {
        Ok(_) => list_dir(root, Path::new(""), &mut problems),
        Err(err) => {
            problems.push(
                Problem::new(
                    "",
                    format!("频道文件夹 {} 无法打开：{err}", root.display()),
                    format!("the channel folder {} cannot be opened: {err}", root.display()),
                )
                .hint(
                    "检查共享盘是否已连接、文件夹是否被移走；恢复后电视会自动更新，期间继续播出上一版",
                    "check that the share is mounted and the folder was not moved; the last good channel stays on air meanwhile",
                ),
            );
            None
        }
    };
    let Some(entries) = entries else {
        site.unavailable = Some(format!("频道文件夹 {} 无法打开", root.display()));
        return (site, problems);
    };
    for entry in entries {
        if entry.is_dir {
            if let Some(column) = load_column(root, &entry, &site.config, last, &mut problems) {
                site.columns.push(column);
            }
        } else if !is_root_file(&entry.name, &site.config) {
            problems.push(
                Problem::new(
                    &entry.path,
                    "频道根目录只放栏目文件夹和 site.toml，此文件已忽略",
                    "only column folders and site.toml belong at the top of the channel; file ignored",
                )
                .hint(
                    "把文章放进某个栏目下的子栏目文件夹，例如“01-要闻速递/01-时政要闻”",
                    "move it into a sub-item folder, e.g. 01-要闻速递/01-时政要闻",
                ),
            );
        }
    }
    if site.columns.is_empty() {
        // An unmounted share leaves an empty mount point behind: a channel
        // without a single column is never what staff meant to put on air.
        site.unavailable = Some(format!("频道文件夹 {} 里没有任何栏目", root.display()));
        problems.push(
            Problem::new("", "频道文件夹里没有任何栏目文件夹", "the channel folder holds no column folders").hint(
                "检查共享盘是否已连接；若是新频道，请先建一个栏目文件夹，例如“01-要闻速递”",
                "check that the share is mounted; for a new channel, make a column folder such as 01-要闻速递",
            ),
        );
    }
    (site, problems)
}

/// The registry of known boxes site.toml names (`[interaction] boxes`), a
/// CSV at the top of the channel: read into `config`, or a problem.
fn load_registry(root: &Root, config: &mut SiteConfig, problems: &mut Vec<Problem>) {
    let Some(name) = config.interaction.boxes.clone() else { return };
    let path = Path::new(&name);
    if path.components().count() != 1 || !matches!(path.components().next(), Some(std::path::Component::Normal(_))) {
        problems.push(
            Problem::new(
                "site.toml",
                format!("[interaction] boxes = “{name}” 不是频道根目录里的文件名"),
                format!("[interaction] boxes = {name:?} is not a file name at the top of the channel"),
            )
            .hint(
                "写频道文件夹最上层的 CSV 文件名，例如 boxes = \"boxes.csv\"",
                "name a CSV at the top of the channel folder, e.g. boxes = \"boxes.csv\"",
            ),
        );
        return;
    }
    let Some(text) = read_text(root, path, problems) else {
        if root.open(path).is_err() && !problems.iter().any(|p| p.path == name) {
            problems.push(
                Problem::new(&name, "site.toml 指定的机顶盒名单不存在，各机顶盒改用服务器发放的标识", "the box registry site.toml names is missing; boxes use ids the server issues")
                    .hint("把从用户系统导出的 CSV（第一列为机顶盒序列号）放到频道文件夹最上层", "put the CSV exported from the subscriber system (serials in the first column) at the top of the channel folder"),
            );
        }
        return;
    };
    let registry = Registry::parse(&text);
    if registry.is_empty() {
        problems.push(
            Problem::new(&name, "机顶盒名单里没有任何序列号", "the box registry holds no serials")
                .hint("第一列应为机顶盒序列号，每行一台", "the first column should hold one box serial a line"),
        );
        return;
    }
    config.interaction.registry_digest = Some(format!("{} {}", registry.len(), registry.digest()));
    config.interaction.registry = Some(Arc::new(registry));
}

/// `alert.md` or `alert.txt` at the top of the channel, if present.
fn load_alert(root: &Root, config: &SiteConfig, problems: &mut Vec<Problem>) -> Option<Alert> {
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
        let mut paragraphs = paragraphs;
        let mut verdict = checks::Verdict::default();
        let checker = checker(config);
        for p in &mut paragraphs {
            checker.text(name, p, &checks::Piece { line: None, context: "" }, &mut verdict);
        }
        problems.extend(lined(verdict.problems, root, path));
        if verdict.withhold {
            continue;
        }
        let modified = root.open(path).ok().and_then(|o| o.meta.modified().ok());
        let since = modified
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).with_timezone(&config.time_zone))
            .unwrap_or_else(|| chrono::Utc::now().with_timezone(&config.time_zone));
        return Some(Alert { paragraphs, since });
    }
    None
}

fn is_root_file(name: &str, config: &SiteConfig) -> bool {
    matches!(name, "site.toml" | "alert.txt" | "alert.md" | "README.md" | "README.txt")
        || music_name(name)
        || config.interaction.boxes.as_deref() == Some(name)
}

/// `loop.mp3` (or .m4a, .aac, .ogg, .wav, .flac) at the top of the channel:
/// the broadcast loop's music.
pub fn music_name(name: &str) -> bool {
    name.strip_prefix("loop.")
        .is_some_and(|ext| ["mp3", "m4a", "aac", "ogg", "wav", "flac"].contains(&ext.to_ascii_lowercase().as_str()))
}

fn load_column(
    root: &Root,
    entry: &Entry,
    config: &SiteConfig,
    last: &LastGood,
    problems: &mut Vec<Problem>,
) -> Option<Column> {
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
            let item = load_item(root, &sub, &key, config, last, problems, 0);
            column.items.push(item);
        } else if sub.name != "column.toml" {
            problems.push(
                Problem::new(
                    &sub.path,
                    "栏目文件夹里只放子栏目文件夹和 column.toml，此文件已忽略",
                    "a column folder holds sub-item folders and column.toml only; file ignored",
                )
                .hint("把它移到这个栏目下的一个子栏目文件夹中", "move it into one of this column's sub-item folders"),
            );
        }
    }
    Some(column)
}

/// Place levels below a sub-item: township, village.
pub const PLACE_LEVELS: usize = 2;

/// A sub-item folder (`depth` 0) or a place folder inside one (1 township,
/// 2 village); `parent_key` is the column's or the enclosing item's key.
// Long: one pass over the folder's files, each kind of file a short arm.
fn load_item(
    root: &Root,
    entry: &Entry,
    parent_key: &str,
    config: &SiteConfig,
    last: &LastGood,
    problems: &mut Vec<Problem>,
    depth: usize,
) -> Item {
    let column_key = parent_key;
    let key = format!("{column_key}/{}", entry.title);
    let meta: ItemToml = read_toml(root, &entry.path.join("item.toml"), problems).unwrap_or_default();
    let mut item = Item {
        key: key.clone(),
        title: meta.title.clone().filter(|t| !t.trim().is_empty()).unwrap_or_else(|| entry.title.clone()),
        docs: Vec::new(),
        photos: Vec::new(),
        pictures: Vec::new(),
        page_size: meta.page_size.filter(|&n| n > 0),
        sort: meta.sort.unwrap_or_default(),
        carousel: meta.carousel.map(|s| s.clamp(3, 600)),
        rating: meta.rating.unwrap_or(false),
        request: None,
        qr: None,
        places: Vec::new(),
    };
    interaction(root, &entry.path.join("item.toml"), &meta, &mut item, problems);
    let files = list_dir(root, &entry.path, problems).unwrap_or_default();
    let ext_of =
        |name: &str| Path::new(name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    // Pictures first: articles refer to them, and a `.txt` beside a picture
    // is its caption rather than an article.
    let mut images: HashMap<String, Arc<ImageData>> = HashMap::new();
    let mut picture_stems = std::collections::HashSet::new();
    for file in files.iter().filter(|f| !f.is_dir && photo::is_picture(&ext_of(&f.name))) {
        picture_stems.insert(stem_of(&file.name));
        let source = rel(&file.path);
        let before = problems.len();
        let stamp = Stamp::of(&root.join(&file.path), [0; 32]);
        let parsed =
            last.parsed_picture(&source, stamp).filter(|(image, _)| image.as_ref().is_none_or(|i| i.is_held()));
        let probed = match parsed {
            Some((image, found)) => {
                problems.extend(found);
                image
            }
            None => {
                let probed = match read_bytes(root, &file.path, photo::MAX_FILE_BYTES, problems) {
                    Some(bytes) => {
                        photo::probe_into(&source, bytes, last.spool.as_deref()).map_err(|p| problems.push(*p)).ok()
                    }
                    None => None,
                };
                last.parsed_picture_is(&source, stamp, &probed, &problems[before..]);
                probed
            }
        };
        let image = probed.or_else(|| LastGood::stand_in(last.pictures.get(&source), &source, &mut problems[before..]));
        if let Some(image) = image {
            item.pictures.push((source, image.clone()));
            images.insert(file.name.clone(), image);
        }
    }
    // What every file's parse depends on besides the file: the site's
    // settings (checks, time zone), the sub-item, and for articles the
    // pictures beside them.
    let context = {
        let mut h = blake3::Hasher::new();
        h.update(&last.context());
        h.update(key.as_bytes());
        *h.finalize().as_bytes()
    };
    let pictures_context = {
        let mut h = blake3::Hasher::new();
        h.update(&context);
        let mut named: Vec<(&String, &str)> = images.iter().map(|(n, i)| (n, i.hash.as_str())).collect();
        named.sort();
        for (name, hash) in named {
            h.update(name.as_bytes());
            h.update(hash.as_bytes());
        }
        *h.finalize().as_bytes()
    };
    for file in &files {
        let ext = ext_of(&file.name);
        let before = problems.len();
        if file.is_dir {
            if depth < PLACE_LEVELS {
                let place = load_item(root, file, &key, config, last, problems, depth + 1);
                item.places.push(place);
            } else {
                problems.push(folder_in_sub_item(&file.path));
            }
            continue;
        }
        match ext.as_str() {
            _ if file.name == "item.toml" || photo::is_picture(&ext) => {}
            "txt" if picture_stems.contains(&stem_of(&file.name)) => {}
            "toml" | "md" | "markdown" | "txt" | "docx" | "pdf" | "csv" | "xlsx" | "xls" | "ods" => {
                let poll = file.name.to_ascii_lowercase().ends_with(".poll.toml");
                if ext == "toml" && !poll {
                    problems.push(not_read(&file.path, &ext));
                    continue;
                }
                let source = rel(&file.path);
                // Articles show the pictures beside them: those are part of
                // what they parsed from.
                let context =
                    if matches!(ext.as_str(), "md" | "markdown" | "txt") { pictures_context } else { context };
                let stamp = Stamp::of(&root.join(&file.path), context);
                let doc = match last.parsed_doc(&source, stamp) {
                    Some((doc, found)) => {
                        problems.extend(found);
                        doc
                    }
                    None => {
                        let doc = match ext.as_str() {
                            _ if poll => load_poll(root, file, &key, config, problems),
                            "docx" => load_docx(root, file, &key, problems),
                            "pdf" => load_pdf(root, file, &key, problems),
                            "csv" | "xlsx" | "xls" | "ods" => load_table(root, file, &key, &ext, problems),
                            _ => load_article(root, file, &key, ext != "txt", &images, config, problems),
                        };
                        let doc = doc
                            .and_then(|d| checked(d, root, &file.path, config, problems))
                            .map(|d| Arc::new(d.seal()));
                        last.parsed_doc_is(&source, stamp, &doc, &problems[before..]);
                        doc
                    }
                };
                let doc = doc.or_else(|| LastGood::stand_in(last.docs.get(&source), &source, &mut problems[before..]));
                item.docs.extend(doc);
            }
            _ => problems.push(not_read(&file.path, &ext)),
        }
    }
    // The sub-item's QR address goes under each of its articles that has none.
    if item.qr.is_some() {
        for doc in item.docs.iter_mut().filter(|d| d.qr.is_none() && matches!(d.body, Body::Text(_))) {
            Arc::make_mut(doc).qr.clone_from(&item.qr);
        }
    }
    item.photos = captioned_photos(root, &key, &files, &images, problems);
    for photo in &mut item.photos {
        let sidecar = entry.path.join(format!("{}.txt", stem_of(&photo.file_name)));
        let checker = checker(config);
        let mut verdict = checks::Verdict::default();
        let piece = checks::Piece { line: None, context: "" };
        checker.text(&rel(&sidecar), &mut photo.caption, &piece, &mut verdict);
        if verdict.withhold {
            photo.caption = names::split_order(&stem_of(&photo.file_name)).1.to_string();
        }
        problems.extend(lined(verdict.problems, root, &sidecar));
    }
    item
}

/// item.toml's interaction settings: a request desk's categories and a QR
/// address, each checked, each fault a problem on its line.
fn interaction(root: &Root, path: &Path, meta: &ItemToml, item: &mut Item, problems: &mut Vec<Problem>) {
    let source = rel(path);
    let line = |key: &str| {
        read_text(root, path, &mut Vec::new())
            .and_then(|t| t.lines().position(|l| l.trim_start().starts_with(key)).map(|i| i as u32 + 1))
    };
    let at = |p: Problem, key: &str| match line(key) {
        Some(l) => p.at_line(l),
        None => p,
    };
    if let Some(url) = &meta.qr {
        match fields::qr_address(url) {
            Some(url) => item.qr = Some(url),
            None => problems.push(at(
                Problem::new(&source, "二维码地址无效，已忽略", "qr is not a usable address; ignored").hint(
                    "写成 qr = \"https://…\"，以 http:// 或 https:// 开头，不超过 200 个字符",
                    "write qr = \"https://…\" (http or https, at most 200 characters)",
                ),
                "qr",
            )),
        }
    }
    match meta.kind.as_deref().map(str::trim) {
        None | Some("") => {}
        Some("request") => {
            let categories: Vec<String> =
                meta.categories.iter().flatten().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
            if (1..=poll::MAX_CHOICES).contains(&categories.len()) {
                item.request = Some(categories);
            } else {
                problems.push(at(
                    Problem::new(
                        &source,
                        format!(
                            "诉求类别有 {} 个，应为 1 到 {} 个（遥控器数字键 1–9），本子栏目不受理诉求",
                            categories.len(),
                            poll::MAX_CHOICES
                        ),
                        format!(
                            "{} request categories; 1 to {} are possible (digits 1–9); no requests taken here",
                            categories.len(),
                            poll::MAX_CHOICES
                        ),
                    )
                    .hint("写成 categories = [\"路灯不亮\", \"道路破损\"]", "write categories = [\"…\", \"…\"]"),
                    "categories",
                ));
            }
        }
        Some(other) => problems.push(at(
            Problem::new(
                &source,
                format!("kind = \"{other}\" 无法识别，已忽略"),
                format!("kind = {other:?} is not known; ignored"),
            )
            .hint("目前只有 kind = \"request\"（受理诉求）", "the only kind is \"request\""),
            "kind",
        )),
    }
}

/// A `*.poll.toml`: a document whose body is the poll.
fn load_poll(
    root: &Root,
    entry: &Entry,
    item_key: &str,
    config: &SiteConfig,
    problems: &mut Vec<Problem>,
) -> Option<Doc> {
    let text = read_text(root, &entry.path, problems)?;
    let source = rel(&entry.path);
    let (poll, found) = poll::parse(&source, &text, config.time_zone);
    problems.extend(found);
    let poll = poll?;
    let stem = entry.name[..entry.name.len() - ".poll.toml".len()].to_string();
    let (date, _) = split_name(&stem);
    Some(Doc {
        key: format!("{item_key}/{}", entry.name),
        file_name: entry.name.clone(),
        title: poll.title.clone(),
        date,
        publish: None,
        expires: None,
        pinned: false,
        body: Body::Poll(poll),
        source,
        qr: None,
        digest: [0; 32],
    })
}

fn checker(config: &SiteConfig) -> checks::Checker<'_> {
    let today_year = chrono::Datelike::year(&chrono::Utc::now().with_timezone(&config.time_zone));
    checks::Checker { config: &config.review, today_year }
}

/// The content checks on a loaded document: its text masked in place, or
/// `None` when it must be withheld; the findings go to `problems`.
fn checked(mut doc: Doc, root: &Root, path: &Path, config: &SiteConfig, problems: &mut Vec<Problem>) -> Option<Doc> {
    let checker = checker(config);
    let mut verdict = checks::Verdict::default();
    let source = doc.source.clone();
    let none = checks::Piece { line: None, context: "" };
    checker.text(&source, &mut doc.title, &none, &mut verdict);
    match &mut doc.body {
        Body::Text(blocks) => {
            for block in blocks {
                match block {
                    Block::Heading(spans) | Block::Paragraph(spans) | Block::Item { spans, .. } => {
                        for span in spans {
                            checker.text(&source, &mut span.text, &none, &mut verdict);
                        }
                    }
                    Block::Picture { caption, line, .. } => {
                        checker.text(&source, caption, &checks::Piece { line: Some(*line), context: "" }, &mut verdict)
                    }
                    Block::Image { caption, .. } => checker.text(&source, caption, &none, &mut verdict),
                    Block::Table(table) => check_table(&checker, &source, table, &mut verdict),
                }
            }
        }
        Body::Poll(poll) => {
            for q in &mut poll.questions {
                checker.text(&source, &mut q.text, &none, &mut verdict);
                for c in &mut q.choices {
                    checker.text(&source, c, &none, &mut verdict);
                }
            }
        }
        Body::Table(tables) => {
            for table in tables {
                check_table(&checker, &source, table, &mut verdict);
            }
        }
    }
    let text_file = matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "markdown" | "txt"));
    if text_file {
        problems.extend(lined(verdict.problems, root, path));
    } else {
        problems.extend(verdict.problems);
    }
    (!verdict.withhold).then_some(doc)
}

/// The checks on every part of a table: title, the lines above and below
/// it, the header, and each cell with its column's header as context and its
/// row's line.
fn check_table(checker: &checks::Checker, source: &str, table: &mut Table, verdict: &mut checks::Verdict) {
    let none = checks::Piece { line: None, context: "" };
    if let Some(title) = &mut table.title {
        checker.text(source, title, &none, verdict);
    }
    for line in table.subtitle.iter_mut().chain(table.notes.iter_mut()) {
        checker.text(source, line, &none, verdict);
    }
    let header = table.header.clone();
    for cell in &mut table.header {
        checker.text(source, cell, &none, verdict);
    }
    for (r, row) in table.rows.iter_mut().enumerate() {
        let line = table.lines.get(r).copied();
        for (c, cell) in row.iter_mut().enumerate() {
            let context = header.get(c).map_or("", String::as_str);
            checker.text(source, cell, &checks::Piece { line, context }, verdict);
        }
    }
}

/// Findings without a line get the line of the file where their text is:
/// the masked form's digits, the word, or the number as written. The file
/// is read (once) only when one of them needs it.
fn lined(found: Vec<Problem>, root: &Root, path: &Path) -> impl Iterator<Item = Problem> {
    let raw = found.iter().any(|p| p.line.is_none()).then(|| read_text(root, path, &mut Vec::new())).flatten();
    found.into_iter().map(move |p| match (&raw, p.line) {
        (Some(raw), None) => match line_of(raw, &needle_of(&p.zh)) {
            Some(i) => p.at_line(i),
            None => p,
        },
        _ => p,
    })
}

/// The 1-based line of `raw` holding `needle`.
fn line_of(raw: &str, needle: &Needle) -> Option<u32> {
    let at = raw.lines().position(|l| match needle {
        Needle::Word(w) => l.contains(w.as_str()),
        Needle::Number(head, tail) => {
            let digits: String = l.chars().filter(|c| c.is_ascii_digit() || matches!(c, 'X' | 'x')).collect();
            let digits = digits.to_uppercase();
            digits.contains(head.as_str()) && digits.contains(tail.as_str())
        }
    });
    at.map(|i| i as u32 + 1)
}

enum Needle {
    Word(String),
    /// The masked form's visible digits, before and after the stars.
    Number(String, String),
}

/// What to look for in the file, from a finding's Chinese wording.
fn needle_of(zh: &str) -> Needle {
    let quoted = zh.split('“').nth(1).and_then(|r| r.split('”').next());
    if let Some(w) = quoted {
        return Needle::Word(w.to_string());
    }
    let masked: String = zh.chars().filter(|c| c.is_ascii_digit() || matches!(c, '*' | 'X')).collect();
    let head: String = masked.split('*').next().unwrap_or("").to_string();
    let tail: String = masked.rsplit('*').next().unwrap_or("").to_string();
    Needle::Number(head, tail)
}

/// Why a file of a sub-item is not read, by its extension.
fn not_read(path: &Path, ext: &str) -> Problem {
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
fn folder_in_sub_item(path: &Path) -> Problem {
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
fn captioned_photos(
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

fn load_docx(root: &Root, entry: &Entry, item_key: &str, problems: &mut Vec<Problem>) -> Option<Doc> {
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
fn document(entry: &Entry, item_key: &str, source: String, title: Option<String>, blocks: Vec<Block>) -> Doc {
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

fn load_pdf(root: &Root, entry: &Entry, item_key: &str, problems: &mut Vec<Problem>) -> Option<Doc> {
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

fn load_table(root: &Root, entry: &Entry, item_key: &str, ext: &str, problems: &mut Vec<Problem>) -> Option<Doc> {
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

/// Lists a folder (relative to root) in staff order, skipping ignored names
/// and links that lead out of the channel.
fn list_dir(root: &Root, dir: &Path, problems: &mut Vec<Problem>) -> Option<Vec<Entry>> {
    let read = match fs::read_dir(root.join(dir)) {
        Ok(read) => read,
        Err(err) => {
            problems.push(io_problem(dir, &err));
            return None;
        }
    };
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
            let target = root.join(&path).canonicalize().ok().filter(|t| root.holds(t));
            let Some(target) = target else {
                problems.push(outside_link(&path));
                continue;
            };
            target.is_dir()
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

/// Reads a text file (relative to root), decoded; `None` when it is missing
/// (nothing to say) or unreadable (a problem says why).
fn read_text(root: &Root, path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let hint = ("把长文拆成几篇文章，或删去多余内容", "split it into several articles or shorten it");
    let bytes = read_limited(root, path, MAX_TEXT_BYTES, hint, true, problems)?;
    match text::decode(&bytes) {
        Some(decoded) => Some(decoded.text),
        None => {
            problems.push(
                Problem::new(
                    path,
                    "无法识别文字编码，或这不是文字文件，已跳过",
                    "text encoding not recognised, or not a text file; skipped",
                )
                .hint(
                    "用记事本打开后选“另存为”，编码选 UTF-8（也可读 GBK 和带 BOM 的 UTF-16）",
                    "open it in Notepad, Save As, encoding UTF-8 (GBK and UTF-16 with BOM are read too)",
                ),
            );
            None
        }
    }
}

/// Reads a file's bytes (relative to root) within a size limit.
fn read_bytes(root: &Root, path: &Path, limit: u64, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let hint = ("缩小图片或压缩文件后再放入", "make the picture or file smaller and copy it again");
    read_limited(root, path, limit, hint, false, problems)
}

/// A file's bytes if it is a regular file inside the channel of at most
/// `limit` bytes; else a problem with `hint` (a missing file is a problem
/// too unless `missing_ok`). Nothing of a file that is refused is read.
fn read_limited(
    root: &Root,
    path: &Path,
    limit: u64,
    hint: (&str, &str),
    missing_ok: bool,
    problems: &mut Vec<Problem>,
) -> Option<Vec<u8>> {
    match root.read(path, limit) {
        Ok((bytes, _)) => Some(bytes),
        Err(Refusal::Missing) if missing_ok => None,
        Err(Refusal::TooLarge { len }) => {
            let kb = (len / 1024, limit / 1024);
            problems.push(
                Problem::new(
                    path,
                    format!("文件过大（{} KB，上限 {} KB），已跳过", kb.0, kb.1),
                    format!("file too large ({} KB, limit {} KB); skipped", kb.0, kb.1),
                )
                .hint(hint.0, hint.1),
            );
            None
        }
        Err(refusal) => {
            problems.push(refused(path, &refusal));
            None
        }
    }
}

/// The problem of a file the channel folder did not hand over.
fn refused(path: &Path, refusal: &Refusal) -> Problem {
    match refusal {
        Refusal::Outside => outside_link(path),
        Refusal::NotFile => Problem::new(
            path,
            "这不是普通文件（可能是文件夹、管道或设备），已忽略",
            "not a regular file (a folder, a pipe or a device); ignored",
        )
        .hint("放入普通的文件即可", "put an ordinary file there"),
        Refusal::Missing => io_problem(path, &std::io::Error::from(std::io::ErrorKind::NotFound)),
        Refusal::TooLarge { len } => Problem::new(
            path,
            format!("文件过大（{} KB），已跳过", len / 1024),
            format!("file too large ({} KB); skipped", len / 1024),
        ),
        Refusal::Io(err) => io_problem(path, err),
    }
}

/// A link out of the channel: refused, and nothing of it is read.
fn outside_link(path: &Path) -> Problem {
    Problem::new(
        path,
        "链接指向频道文件夹以外（或已失效），未读取，已忽略",
        "link leads outside the channel folder (or is broken); not read, ignored",
    )
    .hint(
        "把文件本身复制进频道文件夹，不要用快捷方式或链接",
        "copy the file itself into the channel folder instead of linking to it",
    )
}

fn read_toml<T: for<'de> Deserialize<'de>>(root: &Root, path: &Path, problems: &mut Vec<Problem>) -> Option<T> {
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
        .hint("检查文件的权限，或把文件重新复制一次", "check the file's permissions, or copy it again")
}

fn rel(path: &Path) -> String {
    crate::problem::slash_path(path)
}
