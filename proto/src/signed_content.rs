//! The `SignedContent` envelope: the one message every eContent decodes as, whose oneof says
//! which kind of content it holds.

use std::fmt;

use prost::Message;

use crate::v1::signed_content::Content;
use crate::{FormatError, decode_canonical, v1};

/// The kinds of signed content, as the envelope's oneof distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentKind {
    /// `eproxy.v1.Delegation`, a power of attorney.
    Delegation,
    /// `eproxy.v1.ContractTerms`, the terms of one contract.
    ContractTerms,
    /// `eproxy.v1.RegistryRequest`, a signed request to a registry.
    RegistryRequest,
}

impl ContentKind {
    /// The kind of a decoded content.
    pub(crate) fn of(content: &Content) -> Self {
        match content {
            Content::Delegation(_) => Self::Delegation,
            Content::ContractTerms(_) => Self::ContractTerms,
            Content::RegistryRequest(_) => Self::RegistryRequest,
        }
    }
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Delegation => "a power of attorney (Delegation)",
            Self::ContractTerms => "contract terms (ContractTerms)",
            Self::RegistryRequest => "a registry request (RegistryRequest)",
        })
    }
}

/// Decodes an envelope canonically and returns its content; the caller matches the kind.
pub(crate) fn open(bytes: &[u8], max_len: usize) -> Result<Content, FormatError> {
    let envelope: v1::SignedContent = decode_canonical(bytes, max_len)?;
    envelope.content.ok_or(FormatError::EmptyEnvelope)
}

/// The error for an envelope holding `found` where `expected` belongs.
pub(crate) fn wrong_kind(expected: ContentKind, found: &Content) -> FormatError {
    FormatError::WrongContentKind {
        expected,
        found: ContentKind::of(found),
    }
}

/// The canonical encoding of an envelope holding `content`: the eContent to sign.
pub(crate) fn seal(content: Content) -> Vec<u8> {
    v1::SignedContent {
        content: Some(content),
    }
    .encode_to_vec()
}
