//! A static export of a generation that any HTTP server can serve: the URL
//! space mirrored as files (`tv/…`, `a/…`, `api/v1/{profile}/graph.json`).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::publish::Generation;

/// Writes `generation` under `out`, creating folders as needed. Files are
/// written beside their final name and renamed, so a server reading `out`
/// never sees half a file.
pub fn write(generation: &Generation, out: &Path) -> Result<usize> {
    let mut files = 0;
    for (name, asset) in &generation.assets {
        put(&out.join("a").join(name), &asset.bytes)?;
        files += 1;
    }
    for (name, profile) in &generation.profiles {
        put(&out.join("api/v1").join(name).join("graph.json"), &profile.graph_json)?;
        for (id, screen) in &profile.screens {
            // The shell reads `?f=` itself, so one file per screen serves every state.
            put(&out.join("tv").join(name).join(format!("{id}.html")), &screen.shells[0])?;
            put(&out.join("api/v1").join(name).join("screens").join(format!("{id}.json")), &screen.text_json)?;
            files += 2;
        }
        files += 1;
    }
    // What shells poll for new content; a static file has no clock to offer,
    // so boxes behind an edge node show the time of their own clock.
    let polled = serde_json::json!({
        "generation": generation.id,
        "alert": generation.alert,
        "utc_offset": generation.utc_offset_minutes,
    });
    put(&out.join("api/v1/generation.json"), polled.to_string().as_bytes())?;
    files += 1;
    let start = format!(
        "<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" content=\"0; url=tv/{}/home.html\"></head><body></body></html>\n",
        generation.default_profile
    );
    put(&out.join("index.html"), start.as_bytes())?;
    Ok(files + 1)
}

fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("part");
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
