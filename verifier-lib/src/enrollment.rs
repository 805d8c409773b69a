//! Enrollments as the registry signs them (`proto/eproxy/v1/enrollment.proto`): the operator's
//! statement that a JPKI signing certificate speaks for a company from a time. Authenticated
//! here under the pinned operator key; what an enrollment proves is [`crate::authority`]'s
//! business.

use eproxy_policy::{CorporateNumber, UnixTime};
use eproxy_proto::decode_canonical;
use eproxy_proto::v1::SignedEnrollment;
use eproxy_proto::v1::{Enrollment as EnrollmentMessage, EnrollmentKind as KindMessage};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::authority::{Enrollment, EnrollmentKind};
use crate::crypto::SignatureVerifier;
use crate::evidence::operator_signed;
use crate::note::VerifierKey;

/// The bytes an operator's enrollment signature covers before the enrollment itself: the key
/// signs checkpoints, statements and receipts too, and this prefix keeps one kind from passing
/// for another.
pub const ENROLLMENT_CONTEXT: &[u8] = b"eproxy enrollment v1\n";

/// The largest enrollment accepted.
const MAX_ENROLLMENT_BYTES: usize = 2 * 1024;

/// The id of the enrollment whose canonical bytes are `enrollment`: their SHA-256, the id its
/// log events carry.
pub fn enrollment_id(enrollment: &[u8]) -> [u8; 32] {
    Sha256::digest(enrollment).into()
}

/// Verifies `signed` under the operator's `key` and decodes it; it must be of the log of
/// `origin`.
pub fn verify_enrollment(
    provider: &dyn SignatureVerifier,
    signed: &SignedEnrollment,
    key: &VerifierKey,
    origin: &str,
) -> Result<Enrollment, Error> {
    if !operator_signed(
        provider,
        key,
        ENROLLMENT_CONTEXT,
        &signed.enrollment,
        &signed.signature,
    ) {
        return Err(Error::EnrollmentSignatureInvalid);
    }
    decode_enrollment(&signed.enrollment, origin)
}

/// Decodes an enrollment whose signature was verified (or that the registry itself wrote).
pub fn decode_enrollment(bytes: &[u8], origin: &str) -> Result<Enrollment, Error> {
    let malformed = |detail: &str| Error::EvidenceMalformed {
        detail: format!("enrollment: {detail}"),
    };
    let message: EnrollmentMessage =
        decode_canonical(bytes, MAX_ENROLLMENT_BYTES).map_err(|e| malformed(&e.to_string()))?;
    if message.format_version != 1 {
        return Err(malformed("format_version"));
    }
    if message.log_origin != origin {
        return Err(Error::EnrollmentMismatch {
            field: "log_origin",
        });
    }
    let company = CorporateNumber::parse(&message.corporate_number)
        .map_err(|e| malformed(&format!("corporate_number: {e}")))?;
    let certificate_sha256 = message
        .certificate_sha256
        .as_slice()
        .try_into()
        .map_err(|_| malformed("certificate_sha256 is not 32 bytes"))?;
    let kind = match KindMessage::try_from(message.kind) {
        Ok(KindMessage::OperatorAttested) => EnrollmentKind::AttestedByOperator,
        Ok(KindMessage::RepresentativeLinked) => EnrollmentKind::LinkedByRepresentative,
        _ => return Err(malformed("kind unspecified or unknown")),
    };
    Ok(Enrollment {
        id: enrollment_id(bytes),
        kind,
        company,
        certificate_sha256,
        enrolled_at: UnixTime::from_seconds(message.enrolled_at_unix_seconds),
        ended_at: None,
    })
}
