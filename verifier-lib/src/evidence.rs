//! Registry evidence: a bundle that proves, offline, what the operator's registry recorded about
//! each PoA of a chain (see `proto/eproxy/v1/evidence.proto` and the README there).
//!
//! This module authenticates: statement signatures, freshness, registration before T, inclusion
//! of each registration in the signed checkpoint. What a status means for a contract is the
//! verdict's business ([`crate::verify`]).

use eproxy_policy::UnixTime;
use eproxy_proto::v1::RevocationReason;
use eproxy_proto::v1::{
    DelegationStatus, EnrollmentEvidence, EvidenceBundle, InclusionProof, LogEvent, LogEventKind,
    RegistrationReceipt, SignedReceipt, SignedStatusStatement, StatusStatement,
};
use eproxy_proto::{DelegationId, decode_canonical, revocation_reason};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::authority::Enrollment;
use crate::crypto::{SignatureScheme, SignatureVerifier};
use crate::enrollment::verify_enrollment;
use crate::merkle::{Hash, leaf_hash, verify_inclusion};
use crate::note::{Checkpoint, VerifierKey, verify_checkpoint_with};
use crate::verification_cache::{Signer, VerificationCache};
use crate::witness_policy::WitnessPolicy;

/// The bytes an operator's status-statement signature covers before the statement itself: the
/// key signs checkpoints too, and this prefix keeps one kind from passing for the other.
pub const STATUS_STATEMENT_CONTEXT: &[u8] = b"eproxy status statement v1\n";
/// The bytes an operator's receipt signature covers before the receipt itself.
pub const RECEIPT_CONTEXT: &[u8] = b"eproxy registration receipt v1\n";
/// The largest evidence bundle accepted (a chain of nine PoAs with their proofs fits easily).
pub const MAX_EVIDENCE_BYTES: usize = 2 * 1024 * 1024;
/// The largest status statement or log event.
const MAX_RECORD_BYTES: usize = 4 * 1024;
/// The most links a bundle may carry: a root PoA and the deepest chain the formats allow.
const MAX_LINKS: usize = 9;
/// The longest audit path: a tree of 2^64 leaves.
const MAX_PROOF_HASHES: usize = 64;

/// A PoA's status as the registry stated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryStatus {
    /// Registered, neither revoked nor superseded.
    Active,
    /// Past its validity period (the verifier checks validity itself).
    Expired,
    /// Revoked, effective `at`.
    Revoked {
        /// When the revocation took effect.
        at: UnixTime,
        /// Why, as a code (absent for revocations made before codes existed).
        code: Option<RevocationReason>,
        /// The revoker's words (display text), in statements for those entitled; else empty.
        reason: String,
    },
    /// Replaced by `by`, effective `at`.
    Superseded {
        /// When.
        at: UnixTime,
        /// The replacing PoA.
        by: DelegationId,
    },
    /// A parent in the chain became inactive at `at`.
    ParentInactive {
        /// When.
        at: UnixTime,
    },
    /// The registry does not know the PoA.
    Unknown,
}

/// An authenticated status statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatus {
    /// The PoA it speaks of.
    pub delegation_id: DelegationId,
    /// What it says.
    pub status: RegistryStatus,
    /// When the registry registered the PoA.
    pub registered_at: UnixTime,
    /// When the statement was made.
    pub produced_at: UnixTime,
}

/// One authenticated link of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLink {
    /// The PoA's CMS DER (its signature is not checked here).
    pub delegation_cms: Vec<u8>,
    /// The registry's statement about it.
    pub status: VerifiedStatus,
}

/// An authenticated bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEvidence {
    /// The checkpoint every proof led to.
    pub checkpoint: Checkpoint,
    /// The links, in the bundle's order (the PoA a contract names first).
    pub links: Vec<VerifiedLink>,
    /// The enrollment the root PoA's registration names as its signer's authority, logged
    /// before that registration.
    pub root_enrollment: Option<Enrollment>,
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::EvidenceMalformed {
        detail: detail.into(),
    }
}

/// Authenticates `bundle` under the operator's pinned `key` for a contract signed at `at`.
pub fn verify_evidence(
    provider: &dyn SignatureVerifier,
    bundle: &[u8],
    key: &VerifierKey,
    at: UnixTime,
) -> Result<VerifiedEvidence, Error> {
    verify_evidence_with(provider, None, bundle, key, at, None)
}

/// [`verify_evidence`], remembering verified signatures in `cache`, and with `witnesses`,
/// refusing a checkpoint short of their quorum of cosignatures.
pub(crate) fn verify_evidence_with(
    provider: &dyn SignatureVerifier,
    cache: Option<&VerificationCache>,
    bundle: &[u8],
    key: &VerifierKey,
    at: UnixTime,
    witnesses: Option<&WitnessPolicy>,
) -> Result<VerifiedEvidence, Error> {
    let bundle: EvidenceBundle = decode_canonical(bundle, MAX_EVIDENCE_BYTES)
        .map_err(|e| malformed(format!("bundle: {e}")))?;
    if bundle.format_version != 1 {
        return Err(malformed("bundle format_version"));
    }
    if bundle.links.is_empty() || bundle.links.len() > MAX_LINKS {
        return Err(malformed("a bundle carries 1 to 9 links"));
    }
    let checkpoint = verify_checkpoint_with(provider, cache, &bundle.checkpoint, key)?;
    if let Some(witnesses) = witnesses {
        // The operator's signature is verified above; the policy's logs are its own business.
        witnesses.quorum(provider, &bundle.checkpoint)?;
    }
    let mut root_registration = None;
    let links = bundle
        .links
        .iter()
        .map(|link| {
            let delegation_id = DelegationId::of_cms(&link.delegation_cms);
            let signed = link
                .status
                .as_ref()
                .ok_or_else(|| malformed("link without status statement"))?;
            let check_signature = || verify_statement_signature(provider, signed, key);
            match cache {
                Some(cache) => {
                    let digest: [u8; 32] = Sha256::new()
                        .chain_update(&signed.statement)
                        .chain_update(&signed.signature)
                        .finalize()
                        .into();
                    cache.check_signature(
                        &digest,
                        Signer::PublicKey(key.public_key()),
                        check_signature,
                    )?;
                }
                None => check_signature()?,
            }
            let (statement, status) = decode_status_statement(signed, &checkpoint.origin)?;
            if status.delegation_id != delegation_id {
                return Err(Error::StatusStatementMismatch {
                    field: "delegation_id",
                });
            }
            if status.produced_at < at {
                return Err(Error::StatusStatementStale {
                    produced_at: status.produced_at,
                    at,
                });
            }
            if status.status == RegistryStatus::Unknown {
                return Err(Error::NotRegistered);
            }
            root_registration = Some((
                check_registration(link, &statement, &status, &checkpoint, at)?,
                statement.registration_log_index,
            ));
            Ok(VerifiedLink {
                delegation_cms: link.delegation_cms.clone(),
                status,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let root_enrollment = match (root_registration, &bundle.root_enrollment) {
        // The last link must be a root's registration (no parent) naming the enrollment.
        (Some((event, index)), Some(evidence))
            if !event.authority_enrollment_id.is_empty()
                && event.related_delegation_id.is_empty() =>
        {
            Some(check_enrollment(
                provider,
                evidence,
                &event.authority_enrollment_id,
                index,
                key,
                &checkpoint,
            )?)
        }
        (_, Some(_)) => {
            return Err(malformed(
                "an enrollment for a root PoA whose registration names none",
            ));
        }
        // A registration naming an enrollment the bundle lacks proves no authority: the
        // verdict says so.
        (_, None) => None,
    };
    Ok(VerifiedEvidence {
        checkpoint,
        links,
        root_enrollment,
    })
}

/// The enrollment `evidence` carries: signed by the operator, the one `named` by the root
/// PoA's registration (at log index `registered_at_index`), its ENROLLMENT event at its stated
/// time included in the checkpoint's tree at a smaller index.
fn check_enrollment(
    provider: &dyn SignatureVerifier,
    evidence: &EnrollmentEvidence,
    named: &[u8],
    registered_at_index: u64,
    key: &VerifierKey,
    checkpoint: &Checkpoint,
) -> Result<Enrollment, Error> {
    let signed = evidence
        .enrollment
        .as_ref()
        .ok_or_else(|| malformed("enrollment evidence without its enrollment"))?;
    let enrollment = verify_enrollment(provider, signed, key, &checkpoint.origin)?;
    if enrollment.id.as_slice() != named {
        return Err(Error::EnrollmentMismatch { field: "id" });
    }
    let event: LogEvent = decode_canonical(&evidence.enrollment_event, MAX_RECORD_BYTES)
        .map_err(|e| malformed(format!("enrollment event: {e}")))?;
    let is_this_enrollment = event.format_version == 1
        && event.kind == LogEventKind::Enrollment as i32
        && event.delegation_id.as_slice() == enrollment.id
        && event.at_unix_seconds == enrollment.enrolled_at.seconds();
    if !is_this_enrollment {
        return Err(Error::EnrollmentMismatch { field: "log event" });
    }
    let proof = evidence
        .inclusion
        .as_ref()
        .ok_or_else(|| malformed("enrollment evidence without inclusion proof"))?;
    if proof.leaf_index >= registered_at_index {
        return Err(Error::EnrollmentMismatch { field: "log index" });
    }
    check_inclusion(
        &evidence.enrollment_event,
        proof,
        proof.leaf_index,
        checkpoint,
    )?;
    Ok(enrollment)
}

/// A registration receipt whose signature verified: what the registry signed when it
/// registered a PoA, the proof its submitter keeps of when that was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The PoA.
    pub delegation_id: DelegationId,
    /// Its registration event's log index.
    pub log_index: u64,
    /// When the registry registered it, on the registry's clock.
    pub registered_at: UnixTime,
}

/// Verifies a signed registration receipt under `key` and decodes it; its origin must be
/// `origin`.
pub fn verify_receipt(
    provider: &dyn SignatureVerifier,
    signed: &SignedReceipt,
    key: &VerifierKey,
    origin: &str,
) -> Result<VerifiedReceipt, Error> {
    if !operator_signed(
        provider,
        key,
        RECEIPT_CONTEXT,
        &signed.receipt,
        &signed.signature,
    ) {
        return Err(Error::ReceiptSignatureInvalid);
    }
    let receipt: RegistrationReceipt = decode_canonical(&signed.receipt, MAX_RECORD_BYTES)
        .map_err(|e| malformed(format!("receipt: {e}")))?;
    if receipt.format_version != 1 {
        return Err(malformed("receipt format_version"));
    }
    if receipt.log_origin != origin {
        return Err(Error::ReceiptMismatch {
            field: "log_origin",
        });
    }
    let id: [u8; 32] = receipt
        .delegation_id
        .as_slice()
        .try_into()
        .map_err(|_| malformed("receipt delegation_id is not 32 bytes"))?;
    Ok(VerifiedReceipt {
        delegation_id: DelegationId::from_bytes(id),
        log_index: receipt.log_index,
        registered_at: UnixTime::from_seconds(receipt.registered_at_unix_seconds),
    })
}

/// Verifies a signed status statement under `key` and decodes it; its origin must be `origin`.
pub fn verify_status_statement(
    provider: &dyn SignatureVerifier,
    signed: &SignedStatusStatement,
    key: &VerifierKey,
    origin: &str,
) -> Result<(StatusStatement, VerifiedStatus), Error> {
    verify_statement_signature(provider, signed, key)?;
    decode_status_statement(signed, origin)
}

/// The operator's signature over a statement, under its domain-separation prefix.
fn verify_statement_signature(
    provider: &dyn SignatureVerifier,
    signed: &SignedStatusStatement,
    key: &VerifierKey,
) -> Result<(), Error> {
    operator_signed(
        provider,
        key,
        STATUS_STATEMENT_CONTEXT,
        &signed.statement,
        &signed.signature,
    )
    .then_some(())
    .ok_or(Error::StatusStatementSignatureInvalid)
}

/// Whether `signature` is the operator's (`key`) over `context` followed by `bytes`: how the
/// operator signs everything but its checkpoints, each kind under its own prefix.
pub(crate) fn operator_signed(
    provider: &dyn SignatureVerifier,
    key: &VerifierKey,
    context: &[u8],
    bytes: &[u8],
    signature: &[u8],
) -> bool {
    let mut message = context.to_vec();
    message.extend_from_slice(bytes);
    provider
        .verify(
            SignatureScheme::Ed25519,
            key.public_key(),
            &message,
            signature,
        )
        .is_ok()
}

/// Decodes a statement whose signature has been verified; its origin must be `origin`.
fn decode_status_statement(
    signed: &SignedStatusStatement,
    origin: &str,
) -> Result<(StatusStatement, VerifiedStatus), Error> {
    let statement: StatusStatement = decode_canonical(&signed.statement, MAX_RECORD_BYTES)
        .map_err(|e| malformed(format!("status statement: {e}")))?;
    if statement.format_version != 1 {
        return Err(malformed("status statement format_version"));
    }
    if statement.log_origin != origin {
        return Err(Error::StatusStatementMismatch {
            field: "log_origin",
        });
    }
    let id: [u8; 32] = statement
        .delegation_id
        .as_slice()
        .try_into()
        .map_err(|_| malformed("delegation_id is not 32 bytes"))?;
    let changed_at = UnixTime::from_seconds(statement.changed_at_unix_seconds);
    let status = match DelegationStatus::try_from(statement.status) {
        Ok(DelegationStatus::Active) => RegistryStatus::Active,
        Ok(DelegationStatus::Expired) => RegistryStatus::Expired,
        Ok(DelegationStatus::Revoked) => RegistryStatus::Revoked {
            at: changed_at,
            code: match statement.revocation_reason_code {
                0 => None,
                number => Some(
                    revocation_reason("revocation_reason_code", number)
                        .map_err(|e| malformed(format!("status statement: {e}")))?,
                ),
            },
            reason: statement.revocation_reason.clone(),
        },
        Ok(DelegationStatus::Superseded) => RegistryStatus::Superseded {
            at: changed_at,
            by: DelegationId::from_bytes(
                statement
                    .superseded_by
                    .as_slice()
                    .try_into()
                    .map_err(|_| malformed("superseded_by is not 32 bytes"))?,
            ),
        },
        Ok(DelegationStatus::ParentInactive) => RegistryStatus::ParentInactive { at: changed_at },
        Ok(DelegationStatus::Unknown) => RegistryStatus::Unknown,
        Ok(DelegationStatus::Unspecified) | Err(_) => {
            return Err(malformed("status unspecified or unknown value"));
        }
    };
    let verified = VerifiedStatus {
        delegation_id: DelegationId::from_bytes(id),
        status,
        registered_at: UnixTime::from_seconds(statement.registered_at_unix_seconds),
        produced_at: UnixTime::from_seconds(statement.produced_at_unix_seconds),
    };
    Ok((statement, verified))
}

/// The registration event must be this PoA's, at the stated time, no later than `at`, and
/// included in the checkpoint's tree at the stated index. Returns it.
fn check_registration(
    link: &eproxy_proto::v1::LinkEvidence,
    statement: &StatusStatement,
    status: &VerifiedStatus,
    checkpoint: &Checkpoint,
    at: UnixTime,
) -> Result<LogEvent, Error> {
    let event: LogEvent = decode_canonical(&link.registration_event, MAX_RECORD_BYTES)
        .map_err(|e| malformed(format!("registration event: {e}")))?;
    let is_this_registration = event.format_version == 1
        && event.kind == LogEventKind::Registration as i32
        && event.delegation_id.as_slice() == status.delegation_id.as_bytes()
        && event.at_unix_seconds == statement.registered_at_unix_seconds;
    if !is_this_registration {
        return Err(Error::RegistrationEventMismatch);
    }
    if status.registered_at > at {
        return Err(Error::RegisteredAfter {
            registered_at: status.registered_at,
            at,
        });
    }
    let proof = link
        .inclusion
        .as_ref()
        .ok_or_else(|| malformed("link without inclusion proof"))?;
    check_inclusion(
        &link.registration_event,
        proof,
        statement.registration_log_index,
        checkpoint,
    )?;
    Ok(event)
}

/// `proof` must lead from `leaf`, at log index `index`, to the checkpoint's root at the
/// checkpoint's size.
fn check_inclusion(
    leaf: &[u8],
    proof: &InclusionProof,
    index: u64,
    checkpoint: &Checkpoint,
) -> Result<(), Error> {
    if proof.hashes.len() > MAX_PROOF_HASHES {
        return Err(Error::InclusionProofInvalid);
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| Hash::try_from(h.as_slice()).map_err(|_| Error::InclusionProofInvalid))
        .collect::<Result<Vec<_>, _>>()?;
    let included = proof.leaf_index == index
        && proof.tree_size == checkpoint.size
        && verify_inclusion(
            &leaf_hash(leaf),
            proof.leaf_index,
            proof.tree_size,
            &hashes,
            &checkpoint.root,
        );
    if included {
        Ok(())
    } else {
        Err(Error::InclusionProofInvalid)
    }
}
