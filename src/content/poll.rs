//! Polls: `*.poll.toml` in a sub-item. One screen a question, choices
//! picked with the digits 1–9 (or arrows and OK), so a question has 2 to 9
//! choices; the results are shown after answering, only once the poll has
//! closed, or never. Everything wrong is a problem naming file and line.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::problem::toml_problem;
use crate::problem::Problem;

use super::fields::to_datetime;

/// When households see the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Results {
    /// After answering (the default).
    #[default]
    After,
    /// Only once the poll has closed.
    Closed,
    Never,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub text: String,
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    pub title: String,
    pub closes: Option<DateTime<FixedOffset>>,
    pub results: Results,
    pub questions: Vec<Question>,
}

impl Poll {
    /// Whether answers are taken at `now`.
    pub(crate) fn open_at(&self, now: DateTime<FixedOffset>) -> bool {
        self.closes.is_none_or(|c| now < c)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    title: Option<String>,
    closes: Option<toml::Value>,
    results: Option<String>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    text: Option<String>,
    #[serde(default)]
    choices: Vec<String>,
}

/// Per poll (by key): how many boxes chose each choice of each question,
/// and how many boxes answered. Filled from the store before layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub polls: std::collections::HashMap<String, PollCount>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollCount {
    pub counts: Vec<Vec<u64>>,
    pub boxes: u64,
}

/// Most choices a question may have: the digits 1–9.
pub const MAX_CHOICES: usize = 9;
/// Most questions a poll may have: each is a screen, answered in one go.
pub const MAX_QUESTIONS: usize = 10;

/// Parses a poll file; `None` (with problems) when it cannot be shown.
pub fn parse(path: &str, text: &str, zone: FixedOffset) -> (Option<Poll>, Vec<Problem>) {
    let mut problems = Vec::new();
    let raw: RawPoll = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => return (None, vec![toml_problem(path, text, &e, 0)]),
    };
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).map_or(1, |i| i as u32 + 1);
    let bad = |line: u32, zh: String, en: String, hint: (&str, &str)| {
        Problem::new(path, zh, en).at_line(line).hint(hint.0, hint.1)
    };
    let title = raw.title.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let Some(title) = title else {
        let p = bad(
            1,
            "问卷缺少标题".into(),
            "the poll has no title".into(),
            ("第一行写 title = \"问卷的名称\"", "start with title = \"the poll's name\""),
        );
        return (None, vec![p]);
    };
    let closes = match &raw.closes {
        None => None,
        Some(v) => match to_datetime(v, zone) {
            Some(t) => Some(t),
            None => {
                problems.push(bad(
                    line("closes"),
                    "截止时间无法识别，问卷按不截止处理".into(),
                    "closes is not a time; the poll does not close".into(),
                    ("写成 closes = 2027-01-31T18:00:00+08:00", "write closes = 2027-01-31T18:00:00+08:00"),
                ));
                None
            }
        },
    };
    let results = results_of(raw.results.as_deref(), line("results"), path);
    problems.extend(results.1);
    let results = results.0;
    let mut questions = Vec::new();
    for (i, q) in raw.questions.into_iter().enumerate() {
        let n = i + 1;
        let text_line = line(q.text.as_deref().unwrap_or("[[questions]]"));
        let Some(qtext) = q.text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
            problems.push(bad(
                text_line,
                format!("第 {n} 题缺少题目，已跳过"),
                format!("question {n} has no text; skipped"),
                ("在 [[questions]] 下写 text = \"题目\"", "write text = \"…\" under [[questions]]"),
            ));
            continue;
        };
        let choices: Vec<String> =
            q.choices.into_iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
        if !(2..=MAX_CHOICES).contains(&choices.len()) {
            problems.push(bad(
                text_line,
                format!("第 {n} 题有 {} 个选项，应为 2 到 {MAX_CHOICES} 个（遥控器数字键 1–9），已跳过", choices.len()),
                format!(
                    "question {n} has {} choices; 2 to {MAX_CHOICES} are possible (digits 1–9); skipped",
                    choices.len()
                ),
                ("写成 choices = [\"选项一\", \"选项二\"]", "write choices = [\"one\", \"two\"]"),
            ));
            continue;
        }
        questions.push(Question { text: qtext, choices });
    }
    if questions.len() > MAX_QUESTIONS {
        problems.push(bad(
            1,
            format!("问卷有 {} 题，只显示前 {MAX_QUESTIONS} 题", questions.len()),
            format!("the poll has {} questions; the first {MAX_QUESTIONS} are shown", questions.len()),
            ("用遥控器答题，题目宜少；可拆成两份问卷", "answering with a remote is slow: split it into two polls"),
        ));
        questions.truncate(MAX_QUESTIONS);
    }
    if questions.is_empty() {
        problems.push(bad(
            1,
            "问卷没有可用的题目".into(),
            "the poll has no usable question".into(),
            ("加一段 [[questions]]，写 text 和 choices", "add a [[questions]] with text and choices"),
        ));
        return (None, problems);
    }
    (Some(Poll { title, closes, results, questions }), problems)
}

/// `results = …`: when households see the results; what is not known is a
/// problem on `at`, and the default stands.
fn results_of(raw: Option<&str>, at: u32, path: &str) -> (Results, Option<Problem>) {
    match raw.map(str::trim) {
        None | Some("after") => (Results::After, None),
        Some("closed") => (Results::Closed, None),
        Some("never") => (Results::Never, None),
        Some(other) => {
            let p = Problem::new(
                path,
                format!("results = \"{other}\" 无法识别，按答后显示处理"),
                format!("results = {other:?} is not known; results are shown after answering"),
            )
            .at_line(at)
            .hint(
                "写 \"after\"（答后显示）、\"closed\"（截止后显示）或 \"never\"（不显示）",
                "use \"after\", \"closed\" or \"never\"",
            );
            (Results::After, Some(p))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn a_poll_parses_with_its_questions() {
        let text = "title = \"城区公交线路调整意见征集\"\ncloses = 2027-01-31T18:00:00+08:00\nresults = \"after\"\n\n[[questions]]\ntext = \"您最常乘坐哪条线路？\"\nchoices = [\"1路\", \"2路\", \"3路\", \"都不坐\"]\n\n[[questions]]\ntext = \"末班车应延长到几点？\"\nchoices = [\"21点\", \"22点\"]\n";
        let (poll, problems) = parse("a/b.poll.toml", text, zone());
        assert!(problems.is_empty(), "{problems:?}");
        let poll = poll.unwrap();
        assert_eq!(poll.questions.len(), 2);
        assert_eq!(poll.questions[0].choices[3], "都不坐");
        assert!(poll.open_at(DateTime::parse_from_rfc3339("2027-01-31T17:59:59+08:00").unwrap()));
        assert!(!poll.open_at(DateTime::parse_from_rfc3339("2027-01-31T18:00:00+08:00").unwrap()));
    }

    #[test]
    fn bad_polls_say_where() {
        let (p, problems) = parse("x.poll.toml", "[[questions]]\ntext = \"q\"\nchoices = [\"a\", \"b\"]\n", zone());
        assert!(p.is_none() && problems[0].zh.contains("缺少标题"));
        let text = "title = \"t\"\nresults = \"sometimes\"\n[[questions]]\ntext = \"只有一个选项\"\nchoices = [\"是\"]\n[[questions]]\ntext = \"好\"\nchoices = [\"是\", \"否\"]\n";
        let (p, problems) = parse("x.poll.toml", text, zone());
        assert_eq!(p.unwrap().questions.len(), 1);
        assert!(problems.iter().any(|p| p.zh.contains("sometimes") && p.line == Some(2)));
        assert!(problems.iter().any(|p| p.zh.contains("1 个选项") && p.line == Some(4)));
        let ten: String = (1..=10).map(|i| format!("\"{i}\",")).collect();
        let (_, problems) =
            parse("x.poll.toml", &format!("title = \"t\"\n[[questions]]\ntext = \"q\"\nchoices = [{ten}]\n"), zone());
        assert!(problems.iter().any(|p| p.zh.contains("10 个选项")));
        let (p, problems) = parse("x.poll.toml", "title = \"t\"\nquestion = 1\n", zone());
        assert!(p.is_none() && problems[0].line == Some(2), "{problems:?}");
    }
}
