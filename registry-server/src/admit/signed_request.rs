//! Signed registry requests (revocation, evidence release, listing, card link and end):
//! verified, bound to this registry and fresh. Whether their signer may ask it is
//! `write/authority.rs`'s decision.

use eproxy_proto::{RegistryRequest, decode_registry_request};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::trust_anchor::{AnchorRole, SignerRole};

use super::crls::{crls_with, parse_supplied};
use super::{Admission, AdmitError};
use crate::clock::now;
use crate::store::records::nonce_key;
use crate::write::authority::Requester;
use crate::write::command::MAX_SKEW_SECONDS;

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

impl Admission {
    /// Verifies `cms` as a signed request to this registry, now, with `crls` (DER) added to
    /// the operator's.
    pub fn verify_request(&self, cms: &[u8], crls: &[Vec<u8>]) -> Result<Verified, AdmitError> {
        let supplied = parse_supplied(crls)?;
        let held = self.crls.current();
        let now = now();
        let signed = self
            .verifier
            .verify_signed(
                cms,
                SignerRole::Representative,
                &crls_with(&held, &supplied),
                now,
            )
            .map_err(AdmitError::RequestUnverified)?;
        let request =
            decode_registry_request(&signed.content).map_err(AdmitError::RequestUnreadable)?;
        let origin = self.operator.origin();
        if request.log_origin != origin {
            return Err(AdmitError::OtherRegistry {
                named: request.log_origin,
                origin: origin.to_owned(),
            });
        }
        let skew = request.requested_at.seconds() - now.seconds();
        if skew.abs() > MAX_SKEW_SECONDS {
            return Err(AdmitError::Stale {
                made: request.requested_at.seconds(),
                now: now.seconds(),
            });
        }
        Ok(Verified {
            request,
            signer: signed.signer,
            anchor_role: signed.anchor_role,
        })
    }
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

    /// Who asks, and for which company: what authority is decided on.
    pub fn requester(&self) -> Requester<'_> {
        Requester {
            signer: &self.signer,
            anchor_role: self.anchor_role,
            company: self.request.company,
        }
    }
}
