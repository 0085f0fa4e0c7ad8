//! Screens as data: what layout makes and rasterising draws — drawing
//! operations on a profile's pixels, the keys and where they lead, focus and
//! sections — and the ids that name screens and pages.

use super::interact;
use crate::config::{Profile, Rgb};
use crate::content::ImageData;
use crate::fonts::Weight;
use crate::keys::Key;
use compact_str::CompactString;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A rectangle in profile pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    pub fn new(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> i32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> i32 {
        self.y + self.h
    }

    /// The rectangle moved by (dx, dy).
    pub fn offset(&self, dx: i32, dy: i32) -> Rect {
        Rect::new(self.x + dx, self.y + dy, self.w, self.h)
    }

    /// The rectangle grown by `d` above and below.
    pub(crate) fn grow_y(&self, d: i32) -> Rect {
        Rect::new(self.x, self.y - d, self.w, self.h + 2 * d)
    }

    /// The rectangle grown by `d` on every side.
    pub fn grow(&self, d: i32) -> Rect {
        Rect::new(self.x - d, self.y - d, self.w + 2 * d, self.h + 2 * d)
    }
}

/// One run of text in one style, positioned by the top of its line box.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub x: f32,
    /// Top of the line box; the baseline sits inside it.
    pub y: f32,
    /// Width as drawn.
    pub w: f32,
    /// Height of the line box.
    pub h: f32,
    pub size: f32,
    pub weight: Weight,
    pub color: Rgb,
    /// Extra space after each character (justification).
    pub spacing: f32,
    pub text: String,
    /// Body text of an article, held to the higher size floor (table
    /// cells may step down to the floor of any text).
    pub body: bool,
}

/// A drawing instruction.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A filled rectangle, corners rounded by `radius`.
    Fill {
        rect: Rect,
        color: Rgb,
        radius: i32,
    },
    /// A frame of `width` pixels inside `rect`, corners rounded by `radius`.
    Frame {
        rect: Rect,
        color: Rgb,
        width: i32,
        radius: i32,
    },
    Text(TextRun),
    /// A picture scaled to fill `rect` (layout keeps its aspect ratio).
    Image {
        rect: Rect,
        image: Arc<ImageData>,
    },
}

impl Op {
    /// Feeds everything that decides this op's pixels into `h`: the memo's
    /// key. Written field by field — formatting ops as text to hash them cost
    /// more than drawing the few screens an edit changes.
    pub fn digest(&self, h: &mut blake3::Hasher) {
        let rect = |h: &mut blake3::Hasher, r: &Rect| {
            for v in [r.x, r.y, r.w, r.h] {
                h.update(&v.to_le_bytes());
            }
        };
        let rgb = |h: &mut blake3::Hasher, c: &Rgb| {
            h.update(&[c.0, c.1, c.2]);
        };
        match self {
            Op::Fill { rect: r, color, radius } => {
                h.update(b"F");
                rect(h, r);
                rgb(h, color);
                h.update(&radius.to_le_bytes());
            }
            Op::Frame { rect: r, color, width, radius } => {
                h.update(b"R");
                rect(h, r);
                rgb(h, color);
                h.update(&width.to_le_bytes());
                h.update(&radius.to_le_bytes());
            }
            Op::Text(t) => {
                h.update(b"T");
                for v in [t.x, t.y, t.w, t.h, t.size, t.spacing] {
                    h.update(&v.to_bits().to_le_bytes());
                }
                h.update(&[t.weight as u8, u8::from(t.body)]);
                rgb(h, &t.color);
                h.update(&(t.text.len() as u64).to_le_bytes());
                h.update(t.text.as_bytes());
            }
            Op::Image { rect: r, image } => {
                h.update(b"I");
                rect(h, r);
                h.update(image.hash.as_bytes());
                h.update(&[image.orientation.to_exif()]);
            }
        }
    }
}

/// What a screen is, as graph.json names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Home,
    Column,
    List,
    Article,
    Gallery,
    Table,
    /// A poll's questions, results or thank-you; a rating.
    Poll,
    /// A request desk's screens.
    Request,
    /// Townships or villages, numbered.
    Places,
    /// 查询: what the number keys typed, and what it found.
    Search,
}

impl Kind {
    /// The kind's name in graph.json.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Home => "home",
            Kind::Column => "column",
            Kind::List => "list",
            Kind::Article => "article",
            Kind::Gallery => "gallery",
            Kind::Table => "table",
            Kind::Poll => "poll",
            Kind::Request => "request",
            Kind::Places => "places",
            Kind::Search => "search",
        }
    }
}

/// Where a key leads: a screen and the focus to show there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// Held inline (ids are at most 24 bytes): a county's graphs hold over
    /// half a million targets, and a heap string each was 20 MB.
    pub screen: CompactString,
    pub focus: usize,
}

impl Target {
    pub fn new(screen: impl Into<CompactString>, focus: usize) -> Target {
        Target { screen: screen.into(), focus }
    }
}

impl std::fmt::Display for Target {
    /// `screen#focus`, as graph.json, shells and the saved generation write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.screen, self.focus)
    }
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Target, String> {
        let (screen, focus) = text.rsplit_once('#').ok_or_else(|| format!("{text:?}: no #focus"))?;
        let focus = focus.parse().map_err(|_| format!("{text:?}: focus is not a number"))?;
        Ok(Target { screen: screen.into(), focus })
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The focused look of one element, drawn over the screen's base picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    /// The area the focused look covers (the element plus its frame).
    pub rect: Rect,
    pub ops: Vec<Op>,
}

/// One focus state of a screen.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// `None` on screens with nothing to select (an article page).
    pub focus: Option<Focus>,
    pub keys: BTreeMap<Key, Target>,
}

/// Where a screen sits in the channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Section {
    pub column: String,
    /// `None` on the column's own screens.
    pub item: Option<String>,
}

/// The rows of a document's tables one page shows: (table, first row, end row).
pub type RowSpan = (u16, u32, u32);

/// One screen of one profile: what it draws, its focus states and their keys.
#[derive(Debug, Clone)]
pub struct Screen {
    /// Stable ASCII id derived from source paths, never positions.
    pub id: String,
    pub kind: Kind,
    pub title: String,
    /// The screen back leads to; `None` only on the start screen.
    pub parent: Option<String>,
    /// Three-digit page number of a sub-item's screens.
    pub number: Option<u16>,
    /// The column and sub-item the screen belongs to, for viewing statistics.
    pub section: Option<Section>,
    /// Seconds until the shell moves on by itself, and where to.
    pub carousel: Option<Box<(u32, Target)>>,
    /// The base picture, focus not drawn.
    pub ops: Vec<Op>,
    pub states: Vec<State>,
    /// What the screen asks households, when it takes an answer.
    pub ask: Option<Box<interact::Ask>>,
    /// Numbers typed on this screen pick these (places: 1…N); empty where
    /// digits are page numbers.
    pub locals: Vec<Target>,
    /// The rows of its document's tables a table page shows: (table, first
    /// row, end row), for search to open the page a row is on.
    pub rows: Option<RowSpan>,
    /// The drawing key ([`drawing_key`]), when the screen was kept by the
    /// [`memo`](super::memo): its ops and focus states change no more.
    pub drawn: Option<[u8; 32]>,
    /// A hash of all the screen is made of, when the [`memo`](super::memo) kept it:
    /// equal keys, equal screens.
    pub made: Option<[u8; 32]>,
    /// Kept by the memo without its drawing and keys: no ops (but text
    /// below the size floor), no focus looks, no keys. Later stages take
    /// its pictures and its graph entry and shells from their memos by
    /// `drawn` and `made`; where those are gone, the render lays out again
    /// (see [`Thin`]).
    pub thin: bool,
}

/// A kept screen whose drawing is not kept was needed whole: its pictures
/// or shells are not in their memos. The render lays out anew.
#[derive(Debug)]
pub struct Thin(pub String);

impl std::fmt::Display for Thin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "screen {} was kept without its drawing", self.0)
    }
}

impl std::error::Error for Thin {}

impl Screen {
    /// A screen with nothing to focus, such as one page of an article: one
    /// state, its keys, back to `parent`.
    pub fn page(
        id: String,
        kind: Kind,
        title: &str,
        parent: &Target,
        ops: Vec<Op>,
        keys: BTreeMap<Key, Target>,
    ) -> Screen {
        Screen {
            id,
            kind,
            title: title.to_string(),
            parent: Some(parent.screen.to_string()),
            number: None,
            section: None,
            carousel: None,
            ops,
            states: vec![State { focus: None, keys }],
            ask: None,
            locals: Vec::new(),
            rows: None,
            drawn: None,
            made: None,
            thin: false,
        }
    }

    /// This screen as the memo keeps it between renders: what later stages
    /// read, without the drawing (but text below `floors`, which is
    /// reported every render).
    pub(super) fn thinned(&self, (any, body): (f32, f32)) -> Screen {
        let below = |op: &&Op| matches!(op, Op::Text(r) if r.size < if r.body { body } else { any });
        let states = self.states.iter().map(|state| State {
            focus: state
                .focus
                .as_ref()
                .map(|f| Focus { rect: f.rect, ops: f.ops.iter().filter(below).cloned().collect() }),
            // Keys are read from the shells' memo, like the drawing.
            keys: BTreeMap::new(),
        });
        Screen {
            id: self.id.clone(),
            kind: self.kind,
            title: self.title.clone(),
            parent: self.parent.clone(),
            number: self.number,
            section: self.section.clone(),
            carousel: self.carousel.clone(),
            ops: self.ops.iter().filter(below).cloned().collect(),
            states: states.collect(),
            ask: self.ask.clone(),
            locals: self.locals.clone(),
            rows: self.rows,
            drawn: self.drawn,
            made: self.made,
            thin: true,
        }
    }

    /// The screen's drawing key: whatever decides its pictures.
    pub fn drawing_key(&self, profile: &Profile) -> [u8; 32] {
        self.drawn.unwrap_or_else(|| drawing_key(self, profile))
    }
}

/// A hash of everything that decides a screen's pictures — the profile's
/// size, the base ops, each focus state's look — the key of the pictures
/// memo.
pub fn drawing_key(screen: &Screen, profile: &Profile) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(format!("{}x{}i{}", profile.width, profile.height, profile.interlaced).as_bytes());
    for op in &screen.ops {
        op.digest(&mut h);
    }
    for state in &screen.states {
        match &state.focus {
            Some(f) => {
                h.update(b"S");
                for v in [f.rect.x, f.rect.y, f.rect.w, f.rect.h] {
                    h.update(&v.to_le_bytes());
                }
                for op in &f.ops {
                    op.digest(&mut h);
                }
            }
            None => {
                h.update(b"N");
            }
        }
    }
    *h.finalize().as_bytes()
}

/// The id of the start screen.
pub const HOME: &str = "home";

/// A stable ASCII id for a screen from the key of its source.
pub fn screen_id(prefix: &str, key: &str) -> String {
    let hash = blake3::hash(key.as_bytes());
    format!("{prefix}-{}", &hash.to_hex()[..10])
}

/// The id of page `page` (0-based) of a paged screen.
pub fn page_id(base: &str, page: usize) -> String {
    if page == 0 {
        base.to_string()
    } else {
        format!("{base}-{}", page + 1)
    }
}

/// The screen a page belongs to, undoing [`page_id`]: `a-0123456789-3` →
/// `a-0123456789`; any other id is its own.
pub fn document_of(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((base, page)) if base.contains('-') && page.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => id,
    }
}
