//! Signed registry requests (revocation, evidence release, listing): verified, bound to this
//! registry and fresh. Whether their signer may ask it is `authority.rs`'s decision.

use eproxy_policy::UnixTime;
use eproxy_proto::{RegistryRequest, decode_registry_request};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::trust_anchor::{AnchorRole, SignerRole};
use eproxy_verifier::verify::Verifier;

use crate::records::nonce_key;
use crate::refusal::Refusal;

/// How far a request's stated time may be from the registry's clock, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// A request whose signature, signer, registry and freshness are verified.
#[derive(Debug)]
pub struct Verified {
    /// The request.
    pub request: RegistryRequest,
    /// Its signer's certificate.
    pub signer: Certificate,
    /// The role of the anchor the signer's path reached.
    pub anchor_role: AnchorRole,
}

/// Verifies `cms` as a request to the registry of `origin` at `now`.
pub fn verify(
    verifier: &Verifier,
    origin: &str,
    cms: &[u8],
    crls: &[&Crl],
    now: UnixTime,
) -> Result<Verified, Refusal> {
    let signed = verifier
        .verify_signed(cms, SignerRole::Representative, crls, now)
        .map_err(|e| Refusal::Invalid(format!("the signed request does not verify: {e}")))?;
    let request = decode_registry_request(&signed.content)
        .map_err(|e| Refusal::Invalid(format!("the signed request: {e}")))?;
    if request.log_origin != origin {
        return Err(Refusal::Invalid(format!(
            "the request is for the registry {:?}, not this one ({origin:?})",
            request.log_origin
        )));
    }
    let skew = request.requested_at.seconds() - now.seconds();
    if skew.abs() > MAX_SKEW_SECONDS {
        return Err(Refusal::Invalid(format!(
            "the request was made at {} but the registry's clock says {}: more than \
             {MAX_SKEW_SECONDS} seconds apart (sign a fresh request)",
            request.requested_at.seconds(),
            now.seconds()
        )));
    }
    Ok(Verified {
        request,
        signer: signed.signer,
        anchor_role: signed.anchor_role,
    })
}

impl Verified {
    /// The key under which the request's nonce is spent.
    pub fn nonce_key(&self) -> Vec<u8> {
        nonce_key(self.request.requested_at, &self.request.nonce)
    }

    /// The SHA-256 (hex) of the signer's certificate: who asked, for the audit trail.
    pub fn actor(&self) -> String {
        hex::encode(self.signer.sha256())
    }
}
