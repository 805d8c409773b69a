//! Rules shared by fields of several messages: corporate numbers, times, digests, ids.

use eproxy_policy::{CorporateNumber, UnixTime};

use crate::{DelegationId, FormatError};

/// Validates a required corporate number found at `field`.
pub(crate) fn corporate_number(
    field: &'static str,
    text: &str,
) -> Result<CorporateNumber, FormatError> {
    if text.is_empty() {
        return Err(FormatError::MissingField(field));
    }
    CorporateNumber::parse(text).map_err(|error| FormatError::CorporateNumber { field, error })
}

/// Validates a time that must be positive (every time field of the formats).
pub(crate) fn positive_time(field: &'static str, seconds: i64) -> Result<UnixTime, FormatError> {
    if seconds <= 0 {
        return Err(FormatError::TimeNotPositive { field });
    }
    Ok(UnixTime::from_seconds(seconds))
}

/// Validates a SHA-256 digest field: exactly 32 bytes.
pub(crate) fn sha256(field: &'static str, bytes: &[u8]) -> Result<[u8; 32], FormatError> {
    bytes.try_into().map_err(|_| FormatError::DigestLength {
        field,
        actual: bytes.len(),
    })
}

/// Validates a delegation id field where the empty string means "none".
pub(crate) fn optional_delegation_id(
    field: &'static str,
    text: &str,
) -> Result<Option<DelegationId>, FormatError> {
    if text.is_empty() {
        return Ok(None);
    }
    DelegationId::parse(text)
        .map(Some)
        .map_err(|error| FormatError::DelegationId { field, error })
}

/// Validates a required delegation id field.
pub(crate) fn delegation_id(field: &'static str, text: &str) -> Result<DelegationId, FormatError> {
    optional_delegation_id(field, text)?.ok_or(FormatError::MissingField(field))
}
