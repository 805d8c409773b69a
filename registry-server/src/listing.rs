//! A company's own PoAs, page by page, for an authority over that company (`authority.rs`)
//! with a fresh signed request: all of them, or only those bound to one employee certificate (the ones to
//! re-bind when it is renewed or revoked). Pages are read with the same request while it is
//! fresh (the page token and the filter are outside the signed part and only narrow what it
//! authorises), so a listing request's nonce is not spent; each page released is audited.

use eproxy_proto::Action;
use eproxy_proto::registry::v1::DelegationSummary;

use crate::command::Release;
use crate::records::{delegatee_prefix, id_of, status_record, stored_poa};
use crate::refusal::Refusal;
use crate::service::RegistryService;
use crate::status::Audience;
use crate::store::Family;

/// The page size when none is asked for.
pub const DEFAULT_PAGE: usize = 100;
/// The largest page.
pub const MAX_PAGE: usize = 1_000;

/// The index entries a listing walks: the keys in `family` starting with `prefix`, in
/// registration order.
pub struct IndexRange {
    /// The index.
    pub family: Family,
    /// The company's corporate number, preceded by the delegatee certificate's SHA-256 when
    /// the listing is filtered by it.
    pub prefix: Vec<u8>,
}

/// A verified listing request: what it lists, and the audit record its page needs.
pub struct Listing {
    /// What is listed.
    pub range: IndexRange,
    /// The release to audit.
    pub release: Release,
}

/// Verifies `cms` as a listing request from an authority over the company it names, for
/// all its PoAs or, if `delegatee_sha256` is not empty, those bound to that certificate.
pub fn entitle(
    service: &RegistryService,
    cms: &[u8],
    delegatee_sha256: &[u8],
) -> Result<Listing, Refusal> {
    let delegatee = match delegatee_sha256 {
        [] => None,
        hash => Some(<[u8; 32]>::try_from(hash).map_err(|_| {
            Refusal::Invalid(format!(
                "delegatee_certificate_sha256 has {} bytes, not 32",
                hash.len()
            ))
        })?),
    };
    let verified = service.verify_request(cms, &[])?;
    if verified.request.action != Action::Listing {
        return Err(Refusal::Invalid(
            "the signed request is not a listing".into(),
        ));
    }
    let acting = crate::authority::over_company(
        service,
        &verified,
        &verified.request.company,
        crate::clock::now(),
    )?;
    let company = verified.request.company.to_string();
    let (range, subject) = match delegatee {
        None => (
            IndexRange {
                family: Family::ByCompany,
                prefix: company.clone().into_bytes(),
            },
            format!("company {company}"),
        ),
        Some(hash) => (
            IndexRange {
                family: Family::ByDelegatee,
                prefix: delegatee_prefix(&hash, &verified.request.company),
            },
            format!("company {company}, delegatee {}", hex::encode(hash)),
        ),
    };
    Ok(Listing {
        range,
        release: Release {
            subject,
            action: "list",
            nonce_key: None,
            actor: verified.actor(),
            acting,
            outcome: "released".into(),
        },
    })
}

/// One page of the PoAs in `range` after `page_token`, and the next token (empty at the end).
pub fn page(
    service: &RegistryService,
    range: &IndexRange,
    page_token: &str,
    page_size: u32,
) -> Result<(Vec<DelegationSummary>, String), Refusal> {
    let size = match usize::try_from(page_size).unwrap_or(MAX_PAGE) {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let after = match page_token {
        "" => None,
        token => Some(
            hex::decode(token)
                .ok()
                .filter(|key| key.starts_with(&range.prefix))
                .ok_or_else(|| {
                    Refusal::Invalid("page_token is not one this listing gave".into())
                })?,
        ),
    };
    let store = service.store.as_ref();
    let entries = store.scan(range.family, &range.prefix, after.as_deref(), size + 1)?;
    let more = entries.len() > size;
    let mut delegations = Vec::with_capacity(size);
    let mut last_key = Vec::new();
    for (key, value) in entries.into_iter().take(size) {
        let id = id_of(&value)?;
        let record = status_record(store, &id)?
            .ok_or_else(|| Refusal::Unavailable(format!("records of {id} are missing")))?;
        let cms = stored_poa(store, &record)?
            .ok_or_else(|| Refusal::Unavailable(format!("the PoA {id} is missing")))?;
        delegations.push(DelegationSummary {
            delegation_id: id.to_string(),
            delegation_cms: cms,
            status: Some(service.signed_status(&id, Some(&record), Audience::Entitled)?),
        });
        last_key = key;
    }
    let next = if more {
        hex::encode(last_key)
    } else {
        String::new()
    };
    Ok((delegations, next))
}
