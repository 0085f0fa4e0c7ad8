//! One bounded cache for what is made on request: entries weighed in bytes,
//! caches sharing one budget, and the entry least recently used anywhere
//! under that budget let go first.
//!
//! Screens made at request time (search results, lookups) and their
//! pictures live in two caches of one [`Budget`]: a burst of new queries
//! lets go of the oldest screens and pictures alike, and the two together
//! never hold more than the budget. The render's own memos are not caches
//! of this kind: each keeps exactly what the last render used.
//!
//! Invariant: after any insert, the budget's members together weigh at
//! most its limit (an entry heavier than the whole limit is not kept).

use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use hashbrown::HashMap;

use crate::sync::Locked;

/// What caches of one budget may hold together, in bytes.
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
    /// One clock for every member, so "least recently used" compares
    /// entries of different caches.
    clock: AtomicU64,
    members: Mutex<Vec<Weak<dyn Member>>>,
}

/// A cache as its budget sees it.
trait Member: Send + Sync {
    /// When its least recently used entry was last used.
    fn oldest(&self) -> Option<u64>;
    /// Lets go of its least recently used entry if it is still the one
    /// used at `tick`; the bytes freed.
    fn evict(&self, tick: u64) -> usize;
}

impl Budget {
    pub fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget { limit, used: AtomicUsize::new(0), clock: AtomicU64::new(0), members: Mutex::default() })
    }

    /// Bytes held by every member together.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Lets go of the least recently used entries, whichever cache holds
    /// them, until the members fit. No member's lock is held here.
    fn settle(&self) {
        while self.used() > self.limit {
            let members: Vec<Arc<dyn Member>> = {
                let mut all = self.members.locked();
                all.retain(|m| m.strong_count() > 0);
                all.iter().filter_map(Weak::upgrade).collect()
            };
            let oldest = members.iter().filter_map(|m| Some((m.oldest()?, m))).min_by_key(|(t, _)| *t);
            let Some((tick, member)) = oldest else { break };
            let freed = member.evict(tick);
            self.used.fetch_sub(freed, Ordering::Relaxed);
        }
    }
}

/// A bounded map from `K` to `V` under a shared [`Budget`].
pub struct Cache<K, V> {
    shelf: Arc<Shelf<K, V>>,
}

struct Shelf<K, V> {
    budget: Weak<Budget>,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// Keys by when they were last used.
    order: BTreeMap<u64, K>,
}

struct Entry<V> {
    value: V,
    weight: usize,
    used: u64,
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// An empty cache holding its entries under `budget`.
    pub fn new(budget: &Arc<Budget>) -> Cache<K, V> {
        let shelf = Arc::new(Shelf {
            budget: Arc::downgrade(budget),
            inner: Mutex::new(Inner { entries: HashMap::new(), order: BTreeMap::new() }),
        });
        let member: Arc<dyn Member> = shelf.clone();
        budget.members.locked().push(Arc::downgrade(&member));
        Cache { shelf }
    }

    /// The value kept under `key`, now the most recently used.
    pub fn get(&self, key: &K) -> Option<V> {
        let budget = self.shelf.budget.upgrade()?;
        let mut inner = self.shelf.inner.locked();
        let Inner { entries, order } = &mut *inner;
        let entry = entries.get_mut(key)?;
        order.remove(&entry.used);
        entry.used = budget.tick();
        order.insert(entry.used, key.clone());
        Some(entry.value.clone())
    }

    /// Keeps `value` under `key`, weighing `weight` bytes, letting go of
    /// the least recently used entries of the budget as it must. A value
    /// heavier than the whole budget is not kept.
    pub fn insert(&self, key: K, value: V, weight: usize) {
        let Some(budget) = self.shelf.budget.upgrade() else { return };
        if weight > budget.limit {
            return;
        }
        {
            let mut inner = self.shelf.inner.locked();
            let used = budget.tick();
            let Inner { entries, order } = &mut *inner;
            if let Some(old) = entries.insert(key.clone(), Entry { value, weight, used }) {
                order.remove(&old.used);
                budget.used.fetch_sub(old.weight, Ordering::Relaxed);
            }
            order.insert(used, key);
            budget.used.fetch_add(weight, Ordering::Relaxed);
        }
        budget.settle();
    }

    /// Lets go of every entry whose key `keep` refuses (those of a
    /// generation no longer on air).
    pub fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        let mut freed = 0;
        {
            let mut inner = self.shelf.inner.locked();
            let Inner { entries, order } = &mut *inner;
            entries.retain(|k, e| {
                let kept = keep(k);
                if !kept {
                    order.remove(&e.used);
                    freed += e.weight;
                }
                kept
            });
        }
        if let Some(budget) = self.shelf.budget.upgrade() {
            budget.used.fetch_sub(freed, Ordering::Relaxed);
        }
    }

    pub fn len(&self) -> usize {
        self.shelf.inner.locked().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K, V> Member for Shelf<K, V>
where
    K: Hash + Eq + Send + Sync,
    V: Send + Sync,
{
    fn oldest(&self) -> Option<u64> {
        self.inner.locked().order.keys().next().copied()
    }

    fn evict(&self, tick: u64) -> usize {
        let mut inner = self.inner.locked();
        // Used again since the budget looked: nothing is let go, and the
        // budget looks again.
        let Some(key) = inner.order.remove(&tick) else { return 0 };
        inner.entries.remove(&key).map_or(0, |e| e.weight)
    }
}

impl<K, V> Drop for Cache<K, V> {
    fn drop(&mut self) {
        let weight: usize = self.shelf.inner.locked().entries.values().map(|e| e.weight).sum();
        if let Some(budget) = self.shelf.budget.upgrade() {
            budget.used.fetch_sub(weight, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_of_any_member_goes_first() {
        let budget = Budget::new(100);
        let screens: Cache<&str, u32> = Cache::new(&budget);
        let pictures: Cache<&str, u32> = Cache::new(&budget);
        screens.insert("s1", 1, 40);
        pictures.insert("p1", 1, 40);
        // Used again: now the newest.
        assert_eq!(screens.get(&"s1"), Some(1));
        pictures.insert("p2", 2, 40);
        // p1 was the least recently used of the two caches together.
        assert_eq!(pictures.get(&"p1"), None);
        assert_eq!((screens.get(&"s1"), pictures.get(&"p2")), (Some(1), Some(2)));
        assert_eq!(budget.used(), 80);
        screens.insert("s2", 2, 60);
        assert!(budget.used() <= 100, "{}", budget.used());
        assert_eq!(screens.get(&"s2"), Some(2));
    }

    #[test]
    fn an_entry_heavier_than_the_budget_is_not_kept_and_a_replaced_one_is_not_counted_twice() {
        let budget = Budget::new(10);
        let cache: Cache<u8, u8> = Cache::new(&budget);
        cache.insert(1, 1, 11);
        assert!(cache.is_empty());
        cache.insert(1, 1, 6);
        cache.insert(1, 2, 6);
        assert_eq!((cache.get(&1), budget.used(), cache.len()), (Some(2), 6, 1));
    }

    #[test]
    fn retain_and_drop_give_their_bytes_back() {
        let budget = Budget::new(1000);
        let a: Cache<(u8, u8), ()> = Cache::new(&budget);
        for g in 0..3 {
            for k in 0..10 {
                a.insert((g, k), (), 10);
            }
        }
        assert_eq!(budget.used(), 300);
        a.retain(|(g, _)| *g == 2);
        assert_eq!((a.len(), budget.used()), (10, 100));
        drop(a);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn many_threads_keep_the_budget() {
        let budget = Budget::new(5_000);
        let a: Arc<Cache<u32, Vec<u8>>> = Arc::new(Cache::new(&budget));
        let b: Arc<Cache<u32, Vec<u8>>> = Arc::new(Cache::new(&budget));
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let (a, b) = (a.clone(), b.clone());
                s.spawn(move || {
                    for i in 0..2_000u32 {
                        let key = t * 10_000 + i;
                        if i % 2 == 0 {
                            a.insert(key, vec![0; 10], 100);
                        } else {
                            b.insert(key, vec![0; 10], 70);
                        }
                        let _ = a.get(&(key.saturating_sub(3)));
                    }
                });
            }
        });
        let weight = a.len() * 100 + b.len() * 70;
        assert_eq!(weight, budget.used());
        assert!(budget.used() <= 5_000, "{}", budget.used());
        assert!(!a.is_empty() && !b.is_empty());
    }
}
