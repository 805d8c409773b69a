//! Signed registry requests as this registry expects them: bound to its log (the operator
//! key's name is the log's origin), to the company acted for, to a time and a random nonce.

use eproxy_policy::{CorporateNumber, UnixTime};
use eproxy_proto::{Action, RegistryRequest};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::commercial_registration::RegisteredCorporation;
use eproxy_verifier::note::VerifierKey;

use crate::error::CliError;

/// A RegistryRequest for `action` by `company` at this registry's log (the operator key's name
/// is the log's origin), at `now`, with a random nonce.
pub fn fresh_request(
    operator: &VerifierKey,
    company: CorporateNumber,
    action: Action,
    now: UnixTime,
) -> Result<RegistryRequest, CliError> {
    let mut nonce = vec![0u8; 32];
    getrandom::fill(&mut nonce)
        .map_err(|e| CliError::new(format!("cannot draw a random nonce: {e}")))?;
    Ok(RegistryRequest {
        log_origin: operator.name().to_owned(),
        company,
        requested_at: now,
        nonce,
        action,
    })
}

/// The company a request acts for: `--company` if given, else the one a commercial-registration
/// certificate names.
pub fn company_of(
    certificate: &Certificate,
    flag: Option<&str>,
) -> Result<CorporateNumber, CliError> {
    if let Some(text) = flag {
        return CorporateNumber::parse(text)
            .map_err(|e| CliError::new(format!("--company {text}: {e}")));
    }
    let registration = RegisteredCorporation::of(certificate).ok_or_else(|| {
        CliError::new("the key's certificate names no company")
            .fix("give --company NUMBER (the corporate number you act for)")
    })?;
    CorporateNumber::from_registered_number(&registration.registered_number).map_err(|e| {
        CliError::new(format!(
            "the certificate's registered number {}: {e}",
            registration.registered_number
        ))
    })
}
