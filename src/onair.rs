//! The generation on air, swapped whole, and the ancestry of every screen
//! ever on air (so a box asking for a screen that is gone is sent to its
//! nearest living ancestor).
//!
//! Invariant: a box never sees half a render: the generation is replaced by
//! one `Arc` swap.

use std::sync::{Arc, Mutex, RwLock};

use hashbrown::HashMap;

use crate::publish::Generation;
use crate::sync::{Locked, RwLocked};

/// The generation on air and where its screens came from.
#[derive(Default)]
pub struct OnAir {
    // A std RwLock: readers clone the Arc and let go at once.
    current: RwLock<Option<Arc<Generation>>>,
    /// The id on air and when it went on air (for shells, which name no
    /// generation: one that is young may be newer than the shell asking).
    since: Mutex<Option<(String, std::time::Instant)>>,
    /// Every screen id ever on air, per profile, with its parent.
    /// Profile → screen id → its parent.
    ancestry: Mutex<HashMap<String, HashMap<String, Option<String>>>>,
}

impl OnAir {
    pub fn new() -> OnAir {
        OnAir::default()
    }

    /// The generation on air, if any render has finished.
    pub fn current(&self) -> Option<Arc<Generation>> {
        self.current.reading().clone()
    }

    /// Puts `generation` on air in place of the one there.
    pub fn swap(&self, generation: Arc<Generation>) {
        {
            let mut since = self.since.locked();
            if since.as_ref().is_none_or(|(id, _)| *id != generation.id) {
                *since = Some((generation.id.clone(), std::time::Instant::now()));
            }
        }
        // The one going off air is let go of outside the lock: readers wait
        // for no deallocation.
        let _off_air = self.current.writing().replace(generation.clone());
        // On air first: until this is done, a vanished screen's way back is
        // found from what was on air before, which held it.
        let mut ancestry = self.ancestry.locked();
        for (name, profile) in &generation.profiles {
            let known = ancestry.entry_ref(name.as_str()).or_default();
            for (id, screen) in &profile.screens {
                // A county's screens rarely move: most are known as they are.
                match known.get_mut(id.as_str()) {
                    Some(parent) if *parent == screen.graph.parent => {}
                    Some(parent) => parent.clone_from(&screen.graph.parent),
                    None => {
                        known.insert(id.clone(), screen.graph.parent.clone());
                    }
                }
            }
        }
    }

    /// How long the generation on air has been on air (since the start for
    /// one restored from disk).
    pub fn age(&self) -> std::time::Duration {
        self.since.locked().as_ref().map_or(std::time::Duration::ZERO, |(_, at)| at.elapsed())
    }

    /// The nearest screen on air among `id`'s ancestors (as they were when
    /// they were last on air), or `None` when none is known.
    pub(crate) fn living_ancestor(&self, profile: &str, id: &str) -> Option<String> {
        let current = self.current()?;
        let screens = &current.profiles.get(profile)?.screens;
        let ancestry = self.ancestry.locked();
        let mut at = id.to_string();
        for _ in 0..16 {
            let parent = ancestry.get(profile)?.get(at.as_str())?.clone()?;
            if screens.contains_key(&parent) {
                return Some(parent);
            }
            at = parent;
        }
        None
    }
}
