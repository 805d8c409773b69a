//! The operator's enrollments: a JPKI signing certificate attested, after an out-of-band check
//! of the commercial register (登記事項証明書: name and address against the card's, and the
//! person's identity), to be a company's representative's, so that it may grant, replace,
//! revoke and list that company's PoAs (`write/authority.rs`). Made and ended by operator staff
//! with `eproxy-registry enroll` and `unenroll`, as an act signed with the operator key
//! (`write/command/operator_act.rs`), logged as a leaf, audited with the staff member's name
//! and the check's reference, and covered by a checkpoint:
//!
//! - on the embedded database, against the data directory while the registry is stopped (its
//!   store is locked while it serves), through a sequencer of the command's own;
//! - on a shared database, while the registry serves: the act is left pending there and the
//!   writer of the moment applies it (`operator_inbox.rs`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use eproxy_policy::CorporateNumber;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::trust_anchor::{AnchorRole, SignerRole};
use eproxy_verifier::verify::Verifier;
use sha2::{Digest, Sha256};

use super::config::{Config, KEY_FILE, read_certificate, read_crls};
use super::operator_inbox;
use super::server::{DB_DIR, open_log};
use crate::clock::now;
use crate::log::operator::Operator;
use crate::store::{PgStore, RocksStore, Store};
use crate::write::command::operator_act::{
    ActAnswer, ActKind, MAX_REFERENCE, MAX_STAFF, OperatorAct, PendingAct, bounded,
};
use crate::write::command::{Command, Outcome};
use crate::write::{CommitObserver, Sequencer, WriterParts};

/// How long an act on a shared database waits for the writer: longer than a failover takes.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

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
    let answer = apply(
        data_dir,
        &config,
        ActKind::Enroll,
        attestation,
        &certificate_sha256,
    )?;
    Ok(format!(
        "enrolled certificate {} for company {company}: enrollment {}, log index {}",
        hex::encode(certificate_sha256),
        hex::encode(&answer.enrollment_id),
        answer.log_index
    ))
}

/// Ends the enrollment of `attestation`'s certificate for its company. PoAs it granted while in
/// force are not voided; it grants nothing more.
pub fn unenroll(data_dir: &Path, attestation: &Attestation<'_>) -> Result<String, String> {
    let config = Config::load(data_dir).map_err(|e| e.to_string())?;
    let (company, certificate_sha256) = checked(data_dir, &config, attestation, false)?;
    let answer = apply(
        data_dir,
        &config,
        ActKind::Unenroll,
        attestation,
        &certificate_sha256,
    )?;
    Ok(format!(
        "ended enrollment {} of certificate {} for company {company} at log index {}",
        hex::encode(&answer.enrollment_id),
        hex::encode(certificate_sha256),
        answer.log_index
    ))
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
    bounded("--attested-by", attestation.attested_by, MAX_STAFF)?;
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

/// Signs the act of `kind` that `attestation` describes and has the registry of `data_dir`
/// (configured by `config`) apply it through its one writer; the writer's answer, if the act
/// was done.
fn apply(
    data_dir: &Path,
    config: &Config,
    kind: ActKind,
    attestation: &Attestation<'_>,
    certificate_sha256: &[u8; 32],
) -> Result<ActAnswer, String> {
    let operator = Arc::new(
        Operator::load(&config.origin, &data_dir.join(KEY_FILE)).map_err(|e| e.to_string())?,
    );
    let mut nonce = vec![0; 16];
    getrandom::fill(&mut nonce).map_err(|e| format!("no randomness for the act's nonce: {e}"))?;
    let act = OperatorAct {
        format_version: 1,
        log_origin: config.origin.clone(),
        requested_at: now().seconds(),
        nonce,
        kind: kind as i32,
        corporate_number: attestation.company.to_owned(),
        certificate_sha256: certificate_sha256.to_vec(),
        staff: attestation.attested_by.to_owned(),
        reference: attestation.reference.to_owned(),
    };
    let (nonce_key, signed) = act.sign(&operator);
    let answer = if config.database_url.is_empty() {
        apply_embedded(data_dir, config, operator, nonce_key, signed)?
    } else {
        let store = PgStore::open(&config.database_url).map_err(|e| e.to_string())?;
        operator_inbox::post(&store, &nonce_key, signed).map_err(|e| e.to_string())?;
        operator_inbox::await_answer(&store, &nonce_key, ANSWER_WITHIN)?
    };
    if answer.refusal.is_empty() {
        Ok(answer)
    } else {
        Err(answer.refusal)
    }
}

/// Applies the signed act `signed` to the embedded database of `data_dir`, through a sequencer
/// of this command's own, then publishes a checkpoint covering it.
fn apply_embedded(
    data_dir: &Path,
    config: &Config,
    operator: Arc<Operator>,
    nonce_key: Vec<u8>,
    signed: Vec<u8>,
) -> Result<ActAnswer, String> {
    let store: Arc<dyn Store> =
        Arc::new(RocksStore::open(&data_dir.join(DB_DIR)).map_err(|e| {
            format!("{e} (is the registry serving this data directory? stop it first)")
        })?);
    let log = open_log(data_dir, config, store.as_ref(), &operator)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let sequencer = Sequencer::start(WriterParts {
            store: Arc::clone(&store),
            log: Arc::clone(&log),
            operator: Arc::clone(&operator),
            observer: Arc::new(Uncounted),
            epoch: 0,
        })
        .map_err(|e| format!("cannot start the sequencer: {e}"))?;
        let act = PendingAct {
            key: crate::store::records::pending_act_key(&nonce_key),
            signed,
            operator,
        };
        let outcome = sequencer.apply(Command::Act(Box::new(act))).await;
        let published = sequencer.publish().await;
        sequencer.stop().await;
        let answer = match outcome.map_err(|refusal| refusal.to_string())? {
            Outcome::ActAnswered(answer) => answer,
            other => return Err(format!("unexpected outcome {other:?}")),
        };
        published.map_err(|e| format!("the checkpoint could not be published: {e}"))?;
        Ok(answer)
    })
}

/// The operator's one command is counted by no metrics: no registry serves meanwhile.
struct Uncounted;

impl CommitObserver for Uncounted {
    fn committed(&self, _commands: usize) {}
}
