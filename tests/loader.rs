//! The loader against fixture channels: conventions and bad files.
#![allow(clippy::unwrap_used)]

use crate::common;

use infotv::content;

#[test]
fn conventions_order_title_and_date() {
    let (site, problems) = content::load(&common::fixture("basic"));
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(site.config.title, "测试频道");
    let titles: Vec<&str> = site.columns.iter().map(|c| c.title.as_str()).collect();
    // NN- prefixes order; column.toml renames; unprefixed folders come last.
    assert_eq!(titles, ["新闻", "第二栏目", "没有序号的栏目在后", "无序号栏目"]);
    let news = &site.columns[0];
    assert_eq!(news.key, "第一栏目", "keys come from folder names, not from column.toml");
    assert_eq!(news.items[0].title, "甲项（改名）");
    let mut gbk: Vec<_> = news.items[0].docs.iter().map(|a| (a.title.as_str(), a.date)).collect();
    gbk.sort();
    assert_eq!(gbk[0].0, "国标编码");
    assert_eq!(gbk[0].1.unwrap().to_string(), "2026-11-02");
    assert_eq!(gbk[1].0, "标题来自一级标题");
    let gbk_article = news.items[0].docs.iter().find(|a| a.title == "国标编码").unwrap();
    assert_eq!(gbk_article.blocks().len(), 2, "a GBK text file reads as two paragraphs");
    // Hidden and Office temp files are not articles.
    assert_eq!(news.items[1].docs.len(), 3);
}

#[test]
fn list_order_is_pinned_then_newest() {
    let (site, _) = content::load(&common::fixture("basic"));
    let item = &site.columns[0].items[1];
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00+08:00").unwrap();
    let titles: Vec<&str> = infotv::layout::live_docs(item, now).iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["置顶的消息", "较新的消息", "较早的消息"]);
}

#[test]
fn bad_files_are_problems_and_the_rest_loads() {
    let (site, problems) = content::load(&common::fixture("bad-files"));
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let find = |path: &str| problems.iter().filter(|p| p.path == path).collect::<Vec<_>>();
    // Front matter: bad TOML names its first bad line (line 3: `date = 2026-13-45`).
    let fm = find("01-栏目/01-子项/2026-11-02-坏前言.md");
    assert_eq!(fm.len(), 1, "{shown:#?}");
    assert_eq!(fm[0].line, Some(3), "{shown:#?}");
    assert!(fm[0].zh.contains("TOML"));
    assert_eq!(find("01-栏目/01-子项/2026-11-03-空文章.md")[0].line, Some(4));
    assert!(find("01-栏目/01-子项/旧格式.doc")[0].hint_zh.contains(".docx"));
    assert!(find("01-栏目/01-子项/乱码.txt")[0].zh.contains("编码"));
    assert_eq!(find("01-栏目/01-子项/item.toml")[0].line, Some(1));
    assert!(find("01-栏目/column.toml")[0].zh.contains("颜色"));
    assert!(!find("01-栏目/放错位置.md").is_empty());
    assert!(!find("孤立文件.txt").is_empty());
    // Every problem says how to fix it, in both languages.
    for p in &problems {
        assert!(!p.hint_zh.is_empty() && !p.hint_en.is_empty(), "no hint: {p:#?}");
    }
    // Every problem prints as path:line: reason.
    assert!(shown.iter().any(|s| s.starts_with("01-栏目/01-子项/2026-11-02-坏前言.md:3: ")), "{shown:#?}");
    // The good article and the article with the broken front matter still load.
    let item = &site.columns[0].items[0];
    let mut titles: Vec<&str> = item.docs.iter().map(|a| a.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["坏前言", "好文章"]);
    assert_eq!(item.title, "子项", "a broken item.toml falls back to the folder name");
}

#[test]
fn characters_no_font_has_are_reported() {
    let (site, _) = content::load(&common::fixture("bad-files"));
    let problems = infotv::layout::coverage_problems(&site, &common::fonts());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "01-栏目/02-生僻字/a.md");
    assert!(problems[0].zh.contains('𠀀') && problems[0].en.contains("U+20000"));
}

#[test]
fn missing_channel_folder_is_a_problem_not_a_crash() {
    let (site, problems) = content::load(std::path::Path::new("/nonexistent/channel"));
    assert!(site.columns.is_empty());
    assert_eq!(problems.len(), 1);
}

#[test]
fn links_out_of_the_channel_are_refused() {
    let dir = common::copy_fixture("basic");
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("01-外部")).unwrap();
    std::fs::write(outside.path().join("01-外部/a.md"), "外部正文。\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("09-链接")).unwrap();
    let (site, problems) = content::load(dir.path());
    assert!(site.columns.iter().all(|c| c.title != "链接"));
    assert!(problems.iter().any(|p| p.path == "09-链接"), "{problems:#?}");
}

/// A channel with one sub-item holding `files`, in a temp folder.
fn channel(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let item = dir.path().join("01-栏目/01-子项");
    std::fs::create_dir_all(&item).unwrap();
    for (name, bytes) in files {
        std::fs::write(item.join(name), bytes).unwrap();
    }
    dir
}

fn utf16(s: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = if !bom {
        vec![]
    } else if little {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in s.encode_utf16() {
        out.extend(if little { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

#[test]
fn every_encoding_staff_save_in_reads_for_articles_and_tables() {
    let text = "万源市便民服务中心\r\n办理时间：周一至周五 9:00-17:00\r\n";
    let csv = "项目,电话\r\n便民服务中心,0818-8621234\r\n";
    let (gbk_text, _, _) = encoding_rs::GBK.encode(text);
    let (gbk_csv, _, _) = encoding_rs::GBK.encode(csv);
    let encodings: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("utf8", text.as_bytes().to_vec(), csv.as_bytes().to_vec()),
        ("utf8bom", [b"\xEF\xBB\xBF", text.as_bytes()].concat(), [b"\xEF\xBB\xBF", csv.as_bytes()].concat()),
        ("gbk", gbk_text.into_owned(), gbk_csv.into_owned()),
        ("utf16le", utf16(text, true, true), utf16(csv, true, true)),
        ("utf16be", utf16(text, false, true), utf16(csv, false, true)),
        ("utf16le-nobom", utf16(text, true, false), utf16(csv, true, false)),
    ];
    for (name, article, table) in encodings {
        let a = format!("{name}.txt");
        let t = format!("{name}.csv");
        let dir = channel(&[(&a, &article)]);
        let (site, problems) = content::load(dir.path());
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        let doc = &site.columns[0].items[0].docs[0];
        let shown: Vec<String> =
            doc.blocks().iter().map(|b| b.spans().iter().map(|s| s.text.as_str()).collect()).collect();
        assert_eq!(shown, ["万源市便民服务中心", "办理时间：周一至周五 9:00-17:00"], "{name}");

        let dir = channel(&[(&t, &table)]);
        let (site, problems) = content::load(dir.path());
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        let content::Body::Table(tables) = &site.columns[0].items[0].docs[0].body else {
            panic!("{name}: not a table")
        };
        let table = &tables[0];
        assert_eq!(table.header, ["项目", "电话"], "{name}");
        assert_eq!(table.rows, [["便民服务中心", "0818-8621234"]], "{name}");
    }
}

#[test]
fn temp_hidden_and_partial_files_are_ignored_silently() {
    let junk: &[&str] = &[
        "~$通知.docx",
        "~WRL0001.tmp",
        "通知.tmp",
        ".~lock.价格.xlsx#",
        "Thumbs.db",
        ".DS_Store",
        "通知.md.swp",
        ".隐藏.md",
        "照片.jpg.part",
        "下载.crdownload",
    ];
    let mut files: Vec<(&str, &[u8])> = junk.iter().map(|n| (*n, &b"\x00\x01half a file"[..])).collect();
    files.push(("通知.md", "正文。\n".as_bytes()));
    let dir = channel(&files);
    let (site, problems) = content::load(dir.path());
    assert!(problems.is_empty(), "{problems:#?}");
    let docs: Vec<&str> = site.columns[0].items[0].docs.iter().map(|d| d.file_name.as_str()).collect();
    assert_eq!(docs, ["通知.md"]);
}

/// The bytes of a PNG file of `w` x `h` pixels, whatever its data says.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::new(2, 2).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    // IHDR: length at 8, type at 12, width at 16, height at 20, CRC at 29.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn decompression_bombs_and_truncated_pictures_are_refused() {
    let good = std::fs::read(common::fixture("kinds/02-图集/01-照片/01-草地.jpg")).unwrap();
    let cut = good[..good.len() / 2].to_vec();
    let mut png = Vec::new();
    image::RgbImage::new(64, 48).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let cut_png = png[..png.len() - 20].to_vec();
    let dir = channel(&[
        ("01-好.jpg", &good),
        ("02-炸弹.png", &png_claiming(60_000, 60_000)),
        ("03-半截.jpg", &cut),
        ("04-半截.png", &cut_png),
    ]);
    let (site, problems) = content::load(dir.path());
    let photos: Vec<&str> = site.columns[0].items[0].photos.iter().map(|p| p.file_name.as_str()).collect();
    assert_eq!(photos, ["01-好.jpg"], "{problems:#?}");
    let about = |name: &str| problems.iter().find(|p| p.path.ends_with(name)).unwrap_or_else(|| panic!("{name}"));
    assert!(about("02-炸弹.png").zh.contains("60000x60000"), "{problems:#?}");
    assert!(about("03-半截.jpg").zh.contains("不完整"), "{problems:#?}");
    assert!(about("04-半截.png").zh.contains("不完整"), "{problems:#?}");
}

#[test]
fn a_file_that_breaks_keeps_its_last_good_version_on_air() {
    let good_jpg = std::fs::read(common::fixture("kinds/02-图集/01-照片/01-草地.jpg")).unwrap();
    let dir = channel(&[
        ("2026-11-20-通知.md", "+++\ntitle = \"停水通知\"\n+++\n明天停水。\n".as_bytes()),
        ("价格.csv", "品名,价格\n土豆,1.2\n".as_bytes()),
        ("图.jpg", &good_jpg),
        ("2026-11-21-配图.md", "见图。\n\n![图](图.jpg)\n".as_bytes()),
    ]);
    let item = dir.path().join("01-栏目/01-子项");
    let mut last = content::LastGood::default();
    let (site, problems) = content::load_with(dir.path(), &last);
    assert!(problems.is_empty(), "{problems:#?}");
    last.remember(&site);

    // Saved half-way: the article loses its body, the picture its end, the
    // table becomes bytes no encoding reads.
    std::fs::write(item.join("2026-11-20-通知.md"), "+++\ntitle = \"停水通知\"\n+++\n").unwrap();
    std::fs::write(item.join("图.jpg"), &good_jpg[..good_jpg.len() / 3]).unwrap();
    std::fs::write(item.join("价格.csv"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff").unwrap();
    let (site, problems) = content::load_with(dir.path(), &last);
    let item_now = &site.columns[0].items[0];
    let mut titles: Vec<&str> = item_now.docs.iter().map(|d| d.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["价格", "停水通知", "配图"], "{problems:#?}");
    let notice = item_now.docs.iter().find(|d| d.title == "停水通知").unwrap();
    assert_eq!(notice.blocks().len(), 1, "the last good text, not an empty one");
    let figure = item_now.docs.iter().find(|d| d.title == "配图").unwrap();
    assert!(figure.blocks().iter().any(|b| matches!(b, content::Block::Image { .. })), "the last good picture");
    assert_eq!(problems.len(), 3, "{problems:#?}");
    for p in &problems {
        assert!(p.last_good, "{p:#?}");
        assert!(p.to_string().contains("上一次的正确内容") && p.to_string().contains("last good"), "{p}");
    }

    // Removed files are gone, not kept.
    last.remember(&site);
    std::fs::remove_file(item.join("2026-11-20-通知.md")).unwrap();
    let (site, _) = content::load_with(dir.path(), &last);
    assert!(site.columns[0].items[0].docs.iter().all(|d| d.title != "停水通知"));

    // A file that never loaded has nothing to keep.
    let fresh = channel(&[("坏.md", b"+++\ntitle = 1\n+++\n")]);
    let (site, problems) = content::load_with(fresh.path(), &last);
    assert!(site.columns[0].items[0].docs.is_empty());
    assert!(problems.iter().all(|p| !p.last_good), "{problems:#?}");
}

#[test]
fn publish_and_expiry_follow_the_clock_not_file_events() {
    use infotv::pipeline::Renderer;
    let dir = channel(&[
        ("2026-11-20-常驻.md", "一直都在。\n".as_bytes()),
        ("2026-11-27-早八点发布.md", "+++\npublish = 2026-11-28 08:00\n+++\n八点见。\n".as_bytes()),
        ("2026-11-27-午夜撤下.md", "+++\nexpires = \"2026-11-28\"\n+++\n午夜前有效。\n".as_bytes()),
    ]);
    let renderer = Renderer::new(dir.path(), common::fonts());
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    // The clock stands still at each instant; no file changes in between.
    let on_air = |now: &str| {
        let (generation, _) = renderer.render_at("clock", Some(at(now)), true);
        let generation = generation.unwrap();
        let graph: serde_json::Value = serde_json::from_slice(&generation.profiles["sd"].graph_json).unwrap();
        let mut titles: Vec<String> = graph["screens"]
            .as_object()
            .unwrap()
            .values()
            .filter(|s| s["kind"] == "article")
            .map(|s| s["title"].as_str().unwrap().to_string())
            .collect();
        titles.sort();
        titles.dedup();
        (titles, generation.next_change)
    };
    let (titles, next) = on_air("2026-11-27T23:59:59+08:00");
    assert_eq!(titles, ["午夜撤下", "常驻"]);
    assert_eq!(next, Some(at("2026-11-28T00:00:00+08:00")), "the watcher wakes for the expiry");
    let (titles, next) = on_air("2026-11-28T00:00:00+08:00");
    assert_eq!(titles, ["常驻"]);
    assert_eq!(next, Some(at("2026-11-28T08:00:00+08:00")));
    let (titles, _) = on_air("2026-11-28T07:59:59+08:00");
    assert_eq!(titles, ["常驻"]);
    let (titles, next) = on_air("2026-11-28T08:00:00+08:00");
    assert_eq!(titles, ["常驻", "早八点发布"]);
    assert_eq!(next, None);
}

/// A minimal .xlsx holding `cells` (reference, inline text) on its one sheet.
fn xlsx(cells: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default();
    let mut part = |name: &str, body: String| {
        zip.start_file(name, opts).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    part("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.into());
    part("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into());
    part("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.into());
    part("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.into());
    let mut rows: std::collections::BTreeMap<u32, String> = Default::default();
    for (at, text) in cells {
        let digits = at.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        rows.entry(digits.parse().unwrap())
            .or_default()
            .push_str(&format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#));
    }
    let body: String = rows.iter().map(|(r, cs)| format!(r#"<row r="{r}">{cs}</row>"#)).collect();
    part(
        "xl/worksheets/sheet1.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>"#
        ),
    );
    zip.finish().unwrap();
    out.into_inner()
}

#[test]
fn a_stray_cell_far_away_cannot_exhaust_memory() {
    let book = xlsx(&[("B2", "品名"), ("C2", "价格"), ("B3", "土豆"), ("C3", "1.2"), ("XFD1048576", "误输入")]);
    let dir = channel(&[("价格.xlsx", &book)]);
    let (site, problems) = content::load(dir.path());
    let content::Body::Table(tables) = &site.columns[0].items[0].docs[0].body else { panic!("not a table") };
    let table = &tables[0];
    assert_eq!(table.header, ["品名", "价格"]);
    assert_eq!(table.rows, [["土豆", "1.2"]]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].zh.contains("超过 20000 行"), "{problems:#?}");
}

#[test]
fn a_servers_pictures_live_in_its_spool_until_nothing_uses_them() {
    let grass = std::fs::read(common::fixture("kinds/02-图集/01-照片/01-草地.jpg")).unwrap();
    let upright = std::fs::read(common::fixture("kinds/02-图集/01-照片/02-竖拍.jpg")).unwrap();
    let dir = channel(&[("图.jpg", &grass), ("2026-11-21-配图.md", "见图。\n\n![图](图.jpg)\n".as_bytes())]);
    let item = dir.path().join("01-栏目/01-子项");
    let spool = tempfile::tempdir().unwrap();
    let spooled = || {
        let mut names: Vec<String> =
            std::fs::read_dir(spool.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    };
    let mut last = content::LastGood::with_spool(spool.path());
    let (site, problems) = content::load_with(dir.path(), &last);
    assert!(problems.is_empty(), "{problems:#?}");
    last.remember(&site);
    let first = site.columns[0].items[0].pictures[0].1.clone();
    // One copy named by its hash, read back whole.
    assert_eq!(spooled(), std::slice::from_ref(&first.hash));
    assert_eq!(&*first.bytes().unwrap(), &grass[..]);

    // Staff break the picture: its last good version stands in, and its
    // bytes are still there to draw, from the spool.
    std::fs::write(item.join("图.jpg"), &grass[..grass.len() / 3]).unwrap();
    let (site, problems) = content::load_with(dir.path(), &last);
    assert!(problems.iter().any(|p| p.last_good && p.path.ends_with("图.jpg")), "{problems:#?}");
    let standing = site.columns[0].items[0].pictures[0].1.clone();
    assert_eq!(standing.hash, first.hash);
    assert_eq!(&*standing.bytes().unwrap(), &grass[..]);
    last.remember(&site);
    assert_eq!(spooled(), std::slice::from_ref(&first.hash), "what stands in stays");

    // Another picture in its place: it is spooled, and the old copy swept.
    std::fs::write(item.join("图.jpg"), &upright).unwrap();
    let (site, problems) = content::load_with(dir.path(), &last);
    assert!(problems.is_empty(), "{problems:#?}");
    last.remember(&site);
    let second = site.columns[0].items[0].pictures[0].1.clone();
    assert_ne!(second.hash, first.hash);
    assert_eq!(spooled(), std::slice::from_ref(&second.hash));
    assert_eq!(&*second.bytes().unwrap(), &upright[..]);
    assert!(first.bytes().is_none(), "a swept copy is gone");

    // A copy damaged on disk is refused, not drawn as something else.
    std::fs::write(spool.path().join(&second.hash), &grass).unwrap();
    assert!(second.bytes().is_none());
}
