//! How infotv asks glibc to hold its memory: large blocks mapped on their
//! own, and what a render freed given back. With `serve::sendfile`'s two
//! system calls, the only unsafe code in infotv.

/// Keeps large blocks (canvases, encoded pictures being built, the saved
/// generation's file) out of glibc's heaps: each is mapped on its own and
/// returned the moment it is freed. glibc otherwise raises this threshold
/// after the first such free, and a render's canvases then fragment the
/// heaps the long-lived assets sit in (measured: 164 MB resident after a
/// cold render with the default, 125 MB with this). Call once at start.
#[allow(unsafe_code)] // A libc function with no preconditions; see below.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it touches no allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Returns the memory a render freed to the system. glibc keeps freed memory
/// in per-thread arenas; after a render on every core that is tens of MB the
/// server would otherwise hold while serving.
#[allow(unsafe_code)] // A libc function with no preconditions; see below.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
