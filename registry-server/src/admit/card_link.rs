//! A company's own requests about its representatives' cards: linking a representative's My
//! Number card with both of their keys (a CardLink, signed with their commercial-registration
//! certificate and carrying the card's signed consent), and ending a card's enrollment (an
//! EnrollmentEnd, from any authority over the company). Each becomes a command for the one
//! writer, which signs, logs and audits it and spends the request's nonce.

use std::sync::Arc;

use eproxy_proto::Action;
use eproxy_verifier::authority::{registered_representative, same_person};
use eproxy_verifier::jpki::JpkiIdentity;
use eproxy_verifier::trust_anchor::AnchorRole;

use super::{Admission, AdmitError};
use crate::clock::now;
use crate::write::authority::AuthorityError;
use crate::write::command::{Basis, Command, Enrolment, Unenrolment};

impl Admission {
    /// The enrollment a CardLink request `cms` asks for, once both signatures, the
    /// representative's standing and the card's consent are checked.
    pub fn card_link(&self, cms: &[u8], crls: &[Vec<u8>]) -> Result<Command, AdmitError> {
        let verified = self.verify_request(cms, crls)?;
        let Action::CardLink { card_consent_cms } = &verified.request.action else {
            return Err(AdmitError::OtherAction("a card link"));
        };
        let company = verified.request.company;
        if verified.anchor_role != AnchorRole::CommercialRegistration {
            return Err(AdmitError::LinkNotByRegistration);
        }
        let registration = registered_representative(
            &verified.signer,
            &company,
            self.verifier.representative_titles(),
        )
        .map_err(|why| AuthorityError::Unproven { company, why })?;

        let consent = self
            .verify_request(card_consent_cms, crls)
            .map_err(|refused| AdmitError::Consent(Box::new(refused)))?;
        if consent.anchor_role != AnchorRole::JpkiSigning {
            return Err(AdmitError::ConsentNotByCard);
        }
        let consents = consent.request.action
            == Action::CardConsent {
                linking_certificate_sha256: *verified.signer.sha256(),
            }
            && consent.request.company == company
            && consent.request.nonce == verified.request.nonce;
        if !consents {
            return Err(AdmitError::ConsentToAnotherLink);
        }
        let holder = JpkiIdentity::of(&consent.signer)
            .and_then(|identity| identity.name)
            .unwrap_or_default();
        if !same_person(&holder, &registration.director_name) {
            return Err(AdmitError::AnotherPersonsCard {
                holder,
                director: registration.director_name,
            });
        }
        Ok(Command::Enroll(Box::new(Enrolment {
            company,
            certificate_sha256: *consent.signer.sha256(),
            basis: Basis::Linked {
                by_certificate_sha256: *verified.signer.sha256(),
                nonce_key: verified.nonce_key(),
            },
            operator: Arc::clone(&self.operator),
        })))
    }

    /// The end of an enrollment an EnrollmentEnd request `cms` asks for, from an authority over
    /// the company.
    pub fn enrollment_end(&self, cms: &[u8], crls: &[Vec<u8>]) -> Result<Command, AdmitError> {
        let verified = self.verify_request(cms, crls)?;
        let Action::EnrollmentEnd {
            certificate_sha256,
            reason,
        } = &verified.request.action
        else {
            return Err(AdmitError::OtherAction("an enrollment end"));
        };
        let acting = self
            .authorities()
            .over_company(&verified.requester(), now())?;
        Ok(Command::Unenroll(Unenrolment {
            company: verified.request.company,
            certificate_sha256: *certificate_sha256,
            ended_by: verified.actor(),
            reason: reason.clone(),
            nonce_key: Some(verified.nonce_key()),
            acting,
        }))
    }
}
