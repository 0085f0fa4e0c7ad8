//! Screens made when a box asks for them — 查询's results, `search-{digits}`
//! and their pages `search-{digits}-{n}` — laid out and drawn by the
//! renderer like any screen, and kept in bounded memory per generation,
//! profile and input: screens, their pictures and the API's answers are
//! three caches of one [`Budget`].
//!
//! A box worker answers from these caches only. What is not there yet is
//! made by a thread of its own ([`OnDemand::warm`], awaited by the box
//! port's own HTTP path) so a burst of new queries never holds up the box
//! screens served beside them; a cache entry let go between the making and
//! the answer is made again in place.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{FixedOffset, Utc};

use crate::cache::{Budget, Cache};
use crate::layout::finder::SEARCH;
use crate::pipeline::{OneScreen, Renderer};
use crate::publish::Generation;
use crate::search::{self, Found};
use crate::sync::Locked;

/// What the caches of screens made at request time hold together by
/// default: a few thousand result screens.
pub const BUDGET: usize = 64 << 20;

/// A screen made for one input: what a box fetches for it, and where its
/// keys lead (for boxes without script, `/nav/`).
#[derive(Debug)]
pub struct Made {
    pub one: OneScreen,
    /// Each state's keys: name → `screen#focus`.
    pub keys: Vec<BTreeMap<&'static str, String>>,
}

/// Why no screen was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not digits, or too many: a 400 with this message.
    Input(&'static str),
    /// Search cannot answer now (a generation read back from disk before
    /// the first render, or a profile without an index): its `search-down`.
    Away,
    /// A profile the channel does not have.
    NoProfile,
}

/// A picture of a screen made at request time: content type and bytes.
pub type Picture = (&'static str, Bytes);

/// (generation, profile, screen id or query)
type Key = (Arc<str>, Box<str>, Box<str>);

pub struct OnDemand {
    renderer: Arc<Renderer>,
    budget: Arc<Budget>,
    screens: Cache<Key, Arc<Made>>,
    pictures: Cache<Box<str>, Picture>,
    found: Cache<Key, Arc<Found>>,
    /// The generation the caches were last asked for: a new one lets go of
    /// everything made for the old.
    on_air: Mutex<Arc<str>>,
    /// Where screens not yet made are made.
    maker: Mutex<Option<std::sync::mpsc::Sender<Job>>>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The query and page (0-based) of a results screen's id: `search-3247-2`
/// → ("3247", 1). `None` for an id that is not one.
pub fn results_id(id: &str) -> Option<Result<(&str, usize), &'static str>> {
    let rest = id.strip_prefix(SEARCH)?.strip_prefix('-')?;
    let (q, page) = match rest.split_once('-') {
        Some((q, page)) => match page.parse::<usize>() {
            Ok(n) if (2..=search::SHOWN).contains(&n) && !page.starts_with('0') => (q, n - 1),
            _ => return Some(Err("页码无效")),
        },
        None => (rest, 0),
    };
    Some(match search::refuse(q) {
        Some(message) => Err(message),
        None => Ok((q, page)),
    })
}

impl OnDemand {
    /// Screens made with `renderer`, held under `budget` bytes.
    pub fn new(renderer: Arc<Renderer>, budget: usize) -> Arc<OnDemand> {
        let budget = Budget::new(budget);
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let started = std::thread::Builder::new().name("on-demand".into()).spawn(move || {
            for job in rx {
                job();
            }
        });
        Arc::new(OnDemand {
            renderer,
            screens: Cache::new(&budget),
            pictures: Cache::new(&budget),
            found: Cache::new(&budget),
            budget,
            on_air: Mutex::new(Arc::from("")),
            maker: Mutex::new(started.is_ok().then_some(tx)),
        })
    }

    /// Bytes held, and the budget.
    pub fn held(&self) -> (usize, usize) {
        (self.budget.used(), self.budget.limit())
    }

    /// The generation's id as the caches' key; a new generation on air
    /// empties them of the old one's.
    fn generation(&self, g: &Generation) -> Arc<str> {
        let mut on_air = self.on_air.locked();
        if *on_air.as_ref() != *g.id {
            *on_air = Arc::from(g.id.as_str());
            let current = on_air.clone();
            self.screens.retain(|k| k.0 == current);
            self.found.retain(|k| k.0 == current);
        }
        on_air.clone()
    }

    /// What `q` finds on `profile`, best first.
    pub fn find(&self, g: &Generation, profile: &str, q: &str) -> Result<Arc<Found>, Refused> {
        if let Some(message) = search::refuse(q) {
            return Err(Refused::Input(message));
        }
        let out = g.profiles.get(profile).ok_or(Refused::NoProfile)?;
        let key: Key = (self.generation(g), profile.into(), q.into());
        if let Some(found) = self.found.get(&key) {
            return Ok(found);
        }
        let index = out.search.as_ref().ok_or(Refused::Away)?;
        let found = Arc::new(index.find(q, search::SHOWN));
        let weight = 256 + found.results.iter().map(|h| 96 + h.title.len() + h.path.len()).sum::<usize>();
        self.found.insert(key, found.clone(), weight);
        Ok(found)
    }

    /// The screen `id` of `profile` (a results page), made if it must be.
    pub fn screen(&self, g: &Generation, profile: &str, id: &str) -> Result<Arc<Made>, Refused> {
        let (q, page) = match results_id(id) {
            Some(Ok(asked)) => asked,
            Some(Err(message)) => return Err(Refused::Input(message)),
            None => return Err(Refused::Input("没有这个查询页面")),
        };
        let key: Key = (self.generation(g), profile.into(), id.into());
        if let Some(made) = self.screens.get(&key) {
            // Its pictures are fetched next: kept with it.
            for (name, kind, bytes) in &made.one.pictures {
                if self.pictures.get(&name.as_str().into()).is_none() {
                    self.pictures.insert(name.as_str().into(), (*kind, bytes.clone()), bytes.len());
                }
            }
            return Ok(made);
        }
        let found = self.find(g, profile, q)?;
        let offset = FixedOffset::east_opt(g.utc_offset_minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
        let now = Utc::now().with_timezone(&offset);
        let screens = self.renderer.request_menu(profile, now, search::results(&found)).ok_or(Refused::Away)?;
        // A page past the last shows the last.
        let screen = screens.get(page).or(screens.last()).ok_or(Refused::Away)?;
        let one = self.renderer.screen(screen, g, profile).ok_or(Refused::Away)?;
        let keys =
            screen.states.iter().map(|s| s.keys.iter().map(|(k, t)| (k.name(), t.to_string())).collect()).collect();
        let weight = 512
            + one.pictures.iter().map(|(n, _, b)| n.len() + b.len()).sum::<usize>()
            + one.shells.iter().map(|(s, e)| s.len() + e.len()).sum::<usize>()
            + one.text.len();
        for (name, kind, bytes) in &one.pictures {
            self.pictures.insert(name.as_str().into(), (*kind, bytes.clone()), bytes.len());
        }
        let made = Arc::new(Made { one, keys });
        self.screens.insert(key, made.clone(), weight);
        Ok(made)
    }

    /// Whether the screen `id` of `profile` is made already (or is not one
    /// of these): what a box worker may answer without waiting.
    pub fn ready(&self, g: &Generation, profile: &str, id: &str) -> bool {
        if !matches!(results_id(id), Some(Ok(_))) {
            return true;
        }
        let key: Key = (self.generation(g), profile.into(), id.into());
        self.screens.get(&key).is_some()
    }

    /// Makes the screen `id` of `profile` on the maker's thread, unless it
    /// is made already; resolves when it is (or could not be).
    pub async fn warm(self: &Arc<Self>, g: Arc<Generation>, profile: &str, id: &str) {
        if self.ready(&g, profile, id) {
            return;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (me, profile, id) = (self.clone(), profile.to_string(), id.to_string());
        let job: Job = Box::new(move || {
            let _ = me.screen(&g, &profile, &id);
            let _ = tx.send(());
        });
        let refused = match self.maker.locked().as_ref() {
            Some(maker) => maker.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        match refused {
            // No maker thread: the caller makes it in place.
            Some(_) => {}
            None => {
                let _ = rx.await;
            }
        }
    }

    /// Ends the maker's thread once the screen it is making is made;
    /// later screens are made in place.
    pub fn stop(&self) {
        self.maker.locked().take();
    }

    /// A picture of a screen made at request time, by its name.
    pub fn picture(&self, name: &str) -> Option<Picture> {
        self.pictures.get(&name.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_results_id_is_digits_and_perhaps_a_page() {
        assert_eq!(results_id("search-3247"), Some(Ok(("3247", 0))));
        assert_eq!(results_id("search-3247-2"), Some(Ok(("3247", 1))));
        assert_eq!(results_id("search"), None);
        assert_eq!(results_id("home"), None);
        assert!(matches!(results_id("search-down"), Some(Err(_))));
        assert!(matches!(results_id("search-32a"), Some(Err(_))));
        assert!(matches!(results_id("search-3247-0"), Some(Err(_))));
        assert!(matches!(results_id("search-3247-02"), Some(Err(_))));
        assert!(matches!(results_id("search-3247-1"), Some(Err(_))));
        assert!(matches!(results_id("search-1234567890123"), Some(Err(_))));
        assert!(matches!(results_id("search-"), Some(Err(_))));
    }
}
