//! The operator's enrollments: a JPKI signing certificate attested, after an out-of-band check
//! of the commercial register (登記事項証明書: name and address against the card's, and the
//! person's identity), to be a company's representative's, so that it may grant, replace,
//! revoke and list that company's PoAs (`write/authority.rs`). Made and ended by operator staff with
//! `eproxy-registry enroll` and `unenroll`, against the data directory while the registry is
//! stopped (its store is locked while it serves): each is signed with the operator key, logged
//! as a leaf, audited with the staff member's name and the check's reference, and covered by a
//! new checkpoint before the command returns.

use std::path::Path;
use std::sync::Arc;

use eproxy_policy::CorporateNumber;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::trust_anchor::{AnchorRole, SignerRole};
use eproxy_verifier::verify::Verifier;
use sha2::{Digest, Sha256};

use super::config::{Config, KEY_FILE, read_certificate, read_crls};
use super::server::{DB_DIR, open_log};
use crate::clock::now;
use crate::log::operator::Operator;
use crate::store::{RocksStore, Store};
use crate::write::command::{Basis, Command, Enrolment, Outcome, Unenrolment};
use crate::write::{CommitObserver, Sequencer, WriterParts};

/// The longest staff identifier.
const MAX_ATTESTED_BY: usize = 128;
/// The longest check reference or reason.
const MAX_REFERENCE: usize = 256;

/// What the operator's staff says about one certificate.
pub struct Attestation<'a> {
    /// The company.
    pub company: &'a str,
    /// The JPKI signing certificate's file (PEM or DER).
    pub certificate: &'a Path,
    /// Who checked.
    pub attested_by: &'a str,
    /// The check's reference (enroll) or why the enrollment ends (unenroll).
    pub reference: &'a str,
}

/// Enrolls the certificate of `attestation` for its company, in the registry of `data_dir`.
/// Returns a line for the operator.
pub fn enroll(data_dir: &Path, attestation: &Attestation<'_>) -> Result<String, String> {
    let config = Config::load(data_dir).map_err(|e| e.to_string())?;
    let (company, certificate_sha256) = checked(data_dir, &config, attestation, true)?;
    let outcome = apply(data_dir, &config, |operator| {
        Command::Enroll(Box::new(Enrolment {
            company,
            certificate_sha256,
            basis: Basis::Attested {
                attested_by: attestation.attested_by.to_owned(),
                check_reference: attestation.reference.to_owned(),
            },
            operator,
        }))
    })?;
    match outcome {
        Outcome::Enrolled { id, log_index, .. } => Ok(format!(
            "enrolled certificate {} for company {company}: enrollment {}, log index {log_index}",
            hex::encode(certificate_sha256),
            hex::encode(id)
        )),
        other => Err(format!("unexpected outcome {other:?}")),
    }
}

/// Ends the enrollment of `attestation`'s certificate for its company. PoAs it granted while in
/// force are not voided; it grants nothing more.
pub fn unenroll(data_dir: &Path, attestation: &Attestation<'_>) -> Result<String, String> {
    let config = Config::load(data_dir).map_err(|e| e.to_string())?;
    let (company, certificate_sha256) = checked(data_dir, &config, attestation, false)?;
    let outcome = apply(data_dir, &config, |_| {
        Command::Unenroll(Unenrolment {
            company,
            certificate_sha256,
            ended_by: format!("operator staff {}", attestation.attested_by),
            reason: attestation.reference.to_owned(),
            nonce_key: None,
            acting: None,
        })
    })?;
    match outcome {
        Outcome::Unenrolled { id, log_index } => Ok(format!(
            "ended enrollment {} of certificate {} for company {company} at log index {log_index}",
            hex::encode(id),
            hex::encode(certificate_sha256)
        )),
        other => Err(format!("unexpected outcome {other:?}")),
    }
}

/// The company and the certificate's SHA-256, after checking the texts and, when `enrolling`,
/// that the certificate is a JPKI signing certificate whose path verifies now under the
/// registry's anchors and CRLs. (An enrollment may be ended whatever became of its
/// certificate.)
fn checked(
    data_dir: &Path,
    config: &Config,
    attestation: &Attestation<'_>,
    enrolling: bool,
) -> Result<(CorporateNumber, [u8; 32]), String> {
    let company = CorporateNumber::parse(attestation.company)
        .map_err(|e| format!("--company {:?}: {e}", attestation.company))?;
    let bounded = |name: &str, text: &str, max: usize| {
        if text.trim().is_empty() || text.len() > max {
            Err(format!("{name}: 1 to {max} bytes, not blank"))
        } else {
            Ok(())
        }
    };
    bounded("--attested-by", attestation.attested_by, MAX_ATTESTED_BY)?;
    bounded(
        if enrolling { "--reference" } else { "--reason" },
        attestation.reference,
        MAX_REFERENCE,
    )?;
    let der = read_certificate(attestation.certificate).map_err(|e| e.to_string())?;
    let sha256: [u8; 32] = Sha256::digest(&der).into();
    if enrolling {
        let verifier = Verifier::new(config.anchors(data_dir).map_err(|e| e.to_string())?)
            .with_revocation(config.revocation_policy().map_err(|e| e.to_string())?);
        let crls = read_crls(data_dir, &config.crls).map_err(|e| e.to_string())?;
        let crls: Vec<&Crl> = crls.iter().collect();
        let (_, anchor) = verifier
            .verify_certificate(&der, SignerRole::Employee, &crls, now())
            .map_err(|e| {
                format!(
                    "{}: not a valid JPKI signing certificate now: {e}",
                    attestation.certificate.display()
                )
            })?;
        if anchor != AnchorRole::JpkiSigning {
            return Err(format!(
                "{}: not a JPKI signing certificate",
                attestation.certificate.display()
            ));
        }
    }
    Ok((company, sha256))
}

/// Applies the command `make` builds (given the operator) to the registry of `data_dir`
/// (configured by `config`) through its one writer, then publishes a checkpoint covering it.
fn apply(
    data_dir: &Path,
    config: &Config,
    make: impl FnOnce(Arc<Operator>) -> Command,
) -> Result<Outcome, String> {
    embedded_only(config, "enroll and unenroll")?;
    let operator = Arc::new(
        Operator::load(&config.origin, &data_dir.join(KEY_FILE)).map_err(|e| e.to_string())?,
    );
    let store: Arc<dyn Store> =
        Arc::new(RocksStore::open(&data_dir.join(DB_DIR)).map_err(|e| {
            format!("{e} (is the registry serving this data directory? stop it first)")
        })?);
    let log = open_log(data_dir, config, store.as_ref(), &operator)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let outcome = runtime.block_on(async {
        let sequencer = Sequencer::start(WriterParts {
            store: Arc::clone(&store),
            log: Arc::clone(&log),
            operator: Arc::clone(&operator),
            observer: Arc::new(Uncounted),
            epoch: 0,
        })
        .map_err(|e| format!("cannot start the sequencer: {e}"))?;
        let outcome = sequencer.apply(make(Arc::clone(&operator))).await;
        let published = sequencer.publish().await;
        sequencer.stop().await;
        let outcome = outcome.map_err(|refusal| refusal.to_string())?;
        published.map_err(|e| format!("the checkpoint could not be published: {e}"))?;
        Ok::<_, String>(outcome)
    })?;
    Ok(outcome)
}

/// Refuses `what` on a registry whose records are in a shared database: its embedded
/// database (which these commands open) holds nothing.
pub fn embedded_only(config: &Config, what: &str) -> Result<(), String> {
    if config.database_url.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what} work on the embedded database; this registry keeps its records in the shared \
             database (database_url), which they do not reach yet"
        ))
    }
}

/// The operator's one command is counted by no metrics: no registry serves meanwhile.
struct Uncounted;

impl CommitObserver for Uncounted {
    fn committed(&self, _commands: usize) {}
}
