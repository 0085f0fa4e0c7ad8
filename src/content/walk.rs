//! A channel folder walked by DESIGN.md's conventions: the box registry,
//! the alert, each column, sub-item and place, their item.toml, documents,
//! pictures, polls and request desks, each bad file a problem.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::checking::{checked, checker, lined};
use super::files::{
    captioned_photos, folder_in_sub_item, load_article, load_docx, load_pdf, load_table, not_read, split_name, stem_of,
};
use super::lastgood::Stamp;
use super::read::{list_dir, read_bytes, read_text, read_toml, rel, Entry};
use super::{article, checks, fields, names, photo, poll, ImageData, LastGood};
use super::{Alert, Body, Column, Doc, Item, Sort};
use crate::config::{colour_problem, Rgb, SiteConfig};
use crate::confined::Root;
use crate::problem::Problem;
use crate::registry::Registry;

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

/// The registry of known boxes site.toml names (`[interaction] boxes`), a
/// CSV at the top of the channel: read into `config`, or a problem.
pub(super) fn load_registry(root: &Root, config: &mut SiteConfig, problems: &mut Vec<Problem>) {
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
pub(super) fn load_alert(root: &Root, config: &SiteConfig, problems: &mut Vec<Problem>) -> Option<Alert> {
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
        let mut findings = checks::Findings::default();
        let checker = checker(config);
        for p in &mut paragraphs {
            checker.text(name, p, &checks::Piece { line: None, context: "" }, &mut findings);
        }
        let withhold = findings.withhold;
        problems.extend(lined(findings, root, path));
        if withhold {
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

pub(super) fn is_root_file(name: &str, config: &SiteConfig) -> bool {
    matches!(name, "site.toml" | "alert.txt" | "alert.md" | "README.md" | "README.txt")
        || music_name(name)
        || config.interaction.boxes.as_deref() == Some(name)
}

/// `loop.mp3` (or .m4a, .aac, .ogg, .wav, .flac) at the top of the channel:
/// the broadcast loop's music.
pub(crate) fn music_name(name: &str) -> bool {
    name.strip_prefix("loop.")
        .is_some_and(|ext| ["mp3", "m4a", "aac", "ogg", "wav", "flac"].contains(&ext.to_ascii_lowercase().as_str()))
}

pub(super) fn load_column(
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
        let mut findings = checks::Findings::default();
        let piece = checks::Piece { line: None, context: "" };
        checker.text(&rel(&sidecar), &mut photo.caption, &piece, &mut findings);
        if findings.withhold {
            photo.caption = names::split_order(&stem_of(&photo.file_name)).1.to_string();
        }
        problems.extend(lined(findings, root, &sidecar));
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
