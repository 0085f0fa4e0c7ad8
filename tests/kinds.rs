//! Every kind of content: tables from CSV and XLSX, galleries with EXIF
//! orientation, pictures in articles, colour keys, the size floor.
#![allow(clippy::unwrap_used)]

use crate::common;

use chrono::DateTime;
use infotv::config::Profile;
use infotv::content::{self, Body};
use infotv::layout::{self, Key, Kind, Op, Screen};
use infotv::raster::RasterCache;

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap()
}

fn screens(root: &std::path::Path, profile: &Profile) -> Vec<std::sync::Arc<Screen>> {
    let (site, _) = content::load(root);
    layout::build(&site, &layout::Context { fonts: &common::fonts(), profile, now: now(), memo: None })
}

fn texts(screen: &Screen) -> Vec<&layout::TextRun> {
    screen.ops.iter().filter_map(|op| if let Op::Text(r) = op { Some(r) } else { None }).collect()
}

#[test]
fn csv_and_xlsx_tables_load_ragged_and_typed() {
    let (site, problems) = content::load(&common::fixture("kinds"));
    let table = |item: usize| match &site.columns[0].items[item].docs[0].body {
        Body::Table(t) => t[0].clone(),
        other => panic!("not a table: {other:?}"),
    };
    let phones = table(0);
    // GBK, a quoted comma, short and long rows padded to the widest.
    assert_eq!(phones.header, ["名称", "电话", "备注", ""]);
    assert_eq!(phones.rows[0], ["火警", "119", "", ""]);
    assert_eq!(phones.rows[1][0], "急救,医疗");
    assert_eq!(phones.rows[2][3], "多出的一格");
    assert!(phones.numeric(1) && !phones.numeric(0));
    let bus = table(2);
    assert_eq!(bus.header, ["线路", "首班", "间隔（分钟）", "开通日期"]);
    assert_eq!(bus.rows.len(), 2, "the blank spreadsheet row is dropped");
    assert_eq!(bus.rows[0], ["1路", "6:30", "10", "2020-05-01"]);
    assert_eq!(bus.rows[1][2], "15.5");
    assert!(bus.numeric(2));
    // The missing picture is a problem at its line; the article still loads.
    let missing: Vec<_> = problems.iter().filter(|p| p.zh.contains("missing.jpg")).collect();
    assert_eq!(missing.len(), 1, "{problems:#?}");
    assert_eq!(missing[0].line, Some(7));
    assert_eq!(problems.len(), 1, "{problems:#?}");
}

#[test]
fn long_tables_page_with_the_header_on_every_page() {
    for profile in [Profile::new("sd", 720, 576), Profile::new("hd", 1280, 720)] {
        let all = screens(&common::fixture("kinds"), &profile);
        let pages: Vec<&Screen> =
            all.iter().map(|s| &**s).filter(|s| s.kind == Kind::Table && s.title == "长表").collect();
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let mut seen = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let t = texts(page);
            // A long column may sit under its row, labelled, on SD.
            for head in ["序号", "事项", "金额"] {
                let labelled = format!("{head}：");
                assert!(
                    t.iter().any(|r| r.text == head || r.text.starts_with(&labelled)),
                    "page {i} lacks header {head}"
                );
            }
            assert!(t.iter().any(|r| r.text == format!("第 {}/{} 页", i + 1, pages.len())));
            // Amounts are right-aligned: every amount ends at the same x.
            let amounts: Vec<f32> = t.iter().filter(|r| r.text.ends_with(".00")).map(|r| (r.x + r.w).round()).collect();
            assert!(
                !amounts.is_empty(),
                "{} page {i}: {:?}",
                profile.name,
                t.iter().map(|r| &r.text).collect::<Vec<_>>()
            );
            assert!(amounts.iter().all(|&x| (x - amounts[0]).abs() <= 1.0), "{amounts:?}");
            seen.extend(t.iter().filter(|r| r.text.ends_with(".00")).map(|r| r.text.clone()));
        }
        // Every row appears once, in order.
        let want: Vec<String> = (1..=40).map(|i: u32| format!("{}.00", fmt_thousands(i * 1234))).collect();
        assert_eq!(seen, want);
    }
}

fn fmt_thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn galleries_honour_exif_orientation_and_sidecar_captions() {
    let (site, _) = content::load(&common::fixture("kinds"));
    let item = &site.columns[1].items[0];
    assert!(item.is_gallery());
    assert_eq!(item.photos.len(), 2);
    assert_eq!(item.photos[0].caption, "草地");
    let upright = &item.photos[1];
    assert_eq!(upright.caption, "竖着拍的照片，靠 EXIF 方向转正");
    assert_eq!((upright.image.width, upright.image.height), (32, 64), "stored 64x32, EXIF says rotate 90°");
    // The pixels are turned too: the stored left half (red) ends up on top.
    let cache = RasterCache::new(common::fonts());
    let pic = cache.picture(&upright.image, 32, 64).unwrap();
    let top = pic.get_pixel(16, 8).0;
    let bottom = pic.get_pixel(16, 56).0;
    assert!(top[0] > 150 && top[2] < 90, "top is red: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 90, "bottom is blue: {bottom:?}");
    // Gallery screens: one per photo, left/right between them, the photo kept in proportion.
    let all = screens(&common::fixture("kinds"), &Profile::new("sd", 720, 576));
    let gallery: Vec<&Screen> = all.iter().map(|s| &**s).filter(|s| s.kind == Kind::Gallery).collect();
    assert_eq!(gallery.len(), 2);
    assert_eq!(gallery[0].states[0].keys[&Key::Right].screen, gallery[1].id);
    assert_eq!(gallery[1].states[0].keys[&Key::Left].screen, gallery[0].id);
    let rect =
        gallery[1].ops.iter().find_map(|op| if let Op::Image { rect, .. } = op { Some(*rect) } else { None }).unwrap();
    assert!((rect.h as f32 / rect.w as f32 - 2.0).abs() < 0.05, "{rect:?}");
}

#[test]
fn pictures_sit_in_the_article_text() {
    let all = screens(&common::fixture("kinds"), &Profile::new("hd", 1280, 720));
    let article = all.iter().find(|s| s.kind == Kind::Article && s.title == "图文").unwrap();
    let image =
        article.ops.iter().find_map(|op| if let Op::Image { rect, .. } = op { Some(*rect) } else { None }).unwrap();
    let first = texts(article).into_iter().find(|r| r.text.contains("第一段")).unwrap();
    assert!(image.y as f32 > first.y, "the picture follows the first paragraph");
    assert!(texts(article).iter().any(|r| r.text == "金色的图"), "the caption is shown");
}

#[test]
fn colour_keys_lead_to_their_columns_from_everywhere() {
    let all = screens(&common::fixture("kinds"), &Profile::new("sd", 720, 576));
    let column = |title: &str| all.iter().find(|s| s.kind == Kind::Column && s.title == title).unwrap().id.clone();
    for screen in &all {
        for state in &screen.states {
            assert_eq!(state.keys[&Key::Red].screen, column("表格"));
            assert_eq!(state.keys[&Key::Blue].screen, column("图集"));
            assert!(!state.keys.contains_key(&Key::Green));
        }
    }
    let home = all.iter().find(|s| s.id == "home").unwrap();
    assert!(texts(home).iter().any(|r| r.text == "表格"), "the footer names the red key's column");
}

#[test]
fn text_below_the_floor_is_a_problem_not_a_silent_shrink() {
    let dir = common::copy_fixture("kinds");
    let renderer = infotv::pipeline::Renderer::new(dir.path(), common::fonts());
    let (_, report) = renderer.render_at("test", Some(now()), true);
    assert!(report.problems.iter().all(|p| !p.zh.contains("最低字号")), "{:#?}", report.problems);
    std::fs::write(dir.path().join("site.toml"), "[theme]\ntext_scale = 0.8\n").unwrap();
    let (_, report) = renderer.render_at("test", Some(now()), true);
    let floor: Vec<_> = report.problems.iter().filter(|p| p.zh.contains("最低字号")).collect();
    assert_eq!(floor.len(), 2, "one per profile: {floor:#?}");
    assert!(floor.iter().all(|p| p.path == "site.toml"));
}

#[test]
fn characters_beyond_gb2312_come_from_the_fallback_font() {
    let dir = common::copy_fixture("kinds");
    let fonts = std::sync::Arc::new(infotv::fonts::Fonts::load(&common::root().join("fonts")).unwrap());
    let renderer = infotv::pipeline::Renderer::new(dir.path(), fonts.clone());
    let (_, report) = renderer.render_at("test", Some(now()), true);
    assert!(report.problems.iter().all(|p| !p.zh.contains("字体中没有")), "{:#?}", report.problems);
    assert!(fonts.has('喆') && fonts.has('堃'));
    // The fallback really draws the glyph: ink where a box would be hollow.
    let cache = RasterCache::new(fonts.clone());
    let glyph = cache.get('喆', 28.0, infotv::fonts::Weight::Regular);
    let ink: u32 = glyph.coverage.iter().map(|&c| u32::from(c)).sum();
    let notdef = cache.get('\u{10FFFD}', 28.0, infotv::fonts::Weight::Regular);
    let hollow: u32 = notdef.coverage.iter().map(|&c| u32::from(c)).sum();
    assert!(ink > hollow, "喆 drawn with {ink} ink, the empty box has {hollow}");
    // A chain naming a missing file is a problem, and the characters it would
    // have drawn are reported, never shown as silent boxes.
    std::fs::write(dir.path().join("site.toml"), "fonts = [\"missing.otf\"]\n").unwrap();
    let (_, report) = renderer.render_at("test", Some(now()), true);
    assert!(report.problems.iter().any(|p| p.zh.contains("missing.otf")), "{:#?}", report.problems);
    let tofu = report.problems.iter().find(|p| p.zh.contains("字体中没有")).expect("coverage problem");
    assert!(tofu.zh.contains('喆') && tofu.path.ends_with("人名用字.md"), "{tofu:?}");
}

#[test]
fn word_documents_are_articles_with_headings_bold_lists_and_pictures() {
    let (site, problems) = content::load(&common::fixture("kinds"));
    let doc = &site.columns[2].items[1].docs[0];
    assert_eq!(doc.title, "冬季供暖安全告知", "Heading 1 before the text is the title");
    assert_eq!(doc.date.unwrap().to_string(), "2026-11-22");
    let blocks = doc.blocks();
    let kinds: Vec<&str> = blocks
        .iter()
        .map(|b| match b {
            content::Block::Heading(_) => "h",
            content::Block::Paragraph(_) => "p",
            content::Block::Item { .. } => "li",
            content::Block::Picture { .. } => "unresolved",
            content::Block::Table(_) => "table",
            content::Block::Image { .. } => "img",
        })
        .collect();
    assert_eq!(kinds, ["p", "h", "li", "li", "img", "p"]);
    let spans = blocks[0].spans();
    assert!(spans.iter().any(|s| s.strong && s.text == "请各家各户注意用火用电安全"), "{spans:?}");
    let content::Block::Image { image, .. } = &blocks[4] else { unreachable!() };
    assert_eq!((image.width, image.height), (120, 60));
    assert!(problems.iter().all(|p| !p.path.contains("公文")), "{problems:#?}");

    // A file that only pretends to be a Word document is a problem, not a crash.
    let dir = common::copy_fixture("kinds");
    std::fs::write(dir.path().join("03-文章/02-公文/坏文件.docx"), b"PK\x03\x04 not really a zip").unwrap();
    let (_, problems) = content::load(dir.path());
    let bad: Vec<_> = problems.iter().filter(|p| p.path.ends_with("坏文件.docx")).collect();
    assert_eq!(bad.len(), 1, "{problems:#?}");
    assert!(bad[0].zh.contains("Word"));
}
