//! The terms an employee signs for one contract (`eproxy.v1.ContractTerms`), validated.

use eproxy_policy::{CorporateNumber, Matter, Terms, UnixTime};

use crate::fields::{corporate_number, delegation_id, positive_time, sha256};
use crate::limits::{FORMAT_VERSION, MAX_CONTRACT_TERMS_BYTES};
use crate::scope::matter_from_proto;
use crate::signed_content;
use crate::text::TextRule;
use crate::v1::signed_content::Content;
use crate::{ContentKind, DelegationId, FormatError, v1};

/// Contract terms whose encoding and every field rule have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractTerms {
    /// The matter the act falls under.
    pub matter: Matter,
    /// The counterparty.
    pub counterparty: CorporateNumber,
    /// The amount in whole yen, tax included.
    pub amount_yen: u64,
    /// The contract document, by digest.
    pub document: Document,
    /// The PoA relied on.
    pub delegation_id: DelegationId,
    /// When the signer claims to have signed: display only.
    pub signing_time_claimed: UnixTime,
}

/// The contract document, bound by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// SHA-256 of the document's bytes.
    pub sha256: [u8; 32],
    /// Its media type, `type/subtype`.
    pub media_type: String,
    /// Its title, display only.
    pub title: String,
}

const MEDIA_TYPE: &str = "document.media_type";
const TITLE: TextRule = TextRule::required("document.title", 512);

/// Decodes and validates an encoded `ContractTerms` (the eContent of a contract's CMS).
pub fn decode_contract_terms(bytes: &[u8]) -> Result<ContractTerms, FormatError> {
    match signed_content::open(bytes, MAX_CONTRACT_TERMS_BYTES)? {
        Content::ContractTerms(m) => ContractTerms::from_proto(&m),
        other => Err(signed_content::wrong_kind(
            ContentKind::ContractTerms,
            &other,
        )),
    }
}

impl ContractTerms {
    /// Validates a decoded message. Prefer [`decode_contract_terms`] for bytes: this does not
    /// check the encoding.
    pub fn from_proto(m: &v1::ContractTerms) -> Result<Self, FormatError> {
        if m.format_version != FORMAT_VERSION {
            return Err(FormatError::UnsupportedVersion(m.format_version));
        }
        let matter = m
            .matter
            .as_ref()
            .ok_or(FormatError::MissingField("matter"))?;
        let document = m
            .document
            .as_ref()
            .ok_or(FormatError::MissingField("document"))?;
        Ok(Self {
            matter: matter_from_proto("matter", matter)?,
            counterparty: corporate_number(
                "counterparty_corporate_number",
                &m.counterparty_corporate_number,
            )?,
            amount_yen: m.amount_yen,
            document: Document {
                sha256: sha256("document.sha256", &document.sha256)?,
                media_type: media_type(&document.media_type)?,
                title: TITLE.check(&document.title)?,
            },
            delegation_id: delegation_id("delegation_id", &m.delegation_id)?,
            signing_time_claimed: positive_time(
                "claimed_signing_time_unix_seconds",
                m.claimed_signing_time_unix_seconds,
            )?,
        })
    }

    /// The part of the terms a scope is judged against.
    pub fn policy_terms(&self) -> Terms {
        Terms {
            matter: self.matter.clone(),
            counterparty: self.counterparty,
            amount_yen: self.amount_yen,
        }
    }

    /// The message for these terms, in the canonical form.
    pub fn to_proto(&self) -> v1::ContractTerms {
        v1::ContractTerms {
            format_version: FORMAT_VERSION,
            matter: Some((&self.matter).into()),
            counterparty_corporate_number: self.counterparty.to_string(),
            amount_yen: self.amount_yen,
            document: Some(v1::Document {
                sha256: self.document.sha256.to_vec(),
                media_type: self.document.media_type.clone(),
                title: self.document.title.clone(),
            }),
            delegation_id: self.delegation_id.to_string(),
            claimed_signing_time_unix_seconds: self.signing_time_claimed.seconds(),
        }
    }

    /// The canonical encoding of the envelope holding this content: the eContent to sign.
    pub fn encode(&self) -> Vec<u8> {
        signed_content::seal(Content::ContractTerms(self.to_proto()))
    }
}

/// A media type `type/subtype` of RFC 6838 restricted names (each part 1 to 127 characters,
/// starting with a letter or digit), without parameters.
fn media_type(text: &str) -> Result<String, FormatError> {
    if text.is_empty() {
        return Err(FormatError::MissingField(MEDIA_TYPE));
    }
    let restricted_name = |part: &str| {
        (1..=127).contains(&part.len())
            && part.as_bytes()[0].is_ascii_alphanumeric()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match text.split_once('/') {
        Some((kind, subtype)) if restricted_name(kind) && restricted_name(subtype) => {
            Ok(text.to_owned())
        }
        _ => Err(FormatError::MediaType { field: MEDIA_TYPE }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_follow_rfc_6838_names() {
        for ok in ["application/pdf", "text/plain", "application/vnd.ms-excel"] {
            assert_eq!(media_type(ok).unwrap(), ok);
        }
        for bad in [
            "application",
            "application/",
            "/pdf",
            "text/plain; charset=utf-8",
            "application/pdf/x",
            ".a/b",
        ] {
            assert_eq!(
                media_type(bad),
                Err(FormatError::MediaType { field: MEDIA_TYPE }),
                "{bad}"
            );
        }
    }
}
