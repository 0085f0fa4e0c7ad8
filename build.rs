//! Names the build for `infotv --version`: the commit and its date when
//! built from a git checkout, or `INFOTV_BUILD` when the builder sets it
//! (a package built from a source tarball). The commit's date, not the
//! clock's, so the same source builds the same binary.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=INFOTV_BUILD");
    // A new commit moves the branch HEAD points at (or HEAD itself).
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        let dir = Path::new(&dir);
        println!("cargo:rerun-if-changed={}", dir.join("HEAD").display());
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", dir.join(reference).display());
        }
        println!("cargo:rerun-if-changed={}", dir.join("packed-refs").display());
    }
    let build = std::env::var("INFOTV_BUILD").ok().filter(|b| !b.is_empty()).unwrap_or_else(|| {
        match (git(&["rev-parse", "--short=10", "HEAD"]), git(&["log", "-1", "--format=%cs"])) {
            (Some(commit), Some(date)) => format!("{commit} {date}"),
            _ => "unknown build".to_string(),
        }
    });
    println!("cargo:rustc-env=INFOTV_BUILD={build}");
}
