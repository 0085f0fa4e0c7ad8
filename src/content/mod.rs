//! Files to site model: walks a channel folder by the conventions of DESIGN.md.
//!
//! Loading never stops at the first bad file: [`load`] returns the site *and*
//! the problems, and every file it cannot use is skipped with a problem naming
//! the file, the line where it applies, and the reason.

pub mod article;
pub mod biff;
pub mod checks;
pub mod docx;
pub mod fields;
pub mod names;
pub mod numfmt;
pub mod ods;
pub mod package;
pub mod pdf;
pub mod photo;
pub mod poll;
pub mod sheet;
pub mod table;
pub mod text;
pub mod workbook;
pub mod xlsx;

mod checking;
mod files;
mod lastgood;
mod model;
mod read;
mod walk;

use std::fs;
use std::path::Path;

use self::read::{list_dir, read_text};
use crate::config::{parse_site, SiteConfig};
use crate::confined::Root;
use crate::problem::Problem;
pub use crate::registry::Registry;
pub use article::{Block, Span};
pub use lastgood::LastGood;
pub use model::{Alert, Body, Column, Doc, Item, Photo, Site, Sort};
pub use photo::ImageData;
pub use table::Table;
pub(crate) use walk::music_name;
use walk::{is_root_file, load_alert, load_column, load_registry};

/// Loads the channel at `root`. Never fails: an unreadable root is a problem
/// and an empty site.
pub fn load(root: &Path) -> (Site, Vec<Problem>) {
    load_with(root, &LastGood::default())
}

/// Loads the channel at `root`, standing in the `last` good version of each
/// file that fails to load.
pub fn load_with(root: &Path, last: &LastGood) -> (Site, Vec<Problem>) {
    let root = &Root::new(root);
    let mut problems = Vec::new();
    let (config, config_ok) = match read_text(root, Path::new("site.toml"), &mut problems) {
        Some(text) => {
            let (config, site_problems) = parse_site("site.toml", &text);
            let ok = site_problems.is_empty();
            problems.extend(site_problems);
            (config, ok)
        }
        None => (SiteConfig::default(), !root.join("site.toml").exists()),
    };
    last.set_context(&config);
    let mut config = config;
    load_registry(root, &mut config, &mut problems);
    let alert = load_alert(root, &config, &mut problems);
    let mut site = Site { config, config_ok, columns: Vec::new(), unavailable: None, alert, tally: Default::default() };
    let entries = match fs::read_dir(root) {
        Ok(_) => list_dir(root, Path::new(""), &mut problems),
        Err(err) => {
            problems.push(
                Problem::new(
                    "",
                    format!("频道文件夹 {} 无法打开：{err}", root.display()),
                    format!("the channel folder {} cannot be opened: {err}", root.display()),
                )
                .hint(
                    "检查共享盘是否已连接、文件夹是否被移走；恢复后电视会自动更新，期间继续播出上一版",
                    "check that the share is mounted and the folder was not moved; the last good channel stays on air meanwhile",
                ),
            );
            None
        }
    };
    let Some(entries) = entries else {
        site.unavailable = Some(format!("频道文件夹 {} 无法打开", root.display()));
        return (site, problems);
    };
    for entry in entries {
        if entry.is_dir {
            if let Some(column) = load_column(root, &entry, &site.config, last, &mut problems) {
                site.columns.push(column);
            }
        } else if !is_root_file(&entry.name, &site.config) {
            problems.push(
                Problem::new(
                    &entry.path,
                    "频道根目录只放栏目文件夹和 site.toml，此文件已忽略",
                    "only column folders and site.toml belong at the top of the channel; file ignored",
                )
                .hint(
                    "把文章放进某个栏目下的子栏目文件夹，例如“01-要闻速递/01-时政要闻”",
                    "move it into a sub-item folder, e.g. 01-要闻速递/01-时政要闻",
                ),
            );
        }
    }
    if site.columns.is_empty() {
        // An unmounted share leaves an empty mount point behind: a channel
        // without a single column is never what staff meant to put on air.
        site.unavailable = Some(format!("频道文件夹 {} 里没有任何栏目", root.display()));
        problems.push(
            Problem::new("", "频道文件夹里没有任何栏目文件夹", "the channel folder holds no column folders").hint(
                "检查共享盘是否已连接；若是新频道，请先建一个栏目文件夹，例如“01-要闻速递”",
                "check that the share is mounted; for a new channel, make a column folder such as 01-要闻速递",
            ),
        );
    }
    (site, problems)
}
