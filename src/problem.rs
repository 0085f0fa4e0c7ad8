//! A problem is something in the channel folder that could not be used as is.
//!
//! Problems are reports, never errors that stop a render: the loader and the
//! layout return them beside their result so one bad file never takes the
//! channel off the air.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One thing wrong with one file, worded for the content staff who fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Problem {
    /// Path relative to the channel folder, with `/` separators.
    pub path: String,
    /// 1-based line in the file where that applies.
    pub line: Option<u32>,
    /// The reason in Chinese: the staff's language.
    pub zh: String,
    /// The same reason in English, for operators and logs.
    pub en: String,
    /// What to do about it, in Chinese.
    pub hint_zh: String,
    /// What to do about it, in English.
    pub hint_en: String,
    /// Whether the file's last good version is still on air in its place.
    pub last_good: bool,
}

impl Default for Problem {
    fn default() -> Problem {
        Problem::new("", "", "")
    }
}

impl Problem {
    /// A problem with its reason; give it a [`hint`](Problem::hint) too.
    pub fn new(path: impl Into<PathBuf>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem {
            path: slash_path(&path.into()),
            line: None,
            zh: zh.into(),
            en: en.into(),
            hint_zh: String::new(),
            hint_en: String::new(),
            last_good: false,
        }
    }

    pub(crate) fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    /// How the staff fix it, in both languages.
    pub fn hint(mut self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.hint_zh = zh.into();
        self.hint_en = en.into();
        self
    }

    /// The reason as staff read it, with the last-good note when it applies.
    pub(crate) fn zh_full(&self) -> String {
        if self.last_good {
            format!("{}；电视上仍播出此文件上一次的正确内容", self.zh)
        } else {
            self.zh.clone()
        }
    }

    /// The reason in English, with the last-good note when it applies.
    pub(crate) fn en_full(&self) -> String {
        if self.last_good {
            format!("{}; its last good version stays on air", self.en)
        } else {
            self.en.clone()
        }
    }
}

/// A relative path as problems show it: `/` separators on every system.
pub(crate) fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

impl fmt::Display for Problem {
    /// `path:line: 中文原因 (english reason) 提示：… (hint: …)`, the shape
    /// compilers and grep use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {} ({})", self.path, line, self.zh_full(), self.en_full())?,
            None => write!(f, "{}: {} ({})", self.path, self.zh_full(), self.en_full())?,
        }
        if !self.hint_zh.is_empty() {
            write!(f, " 提示：{} (hint: {})", self.hint_zh, self.hint_en)?;
        }
        Ok(())
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() as u32 + 1
}

/// Turns a TOML parse error into a problem at the right line of `path`,
/// `line_offset` lines below the start of the file.
pub(crate) fn toml_problem(path: &str, text: &str, err: &toml::de::Error, line_offset: u32) -> Problem {
    let message = err.message().trim().to_string();
    let problem = Problem::new(path, format!("TOML 格式错误：{message}"), format!("invalid TOML: {message}"));
    let problem = if message.contains("date") || message.contains("time") {
        problem.hint(
            "日期写成 2026-11-20，时间写成 2026-11-20 08:00:00，月和日都用两位数",
            "dates are 2026-11-20, times 2026-11-20 08:00:00, with two-digit months and days",
        )
    } else {
        problem.hint(
            "每行写成 名称 = 值；文字两边加英文双引号，例如 title = \"万源\"",
            "each line is name = value; text goes in double quotes, e.g. title = \"万源\"",
        )
    };
    match err.span() {
        Some(span) => problem.at_line(line_of(text, span.start) + line_offset),
        None => problem,
    }
}
