//! The channel walked into screens: home, each column and its sub-items,
//! places down to the village, each document's pages, with the keys every
//! screen shares; documents' and lists' screens kept in the memo.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use super::{
    article, drawing_key, finder, frame, gallery, interact, live_docs, memo, menu, page_id, screen_id, table, Key,
    Kind, Screen, Section, Target, HOME,
};
use crate::config::Rgb;
use crate::content::{Body, Doc, Item, Site};

pub(super) fn shared(screens: Vec<Screen>) -> Vec<Arc<Screen>> {
    screens.into_iter().map(Arc::new).collect()
}

/// A screen still being finished — not one the memo kept finished — to
/// change in place.
pub(super) fn finishing(screen: &mut Arc<Screen>) -> Option<&mut Screen> {
    if screen.made.is_some() {
        return None;
    }
    Some(Arc::make_mut(screen))
}

/// The start screen: a tile per column, digits 1–9 to each of the first nine.
pub(super) fn home_screens(frame: &frame::Frame) -> Vec<Screen> {
    let site = frame.site;
    let home_entries: Vec<menu::Entry> = site
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| menu::Entry {
            title: column.title.clone(),
            caption: column.items.iter().map(|it| it.title.as_str()).collect::<Vec<_>>().join("、"),
            badge: (i < 9).then(|| (i + 1).to_string()),
            accent: frame.accent(i),
            target: Target::new(screen_id("c", &column.key), 0),
        })
        .collect();
    let digits: Vec<(Key, Target)> =
        home_entries.iter().take(9).enumerate().map(|(i, e)| (Key::Digit(i as u8 + 1), e.target.clone())).collect();
    menu::screens(
        frame,
        menu::Spec {
            base: HOME.to_string(),
            kind: Kind::Home,
            title: site.config.title.clone(),
            crumbs: vec![],
            parent: None,
            accent: cx_theme(site).focus_frame,
            columns: 3,
            rows: 3,
            entries: home_entries,
            extra_keys: digits,
            empty: "频道里还没有栏目",
            lead: vec![],
        },
    )
}

/// What a tile of `item` says under its title, and where it leads; `depth`
/// is 0 for a sub-item, 1 for a township, 2 for a village.
pub(crate) fn tile_target(item: &Item, now: DateTime<FixedOffset>, depth: usize) -> (String, Target) {
    let docs = live_docs(item, now);
    if !item.places.is_empty() {
        let what = if depth == 0 { "个乡镇" } else { "个村（社区）" };
        return (format!("{} {what}", item.places.len()), Target::new(screen_id("l", &item.key), 0));
    }
    if let Some(categories) = &item.request {
        return (format!("可反映 {} 类问题", categories.len()), Target::new(screen_id("q", &item.key), 0));
    }
    if item.is_gallery() {
        return (format!("{} 张图片", item.photos.len()), Target::new(screen_id("g", &item.photos[0].key), 0));
    }
    let caption = match (docs.len(), docs.iter().filter_map(|a| a.date).max()) {
        (0, _) => "暂无内容".to_string(),
        (n, Some(d)) => format!("{n} 篇 · {} 更新", d.format("%m-%d")),
        (n, None) => format!("{n} 篇"),
    };
    let target = match docs.as_slice() {
        [only] if !item.rating => interact::entry(only),
        _ => Target::new(screen_id("s", &item.key), 0),
    };
    (caption, target)
}

/// A column's screens (a tile per sub-item), then every sub-item's.
pub(super) fn column_screens(frame: &frame::Frame, ci: usize, column: &crate::content::Column) -> Vec<Arc<Screen>> {
    let column_id = screen_id("c", &column.key);
    let accent = frame.accent(ci);
    let mut entries = Vec::new();
    for item in &column.items {
        let (caption, target) = tile_target(item, frame.cx.now, 0);
        let badge = page_number(ci, entries.len()).map(|n| n.to_string());
        entries.push(menu::Entry { title: item.title.clone(), caption, badge, accent, target });
    }
    // Three rows fill the body for up to six sub-items; more take a fourth, then pages.
    let column_rows = column.items.len().div_ceil(2).clamp(3, frame.geo.column_rows);
    let spec = menu::Spec {
        base: column_id.clone(),
        kind: Kind::Column,
        title: column.title.clone(),
        crumbs: vec![column.title.clone()],
        parent: Some(Target::new(HOME, ci)),
        accent,
        columns: 2,
        rows: column_rows,
        entries,
        extra_keys: vec![],
        empty: "本栏目暂无内容",
        lead: vec![],
    };
    let mut screens: Vec<Arc<Screen>> = menu::screens(frame, spec)
        .into_iter()
        .map(|mut s| {
            s.section = Some(Section { column: column.title.clone(), item: None });
            Arc::new(s)
        })
        .collect();
    // Where back from a sub-item leads: its tile in the column screens.
    let per_page = 2 * column_rows;
    for (ii, item) in column.items.iter().enumerate() {
        let tile = Target::new(page_id(&column_id, ii / per_page), ii % per_page);
        let crumbs = vec![column.title.clone(), item.title.clone()];
        let number = page_number(ci, ii);
        let frame = &frame.numbered(number);
        let mut item_screens = sub_item_screens(frame, &crumbs, item, tile, accent, 0);
        for screen in item_screens.iter_mut().filter_map(finishing) {
            // Places name their screens' section themselves: 村务公开 › 太平镇 › 石桥村.
            let label = screen.section.take().and_then(|s| s.item).unwrap_or_else(|| item.title.clone());
            screen.section = Some(Section { column: column.title.clone(), item: Some(label) });
            frame.number(screen, accent);
        }
        screens.extend(item_screens);
    }
    screens
}

/// A sub-item's (or a place's) screens: its places, a gallery, its one
/// document, or a list of its documents and each document's pages; a
/// carousel through them if asked. `crumbs` end with the item's title.
fn sub_item_screens(
    frame: &frame::Frame,
    crumbs: &[String],
    item: &Item,
    tile: Target,
    accent: Rgb,
    depth: usize,
) -> Vec<Arc<Screen>> {
    let crumbs = crumbs.to_vec();
    let mut item_screens = Vec::new();
    let docs = live_docs(item, frame.cx.now);
    if !item.places.is_empty() {
        item_screens.extend(places_screens(frame, &crumbs, item, tile, accent, depth));
    } else if let Some(categories) = &item.request {
        item_screens.extend(shared(interact::request_screens(frame, item, categories, &crumbs, tile, accent)));
    } else if item.is_gallery() {
        item_screens.extend(shared(gallery::screens(frame, item, &crumbs, tile, accent)));
    } else if let ([only], false) = (docs.as_slice(), item.rating) {
        item_screens.extend(doc_screens(frame, only, &crumbs, tile, accent));
    } else {
        let list_id = screen_id("s", &item.key);
        let rows = item.page_size.unwrap_or(frame.geo.list_rows).clamp(1, frame.geo.list_rows);
        let mut entries: Vec<menu::Entry> = docs
            .iter()
            .map(|d| menu::Entry {
                title: d.title.clone(),
                caption: d.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                badge: match (&d.body, d.pinned) {
                    (Body::Poll(_), _) => Some("投票".to_string()),
                    (_, true) => Some("置顶".to_string()),
                    _ => None,
                },
                accent,
                target: interact::entry(d),
            })
            .collect();
        // A rated service ends its list with the way to rate it.
        if item.rating {
            entries.push(menu::Entry {
                title: "评价本项服务".to_string(),
                caption: "非常满意 … 非常不满意".to_string(),
                badge: Some("评价".to_string()),
                accent,
                target: Target::new(screen_id("e", &item.key), 0),
            });
        }
        let rated = entries.len();
        item_screens.extend(list_screens(
            frame,
            menu::Spec {
                base: list_id.clone(),
                kind: Kind::List,
                title: item.title.clone(),
                crumbs: crumbs.clone(),
                parent: Some(tile),
                accent,
                columns: 1,
                rows,
                entries,
                extra_keys: vec![],
                empty: "本栏目暂无内容",
                lead: vec![],
            },
        ));
        for (di, d) in docs.iter().enumerate() {
            let row = Target::new(page_id(&list_id, di / rows), di % rows);
            item_screens.extend(doc_screens(frame, d, &crumbs, row, accent));
        }
        if item.rating {
            let row = Target::new(page_id(&list_id, (rated - 1) / rows), (rated - 1) % rows);
            item_screens.extend(shared(interact::rating_screens(frame, item, &crumbs, row, accent)));
        }
    }
    // A carousel steps through the sub-item's reading screens and
    // starts again, pausing on any key (the shell's part).
    if let Some(seconds) = item.carousel {
        let reading: Vec<usize> = (0..item_screens.len()).filter(|&i| item_screens[i].kind != Kind::List).collect();
        for (k, &i) in reading.iter().enumerate() {
            let next = reading[(k + 1) % reading.len()];
            if next != i {
                let target = Target::new(item_screens[next].id.clone(), 0);
                // A kept screen changes here: its key says how.
                let screen = Arc::make_mut(&mut item_screens[i]);
                screen.made = screen.made.map(|made| {
                    let mut h = blake3::Hasher::new();
                    h.update(&made).update(&seconds.to_le_bytes()).update(target.screen.as_bytes());
                    *h.update(&(target.focus as u64).to_le_bytes()).finalize().as_bytes()
                });
                screen.carousel = Some(Box::new((seconds, target)));
            }
        }
    }
    item_screens
}

/// A sub-item or township of places: a numbered tile a place (digits type
/// its number), then the item's own documents; then every place's screens,
/// their section labelled with the path below the sub-item.
fn places_screens(
    frame: &frame::Frame,
    crumbs: &[String],
    item: &Item,
    tile: Target,
    accent: Rgb,
    depth: usize,
) -> Vec<Arc<Screen>> {
    let id = screen_id("l", &item.key);
    let docs = live_docs(item, frame.cx.now);
    let mut entries: Vec<menu::Entry> = item
        .places
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let (caption, target) = tile_target(p, frame.cx.now, depth + 1);
            menu::Entry { title: p.title.clone(), caption, badge: Some((k + 1).to_string()), accent, target }
        })
        .collect();
    entries.extend(docs.iter().map(|d| menu::Entry {
        title: d.title.clone(),
        caption: d.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        badge: None,
        accent,
        target: interact::entry(d),
    }));
    let locals: Vec<Target> = entries.iter().take(item.places.len()).map(|e| e.target.clone()).collect();
    let digits: Vec<(Key, Target)> =
        locals.iter().take(9).enumerate().map(|(k, t)| (Key::Digit(k as u8 + 1), t.clone())).collect();
    let (columns, rows) = (3, frame.geo.column_rows);
    let per_page = columns * rows;
    let mut out: Vec<Arc<Screen>> = shared(menu::screens(
        frame,
        menu::Spec {
            base: id.clone(),
            kind: Kind::Places,
            title: item.title.clone(),
            crumbs: crumbs.to_vec(),
            parent: Some(tile),
            accent,
            columns,
            rows,
            entries,
            extra_keys: digits,
            empty: "暂无内容",
            lead: vec![],
        },
    ));
    let label = crumbs[1..].join(" › ");
    for s in out.iter_mut().filter_map(finishing) {
        s.locals.clone_from(&locals);
        s.section = Some(Section { column: crumbs[0].clone(), item: Some(label.clone()) });
    }
    for (k, place) in item.places.iter().enumerate() {
        let back = Target::new(page_id(&id, k / per_page), k % per_page);
        let mut path = crumbs.to_vec();
        path.push(place.title.clone());
        let mut screens = sub_item_screens(frame, &path, place, back, accent, depth + 1);
        let label = path[1..].join(" › ");
        for s in screens.iter_mut().filter_map(finishing) {
            if s.section.is_none() {
                s.section = Some(Section { column: crumbs[0].clone(), item: Some(label.clone()) });
            }
        }
        out.extend(screens);
    }
    let n = item.places.len();
    for (di, d) in docs.iter().enumerate() {
        let k = n + di;
        let back = Target::new(page_id(&id, k / per_page), k % per_page);
        out.extend(doc_screens(frame, d, crumbs, back, accent));
    }
    out
}

/// Where the colour keys lead: each to its column; then the key of 查询.
pub(super) fn colour_targets(frame: &frame::Frame) -> Vec<(Key, Target)> {
    let mut keys: Vec<(Key, Target)> = frame
        .colour_keys()
        .into_iter()
        .map(|(key, _, index, _)| (key, Target::new(screen_id("c", &frame.site.columns[index].key), 0)))
        .collect();
    keys.push((frame.site.config.search_key, Target::new(finder::SEARCH, 0)));
    keys
}

/// Home from anywhere but home; colour keys and 查询's key from
/// everywhere, but the search screens, where digits type.
pub(super) fn shared_keys(colours: &[(Key, Target)], screen: &mut Screen) {
    for state in &mut screen.states {
        if screen.kind != Kind::Home {
            state.keys.insert(Key::Home, Target::new(HOME, 0));
        }
        for (key, target) in colours {
            if target.screen != finder::SEARCH {
                state.keys.insert(*key, target.clone());
            } else if screen.kind != Kind::Search {
                // A screen's own use of the key (a poll's choice) comes first.
                state.keys.entry(*key).or_insert_with(|| target.clone());
            }
        }
    }
}

fn cx_theme(site: &Site) -> &crate::config::Theme {
    &site.config.theme
}

/// The three-digit page number of sub-item `item` of column `column`
/// (both 0-based), teletext style: column 7's sub-items are 701, 702, …
pub(crate) fn page_number(column: usize, item: usize) -> Option<u16> {
    (column < 9 && item < 99).then(|| (column as u16 + 1) * 100 + item as u16 + 1)
}

/// The screens of one document: an article's pages or a table's pages.
/// With a memo they come finished — numbered, in their section, with the
/// shared keys — and are the very screens kept while the document and its
/// place are as they were.
fn doc_screens(frame: &frame::Frame, doc: &Doc, crumbs: &[String], back: Target, accent: Rgb) -> Vec<Arc<Screen>> {
    let lay = |back: Target| match &doc.body {
        Body::Text(_) => article::screens(frame, doc, crumbs, back, accent),
        Body::Table(t) => table::screens(frame, doc, t, crumbs, back, accent),
        Body::Poll(p) => interact::poll_screens(frame, doc, p, crumbs, back, accent),
    };
    let memo = frame.cx.memo.filter(|_| doc.digest != [0; 32] && !matches!(doc.body, Body::Poll(_)));
    let Some(memo) = memo else { return shared(lay(back)) };
    let mut h = blake3::Hasher::new();
    h.update(&frame.key);
    h.update(&doc.digest);
    // The document's place: its path, where back leads, accent and number.
    for text in doc.qr.iter().chain(crumbs).map(String::as_str).chain([back.screen.as_str()]) {
        h.update(&(text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    h.update(&[u8::from(doc.qr.is_some()), accent.0, accent.1, accent.2]);
    h.update(&(back.focus as u64).to_le_bytes());
    h.update(&frame.number_of().map_or(0u32, |n| u32::from(n) + 1).to_le_bytes());
    let key = *h.finalize().as_bytes();
    finished_in(memo, frame, key, crumbs, accent, || lay(back.clone()))
}

/// A sub-item's list of its documents. With a memo its screens come
/// finished, as [`doc_screens`]' do, and are kept while the list and its
/// place are as they were.
fn list_screens(frame: &frame::Frame, spec: menu::Spec) -> Vec<Arc<Screen>> {
    let Some(memo) = frame.cx.memo else { return shared(menu::screens(frame, spec)) };
    let mut h = blake3::Hasher::new();
    h.update(b"list\0");
    h.update(&frame.key);
    // Every entry (title, date, badge, target), the path, where back leads.
    h.update(&spec.digest());
    h.update(&frame.number_of().map_or(0u32, |n| u32::from(n) + 1).to_le_bytes());
    let key = *h.finalize().as_bytes();
    let (crumbs, accent) = (spec.crumbs.clone(), spec.accent);
    finished_in(memo, frame, key, &crumbs, accent, || menu::screens(frame, spec))
}

/// The screens `lay` makes, kept in `memo` under `key` (a hash of all they
/// are made of) and finished: numbered, in their section, with the shared
/// keys and their drawing and `made` keys.
fn finished_in(
    memo: &memo::Memo,
    frame: &frame::Frame,
    key: [u8; 32],
    crumbs: &[String],
    accent: Rgb,
    lay: impl FnOnce() -> Vec<Screen>,
) -> Vec<Arc<Screen>> {
    let floors = frame::floors(frame.cx.profile);
    memo.screens(key, floors, || {
        let colours = colour_targets(frame);
        // As column_screens and places_screens finish the screens they make.
        let section = Section { column: crumbs[0].clone(), item: Some(crumbs[1..].join(" › ")) };
        let mut screens = lay();
        for (i, screen) in screens.iter_mut().enumerate() {
            screen.section = Some(section.clone());
            frame.number(screen, accent);
            shared_keys(&colours, screen);
            screen.drawn = Some(drawing_key(screen, frame.cx.profile));
            let mut h = blake3::Hasher::new();
            h.update(&key);
            h.update(&(i as u64).to_le_bytes());
            screen.made = Some(*h.finalize().as_bytes());
        }
        shared(screens)
    })
}
