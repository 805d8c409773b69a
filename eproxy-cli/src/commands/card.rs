//! `eproxy card link | unlink`: a representative's My Number card at the registry. Linking is
//! one act of two keys: the card signs its consent, the representative's
//! commercial-registration certificate signs the request carrying it, both bound to one nonce.
//! The registry answers with the enrollment, signed by the operator, checked here under the
//! operator's key before it is reported.

use std::path::Path;

use eproxy_proto::Action;
use serde::Serialize;

use crate::cli::{CompanyRequestArgs, KeyArgs};
use crate::client::registry as calls;
use crate::client::request::{company_of, fresh_request};
use crate::client::{operator_key, registry_url};
use crate::commands::registry::signed_request;
use crate::commands::{Outcome, now, open_key};
use crate::error::CliError;
use crate::input::read_certificate;
use crate::output::print_json;
use crate::render::TimeView;
use crate::signing::sign_content;
use crate::time_text::jst;

/// `link`'s report.
#[derive(Serialize)]
struct Linked {
    company: String,
    card_certificate_sha256: String,
    enrollment_id: String,
    log_index: u64,
    enrolled_at: TimeView,
}

/// `unlink`'s report.
#[derive(Serialize)]
struct Unlinked {
    card_certificate_sha256: String,
    enrollment_id: String,
    log_index: u64,
}

/// Links the card `card` to the company of the representative's key `key`.
pub fn link(request: &CompanyRequestArgs, card: &KeyArgs) -> Result<Outcome, CliError> {
    let (key, company, registry, json) = request.parts();
    let url = registry_url(registry.registry.as_deref())?;
    let operator = operator_key(registry)?;
    let representative = open_key(key)?;
    let card_key = open_key(card)?;
    let company = company_of(representative.certificate(), company)?;
    let consent = fresh_request(
        &operator,
        company,
        Action::CardConsent {
            linking_certificate_sha256: *representative.certificate().sha256(),
        },
        now()?,
    )?;
    let card_consent_cms =
        sign_content(card_key.as_ref(), &consent.encode(), consent.requested_at)?;
    let link = eproxy_proto::RegistryRequest {
        action: Action::CardLink { card_consent_cms },
        ..consent
    };
    let request_cms = sign_content(representative.as_ref(), &link.encode(), link.requested_at)?;
    let (enrollment, log_index) = calls::enroll_card(&url, request_cms, &operator)?;
    let card_sha256 = *card_key.certificate().sha256();
    if enrollment.certificate_sha256 != card_sha256 || enrollment.company != company {
        return Err(CliError::new(
            "the registry's enrollment is not of this card for this company",
        ));
    }
    let report = Linked {
        company: company.to_string(),
        card_certificate_sha256: hex::encode(card_sha256),
        enrollment_id: hex::encode(enrollment.id),
        log_index,
        enrolled_at: TimeView::of(enrollment.enrolled_at),
    };
    if json {
        print_json(&report)?;
    } else {
        println!(
            "card {} is enrolled for company {}",
            report.card_certificate_sha256, report.company
        );
        println!(
            "  enrollment {}, log index {}, from {}",
            report.enrollment_id,
            report.log_index,
            jst(enrollment.enrolled_at)
        );
    }
    Ok(Outcome::Done)
}

/// Ends the enrollment of `card` (a certificate file or its SHA-256) for the company.
pub fn unlink(card: &str, reason: &str, request: &CompanyRequestArgs) -> Result<Outcome, CliError> {
    let (key, company, registry, json) = request.parts();
    let certificate_sha256 = card_sha256(card)?;
    let url = registry_url(registry.registry.as_deref())?;
    let operator = operator_key(registry)?;
    let action = Action::EnrollmentEnd {
        certificate_sha256,
        reason: reason.to_owned(),
    };
    let request_cms = signed_request(key, company, action, &operator)?;
    let (enrollment_id, log_index) = calls::end_enrollment(&url, request_cms)?;
    let report = Unlinked {
        card_certificate_sha256: hex::encode(certificate_sha256),
        enrollment_id: hex::encode(&enrollment_id),
        log_index,
    };
    if json {
        print_json(&report)?;
    } else {
        println!(
            "card {}: enrollment {} ended at log index {}",
            report.card_certificate_sha256, report.enrollment_id, report.log_index
        );
    }
    Ok(Outcome::Done)
}

/// The SHA-256 a card is named by: 64 hex digits, or its certificate file's.
fn card_sha256(card: &str) -> Result<[u8; 32], CliError> {
    if card.len() == 64
        && let Ok(bytes) = hex::decode(card)
        && let Ok(hash) = <[u8; 32]>::try_from(bytes)
    {
        return Ok(hash);
    }
    Ok(*read_certificate(Path::new(card))?.sha256())
}
