//! `eproxy cert check`: RFC 5280 path validation of one certificate with verifier-lib's
//! validator (the one that guards every PoA and contract), for a role or for any. Exit status
//! 0 valid, 1 invalid, 2 when the question could not be asked (unreadable files, bad flags).
//!
//! A certificate, CRL or trust anchor that is framed properly (PEM or DER) but whose content is
//! malformed (or over the size limits) is an answer, not an input error: the certificate is
//! invalid, with the reason. CONFORMANCE.md gives the validator's score on x509-limbo.

use eproxy_verifier::Error;
use eproxy_verifier::InputKind;
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::trust_anchor::SignerRole;
use eproxy_verifier::verify_cert::{PathContext, RevocationPolicy, VerifiedPath, verify_path};
use serde::Serialize;

use crate::cli::{CertCheckArgs, Role};
use crate::commands::{Outcome, now};
use crate::error::CliError;
use crate::input::{read_crls, read_der_blocks, read_trust_certificates, trust_anchors};
use crate::output::print_json;
use crate::render::{SignerView, TimeView};
use crate::time_text::parse_time;

/// The report.
#[derive(Serialize)]
struct Report {
    valid: bool,
    /// Why not, when invalid.
    reason: Option<String>,
    role: &'static str,
    at: TimeView,
    /// The role of the anchor reached.
    anchor_role: Option<String>,
    /// Certificates from the leaf up to (not including) the anchor.
    path_length: Option<usize>,
    /// Certificates in the path whose revocation no CRL told (without --require-crl).
    revocation_unknown: Option<usize>,
    certificate: Option<SignerView>,
}

/// Runs `eproxy cert check`.
pub fn check(args: &CertCheckArgs) -> Result<Outcome, CliError> {
    let trusted = read_trust_certificates(&args.trust)?;
    let at = match &args.at {
        Some(text) => parse_time(text).map_err(|e| CliError::new(format!("--at: {e}")))?,
        None => now()?,
    };
    let leaf = read_der_blocks(&args.certificate, "CERTIFICATE", InputKind::Certificate)?;
    let mut intermediates = Vec::new();
    for file in &args.intermediate {
        intermediates.extend(read_der_blocks(
            file,
            "CERTIFICATE",
            InputKind::Certificate,
        )?);
    }
    let crls = read_crls(&args.crl)?;
    let (role, role_name) = match args.role {
        Role::Employee => (SignerRole::Employee, "employee"),
        Role::Representative => (SignerRole::Representative, "representative"),
        Role::Any => (SignerRole::Any, "any"),
    };
    let revocation = if args.require_crl {
        RevocationPolicy::Strict
    } else {
        RevocationPolicy::Lenient
    };
    // A malformed anchor is an answer too: no path can end at it.
    let outcome = match trust_anchors(trusted) {
        Ok(anchors) => validate(
            &leaf[0],
            &intermediates,
            &crls,
            &anchors,
            role,
            revocation,
            at,
        )
        .map_err(|e| e.to_string()),
        Err((file, e)) => Err(format!("trust anchor {}: {e}", file.display())),
    };
    let report = Report {
        valid: outcome.is_ok(),
        reason: outcome.as_ref().err().cloned(),
        role: role_name,
        at: TimeView::of(at),
        anchor_role: outcome.as_ref().ok().map(|p| p.anchor_role.to_string()),
        path_length: outcome.as_ref().ok().map(|p| p.chain.len()),
        revocation_unknown: outcome.as_ref().ok().map(|p| p.revocation_unknown),
        certificate: Certificate::from_der(&leaf[0])
            .ok()
            .map(|c| SignerView::of(&c)),
    };
    if args.json {
        print_json(&report)?;
    } else {
        match (&outcome, &report.certificate) {
            (Ok(path), _) => {
                println!(
                    "VALID: a path of {} certificate(s) to a {} anchor",
                    path.chain.len(),
                    path.anchor_role
                );
                if path.revocation_unknown > 0 {
                    println!(
                        "  caveat: no CRL told the revocation status of {} certificate(s) \
                         (--require-crl makes that invalid)",
                        path.revocation_unknown
                    );
                }
            }
            (Err(error), _) => println!("INVALID: {error}"),
        }
        if let Some(view) = &report.certificate {
            print!("{}", view.text("証明書 Certificate"));
        }
    }
    Ok(if outcome.is_ok() {
        Outcome::Done
    } else {
        Outcome::Rejected
    })
}

/// The validation itself; any malformed certificate or CRL is a reason.
fn validate(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    crls: &[Vec<u8>],
    anchors: &eproxy_verifier::trust_anchor::TrustAnchors,
    role: SignerRole,
    revocation: RevocationPolicy,
    at: eproxy_policy::UnixTime,
) -> Result<VerifiedPath, Error> {
    let leaf = Certificate::from_der(leaf)?;
    let intermediates = intermediates
        .iter()
        .map(|der| Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()?;
    let crls = crls
        .iter()
        .map(|der| Crl::from_der(der))
        .collect::<Result<Vec<_>, _>>()?;
    let context = PathContext {
        provider: &AWS_LC,
        anchors,
        crls: &crls.iter().collect::<Vec<_>>(),
        revocation,
        at,
        cache: None,
    };
    verify_path(&context, &leaf, &intermediates, role)
}
