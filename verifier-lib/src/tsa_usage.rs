//! What makes a certificate a time-stamping authority's (RFC 3161 2.3): an extendedKeyUsage
//! that is critical and names id-kp-timeStamping alone.

use der::asn1::ObjectIdentifier;

use crate::Error;
use crate::certificate::Certificate;

/// id-kp-timeStamping.
pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// Ok if `certificate` may sign timestamps.
pub(crate) fn check(certificate: &Certificate) -> Result<(), Error> {
    match certificate.extended_key_usage() {
        Some((true, usage)) if usage.0 == [TIME_STAMPING] => Ok(()),
        _ => Err(Error::TimeStampingUsage),
    }
}
