//! The loader against fixture channels: conventions and bad files.
#![allow(clippy::unwrap_used)]

mod common;

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
    assert!(find("01-栏目/01-子项/旧格式.doc")[0].zh.contains(".docx"));
    assert!(find("01-栏目/01-子项/乱码.txt")[0].zh.contains("编码"));
    assert_eq!(find("01-栏目/01-子项/item.toml")[0].line, Some(1));
    assert!(find("01-栏目/column.toml")[0].zh.contains("颜色"));
    assert!(!find("01-栏目/放错位置.md").is_empty());
    assert!(!find("孤立文件.txt").is_empty());
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
