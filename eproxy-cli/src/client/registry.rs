//! The registry's calls, each answer checked before it is believed: a receipt or a status
//! statement under the operator's key and about what was asked, a listed PoA against its id.
//! Nothing here prints; the commands report what these return.

use eproxy_proto::registry::v1 as api;
use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
use eproxy_proto::v1::{RegistrationReceipt, SignedReceipt, SignedStatusStatement};
use eproxy_proto::{DelegationId, decode_canonical};
use eproxy_verifier::authority::Enrollment;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::enrollment::verify_enrollment;
use eproxy_verifier::evidence::{
    RegistryStatus, VerifiedReceipt, VerifiedStatus, verify_receipt, verify_status_statement,
};
use eproxy_verifier::note::VerifierKey;

use super::with_registry;
use crate::error::CliError;

/// The largest receipt decoded.
const MAX_RECORD_BYTES: usize = 4096;

/// What a submission came to.
pub struct Submitted {
    /// The receipt, checked under the operator's key when one was given.
    pub receipt: VerifiedReceipt,
    /// Whether the registry held the same bytes before.
    pub already_registered: bool,
    /// Whether the receipt's signature was checked.
    pub receipt_verified: bool,
}

/// Submits the signed PoA `cms` with `crls`; its receipt is checked under `operator` when one
/// is known, and must name the PoA submitted.
pub fn submit(
    url: &str,
    cms: Vec<u8>,
    crls: Vec<Vec<u8>>,
    operator: Option<&VerifierKey>,
) -> Result<Submitted, CliError> {
    let submitted = DelegationId::of_cms(&cms);
    let response = with_registry(url, "register the PoA", |mut registry, _| {
        let request = api::SubmitDelegationRequest {
            delegation_cms: cms.clone(),
            crls: crls.clone(),
        };
        async move {
            registry
                .submit_delegation(request)
                .await
                .map(tonic::Response::into_inner)
        }
    })?;
    let signed = response
        .receipt
        .ok_or_else(|| CliError::new("the registry's answer has no receipt"))?;
    let receipt = match operator {
        Some(key) => verify_receipt(&AWS_LC, &signed, key, key.name()).map_err(|e| {
            CliError::new(format!(
                "the registry's receipt does not verify under the operator's key: {e}"
            ))
            .fix("check the operator key; if it is right, this registry's answers are not to be trusted")
        })?,
        None => unchecked_receipt(&signed)?,
    };
    if receipt.delegation_id != submitted {
        return Err(CliError::new(format!(
            "the registry's receipt names {}, not the PoA submitted ({submitted})",
            receipt.delegation_id
        )));
    }
    Ok(Submitted {
        receipt,
        already_registered: response.already_registered,
        receipt_verified: operator.is_some(),
    })
}

/// A receipt read without its signature checked (no operator key is known): reported as such.
fn unchecked_receipt(signed: &SignedReceipt) -> Result<VerifiedReceipt, CliError> {
    let receipt: RegistrationReceipt = decode_canonical(&signed.receipt, MAX_RECORD_BYTES)
        .map_err(|e| CliError::new(format!("the registry's receipt is malformed: {e}")))?;
    let id = <[u8; 32]>::try_from(receipt.delegation_id.as_slice())
        .map(DelegationId::from_bytes)
        .map_err(|_| CliError::new("the registry's receipt names no PoA"))?;
    Ok(VerifiedReceipt {
        delegation_id: id,
        log_index: receipt.log_index,
        registered_at: eproxy_policy::UnixTime::from_seconds(receipt.registered_at_unix_seconds),
    })
}

/// The status of `id`, its statement checked under `operator` and about `id`.
pub fn status(
    url: &str,
    id: DelegationId,
    operator: &VerifierKey,
) -> Result<VerifiedStatus, CliError> {
    let signed = with_registry(url, "give the status", |mut registry, _| async move {
        registry
            .get_status(api::GetStatusRequest {
                delegation_id: id.to_string(),
            })
            .await
            .map(tonic::Response::into_inner)
    })?
    .status
    .ok_or_else(|| CliError::new("the registry's answer has no status statement"))?;
    let status = verified_status(&signed, operator)?;
    if status.delegation_id != id {
        return Err(CliError::new(
            "the registry answered about another PoA than the one asked",
        ));
    }
    Ok(status)
}

/// Sends the signed revocation request `request_cms` for `id`; the answer must be `operator`'s
/// statement that `id` is revoked. With it, whether it already was.
pub fn revoke(
    url: &str,
    id: DelegationId,
    request_cms: Vec<u8>,
    operator: &VerifierKey,
) -> Result<(VerifiedStatus, bool), CliError> {
    let response = with_registry(url, "revoke the PoA", |mut registry, _| {
        let request = api::RevokeDelegationRequest {
            request_cms: request_cms.clone(),
            crls: Vec::new(),
        };
        async move {
            registry
                .revoke_delegation(request)
                .await
                .map(tonic::Response::into_inner)
        }
    })?;
    let signed = response
        .status
        .ok_or_else(|| CliError::new("the registry's answer has no status statement"))?;
    let status = verified_status(&signed, operator)?;
    if !matches!(status.status, RegistryStatus::Revoked { .. }) || status.delegation_id != id {
        return Err(CliError::new(format!(
            "the registry answered {} for {}, not a revocation of {id}",
            status_name(&status.status),
            status.delegation_id
        )));
    }
    Ok((status, response.already_revoked))
}

/// Every PoA the signed listing request `request_cms` entitles to, page after page, each
/// checked: its bytes hash to its id, and its statement is `operator`'s and about it.
pub fn company_poas(
    url: &str,
    request_cms: Vec<u8>,
    operator: &VerifierKey,
) -> Result<Vec<(Vec<u8>, VerifiedStatus)>, CliError> {
    /// The most pages followed: far beyond any company's PoAs at the registry's page size.
    const MAX_PAGES: usize = 10_000;
    let (summaries, complete) =
        with_registry(url, "list the company's PoAs", |mut registry, _| {
            let request_cms = request_cms.clone();
            async move {
                let mut all = Vec::new();
                let mut page_token = String::new();
                for _ in 0..MAX_PAGES {
                    let page = registry
                        .list_delegations(api::ListDelegationsRequest {
                            request_cms: request_cms.clone(),
                            page_token: page_token.clone(),
                            page_size: 0,
                            delegatee_certificate_sha256: Vec::new(),
                        })
                        .await
                        .map(tonic::Response::into_inner)?;
                    all.extend(page.delegations);
                    if page.next_page_token.is_empty() {
                        return Ok((all, true));
                    }
                    page_token = page.next_page_token;
                }
                Ok((all, false))
            }
        })?;
    if !complete {
        return Err(CliError::new("the registry's listing does not end"));
    }
    summaries
        .into_iter()
        .map(|summary| {
            let signed = summary
                .status
                .as_ref()
                .ok_or_else(|| CliError::new("a listed PoA has no status statement"))?;
            let status = verified_status(signed, operator)?;
            if status.delegation_id.to_string() != summary.delegation_id
                || DelegationId::of_cms(&summary.delegation_cms).to_string()
                    != summary.delegation_id
            {
                return Err(CliError::new(
                    "the registry listed a PoA whose bytes or status do not match its id",
                ));
            }
            Ok((summary.delegation_cms, status))
        })
        .collect()
}

/// Sends the signed card link `request_cms`; the answer is the enrollment, checked under
/// `operator`, and its log index.
pub fn enroll_card(
    url: &str,
    request_cms: Vec<u8>,
    operator: &VerifierKey,
) -> Result<(Enrollment, u64), CliError> {
    let response = with_registry(url, "link the card", |mut registry, _| {
        let request = api::EnrollCardRequest {
            request_cms: request_cms.clone(),
            crls: Vec::new(),
        };
        async move {
            registry
                .enroll_card(request)
                .await
                .map(tonic::Response::into_inner)
        }
    })?;
    let signed = response
        .enrollment
        .ok_or_else(|| CliError::new("the registry's answer has no enrollment"))?;
    let enrollment = verify_enrollment(&AWS_LC, &signed, operator, operator.name())
        .map_err(|e| CliError::new(format!("the registry's enrollment: {e}")))?;
    Ok((enrollment, response.log_index))
}

/// Sends the signed enrollment end `request_cms`; the ended enrollment's id and the log index
/// of its end.
pub fn end_enrollment(url: &str, request_cms: Vec<u8>) -> Result<(Vec<u8>, u64), CliError> {
    let response = with_registry(url, "end the card's enrollment", |mut registry, _| {
        let request = api::EndEnrollmentRequest {
            request_cms: request_cms.clone(),
            crls: Vec::new(),
        };
        async move {
            registry
                .end_enrollment(request)
                .await
                .map(tonic::Response::into_inner)
        }
    })?;
    Ok((response.enrollment_id, response.log_index))
}

/// The evidence bundle of `id`, released on `entitlement` (checked by `eproxy verify`).
pub fn evidence(
    url: &str,
    id: DelegationId,
    entitlement: Entitlement,
) -> Result<Vec<u8>, CliError> {
    with_registry(url, "release the evidence", |mut registry, _| {
        let request = api::GetEvidenceRequest {
            delegation_id: id.to_string(),
            entitlement: Some(entitlement.clone()),
        };
        async move {
            registry
                .get_evidence(request)
                .await
                .map(|r| r.into_inner().bundle)
        }
    })
}

/// The log's latest checkpoint note, as served (the monitor checks it).
pub fn checkpoint(url: &str) -> Result<String, CliError> {
    with_registry(url, "give its checkpoint", |_, mut log| async move {
        log.get_checkpoint(api::GetCheckpointRequest {})
            .await
            .map(|r| r.into_inner().checkpoint)
    })
}

/// The consistency proof from `old_size` to `new_size`, as served (the monitor checks it).
pub fn consistency_proof(
    url: &str,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Vec<u8>>, CliError> {
    with_registry(url, "prove consistency", |_, mut log| async move {
        log.get_consistency_proof(api::GetConsistencyProofRequest { old_size, new_size })
            .await
            .map(|r| r.into_inner().hashes)
    })
}

/// A statement's content, its signature verified under the operator's key. A status is never
/// believed unauthenticated: anyone between here and the registry could forge one.
pub fn verified_status(
    signed: &SignedStatusStatement,
    key: &VerifierKey,
) -> Result<VerifiedStatus, CliError> {
    verify_status_statement(&AWS_LC, signed, key, key.name())
        .map(|(_, status)| status)
        .map_err(|e| {
            CliError::new(format!(
                "the registry's status statement does not verify under the operator's key: {e}"
            ))
            .fix(
                "check the operator key; if it is right, this registry's answers are not to be \
                 trusted",
            )
        })
}

/// A status's name, as reports give it.
pub fn status_name(status: &RegistryStatus) -> &'static str {
    match status {
        RegistryStatus::Active => "active",
        RegistryStatus::Expired => "expired",
        RegistryStatus::Revoked { .. } => "revoked",
        RegistryStatus::Superseded { .. } => "superseded",
        RegistryStatus::ParentInactive { .. } => "parent-inactive",
        RegistryStatus::Unknown => "unknown",
    }
}
