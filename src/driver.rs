//! The pipeline's driver: what happens around the render stages. It
//! applies review before air (the folder a render loads is the reviewed
//! tree), counts poll answers for results screens, puts each generation on
//! air, and records the render. The [`Renderer`] it drives knows none of
//! this: it renders the folder and the counts it is given.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use crate::content;
use crate::health::Fault;
use crate::pipeline::{Renderer, Station};
use crate::problem::Problem;
use crate::publish::Generation;
use crate::renderlog::{Report, Trigger};
use crate::review::Desk;
use crate::store::Store;

/// A renderer with the server's parts it renders for: built whole, once.
pub struct Driver {
    renderer: Arc<Renderer>,
    /// Review before air, when the server has a data folder.
    desk: Option<Arc<Desk>>,
    /// Where poll answers are counted for results screens.
    answers: Option<Arc<Store>>,
}

impl Driver {
    /// Renders the channel folder as it is, with no review and no counts.
    pub fn new(renderer: Arc<Renderer>) -> Driver {
        Driver { renderer, desk: None, answers: None }
    }

    /// Renders what `desk` let through (when site.toml asks for review),
    /// with poll results counted in `answers`.
    pub(crate) fn with_store(renderer: Arc<Renderer>, desk: Arc<Desk>, answers: Arc<Store>) -> Driver {
        Driver { renderer, desk: Some(desk), answers: Some(answers) }
    }

    pub fn renderer(&self) -> &Arc<Renderer> {
        &self.renderer
    }

    pub fn desk(&self) -> Option<&Arc<Desk>> {
        self.desk.as_ref()
    }

    pub fn channels(&self) -> &std::path::Path {
        self.renderer.channels()
    }

    /// Loads what may go on air, adds what review says and the poll
    /// counts, and has the renderer lay out, draw and publish it.
    pub fn render(&self, trigger: impl Into<Trigger>, force: bool) -> (Option<Generation>, Report) {
        self.renderer.tidy();
        let (root, staged) = self.staged_root();
        let mut loaded = self.renderer.load(&root);
        loaded.problems.extend(staged);
        self.tally(&mut loaded.site);
        self.renderer.finish(loaded, trigger.into(), None, force)
    }

    /// The counts of every poll of `site`, for its results screens.
    fn tally(&self, site: &mut content::Site) {
        let Some(store) = &self.answers else { return };
        let polls = site.all_items().into_iter().flat_map(|i| &i.docs).filter_map(|d| match &d.body {
            content::Body::Poll(p) => {
                Some((d.key.clone(), p.questions.iter().map(|q| q.choices.len()).collect::<Vec<_>>()))
            }
            _ => None,
        });
        let mut tally = content::poll::Tally::default();
        for (key, sizes) in polls.collect::<Vec<_>>() {
            match store.poll_counts(&key, &sizes) {
                Ok((counts, boxes)) => {
                    tally.polls.insert(key, content::poll::PollCount { counts, boxes });
                }
                Err(e) => tracing::warn!("poll {key}: counts not read: {e:#}"),
            }
        }
        site.tally = tally;
    }

    /// The folder this render loads — the air tree under review, else the
    /// channel folder — and what review tells content staff.
    fn staged_root(&self) -> (PathBuf, Vec<Problem>) {
        let channels = self.renderer.channels();
        let Some(desk) = &self.desk else { return (channels.to_path_buf(), Vec::new()) };
        match desk.stage(channels, Utc::now()) {
            Ok(staged) => (staged.root, Desk::problems(&staged.waiting)),
            Err(e) => {
                let p = Problem::new(
                    "",
                    format!("审核暂存失败，继续播出已审核的版本：{e:#}"),
                    format!("staging for review failed; the approved versions stay on air: {e:#}"),
                )
                .hint(
                    "检查数据目录是否可写、磁盘是否已满",
                    "check that the data folder is writable and the disk not full",
                );
                // Never the folder itself: that would put unreviewed files on air.
                let root = if desk.required(channels) { desk.air().to_path_buf() } else { channels.to_path_buf() };
                (root, vec![p])
            }
        }
    }
}

/// Renders, logs and publishes: the one path every trigger takes.
pub fn rebuild(driver: &Driver, station: &Station, trigger: impl Into<Trigger>) -> Report {
    rebuild_since(driver, station, trigger.into(), None)
}

/// [`rebuild`] for a change first seen at `changed`: the report carries the
/// change → on-air time.
pub(crate) fn rebuild_since(driver: &Driver, station: &Station, trigger: Trigger, changed: Option<Instant>) -> Report {
    let renderer = &driver.renderer;
    let _one_at_a_time = renderer.one_at_a_time();
    // With nothing on air yet, a channel with defaults beats a black screen.
    // Renders are one at a time (above) and only they put a generation on
    // air, so what is on air now is what the new one replaces.
    let on_air = station.on_air.current();
    let force = on_air.is_none();
    let (generation, mut report) = driver.render(trigger, force);
    if let Some(g) = generation {
        station.on_air.swap(Arc::new(g));
    }
    report.change_to_air = changed.map(|t| t.elapsed());
    // With nothing on air before, the (empty) render went on air: there is
    // no last version to speak of.
    let kept = if report.published { "电视上暂无内容" } else { "继续播出上一版" };
    let why = report.unavailable.as_ref().map(|why| format!("{why}：{kept}，文件夹恢复后自动更新"));
    station.health.set_fault(Fault::Channels, why);
    log(&report);
    station.log.record(report.clone());
    // Told first, tidied after: the generation off air and the render's
    // garbage go, and what they freed goes back to the system.
    drop(on_air);
    renderer.tidy();
    crate::memory::give_back();
    report
}

/// The render's structured log line, and one line per problem.
fn log(report: &Report) {
    tracing::info!(
        trigger = %report.trigger,
        duration_ms = report.duration.as_millis() as u64,
        change_to_air_ms = report.change_to_air.map(|d| d.as_millis() as u64),
        screens = report.screens,
        rendered = report.rendered,
        reused = report.reused,
        files_read = report.files_read,
        problems = report.problems.len(),
        generation = %report.generation,
        published = report.published,
        "render"
    );
    for p in &report.problems {
        tracing::warn!(path = %p.path, line = p.line, last_good = p.last_good, "problem {p}");
    }
}
