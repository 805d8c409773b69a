//! Prometheus metrics on their own HTTP port (`metrics_listen`): requests by method and outcome,
//! latency histograms by method, the log's size and checkpoint age, and what the storage
//! engine's background work is doing (its stalls are what a latency spike is first checked
//! against). Counts and timings only: no ids, names or other personal data.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::lanes::Lanes;
use crate::admit::checks::Checks;
use crate::api::CallObserver;
use crate::log::Log;
use crate::store::Store;
use crate::write::{CommitObserver, Role};
use eproxy_http::HttpAnswer;

/// Latency bucket bounds, seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    /// Observations at or below each bound (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Counts {
    requests: BTreeMap<(&'static str, &'static str), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    /// Synced commits, and the commands they carried: group commit at work.
    commits: u64,
    committed_commands: u64,
    /// CRL reloads that succeeded and that failed.
    crl_reloads: [u64; 2],
}

/// The registry's metrics.
pub struct Metrics {
    counts: Mutex<Counts>,
    log: Arc<Log>,
    store: Arc<dyn Store>,
    lanes: Lanes,
    checks: Checks,
    role: Arc<Role>,
}

impl Metrics {
    /// Metrics for a registry whose log is `log`, kept in `store`, serving calls in `lanes`,
    /// checking signatures in `checks`, writing (or not) as `role` says.
    pub fn new(
        log: Arc<Log>,
        store: Arc<dyn Store>,
        lanes: Lanes,
        checks: Checks,
        role: Arc<Role>,
    ) -> Self {
        Self {
            counts: Mutex::new(Counts::default()),
            log,
            store,
            lanes,
            checks,
            role,
        }
    }

    /// Records one reload of the CRLs.
    pub fn observe_crl_reload(&self, succeeded: bool) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.crl_reloads[usize::from(!succeeded)] += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self, now_unix: i64) -> String {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        out.push_str("# HELP eproxy_requests_total gRPC calls by method and outcome.\n");
        out.push_str("# TYPE eproxy_requests_total counter\n");
        for ((method, code), count) in &counts.requests {
            let _ = writeln!(
                out,
                "eproxy_requests_total{{method=\"{method}\",code=\"{code}\"}} {count}"
            );
        }
        out.push_str("# HELP eproxy_request_seconds gRPC call latency by method.\n");
        out.push_str("# TYPE eproxy_request_seconds histogram\n");
        for (method, histogram) in &counts.latency {
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "eproxy_request_seconds_bucket{{method=\"{method}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "eproxy_request_seconds_bucket{{method=\"{method}\",le=\"+Inf\"}} {}\n\
                 eproxy_request_seconds_sum{{method=\"{method}\"}} {}\n\
                 eproxy_request_seconds_count{{method=\"{method}\"}} {}",
                histogram.count, histogram.sum, histogram.count
            );
        }
        let _ = write!(
            out,
            "# HELP eproxy_commits_total Synced storage commits.\n\
             # TYPE eproxy_commits_total counter\n\
             eproxy_commits_total {}\n\
             # HELP eproxy_committed_commands_total Requests those commits carried (group commit).\n\
             # TYPE eproxy_committed_commands_total counter\n\
             eproxy_committed_commands_total {}\n",
            counts.commits, counts.committed_commands
        );
        let _ = write!(
            out,
            "# HELP eproxy_crl_reloads_total CRL reloads by outcome; a failed one keeps the previous CRLs.\n\
             # TYPE eproxy_crl_reloads_total counter\n\
             eproxy_crl_reloads_total{{outcome=\"ok\"}} {}\n\
             eproxy_crl_reloads_total{{outcome=\"failed\"}} {}\n",
            counts.crl_reloads[0], counts.crl_reloads[1]
        );
        let epoch = self.role.sequencer().map(|sequencer| sequencer.epoch());
        let _ = write!(
            out,
            "# HELP eproxy_writer Whether this node holds the writer's role (1) or follows the \
             node that does (0).\n\
             # TYPE eproxy_writer gauge\n\
             eproxy_writer {}\n\
             # HELP eproxy_writer_epoch The epoch this node writes in (0 on a registry on one \
             machine, or while it follows).\n\
             # TYPE eproxy_writer_epoch gauge\n\
             eproxy_writer_epoch {}\n",
            u8::from(epoch.is_some()),
            epoch.unwrap_or(0)
        );
        let checkpoint = self.log.latest();
        let _ = write!(
            out,
            "# HELP eproxy_log_size Leaves in the transparency log.\n\
             # TYPE eproxy_log_size gauge\n\
             eproxy_log_size {}\n\
             # HELP eproxy_checkpoint_size Leaves covered by the latest signed checkpoint.\n\
             # TYPE eproxy_checkpoint_size gauge\n\
             eproxy_checkpoint_size {}\n\
             # HELP eproxy_checkpoint_age_seconds Seconds since the latest checkpoint was signed.\n\
             # TYPE eproxy_checkpoint_age_seconds gauge\n\
             eproxy_checkpoint_age_seconds {}\n\
             # HELP eproxy_cosigned_checkpoint_size Leaves covered by the latest checkpoint \
             witnesses cosigned (0 while none has).\n\
             # TYPE eproxy_cosigned_checkpoint_size gauge\n\
             eproxy_cosigned_checkpoint_size {}\n",
            self.log.size(),
            checkpoint.size,
            (now_unix - checkpoint.signed_at).max(0),
            self.log.cosigned().map_or(0, |c| c.size)
        );
        out.push_str(
            "# HELP eproxy_requests_in_flight Calls being served, by lane (write or read).\n\
             # TYPE eproxy_requests_in_flight gauge\n",
        );
        let lanes = self.lanes.states();
        for lane in lanes {
            let _ = writeln!(
                out,
                "eproxy_requests_in_flight{{lane=\"{}\"}} {}",
                lane.name, lane.in_flight
            );
        }
        out.push_str(
            "# HELP eproxy_requests_waiting Calls waiting for a place in their lane \
             (concurrency_limit each).\n\
             # TYPE eproxy_requests_waiting gauge\n",
        );
        for lane in lanes {
            let _ = writeln!(
                out,
                "eproxy_requests_waiting{{lane=\"{}\"}} {}",
                lane.name, lane.waiting
            );
        }
        let checks = self.checks.state();
        let _ = write!(
            out,
            "# HELP eproxy_checks_running Signature checks running (one thread per core).\n\
             # TYPE eproxy_checks_running gauge\n\
             eproxy_checks_running {}\n\
             # HELP eproxy_checks_waiting Signature checks queued for a thread.\n\
             # TYPE eproxy_checks_waiting gauge\n\
             eproxy_checks_waiting {}\n\
             # HELP eproxy_checks_total Signature checks run since start.\n\
             # TYPE eproxy_checks_total counter\n\
             eproxy_checks_total {}\n",
            checks.running, checks.waiting, checks.finished
        );
        let engine = self.store.engine_state();
        for (name, help, value) in [
            (
                "level0_files",
                "The most level-0 files of any column family (writes slow past 20).",
                engine.level0_files_max,
            ),
            (
                "pending_compaction_bytes",
                "Bytes compaction has yet to rewrite.",
                engine.pending_compaction_bytes,
            ),
            (
                "running_flushes",
                "Memtable flushes running.",
                engine.running_flushes,
            ),
            (
                "running_compactions",
                "Compactions running.",
                engine.running_compactions,
            ),
            (
                "writes_delayed",
                "1 while the engine slows writes for background work.",
                u64::from(engine.writes_delayed),
            ),
            (
                "writes_stopped",
                "1 while the engine stops writes for background work.",
                u64::from(engine.writes_stopped),
            ),
            (
                "memtable_bytes",
                "Bytes in memtables.",
                engine.memtable_bytes,
            ),
            (
                "block_cache_bytes",
                "Bytes in the block cache.",
                engine.block_cache_bytes,
            ),
        ] {
            let _ = write!(
                out,
                "# HELP eproxy_storage_{name} {help}\n\
                 # TYPE eproxy_storage_{name} gauge\n\
                 eproxy_storage_{name} {value}\n"
            );
        }
        if let Some(standbys) = &engine.replication {
            let _ = write!(
                out,
                "# HELP eproxy_database_standbys Standbys streaming from the database's primary.\n\
                 # TYPE eproxy_database_standbys gauge\n\
                 eproxy_database_standbys {}\n\
                 # HELP eproxy_database_replication_lag_bytes Bytes of the primary's \
                 write-ahead log a standby has yet to replay.\n\
                 # TYPE eproxy_database_replication_lag_bytes gauge\n",
                standbys.len()
            );
            for standby in standbys {
                let _ = writeln!(
                    out,
                    "eproxy_database_replication_lag_bytes{{standby=\"{}\",sync_state=\"{}\"}} {}",
                    label(&standby.name),
                    label(&standby.sync_state),
                    standby.lag_bytes
                );
            }
        }
        out
    }
}

impl CallObserver for Metrics {
    /// Records one call of `method`, started at `start`, with gRPC outcome `code`.
    fn called(&self, method: &'static str, code: tonic::Code, start: Instant) {
        let seconds = start.elapsed().as_secs_f64();
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts
            .requests
            .entry((method, code_name(code)))
            .or_default() += 1;
        let histogram = counts.latency.entry(method).or_default();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }
}

impl CommitObserver for Metrics {
    /// Records one synced commit carrying `commands` commands.
    fn committed(&self, commands: usize) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.commits += 1;
        counts.committed_commands += commands as u64;
    }
}

fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Ok => "OK",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        _ => "OTHER",
    }
}

/// `value` as a label value of the text format: backslash, double quote and line feed escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The current metrics, whatever was asked (rendering may ask the database, its standbys).
pub fn answer(metrics: &Metrics) -> HttpAnswer {
    HttpAnswer {
        status: 200,
        content_type: "text/plain; version=0.0.4; charset=utf-8",
        cache_control: None,
        body: metrics.render(crate::clock::now().seconds()).into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::label;

    /// A standby's name is the database's to choose: whatever it holds, it stays one label
    /// value on one line.
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("pg-2"), "pg-2");
        assert_eq!(
            label("a\"b\\c\nd"),
            "a\\\"b\\\\c\\nd",
            "quote, backslash and line feed escaped"
        );
    }
}
