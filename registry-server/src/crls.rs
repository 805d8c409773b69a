//! The operator's CRLs, kept current without a restart: read at start, then again on SIGHUP and
//! every `crl_reload_seconds`, since CRLs are reissued daily and a stale one makes paths fail
//! (or, leniently, miss revocations). A reload that fails, a file missing or malformed in the
//! middle of being replaced, keeps the lists in force and says so in the log and the metrics:
//! replacing a file never leaves the registry without revocation data.
//!
//! They are parsed when read, never per request: a JPKI CRL lists hundreds of thousands of
//! certificates, and a request that made the registry parse it would cost the registry far more
//! than it cost the sender. Each request pays only for the CRLs it brings itself.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use eproxy_verifier::crl::Crl;

use crate::config::{ConfigError, read_crls};
use crate::metrics::Metrics;
use crate::refusal::Refusal;
use crate::signals::Hangups;

/// The CRLs in force, and where they are read from.
#[derive(Debug)]
pub struct OperatorCrls {
    data_dir: PathBuf,
    files: Vec<PathBuf>,
    current: RwLock<Arc<Vec<Crl>>>,
}

impl OperatorCrls {
    /// Reads `files` (relative to `data_dir` unless absolute); any error stops the start.
    pub fn load(data_dir: &Path, files: Vec<PathBuf>) -> Result<Self, ConfigError> {
        let current = read_crls(data_dir, &files)?;
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            files,
            current: RwLock::new(Arc::new(current)),
        })
    }

    /// The CRLs in force, held by the caller for as long as one check lasts.
    pub fn current(&self) -> Arc<Vec<Crl>> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the files again; on success they are in force and their count is returned, on
    /// failure the previous ones stay.
    pub fn reload(&self) -> Result<usize, ConfigError> {
        let fresh = read_crls(&self.data_dir, &self.files)?;
        let count = fresh.len();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
        Ok(count)
    }
}

/// The CRLs a caller supplied with one request (DER), parsed for that request only.
pub fn parse_supplied(supplied: &[Vec<u8>]) -> Result<Vec<Crl>, Refusal> {
    Crl::parse_all(supplied)
        .map_err(|(i, e)| Refusal::Invalid(format!("supplied CRL {}: {e}", i + 1)))
}

/// The operator's CRLs in force (`held`) and those a caller supplied, as one list.
pub fn crls_with<'a>(held: &'a [Crl], supplied: &'a [Crl]) -> Vec<&'a Crl> {
    held.iter().chain(supplied).collect()
}

/// Reloads `crls` on every SIGHUP and every `interval`, recording each outcome, until the task
/// is dropped.
pub async fn keep_current(
    crls: Arc<OperatorCrls>,
    interval: Duration,
    mut hangups: Hangups,
    metrics: Arc<Metrics>,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.tick().await; // The first tick is immediate: the lists were just read.
    loop {
        let trigger = tokio::select! {
            _ = ticks.tick() => "interval",
            () = hangups.next() => "SIGHUP",
        };
        let reloader = Arc::clone(&crls);
        let outcome = tokio::task::spawn_blocking(move || reloader.reload())
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
