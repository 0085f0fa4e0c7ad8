//! `graph.json`: every screen of a profile, its pictures and where each key
//! leads, as the shells and the operators' preview read it. Typed both ways:
//! built from the laid-out screens, read back by the preview.
//!
//! Fields are declared in alphabetical order: that is the order the JSON
//! has always had (it was built as maps), so the bytes, and the generation
//! id hashed from them, do not depend on how it is built.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Pictures;
use crate::config::Profile;
use crate::keys::Key;
use crate::layout::{Kind, Target};

/// One profile's graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// The generation's id; empty while the id is being worked out.
    pub generation: String,
    pub height: u32,
    /// Page numbers typed on the remote → where they lead.
    pub numbers: BTreeMap<String, Target>,
    pub profile: String,
    pub screens: BTreeMap<String, GraphScreen>,
    pub start: String,
    pub width: u32,
}

/// One screen in the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphScreen {
    /// What the screen asks households (answer screens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<Box<crate::layout::interact::Ask>>,
    pub carousel: Option<Box<Carousel>>,
    pub kind: Kind,
    pub number: Option<u16>,
    pub parent: Option<String>,
    pub states: Vec<GraphState>,
    pub title: String,
}

/// A screen that moves on by itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carousel {
    pub next: Target,
    pub seconds: u32,
}

/// One focus state: the base picture, the focus sprite over it, the keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<FocusSprite>,
    pub image: String,
    pub keys: KeyMap,
}

/// A state's keys and where each leads: a byte a key where a map of names
/// took a hundred (a county's graphs hold over half a million of them).
/// Kept in the order of the keys' names, as graph.json lists them.
///
/// The frame's keys (the colour keys and home, see [`frame_key`]) lead
/// alike from every screen of a profile: they are held once, shared by
/// every state whose are the same ([`Frames`]), not copied into each (on
/// the county channel, five of a state's eleven keys; 12 MB).
#[derive(Debug, Clone, Default)]
pub struct KeyMap {
    /// The state's own keys, in order of rank.
    own: Box<[(Key, Target)]>,
    /// The frame's keys, in order of rank.
    frame: Option<Arc<[(Key, Target)]>>,
}

/// Whether `key` belongs to the channel's frame rather than the screen.
pub fn frame_key(key: Key) -> bool {
    matches!(key, Key::Red | Key::Green | Key::Yellow | Key::Blue | Key::Home)
}

impl KeyMap {
    /// Where the key named `name` leads, if anywhere.
    pub fn get(&self, name: &str) -> Option<&Target> {
        let key = Key::from_name(name)?;
        self.iter().find(|(k, _)| *k == key).map(|(_, t)| t)
    }

    /// The keys in order of rank (of their names).
    pub fn iter(&self) -> impl Iterator<Item = &(Key, Target)> {
        let frame: &[(Key, Target)] = self.frame.as_deref().unwrap_or_default();
        Merged { a: &self.own, b: frame }
    }

    /// The frame's keys, as this state shares them with the others.
    pub fn frame(&self) -> Option<&Arc<[(Key, Target)]>> {
        self.frame.as_ref()
    }

    pub fn len(&self) -> usize {
        self.own.len() + self.frame.as_ref().map_or(0, |f| f.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Two lists in order of rank, as one.
struct Merged<'a> {
    a: &'a [(Key, Target)],
    b: &'a [(Key, Target)],
}

impl<'a> Iterator for Merged<'a> {
    type Item = &'a (Key, Target);

    fn next(&mut self) -> Option<&'a (Key, Target)> {
        let take_a = match (self.a.first(), self.b.first()) {
            (Some(a), Some(b)) => a.0.rank() <= b.0.rank(),
            (a, _) => a.is_some(),
        };
        let list = if take_a { &mut self.a } else { &mut self.b };
        let (first, rest) = list.split_first()?;
        *list = rest;
        Some(first)
    }
}

impl PartialEq for KeyMap {
    fn eq(&self, other: &KeyMap) -> bool {
        self.iter().eq(other.iter())
    }
}

impl FromIterator<(Key, Target)> for KeyMap {
    fn from_iter<I: IntoIterator<Item = (Key, Target)>>(keys: I) -> KeyMap {
        let mut keys: Vec<(Key, Target)> = keys.into_iter().collect();
        keys.sort_by_key(|(k, _)| k.rank());
        keys.dedup_by_key(|(k, _)| *k);
        let (frame, own): (Vec<_>, Vec<_>) = keys.into_iter().partition(|(k, _)| frame_key(*k));
        KeyMap { own: own.into_boxed_slice(), frame: (!frame.is_empty()).then(|| frame.into()) }
    }
}

/// The frame keys met so far in one profile's graph, each held once: every
/// state given to [`Frames::share`] with the same ones shares them.
#[derive(Default)]
pub struct Frames(Vec<Arc<[(Key, Target)]>>);

impl Frames {
    /// Past this many different frames, a frame is kept as it is: a channel
    /// whose screens each had their own would otherwise be searched long.
    const MOST: usize = 16;

    /// Makes `keys` share its frame keys with the states before it.
    pub fn share(&mut self, keys: &mut KeyMap) {
        let Some(frame) = &mut keys.frame else { return };
        match self.0.iter().find(|f| ***f == **frame) {
            Some(same) => *frame = same.clone(),
            None if self.0.len() < Frames::MOST => self.0.push(frame.clone()),
            None => {}
        }
    }

    /// [`Frames::share`] for every state of `screen`.
    pub(crate) fn share_screen(&mut self, screen: &mut GraphScreen) {
        for state in &mut screen.states {
            self.share(&mut state.keys);
        }
    }
}

impl Serialize for KeyMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().map(|(k, t)| (k, t)))
    }
}

impl<'de> Deserialize<'de> for KeyMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeyMap, D::Error> {
        d.deserialize_map(KeyMapVisitor)
    }
}

/// Reads a state's keys straight into a list, no map of names built on the
/// way (a restart reads half a million keys).
struct KeyMapVisitor;

impl<'de> serde::de::Visitor<'de> for KeyMapVisitor {
    type Value = KeyMap;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of key names to targets")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<KeyMap, A::Error> {
        let mut keys = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Key>()? {
            let target: Target = map.next_value()?;
            // As a map would: of two of one name, the later.
            keys.retain(|(k, _): &(Key, Target)| *k != key);
            keys.push((key, target));
        }
        Ok(keys.into_iter().collect())
    }
}

/// The focused look, laid over the base picture at its place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FocusSprite {
    pub h: i32,
    pub image: String,
    pub w: i32,
    pub x: i32,
    pub y: i32,
}

/// One screen as the graph lists it: its pictures, where each key leads.
pub fn screen(screen: &crate::layout::Screen, pics: &Pictures) -> GraphScreen {
    GraphScreen {
        ask: screen.ask.clone(),
        carousel: screen.carousel.as_ref().map(|c| Box::new(Carousel { next: c.1.clone(), seconds: c.0 })),
        kind: screen.kind,
        number: screen.number,
        parent: screen.parent.clone(),
        states: states(&screen.states, pics),
        title: screen.title.clone(),
    }
}

/// A profile's `graph.json`, from its screens in order of id, each given
/// as its JSON (`serde_json` of a [`GraphScreen`]): the one way it is
/// written, when a generation is made and when a saved one is read back, so
/// its bytes (and its ETag) are the same both times and the same as
/// `serde_json` writes a [`Graph`] (the test below holds it to that).
pub fn json<'a>(
    id: &str,
    profile: &Profile,
    numbers: &BTreeMap<String, Target>,
    screens: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<u8> {
    json_with_spans(id, profile, numbers, screens).0
}

/// [`json`], and where each screen's JSON lies in it, in the order given:
/// the next render copies an unchanged screen's entry from there instead
/// of writing it again.
pub(crate) fn json_with_spans<'a>(
    id: &str,
    profile: &Profile,
    numbers: &BTreeMap<String, Target>,
    screens: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
    #[derive(Serialize)]
    struct Head<'h> {
        generation: &'h str,
        height: u32,
        numbers: &'h BTreeMap<String, Target>,
        profile: &'h str,
    }
    let head = Head { generation: id, height: profile.height, numbers, profile: &profile.name };
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    out.pop(); // its closing brace: the other fields follow
    out.extend_from_slice(b",\"screens\":{");
    let mut spans = Vec::new();
    for (i, (id, screen)) in screens.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, id);
        out.push(b':');
        spans.push(out.len()..out.len() + screen.len());
        out.extend_from_slice(screen);
    }
    out.extend_from_slice(b"},\"start\":");
    let _ = serde_json::to_writer(&mut out, crate::layout::HOME);
    out.extend_from_slice(format!(",\"width\":{}}}", profile.width).as_bytes());
    // Kept for as long as the generation is on air: not the up to twice as
    // much that growing by doubling reserved (mapped on its own, so giving
    // the rest back moves nothing).
    out.shrink_to_fit();
    spans.shrink_to_fit();
    (out, spans)
}

impl Graph {
    /// Screens in the order a viewer meets them: breadth first from the
    /// start screen, digits before OK before paging, unreachable ones last.
    pub(crate) fn navigation_order(&self) -> Vec<(&String, &GraphScreen)> {
        const KEYS: [&str; 13] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "ok", "right", "down", "pagedown"];
        let mut seen = std::collections::HashSet::new();
        let mut queue = std::collections::VecDeque::new();
        let mut out = Vec::new();
        if let Some(start) = self.screens.get_key_value(&self.start) {
            seen.insert(start.0);
            queue.push_back(start);
        }
        while let Some((id, s)) = queue.pop_front() {
            out.push((id, s));
            let targets = s.states.iter().flat_map(|state| KEYS.iter().filter_map(|k| state.keys.get(k)));
            for target in targets {
                if let Some(next) = self.screens.get_key_value(target.screen.as_str()) {
                    if seen.insert(next.0) {
                        queue.push_back(next);
                    }
                }
            }
        }
        out.extend(self.screens.iter().filter(|(id, _)| !seen.contains(id)));
        out
    }
}

fn states(states: &[crate::layout::State], pics: &Pictures) -> Vec<GraphState> {
    states
        .iter()
        .zip(&pics.sprites)
        .map(|(state, sprite)| GraphState {
            focus: sprite.as_ref().map(|(rect, image)| FocusSprite {
                h: rect.h,
                image: image.clone(),
                w: rect.w,
                x: rect.x,
                y: rect.y,
            }),
            image: pics.base.clone(),
            keys: state.keys.iter().map(|(k, t)| (*k, t.clone())).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graph_written_from_screens_is_what_serde_writes() {
        let target = |s: &str| Target::new(s, 0);
        let screen = |title: &str, parent: Option<&str>| GraphScreen {
            ask: None,
            carousel: Some(Box::new(Carousel { next: target("a-1"), seconds: 8 })),
            kind: Kind::Article,
            number: Some(101),
            parent: parent.map(str::to_string),
            states: vec![GraphState {
                focus: Some(FocusSprite { h: 4, image: "/a/f.png".into(), w: 3, x: 1, y: 2 }),
                image: "/a/b.png".into(),
                keys: [(Key::Ok, target("a-\"1")), (Key::Digit(3), target("home")), (Key::Back, target("home"))]
                    .into_iter()
                    .collect(),
            }],
            title: title.into(),
        };
        let profile = Profile::new("sd", 720, 576);
        let numbers: BTreeMap<String, Target> = [("101".to_string(), target("s-1"))].into_iter().collect();
        let screens: BTreeMap<String, GraphScreen> = [
            ("a-\"1".to_string(), screen("第一 \\ \"引号\"", Some("home"))),
            ("home".to_string(), screen("首页", None)),
        ]
        .into_iter()
        .collect();
        let graph = Graph {
            generation: "abc".into(),
            height: 576,
            numbers: numbers.clone(),
            profile: "sd".into(),
            screens: screens.clone(),
            start: crate::layout::HOME.into(),
            width: 720,
        };
        let chunks: Vec<(String, Vec<u8>)> =
            screens.iter().map(|(id, s)| (id.clone(), serde_json::to_vec(s).unwrap_or_default())).collect();
        let written = json("abc", &profile, &numbers, chunks.iter().map(|(id, j)| (id.as_str(), j.as_slice())));
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&serde_json::to_vec(&graph).unwrap_or_default())
        );
    }

    #[test]
    fn frame_keys_are_held_once_and_read_as_if_every_state_had_them() {
        let target = |s: &str| Target::new(s, 0);
        let keys = |ok: &str| -> KeyMap {
            [
                (Key::Red, target("c-1")),
                (Key::Ok, target(ok)),
                (Key::Home, target("home")),
                (Key::Down, target("x")),
                (Key::Digit(2), target("y")),
                (Key::Blue, target("c-4")),
            ]
            .into_iter()
            .collect()
        };
        let (mut a, mut b) = (keys("a"), keys("b"));
        let mut frames = Frames::default();
        frames.share(&mut a);
        frames.share(&mut b);
        let (Some(fa), Some(fb)) = (&a.frame, &b.frame) else { panic!("no frame keys kept apart") };
        assert!(Arc::ptr_eq(fa, fb), "two states with the same frame keys hold them twice");
        assert_eq!(a.own.len(), 3);
        // Written in the order of the names, as a map of names is.
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert_eq!(json, r#"{"2":"y#0","blue":"c-4#0","down":"x#0","home":"home#0","ok":"a#0","red":"c-1#0"}"#);
        let names: Vec<&str> = a.iter().map(|(k, _)| k.name()).collect();
        assert_eq!(names, ["2", "blue", "down", "home", "ok", "red"]);
        let back: KeyMap = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, a);
        assert_ne!(a, b);
        assert_eq!((a.get("home"), a.get("ok"), a.get("up")), (Some(&target("home")), Some(&target("a")), None));
        assert_eq!(a.len(), 6);
        // Of a name given twice, the later counts; a name no key has is refused.
        let twice: KeyMap = serde_json::from_str(r#"{"ok":"a#0","ok":"b#1"}"#).unwrap_or_default();
        assert_eq!(twice.get("ok"), Some(&Target::new("b", 1)));
        assert!(serde_json::from_str::<KeyMap>(r#"{"menu":"a#0"}"#).is_err());
    }
}
