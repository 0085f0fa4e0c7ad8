//! `graph.json`: every screen of a profile, its pictures and where each key
//! leads, as the shells and the operators' preview read it. Typed both ways:
//! built from the laid-out screens, read back by the preview.
//!
//! Fields are declared in alphabetical order: that is the order the JSON
//! has always had (it was built as maps), so the bytes, and the generation
//! id hashed from them, do not depend on how it is built.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Pictures;
use crate::config::Profile;
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
    pub ask: Option<crate::layout::interact::Ask>,
    pub carousel: Option<Carousel>,
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
    pub keys: BTreeMap<String, Target>,
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
        carousel: screen.carousel.as_ref().map(|(seconds, next)| Carousel { next: next.clone(), seconds: *seconds }),
        kind: screen.kind,
        number: screen.number,
        parent: screen.parent.clone(),
        states: states(&screen.states, pics),
        title: screen.title.clone(),
    }
}

/// A profile's `graph.json`, from its screens in order of id: the one way
/// it is written, when a generation is made and when a saved one is read
/// back (its bytes, and so its ETag, are the same both times).
pub fn json<'a>(
    id: &'a str,
    profile: &'a Profile,
    numbers: &'a BTreeMap<String, Target>,
    screens: impl Iterator<Item = (&'a str, &'a GraphScreen)>,
) -> Vec<u8> {
    let view = View {
        generation: id,
        height: profile.height,
        numbers,
        profile: &profile.name,
        screens: Sorted(std::cell::RefCell::new(Some(screens))),
        start: crate::layout::HOME,
        width: profile.width,
    };
    serde_json::to_vec(&view).unwrap_or_default()
}

/// [`Graph`] as it is written, borrowing every part (same fields, same order).
#[derive(Serialize)]
#[serde(bound(serialize = "I: Iterator<Item = (&'a str, &'a GraphScreen)>"))]
struct View<'a, I: Iterator<Item = (&'a str, &'a GraphScreen)>> {
    generation: &'a str,
    height: u32,
    numbers: &'a BTreeMap<String, Target>,
    profile: &'a str,
    screens: Sorted<I>,
    start: &'a str,
    width: u32,
}

/// Screens in order of id, written as a map once.
struct Sorted<I>(std::cell::RefCell<Option<I>>);

impl<'a, I: Iterator<Item = (&'a str, &'a GraphScreen)>> Serialize for Sorted<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.borrow_mut().take() {
            Some(screens) => s.collect_map(screens),
            None => Err(serde::ser::Error::custom("the screens were written already")),
        }
    }
}

impl Graph {
    /// Screens in the order a viewer meets them: breadth first from the
    /// start screen, digits before OK before paging, unreachable ones last.
    pub fn navigation_order(&self) -> Vec<(&String, &GraphScreen)> {
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
            let targets = s.states.iter().flat_map(|state| KEYS.iter().filter_map(|k| state.keys.get(*k)));
            for target in targets {
                if let Some(next) = self.screens.get_key_value(&target.screen) {
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
            keys: state.keys.iter().map(|(k, t)| (k.name(), t.clone())).collect(),
        })
        .collect()
}
