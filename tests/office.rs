//! The files offices really make (`tests/fixtures/make_office.py` writes
//! them with XlsxWriter, python-docx and LibreOffice): a 村级财务收支公示表
//! with a merged title, a two-row header and merged notes as `.xlsx`, `.xls`
//! and `.ods`; a Word 低保公示 with a table; a two-page PDF notice; a
//! scanned PDF. Everything is asserted from what the server gives the
//! boxes: the screens' text JSON.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::Server;

#[derive(Debug, Clone)]
struct Run {
    text: String,
    x: f32,
    y: f32,
    w: f32,
    size: f32,
}

impl Run {
    fn right(&self) -> f32 {
        self.x + self.w
    }
}

/// One page: the runs of its body (below the path, above the footer) and
/// the path.
#[derive(Debug)]
struct Page {
    path: String,
    body: Vec<Run>,
}

impl Page {
    fn has(&self, text: &str) -> bool {
        self.body.iter().any(|r| r.text == text)
    }

    fn find(&self, text: &str) -> Option<&Run> {
        self.body.iter().find(|r| r.text == text)
    }

    fn texts(&self) -> Vec<&str> {
        self.body.iter().map(|r| r.text.as_str()).collect()
    }

    /// The texts on the line at `y`, left to right.
    fn line_at(&self, y: f32) -> Vec<&str> {
        let mut on: Vec<&Run> = self.body.iter().filter(|r| (r.y - y).abs() < 1.0).collect();
        on.sort_by(|a, b| a.x.total_cmp(&b.x));
        on.iter().map(|r| r.text.as_str()).collect()
    }
}

/// The pages of the document titled `title` on `profile`, in order.
fn pages(server: &Server, profile: &str, title: &str) -> Vec<Page> {
    let graph = server.get(&format!("/api/v1/{profile}/graph.json")).json();
    let mut ids: Vec<(usize, String)> = graph["screens"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, s)| s["title"] == title && (s["kind"] == "table" || s["kind"] == "article"))
        .map(|(id, _)| {
            // a-<doc> is the first page, a-<doc>-N the N-th.
            let n = id.split('-').nth(2).map_or(1, |n| n.parse().unwrap());
            (n, id.clone())
        })
        .collect();
    ids.sort();
    assert!(!ids.is_empty(), "no screens titled {title}");
    ids.iter()
        .map(|(_, id)| {
            let json = server.get(&format!("/api/v1/{profile}/screens/{id}.json")).json();
            let runs: Vec<Run> = json["states"][0]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| Run {
                    text: l["text"].as_str().unwrap().to_string(),
                    x: l["x"].as_f64().unwrap() as f32,
                    y: l["y"].as_f64().unwrap() as f32,
                    w: l["w"].as_f64().unwrap() as f32,
                    size: l["size"].as_f64().unwrap() as f32,
                })
                .collect();
            let path = runs.iter().find(|r| r.text.starts_with("首页")).unwrap().clone();
            let foot = runs.iter().find(|r| r.text == "返回").unwrap().y;
            let body = runs.into_iter().filter(|r| r.y > path.y + 1.0 && r.y < foot && r.text != "101").collect();
            Page { path: path.text, body }
        })
        .collect()
}

/// The 公示表's records as the sheet shows them: 序号, date, 摘要, 收入, 支出, 经办人.
const RECORDS: [(&str, &str, &str, &str, &str, &str); 8] = [
    ("1", "2026年10月5日", "上级转移支付资金", "12,500.50", "", "王明"),
    ("2", "2026年10月7日", "村道硬化工程款（第一期）", "", "8,600.00", "李强"),
    ("3", "2026年10月10日", "集体林地承包费（承包人身份证号511781********0011）", "3,200.00", "", "王明"),
    ("4", "2026年10月14日", "村委会办公用品", "", "426.80", "陈芳"),
    ("5", "2026年10月16日", "产业扶持资金（茶叶）", "20,000.00", "", "王明"),
    ("6", "2026年10月20日", "饮水工程维修材料费", "", "1,875.25", "李强"),
    ("7", "2026年10月23日", "集体经济分红收入", "6,480.00", "", "陈芳"),
    ("8", "2026年10月27日", "环境卫生保洁劳务费", "", "2,400.00", "张伟"),
];

const SHEETS: [&str; 3] = ["财务公示-Excel", "财务公示-Excel97", "财务公示-WPS"];

#[test]
fn a_printed_sheet_reads_as_its_table_in_xlsx_xls_and_ods() {
    let server = Server::start(&common::fixture("office"));
    for profile in ["sd", "hd"] {
        let excel = pages(&server, profile, SHEETS[0]);
        // The three formats of one workbook give the same screens.
        for other in &SHEETS[1..] {
            let pages = pages(&server, profile, other);
            let texts = |p: &[Page]| p.iter().map(|p| p.texts().join("|")).collect::<Vec<_>>();
            assert_eq!(texts(&pages), texts(&excel), "{profile}: {other} differs from the .xlsx");
        }
        let all: String = excel.iter().flat_map(|p| p.texts()).collect::<Vec<_>>().join("|");
        // The first sheet's pages, then 资产清单 on its own.
        let first: Vec<&Page> = excel.iter().take_while(|p| !p.has("资产名称")).collect();
        let assets: Vec<&Page> = excel.iter().filter(|p| p.has("资产名称")).collect();
        assert!(first.len() >= 2 && assets.len() == 1, "{profile}: {}+{} pages", first.len(), assets.len());
        for (i, page) in first.iter().enumerate() {
            // The title: a line of its own or, when rows carry lines under
            // them, the end of the path; never a header cell.
            let titled = page.path.contains("石窝镇双河村村级财务收支公")
                || page.body.first().is_some_and(|r| r.text.starts_with("石窝镇双河村村级财务收支公示表"));
            assert!(titled, "{profile} page {i}: {:?} / {:?}", page.path, page.texts());
            // The subtitle under it, above the header, on every page.
            let sub = page.find("填报单位：石窝镇双河村村民委员会\u{3000}\u{3000}单位：元").unwrap_or_else(|| {
                panic!("{profile} page {i}: no subtitle in {:?}", page.texts());
            });
            if let Some(head) = page.find("序号") {
                assert!(sub.y < head.y);
                // The two-row header as one: 金额 over 收入 and 支出.
                let header = page.line_at(head.y);
                let order = ["序号", "日期", "金额·收入", "金额·支出", "经办人"];
                let seen: Vec<&str> = header.iter().copied().filter(|t| order.contains(t)).collect();
                assert_eq!(seen, order, "{profile} page {i}: {header:?}");
                assert!(!header.contains(&"金额") && !header.contains(&"收入"), "{header:?}");
            }
        }
        // Every record once, its cells on its row, numbers as the sheet
        // formats them, the 摘要 in the row or on the line under it.
        for (no, date, what, income, spend, who) in RECORDS {
            let amount = if income.is_empty() { spend } else { income };
            let on: Vec<(&Page, &Run)> =
                first.iter().flat_map(|p| p.body.iter().filter(|r| r.text == amount).map(move |r| (*p, r))).collect();
            let on: Vec<_> = on.into_iter().filter(|(p, r)| p.line_at(r.y).contains(&who)).collect();
            assert_eq!(on.len(), 1, "{profile}: record {no} ({amount}) not once");
            let (page, cell) = on[0];
            let line = page.line_at(cell.y);
            assert_eq!(line.first(), Some(&no), "{profile}: {line:?}");
            let short = date.split_once('年').unwrap().1;
            assert!(line.contains(&date) || line.contains(&short), "{profile}: {line:?}");
            let summary: Vec<&Run> = first.iter().flat_map(|p| &p.body).filter(|r| r.text == what).collect();
            assert_eq!(summary.len(), 1, "{profile}: {what}");
            assert!(
                line.contains(&what)
                    || page.body.iter().any(|r| r.text == what && r.y > cell.y && r.y < cell.y + 2.5 * cell.size),
                "{profile}: {what} is not with record {no}"
            );
        }
        // The 合计 row: the formulas' cached values, formatted.
        let totals = first.iter().find_map(|p| p.find("合计").map(|r| p.line_at(r.y))).unwrap();
        assert_eq!(totals, ["合计", "42,180.50", "13,302.05"], "{profile}");
        // Amounts are right-aligned in their column.
        let page = first[0];
        let rights: Vec<f32> =
            ["12,500.50", "3,200.00", "20,000.00"].iter().filter_map(|t| page.find(t)).map(Run::right).collect();
        assert!(rights.len() >= 2 && rights.iter().all(|r| (r - rights[0]).abs() <= 1.0), "{rights:?}");
        // Dates as the sheet shows them (yyyy"年"m"月"d"日"), never a serial number.
        assert!(all.contains("10月5日") && !all.contains("46300"), "{profile}");
        if !all.contains("2026年10月5日") {
            assert!(first.iter().all(|p| p.path.contains("2026年") || p.texts().iter().any(|t| t.contains("2026年"))));
        }
        // The notes under the table on its last page, and nowhere else.
        let notes = ["监督电话：0818-8621234（镇纪委）", "公示时间：2026年11月1日至2026年11月30日"];
        for (i, page) in first.iter().enumerate() {
            let text = page.texts().join("");
            for note in notes {
                assert_eq!(
                    text.contains(note),
                    i + 1 == first.len(),
                    "{profile}: {note} on page {i} of {}",
                    first.len()
                );
            }
        }
        let last = first.last().unwrap();
        if let Some(total) = last.find("合计") {
            assert!(last.body.iter().filter(|r| r.text.starts_with("监督电话")).all(|r| r.y > total.y));
        }
        // Hidden rows, columns and sheets stay hidden.
        for hidden in ["凭证号", "记-100", "草稿", "待核实的支出", "底稿", "不应公开"] {
            assert!(!all.contains(hidden), "{profile}: hidden {hidden} shown");
        }
        // The second sheet is a table of its own, titled by its name.
        let sheet = assets[0];
        assert!(sheet.has("资产清单") || sheet.path.ends_with("资产清单"), "{:?}", sheet.texts());
        let row = sheet.line_at(sheet.find("村委会办公楼").unwrap().y);
        assert_eq!(row, ["村委会办公楼", "1", "860,000.00", "双河村一组"], "{profile}");
        // The privacy checks reach cells and merged notes: masked, never raw.
        assert!(all.contains("511781********0011") && !all.contains("511781198203150011"));
        assert!(all.contains("139****1234") && !all.contains("13908181234"));
    }
}

#[test]
fn a_sheet_of_eight_records_shows_five_or_more_rows_on_an_sd_page() {
    let server = Server::start(&common::fixture("office"));
    for title in SHEETS {
        let pages = pages(&server, "sd", title);
        // Rows are the lines starting with a 序号 at the 序号 column.
        let first = &pages[0];
        let x = first.find("序号").unwrap().x;
        let rows = first.body.iter().filter(|r| (r.x - x).abs() < 1.0 && r.text.parse::<u32>().is_ok()).count();
        assert!(rows >= 5, "{title}: {rows} rows on the first SD page");
    }
}

/// The 低保公示's households: 户主, 家庭人口, 保障类别, 月保障金额, 所在村组.
const HOUSEHOLDS: [(&str, &str, &str, &str, &str); 12] = [
    ("张**", "3", "A类", "1260", "双河村一组"),
    ("李**", "1", "B类", "420", "双河村一组"),
    ("王**", "4", "A类", "1680", "双河村一组"),
    ("赵**", "2", "C类", "300", "双河村二组"),
    ("陈**", "5", "A类", "2100", "双河村二组"),
    ("刘**", "2", "B类", "840", "双河村二组"),
    ("杨**", "1", "A类", "420", "双河村三组"),
    ("黄**", "3", "B类", "945", "双河村三组"),
    ("周**", "2", "C类", "300", "双河村三组"),
    ("吴**", "4", "A类", "1680", "双河村四组"),
    ("徐**", "3", "B类", "945", "双河村四组"),
    ("孙**", "1", "C类", "150", "双河村四组"),
];

#[test]
fn a_word_table_is_a_table_in_its_place_with_its_header_on_every_page() {
    let server = Server::start(&common::fixture("office"));
    for profile in ["sd", "hd"] {
        let pages = pages(&server, profile, "石窝镇2026年第四季度城乡低保公示");
        assert!(pages.len() >= 2, "{profile}: {} pages", pages.len());
        let mut seen = Vec::new();
        let mut order: Vec<String> = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            let rows: Vec<&Run> = page.body.iter().filter(|r| r.text.ends_with("**")).collect();
            if rows.is_empty() {
                continue;
            }
            // The header on every page with rows, above them.
            let head = page.find("户主").unwrap_or_else(|| panic!("{profile} page {i} lacks the header"));
            let header = page.line_at(head.y).join("");
            for h in ["户主", "身份证号", "保障", "所在村组"] {
                assert!(header.contains(h), "{profile} page {i}: {header}");
            }
            assert!(rows.iter().all(|r| r.y > head.y));
            // Each household one row: its cells on one line.
            for row in rows {
                let line = page.line_at(row.y);
                let h = HOUSEHOLDS.iter().find(|h| h.0 == row.text).unwrap();
                assert_eq!(line.len(), 6, "{profile}: {line:?}");
                assert_eq!([line[0], line[2], line[3], line[4], line[5]], [h.0, h.1, h.2, h.3, h.4], "{profile}");
                // The ID number masked by the privacy checks.
                assert!(line[1].starts_with("511781********"), "{line:?}");
                seen.push(h.0);
                // Numbers are right-aligned: amounts end at one x.
                let amount = page.body.iter().find(|r| r.y == row.y && r.text == h.3).unwrap();
                let first_amount = pages.iter().flat_map(|p| &p.body).find(|r| r.text == "1260").unwrap();
                assert!((amount.right() - first_amount.right()).abs() <= 1.0);
            }
        }
        assert_eq!(seen, HOUSEHOLDS.map(|h| h.0), "{profile}: every household once, in order");
        // In its place among the paragraphs: the lead before, the closing after.
        for page in &pages {
            order.extend(page.body.iter().map(|r| r.text.clone()));
        }
        let text = order.join("");
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{profile}: {s} missing"));
        assert!(at("根据《四川省最低生活保障工作规程》") < at("张**"));
        assert!(at("孙**") < at("公示期为7天"));
        assert!(!text.contains("5117811960"), "{profile}: an ID number reaches the boxes");
    }
}

#[test]
fn a_pdf_notice_is_an_article_with_its_headings_and_paragraphs_in_order() {
    let server = Server::start(&common::fixture("office"));
    for profile in ["sd", "hd"] {
        // The first heading is the title.
        let pages = pages(&server, profile, "关于城区部分区域计划停水的通知");
        assert!(pages.len() >= 2, "{profile}");
        // The text as read on, less the running title atop later pages.
        let runs: Vec<&Run> =
            pages.iter().flat_map(|p| &p.body).filter(|r| r.text != "关于城区部分区域计划停水的通知").collect();
        let text: String = runs.iter().map(|r| r.text.as_str()).collect();
        let order = [
            "各位用户：",
            "因城区供水管网改造工程施工需要，万源市自来水公司将于2026年12月10日8:00至18:00对城区部分区域暂停供水。",
            "一、停水范围",
            "太平镇红旗路、人民路、星光路沿线；",
            "二、注意事项",
            "防止来水后跑水。",
            "三、咨询电话",
            "万源市自来水公司客户服务中心：0818-8622345（24小时）",
            "特此通知。",
            "2026年12月5日",
        ];
        let mut from = 0;
        for piece in order {
            let at = text[from..].find(piece).unwrap_or_else(|| panic!("{profile}: {piece} missing or out of order"));
            from += at + piece.len();
        }
        // Headings are set larger than the text, alone on their line.
        let body = runs.iter().find(|r| r.text.starts_with("太平镇")).unwrap().size;
        for heading in ["一、停水范围", "二、注意事项", "三、咨询电话"] {
            let run = runs.iter().find(|r| r.text == heading).unwrap_or_else(|| panic!("{profile}: {heading}"));
            assert!(run.size > body, "{profile}: {heading} at {} vs {body}", run.size);
        }
        // The PDF's line ends are not paragraph ends: the sentence across
        // its line break is one paragraph, its page number gone.
        assert!(text.contains("提前做好储水准备，给您带来的不便敬请谅解。"), "{profile}");
        assert!(!text.contains("2026 年"), "{profile}: spaces between Chinese and digits");
        // The mobile in its text is masked.
        assert!(text.contains("139****2345") && !text.contains("13981812345"));
    }
}

#[test]
fn a_scanned_pdf_is_a_problem_with_a_hint_and_the_rest_is_on_air() {
    let (site, problems) = infotv::content::load(&common::fixture("office"));
    let scanned: Vec<_> = problems.iter().filter(|p| p.path.ends_with("06-扫描件.pdf")).collect();
    assert_eq!(scanned.len(), 1, "{problems:#?}");
    assert!(scanned[0].zh.contains("没有文字层"), "{:?}", scanned[0]);
    assert!(scanned[0].hint_zh.contains("原始文档") && scanned[0].hint_zh.contains("图片"), "{:?}", scanned[0]);
    let titles: Vec<&str> = site.columns[0].items[0].docs.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert!(!titles.contains(&"扫描件"));
}

#[test]
fn broken_office_files_are_problems_with_hints_and_the_rest_is_on_air() {
    let dir = common::copy_fixture("office");
    let item = dir.path().join("01-阳光万源/01-村务公开");
    // A copy cut short, and files that only pretend.
    let xls = std::fs::read(item.join("02-财务公示-Excel97.xls")).unwrap();
    std::fs::write(item.join("07-半截.xls"), &xls[..xls.len() / 3]).unwrap();
    let pdf = std::fs::read(item.join("05-停水通知.pdf")).unwrap();
    std::fs::write(item.join("08-半截.pdf"), &pdf[..pdf.len() / 2]).unwrap();
    std::fs::write(item.join("09-假表格.ods"), b"PK\x03\x04 not a workbook").unwrap();
    let (site, problems) = infotv::content::load(dir.path());
    for (name, says) in [("07-半截.xls", "电子表格"), ("08-半截.pdf", "PDF"), ("09-假表格.ods", "电子表格")]
    {
        let found: Vec<_> = problems.iter().filter(|p| p.path.ends_with(name)).collect();
        assert_eq!(found.len(), 1, "{name}: {problems:#?}");
        assert!(found[0].zh.contains(says) && !found[0].hint_zh.is_empty(), "{:?}", found[0]);
    }
    // The good files are all still there.
    assert_eq!(site.columns[0].items[0].docs.len(), 5, "{problems:#?}");
}

#[test]
fn what_a_table_cannot_show_is_a_problem_with_a_hint_and_the_cells_still_show() {
    let (site, problems) = infotv::content::load(&common::fixture("office"));
    // openpyxl saves a formula without its result, and a chart.
    let found: Vec<_> = problems.iter().filter(|p| p.path.ends_with("物价.xlsx")).collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    let formula = found.iter().find(|p| p.zh.contains("公式")).unwrap();
    assert!(
        formula.zh.contains("B5") && formula.line == Some(5) && formula.hint_zh.contains("保存一次"),
        "{formula:?}"
    );
    let chart = found.iter().find(|p| p.zh.contains("图表")).unwrap();
    assert!(chart.hint_zh.contains(".jpg"), "{chart:?}");
    let infotv::content::Body::Table(tables) = &site.columns[0].items[1].docs[0].body else { panic!("not a table") };
    assert_eq!(tables[0].rows, [["白菜", "1.2"], ["土豆", "1.8"], ["猪肉", "14.5"], ["合计", ""]]);
}

#[test]
fn damaged_xls_files_that_broke_calamine_are_problems() {
    // Found by `fuzz/run`: calamine 0.32 slices past the end of one,
    // reserves memory by a forged directory size for another (an abort, not
    // a panic) and lays a third's cells out in a box of forged size; a
    // fourth puts such a box in a sheet that is not a worksheet (calamine
    // reads every kind). Each is one problem now, at once.
    let dir = common::fixture("damaged");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let mut problems = Vec::new();
        let bytes = std::fs::read(&file).unwrap();
        assert!(infotv::content::workbook::parse_workbook("坏.xls", "xls", bytes, &mut problems).is_none(), "{file:?}");
        assert_eq!(problems.len(), 1, "{file:?}: {problems:#?}");
        assert!(problems[0].zh.contains("无法读取电子表格") && !problems[0].hint_zh.is_empty());
    }
}
