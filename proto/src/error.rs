//! The one error type of format decoding: each variant names the exact rule broken.

use eproxy_policy::{CorporateNumberError, ExtensionCodeError, ScopeError, ValidityError};

use crate::{ContentKind, DelegationIdError};

/// Why bytes are not a valid signed content. Field paths (`delegator.corporate_number`) name
/// where the fault is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The encoded content exceeds its size limit (checked before decoding).
    #[error("the content is {actual} bytes, over the limit of {limit}")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// The size given.
        actual: usize,
    },
    /// The bytes are not a protobuf encoding of the message.
    #[error("the content is not a valid protobuf message: {0}")]
    Malformed(String),
    /// The bytes decode, but re-encoding the value gives different bytes: unknown fields,
    /// duplicated or reordered fields, explicit defaults or non-minimal varints.
    #[error(
        "the content is not canonically encoded (unknown, duplicated or reordered fields, \
         explicit default values or over-long varints)"
    )]
    NotCanonical,
    /// The `SignedContent` envelope holds nothing.
    #[error("the signed content is empty: its envelope holds no message")]
    EmptyEnvelope,
    /// The envelope holds another kind of content than the one expected in this place.
    #[error("expected {expected} but the signed content is {found}")]
    WrongContentKind {
        /// The kind required here.
        expected: ContentKind,
        /// The kind found.
        found: ContentKind,
    },
    /// `format_version` is not the one this implementation knows.
    #[error("format version {0} is not supported (this implementation reads version 1)")]
    UnsupportedVersion(u32),
    /// A required field is absent or empty.
    #[error("the field {0} is required")]
    MissingField(&'static str),
    /// A text field is longer than its limit.
    #[error("the field {field} is {actual} bytes, over the limit of {limit}")]
    TextTooLong {
        /// The field.
        field: &'static str,
        /// The limit, in UTF-8 bytes.
        limit: usize,
        /// The length given.
        actual: usize,
    },
    /// A text field holds a control character.
    #[error("the field {field} contains a control character")]
    TextControlCharacter {
        /// The field.
        field: &'static str,
    },
    /// A text field starts or ends with white space.
    #[error("the field {field} starts or ends with white space")]
    TextSurroundingWhitespace {
        /// The field.
        field: &'static str,
    },
    /// A corporate number is malformed or has a wrong check digit.
    #[error("the field {field} is not a valid corporate number: {error}")]
    CorporateNumber {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        error: CorporateNumberError,
    },
    /// A `Matter` has neither a standard matter nor an extension code.
    #[error("the matter in {field} is empty")]
    EmptyMatter {
        /// The field.
        field: &'static str,
    },
    /// A standard matter number this implementation does not know (or UNSPECIFIED).
    #[error("the matter number {number} in {field} is not a known standard matter")]
    UnknownStandardMatter {
        /// The field.
        field: &'static str,
        /// The number given.
        number: i32,
    },
    /// A revocation reason code this implementation does not know (or UNSPECIFIED).
    #[error("the revocation reason code {number} in {field} is not a known code")]
    UnknownRevocationReason {
        /// The field.
        field: &'static str,
        /// The number given.
        number: i32,
    },
    /// An extension matter code is malformed.
    #[error("the extension matter code in {field} is invalid: {error}")]
    ExtensionCode {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        error: ExtensionCodeError,
    },
    /// A set-like list is not in its canonical order or has a duplicate.
    #[error("the list {field} is not in canonical order or has a duplicate")]
    ListNotCanonical {
        /// The field.
        field: &'static str,
    },
    /// A list is longer than its limit (checked before its entries are examined).
    #[error("the list {field} has {actual} entries, over the limit of {limit}")]
    ListTooLong {
        /// The field.
        field: &'static str,
        /// The limit.
        limit: usize,
        /// The length given.
        actual: usize,
    },
    /// The scope breaks a rule of the scope model.
    #[error("the scope is invalid: {0}")]
    Scope(ScopeError),
    /// The validity period is invalid.
    #[error("the validity is invalid: {0}")]
    Validity(ValidityError),
    /// A time that must be positive is not.
    #[error("the field {field} must be a positive Unix time")]
    TimeNotPositive {
        /// The field.
        field: &'static str,
    },
    /// A digest field does not have exactly 32 bytes.
    #[error("the field {field} must be a 32-byte SHA-256 digest, it has {actual} bytes")]
    DigestLength {
        /// The field.
        field: &'static str,
        /// The length given.
        actual: usize,
    },
    /// A delegation id field is malformed.
    #[error("the field {field} is not a delegation id: {error}")]
    DelegationId {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        error: DelegationIdError,
    },
    /// A media type is not `type/subtype` made of RFC 6838 restricted-name characters.
    #[error("the field {field} is not a media type of the form type/subtype")]
    MediaType {
        /// The field.
        field: &'static str,
    },
    /// A PoA names the same PoA as its parent and as the PoA it supersedes: superseding its
    /// own parent would end the authority it derives from.
    #[error("the parent and the superseded delegation must be different PoAs")]
    ParentIsSuperseded,
    /// A registry request's nonce is not 16 to 64 bytes.
    #[error("the nonce is {actual} bytes; it must be 16 to 64 random bytes")]
    NonceLength {
        /// Its length.
        actual: usize,
    },
}
