//! The shape of the code, checked like behaviour: a thin main, no import
//! circles between the top-level modules of src/ nor inside any folder, no
//! file over 800 lines, render stages that reach nothing of the server, and
//! no function longer than a screen without a comment saying why it must be.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file without its comments and without its unit tests
/// (which may reach anywhere).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Top-level module → the top-level modules its code names as `crate::…`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = src();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rust_files(&root) {
        let rel = path.strip_prefix(&root).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&path).unwrap());
        let mut named = named_after(&text, "crate::");
        named.retain(|m| !m.is_empty() && *m != top && m != "self");
        edges.entry(top).or_default().extend(named);
    }
    edges
}

/// The first path segment after each `prefix` in `text`, and each in a
/// group (`use crate::{a, b::c}` names `a` and `b`).
fn named_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            named.extend(group.split(',').map(|part| ident(part.trim())));
        } else {
            named.insert(ident(rest));
        }
    }
    named
}

fn ident(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// Strongly connected components of more than one module (Tarjan's).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w.as_str()]));
                } else if self.on.contains(w.as_str()) {
                    self.low.insert(v, self.low[v].min(self.index[w.as_str()]));
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: BTreeSet<&str> =
        edges.keys().map(String::as_str).chain(edges.values().flatten().map(String::as_str)).collect();
    for v in nodes {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.out
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let edges = imports();
    assert!(edges.len() > 20, "the modules were read: {edges:?}");
    assert!(edges["serve"].contains("onair") && edges["admin"].contains("store"), "edges are found: {edges:?}");
    let found = circles(&edges);
    assert!(found.is_empty(), "import circles: {found:?}");
    // The check finds a circle when there is one.
    let mut with_circle = edges.clone();
    with_circle.get_mut("onair").unwrap().insert("serve".into());
    let found = circles(&with_circle);
    assert!(found.len() == 1 && found[0].contains(&"onair".into()) && found[0].contains(&"serve".into()), "{found:?}");
}

#[test]
fn main_is_thin() {
    let main = std::fs::read_to_string(src().join("main.rs")).unwrap();
    let lines = main.lines().count();
    assert!(lines < 100, "main.rs has {lines} lines: the work belongs in the library (app, cli)");
}

/// A function longer than this needs a `// Long:` comment above it saying why.
const MAX_FUNCTION_LINES: usize = 100;

#[test]
fn no_function_is_longer_than_a_screen_without_a_reason() {
    let mut long = Vec::new();
    for path in rust_files(&src()) {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(indent) = function_start(line) else { continue };
            let close = format!("{indent}}}");
            let Some(end) = lines[i..].iter().position(|l| *l == close) else { continue };
            let reason = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with("//") || l.trim_start().starts_with("#["))
                .any(|l| l.contains("// Long:"));
            if end + 1 > MAX_FUNCTION_LINES && !reason {
                long.push(format!("{}:{} {} lines: {}", path.display(), i + 1, end + 1, line.trim()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines without a `// Long:` reason:\n{}",
        long.join("\n")
    );
}

/// The indentation of a line that opens a function with a body.
fn function_start(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let mut rest = trimmed;
    for prefix in ["pub(crate) ", "pub(super) ", "pub ", "async ", "const ", "unsafe "] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    (rest.starts_with("fn ") && !line.trim_end().ends_with(';')).then_some(indent)
}

#[test]
fn the_length_check_sees_a_long_function() {
    assert_eq!(function_start("    pub fn build(site: &Site) -> Vec<Screen> {"), Some("    "));
    assert_eq!(function_start("fn answer() {"), Some(""));
    assert_eq!(function_start("    fn declared(&self);"), None);
    assert_eq!(function_start("    let f = 3;"), None);
}

/// The folders of src/ that hold modules (`src/<folder>/mod.rs`).
fn folders() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(src()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("mod.rs").is_file()).collect();
    out.sort();
    out
}

/// Inside one folder: each file other than `mod.rs` → the sibling files its
/// code names, as `super::x` or `crate::<folder>::x`.
fn sibling_imports(folder: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let name = folder.file_name().unwrap().to_string_lossy().to_string();
    let siblings: BTreeSet<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("mod.rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for me in &siblings {
        let text = code(&std::fs::read_to_string(folder.join(format!("{me}.rs"))).unwrap());
        let mut named = named_after(&text, "super::");
        named.extend(named_after(&text, &format!("crate::{name}::")));
        named.retain(|m| siblings.contains(m) && m != me);
        edges.insert(me.clone(), named);
    }
    edges
}

#[test]
fn no_import_circle_inside_any_folder() {
    let mut found = Vec::new();
    let mut edges_seen = 0;
    for folder in folders() {
        let edges = sibling_imports(&folder);
        edges_seen += edges.values().map(BTreeSet::len).sum::<usize>();
        for circle in circles(&edges) {
            found.push(format!("{}: {}", folder.file_name().unwrap().to_string_lossy(), circle.join(" ↔ ")));
        }
    }
    assert!(edges_seen > 10, "sibling imports are found ({edges_seen})");
    assert!(found.is_empty(), "import circles inside folders:\n{}", found.join("\n"));
}

/// The most lines a file of src/ may have, unit tests included.
const MAX_FILE_LINES: usize = 800;

#[test]
fn every_file_is_a_room_of_one_job() {
    let mut problems = Vec::new();
    for path in rust_files(&src()) {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            problems.push(format!("{}: {lines} lines (at most {MAX_FILE_LINES})", path.display()));
        }
        if !text.starts_with("//!") {
            problems.push(format!("{}: does not open with a `//!` line naming its job", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The render stages, and what none of them may reach, even through another
/// module: the server's parts. Recording runs and applying review happen
/// around the stages, in the pipeline's driver.
const STAGES: [&str; 4] = ["content", "layout", "raster", "publish"];
const SERVER_PARTS: [&str; 12] = [
    "store",
    "review",
    "answers",
    "admin",
    "accounts",
    "audit",
    "pipeline",
    "driver",
    "serve",
    "app",
    "watch",
    "renderlog",
];

#[test]
fn render_stages_reach_nothing_of_the_server() {
    let edges = imports();
    let mut found = Vec::new();
    for stage in STAGES {
        let mut seen = BTreeSet::new();
        let mut todo = vec![(stage.to_string(), vec![stage.to_string()])];
        while let Some((module, path)) = todo.pop() {
            for next in edges.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    let mut path = path.clone();
                    path.push(next.clone());
                    if SERVER_PARTS.contains(&next.as_str()) {
                        found.push(path.join(" → "));
                    }
                    todo.push((next.clone(), path));
                }
            }
        }
    }
    assert!(edges["publish"].contains("layout"), "stage edges are read: {:?}", edges["publish"]);
    assert!(found.is_empty(), "render stages reach the server:\n{}", found.join("\n"));
}

#[test]
fn files_are_replaced_only_through_the_one_atomic_helper() {
    // Restoring a backup swaps whole folders in and out of the data
    // folder; every file is written by `atomic::write_with`.
    let allowed = ["atomic.rs", "backup.rs"];
    let mut found = Vec::new();
    for path in rust_files(&src()) {
        let text = code(&std::fs::read_to_string(&path).unwrap());
        let name = path.strip_prefix(src()).unwrap().to_string_lossy().to_string();
        if text.contains("fs::rename(") && !allowed.contains(&name.as_str()) {
            found.push(name);
        }
    }
    assert!(found.is_empty(), "write-then-rename outside src/atomic.rs: {found:?}");
    let atomic = code(&std::fs::read_to_string(src().join("atomic.rs")).unwrap());
    assert!(atomic.contains("fs::rename(") && atomic.contains("sync_all") && atomic.contains("O_NOFOLLOW"));
}
