//! Screens laid out by earlier renders, reused while nothing they were made
//! from changed: an edit lays out the documents it touched, not the channel.
//!
//! A document's screens are kept under a key that hashes all they are made
//! of — the document as parsed ([`crate::content::Doc::digest`]), its place
//! (path, where back leads, accent, page number) and the frame every screen
//! shares (profile, site settings, columns, the date in the header). Such a
//! screen also carries its drawing key (`Screen::drawn`) and its own key
//! (`Screen::made`), so later stages know it without reading it again.
//!
//! Between renders only thin screens are kept (no drawing: pictures and
//! shells are found by key), so the memo costs an index, not the channel's
//! text twice.
//!
//! Invariant: a key names one layout. Anything a kept screen shows or does
//! must be in its key; documents whose screens depend on more (polls, which
//! show counts and open and close by the clock) are never kept.

use std::collections::BTreeSet;

use hashbrown::HashMap;
use std::sync::{Arc, Mutex};

use super::Screen;
use crate::sync::Locked;

/// What one render laid out or reused, and what the render before it left.
pub struct Memo {
    maps: Mutex<Maps>,
    /// Where thin screens are made (see [`Memo::turn`]).
    keeper: Keeper,
}

impl Default for Memo {
    fn default() -> Memo {
        Memo { maps: Mutex::default(), keeper: Keeper::start() }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A thread of its own that makes the memo's thin screens, so glibc puts
/// them in that thread's heap (arena), together: made on a render's thread
/// they were strewn among its garbage, and each pinned a page the allocator
/// could not give back (measured on the county channel: 530 MB serving,
/// against 342 without the memo).
struct Keeper {
    jobs: Mutex<Option<std::sync::mpsc::Sender<Job>>>,
}

impl Keeper {
    fn start() -> Keeper {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let started = std::thread::Builder::new().name("layout-memo".into()).spawn(move || {
            for job in rx {
                job();
            }
        });
        Keeper { jobs: Mutex::new(started.is_ok().then_some(tx)) }
    }

    /// Runs `job` on the keeper's thread (here, when that thread is gone)
    /// and waits for it; `None` if it panicked.
    fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(job());
        });
        let refused = match self.jobs.locked().as_ref() {
            Some(jobs) => jobs.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = refused {
            job();
        }
        rx.recv().ok()
    }
}

#[derive(Default)]
struct Maps {
    /// From the renders before this one.
    last: HashMap<[u8; 32], Arc<Vec<Arc<Screen>>>>,
    /// Used by the render under way.
    next: HashMap<[u8; 32], Arc<Vec<Arc<Screen>>>>,
    /// Characters no face has, by document digest and font chain.
    missing_last: HashMap<[u8; 32], Arc<BTreeSet<char>>>,
    missing_next: HashMap<[u8; 32], Arc<BTreeSet<char>>>,
    /// Laid out by the render under way, whole until it ends; with the
    /// size floors of their profile.
    fresh: Vec<([u8; 32], (f32, f32))>,
}

impl Memo {
    /// The screens kept under `key`, else those `make` lays out: whole for
    /// this render, kept thin from its end (text below `floors` stays).
    pub fn screens(
        &self,
        key: [u8; 32],
        floors: (f32, f32),
        make: impl FnOnce() -> Vec<Arc<Screen>>,
    ) -> Vec<Arc<Screen>> {
        {
            let mut maps = self.maps.locked();
            if let Some(found) = maps.next.get(&key).or_else(|| maps.last.get(&key)).cloned() {
                maps.next.insert(key, found.clone());
                return found.to_vec();
            }
        }
        let made = make();
        let mut maps = self.maps.locked();
        maps.next.insert(key, Arc::new(made.clone()));
        maps.fresh.push((key, floors));
        made
    }

    /// Forgets the layouts kept: the next render lays out every document
    /// (after a render that needed a thin screen whole).
    pub(crate) fn forget(&self) {
        let mut maps = self.maps.locked();
        maps.last.clear();
        maps.next.clear();
    }

    /// The characters of a document that no face has, by `key`, else as
    /// `find` finds them, kept.
    pub fn missing(&self, key: [u8; 32], find: impl FnOnce() -> BTreeSet<char>) -> Arc<BTreeSet<char>> {
        {
            let mut maps = self.maps.locked();
            if let Some(found) = maps.missing_next.get(&key).or_else(|| maps.missing_last.get(&key)).cloned() {
                maps.missing_next.insert(key, found.clone());
                return found;
            }
        }
        let found = Arc::new(find());
        self.maps.locked().missing_next.insert(key, found.clone());
        found
    }

    /// Ends a render: what it used is what the next one may reuse. A render
    /// that does not go on air forgets nothing (the channel on air is still
    /// the one to reuse), so the memo holds at most two renders' worth.
    ///
    /// The screens it laid out are made thin here, once the render has let
    /// go of them: the copies are made together, not strewn among the
    /// render's garbage, which the allocator could then not give back.
    pub fn turn(&self, on_air: bool) {
        let mut maps = self.maps.locked();
        let Maps { last, next, missing_last, missing_next, fresh } = &mut *maps;
        let whole: Vec<_> =
            fresh.drain(..).filter_map(|(key, floors)| Some((key, floors, next.get(&key)?.clone()))).collect();
        let thin = self.keeper.run(move || {
            let thin = |s: &Arc<Screen>, floors| Arc::new(s.thinned(floors));
            whole
                .into_iter()
                .map(|(key, floors, all)| (key, Arc::new(all.iter().map(|s| thin(s, floors)).collect())))
                .collect::<Vec<_>>()
        });
        // Should thinning fail, the screens stay whole: more memory, same screens.
        next.extend(thin.into_iter().flatten());
        if on_air {
            *last = std::mem::take(next);
            *missing_last = std::mem::take(missing_next);
        } else {
            last.extend(next.drain());
            missing_last.extend(missing_next.drain());
        }
    }

    /// Forgets everything, so the next render lays out every screen.
    pub fn clear(&self) {
        *self.maps.locked() = Maps::default();
    }
}
