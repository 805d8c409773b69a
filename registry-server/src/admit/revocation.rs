//! A revocation request: verified, and its signer entitled to revoke the PoA it names (an
//! authority over the PoA's company, or a sub-delegation's delegator).

use eproxy_proto::Action;

use super::{Admission, AdmitError};
use crate::clock::now;
use crate::write::command::Revocation;

impl Admission {
    /// The revocation the signed request `cms` asks for, with `crls` (DER) added to the
    /// operator's.
    pub fn revocation(&self, cms: &[u8], crls: &[Vec<u8>]) -> Result<Revocation, AdmitError> {
        let verified = self.verify_request(cms, crls)?;
        let Action::Revocation {
            delegation_id,
            reason,
            reason_code,
        } = verified.request.action.clone()
        else {
            return Err(AdmitError::OtherAction("a revocation"));
        };
        let acting =
            self.authorities()
                .poa_to_act_on(&verified.requester(), &delegation_id, now())?;
        Ok(Revocation {
            id: delegation_id,
            reason,
            reason_code,
            nonce_key: verified.nonce_key(),
            actor: verified.actor(),
            acting,
        })
    }
}
