//! The counterparty's library: did this person sign this contract, and does a valid,
//! unrevoked power of attorney from that company cover it?
//!
//! Built so far: the commercial-registration certificate profile's ASN.1
//! ([`commercial_registration`]). The verification itself (CMS signatures, certificate paths to
//! the JPKI and commercial-registration roots, CRLs, timestamps, PoA chains and registry evidence)
//! is not built yet.
#![forbid(unsafe_code)]

pub mod commercial_registration;
