//! The content checks on a real server: a 低保 list with real-format ID,
//! mobile and bank card numbers shows only masked forms on every screen,
//! text JSON and shell of both profiles; `block` withholds the file and
//! keeps its last good version on air; banned wording withholds, misused
//! wording is reported with its line; `infotv check` says so and exits 1 on
//! a withheld file; and nothing is flagged in the shipped channel or in a
//! corpus of look-alike lines, while every real number in a generated
//! corpus is.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{wait_for, Server};
use infotv::content::checks::{scan, Kind};

/// A resident ID number with a valid check digit.
fn id(prefix17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = prefix17.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{prefix17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A card number passing Luhn.
fn card(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|c| {
            let sum: u32 = c
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let x = u32::from(b - b'0');
                    if i % 2 == 1 {
                        if x * 2 > 9 {
                            x * 2 - 9
                        } else {
                            x * 2
                        }
                    } else {
                        x
                    }
                })
                .sum();
            sum.is_multiple_of(10)
        })
        .unwrap()
}

struct Person {
    name: &'static str,
    id: String,
    mobile: &'static str,
    card: String,
}

fn people() -> Vec<Person> {
    vec![
        Person {
            name: "王大山", id: id("51172219580312001"), mobile: "13881812345", card: card("622848046802123456")
        },
        Person {
            name: "李秀英", id: id("51172219620715002"), mobile: "15908276543", card: card("621700234500012345")
        },
        Person {
            name: "张德全", id: id("51172219451101003"), mobile: "18281890012", card: card("622202230400567890")
        },
    ]
}

fn dibao_csv(people: &[Person]) -> String {
    let mut csv = "姓名,身份证号,联系电话,银行卡号,保障人数,月保障金(元)\n".to_string();
    for (i, p) in people.iter().enumerate() {
        csv.push_str(&format!("{},{},{},{},{},{}\n", p.name, p.id, p.mobile, p.card, i + 2, 450 + 30 * i));
    }
    csv
}

/// Every text the boxes can get for the server's screens, both profiles.
fn everything_served(server: &Server) -> String {
    let mut all = String::new();
    for profile in ["sd", "hd"] {
        let graph = server.get(&format!("/api/v1/{profile}/graph.json")).text();
        all.push_str(&graph);
        let graph: serde_json::Value = serde_json::from_str(&graph).unwrap();
        for id in graph["screens"].as_object().unwrap().keys() {
            all.push_str(&server.get(&format!("/api/v1/{profile}/screens/{id}.json")).text());
            all.push_str(&server.get(&format!("/tv/{profile}/{id}.html")).text());
        }
    }
    all
}

#[test]
fn a_dibao_list_shows_only_masked_numbers_on_every_screen() {
    let channels = common::copy_fixture("basic");
    let item = channels.path().join("01-第一栏目/03-低保公示");
    std::fs::create_dir_all(&item).unwrap();
    let people = people();
    std::fs::write(item.join("2026-11-低保名单.csv"), dibao_csv(&people)).unwrap();
    let server = Server::start(channels.path());
    let all = everything_served(&server);
    assert!(all.contains("王大山"), "the list is on air");
    for p in &people {
        for raw in [p.id.as_str(), p.mobile, p.card.as_str()] {
            assert!(!all.contains(raw), "{raw} reaches the boxes");
        }
        let masked_id = format!("{}********{}", &p.id[..6], &p.id[14..]);
        assert!(all.contains(&masked_id), "{masked_id}");
        assert!(all.contains(&format!("{}****{}", &p.mobile[..3], &p.mobile[7..])));
        assert!(all.contains(&format!("**** {}", &p.card[p.card.len() - 4..])));
    }
    // Each finding is a problem with file and row.
    let problems = server.station.log.history().last().unwrap().problems.clone();
    let found: Vec<_> = problems.iter().filter(|p| p.path.ends_with("低保名单.csv")).collect();
    assert_eq!(found.len(), 9, "{found:?}");
    assert!(found.iter().any(|p| p.line == Some(2) && p.zh.contains("身份证号")));
    assert!(found.iter().all(|p| !p.last_good), "masked, not withheld");
    // The broadcast loop plays these same pictures.
    let g = server.station.on_air.current().unwrap();
    let plan = g.broadcast.as_ref().map(|p| format!("{p:?}")).unwrap_or_default();
    for p in &people {
        assert!(!plan.contains(&p.id));
    }
}

#[test]
fn block_mode_withholds_the_file_and_keeps_its_last_good_version() {
    let channels = common::copy_fixture("basic");
    let site = channels.path().join("site.toml");
    let toml = std::fs::read_to_string(&site).unwrap();
    std::fs::write(&site, format!("{toml}\n[review]\nprivacy = \"block\"\nbanned = [\"内部资料\"]\n[review.corrections]\n\"再接再励\" = \"再接再厉\"\n")).unwrap();
    let item = channels.path().join("01-第一栏目/01-甲项");
    let file = item.join("2026-11-25-名单.md");
    std::fs::write(&file, "# 救助名单\n\n本月救助对象共三户。\n").unwrap();
    let server = Server::start(channels.path());
    let graph = server.get("/api/v1/sd/graph.json").text();
    assert!(graph.contains("救助名单"));

    // A mobile number arrives: the file is withheld, the clean version stays.
    let before = server.station.on_air.current().unwrap().id.clone();
    std::fs::write(&file, "# 救助名单\n\n本月救助对象共三户。\n\n联系人：13881812345\n").unwrap();
    let report = wait_for(Duration::from_secs(20), || {
        let r = server.station.log.history().last().cloned()?;
        r.problems.iter().any(|p| p.zh.contains("手机号")).then_some(r)
    })
    .expect("the finding is reported");
    let p = report.problems.iter().find(|p| p.zh.contains("手机号")).unwrap();
    assert_eq!((p.path.as_str(), p.line), ("01-第一栏目/01-甲项/2026-11-25-名单.md", Some(5)));
    assert!(p.zh.contains("138****2345") && p.zh.contains("暂不播出"), "{}", p.zh);
    assert!(p.last_good, "the last good version stands in");
    let g = server.station.on_air.current().unwrap();
    let _ = before;
    let all = everything_served(&server);
    assert!(all.contains("本月救助对象共三户") && !all.contains("联系人") && !all.contains("13881812345"));
    drop(g);

    // Banned wording withholds; a misused word is reported with its fix.
    std::fs::write(&file, "# 救助名单\n\n本月救助对象共三户，再接再励。\n\n内部资料，不得外传。\n").unwrap();
    let report = wait_for(Duration::from_secs(20), || {
        let r = server.station.log.history().last().cloned()?;
        r.problems.iter().any(|p| p.zh.contains("禁用词")).then_some(r)
    })
    .unwrap();
    let banned = report.problems.iter().find(|p| p.zh.contains("禁用词")).unwrap();
    assert_eq!(banned.line, Some(5));
    let fix = report.problems.iter().find(|p| p.zh.contains("应为")).unwrap();
    assert_eq!((fix.line, fix.hint_zh.as_str()), (Some(3), "把“再接再励”改成“再接再厉”"));
    assert!(!everything_served(&server).contains("内部资料"));
    drop(server);

    // `infotv check` says the same and exits 1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infotv"))
        .current_dir(common::root())
        .args(["check", "--channels"])
        .arg(channels.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("2026-11-25-名单.md") && said.contains("第 5 行：含有禁用词"), "{said}");
    assert!(said.contains("banned wording"), "{said}");
}

#[test]
fn look_alikes_are_not_flagged_and_real_numbers_are() {
    let corpus = std::fs::read_to_string(common::fixture("checks/lookalikes.txt")).unwrap();
    let lines: Vec<&str> = corpus.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    assert!(lines.len() >= 200, "a corpus of {} lines", lines.len());
    let flagged: Vec<_> = lines.iter().filter(|l| !scan(l, "", 2026).is_empty()).collect();
    println!("look-alikes: {} lines, {} flagged", lines.len(), flagged.len());
    assert!(flagged.is_empty(), "false positives: {flagged:?}");

    // Real numbers in the ways people write them: every one found.
    let mut real = Vec::new();
    for (i, region) in ["510722", "511781", "110105", "440305", "320102"].iter().enumerate() {
        for year in [1938, 1956, 1972, 1989, 2005, 2016] {
            let p = id(&format!("{region}{year}0{}1{}00{i}", (i % 9) + 1, i % 3));
            real.push((format!("申请人身份证号：{p}，已核实。"), Kind::Id));
            real.push((p.clone(), Kind::Id));
        }
    }
    for m in ["13881812345", "15908276543", "18281890012", "17700001111", "19912345678", "16612345678"] {
        real.push((format!("联系电话：{m}"), Kind::Mobile));
        real.push((format!("手机 {}-{}-{}。", &m[..3], &m[3..7], &m[7..]), Kind::Mobile));
        real.push((format!("电话+86{m}"), Kind::Mobile));
    }
    for prefix in
        ["622848046802123456", "621700234500012345", "622202230400567890", "6228480468021234", "453201234567890"]
    {
        let c = card(prefix);
        real.push((format!("发放账户 {c}"), Kind::Card));
        let grouped: Vec<String> = c.as_bytes().chunks(4).map(|g| String::from_utf8(g.to_vec()).unwrap()).collect();
        real.push((format!("银行卡号：{}", grouped.join(" ")), Kind::Card));
    }
    let found = real.iter().filter(|(l, k)| scan(l, "", 2026).iter().any(|h| h.kind == *k)).count();
    println!("real numbers: {} lines, {} found", real.len(), found);
    let missed: Vec<_> = real.iter().filter(|(l, k)| !scan(l, "", 2026).iter().any(|h| h.kind == *k)).collect();
    assert!(missed.is_empty(), "missed: {missed:?}");
}

#[test]
fn the_shipped_channel_has_no_findings() {
    let (site, problems) = infotv::content::load(&common::root().join("channels"));
    assert!(site.config.review.corrections.len() >= 50, "{} pairs", site.config.review.corrections.len());
    assert_eq!(site.config.review.privacy, infotv::config::Privacy::Mask);
    assert!(!site.config.review.required, "review stays off in the shipped channel");
    assert!(problems.is_empty(), "{problems:?}");
    // And the corrections are unambiguous: no right form contains a wrong one.
    let pairs = &site.config.review.corrections;
    for (wrong, _) in pairs {
        for (_, right) in pairs {
            assert!(!right.contains(wrong.as_str()), "{wrong} is inside {right}");
        }
    }
}
