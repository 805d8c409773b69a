//! The counterparty's library: did this person sign this contract, and does a valid,
//! unrevoked power of attorney from that company cover it?
//!
//! The verification itself (CMS signatures, certificate paths to the JPKI and
//! commercial-registration roots, CRLs, timestamps, PoA chains and registry evidence) is not
//! built yet; this crate holds its place in the workspace so that its dependants can be wired.
#![forbid(unsafe_code)]
