//! What laid-out screens leave short: text under the size floor, and
//! documents or pages that no screen shows.

use super::screen::{Op, Screen};
use super::{frame, memo};
use crate::config::Profile;
use crate::content::{Body, Doc, Item, Site, Sort};
use crate::fonts::Fonts;
use crate::problem::Problem;
use chrono::{DateTime, FixedOffset};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The documents of a sub-item on air at `now`, in screen order.
pub fn live_docs(item: &Item, now: DateTime<FixedOffset>) -> Vec<&Doc> {
    let mut articles: Vec<&Doc> = item.docs.iter().map(|a| &**a).filter(|a| a.is_live(now)).collect();
    match item.sort {
        Sort::Newest => {
            articles.sort_by(|a, b| (b.pinned, b.date, &a.file_name).cmp(&(a.pinned, a.date, &b.file_name)))
        }
        Sort::Oldest => {
            articles.sort_by(|a, b| (b.pinned, a.date, &a.file_name).cmp(&(a.pinned, b.date, &b.file_name)))
        }
        Sort::Name => articles.sort_by(|a, b| a.file_name.cmp(&b.file_name)),
    }
    articles
}

/// Text below the profile's legibility floor (any text 22 px on SD and 28 on
/// HD; body text 26 and 32). Layout never shrinks text to make it fit, so
/// this only happens when site.toml sets sizes too small: a problem, reported
/// once per profile with the smallest size found.
pub fn floor_problems(screens: &[Arc<Screen>], profile: &Profile) -> Vec<Problem> {
    let (any, body) = frame::floors(profile);
    let mut smallest: Option<(f32, f32, String)> = None;
    for screen in screens {
        let runs =
            screen.ops.iter().chain(screen.states.iter().filter_map(|s| s.focus.as_ref()).flat_map(|f| f.ops.iter()));
        for op in runs {
            if let Op::Text(run) = op {
                let floor = if run.body { body } else { any };
                if run.size < floor && smallest.as_ref().is_none_or(|s| run.size < s.0) {
                    smallest = Some((run.size, floor, run.text.clone()));
                }
            }
        }
    }
    smallest
        .map(|(size, floor, text)| {
            Problem::new(
                "site.toml",
                format!("{} 画面的文字小于最低字号：“{text}”为 {size} 像素，不得小于 {floor} 像素", profile.name),
                format!(
                    "{}: text below the legibility floor: {text:?} is {size} px, the floor is {floor} px",
                    profile.name
                ),
            )
            .hint("调大 site.toml 里的 theme.text_scale", "raise theme.text_scale in site.toml")
        })
        .into_iter()
        .collect()
}

/// Characters of the site that no font draws, per source file: tofu must be
/// reported, never shown silently.
pub fn coverage_problems(site: &Site, fonts: &Fonts) -> Vec<Problem> {
    coverage(site, fonts, None)
}

/// The characters of `doc` that no face of the chain draws.
fn doc_missing(fonts: &Fonts, doc: &Doc) -> BTreeSet<char> {
    let mut missing = BTreeSet::new();
    let mut check = |text: &str| missing.extend(text.chars().filter(|&c| !fonts.has(c) && !c.is_control()));
    check(&doc.title);
    match &doc.body {
        Body::Text(blocks) => {
            for block in blocks {
                for span in block.spans() {
                    check(&span.text);
                }
                match block {
                    crate::content::Block::Image { caption, .. } => check(caption),
                    crate::content::Block::Table(t) => t.texts().for_each(|s| check(s)),
                    _ => {}
                }
            }
        }
        Body::Table(tables) => tables.iter().flat_map(|t| t.texts()).for_each(|s| check(s)),
        Body::Poll(p) => {
            for q in &p.questions {
                check(&q.text);
                for c in &q.choices {
                    check(c);
                }
            }
        }
    }
    missing
}

pub(super) fn coverage(site: &Site, fonts: &Fonts, memo: Option<&memo::Memo>) -> Vec<Problem> {
    let mut missing: BTreeMap<String, BTreeSet<char>> = BTreeMap::new();
    let mut check = |source: &str, text: &str| {
        for c in text.chars().filter(|&c| !fonts.has(c) && !c.is_control()) {
            missing.entry(source.to_string()).or_default().insert(c);
        }
    };
    check("site.toml", &site.config.title);
    // What a face has depends on the chain in use.
    let chain = blake3::hash(format!("{:?}", site.config.fonts).as_bytes());
    let mut docs: Vec<(&str, Arc<BTreeSet<char>>)> = Vec::new();
    for column in &site.columns {
        check(&column.key, &column.title);
        for item in column.all_items() {
            check(&item.key, &item.title);
            for a in &item.docs {
                let found = match memo.filter(|_| a.digest != [0; 32]) {
                    Some(memo) => {
                        let key =
                            *blake3::Hasher::new().update(chain.as_bytes()).update(&a.digest).finalize().as_bytes();
                        memo.missing(key, || doc_missing(fonts, a))
                    }
                    None => Arc::new(doc_missing(fonts, a)),
                };
                if !found.is_empty() {
                    docs.push((&a.source, found));
                }
            }
            for p in &item.photos {
                check(&p.key, &p.caption);
            }
        }
    }
    for (source, found) in docs {
        missing.entry(source.to_string()).or_default().extend(found.iter());
    }
    missing
        .into_iter()
        .map(|(path, chars)| {
            let list: String = chars.iter().collect();
            let codes: Vec<String> = chars.iter().map(|c| format!("U+{:04X}", *c as u32)).collect();
            Problem::new(
                path,
                format!("字体中没有这些字：{list}（{}），屏幕上会显示为方框", codes.join(" ")),
                format!("no font has these characters: {list} ({}); they show as boxes", codes.join(" ")),
            )
            .hint(
                "换用常用字；生僻字确需显示时，请管理员在 site.toml 的 fonts 中加入含这些字的字体",
                "use common characters, or have the operator add a font with them to fonts in site.toml",
            )
        })
        .collect()
}
