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

use crate::authority;
use crate::clock::now;
use crate::command::{Basis, Command, Enrolment, Unenrolment};
use crate::refusal::Refusal;
use crate::service::RegistryService;

/// The enrollment a CardLink request `cms` asks for, once both signatures, the representative's
/// standing and the card's consent are checked.
pub fn link(service: &RegistryService, cms: &[u8], crls: &[Vec<u8>]) -> Result<Command, Refusal> {
    let verified = service.verify_request(cms, crls)?;
    let Action::CardLink { card_consent_cms } = &verified.request.action else {
        return Err(Refusal::Invalid(
            "the signed request is not a card link".into(),
        ));
    };
    let company = verified.request.company;
    if verified.anchor_role != AnchorRole::CommercialRegistration {
        return Err(Refusal::Unauthorised(
            "a card is linked with its holder's commercial-registration certificate as the \
             company's representative; an enrolled card cannot link another, and a \
             representative without such a certificate has the operator enroll the card"
                .into(),
        ));
    }
    let registration = registered_representative(
        &verified.signer,
        &company,
        service.submissions.verifier.representative_titles(),
    )
    .map_err(|why| authority::unauthorised(&company, &why))?;

    let consent =
        service
            .verify_request(card_consent_cms, crls)
            .map_err(|refusal| match refusal {
                Refusal::Invalid(why) => Refusal::Invalid(format!("the card's consent: {why}")),
                other => other,
            })?;
    if consent.anchor_role != AnchorRole::JpkiSigning {
        return Err(Refusal::Invalid(
            "the card's consent is not signed with a JPKI signing certificate".into(),
        ));
    }
    let consents = consent.request.action
        == Action::CardConsent {
            linking_certificate_sha256: *verified.signer.sha256(),
        }
        && consent.request.company == company
        && consent.request.nonce == verified.request.nonce;
    if !consents {
        return Err(Refusal::Invalid(
            "the card's consent is not a CardConsent to this certificate's link, for this \
             company with this request's nonce"
                .into(),
        ));
    }
    let holder = JpkiIdentity::of(&consent.signer)
        .and_then(|identity| identity.name)
        .unwrap_or_default();
    if !same_person(&holder, &registration.director_name) {
        return Err(Refusal::Unauthorised(format!(
            "the card's holder {holder:?} is not the representative the commercial-registration \
             certificate names ({:?}): a representative links only their own card",
            registration.director_name
        )));
    }
    Ok(Command::Enroll(Box::new(Enrolment {
        company,
        certificate_sha256: *consent.signer.sha256(),
        basis: Basis::Linked {
            by_certificate_sha256: *verified.signer.sha256(),
            nonce_key: verified.nonce_key(),
        },
        operator: Arc::clone(&service.operator),
    })))
}

/// The end of an enrollment an EnrollmentEnd request `cms` asks for, from an authority over the
/// company.
pub fn end(service: &RegistryService, cms: &[u8], crls: &[Vec<u8>]) -> Result<Command, Refusal> {
    let verified = service.verify_request(cms, crls)?;
    let Action::EnrollmentEnd {
        certificate_sha256,
        reason,
    } = &verified.request.action
    else {
        return Err(Refusal::Invalid(
            "the signed request is not an enrollment end".into(),
        ));
    };
    let company = verified.request.company;
    let acting = authority::over_company(service, &verified, &company, now())?;
    Ok(Command::Unenroll(Unenrolment {
        company,
        certificate_sha256: *certificate_sha256,
        ended_by: verified.actor(),
        reason: reason.clone(),
        nonce_key: Some(verified.nonce_key()),
        acting,
    }))
}
