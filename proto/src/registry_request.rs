//! A signed request to a registry (`eproxy.v1.RegistryRequest`), validated: revocation,
//! evidence release, listing, and linking or unlinking a representative's card, each bound to
//! one registry, one company, one moment and one nonce.

use eproxy_policy::{CorporateNumber, UnixTime};

use crate::fields::{corporate_number, delegation_id, positive_time, sha256};
use crate::limits::{FORMAT_VERSION, MAX_CARD_CONSENT_BYTES, MAX_REGISTRY_REQUEST_BYTES};
use crate::signed_content;
use crate::text::TextRule;
use crate::v1::RevocationReason;
use crate::v1::registry_request::Action as ProtoAction;
use crate::v1::signed_content::Content;
use crate::{ContentKind, DelegationId, FormatError, v1};

/// The shortest and longest nonce, in bytes.
pub const NONCE_BYTES: std::ops::RangeInclusive<usize> = 16..=64;

const LOG_ORIGIN: TextRule = TextRule::required("log_origin", 256);
const REASON: TextRule = TextRule::required("revocation.reason", 512);
const END_REASON: TextRule = TextRule::required("enrollment_end.reason", 512);

/// A registry request whose encoding and every field rule have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRequest {
    /// The registry's log origin the request is meant for.
    pub log_origin: String,
    /// The company the signer acts for.
    pub company: CorporateNumber,
    /// When the signer made it (a claim the registry compares with its clock).
    pub requested_at: UnixTime,
    /// The nonce, 16 to 64 bytes.
    pub nonce: Vec<u8>,
    /// What is asked.
    pub action: Action,
}

/// What a registry request asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Revoke this PoA, for this reason (a public code, and display text for the entitled).
    Revocation {
        /// The PoA.
        delegation_id: DelegationId,
        /// Why, for people.
        reason: String,
        /// Why, as a code.
        reason_code: RevocationReason,
    },
    /// Release this PoA's evidence to its company.
    EvidenceRelease {
        /// The PoA.
        delegation_id: DelegationId,
    },
    /// List the company's PoAs.
    Listing,
    /// Link the signer's own JPKI card to the company: `card_consent_cms` is the card's signed
    /// [`Action::CardConsent`] (a CMS, verified by the registry, not here).
    CardLink {
        /// The card's consent, as signed.
        card_consent_cms: Vec<u8>,
    },
    /// A card's consent to the card link it travels in.
    CardConsent {
        /// SHA-256 of the certificate that signs that link.
        linking_certificate_sha256: [u8; 32],
    },
    /// End the enrollment of this JPKI certificate for the company.
    EnrollmentEnd {
        /// SHA-256 of the enrolled certificate.
        certificate_sha256: [u8; 32],
        /// Why, for people.
        reason: String,
    },
}

/// The revocation reason codes, by the names people and command lines use.
pub const REVOCATION_REASONS: [(&str, RevocationReason); 5] = [
    ("left-company", RevocationReason::LeftCompany),
    ("certificate-renewed", RevocationReason::CertificateRenewed),
    ("key-compromise", RevocationReason::KeyCompromise),
    ("scope-changed", RevocationReason::ScopeChanged),
    ("other", RevocationReason::Other),
];

/// The name of a revocation reason code ("unspecified" for none).
pub fn revocation_reason_name(code: RevocationReason) -> &'static str {
    REVOCATION_REASONS
        .iter()
        .find(|(_, c)| *c == code)
        .map_or("unspecified", |(name, _)| name)
}

/// A revocation reason code that is known and not UNSPECIFIED.
pub fn revocation_reason(
    field: &'static str,
    number: i32,
) -> Result<RevocationReason, FormatError> {
    match RevocationReason::try_from(number) {
        Ok(RevocationReason::Unspecified) | Err(_) => {
            Err(FormatError::UnknownRevocationReason { field, number })
        }
        Ok(code) => Ok(code),
    }
}

/// Decodes and validates an encoded registry request (the eContent of its CMS).
pub fn decode_registry_request(bytes: &[u8]) -> Result<RegistryRequest, FormatError> {
    match signed_content::open(bytes, MAX_REGISTRY_REQUEST_BYTES)? {
        Content::RegistryRequest(m) => RegistryRequest::from_proto(&m),
        other => Err(signed_content::wrong_kind(
            ContentKind::RegistryRequest,
            &other,
        )),
    }
}

impl RegistryRequest {
    /// Validates a decoded message. Prefer [`decode_registry_request`] for bytes: this does not
    /// check the encoding.
    pub fn from_proto(m: &v1::RegistryRequest) -> Result<Self, FormatError> {
        if m.format_version != FORMAT_VERSION {
            return Err(FormatError::UnsupportedVersion(m.format_version));
        }
        if !NONCE_BYTES.contains(&m.nonce.len()) {
            return Err(FormatError::NonceLength {
                actual: m.nonce.len(),
            });
        }
        let action = match m
            .action
            .as_ref()
            .ok_or(FormatError::MissingField("action"))?
        {
            ProtoAction::Revocation(r) => Action::Revocation {
                delegation_id: delegation_id("revocation.delegation_id", &r.delegation_id)?,
                reason: REASON.check(&r.reason)?,
                reason_code: revocation_reason("revocation.reason_code", r.reason_code)?,
            },
            ProtoAction::EvidenceRelease(r) => Action::EvidenceRelease {
                delegation_id: delegation_id("evidence_release.delegation_id", &r.delegation_id)?,
            },
            ProtoAction::Listing(_) => Action::Listing,
            ProtoAction::CardLink(link) => {
                if link.card_consent_cms.is_empty() {
                    return Err(FormatError::MissingField("card_link.card_consent_cms"));
                }
                if link.card_consent_cms.len() > MAX_CARD_CONSENT_BYTES {
                    return Err(FormatError::TooLarge {
                        limit: MAX_CARD_CONSENT_BYTES,
                        actual: link.card_consent_cms.len(),
                    });
                }
                Action::CardLink {
                    card_consent_cms: link.card_consent_cms.clone(),
                }
            }
            ProtoAction::CardConsent(consent) => Action::CardConsent {
                linking_certificate_sha256: sha256(
                    "card_consent.linking_certificate_sha256",
                    &consent.linking_certificate_sha256,
                )?,
            },
            ProtoAction::EnrollmentEnd(end) => Action::EnrollmentEnd {
                certificate_sha256: sha256(
                    "enrollment_end.certificate_sha256",
                    &end.certificate_sha256,
                )?,
                reason: END_REASON.check(&end.reason)?,
            },
        };
        Ok(Self {
            log_origin: LOG_ORIGIN.check(&m.log_origin)?,
            company: corporate_number("corporate_number", &m.corporate_number)?,
            requested_at: positive_time("requested_at_unix_seconds", m.requested_at_unix_seconds)?,
            nonce: m.nonce.clone(),
            action,
        })
    }

    /// The message for this request, in the canonical form.
    pub fn to_proto(&self) -> v1::RegistryRequest {
        let action = match &self.action {
            Action::Revocation {
                delegation_id,
                reason,
                reason_code,
            } => ProtoAction::Revocation(v1::Revocation {
                delegation_id: delegation_id.to_string(),
                reason: reason.clone(),
                reason_code: *reason_code as i32,
            }),
            Action::EvidenceRelease { delegation_id } => {
                ProtoAction::EvidenceRelease(v1::EvidenceRelease {
                    delegation_id: delegation_id.to_string(),
                })
            }
            Action::Listing => ProtoAction::Listing(v1::Listing {}),
            Action::CardLink { card_consent_cms } => ProtoAction::CardLink(v1::CardLink {
                card_consent_cms: card_consent_cms.clone(),
            }),
            Action::CardConsent {
                linking_certificate_sha256,
            } => ProtoAction::CardConsent(v1::CardConsent {
                linking_certificate_sha256: linking_certificate_sha256.to_vec(),
            }),
            Action::EnrollmentEnd {
                certificate_sha256,
                reason,
            } => ProtoAction::EnrollmentEnd(v1::EnrollmentEnd {
                certificate_sha256: certificate_sha256.to_vec(),
                reason: reason.clone(),
            }),
        };
        v1::RegistryRequest {
            format_version: FORMAT_VERSION,
            log_origin: self.log_origin.clone(),
            corporate_number: self.company.to_string(),
            requested_at_unix_seconds: self.requested_at.seconds(),
            nonce: self.nonce.clone(),
            action: Some(action),
        }
    }

    /// The canonical encoding of the envelope holding this request: the eContent to sign.
    pub fn encode(&self) -> Vec<u8> {
        signed_content::seal(Content::RegistryRequest(self.to_proto()))
    }
}
