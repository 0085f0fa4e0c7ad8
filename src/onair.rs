//! The generation on air, swapped whole, and the ancestry of every screen
//! ever on air (so a box asking for a screen that is gone is sent to its
//! nearest living ancestor).
//!
//! Invariant: a box never sees half a render: the generation is replaced by
//! one `Arc` swap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

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
    ancestry: Mutex<HashMap<(String, String), Option<String>>>,
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
            let mut ancestry = self.ancestry.locked();
            for (name, profile) in &generation.profiles {
                for (id, screen) in &profile.screens {
                    ancestry.insert((name.clone(), id.clone()), screen.graph.parent.clone());
                }
            }
        }
        {
            let mut since = self.since.locked();
            if since.as_ref().is_none_or(|(id, _)| *id != generation.id) {
                *since = Some((generation.id.clone(), std::time::Instant::now()));
            }
        }
        *self.current.writing() = Some(generation);
    }

    /// How long the generation on air has been on air (since the start for
    /// one restored from disk).
    pub fn age(&self) -> std::time::Duration {
        self.since.locked().as_ref().map_or(std::time::Duration::ZERO, |(_, at)| at.elapsed())
    }

    /// The nearest screen on air among `id`'s ancestors (as they were when
    /// they were last on air), or `None` when none is known.
    pub fn living_ancestor(&self, profile: &str, id: &str) -> Option<String> {
        let current = self.current()?;
        let screens = &current.profiles.get(profile)?.screens;
        let ancestry = self.ancestry.locked();
        let mut at = id.to_string();
        for _ in 0..16 {
            let parent = ancestry.get(&(profile.to_string(), at.clone()))?.clone()?;
            if screens.contains_key(&parent) {
                return Some(parent);
            }
            at = parent;
        }
        None
    }
}
