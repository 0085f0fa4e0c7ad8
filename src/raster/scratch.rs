//! Big scratch buffers reused within a render's worker threads.
//!
//! Every text screen needs a canvas (1.2 MB on SD, 2.8 MB on HD), a copy for
//! the interlace filter, palette indices, raw rows and deflate output — each
//! past glibc's mmap threshold (kept low on purpose, see
//! `pipeline::tune_allocator`), so each was mapped, faulted in page by page
//! and unmapped again: 16 % of a cold render's time went to page faults and
//! munmap. Inside [`pooled`] the buffers go back to a per-thread pool instead
//! and the next screen takes them up again; outside it (the serving process's
//! long-lived threads) they are plain allocations, so nothing is held after
//! a render.

use std::cell::RefCell;

/// Buffers a thread keeps at most.
const KEEP: usize = 8;
/// Below this a buffer is neither pooled nor taken from the pool: glibc
/// serves it from its heap without mapping.
const SMALL: usize = 64 * 1024;
/// How many times bigger than asked a pooled buffer may be.
const SPARE: usize = 4;

thread_local! {
    static POOL: RefCell<Option<Vec<Vec<u8>>>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's pool on; the pool is dropped at the end.
pub fn pooled<T>(f: impl FnOnce() -> T) -> T {
    POOL.with(|p| *p.borrow_mut() = Some(Vec::new()));
    let out = f();
    POOL.with(|p| *p.borrow_mut() = None);
    out
}

/// An empty buffer with room for `len` bytes: a pooled one when there is one
/// big enough and not more than `SPARE` (4) times too big, so that a focus
/// sprite's crop does not take a whole canvas's buffer while the screen's
/// next big need then has to map a fresh one.
pub fn take(len: usize) -> Vec<u8> {
    let found = (len >= SMALL).then(|| {
        POOL.with(|p| {
            let mut p = p.borrow_mut();
            let pool = p.as_mut()?;
            let fits = |i: &usize| (len..=len.saturating_mul(SPARE)).contains(&pool[*i].capacity());
            // The smallest that fits, so a big buffer is not spent on a small need.
            let i = (0..pool.len()).filter(fits).min_by_key(|&i| pool[i].capacity())?;
            Some(pool.swap_remove(i))
        })
    });
    match found.flatten() {
        Some(mut v) => {
            v.clear();
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// `len` zero bytes.
pub(crate) fn zeroed(len: usize) -> Vec<u8> {
    let mut v = take(len);
    v.resize(len, 0);
    v
}

/// Gives a buffer back to the pool (or frees it when pooling is off). A full
/// pool keeps its biggest buffers: those are the ones that cost most to map
/// and fault in again.
pub fn give(v: Vec<u8>) {
    if v.capacity() < SMALL {
        return;
    }
    POOL.with(|p| {
        if let Some(pool) = p.borrow_mut().as_mut() {
            if pool.len() < KEEP {
                pool.push(v);
            } else if let Some(smallest) = (0..pool.len()).min_by_key(|&i| pool[i].capacity()) {
                if pool[smallest].capacity() < v.capacity() {
                    pool[smallest] = v;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_only_inside_pooled() {
        // Outside `pooled` a buffer given back is simply freed.
        give(take(1 << 20));
        POOL.with(|p| assert!(p.borrow().is_none()));
        pooled(|| {
            let v = zeroed(1 << 20);
            let at = v.as_ptr();
            give(v);
            let again = zeroed(1 << 19);
            assert_eq!(again.as_ptr(), at, "the pooled buffer is reused");
            assert!(again.iter().all(|&b| b == 0) && again.len() == 1 << 19);
            give(again);
        });
        POOL.with(|p| assert!(p.borrow().is_none(), "nothing is kept after"));
    }

    #[test]
    fn a_small_need_leaves_the_big_buffers_for_big_ones() {
        pooled(|| {
            let canvas = zeroed(4 << 20);
            let at = canvas.as_ptr();
            give(canvas);
            // A sprite's crop, far smaller: not served from the canvas's buffer.
            let crop = zeroed(200 << 10);
            assert_ne!(crop.as_ptr(), at);
            let next = zeroed(3 << 20);
            assert_eq!(next.as_ptr(), at, "the next screen's canvas reuses it");
            give(crop);
            give(next);
        });
    }

    #[test]
    fn a_full_pool_keeps_its_biggest_buffers() {
        pooled(|| {
            for _ in 0..KEEP {
                give(Vec::with_capacity(SMALL));
            }
            let big = Vec::<u8>::with_capacity(8 << 20);
            let at = big.as_ptr();
            give(big);
            POOL.with(|p| {
                let p = p.borrow();
                let pool = p.as_ref().expect("pooling is on");
                assert_eq!(pool.len(), KEEP);
                assert!(pool.iter().any(|v| v.as_ptr() == at), "the big buffer displaced a small one");
            });
        });
    }
}
