//! Layout: Chinese line breaking, paging, and the screens of the shipped
//! channel on every profile (safe area, size floors, key targets, back).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::DateTime;
use infotv::config::Profile;
use infotv::content;
use infotv::fonts::Weight;
use infotv::layout::{self, text::wrap, Key, Kind, Op, Screen};

const NO_START: &str = "，。、；：？！）》」』】…";
const NO_END: &str = "（《「『【";

fn line_text(line: &layout::text::Line) -> String {
    line.pieces.iter().map(|p| p.text.as_str()).collect()
}

#[test]
fn lines_never_start_or_end_with_forbidden_punctuation() {
    let fonts = common::fonts();
    let text = "万源市（达州代管）位于川、陕、渝结合部，境内有八台山、花萼山、龙潭河等景区。\
                “富硒茶”远近闻名！请拨打12345或访问infotv查询；《通知》如下：一、二、三……完。";
    let runs = vec![(text.to_string(), Weight::Regular)];
    // Many widths, so breaks land on every kind of character.
    for chars in 5..=20 {
        let width = 28.0 * chars as f32;
        let lines = wrap(&fonts, &runs, 28.0, width, 0.0, true);
        let joined: String = lines.iter().map(line_text).collect();
        assert_eq!(joined, text, "wrapping loses nothing at width {width}");
        for (i, line) in lines.iter().enumerate() {
            let t = line_text(line);
            let first = t.chars().next().unwrap();
            let last = t.chars().last().unwrap();
            assert!(!NO_START.contains(first), "line {i} starts with {first:?} at {chars} chars: {t}");
            assert!(!NO_END.contains(last), "line {i} ends with {last:?} at {chars} chars: {t}");
            assert!(line.width <= width + 0.5, "line {i} overflows: {} > {width}", line.width);
            if i + 1 < lines.len() && chars >= 8 {
                assert!(line.width >= width - 28.0 * 2.0, "justified line {i} too short: {t}");
            }
        }
        let all: Vec<String> = lines.iter().map(line_text).collect();
        for word in ["12345", "infotv"] {
            assert!(all.iter().any(|l| l.contains(word)), "{word} split at width {width}: {all:?}");
        }
    }
}

#[test]
fn justified_lines_fill_the_measure() {
    let fonts = common::fonts();
    let runs = vec![("冬春季节是困难群众生活最需要关心的时候。为了让大家弄清楚遇到困难该找谁、能得到哪些帮助，这里把几项主要救助政策逐一说明。".to_string(), Weight::Regular)];
    let lines = wrap(&fonts, &runs, 28.0, 600.0, 56.0, true);
    assert!(lines.len() >= 3);
    assert!((lines[0].width - 544.0).abs() < 1.0, "first line is indented and full: {}", lines[0].width);
    for line in &lines[1..lines.len() - 1] {
        assert!((line.width - 600.0).abs() < 1.0, "{}", line.width);
    }
}

fn shipped_screens(profile: &Profile) -> Vec<Arc<Screen>> {
    let (site, _) = content::load(&common::root().join("channels"));
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    layout::build(&site, &layout::Context { fonts: &common::fonts(), profile, now, memo: None })
}

/// A screen as it reads and leads, whatever the memo noted on it; without
/// its drawing when `thin`.
fn plain(screen: &Screen, thin: bool) -> String {
    let mut s = screen.clone();
    (s.drawn, s.made, s.thin) = (None, None, false);
    if thin {
        s.ops.clear();
        for state in &mut s.states {
            state.keys.clear();
            state.focus.iter_mut().for_each(|f| f.ops.clear());
        }
    }
    format!("{s:?}")
}

#[test]
fn a_new_day_draws_no_screen_again() {
    // The shell draws the header's date: at midnight every picture and shell
    // stays as it was, so boxes keep what they cached and the disk gets
    // nothing new (a county channel is 42,000 pictures).
    let dir = common::copy_fixture("kinds");
    let renderer = infotv::pipeline::Renderer::new(dir.path(), common::fonts());
    let at = |t: &str| Some(DateTime::parse_from_rfc3339(t).unwrap());
    let (before, first) = renderer.render_at("test", at("2026-11-27T23:59:30+08:00"), true);
    assert!(first.rendered > 0, "{}", first.line());
    let (after, report) = renderer.render_at("clock:midnight", at("2026-11-28T00:00:01+08:00"), true);
    assert_eq!(report.rendered, 0, "{}", report.line());
    assert_eq!(before.unwrap().id, after.unwrap().id, "the same generation, shells and all");
    // And the header names no date: the pictures cannot go stale.
    let profile = Profile::new("sd", 720, 576);
    let (site, _) = content::load(dir.path());
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let screens =
        layout::build(&site, &layout::Context { fonts: &common::fonts(), profile: &profile, now, memo: None });
    let date = layout::date_text(now);
    assert_eq!(date, "2026年11月27日 星期五");
    for s in &screens {
        assert!(texts(s).iter().all(|r| !r.text.contains("2026年11月27日") && !r.text.contains("星期五")), "{}", s.id);
    }
}

/// An edit lays out the document it touched; every other document's
/// screens are the ones laid out before (kept thin: pictures and shells are
/// found by key), and the whole is what a fresh layout makes. A new day
/// keeps them too: the shell draws the date.
#[test]
fn the_layout_memo_keeps_unchanged_documents_and_equals_a_fresh_layout() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&common::root().join("channels"), dir.path());
    let fonts = common::fonts();
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let memo = layout::memo::Memo::default();
    let lay = |site: &content::Site, profile: &Profile, now, memo| {
        layout::build(site, &layout::Context { fonts: &fonts, profile, now, memo })
    };
    let (site, _) = content::load(dir.path());
    let before: Vec<_> = profiles().iter().map(|p| lay(&site, p, now, Some(&memo))).collect();
    memo.turn(true);
    let kept = before.iter().flatten().filter(|s| s.made.is_some()).count();
    assert!(kept > before.iter().flatten().count() / 2, "most screens are documents' ({kept})");
    assert!(before.iter().flatten().all(|s| !s.thin), "the render that lays out draws whole screens");

    let edited = site.all_items().into_iter().flat_map(|i| &i.docs).find(|d| d.source.ends_with(".md")).unwrap();
    let file = dir.path().join(&edited.source);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n\n编辑后补充的一段话，只改这一篇。\n");
    std::fs::write(&file, text).unwrap();
    let edited_id = layout::screen_id("a", &edited.key);

    let (site, _) = content::load(dir.path());
    for (profile, before) in profiles().iter().zip(&before) {
        let after = lay(&site, profile, now, Some(&memo));
        let fresh = lay(&site, profile, now, None);
        assert_eq!(after.len(), fresh.len(), "{}", profile.name);
        let old: HashMap<&str, &Arc<Screen>> = before.iter().map(|s| (s.id.as_str(), s)).collect();
        for (a, f) in after.iter().zip(&fresh) {
            let what = format!("{}: {}", profile.name, a.id);
            assert_eq!(plain(a, a.thin), plain(f, a.thin), "{what}: the memo's is a fresh layout's");
            assert_eq!(a.drawing_key(profile), layout::drawing_key(f, profile), "{what}: same drawing");
            let of_edited = layout::document_of(&a.id) == edited_id;
            if a.made.is_some() {
                assert_eq!(a.thin, !of_edited, "{what}: kept");
                if !of_edited {
                    // The same key as the whole screen laid out before, which
                    // is what a fresh layout makes now.
                    let was = old[a.id.as_str()];
                    assert_eq!(a.made, was.made, "{what}: same key");
                    assert_eq!(plain(was, false), plain(f, false), "{what}: same screen");
                }
            }
        }
        assert!(after.iter().any(|s| layout::document_of(&s.id) == edited_id && !s.thin));
        assert!(after.iter().filter(|s| s.thin).count() * 2 > after.len(), "{}: most kept", profile.name);
    }
    memo.turn(true);

    // The date is the shell's: a new day keeps every document's layout.
    let tomorrow = now + chrono::Duration::days(1);
    let after = lay(&site, &profiles()[0], tomorrow, Some(&memo));
    assert!(after.iter().filter(|s| s.made.is_some()).all(|s| s.thin), "a new day keeps every document");
}

fn profiles() -> Vec<Profile> {
    vec![Profile::new("sd", 720, 576), Profile::new("hd", 1280, 720), Profile::new("iptv-sd", 640, 530)]
}

fn texts(screen: &Screen) -> Vec<&layout::TextRun> {
    let focus_ops = screen.states.iter().filter_map(|s| s.focus.as_ref()).flat_map(|f| f.ops.iter());
    screen
        .ops
        .iter()
        .chain(focus_ops)
        .filter_map(|op| match op {
            Op::Text(run) => Some(run),
            _ => None,
        })
        .collect()
}

#[test]
fn every_text_is_title_safe_and_above_the_size_floor() {
    for profile in profiles() {
        let (w, h) = (profile.width as f32, profile.height as f32);
        let (floor, body_floor) = if profile.height <= 600 { (22.0, 26.0) } else { (28.0, 32.0) };
        for screen in shipped_screens(&profile) {
            for run in texts(&screen) {
                let where_ = format!("{} {} {:?}", profile.name, screen.id, run.text);
                assert!(
                    run.x >= w * 0.05 - 0.5 && run.x + run.w <= w * 0.95 + 0.5,
                    "x outside title-safe: {where_} x={} w={}",
                    run.x,
                    run.w
                );
                assert!(
                    run.y >= h * 0.05 - 0.5 && run.y + run.h <= h * 0.95 + 0.5,
                    "y outside title-safe: {where_} y={} h={}",
                    run.y,
                    run.h
                );
                assert!(run.size >= floor, "text below the floor: {where_} {}", run.size);
            }
            if screen.kind == Kind::Article {
                let body = texts(&screen).iter().map(|r| r.size).fold(0.0, f32::max);
                assert!(body >= body_floor, "article body below the floor on {} {}", profile.name, screen.id);
            }
        }
    }
}

#[test]
fn long_articles_are_paged_with_page_numbers() {
    let profile = &profiles()[0];
    let screens = shipped_screens(profile);
    let pages: Vec<&Screen> =
        screens.iter().map(|s| &**s).filter(|s| s.title == "万源保卫战：大巴山上的钢铁长城").collect();
    assert!(pages.len() >= 3, "a long article spans several screens, got {}", pages.len());
    let n = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let label = format!("第 {}/{} 页", i + 1, n);
        assert!(texts(page).iter().any(|r| r.text == label), "{} lacks {label}", page.id);
        let keys = &page.states[0].keys;
        if i + 1 < n {
            assert_eq!(keys[&Key::Right].screen, pages[i + 1].id);
            assert_eq!(keys[&Key::PageDown].screen, pages[i + 1].id);
        }
        if i > 0 {
            assert_eq!(keys[&Key::Left].screen, pages[i - 1].id);
        }
        assert_eq!(keys[&Key::Back].screen, pages[0].states[0].keys[&Key::Back].screen, "every page backs to the list");
    }
    // Every character of the article appears on exactly one page, in order.
    let (site, _) = content::load(&common::root().join("channels"));
    let article =
        site.columns.iter().flat_map(|c| &c.items).flat_map(|i| &i.docs).find(|a| a.title == pages[0].title).unwrap();
    let source: String = article.blocks().iter().flat_map(|b| b.spans()).map(|s| s.text.as_str()).collect();
    let shown: String = pages
        .iter()
        .flat_map(|p| texts(p))
        .filter(|r| (r.size == 28.0 || r.size == 30.0) && r.text != "幸福·美丽万源")
        .map(|r| r.text.as_str())
        .collect();
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert_eq!(strip(&shown), strip(&source));
}

#[test]
fn graph_is_closed_and_back_leads_home() {
    for profile in profiles() {
        let screens = shipped_screens(&profile);
        let by_id: HashMap<&str, &Screen> = screens.iter().map(|s| (s.id.as_str(), &**s)).collect();
        assert_eq!(by_id.len(), screens.len(), "screen ids are unique");
        let sub_items = screens.iter().filter(|s| s.kind == Kind::Column).map(|s| s.states.len()).sum::<usize>();
        assert!((50..=55).contains(&sub_items), "the shipped channel has about 50 sub-items, not {sub_items}");
        for screen in &screens {
            assert!(screen.id.is_ascii());
            for (f, state) in screen.states.iter().enumerate() {
                for (key, target) in &state.keys {
                    // 查询's results are made at request time (tests/search.rs).
                    if infotv::ondemand::results_id(&target.screen).is_some_and(|r| r.is_ok()) {
                        assert_eq!(screen.kind, Kind::Search, "{}#{f} {key:?} → {target}", screen.id);
                        continue;
                    }
                    let t = by_id
                        .get(target.screen.as_str())
                        .unwrap_or_else(|| panic!("{}#{f} {key:?} → missing {}", screen.id, target.screen));
                    assert!(target.focus < t.states.len(), "{}#{f} {key:?} → {target} has no such state", screen.id);
                }
                if screen.id == "home" {
                    assert!(!state.keys.contains_key(&Key::Back));
                } else {
                    assert!(state.keys.contains_key(&Key::Back), "{} has no back", screen.id);
                }
            }
            // Following back from any screen reaches home within a few steps.
            let mut at: &Screen = screen;
            for _ in 0..6 {
                if at.id == "home" {
                    break;
                }
                at = by_id[at.states[0].keys[&Key::Back].screen.as_str()];
            }
            assert_eq!(at.id, "home", "back from {} never reaches home", screen.id);
        }
    }
}

#[test]
fn screen_ids_are_stable_across_renders_and_reordering() {
    let dir = common::copy_fixture("basic");
    let profile = &profiles()[0];
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let ids = |root: &std::path::Path| {
        let (site, _) = content::load(root);
        let mut ids: Vec<String> =
            layout::build(&site, &layout::Context { fonts: &common::fonts(), profile, now, memo: None })
                .into_iter()
                .map(|s| s.id.clone())
                .collect();
        ids.sort();
        ids
    };
    let before = ids(dir.path());
    assert_eq!(before, ids(dir.path()));
    // Renumbering a column folder changes its position, not its identity.
    std::fs::rename(dir.path().join("01-第一栏目"), dir.path().join("05-第一栏目")).unwrap();
    assert_eq!(before, ids(dir.path()));
}

#[test]
fn carousels_cycle_through_the_sub_item() {
    let (site, _) = content::load(&common::fixture("basic"));
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let profile = Profile::new("sd", 720, 576);
    let screens =
        layout::build(&site, &layout::Context { fonts: &common::fonts(), profile: &profile, now, memo: None });
    let by_id: HashMap<&str, &Screen> = screens.iter().map(|s| (s.id.as_str(), &**s)).collect();
    let start = screens.iter().find(|s| s.title == "置顶的消息").unwrap();
    let mut seen = vec![start.title.clone()];
    let mut at: &Screen = start;
    for _ in 0..3 {
        let (seconds, next) = *at.carousel.clone().expect("every reading screen of the sub-item moves on");
        assert_eq!(seconds, 3);
        at = by_id[next.screen.as_str()];
        seen.push(at.title.clone());
    }
    assert_eq!(seen, ["置顶的消息", "较新的消息", "较早的消息", "置顶的消息"], "in list order, then round again");
    assert!(screens.iter().filter(|s| s.kind == Kind::List).all(|s| s.carousel.is_none()));
    assert!(screens.iter().filter(|s| s.title == "标题来自一级标题").all(|s| s.carousel.is_none()));
}

/// Every single-sheet table document of the site: its name (the table's
/// title, else the document's), the source table, and its screens in order.
/// (A workbook's sheets page one after another, so only one-sheet documents
/// say which page holds which table.)
fn table_pages<'a>(site: &content::Site, screens: &'a [Arc<Screen>]) -> Vec<(String, content::Table, Vec<&'a Screen>)> {
    let mut out = Vec::new();
    for item in site.all_items() {
        for doc in &item.docs {
            let content::Body::Table(tables) = &doc.body else { continue };
            let [table] = tables.as_slice() else { continue };
            let name = table.title.clone().unwrap_or_else(|| doc.title.clone());
            let base = layout::screen_id("a", &doc.key);
            let pages = screens.iter().filter(|s| layout::document_of(&s.id) == base).map(|s| &**s).collect();
            out.push((name, table.clone(), pages));
        }
    }
    out
}

/// A table page's cell texts in drawing order: the runs below the header
/// bar, above the footer.
fn cells(screen: &Screen) -> Vec<String> {
    texts(screen).into_iter().filter(|r| r.y > 150.0 && r.y < 500.0).map(|r| r.text.clone()).collect()
}

#[test]
fn every_table_page_on_sd_names_its_table_in_full() {
    // A table whose rows have lines under them has its title in the header
    // path on SD; a long path gives way from the front, never at the title.
    let profile = Profile::new("sd", 720, 576);
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let (site, _) = content::load(&common::root().join("channels"));
    let screens =
        layout::build(&site, &layout::Context { fonts: &common::fonts(), profile: &profile, now, memo: None });
    let mut seen = 0;
    for (name, _, pages) in table_pages(&site, &screens) {
        for s in pages {
            let runs = texts(s);
            assert!(runs.iter().any(|r| r.text.contains(&name)), "{}: {name:?} not drawn whole: {:?}", s.id, runs);
            let path = runs.iter().find(|r| r.text.starts_with("首页")).expect("a header path");
            assert!(!path.text.ends_with('…') || path.text.contains(&name), "{}: {:?}", s.id, path.text);
            seen += 1;
        }
    }
    // The shipped channel's village tables among them (three levels under a sub-item).
    assert!(seen > 150, "{seen} table pages");
}

#[test]
fn tables_on_sd_show_five_rows_a_page_with_every_cell_once_in_order() {
    let profile = Profile::new("sd", 720, 576);
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let check = |root: &std::path::Path| {
        let (site, _) = content::load(root);
        let screens =
            layout::build(&site, &layout::Context { fonts: &common::fonts(), profile: &profile, now, memo: None });
        let tables = table_pages(&site, &screens);
        assert!(!tables.is_empty());
        for (_, table, pages) in tables {
            let pages: Vec<Vec<String>> = pages.into_iter().map(cells).collect();
            let rows = table.rows.len();
            assert!(pages.len() <= rows.div_ceil(5), "{:?}: {rows} rows on {} pages", table.header, pages.len());
            // Every cell in the drawn text, rows in order, each cell within
            // its row (a column moved under its row comes after the others;
            // a date of one year may show as month and day; a long cell may
            // wrap over runs).
            let drawn: String = pages.concat().concat();
            let find = |cell: &str, from: usize| {
                let short = if cell.len() == 10 && cell.as_bytes()[4] == b'-' { &cell[5..] } else { cell };
                let at = |s: &str| drawn[from..].find(s).map(|i| (i + from, s.len()));
                at(cell).or_else(|| at(short))
            };
            // Each row's longest cell marks it: these come in row order, and
            // every cell of a row is drawn after the mark of the row before.
            let mut at = 0;
            let mut before = 0;
            for row in &table.rows {
                let mark = row.iter().map(|c| c.trim()).max_by_key(|c| c.chars().count()).unwrap();
                let (i, len) = find(mark, at).unwrap_or_else(|| panic!("row marked {mark:?} not drawn after {at}"));
                for cell in row.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
                    assert!(find(cell, before).is_some(), "{cell:?} of the row marked {mark:?} not drawn");
                }
                before = i;
                at = i + len;
            }
        }
    };
    check(&common::root().join("channels"));
    // A generated table of 8 columns, no cell over 40 characters.
    let dir = tempfile::tempdir().unwrap();
    let item = dir.path().join("01-阳光/01-台账");
    std::fs::create_dir_all(&item).unwrap();
    let mut csv = String::from("序号,日期,村名,项目,金额（元）,单位,经办,备注\n");
    for i in 1..=23 {
        csv.push_str(&format!(
            "{i},2026-0{}-1{},石桥村,村组道路硬化第{i}段,{}.00,米,村会计,已验收合格并公示\n",
            i % 9 + 1,
            i % 10,
            i * 1375
        ));
    }
    std::fs::write(item.join("台账.csv"), csv).unwrap();
    check(dir.path());
}
