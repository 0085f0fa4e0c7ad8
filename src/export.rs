//! A static export of a generation that any HTTP server can serve: the URL
//! space mirrored as files (`tv/…`, `a/…`, `api/v1/{profile}/graph.json`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::publish::Generation;

/// Writes `generation` under `out`, creating folders as needed. Files are
/// written beside their final name and renamed, so a server reading `out`
/// never sees half a file.
///
/// Written from several threads: creating a file is a system call that
/// waits on the file system (measured 0.4 ms a file on this machine's ext4,
/// 1,251 files for the shipped channel), and the waits overlap.
pub fn write(generation: &Generation, out: &Path) -> Result<usize> {
    // Blobs are read as they are written, never all at once: a county's
    // pictures are gigabytes.
    let mut files: Vec<(PathBuf, Src)> = Vec::new();
    for name in generation.assets.keys() {
        files.push((out.join("a").join(&**name), Src::Blob(name)));
    }
    for (name, profile) in &generation.profiles {
        files.push((out.join("api/v1").join(name).join("graph.json"), Src::Bytes(&profile.graph_json)));
        for (id, screen) in &profile.screens {
            // The shell reads `?f=` itself, so one file per screen serves every state.
            files.push((out.join("tv").join(name).join(format!("{id}.html")), Src::Blob(&screen.shells[0])));
            files.push((
                out.join("api/v1").join(name).join("screens").join(format!("{id}.json")),
                Src::Blob(&screen.text),
            ));
        }
    }
    // What shells poll for new content; a static file has no clock to offer,
    // so boxes behind an edge node show the time of their own clock.
    let polled = serde_json::json!({
        "generation": generation.id,
        "alert": generation.alert,
        "utc_offset": generation.utc_offset_minutes,
    })
    .to_string();
    files.push((out.join("api/v1/generation.json"), Src::Bytes(polled.as_bytes())));
    let start = format!(
        "<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" content=\"0; url=tv/{}/home.html\"></head><body></body></html>\n",
        generation.default_profile
    );
    files.push((out.join("index.html"), Src::Bytes(start.as_bytes())));

    let dirs: std::collections::BTreeSet<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    for dir in dirs {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) * 2;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((path, src)) = files.get(n) else { return Ok(()) };
                    match src {
                        Src::Bytes(bytes) => put(path, bytes)?,
                        Src::Blob(name) => match generation.blobs.read(name) {
                            Some(bytes) => put(path, &bytes)?,
                            None => anyhow::bail!("{name} is missing from the generation's blobs"),
                        },
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|_| anyhow::bail!("an export thread panicked")))
    })?;
    Ok(files.len())
}

/// Where a file's bytes come from.
enum Src<'a> {
    Bytes(&'a [u8]),
    Blob(&'a str),
}

fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
