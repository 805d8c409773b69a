//! The power of attorney (`eproxy.v1.Delegation`), validated.

use eproxy_policy::{CorporateNumber, Grant, UnixTime, Validity};

use crate::fields::{corporate_number, optional_delegation_id, positive_time, sha256};
use crate::limits::{FORMAT_VERSION, MAX_DELEGATION_BYTES};
use crate::scope::scope_from_proto;
use crate::signed_content;
use crate::text::TextRule;
use crate::v1::signed_content::Content;
use crate::{ContentKind, DelegationId, FormatError, v1};

/// A power of attorney whose encoding and every field rule have been checked. Its signature has
/// not: that is the verifier's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The company granting authority.
    pub delegator: Company,
    /// Its representative, as named in the PoA.
    pub representative: Representative,
    /// The person authorised.
    pub delegatee: Delegatee,
    /// What is granted, and when.
    pub grant: Grant,
    /// When the signer claims to have issued it: display only.
    pub issued_at_claimed: UnixTime,
    /// The parent PoA, for a sub-delegation.
    pub parent: Option<DelegationId>,
    /// The PoA this one replaces.
    pub supersedes: Option<DelegationId>,
    /// Free text for people, never machine-trusted. Empty when absent.
    pub remarks: String,
}

/// A company, by corporate number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// The 13-digit corporate number (法人番号).
    pub corporate_number: CorporateNumber,
    /// The registered trade name (商号).
    pub name: String,
    /// The head-office address (本店所在地).
    pub head_office_address: String,
}

/// The representative granting authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representative {
    /// Full name as registered.
    pub name: String,
    /// Title as registered, e.g. 代表取締役.
    pub title: String,
}

/// The person authorised, bound to one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegatee {
    /// SHA-256 of the DER of their signing certificate: the binding.
    pub certificate_sha256: [u8; 32],
    /// Their name for display; not trusted.
    pub display_name: String,
}

const COMPANY_NAME: TextRule = TextRule::required("delegator.name", 256);
const COMPANY_ADDRESS: TextRule = TextRule::required("delegator.head_office_address", 512);
const REPRESENTATIVE_NAME: TextRule = TextRule::required("representative.name", 256);
const REPRESENTATIVE_TITLE: TextRule = TextRule::required("representative.title", 128);
const DELEGATEE_NAME: TextRule = TextRule::required("delegatee.display_name", 256);
const REMARKS: TextRule = TextRule {
    field: "remarks",
    max_bytes: 2048,
    required: false,
    multiline: true,
};

/// Decodes and validates an encoded `Delegation` (the eContent of a PoA's CMS): size limit,
/// canonical encoding, format version, then every field rule.
pub fn decode_delegation(bytes: &[u8]) -> Result<Delegation, FormatError> {
    match signed_content::open(bytes, MAX_DELEGATION_BYTES)? {
        Content::Delegation(m) => Delegation::from_proto(&m),
        other => Err(signed_content::wrong_kind(ContentKind::Delegation, &other)),
    }
}

impl Delegation {
    /// Validates a decoded message. Prefer [`decode_delegation`] for bytes: this does not check
    /// the encoding.
    pub fn from_proto(m: &v1::Delegation) -> Result<Self, FormatError> {
        if m.format_version != FORMAT_VERSION {
            return Err(FormatError::UnsupportedVersion(m.format_version));
        }
        let company = m
            .delegator
            .as_ref()
            .ok_or(FormatError::MissingField("delegator"))?;
        let representative = m
            .representative
            .as_ref()
            .ok_or(FormatError::MissingField("representative"))?;
        let delegatee = m
            .delegatee
            .as_ref()
            .ok_or(FormatError::MissingField("delegatee"))?;
        let scope = m.scope.as_ref().ok_or(FormatError::MissingField("scope"))?;
        let validity = m
            .validity
            .as_ref()
            .ok_or(FormatError::MissingField("validity"))?;

        let parent = optional_delegation_id("parent_delegation_id", &m.parent_delegation_id)?;
        let supersedes =
            optional_delegation_id("supersedes_delegation_id", &m.supersedes_delegation_id)?;
        if parent.is_some() && parent == supersedes {
            return Err(FormatError::ParentIsSuperseded);
        }

        Ok(Self {
            delegator: Company {
                corporate_number: corporate_number(
                    "delegator.corporate_number",
                    &company.corporate_number,
                )?,
                name: COMPANY_NAME.check(&company.name)?,
                head_office_address: COMPANY_ADDRESS.check(&company.head_office_address)?,
            },
            representative: Representative {
                name: REPRESENTATIVE_NAME.check(&representative.name)?,
                title: REPRESENTATIVE_TITLE.check(&representative.title)?,
            },
            delegatee: Delegatee {
                certificate_sha256: sha256(
                    "delegatee.certificate_sha256",
                    &delegatee.certificate_sha256,
                )?,
                display_name: DELEGATEE_NAME.check(&delegatee.display_name)?,
            },
            grant: Grant {
                scope: scope_from_proto(scope)?,
                validity: Validity::new(
                    positive_time(
                        "validity.not_before_unix_seconds",
                        validity.not_before_unix_seconds,
                    )?,
                    UnixTime::from_seconds(validity.not_after_unix_seconds),
                )
                .map_err(FormatError::Validity)?,
            },
            issued_at_claimed: positive_time("issued_at_unix_seconds", m.issued_at_unix_seconds)?,
            parent,
            supersedes,
            remarks: REMARKS.check(&m.remarks)?,
        })
    }

    /// The message for this PoA, in the canonical form.
    pub fn to_proto(&self) -> v1::Delegation {
        let id_text = |id: &Option<DelegationId>| id.map(|i| i.to_string()).unwrap_or_default();
        v1::Delegation {
            format_version: FORMAT_VERSION,
            delegator: Some(v1::Company {
                corporate_number: self.delegator.corporate_number.to_string(),
                name: self.delegator.name.clone(),
                head_office_address: self.delegator.head_office_address.clone(),
            }),
            representative: Some(v1::Representative {
                name: self.representative.name.clone(),
                title: self.representative.title.clone(),
            }),
            delegatee: Some(v1::Delegatee {
                certificate_sha256: self.delegatee.certificate_sha256.to_vec(),
                display_name: self.delegatee.display_name.clone(),
            }),
            scope: Some((&self.grant.scope).into()),
            validity: Some(v1::Validity {
                not_before_unix_seconds: self.grant.validity.not_before().seconds(),
                not_after_unix_seconds: self.grant.validity.not_after().seconds(),
            }),
            issued_at_unix_seconds: self.issued_at_claimed.seconds(),
            parent_delegation_id: id_text(&self.parent),
            supersedes_delegation_id: id_text(&self.supersedes),
            remarks: self.remarks.clone(),
        }
    }

    /// The canonical encoding of the envelope holding this content: the eContent to sign.
    pub fn encode(&self) -> Vec<u8> {
        signed_content::seal(Content::Delegation(self.to_proto()))
    }
}
