//! `eproxy delegation submit | status | revoke | list | evidence`: the registry's side of a PoA.
//! Requests that act for a company (revoke, list, evidence for the company) are CMS-signed
//! RegistryRequests, bound to this registry's log, a fresh time and a random nonce.

use std::path::Path;

use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
use eproxy_proto::{Action, DelegationId, REVOCATION_REASONS, revocation_reason_name};
use eproxy_verifier::evidence::{RegistryStatus, VerifiedStatus};
use eproxy_verifier::note::VerifierKey;
use serde::Serialize;

use crate::cli::{CompanyRequestArgs, KeyArgs, RegistryArgs};
use crate::client::registry::{self as calls, status_name};
use crate::client::request::{company_of, fresh_request};
use crate::client::{operator_key, operator_key_path, registry_url};
use crate::commands::{Outcome, now, open_key};
use crate::error::CliError;
use crate::input::{MAX_CMS_FILE_BYTES, read_crls, read_limited};
use crate::output::{print_json, write_output};
use crate::render::TimeView;
use crate::signing::sign_content;
use crate::time_text::jst;

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
    let crls = read_crls(crls)?;
    let url = registry_url(registry.registry.as_deref())?;
    let operator = match operator_key_path(registry.operator_key.as_ref())? {
        Some(_) => Some(operator_key(registry)?),
        None => None,
    };
    let submitted = calls::submit(&url, cms, crls, operator.as_ref())?;
    let receipt = &submitted.receipt;
    let report = Submitted {
        delegation_id: receipt.delegation_id.to_string(),
        log_index: receipt.log_index,
        registered_at: TimeView::of(receipt.registered_at),
        already_registered: submitted.already_registered,
        receipt_verified: submitted.receipt_verified,
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
    let report = StatusReport::of(&calls::status(&url, id, &key)?);
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

impl StatusReport {
    /// The report of a verified statement.
    pub fn of(status: &VerifiedStatus) -> Self {
        let (effective_at, reason, superseded_by) = match &status.status {
            RegistryStatus::Active | RegistryStatus::Expired | RegistryStatus::Unknown => {
                (None, None, None)
            }
            RegistryStatus::Revoked { at, reason, .. } => (
                Some(*at),
                (!reason.is_empty()).then(|| reason.clone()),
                None,
            ),
            RegistryStatus::Superseded { at, by } => (Some(*at), None, Some(by.to_string())),
            RegistryStatus::ParentInactive { at } => (Some(*at), None, None),
        };
        let reason_code = match &status.status {
            RegistryStatus::Revoked {
                code: Some(code), ..
            } => Some(revocation_reason_name(*code)),
            _ => None,
        };
        Self {
            delegation_id: status.delegation_id.to_string(),
            status: status_name(&status.status),
            effective_at: effective_at.map(TimeView::of),
            reason_code,
            reason,
            superseded_by,
            registered_at: (status.registered_at.seconds() != 0)
                .then(|| TimeView::of(status.registered_at)),
            produced_at: TimeView::of(status.produced_at),
        }
    }
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
    let (status, already_revoked) = calls::revoke(&url, id, request, &operator)?;
    let report = StatusReport::of(&status);
    if json {
        print_json(&report)?;
    } else {
        let already = if already_revoked {
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
    let url = registry_url(registry.registry.as_deref())?;
    let operator = operator_key(registry)?;
    let request = signed_request(key, company, Action::Listing, &operator)?;
    Ok(calls::company_poas(&url, request, &operator)?
        .into_iter()
        .map(|(cms, status)| ListedPoa {
            cms,
            status: StatusReport::of(&status),
        })
        .collect())
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
        (Some(file), None) => {
            Entitlement::ContractCms(read_limited(file, MAX_CMS_FILE_BYTES, "signed contract")?)
        }
        (None, Some(key)) => {
            let operator = operator_key(registry)?;
            Entitlement::RequestCms(signed_request(
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
    let bundle = calls::evidence(&url, id, entitlement)?;
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
    let request = fresh_request(operator, company, action, now()?)?;
    sign_content(signer.as_ref(), &request.encode(), request.requested_at)
}
