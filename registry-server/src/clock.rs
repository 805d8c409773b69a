//! The registry's clock: the one place the time is read, below every other module, so that
//! the log, the metrics and the writer need not reach up to the gRPC service for it.

use std::time::{SystemTime, UNIX_EPOCH};

use eproxy_policy::UnixTime;

/// The time now, in whole seconds.
pub fn now() -> UnixTime {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UnixTime::from_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// The time now, in nanoseconds since the epoch (0 for a clock before it).
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
