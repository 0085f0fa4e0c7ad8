//! 查询's own screens in every generation: where typing starts (`search`)
//! and what a box is shown when search cannot answer (`search-down`: the
//! origin is away, or an edge serves a static export). Results are made at
//! request time, from [`Spec`]s built by `crate::search`.

use super::frame::Frame;
use super::menu::{self, Spec};
use super::{Key, Kind, Screen, Target, HOME};

/// The longest query: twelve digits.
pub const MAX_DIGITS: usize = 12;

/// The id of the screen typing starts on.
pub const SEARCH: &str = "search";
/// The id of the screen shown when search cannot answer.
pub const SEARCH_DOWN: &str = "search-down";

/// The id of the results of `digits` (`search` when there are none).
pub fn search_id(digits: &str) -> String {
    if digits.is_empty() {
        SEARCH.to_string()
    } else {
        format!("{SEARCH}-{digits}")
    }
}

/// The keys of a search screen for typed `digits`: each digit types one
/// more (up to `max`), left takes the last one back.
pub fn typing_keys(digits: &str, max: usize) -> Vec<(Key, Target)> {
    let mut keys = Vec::new();
    if digits.len() < max {
        for d in 0..10u8 {
            keys.push((Key::Digit(d), Target::new(search_id(&format!("{digits}{d}")), 0)));
        }
    }
    if !digits.is_empty() {
        keys.push((Key::Left, Target::new(search_id(&digits[..digits.len() - 1]), 0)));
    }
    keys
}

/// The two screens: where typing starts, and search unavailable.
pub(super) fn screens(frame: &Frame) -> Vec<Screen> {
    let accent = frame.theme().focus_frame;
    let spec = |base: &str, lead: Vec<(String, bool)>, extra_keys, empty| Spec {
        base: base.to_string(),
        kind: Kind::Search,
        title: "查询".to_string(),
        crumbs: vec!["查询".to_string()],
        parent: Some(Target::new(HOME, 0)),
        accent,
        columns: 1,
        rows: 1,
        entries: vec![],
        extra_keys,
        empty,
        lead,
    };
    let keypad = "2 abc　3 def　4 ghi　5 jkl　6 mno　7 pqrs　8 tuv　9 wxyz".to_string();
    let start = spec(
        SEARCH,
        vec![
            ("请用数字键输入拼音首字母".to_string(), true),
            ("例：低保公示 = d b g s = 3 2 4 7；拼全也可以：dibao = 3 4 2 2 6".to_string(), false),
            (keypad, false),
        ],
        typing_keys("", MAX_DIGITS),
        "按数字键开始查询",
    );
    let down = spec(
        SEARCH_DOWN,
        vec![("查询暂不可用".to_string(), true), ("请稍后再试；也可以按返回，直接输入三位页码".to_string(), false)],
        vec![],
        "查询暂不可用",
    );
    [start, down].into_iter().flat_map(|s| menu::screens(frame, s)).collect()
}
