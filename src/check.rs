//! `infotv check`: the channel's problems as a report for content staff and
//! content CI, grouped by file.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::content;
use crate::fonts::Fonts;
use crate::layout;
use crate::problem::Problem;

/// Everything wrong with the channel at `root`: loading, fonts, and layout on
/// every profile (nothing is rasterised).
pub fn problems(root: &Path, fonts: &Fonts) -> (content::Site, Vec<Problem>) {
    let (site, mut problems) = content::load(root);
    problems.extend(layout::site_problems(&site, fonts, None));
    let now = chrono::Utc::now().with_timezone(&site.config.time_zone);
    for profile in &site.config.profiles {
        problems.extend(layout::screens(&site, &layout::Context { fonts, profile, now, memo: None }).1);
    }
    (site, problems)
}

/// The report: one block per file, problems in line order, then a summary.
pub fn report(site: &content::Site, problems: &[Problem]) -> String {
    let mut out = String::new();
    let mut by_file: BTreeMap<&str, Vec<&Problem>> = BTreeMap::new();
    for p in problems {
        by_file.entry(p.path.as_str()).or_default().push(p);
    }
    for (file, list) in &mut by_file {
        list.sort_by_key(|p| p.line);
        let _ = writeln!(out, "{file}");
        for p in list.iter() {
            let (zh, en) = (p.zh_full(), p.en_full());
            match p.line {
                Some(line) => {
                    let _ = writeln!(out, "  第 {line} 行：{zh}\n    line {line}: {en}");
                }
                None => {
                    let _ = writeln!(out, "  {zh}\n    {en}");
                }
            }
            if !p.hint_zh.is_empty() {
                let _ = writeln!(out, "    提示：{}\n    hint: {}", p.hint_zh, p.hint_en);
            }
        }
    }
    let items: usize = site.columns.iter().map(|c| c.items.len()).sum();
    let docs: usize = site.all_items().iter().map(|i| i.docs.len() + i.photos.len()).sum();
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "没有发现问题：{} 个栏目，{items} 个子栏目，{docs} 个文件。\nno problems: {} columns, {items} sub-items, {docs} files.",
            site.columns.len(),
            site.columns.len()
        );
    } else {
        let _ = writeln!(
            out,
            "\n{} 个问题，涉及 {} 个文件；其余内容照常播出。\n{} problems in {} files; everything else goes on air.",
            problems.len(),
            by_file.len(),
            problems.len(),
            by_file.len()
        );
    }
    out
}
