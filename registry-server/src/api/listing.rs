//! A company's own PoAs, page by page, for an authority over that company (`admit/listing.rs`)
//! with a fresh signed request: all of them, or only those bound to one employee certificate (the ones to
//! re-bind when it is renewed or revoked). Pages are read with the same request while it is
//! fresh (the page token and the filter are outside the signed part and only narrow what it
//! authorises), so a listing request's nonce is not spent; each page released is audited.

use eproxy_proto::registry::v1::DelegationSummary;

use super::answers::Answers;
use super::refusal::Refusal;
use crate::admit::listing::IndexRange;
use crate::store::records::{id_of, status_record, stored_poa};
use crate::write::status::Audience;

/// The page size when none is asked for.
const DEFAULT_PAGE: usize = 100;
/// The largest page.
const MAX_PAGE: usize = 1_000;

impl Answers {
    /// One page of the PoAs in `range` after `page_token`, and the next token (empty at the end).
    pub fn page(
        &self,
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
        let store = self.store.as_ref();
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
                status: Some(self.signed_status(&id, Some(&record), Audience::Entitled)?),
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
}
