//! Size limits of the signed formats, checked before anything is decoded.
//!
//! The per-field text limits live next to the field rules (`text.rs`); the list limits are the
//! policy model's ([`eproxy_policy::MAX_MATTERS`], [`eproxy_policy::MAX_COUNTERPARTIES`]).

/// The largest encoded `Delegation`, in bytes.
pub const MAX_DELEGATION_BYTES: usize = 32 * 1024;

/// The largest encoded `ContractTerms`, in bytes.
pub const MAX_CONTRACT_TERMS_BYTES: usize = 4 * 1024;

/// The largest encoded `RegistryRequest`, in bytes: room for a card's signed consent inside a
/// card link (a JPKI certificate, its signature and the consent itself).
pub const MAX_REGISTRY_REQUEST_BYTES: usize = 8 * 1024;

/// The largest card consent (a CMS) a card link carries, in bytes.
pub const MAX_CARD_CONSENT_BYTES: usize = 6 * 1024;

/// The only format version this implementation reads and writes.
pub const FORMAT_VERSION: u32 = 1;
