//! A generation as one render publishes it: per profile its screens (the
//! pictures, shells and text of each), the pictures every screen shares, the
//! alert and the settings every shell shares.

use super::{blobs, graph, plan};
use crate::config::Profile;
use crate::layout::{Rect, Screen, Target};
use crate::problem::Problem;
use crate::raster::{Format, Name, Named, Rendered};
use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A picture served under `/a/`, addressed by its content hash; its bytes
/// are in the generation's [`blobs::Blobs`] under the same name.
#[derive(Debug, Clone)]
pub struct Asset {
    pub content_type: &'static str,
    /// The name's hash, quoted: made once, sent with every answer.
    pub etag: hyper::header::HeaderValue,
}

impl Asset {
    /// An asset named `name` (`{hash}.{ext}`).
    pub fn new(name: &str, content_type: &'static str) -> Asset {
        let hash = name.split('.').next().unwrap_or(name);
        let etag = hyper::header::HeaderValue::from_str(&format!("\"{hash}\""))
            .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("\"\""));
        Asset { content_type, etag }
    }
}

/// One screen of one profile, ready to serve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScreenOut {
    /// The screen as `graph.json` lists it: kind, title, parent, and per
    /// focus state its pictures and where each key leads (for `/nav/`).
    pub graph: graph::GraphScreen,
    /// Column and sub-item, for viewing statistics: one for all the screens
    /// of a sub-item, shared.
    pub section: Option<Arc<crate::layout::Section>>,
    /// The HTML shell per focus state: its name in the blobs.
    pub shells: Vec<String>,
    /// Strong ETag of each shell, quoted, for conditional requests.
    pub etags: Vec<String>,
    /// `screens/{id}.json`, the text as laid out per state: its name in
    /// the blobs.
    pub text: String,
    /// The drawing key of its pictures, so the render memo can be seeded
    /// from a saved generation (zero when unknown).
    #[serde(with = "hex32")]
    pub drawn: [u8; 32],
    /// What its shells and text were made from ([`ShellMemo`](super::ShellMemo)'s key), so
    /// the memo can be seeded from a saved generation.
    #[serde(with = "hex32")]
    pub shell_key: [u8; 32],
}

impl ScreenOut {
    /// Its pictures as the render memo keeps them (names only).
    pub fn rendered(&self) -> Option<Rendered> {
        let named = |url: &str| {
            let name = url.strip_prefix("/a/")?;
            Some(Named { name: name.into(), format: Format::of_name(name) })
        };
        let base = named(&self.graph.states.first()?.image)?;
        let sprites = self
            .graph
            .states
            .iter()
            .map(|s| match &s.focus {
                Some(f) => named(&f.image).map(|e| Some((Rect { x: f.x, y: f.y, w: f.w, h: f.h }, e))),
                None => Some(None),
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Rendered { base, sprites })
    }
}

/// A 32-byte digest written as hex.
pub(super) mod hex32 {
    pub(crate) fn serialize<S: serde::Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        let mut out = [0; 32];
        hex::decode_to_slice(text.as_bytes(), &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

/// Everything of one profile.
#[derive(Debug, Clone)]
pub struct ProfileOut {
    pub profile: Profile,
    pub start: String,
    pub graph_json: Bytes,
    pub graph_etag: String,
    /// Page numbers typed on the remote → where they lead (in the graph).
    pub numbers: BTreeMap<String, Target>,
    pub screens: HashMap<String, Arc<ScreenOut>>,
    /// The overlay pictures its shells use, for screens made at request
    /// time. Not saved: a generation read back from disk has none until
    /// the first render of the run replaces it.
    pub overlays: Option<Arc<OverlayPics>>,
    /// What 查询 finds on this profile, built with the render. Not saved
    /// either: until the first render of the run, search says it is away.
    pub search: Option<Arc<crate::search::Index>>,
}

/// A complete, immutable channel as it is on air.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Content hash of the graphs: equal content, equal id.
    pub id: String,
    pub built_at: DateTime<FixedOffset>,
    pub title: String,
    pub default_profile: String,
    pub profiles: BTreeMap<String, ProfileOut>,
    /// `{hash}.png` → what it is; the bytes are in `blobs`.
    pub assets: HashMap<Name, Asset>,
    /// Where every asset, shell, text and graph of this generation lies.
    pub blobs: std::sync::Arc<blobs::Blobs>,
    pub problems: Vec<Problem>,
    pub alert: Option<AlertOut>,
    /// The channel's UTC offset in minutes, for shells' clocks.
    pub utc_offset_minutes: i32,
    /// The next scheduled publish or expiry after `built_at`: the moment this
    /// generation goes out of date without any file changing.
    pub next_change: Option<DateTime<FixedOffset>>,
    /// Each column's newest dated content, for the stale-column warning.
    pub columns: Vec<ColumnFreshness>,
    /// Days without anything new after which a column is stale; 0: never.
    pub stale_days: u32,
    /// What the broadcast loop plays; `None` when site.toml has no `[loop]`.
    pub broadcast: Option<plan::Plan>,
    /// site.toml's `[interaction]`: how answers are taken while this is on air.
    pub interaction: crate::config::InteractionConfig,
    /// What every shell of this generation shares, for screens made at
    /// request time (none in a generation read back from disk).
    pub shell_settings: Option<Arc<ShellSettings>>,
}

/// A column and the date of its newest article, table or picture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnFreshness {
    pub title: String,
    pub newest: Option<chrono::NaiveDate>,
}

impl Generation {
    /// A generation of nothing, standing for one that could not be made.
    pub fn empty(blobs: std::sync::Arc<blobs::Blobs>) -> Generation {
        Generation {
            id: String::new(),
            built_at: chrono::Utc::now().fixed_offset(),
            title: String::new(),
            default_profile: String::new(),
            profiles: BTreeMap::new(),
            assets: HashMap::new(),
            blobs,
            problems: Vec::new(),
            alert: None,
            utc_offset_minutes: 0,
            next_change: None,
            columns: Vec::new(),
            stale_days: 0,
            broadcast: None,
            interaction: Default::default(),
            shell_settings: None,
        }
    }

    pub(crate) fn screen_count(&self) -> usize {
        self.profiles.values().map(|p| p.screens.len()).sum()
    }

    /// An asset of this generation and its bytes.
    pub fn asset(&self, name: &str) -> Option<(&Asset, blobs::Blob)> {
        let asset = self.assets.get(name)?;
        Some((asset, self.blobs.get(name)?))
    }

    /// Every blob this generation names: assets, shells, texts.
    pub fn blob_names(&self) -> impl Iterator<Item = &str> {
        let screens = self.profiles.values().flat_map(|p| p.screens.values());
        self.assets
            .keys()
            .map(|k| &**k)
            .chain(screens.flat_map(|s| s.shells.iter().chain([&s.text]).map(String::as_str)))
    }
}

/// The pictures of one screen as asset names.
#[derive(Debug, Clone)]
pub struct Pictures {
    pub base: String,
    pub sprites: Vec<Option<(Rect, String)>>,
}

/// Collects encoded pictures into assets, naming each by its content hash
/// and storing the bytes of new ones in the blobs.
pub struct AssetSet {
    assets: HashMap<Name, Asset>,
    blobs: std::sync::Arc<blobs::Blobs>,
    /// The first blob that could not be stored (a full disk): a generation
    /// missing pictures must not go on air.
    failed: Option<String>,
}

impl AssetSet {
    pub fn new(blobs: std::sync::Arc<blobs::Blobs>) -> AssetSet {
        AssetSet { assets: HashMap::new(), blobs, failed: None }
    }

    /// Adds encoded bytes, stored in the blobs, and returns their URL path.
    pub fn add(&mut self, bytes: &[u8], format: Format) -> String {
        let e = Named::of(bytes, format);
        if !self.assets.contains_key(&*e.name) {
            if let Err(err) = self.blobs.put(&e.name, &Bytes::copy_from_slice(bytes)) {
                self.fail(format!("{}: {err}", e.name));
            }
        }
        self.put(&e)
    }

    /// Adds `e`, whose bytes the blobs hold.
    fn put(&mut self, e: &Named) -> String {
        if !self.assets.contains_key(&*e.name) {
            self.assets.insert(e.name.clone(), Asset::new(&e.name, e.format.content_type()));
        }
        let mut url = String::with_capacity(3 + e.name.len());
        url.push_str("/a/");
        url.push_str(&e.name);
        url
    }

    /// Makes room for `n` assets (as many as the last render had).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.assets.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Records that a blob could not be stored: this set must not go on air.
    pub fn fail(&mut self, what: String) {
        self.failed.get_or_insert(what);
    }

    /// The first blob that could not be stored, if any.
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    pub fn blobs(&self) -> &std::sync::Arc<blobs::Blobs> {
        &self.blobs
    }

    /// Adds pictures whose bytes the blobs are known to hold: the render
    /// stored them, or checked they are there.
    pub(crate) fn add_stored(&mut self, rendered: &Rendered) -> Pictures {
        Pictures {
            base: self.put(&rendered.base),
            sprites: rendered.sprites.iter().map(|s| s.as_ref().map(|(r, e)| (*r, self.put(e)))).collect(),
        }
    }

    pub fn into_inner(self) -> (HashMap<Name, Asset>, std::sync::Arc<blobs::Blobs>) {
        (self.assets, self.blobs)
    }
}

/// Input of [`assemble`](super::assemble) for one profile.
pub struct ProfileInput<'a> {
    pub profile: &'a Profile,
    pub screens: &'a [Arc<Screen>],
    pub pictures: &'a [Pictures],
    pub overlays: &'a OverlayPics,
    /// Page numbers typed on the remote → where they lead.
    pub numbers: &'a BTreeMap<String, Target>,
    /// Each screen's drawing key (a hash of everything drawn on it), for
    /// [`ShellMemo`](super::ShellMemo).
    pub drawn: &'a [[u8; 32]],
}

/// The overlay pictures of a profile as asset URLs, with their places.
#[derive(Debug, Clone)]
pub struct OverlayPics {
    pub clock: Rect,
    /// 0–9 then `:`, each with its width.
    pub clock_glyphs: Vec<(String, i32)>,
    /// The date's box, its glyphs (`layout::DATE_GLYPHS`) with their
    /// widths, and the gap before the weekday.
    pub date: Rect,
    pub date_glyphs: Vec<(String, i32)>,
    pub date_space: i32,
    pub entry: Rect,
    pub entry_box: String,
    pub entry_slots: Vec<(i32, i32)>,
    pub entry_glyphs: Vec<String>,
    pub entry_glyph_size: (i32, i32),
    pub nowhere: (Rect, String),
    pub alert: Option<(Rect, String)>,
    /// Answer notices by reason.
    pub notices: Vec<(&'static str, Rect, String)>,
}

/// What every shell of a generation shares.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShellSettings {
    pub poll_seconds: u32,
    /// Extra key codes: code → key name.
    pub key_codes: Vec<(u32, crate::keys::Key)>,
    /// The alert on air: its paragraphs and since-when.
    pub alert: Option<(Vec<String>, String)>,
    /// The broadcast loop: not in any shell, but part of the generation's
    /// id, so a changed `[loop]` is a new generation (and is saved).
    pub broadcast: Option<plan::Plan>,
    /// Where back on the start screen goes when the box was not opened with
    /// a return address (site.toml `portal_url`).
    pub portal_url: Option<String>,
    /// site.toml's `[interaction]`: in the id, so a change goes on air.
    pub interaction: crate::config::InteractionConfig,
}

/// The alert as `/api/v1/generation` reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertOut {
    pub text: String,
    pub since: String,
    /// The alert picture per profile, with where it goes: `[url, x, y, w, h]`.
    pub images: BTreeMap<String, Value>,
}
