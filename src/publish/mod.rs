//! Screens and pictures to a generation: the immutable set of assets, graphs,
//! shells and screen texts that the server answers from.
//!
//! Invariant: a published [`Generation`]'s content (assets, graphs, shells,
//! texts) never changes: a rebuild makes a new one, and the swap on air
//! replaces the whole value at once. Only the `saved` marks (where its bytes
//! lie in `onair.bin`) are set later, once.

pub mod blobs;
pub mod disk;
mod generation;
pub mod graph;
pub mod plan;
pub mod shell;

use std::collections::BTreeMap;

use hashbrown::HashMap;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::json;

use crate::layout::{Op, Rect, Screen};
use graph::Graph;

pub use generation::{
    AlertOut, Asset, AssetSet, ColumnFreshness, Generation, OverlayPics, Pictures, ProfileInput, ProfileOut, ScreenOut,
    ShellSettings,
};

/// Screens published by the last render, by a hash of everything their
/// shells and text are made from: a screen that did not change is taken as
/// it was instead of being written again.
#[derive(Default)]
pub struct ShellMemo {
    screens: HashMap<[u8; 32], Arc<ScreenOut>>,
    /// Of each screen the layout memo kept finished, by [`quick_key`]: its
    /// shell key and its entry in the last `graph.json` (a slice of those
    /// bytes, not a copy). Such a screen is found, and its entry copied into
    /// the next `graph.json`, without being read or written again.
    kept: HashMap<[u8; 32], ([u8; 32], Bytes)>,
    /// The sections of the screens above, each held once, shared by all
    /// the screens of its sub-item (a village's dozens).
    sections: std::collections::HashSet<Arc<crate::layout::Section>>,
}

/// What decides a kept screen's shells and text: what all of the profile's
/// shells share, the screen ([`Screen::made`]) and its drawing (which names
/// its pictures).
fn quick_key(common: &[u8; 32], made: &[u8; 32], drawn: &[u8; 32]) -> [u8; 32] {
    *blake3::Hasher::new().update(common).update(made).update(drawn).finalize().as_bytes()
}

impl ShellMemo {
    /// The screens of `g` (restored from disk), by the keys they were made
    /// with: the first render after a restart takes them as they are, and
    /// the generation it makes shares them with the one restored.
    pub fn seed(&mut self, g: &Generation) {
        let screens = g.profiles.values().flat_map(|p| p.screens.values());
        self.screens.extend(screens.filter(|s| s.shell_key != [0; 32]).map(|s| (s.shell_key, s.clone())));
        self.sections.extend(self.screens.values().filter_map(|s| s.section.clone()));
    }

    /// `section`, as held by the screens before: one for all of them.
    fn section(&mut self, section: &crate::layout::Section) -> Arc<crate::layout::Section> {
        share_section(&mut self.sections, section)
    }
}

/// `section` as `held` holds it, added there if new: one for every screen
/// of a sub-item, when rendered and when read back.
fn share_section(
    held: &mut std::collections::HashSet<Arc<crate::layout::Section>>,
    section: &crate::layout::Section,
) -> Arc<crate::layout::Section> {
    if let Some(same) = held.get(section) {
        return same.clone();
    }
    let new = Arc::new(section.clone());
    held.insert(new.clone());
    new
}

/// What a screen's shells and text are made from, apart from what every
/// screen of the profile shares (`common`): its drawing, its entry in the
/// graph as JSON (kind, title, parent, number, carousel, what it asks, and
/// per state its pictures and keys), and what the graph does not hold.
fn shell_key(common: &[u8; 32], screen: &Screen, graph_json: &[u8], drawn: &[u8; 32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(common);
    h.update(drawn);
    h.update(screen.id.as_bytes());
    h.update(b"\0");
    h.update(graph_json);
    let _ = serde_json::to_writer(&mut h, &(&screen.section, &screen.locals));
    *h.finalize().as_bytes()
}

/// What every shell of a profile shares: the profile, the page numbers, the
/// overlays, the settings shells show.
fn shell_common(input: &ProfileInput, settings: &ShellSettings) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let about = (
        input.profile,
        input.numbers,
        input.overlays,
        settings.poll_seconds,
        &settings.key_codes,
        &settings.portal_url,
    );
    h.update(format!("{about:?}").as_bytes());
    *h.finalize().as_bytes()
}

/// A screen's `ScreenOut`: found made, or just made (among the garbage of
/// making it). Held for one pass over a worker's screens; boxing the new
/// one would only add a block a screen to that garbage.
#[allow(clippy::large_enum_variant)]
enum Made {
    Kept(Arc<ScreenOut>),
    New(ScreenOut),
}

impl Made {
    /// The screen, a new one copied out of the garbage it was made among.
    fn packed(self) -> Arc<ScreenOut> {
        match self {
            Made::Kept(out) => out,
            Made::New(out) => Arc::new(ScreenOut {
                shells: out.shells.clone(),
                etags: out.etags.clone(),
                text: out.text.clone(),
                ..out
            }),
        }
    }
}

/// One screen's shells (one per focus state) and text; its section is the
/// caller's to give ([`ShellMemo::section`]).
fn screen_out(
    input: &ProfileInput,
    settings: &ShellSettings,
    (screen, pics, graph): (&Screen, &Pictures, graph::GraphScreen),
    (drawn, shell_key): ([u8; 32], [u8; 32]),
    blobs: &blobs::Blobs,
) -> std::io::Result<ScreenOut> {
    let (made, text) = shells_and_text(input, settings, screen, pics);
    let mut shells = Vec::with_capacity(made.len());
    let mut etags = Vec::with_capacity(made.len());
    for (html, etag) in made {
        shells.push(store(blobs, Bytes::from(html), "html")?);
        etags.push(etag);
    }
    Ok(ScreenOut { graph, section: None, etags, shells, text: store(blobs, text, "json")?, drawn, shell_key })
}

/// A screen's HTML shell per focus state, with its strong ETag, and its
/// text as `screens/{id}.json`.
fn shells_and_text(
    input: &ProfileInput,
    settings: &ShellSettings,
    screen: &Screen,
    pics: &Pictures,
) -> (Vec<(String, String)>, Bytes) {
    let shells = (0..screen.states.len()).map(|f| shell::render(input, settings, screen, pics, f)).collect();
    (shells, Bytes::from(serde_json::to_vec(&screen_text(screen)).unwrap_or_default()))
}

/// The shells (one per focus state, with its strong ETag) and the text of
/// a screen made at request time, with the overlays and settings of the
/// generation on air; `None` when that generation has none (it was read
/// back from disk and the first render is not done).
pub(crate) fn request_screen(
    on_air: &Generation,
    profile: &str,
    screen: &Screen,
    pics: &Pictures,
) -> Option<(Vec<(String, String)>, Bytes)> {
    let out = on_air.profiles.get(profile)?;
    let (overlays, settings) = (out.overlays.as_deref()?, on_air.shell_settings.as_deref()?);
    let input = ProfileInput {
        profile: &out.profile,
        screens: &[],
        pictures: &[],
        overlays,
        numbers: &out.numbers,
        drawn: &[],
    };
    Some(shells_and_text(&input, settings, screen, pics))
}

/// Stores `bytes` in `blobs` under a hash of them; returns the name.
pub fn store(blobs: &blobs::Blobs, bytes: Bytes, ext: &str) -> std::io::Result<String> {
    let name = format!("{}.{ext}", &blake3::hash(&bytes).to_hex()[..20]);
    blobs.put(&name, &bytes)?;
    Ok(name)
}

/// The screens of one profile: their shells and texts made and stored, or
/// taken from `previous` where nothing they are made of changed.
fn profile_screens(
    input: &ProfileInput,
    settings: &ShellSettings,
    (common, mut listed, entries): (&[u8; 32], Vec<Listed>, Vec<Option<Entry>>),
    previous: &HashMap<[u8; 32], Arc<ScreenOut>>,
    blobs: &blobs::Blobs,
    memo: &mut ShellMemo,
) -> anyhow::Result<HashMap<String, Arc<ScreenOut>>> {
    // Shells are independent per screen: build them on every core.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = input.screens.len().div_ceil(workers).max(1);
    let made: Vec<std::io::Result<([u8; 32], Arc<ScreenOut>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = listed
            .chunks_mut(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    let made: Vec<std::io::Result<([u8; 32], Made)>> = part
                        .iter_mut()
                        .enumerate()
                        .map(|(j, listed)| {
                            let i = c * chunk + j;
                            if let Some((key, found)) = listed.found.take() {
                                return Ok((key, Made::Kept(found)));
                            }
                            let (screen, pics) = (&input.screens[i], &input.pictures[i]);
                            let drawn = input.drawn.get(i).copied().unwrap_or([0; 32]);
                            let key = shell_key(common, screen, &listed.json, &drawn);
                            let out = match (previous.get(&key), listed.graph.take()) {
                                (Some(same), _) => Made::Kept(same.clone()),
                                (None, Some(graph)) => {
                                    let keys = (drawn, key);
                                    Made::New(screen_out(input, settings, (screen, pics, graph), keys, blobs)?)
                                }
                                (None, None) => return Err(std::io::Error::other("a screen without its graph")),
                            };
                            Ok((key, out))
                        })
                        .collect();
                    // What lives on is made again in one go, now that the
                    // shells' text is gone: made among it, each screen's
                    // names would pin a page of it (see `memory`).
                    made.into_iter().map(|m| m.map(|(key, made)| (key, made.packed()))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| std::io::Error::other("a shell thread panicked")))
            .collect::<std::io::Result<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect())
    })
    .unwrap_or_else(|e| vec![Err(e)]);
    let made = made.into_iter().collect::<std::io::Result<Vec<_>>>().context("cannot store a shell")?;
    if made.len() != input.screens.len() {
        anyhow::bail!("{} shells for {} screens", made.len(), input.screens.len());
    }
    let mut screens = HashMap::with_capacity(made.len());
    for (((key, mut out), screen), entry) in made.into_iter().zip(input.screens).zip(entries) {
        // Only a screen just made is held here alone.
        if let Some(made) = Arc::get_mut(&mut out) {
            made.section = screen.section.as_ref().map(|s| memo.section(s));
        }
        if let Some((quick, entry)) = entry {
            memo.kept.insert(quick, (key, entry));
        }
        memo.screens.insert(key, out.clone());
        screens.insert(screen.id.clone(), out);
    }
    Ok(screens)
}

/// A profile's screen as the graph lists it, as its JSON, and when it is
/// a kept screen found in the memo, what was published for it.
struct Listed {
    graph: Option<graph::GraphScreen>,
    json: Bytes,
    found: Option<([u8; 32], Arc<ScreenOut>)>,
}

/// A profile's screens as the graph lists them, its `graph.json` with an
/// empty id (to be hashed, then given the id), and where each listed
/// screen's entry lies in it. Kept screens published before are taken from
/// `memo` as they were, their entries copied from the last `graph.json`.
fn profile_graph(
    input: &ProfileInput,
    common: &[u8; 32],
    memo: &ShellMemo,
) -> Result<ProfileGraph, crate::layout::Thin> {
    let drawn = |i: usize| input.drawn.get(i).copied().unwrap_or([0; 32]);
    let quick: Vec<Option<[u8; 32]>> =
        input.screens.iter().enumerate().map(|(i, s)| Some(quick_key(common, &s.made?, &drawn(i)))).collect();
    let mut frames = graph::Frames::default();
    let mut listed: Vec<Listed> = input
        .screens
        .iter()
        .zip(input.pictures)
        .enumerate()
        .map(|(i, (s, p))| {
            let found = quick[i].and_then(|quick| {
                let (key, json) = memo.kept.get(&quick)?;
                Some((*key, json.clone(), memo.screens.get(key)?.clone()))
            });
            if found.is_none() && s.thin {
                return Err(crate::layout::Thin(s.id.clone()));
            }
            if let Some((key, json, out)) = found {
                // Every test checks that a screen found this way is the one
                // the long way finds.
                debug_assert_eq!(json, serde_json::to_vec(&out.graph).unwrap_or_default(), "kept screen {}", s.id);
                debug_assert_eq!(key, shell_key(common, s, &json, &drawn(i)), "kept screen {}", s.id);
                debug_assert!(s.thin || json == serde_json::to_vec(&graph::screen(s, p)).unwrap_or_default());
                return Ok(Listed { graph: None, json, found: Some((key, out)) });
            }
            let mut graph = graph::screen(s, p);
            frames.share_screen(&mut graph);
            Ok(Listed { graph: Some(graph), json: Bytes::new(), found: None })
        })
        .collect::<Result<_, _>>()?;
    // Written once every graph is made: the graphs live on with the
    // generation, their JSON goes with the render. Written in turn, each
    // would leave a hole between two graphs, pinning its page.
    for l in &mut listed {
        if let Some(graph) = &l.graph {
            l.json = Bytes::from(serde_json::to_vec(graph).unwrap_or_default());
        }
    }
    // In order of id; of two screens with one id (never made), the later.
    let mut order: Vec<usize> = (0..listed.len()).collect();
    order.sort_by(|&a, &b| input.screens[a].id.cmp(&input.screens[b].id).then(b.cmp(&a)));
    order.dedup_by(|a, b| input.screens[*a].id == input.screens[*b].id);
    let ordered = order.iter().map(|&i| (input.screens[i].id.as_str(), &listed[i].json[..]));
    // Written with a stand-in id of the id's length, put in place later.
    let (json, spans) = graph::json_with_spans(ID_STAND_IN, input.profile, input.numbers, ordered);
    let spans = order.into_iter().zip(spans).collect();
    Ok(ProfileGraph { listed, json, spans, quick })
}

/// A kept screen's quick key and its entry in `graph.json`.
type Entry = ([u8; 32], Bytes);

/// What [`profile_graph`] makes.
struct ProfileGraph {
    listed: Vec<Listed>,
    /// `graph.json` with [`ID_STAND_IN`] for the id.
    json: Vec<u8>,
    /// Listed screen → where its entry lies in `json`.
    spans: Vec<(usize, std::ops::Range<usize>)>,
    /// Listed screen → its [`quick_key`], for a screen kept finished.
    quick: Vec<Option<[u8; 32]>>,
}

/// The generation id's place in `graph.json` while the id is worked out:
/// as long as an id, so the id is written over it, not copied in.
const ID_STAND_IN: &str = "000000000000";
/// How `graph.json` begins, up to the id.
const GRAPH_HEAD: &[u8] = b"{\"generation\":\"";

impl ProfileGraph {
    /// Feeds `hasher` the graph as it is with an empty id: a content hash
    /// of what boxes see, whatever stands in for the id.
    fn hash_into(&self, hasher: &mut blake3::Hasher) {
        match self.json.strip_prefix(GRAPH_HEAD).and_then(|rest| rest.strip_prefix(ID_STAND_IN.as_bytes())) {
            Some(rest) => hasher.update(GRAPH_HEAD).update(rest),
            // Not reached while `generation` is the first field.
            None => hasher.update(&self.json),
        };
    }

    /// `graph.json` given its `id`, and of each listed screen kept finished,
    /// its quick key and its entry in that graph (a slice, not a copy).
    fn with_id(self, id: &str) -> (Bytes, Vec<Listed>, Vec<Option<Entry>>) {
        let ProfileGraph { listed, mut json, spans, quick } = self;
        let at = GRAPH_HEAD.len()..GRAPH_HEAD.len() + ID_STAND_IN.len();
        let graph_json = if id.len() == ID_STAND_IN.len() && json.get(at.clone()) == Some(ID_STAND_IN.as_bytes()) {
            json[at].copy_from_slice(id.as_bytes());
            Bytes::from(json)
        } else {
            // Not reached: ids are as long as their stand-in.
            let Ok(mut g) = serde_json::from_slice::<Graph>(&json) else { return (json.into(), listed, Vec::new()) };
            g.generation = id.to_string();
            Bytes::from(serde_json::to_vec(&g).unwrap_or(json))
        };
        let mut entries = vec![None; listed.len()];
        for (i, span) in spans {
            let Some(quick) = quick[i] else { continue };
            // Checked (a compare's cost, no more): the next graph is made of them.
            if graph_json.get(span.clone()) == Some(&listed[i].json[..]) {
                entries[i] = Some((quick, graph_json.slice(span)));
            }
        }
        (graph_json, listed, entries)
    }
}

/// Builds the generation from laid-out screens and their pictures (its
/// problems are the caller's to set). Fails when the blobs cannot be
/// written (a full disk): such a generation must not go on air.
pub fn assemble(
    title: &str,
    default_profile: &str,
    built_at: DateTime<FixedOffset>,
    inputs: &[ProfileInput],
    settings: &ShellSettings,
    assets: AssetSet,
    memo: &mut ShellMemo,
) -> anyhow::Result<Generation> {
    if let Some(failed) = assets.failed() {
        anyhow::bail!("cannot store {failed}");
    }
    let blobs = assets.blobs().clone();
    // The id hashes every graph, so it changes exactly when what boxes see
    // changes, and the shell settings (alert, poll interval, key codes, the
    // loop), which change what boxes see too.
    // Each graph is written once, with a stand-in for the id (its first
    // field), hashed as if the id were empty; the id is then written over
    // the stand-in.
    let commons: Vec<[u8; 32]> = inputs.iter().map(|i| shell_common(i, settings)).collect();
    // Each profile's graph on a core of its own.
    let memo_now: &ShellMemo = memo;
    let graphs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            inputs.iter().zip(&commons).map(|(i, c)| scope.spawn(move || profile_graph(i, c, memo_now))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let graphs: Vec<_> = graphs.into_iter().collect::<Result<_, _>>()?;
    let mut hasher = blake3::Hasher::new();
    for (input, graph) in inputs.iter().zip(&graphs) {
        hasher.update(input.profile.name.as_bytes());
        graph.hash_into(&mut hasher);
    }
    hasher.update(&serde_json::to_vec(settings).unwrap_or_default());
    let id = hasher.finalize().to_hex()[..12].to_string();

    let previous = std::mem::take(&mut memo.screens);
    memo.kept.clear();
    let mut profiles = BTreeMap::new();
    for ((input, common), graph) in inputs.iter().zip(&commons).zip(graphs) {
        let (graph_json, listed, entries) = graph.with_id(&id);
        let screens = profile_screens(input, settings, (common, listed, entries), &previous, &blobs, memo)?;
        profiles.insert(
            input.profile.name.clone(),
            ProfileOut {
                profile: input.profile.clone(),
                start: crate::layout::HOME.to_string(),
                graph_etag: etag(&graph_json),
                graph_json,
                numbers: input.numbers.clone(),
                screens,
                overlays: Some(Arc::new(input.overlays.clone())),
                search: None,
            },
        );
    }
    // Sections no screen holds any more go (the last generation's stay
    // while it is on air).
    drop(previous);
    memo.sections.retain(|s| Arc::strong_count(s) > 1);
    // Nothing goes on air before every byte it names is written.
    blobs.settle().context("cannot store the channel's pictures and shells")?;
    let (assets, blobs) = assets.into_inner();
    Ok(Generation {
        id,
        built_at,
        title: title.to_string(),
        default_profile: default_profile.to_string(),
        profiles,
        assets,
        blobs,
        problems: Vec::new(),
        alert: settings.alert.as_ref().map(|(paragraphs, since)| AlertOut {
            text: paragraphs.join("\n"),
            since: since.clone(),
            images: inputs
                .iter()
                .filter_map(|i| {
                    let (r, url) = i.overlays.alert.as_ref()?;
                    Some((i.profile.name.clone(), json!([url, r.x, r.y, r.w, r.h])))
                })
                .collect(),
        }),
        utc_offset_minutes: built_at.offset().local_minus_utc() / 60,
        next_change: None,
        columns: Vec::new(),
        stale_days: 0,
        broadcast: settings.broadcast.clone(),
        interaction: settings.interaction.clone(),
        shell_settings: Some(Arc::new(settings.clone())),
    })
}

/// A strong ETag for `bytes`: a quoted content hash.
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &blake3::hash(bytes).to_hex()[..16])
}

/// A screen's text as `/api/v1/{profile}/screens/{id}.json` serves it,
/// serialised straight from these borrowing structs: building it as JSON
/// values first (and copying those into the document) was half the time
/// of publishing a generation. Fields are in alphabetical order, as the
/// values' maps kept them, so the bytes are the same.
#[derive(Serialize)]
struct ScreenText<'a> {
    id: &'a str,
    kind: crate::layout::Kind,
    states: Vec<StateText<'a>>,
    title: &'a str,
}

#[derive(Serialize)]
struct StateText<'a> {
    lines: Vec<TextLine<'a>>,
}

#[derive(Serialize)]
struct TextLine<'a> {
    h: i32,
    size: f32,
    text: &'a str,
    w: i32,
    x: i32,
    y: i32,
}

/// The screen's text per state: what a viewer reads with that state focused.
fn screen_text(screen: &Screen) -> ScreenText<'_> {
    fn lines(ops: &[Op], hide: Option<Rect>) -> impl Iterator<Item = TextLine<'_>> {
        ops.iter()
            .filter_map(|op| match op {
                Op::Text(run) => Some(run),
                _ => None,
            })
            .filter(move |run| {
                hide.is_none_or(|r| {
                    let (cx, cy) = (run.x + run.w / 2.0, run.y + run.h / 2.0);
                    !(cx >= r.x as f32 && cx < r.right() as f32 && cy >= r.y as f32 && cy < r.bottom() as f32)
                })
            })
            .map(|run| TextLine {
                text: &run.text,
                x: run.x.round() as i32,
                y: run.y.round() as i32,
                w: run.w.round() as i32,
                h: run.h.round() as i32,
                size: run.size,
            })
    }
    let states = screen
        .states
        .iter()
        .map(|state| {
            let mut all: Vec<TextLine> = lines(&screen.ops, state.focus.as_ref().map(|f| f.rect)).collect();
            if let Some(focus) = &state.focus {
                all.extend(lines(&focus.ops, None));
            }
            StateText { lines: all }
        })
        .collect();
    ScreenText { id: &screen.id, kind: screen.kind, states, title: &screen.title }
}
