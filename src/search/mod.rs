//! Finding anything with the remote: every screen's title, every place and
//! the name column of tables, indexed by what the number keys spell (T9 over
//! pinyin, every reading of a polyphone), one index per profile, built in
//! the render and kept with the generation.
//!
//! Results rank the whole title spelled before its beginning, then the
//! newer, then the shorter, then the channel's own order.

pub mod t9;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::content::{Body, Doc, Item, Site, Table};
use crate::layout::{document_of, interact, live_docs, page_number, screen_id, tile_target, Kind, Screen, Target};

pub use crate::layout::finder::MAX_DIGITS;

/// One thing that can be found.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: Box<str>,
    /// Index into [`Index::paths`].
    path: u32,
    pub target: Target,
    pub kind: Kind,
    /// The sub-item's three-digit page number.
    pub number: Option<u16>,
    date: Option<NaiveDate>,
    /// Where its code lies in [`Index::codes`].
    code: (u32, u32),
    chars: u16,
}

/// A profile's index.
#[derive(Debug, Default)]
pub struct Index {
    entries: Vec<Entry>,
    paths: Vec<Box<str>>,
    codes: Vec<u8>,
}

/// One result, as the API and the results screen show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub title: String,
    /// 阳光万源 › 低保公示
    pub path: String,
    pub target: Target,
    pub kind: &'static str,
    pub number: Option<u16>,
}

/// What a query found: how many, and the first of them in rank order.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Found {
    pub q: String,
    pub total: usize,
    pub results: Vec<Hit>,
}

/// Why a query is refused, in Chinese for the box and the app.
pub fn refuse(q: &str) -> Option<&'static str> {
    if q.is_empty() {
        Some("请输入要查询的数字")
    } else if !q.bytes().all(|b| b.is_ascii_digit()) {
        Some("查询只接受数字（拼音首字母在数字键上的位置）")
    } else if q.len() > MAX_DIGITS {
        Some("查询最多 12 位数字")
    } else {
        None
    }
}

/// The letters typed digits stand for, each digit's in order: `3247` →
/// `def·abc·ghi·pqrs`.
pub fn letters(q: &str) -> String {
    q.bytes().map(t9::letters_of).collect::<Vec<_>>().join("·")
}

impl Index {
    /// Everything of `site` a household can open, with the targets of
    /// `screens` (one profile's, for the pages table rows are on).
    pub fn build(site: &Site, screens: &[Arc<Screen>], now: DateTime<FixedOffset>) -> Index {
        let mut rows: HashMap<&str, Vec<(u16, u32, u32, &str)>> = HashMap::new();
        for s in screens {
            if let Some((t, a, b)) = s.rows {
                rows.entry(document_of(&s.id)).or_default().push((t, a, b, &s.id));
            }
        }
        let mut b = Builder { index: Index::default(), rows, now };
        for (ci, column) in site.columns.iter().enumerate() {
            let path = b.path(&[column.title.as_str()]);
            let newest = column.items.iter().filter_map(|i| newest(i, now)).max();
            b.add(&column.title, path, Target::new(screen_id("c", &column.key), 0), Kind::Column, None, newest);
            for (ii, item) in column.items.iter().enumerate() {
                let mut crumbs = vec![column.title.as_str()];
                b.item(item, &mut crumbs, page_number(ci, ii), 0);
            }
        }
        b.index.entries.shrink_to_fit();
        b.index.codes.shrink_to_fit();
        b.index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// About how many bytes the index holds.
    pub fn weight(&self) -> usize {
        let entries: usize = self.entries.iter().map(|e| std::mem::size_of::<Entry>() + e.title.len()).sum();
        entries + self.paths.iter().map(|p| p.len() + 16).sum::<usize>() + self.codes.len()
    }

    /// The entries `q` (digits) spells, best first: how many, and the
    /// first `limit`.
    pub fn find(&self, q: &str, limit: usize) -> Found {
        let query = q.as_bytes();
        let mut hits: Vec<(t9::Fit, std::cmp::Reverse<Option<NaiveDate>>, u16, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let code = &self.codes[e.code.0 as usize..e.code.1 as usize];
            if let Some(fit) = t9::fit(code, query) {
                hits.push((fit, std::cmp::Reverse(e.date), e.chars, i));
            }
        }
        let total = hits.len();
        let results = if total > limit {
            hits.select_nth_unstable(limit);
            &mut hits[..limit]
        } else {
            &mut hits[..]
        };
        results.sort_unstable();
        let results = results
            .iter()
            .map(|&(_, _, _, i)| {
                let e = &self.entries[i];
                Hit {
                    title: e.title.to_string(),
                    path: self.paths[e.path as usize].to_string(),
                    target: e.target.clone(),
                    kind: e.kind.name(),
                    number: e.number,
                }
            })
            .collect();
        Found { q: q.to_string(), total, results }
    }
}

struct Builder<'a> {
    index: Index,
    /// A table document's pages: (table, first row, end row, page id).
    rows: HashMap<&'a str, Vec<(u16, u32, u32, &'a str)>>,
    now: DateTime<FixedOffset>,
}

impl Builder<'_> {
    fn path(&mut self, crumbs: &[&str]) -> u32 {
        let path = crumbs.join(" › ");
        if self.index.paths.last().is_some_and(|p| **p == *path) {
            return self.index.paths.len() as u32 - 1;
        }
        self.index.paths.push(path.into());
        self.index.paths.len() as u32 - 1
    }

    fn add(
        &mut self,
        title: &str,
        path: u32,
        target: Target,
        kind: Kind,
        number: Option<u16>,
        date: Option<NaiveDate>,
    ) {
        let title = title.trim();
        if title.is_empty() {
            return;
        }
        let start = self.index.codes.len();
        if t9::encode(title, &mut self.index.codes) == 0 {
            return;
        }
        let code = (start as u32, self.index.codes.len() as u32);
        let chars = title.chars().count().min(u16::MAX as usize) as u16;
        self.index.entries.push(Entry { title: title.into(), path, target, kind, number, date, code, chars });
    }

    /// A sub-item or place, its documents and its places; `crumbs` end
    /// before it.
    fn item<'c>(&mut self, item: &'c Item, crumbs: &mut Vec<&'c str>, number: Option<u16>, depth: usize) {
        crumbs.push(&item.title);
        let path = self.path(crumbs);
        let (_, target) = tile_target(item, self.now, depth);
        let docs = live_docs(item, self.now);
        let kind = match target.screen.split('-').next() {
            Some("l") => Kind::Places,
            Some("q") => Kind::Request,
            Some("g") => Kind::Gallery,
            Some("s") => Kind::List,
            _ => docs.first().map_or(Kind::List, |d| kind_of(d)),
        };
        // A sub-item or place is as new as its newest document.
        let newest = newest(item, self.now);
        self.add(&item.title, path, target.clone(), kind, number, newest);
        for d in docs {
            let entry = interact::entry(d);
            if entry != target || d.title != item.title {
                self.add(&d.title, path, entry, kind_of(d), number, d.date);
            }
            if let Body::Table(tables) = &d.body {
                self.rows_of(d, tables, crumbs, number);
            }
        }
        for place in &item.places {
            self.item(place, crumbs, number, depth + 1);
        }
        crumbs.pop();
    }

    /// The name column of a document's tables (便民电话's units, 景区'
    /// names), each row leading to the page it is on.
    fn rows_of(&mut self, doc: &Doc, tables: &[Table], crumbs: &[&str], number: Option<u16>) {
        let base = screen_id("a", &doc.key);
        let Some(pages) = self.rows.get(base.as_str()).cloned() else { return };
        let mut path: Vec<&str> = crumbs.to_vec();
        path.push(&doc.title);
        let path = self.path(&path);
        for (t, table) in tables.iter().enumerate() {
            if !names_things(table) {
                continue;
            }
            for (r, row) in table.rows.iter().enumerate() {
                let Some(cell) = row.first().map(|c| c.trim()).filter(|c| is_a_name(c)) else { continue };
                let page = pages.iter().find(|&&(pt, a, b, _)| pt as usize == t && (a..b).contains(&(r as u32)));
                let Some(&(_, _, _, id)) = page else { continue };
                self.add(cell, path, Target::new(id, 0), Kind::Table, number, doc.date);
            }
        }
    }
}

/// The date of the newest live document under `item`, its places' too.
fn newest(item: &Item, now: DateTime<FixedOffset>) -> Option<NaiveDate> {
    let own = live_docs(item, now).into_iter().filter_map(|d| d.date).max();
    own.into_iter().chain(item.places.iter().filter_map(|p| newest(p, now))).max()
}

fn kind_of(doc: &Doc) -> Kind {
    match doc.body {
        Body::Text(_) => Kind::Article,
        Body::Table(_) => Kind::Table,
        Body::Poll(_) => Kind::Poll,
    }
}

/// Whether a table's first column names things a household looks for — a
/// unit, a place, a scenic spot, a service — and not people: 姓名, 户主
/// and 申请人 columns are never indexed.
fn names_things(table: &Table) -> bool {
    let Some(head) = table.header.first() else { return false };
    const PEOPLE: [&str; 5] = ["姓名", "户主", "申请人", "户名", "人员"];
    const THINGS: [&str; 14] = [
        "名称", "单位", "景区", "景点", "部门", "机构", "地点", "网点", "站点", "场所", "服务", "事项", "医院", "学校",
    ];
    !PEOPLE.iter().any(|p| head.contains(p)) && THINGS.iter().any(|t| head.contains(t))
}

/// A cell that names something: some Han characters, not a number or a date.
fn is_a_name(cell: &str) -> bool {
    let n = cell.chars().count();
    (2..=30).contains(&n) && cell.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The most results a query's screens page through (the API says how
/// many there were).
pub const SHOWN: usize = 60;

/// The results screens of `found` to lay out (`search-{q}`, `search-{q}-2`,
/// …): what was typed and the letters it stands for above, a row a result
/// (title, its path under it, its page number at the right).
pub fn results(found: &Found) -> crate::layout::menu::Spec {
    use crate::layout::finder::{search_id, typing_keys, SEARCH};
    let q = &found.q;
    let count = match found.total {
        0 => format!("{} · 没有找到。可按 ← 删去一位，或按返回后直接输入三位页码", letters(q)),
        n if n > SHOWN => format!("{} · 找到 {n} 项，列出最相关的 {SHOWN} 项", letters(q)),
        n => format!("{} · 找到 {n} 项", letters(q)),
    };
    let entries = found
        .results
        .iter()
        .take(SHOWN)
        .map(|h| crate::layout::menu::Entry {
            title: h.title.clone(),
            caption: h.path.clone(),
            badge: h.number.map(|n| n.to_string()),
            accent: crate::config::Rgb(0, 0, 0),
            target: h.target.clone(),
        })
        .collect();
    crate::layout::menu::Spec {
        base: search_id(q),
        kind: Kind::Search,
        title: "查询".to_string(),
        crumbs: vec!["查询".to_string(), q.clone()],
        parent: Some(Target::new(SEARCH, 0)),
        // The channel's focus colour, set by `layout::request_menu`.
        accent: crate::config::Rgb(0, 0, 0),
        columns: 1,
        rows: 5,
        entries,
        extra_keys: typing_keys(q, MAX_DIGITS),
        empty: "没有找到",
        lead: vec![(format!("已输入 {q}"), true), (count, false)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_and_at_most_twelve_are_a_query() {
        assert_eq!(refuse("3247"), None);
        assert!(refuse("").is_some());
        assert!(refuse("32a7").is_some());
        assert!(refuse("3247/../x").is_some());
        assert!(refuse("1234567890123").is_some());
        assert_eq!(refuse("123456789012"), None);
        assert_eq!(letters("3247"), "def·abc·ghi·pqrs");
    }

    #[test]
    fn people_are_not_indexed_and_units_are() {
        let table = |head: &str| Table {
            title: None,
            subtitle: vec![],
            header: vec![head.to_string(), "电话".to_string()],
            rows: vec![],
            notes: vec![],
            lines: vec![],
        };
        assert!(names_things(&table("单位名称")));
        assert!(names_things(&table("景区")));
        assert!(!names_things(&table("姓名")));
        assert!(!names_things(&table("户主姓名")));
        assert!(!names_things(&table("日期")));
        assert!(is_a_name("万源市人民医院") && !is_a_name("2026-10-01") && !is_a_name("1,200.00"));
    }
}
