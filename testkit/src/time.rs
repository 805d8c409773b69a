//! Unix seconds to the X.509 time encodings.

use std::time::Duration;

use der::asn1::{GeneralizedTime, UtcTime};
use eproxy_policy::UnixTime;
use x509_cert::time::Time;

use crate::Error;

/// `at` as RFC 5280 requires it: UTCTime through 2049, GeneralizedTime from 2050 on.
pub fn x509_time(at: UnixTime) -> Result<Time, Error> {
    let seconds = u64::try_from(at.seconds()).map_err(|_| Error::TimeBeforeEpoch(at))?;
    let since_epoch = Duration::from_secs(seconds);
    match UtcTime::from_unix_duration(since_epoch) {
        Ok(utc) => Ok(Time::UtcTime(utc)),
        Err(_) => Ok(Time::GeneralTime(GeneralizedTime::from_unix_duration(
            since_epoch,
        )?)),
    }
}
