//! What the broadcast loop plays, decided when a render publishes (from
//! site.toml's `[loop]` and the laid-out screens) and kept in the
//! generation, so `broadcast` only reads it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Pictures;
use crate::config::{LoopConfig, Profile, Rgb, Theme};
use crate::layout::{document_of, Kind, Screen};
use crate::problem::Problem;

/// What the loop plays, decided at render time and kept in the generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub config: LoopConfig,
    /// `loop.mp3` (or another audio file of that name) at the top of the
    /// channel, with its size and modification time: a new file restarts the
    /// encoders with it.
    pub music: Option<(PathBuf, String)>,
    pub colours: Colours,
    pub text_scale: f32,
    pub profiles: BTreeMap<String, ProfileLoop>,
}

/// The theme colours the strip and the alert page are drawn in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Colours {
    pub background: [u8; 3],
    pub header: [u8; 3],
    pub text: [u8; 3],
    pub dim: [u8; 3],
    pub accent: [u8; 3],
}

impl Colours {
    fn of(theme: &Theme) -> Colours {
        let c = |r: Rgb| [r.0, r.1, r.2];
        Colours {
            background: c(theme.background),
            header: c(theme.header),
            text: c(theme.text),
            dim: c(theme.dim),
            accent: c(theme.focus_frame),
        }
    }
}

/// The loop of one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileLoop {
    pub profile: Profile,
    pub entries: Vec<Entry>,
}

/// One screen of the loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub screen: String,
    pub title: String,
    /// The sub-item's page number (701, …), as boxes type it.
    pub number: Option<u16>,
    /// The base picture's asset name (`{hash}.png`).
    pub asset: String,
}

/// One profile's laid-out screens and their pictures, as a render has them.
pub struct Laid<'a> {
    pub profile: &'a Profile,
    pub screens: &'a [std::sync::Arc<Screen>],
    pub pictures: &'a [Pictures],
}

/// Between a sub-item and its places in a section label and a loop entry:
/// `村务公开 › 太平镇 › 石桥村`.
const PLACE_SEP: &str = " › ";

/// The loop of a render, or `None` when site.toml has no `[loop]`. Names in
/// `items` that match nothing are problems of site.toml.
pub fn plan(
    config: Option<&LoopConfig>,
    theme: &Theme,
    channels: &Path,
    laid: &[Laid],
    problems: &mut Vec<Problem>,
) -> Option<Plan> {
    let config = config?;
    let mut profiles = BTreeMap::new();
    let mut unmatched: Vec<&String> = config.items.iter().collect();
    for l in laid {
        if !config.profiles.contains(&l.profile.name) {
            continue;
        }
        let (entries, missing) = select(config, l);
        unmatched.retain(|i| missing.contains(i));
        profiles.insert(l.profile.name.clone(), ProfileLoop { profile: l.profile.clone(), entries });
    }
    for name in unmatched {
        problems.push(
            Problem::new(
                "site.toml",
                format!("[loop] 的 items 中“{name}”不是栏目或子栏目，已忽略"),
                format!("[loop] items entry {name:?} names no column or sub-item; ignored"),
            )
            .hint(
                "写栏目名（如“要闻速递”）或“栏目/子栏目”（如“便民万源/公交时刻”），不带序号",
                "write a column title or column/sub-item titles, without the number prefixes",
            ),
        );
    }
    Some(Plan {
        config: config.clone(),
        music: music(channels),
        colours: Colours::of(theme),
        text_scale: theme.text_scale,
        profiles,
    })
}

/// The profile the MPEG-TS is made from: the first of the loop's profiles
/// (scaled to 720x576 if it is another size).
pub fn ts_profile(config: &LoopConfig) -> String {
    config.profiles.first().cloned().unwrap_or_else(|| "sd".to_string())
}

/// The screens of one profile in playing order, and the `items` entries
/// that matched nothing.
fn select<'a>(config: &'a LoopConfig, laid: &Laid) -> (Vec<Entry>, Vec<&'a String>) {
    let entry = |i: usize| {
        let s = &laid.screens[i];
        let asset = laid.pictures.get(i).map(|p| p.base.trim_start_matches("/a/").to_string()).unwrap_or_default();
        Entry { screen: s.id.clone(), title: s.title.clone(), number: s.number, asset }
    };
    // The home screen opens every round: the channel's index.
    let mut out: Vec<Entry> = laid.screens.iter().position(|s| s.kind == Kind::Home).map(entry).into_iter().collect();
    let columns: Vec<String> = {
        let mut seen = Vec::new();
        for s in laid.screens {
            if let Some(section) = &s.section {
                if !seen.contains(&section.column) {
                    seen.push(section.column.clone());
                }
            }
        }
        seen
    };
    let wanted: Vec<(String, Option<String>, Option<&String>)> = if config.items.is_empty() {
        columns.iter().map(|c| (c.clone(), None, None)).collect()
    } else {
        config
            .items
            .iter()
            .map(|i| match i.split_once('/') {
                // `阳光万源/村务公开/太平镇`: a place path below the sub-item.
                Some((c, s)) => {
                    let path: Vec<&str> = s.split('/').map(str::trim).collect();
                    (c.trim().to_string(), Some(path.join(PLACE_SEP)), Some(i))
                }
                None => (i.clone(), None, Some(i)),
            })
            .collect()
    };
    let mut missing = Vec::new();
    for (column, item, name) in wanted {
        let before = out.len();
        // A sub-item's places are in it; the documents of its villages play
        // only when the entry names a place (a county has hundreds of them).
        let below = item.as_deref().map(|want| format!("{want}{PLACE_SEP}"));
        let named_place = item.as_deref().is_some_and(|w| w.contains(PLACE_SEP));
        let in_section = |s: &Screen| {
            s.section.as_ref().is_some_and(|sec| {
                if sec.column != column {
                    return false;
                }
                let label = sec.item.as_deref().unwrap_or("");
                let inside = match (&item, &below) {
                    (Some(want), Some(below)) => label == want || label.starts_with(below.as_str()),
                    _ => true,
                };
                inside && (named_place || !label.contains(PLACE_SEP))
            })
        };
        if item.is_none() {
            // The column's own first screen introduces it.
            if let Some(i) = laid.screens.iter().position(|s| s.kind == Kind::Column && in_section(s)) {
                out.push(entry(i));
            }
        }
        // Reading screens, in the lists' order (newest first), at most
        // `newest` documents of each sub-item; a gallery plays whole.
        let mut docs_seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, s) in laid.screens.iter().enumerate() {
            if !in_section(s) || !matches!(s.kind, Kind::Article | Kind::Table | Kind::Gallery | Kind::Places) {
                continue;
            }
            if !matches!(s.kind, Kind::Gallery | Kind::Places) && config.newest > 0 {
                let sub = s.section.as_ref().and_then(|sec| sec.item.clone()).unwrap_or_default();
                let doc = document_of(&s.id).to_string();
                let seen = docs_seen.entry(sub).or_default();
                if !seen.contains(&doc) {
                    if seen.len() >= config.newest as usize {
                        continue;
                    }
                    seen.push(doc);
                }
            }
            out.push(entry(i));
        }
        if out.len() == before {
            missing.extend(name);
        }
    }
    (out, missing)
}

/// The loop's music file at the top of the channel, if any: a regular file
/// inside the channel (a link out of it is not music, whatever its name).
fn music(channels: &Path) -> Option<(PathBuf, String)> {
    let root = crate::confined::Root::new(channels);
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(channels)
        .ok()?
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_str().is_some_and(crate::content::music_name))
        .collect();
    names.sort();
    let name = names.into_iter().next()?;
    let meta = root.open(Path::new(&name)).ok()?.meta;
    if meta.len() == 0 {
        return None;
    }
    let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let stamp = format!("{}:{}", meta.len(), modified.map_or(0, |d| d.as_nanos()));
    Some((channels.join(name), stamp))
}
