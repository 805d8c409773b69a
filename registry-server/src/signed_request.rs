//! Signed registry requests (revocation, evidence release, listing): verified, bound to this
//! registry, fresh, and from someone entitled to ask it of the PoA concerned.

use eproxy_policy::UnixTime;
use eproxy_proto::{Delegation, DelegationId, RegistryRequest, decode_registry_request};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::commercial_registration::RegisteredCorporation;
use eproxy_verifier::jpki::JpkiIdentity;
use eproxy_verifier::trust_anchor::{AnchorRole, SignerRole};
use eproxy_verifier::verify::Verifier;

use crate::records::{StatusRecord, nonce_key, status_record, stored_poa};
use crate::refusal::Refusal;
use crate::store::Store;
use crate::submission::content_of;

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
    crls: &[&[u8]],
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

    /// Whether the signer may act on the PoA `id` (whose record is `record`): a representative
    /// of its company (named in it: a commercial-registration certificate of that company and
    /// director, or a JPKI certificate of that person), or, for a sub-delegation, its delegator
    /// (the parent's delegatee). Anything else, including a request naming another company, is
    /// [`Refusal::Denied`].
    pub fn authorise(
        &self,
        store: &dyn Store,
        id: &DelegationId,
        record: &StatusRecord,
    ) -> Result<(), Refusal> {
        if self.authorise_representative(store, id, record).is_ok() {
            return Ok(());
        }
        let is_delegator = match record.parent() {
            Some(parent) => status_record(store, &parent)?
                .is_some_and(|parent| parent.delegatee_sha256 == self.signer.sha256()),
            None => false,
        };
        if is_delegator && self.request.company.to_string() == record.corporate_number {
            Ok(())
        } else {
            Err(Refusal::Denied)
        }
    }

    /// Whether the signer is a representative of the PoA's company, as the PoA names its
    /// representative: a commercial-registration certificate of that company and director, or
    /// a JPKI certificate of that person.
    pub fn authorise_representative(
        &self,
        store: &dyn Store,
        id: &DelegationId,
        record: &StatusRecord,
    ) -> Result<(), Refusal> {
        if self.request.company.to_string() != record.corporate_number {
            return Err(Refusal::Denied);
        }
        let delegation = stored_delegation(store, id)?;
        let representative = &delegation.representative.name;
        let is_representative = match self.anchor_role {
            AnchorRole::CommercialRegistration => RegisteredCorporation::of(&self.signer)
                .is_some_and(|registration| {
                    registration.registered_number == self.request.company.registered_number()
                        && registration.director_name == *representative
                }),
            AnchorRole::JpkiSigning => JpkiIdentity::of(&self.signer)
                .and_then(|identity| identity.name)
                .is_some_and(|name| name == *representative),
            _ => false,
        };
        if is_representative {
            Ok(())
        } else {
            Err(Refusal::Denied)
        }
    }

    /// The SHA-256 (hex) of the signer's certificate: who asked, for the audit trail.
    pub fn actor(&self) -> String {
        hex::encode(self.signer.sha256())
    }
}

/// The content of the registered PoA `id`.
pub fn stored_delegation(store: &dyn Store, id: &DelegationId) -> Result<Delegation, Refusal> {
    let not_found = || Refusal::NotFound(format!("no power of attorney {id} is registered here"));
    let record = status_record(store, id)?.ok_or_else(not_found)?;
    let cms = stored_poa(store, &record)?
        .ok_or_else(|| Refusal::Unavailable(format!("the stored PoA {id} is missing")))?;
    content_of(&cms).map_err(|e| Refusal::Unavailable(format!("stored PoA {id}: {e}")))
}
