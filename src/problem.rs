//! A problem is something in the channel folder that could not be used as is.
//!
//! Problems are reports, never errors that stop a render: the loader and the
//! layout return them beside their result so one bad file never takes the
//! channel off the air.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One thing wrong with one file, worded for the content staff who fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path relative to the channel folder, with `/` separators.
    pub path: String,
    /// 1-based line in the file where that applies.
    pub line: Option<u32>,
    /// The reason in Chinese: the staff's language.
    pub zh: String,
    /// The same reason in English, for operators and logs.
    pub en: String,
}

impl Problem {
    pub fn new(path: impl Into<PathBuf>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem { path: slash_path(&path.into()), line: None, zh: zh.into(), en: en.into() }
    }

    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }
}

/// A relative path as problems show it: `/` separators on every system.
pub fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

impl fmt::Display for Problem {
    /// `path:line: 中文原因 (english reason)`, the shape compilers and grep use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {} ({})", self.path, line, self.zh, self.en),
            None => write!(f, "{}: {} ({})", self.path, self.zh, self.en),
        }
    }
}
