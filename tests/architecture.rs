//! The shape of the code, checked like behaviour: a thin main, no import
//! circles between the top-level modules of src/, and no function longer
//! than a screen without a comment saying why it must be.
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
        let mut named = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // use crate::{a, b::c}
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for part in group.split(',') {
                    named.insert(ident(part.trim()));
                }
            } else {
                named.insert(ident(rest));
            }
        }
        named.retain(|m| !m.is_empty() && *m != top && m != "self");
        edges.entry(top).or_default().extend(named);
    }
    edges
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
