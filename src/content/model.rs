//! The site model: what a channel folder loads to — columns, sub-items,
//! documents, photos, the alert — before layout turns it into screens.

use super::article::Block;
use super::photo::ImageData;
use super::poll;
use super::table::Table;
use crate::config::{Rgb, SiteConfig};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use std::sync::Arc;

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
    pub(super) fn seal(mut self) -> Doc {
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
    pub(crate) fn is_live(&self, now: DateTime<FixedOffset>) -> bool {
        self.publish.is_none_or(|p| p <= now) && self.expires.is_none_or(|e| e > now)
    }
}
