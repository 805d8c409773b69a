//! X.509 times as Unix seconds.

use eproxy_policy::UnixTime;
use x509_cert::time::Time;

/// `time` in Unix seconds. Every X.509 time (years up to 9999) fits an i64.
pub(crate) fn unix_time(time: Time) -> UnixTime {
    UnixTime::from_seconds(i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX))
}
