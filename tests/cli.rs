//! The command line: `infotv check` for staff and content CI, `infotv render
//! --out` for a static export.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;

fn infotv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_infotv")).current_dir(common::root()).args(args).output().unwrap()
}

#[test]
fn check_reports_by_file_and_fails_on_problems() {
    let bad = common::fixture("bad-files");
    let out = infotv(&["check", "--channels", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("01-栏目/01-子项/2026-11-02-坏前言.md\n  第 3 行：TOML 格式错误"), "{text}");
    assert!(text.contains("孤立文件.txt\n"), "{text}");
    // Each problem says what to do about it.
    assert!(text.contains("    提示：在 Word 或 WPS 中选“另存为”，保存类型选 .docx\n    hint: "), "{text}");
    assert!(text.contains("9 个问题，涉及 9 个文件"), "{text}");

    let out = infotv(&["check"]);
    assert_eq!(out.status.code(), Some(0), "the shipped channel is clean: {}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("没有发现问题：9 个栏目"));
}

#[test]
fn render_writes_an_export_that_mirrors_the_url_space() {
    let out_dir = tempfile::tempdir().unwrap();
    let basic = common::fixture("basic");
    let out = infotv(&["render", "--channels", basic.to_str().unwrap(), "--out", out_dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for profile in ["sd", "hd"] {
        let graph: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out_dir.path().join(format!("api/v1/{profile}/graph.json"))).unwrap(),
        )
        .unwrap();
        for (id, screen) in graph["screens"].as_object().unwrap() {
            assert!(out_dir.path().join(format!("tv/{profile}/{id}.html")).exists());
            for state in screen["states"].as_array().unwrap() {
                let image = state["image"].as_str().unwrap().trim_start_matches('/');
                assert!(out_dir.path().join(image).exists(), "{image}");
            }
        }
    }
    assert!(out_dir.path().join("index.html").exists());
}

/// An export over an earlier one (an edge node's folder, refreshed after an
/// edit) ends the same as a fresh export: changed files replaced, a picture
/// a killed export cut short written again, nothing left half-done.
#[test]
fn render_over_an_earlier_export_ends_as_a_fresh_one() {
    let channel = common::copy_fixture("basic");
    let earlier = tempfile::tempdir().unwrap();
    let render = |out: &std::path::Path| {
        let out = infotv(&["render", "--channels", channel.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    render(earlier.path());
    // A killed export left a picture short and a screen text half written.
    let pictures: Vec<_> = common::files_under(&earlier.path().join("a"));
    let cut = pictures.iter().max_by_key(|p| std::fs::metadata(p).unwrap().len()).unwrap();
    let whole = std::fs::read(cut).unwrap();
    std::fs::write(cut, &whole[..whole.len() / 2]).unwrap();
    let texts = common::files_under(&earlier.path().join("api/v1/sd/screens"));
    std::fs::write(&texts[0], "{\"half").unwrap();
    // Then staff edited an article.
    let article = channel.path().join("01-第一栏目/02-乙项/2026-11-20-较新的消息.md");
    std::fs::write(&article, "改过的正文。").unwrap();

    render(earlier.path());
    let fresh = tempfile::tempdir().unwrap();
    render(fresh.path());
    let mut compared = 0;
    for file in common::files_under(fresh.path()) {
        let relative = file.strip_prefix(fresh.path()).unwrap();
        let again = std::fs::read(earlier.path().join(relative)).unwrap();
        let fresh = std::fs::read(&file).unwrap();
        if relative.ends_with("api/v1/generation.json") {
            // The build's day may turn between the two renders.
            let [again, fresh] = [again, fresh].map(|b| {
                let mut polled: serde_json::Value = serde_json::from_slice(&b).unwrap();
                let built = polled["built"].take().as_i64().unwrap();
                assert_eq!(built % 86_400_000, 0, "the build's day: {built}");
                polled
            });
            assert_eq!(again, fresh, "the polled generation differs from a fresh export");
        } else {
            assert!(again == fresh, "{} differs from a fresh export", relative.display());
        }
        compared += 1;
    }
    assert!(compared > 20, "{compared}");
    assert_eq!(std::fs::read(cut).unwrap(), whole, "the cut picture is whole again");
    let everything = common::files_under(earlier.path());
    assert!(
        everything.iter().all(|p| p.extension().is_none_or(|e| e != "part" && e != "tmp")),
        "no file left beside its name"
    );
    let texts: String = everything
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(texts.contains("改过的正文"), "the edit is in the export");
}
