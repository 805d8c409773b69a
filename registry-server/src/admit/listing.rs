//! A listing request: verified, from an authority over the company it names (see
//! `write/authority.rs`), and what it may list. The pages themselves are read in
//! `api/listing.rs`.

use eproxy_proto::Action;

use super::{Admission, AdmitError};
use crate::clock::now;
use crate::store::Family;
use crate::store::records::delegatee_prefix;
use crate::write::command::Release;

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

impl Admission {
    /// Verifies `cms` as a listing request from an authority over the company it names, for
    /// all its PoAs or, if `delegatee_sha256` is not empty, those bound to that certificate.
    pub fn listing(&self, cms: &[u8], delegatee_sha256: &[u8]) -> Result<Listing, AdmitError> {
        let delegatee = match delegatee_sha256 {
            [] => None,
            hash => Some(
                <[u8; 32]>::try_from(hash).map_err(|_| AdmitError::DelegateeFilter(hash.len()))?,
            ),
        };
        let verified = self.verify_request(cms, &[])?;
        if verified.request.action != Action::Listing {
            return Err(AdmitError::OtherAction("a listing"));
        }
        let acting = self
            .authorities()
            .over_company(&verified.requester(), now())?;
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
}
