//! The operator's CRLs, kept current without a restart: read at start, then again on SIGHUP and
//! every `crl_reload_seconds`, since CRLs are reissued daily and a stale one makes paths fail
//! (or, leniently, miss revocations). A reload that fails, a file missing or malformed in the
//! middle of being replaced, keeps the lists in force and says so in the log and the metrics:
//! replacing a file never leaves the registry without revocation data.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::config::{ConfigError, read_crls};
use super::metrics::Metrics;
use super::signals::Hangups;
use crate::admit::crls::OperatorCrls;

/// Where the operator's CRLs are read from.
#[derive(Clone, Debug)]
pub struct CrlFiles {
    /// The directory relative paths start from.
    pub data_dir: PathBuf,
    /// The files, each PEM or DER.
    pub files: Vec<PathBuf>,
}

impl CrlFiles {
    /// The CRLs in force now; any error stops the start.
    pub fn load(&self) -> Result<OperatorCrls, ConfigError> {
        Ok(OperatorCrls::new(read_crls(&self.data_dir, &self.files)?))
    }

    /// Reads the files again into `crls`; on success they are in force and their count is
    /// returned, on failure the previous ones stay.
    fn reload(&self, crls: &OperatorCrls) -> Result<usize, ConfigError> {
        Ok(crls.replace(read_crls(&self.data_dir, &self.files)?))
    }
}

/// Reloads `crls` from `files` on every SIGHUP and every `interval`, recording each outcome,
/// until the task is dropped.
pub async fn keep_current(
    files: CrlFiles,
    crls: Arc<OperatorCrls>,
    interval: Duration,
    mut hangups: Hangups,
    metrics: Arc<Metrics>,
) {
    let files = Arc::new(files);
    let mut ticks = tokio::time::interval(interval);
    ticks.tick().await; // The first tick is immediate: the lists were just read.
    loop {
        let trigger = tokio::select! {
            _ = ticks.tick() => "interval",
            () = hangups.next() => "SIGHUP",
        };
        let (files, reloaded) = (Arc::clone(&files), Arc::clone(&crls));
        let outcome = tokio::task::spawn_blocking(move || files.reload(&reloaded))
            .await
            .map_err(|e| ConfigError(format!("the reload task failed: {e}")))
            .and_then(|reloaded| reloaded);
        metrics.observe_crl_reload(outcome.is_ok());
        match outcome {
            Ok(count) => tracing::info!(trigger, count, "CRLs reloaded"),
            Err(error) => {
                tracing::error!(trigger, %error, "CRLs not reloaded; the previous ones stay in force")
            }
        }
    }
}
