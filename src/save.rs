//! Keeps the generation on air saved in the data folder, so a restart (or a
//! crash) puts it back on air at once (`publish::disk` writes the file).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::health::{Fault, Health};
use crate::onair::OnAir;
use crate::publish;
use crate::renderlog::Report;

/// How often blobs no generation uses are removed, and how old they must be.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Keeps the generation on air saved in `dir` (see [`crate::publish::disk`]): after
/// every render that changed it, and again every 30 s while saving fails (a
/// full disk), reporting the failure as a fault meanwhile. `saved` is the id
/// already on disk (the restored one). Returns when `events` closes or
/// `stop` completes (a save under way finishes first).
pub(crate) async fn keep_on_disk(
    on_air: Arc<OnAir>,
    health: Arc<Health>,
    dir: PathBuf,
    mut events: tokio::sync::broadcast::Receiver<Arc<Report>>,
    mut saved: Option<String>,
    stop: impl std::future::Future<Output = ()>,
) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let mut failing = false;
    let mut swept = Instant::now();
    let mut memo = publish::disk::SaveMemo::default();
    tokio::pin!(stop);
    loop {
        let retry = async {
            if failing {
                tokio::time::sleep(Duration::from_secs(30)).await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            got = events.recv() => if let Err(RecvError::Closed) = got { return },
            () = retry => {}
            () = &mut stop => return,
        }
        // Only the newest generation matters: renders queued behind are skipped.
        loop {
            match events.try_recv() {
                Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return,
            }
        }
        let Some(g) = on_air.current() else { continue };
        if saved.as_deref() == Some(g.id.as_str()) {
            continue;
        }
        let (d, g2) = (dir.clone(), g.clone());
        let started = Instant::now();
        let sweep = swept.elapsed() >= SWEEP_EVERY;
        let mut m = std::mem::take(&mut memo);
        let written = tokio::task::spawn_blocking(move || {
            let written = publish::disk::save(&d, &g2, &mut m);
            if let (Ok(saved), true) = (&written, sweep) {
                // Blobs neither the saved generation nor any render of the
                // last minutes uses (a preview, a render under way).
                let mut keep: std::collections::HashSet<&str> = g2.blob_names().collect();
                keep.extend(saved.buckets.iter().map(String::as_str));
                let gone = g2.blobs.sweep(&keep, SWEEP_EVERY);
                tracing::debug!(gone, kept = keep.len(), "swept the blobs");
            }
            // The manifest was assembled in memory: give those megabytes back.
            crate::memory::give_back();
            (written.map(|s| (s.bytes, s.stored)), m)
        })
        .await
        .map(|(written, m)| {
            memo = m;
            written
        });
        if sweep {
            swept = Instant::now();
        }
        match written {
            Ok(Ok((bytes, stored))) => {
                tracing::debug!(generation = %g.id, bytes, stored, ms = started.elapsed().as_millis() as u64, "saved on-air generation");
                health.set_fault(Fault::OnAirSave, None);
                saved = Some(g.id.clone());
                failing = false;
            }
            Ok(Err(err)) => {
                health.set_fault(
                    Fault::OnAirSave,
                    Some(format!("无法把播出版本保存到数据目录，重启后需等首次渲染完成才能播出：{err:#}")),
                );
                failing = true;
            }
            Err(err) => tracing::error!("saving task failed: {err}"),
        }
    }
}
