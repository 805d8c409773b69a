//! `eproxy delegation submit | status | revoke | list | evidence`: the registry's side of a PoA.
//! Requests that act for a company (revoke, list, evidence for the company) are CMS-signed
//! RegistryRequests, bound to this registry's log, a fresh time and a random nonce.

use std::path::Path;

use eproxy_policy::CorporateNumber;
use eproxy_proto::registry::v1 as api;
use eproxy_proto::v1::{RegistrationReceipt, SignedReceipt, SignedStatusStatement};
use eproxy_proto::{
    Action, DelegationId, REVOCATION_REASONS, RegistryRequest, decode_canonical,
    revocation_reason_name,
};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::commercial_registration::RegisteredCorporation;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::evidence::{
    RegistryStatus, VerifiedReceipt, verify_receipt, verify_status_statement,
};
use eproxy_verifier::note::VerifierKey;
use serde::Serialize;

use crate::cli::{CompanyRequestArgs, KeyArgs, RegistryArgs};
use crate::client::{operator_key_path, refused, registry_url, with_registry};
use crate::commands::{Outcome, now, open_key};
use crate::error::CliError;
use crate::input::{MAX_CMS_FILE_BYTES, read_crls, read_limited};
use crate::output::{print_json, write_output};
use crate::render::TimeView;
use crate::signing::sign_content;
use crate::time_text::jst;

/// The largest receipt or statement decoded.
const MAX_RECORD_BYTES: usize = 4096;

/// `submit`'s report.
#[derive(Serialize)]
struct Submitted {
    delegation_id: String,
    log_index: u64,
    registered_at: TimeView,
    already_registered: bool,
    /// Whether the receipt's signature was checked under the operator's key.
    receipt_verified: bool,
}

/// Submits a signed PoA.
pub fn submit(
    file: &Path,
    crls: &[std::path::PathBuf],
    registry: &RegistryArgs,
    json: bool,
) -> Result<Outcome, CliError> {
    let cms = read_limited(file, MAX_CMS_FILE_BYTES, "signed PoA")?;
    let submitted = DelegationId::of_cms(&cms);
    let crls = read_crls(crls)?;
    let url = registry_url(registry.registry.as_deref())?;
    let operator = match operator_key_path(registry.operator_key.as_ref())? {
        Some(_) => Some(operator_key(registry)?),
        None => None,
    };
    let response = with_registry(&url, |mut registry, _| async move {
        registry
            .submit_delegation(api::SubmitDelegationRequest {
                delegation_cms: cms,
                crls,
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| refused("register the PoA", s))
    })?;
    let signed = response
        .receipt
        .ok_or_else(|| CliError::new("the registry's answer has no receipt"))?;
    let receipt = match &operator {
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
    let report = Submitted {
        delegation_id: submitted.to_string(),
        log_index: receipt.log_index,
        registered_at: TimeView::of(receipt.registered_at),
        already_registered: response.already_registered,
        receipt_verified: operator.is_some(),
    };
    if json {
        print_json(&report)?;
    } else {
        let verb = if report.already_registered {
            "was already registered"
        } else {
            "is registered"
        };
        println!("PoA {} {verb}", report.delegation_id);
        println!("  log index {}", report.log_index);
        println!(
            "  registered at {} (the registry's clock)",
            jst(receipt.registered_at)
        );
        if report.receipt_verified {
            println!("  receipt signed by the operator: checked under its key");
        } else {
            println!("  receipt NOT checked: no operator key (give --operator-key to check it)");
        }
    }
    Ok(Outcome::Done)
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

/// `status`'s report.
#[derive(Serialize)]
pub struct StatusReport {
    pub delegation_id: String,
    /// active, revoked, superseded, expired, parent-inactive or unknown.
    pub status: &'static str,
    /// When it changed (revocation, supersession, parent's end).
    effective_at: Option<TimeView>,
    /// A revocation's code (public).
    reason_code: Option<&'static str>,
    /// A revocation's reason in the revoker's words, when the statement was made for someone
    /// entitled to it.
    reason: Option<String>,
    superseded_by: Option<String>,
    registered_at: Option<TimeView>,
    produced_at: TimeView,
}

/// Reads a PoA's status; the statement is checked under the operator's key when one is known.
pub fn status(id: &str, registry: &RegistryArgs, json: bool) -> Result<Outcome, CliError> {
    let id = parse_id(id)?;
    let url = registry_url(registry.registry.as_deref())?;
    let key = operator_key(registry)?;
    let signed = with_registry(&url, |mut registry, _| async move {
        registry
            .get_status(api::GetStatusRequest {
                delegation_id: id.to_string(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| refused("give the status", s))
    })?
    .status
    .ok_or_else(|| CliError::new("the registry's answer has no status statement"))?;
    let report = status_report(&signed, &key)?;
    if report.delegation_id != id.to_string() {
        return Err(CliError::new(
            "the registry answered about another PoA than the one asked",
        ));
    }
    if json {
        print_json(&report)?;
    } else {
        println!("PoA {}: {}", report.delegation_id, report.status);
        if let Some(at) = &report.effective_at {
            println!(
                "  since {}",
                jst(eproxy_policy::UnixTime::from_seconds(at.unix))
            );
        }
        if let Some(code) = report.reason_code {
            println!("  reason code: {code}");
        }
        if let Some(reason) = &report.reason {
            println!("  reason: {reason}");
        }
        if let Some(by) = &report.superseded_by {
            println!("  replaced by {by}");
        }
    }
    Ok(Outcome::Done)
}

/// A statement as reported, its signature verified under the operator's key. A status is
/// never shown unauthenticated: anyone between here and the registry could forge one.
fn status_report(
    signed: &SignedStatusStatement,
    key: &VerifierKey,
) -> Result<StatusReport, CliError> {
    let (_, status) = verify_status_statement(&AWS_LC, signed, key, key.name()).map_err(|e| {
        CliError::new(format!(
            "the registry's status statement does not verify under the operator's key: {e}"
        ))
        .fix(
            "check the operator key; if it is right, this registry's answers are not to be trusted",
        )
    })?;
    let (name, effective_at, reason, superseded_by) = match &status.status {
        RegistryStatus::Active => ("active", None, None, None),
        RegistryStatus::Expired => ("expired", None, None, None),
        RegistryStatus::Revoked { at, reason, .. } => (
            "revoked",
            Some(*at),
            (!reason.is_empty()).then(|| reason.clone()),
            None,
        ),
        RegistryStatus::Superseded { at, by } => {
            ("superseded", Some(*at), None, Some(by.to_string()))
        }
        RegistryStatus::ParentInactive { at } => ("parent-inactive", Some(*at), None, None),
        RegistryStatus::Unknown => ("unknown", None, None, None),
    };
    let reason_code = match &status.status {
        RegistryStatus::Revoked {
            code: Some(code), ..
        } => Some(revocation_reason_name(*code)),
        _ => None,
    };
    Ok(StatusReport {
        delegation_id: status.delegation_id.to_string(),
        status: name,
        effective_at: effective_at.map(TimeView::of),
        reason_code,
        reason,
        superseded_by,
        registered_at: (status.registered_at.seconds() != 0)
            .then(|| TimeView::of(status.registered_at)),
        produced_at: TimeView::of(status.produced_at),
    })
}

/// Revokes a PoA: a request signed by the company's representative (or, for a sub-delegation,
/// its delegator), effective at the registry's time of receipt.
pub fn revoke(
    id: &str,
    (reason_code, reason): (&str, &str),
    request: &CompanyRequestArgs,
) -> Result<Outcome, CliError> {
    let (key, company, registry, json) = request.parts();
    let id = parse_id(id)?;
    let url = registry_url(registry.registry.as_deref())?;
    let operator = operator_key(registry)?;
    let request = signed_request(
        key,
        company,
        Action::Revocation {
            delegation_id: id,
            reason: reason.to_owned(),
            reason_code: REVOCATION_REASONS
                .iter()
                .find(|(name, _)| *name == reason_code)
                .map(|(_, code)| *code)
                .ok_or_else(|| CliError::new(format!("--reason-code {reason_code}: unknown")))?,
        },
        &operator,
    )?;
    let response = with_registry(&url, |mut registry, _| async move {
        registry
            .revoke_delegation(api::RevokeDelegationRequest {
                request_cms: request,
                crls: Vec::new(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| refused("revoke the PoA", s))
    })?;
    let signed = response
        .status
        .ok_or_else(|| CliError::new("the registry's answer has no status statement"))?;
    let report = status_report(&signed, &operator)?;
    if report.status != "revoked" || report.delegation_id != id.to_string() {
        return Err(CliError::new(format!(
            "the registry answered {} for {}, not a revocation of {id}",
            report.status, report.delegation_id
        )));
    }
    if json {
        print_json(&report)?;
    } else {
        let already = if response.already_revoked {
            " (it already was)"
        } else {
            ""
        };
        println!("PoA {id} is revoked{already}");
        if let Some(at) = &report.effective_at {
            println!(
                "  effective {} (the registry's clock)",
                jst(eproxy_policy::UnixTime::from_seconds(at.unix))
            );
        }
    }
    Ok(Outcome::Done)
}

/// One line of `list`.
#[derive(Serialize)]
struct Listed {
    delegation_id: String,
    status: StatusReport,
}

/// One PoA of the company's listing: its bytes and its verified status.
pub struct ListedPoa {
    /// The PoA's CMS, checked to hash to its id.
    pub cms: Vec<u8>,
    /// Its status, checked under the operator's key.
    pub status: StatusReport,
}

/// Lists the company's PoAs, every page.
pub fn list(request: &CompanyRequestArgs) -> Result<Outcome, CliError> {
    let (key, company, registry, json) = request.parts();
    let listed: Vec<Listed> = company_poas(key, company, registry)?
        .into_iter()
        .map(|poa| Listed {
            delegation_id: poa.status.delegation_id.clone(),
            status: poa.status,
        })
        .collect();
    if json {
        return print_json(&listed).map(|()| Outcome::Done);
    }
    if listed.is_empty() {
        println!("the registry holds no PoA of this company");
    }
    for item in &listed {
        println!("{}  {}", item.delegation_id, item.status.status);
    }
    Ok(Outcome::Done)
}

/// The company's PoAs at the registry, each checked: its bytes hash to its id, and its status
/// statement is the operator's and about it.
pub fn company_poas(
    key: &KeyArgs,
    company: Option<&str>,
    registry: &RegistryArgs,
) -> Result<Vec<ListedPoa>, CliError> {
    /// The most pages followed: far beyond any company's PoAs at the registry's page size.
    const MAX_PAGES: usize = 10_000;
    let url = registry_url(registry.registry.as_deref())?;
    let operator = operator_key(registry)?;
    let request = signed_request(key, company, Action::Listing, &operator)?;
    let summaries = with_registry(&url, |mut registry, _| async move {
        let mut all = Vec::new();
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let page = registry
                .list_delegations(api::ListDelegationsRequest {
                    request_cms: request.clone(),
                    page_token: page_token.clone(),
                    page_size: 0,
                    delegatee_certificate_sha256: Vec::new(),
                })
                .await
                .map(tonic::Response::into_inner)
                .map_err(|s| refused("list the company's PoAs", s))?;
            all.extend(page.delegations);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
        Err(CliError::new("the registry's listing does not end"))
    })?;
    summaries
        .into_iter()
        .map(|summary| {
            let signed = summary
                .status
                .as_ref()
                .ok_or_else(|| CliError::new("a listed PoA has no status statement"))?;
            let status = status_report(signed, &operator)?;
            if status.delegation_id != summary.delegation_id
                || DelegationId::of_cms(&summary.delegation_cms).to_string()
                    != summary.delegation_id
            {
                return Err(CliError::new(
                    "the registry listed a PoA whose bytes or status do not match its id",
                ));
            }
            Ok(ListedPoa {
                cms: summary.delegation_cms,
                status,
            })
        })
        .collect()
}

/// Fetches a PoA's evidence bundle: as a counterparty (with the contract signed under it) or as
/// the company (with a signed request).
pub fn evidence(
    id: &str,
    contract: Option<&Path>,
    key: Option<&KeyArgs>,
    company: Option<&str>,
    registry: &RegistryArgs,
    out: &Path,
    json: bool,
) -> Result<Outcome, CliError> {
    let id = parse_id(id)?;
    let url = registry_url(registry.registry.as_deref())?;
    let entitlement = match (contract, key) {
        (Some(file), None) => api::get_evidence_request::Entitlement::ContractCms(read_limited(
            file,
            MAX_CMS_FILE_BYTES,
            "signed contract",
        )?),
        (None, Some(key)) => {
            let operator = operator_key(registry)?;
            api::get_evidence_request::Entitlement::RequestCms(signed_request(
                key,
                company,
                Action::EvidenceRelease { delegation_id: id },
                &operator,
            )?)
        }
        _ => {
            return Err(CliError::new("say why you may see the PoA").fix(
                "a counterparty gives --contract FILE (signed under the PoA); the company gives --key KEY",
            ));
        }
    };
    let bundle = with_registry(&url, |mut registry, _| async move {
        registry
            .get_evidence(api::GetEvidenceRequest {
                delegation_id: id.to_string(),
                entitlement: Some(entitlement),
            })
            .await
            .map(|r| r.into_inner().bundle)
            .map_err(|s| refused("release the evidence", s))
    })?;
    write_output(out, &bundle)?;
    if json {
        return print_json(&Fetched {
            delegation_id: id.to_string(),
            file: out.display().to_string(),
            bytes: bundle.len(),
        })
        .map(|()| Outcome::Done);
    }
    eprintln!(
        "wrote the evidence bundle for {id} to {} ({} bytes); check it with \
         `eproxy verify CONTRACT --evidence {} --operator-key KEY`",
        out.display(),
        bundle.len(),
        out.display()
    );
    Ok(Outcome::Done)
}

/// `evidence`'s report.
#[derive(Serialize)]
struct Fetched {
    delegation_id: String,
    file: String,
    bytes: usize,
}

pub fn parse_id(text: &str) -> Result<DelegationId, CliError> {
    DelegationId::parse(text).map_err(|e| {
        CliError::new(format!("{text:?} is not a delegation id: {e}"))
            .fix("a delegation id is the 64 hexadecimal digits `eproxy delegation sign` printed")
    })
}

/// The operator's key, required: registry answers are only believed under it.
pub fn operator_key(registry: &RegistryArgs) -> Result<VerifierKey, CliError> {
    let path = operator_key_path(registry.operator_key.as_ref())?.ok_or_else(|| {
        CliError::new("the registry operator's key is needed to check its answers")
            .fix("give --operator-key FILE (the operator publishes it as operator.vkey), or put operator_key = \"FILE\" in ~/.config/eproxy/config.toml")
    })?;
    read_operator_key(&path)
}

/// A note verifier key (`name+hash+base64`) from a file.
pub fn read_operator_key(path: &Path) -> Result<VerifierKey, CliError> {
    let bytes = read_limited(path, 4096, "operator key")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::new(format!("{} is not a verifier key", path.display())))?;
    VerifierKey::parse(text.trim())
        .map_err(|e| CliError::new(format!("{}: not a verifier key: {e}", path.display())))
}

/// A RegistryRequest for `action`, signed with `key`, for this registry's log (the operator
/// key's name is the log's origin), now, with a random nonce.
pub(crate) fn signed_request(
    key: &KeyArgs,
    company: Option<&str>,
    action: Action,
    operator: &VerifierKey,
) -> Result<Vec<u8>, CliError> {
    let signer = open_key(key)?;
    let company = company_of(signer.certificate(), company)?;
    let request = fresh_request(operator, company, action)?;
    sign_content(signer.as_ref(), &request.encode(), request.requested_at)
}

/// A RegistryRequest for `action` by `company` at this registry's log (the operator key's name
/// is the log's origin), now, with a random nonce.
pub(crate) fn fresh_request(
    operator: &VerifierKey,
    company: CorporateNumber,
    action: Action,
) -> Result<RegistryRequest, CliError> {
    let mut nonce = vec![0u8; 32];
    getrandom::fill(&mut nonce)
        .map_err(|e| CliError::new(format!("cannot draw a random nonce: {e}")))?;
    Ok(RegistryRequest {
        log_origin: operator.name().to_owned(),
        company,
        requested_at: now()?,
        nonce,
        action,
    })
}

/// The company a request acts for: `--company` if given, else the one a commercial-registration
/// certificate names.
pub(crate) fn company_of(
    certificate: &Certificate,
    flag: Option<&str>,
) -> Result<CorporateNumber, CliError> {
    if let Some(text) = flag {
        return CorporateNumber::parse(text)
            .map_err(|e| CliError::new(format!("--company {text}: {e}")));
    }
    let registration = RegisteredCorporation::of(certificate).ok_or_else(|| {
        CliError::new("the key's certificate names no company")
            .fix("give --company NUMBER (the corporate number you act for)")
    })?;
    CorporateNumber::from_registered_number(&registration.registered_number).map_err(|e| {
        CliError::new(format!(
            "the certificate's registered number {}: {e}",
            registration.registered_number
        ))
    })
}
