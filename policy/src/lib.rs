//! The scope model of an electronic power of attorney (電子委任状) and its two rules.
//!
//! - [`covers`]: does a grant of authority cover a contract at a given time? Either `Ok`, or
//!   **every** violation found, each with the values that failed.
//! - [`within`]: is a sub-delegation's grant inside its parent's (attenuation)? Either `Ok`, or
//!   every widening found.
//!
//! Everything here is pure: no I/O, no clock. The time a contract is judged at is passed in by
//! the caller, who decides which time is trusted (a timestamp, never a signer's claim).
//!
//! The types are validated on construction, so a [`Scope`] in hand always satisfies the
//! format's rules (non-empty matters, an explicit amount cap, an explicit counterparty choice,
//! sub-delegation depth consistent with the matters).
#![forbid(unsafe_code)]

pub mod calendar;
mod corporate_number;
mod covers;
mod grant;
mod matter;
mod scope;
mod time;
mod within;

pub use calendar::CivilTime;
pub use corporate_number::{CorporateNumber, CorporateNumberError};
pub use covers::{CoverageViolation, Terms, covers};
pub use grant::Grant;
pub use matter::{ExtensionCode, ExtensionCodeError, Matter, StandardMatter};
pub use scope::{
    AmountCap, Counterparties, MAX_COUNTERPARTIES, MAX_MATTERS, MAX_SUB_DELEGATION_DEPTH, Scope,
    ScopeError,
};
pub use time::{UnixTime, Validity, ValidityError};
pub use within::{Widening, within};
