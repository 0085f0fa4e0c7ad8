//! How infotv asks glibc to hold its memory: large blocks mapped on their
//! own, and what a render freed given back. One of three places with unsafe
//! code, each a system call std has no safe form of: this,
//! `serve::sendfile`, and the mapping of blob packs in `publish::blobs`.
//!
//! And the rule the render keeps for what outlives it: **made in one go,
//! not among garbage.** A small block that lives on (a screen's record, its
//! keys, a name) keeps its whole page resident however much around it was
//! freed. Made one by one between the temporaries of making them (a
//! screen's JSON, its shells' HTML), a county's 42,000 screens each pin a
//! page of garbage; `malloc_trim` can give back none of it. So the render
//! makes such things in a pass of their own: the layout memo's thin screens
//! on its keeper thread (`layout::memo`), each profile's graph screens
//! before their JSON (`publish::profile_graph`), and each screen's record
//! copied out once its shells are written (`publish::profile_screens`).
//! Picture names are held inline (`raster::Name`), never on the heap.
//! Measured on the county channel, resident once idle after a restart into
//! a new build (a full redraw while the restored generation is on air),
//! medians of four runs: making the graph screens before their JSON took it
//! from 291 to 252 MB with the same 215 MB in use; all of the above, with
//! the frame keys held once (`publish::graph::KeyMap`), from 318 to 258 MB.

/// Keeps large blocks (canvases, encoded pictures being built, the saved
/// generation's file) out of glibc's heaps: each is mapped on its own and
/// returned the moment it is freed. glibc otherwise raises this threshold
/// after the first such free, and a render's canvases then fragment the
/// heaps the long-lived assets sit in (measured: 164 MB resident after a
/// cold render with the default, 125 MB with this).
///
/// And holds the heaps to two: glibc gives each thread that meets a busy
/// heap a new one, up to eight a core, and a render's workers then leave
/// what lives on (screen records, names, the glyph cache) scattered among
/// the garbage of several heaps, pinning their pages. Measured on the
/// county channel (bench/county.py 1.0, 42,595 screens, release), resident
/// after the first render and save, one build in one run: 292.9 MB with
/// glibc's default, 281.6 MB with two heaps (same render time, 81.7 s
/// against 82.0 s; 272–278 MB in other runs), 264.7 MB with one, which
/// made the render 7 % slower. Call once at start.
#[allow(unsafe_code)] // A libc function with no preconditions; see below.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it touches no allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        // Before any thread starts, so no third heap is ever made.
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the memory a render freed to the system. glibc keeps freed memory
/// in per-thread arenas; after a render on every core that is tens of MB the
/// server would otherwise hold while serving.
#[allow(unsafe_code)] // A libc function with no preconditions; see below.
pub(crate) fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
