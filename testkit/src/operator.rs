//! A registry operator in miniature: an Ed25519 key, an in-memory transparency log, and the
//! evidence a real registry hands counterparties (signed status statements, inclusion proofs,
//! signed checkpoints, bundles). For tests of verifiers; it checks nothing it is asked to sign.

use ed25519_dalek::{Signer, SigningKey};
use eproxy_policy::{CorporateNumber, UnixTime};
use eproxy_proto::DelegationId;
use eproxy_proto::v1::{
    DelegationStatus, Enrollment, EnrollmentEvidence, EnrollmentKind, EvidenceBundle,
    InclusionProof, LinkEvidence, LogEvent, LogEventKind, SignedEnrollment, SignedStatusStatement,
    StatusStatement,
};
use eproxy_verifier::enrollment::{ENROLLMENT_CONTEXT, enrollment_id};
use eproxy_verifier::evidence::STATUS_STATEMENT_CONTEXT;
use eproxy_verifier::merkle::{Hash, inclusion_proof, leaf_hash, root};
use eproxy_verifier::note::{Checkpoint, VerifierKey};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::Error;

/// A test operator: key, log and origin.
#[derive(Debug)]
pub struct TestOperator {
    origin: String,
    key: SigningKey,
    verifier: VerifierKey,
    leaves: Vec<Vec<u8>>,
    leaf_hashes: Vec<Hash>,
}

/// An enrollment the operator signed and logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolled {
    /// Its id.
    pub id: [u8; 32],
    /// The enrollment, signed.
    pub signed: SignedEnrollment,
    /// Its ENROLLMENT event, the leaf.
    pub event: Vec<u8>,
    /// The leaf index.
    pub index: u64,
}

/// Where a registration landed in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The PoA.
    pub delegation_id: DelegationId,
    /// The registry's time of registration.
    pub at: UnixTime,
    /// The leaf index.
    pub index: u64,
    /// The leaf: the canonical LogEvent.
    pub event: Vec<u8>,
}

impl TestOperator {
    /// An operator whose key derives from `seed`, running the log named `origin` (also the key
    /// name).
    pub fn new(seed: &str, origin: &str) -> Result<Self, Error> {
        let secret: [u8; 32] =
            Sha256::digest(format!("eproxy-testkit operator key v1\0{seed}\0{origin}")).into();
        let key = SigningKey::from_bytes(&secret);
        let verifier = VerifierKey::new(origin, key.verifying_key().to_bytes())
            .map_err(|e| Error::KeyEncoding(e.to_string()))?;
        Ok(Self {
            origin: origin.to_owned(),
            key,
            verifier,
            leaves: Vec::new(),
            leaf_hashes: Vec::new(),
        })
    }

    /// The verifier key counterparties pin.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Appends a leaf (any bytes) and returns its index.
    pub fn append(&mut self, leaf: Vec<u8>) -> u64 {
        self.leaf_hashes.push(leaf_hash(&leaf));
        self.leaves.push(leaf);
        self.leaves.len() as u64 - 1
    }

    /// Logs the registration of the PoA `delegation_cms` at `at`.
    pub fn register(
        &mut self,
        delegation_cms: &[u8],
        at: UnixTime,
        parent: Option<DelegationId>,
    ) -> Registration {
        self.register_on(delegation_cms, at, parent, None)
    }

    /// [`TestOperator::register`], the registration naming the enrollment `authority` as its
    /// signer's authority (a root PoA signed with an enrolled card).
    pub fn register_on(
        &mut self,
        delegation_cms: &[u8],
        at: UnixTime,
        parent: Option<DelegationId>,
        authority: Option<[u8; 32]>,
    ) -> Registration {
        let delegation_id = DelegationId::of_cms(delegation_cms);
        let event = LogEvent {
            format_version: 1,
            kind: LogEventKind::Registration as i32,
            delegation_id: delegation_id.as_bytes().to_vec(),
            at_unix_seconds: at.seconds(),
            related_delegation_id: parent.map(|p| p.as_bytes().to_vec()).unwrap_or_default(),
            authority_enrollment_id: authority.map(|id| id.to_vec()).unwrap_or_default(),
        }
        .encode_to_vec();
        let index = self.append(event.clone());
        Registration {
            delegation_id,
            at,
            index,
            event,
        }
    }

    /// The signed checkpoint of the log as it stands.
    pub fn checkpoint(&self) -> String {
        let body = Checkpoint {
            origin: self.origin.clone(),
            size: self.leaves.len() as u64,
            root: root(&self.leaf_hashes),
        }
        .body();
        self.sign_note(&body)
    }

    /// `body` signed as a C2SP note by this operator.
    pub fn sign_note(&self, body: &str) -> String {
        let signature = self.key.sign(body.as_bytes()).to_bytes();
        format!("{body}\n{}", self.verifier.signature_line(&signature))
    }

    /// A statement that `registration`'s PoA has `status` (changed at `changed_at`, 0 if it
    /// never changed), produced at `produced_at`.
    pub fn statement(
        &self,
        registration: &Registration,
        status: DelegationStatus,
        changed_at: UnixTime,
        produced_at: UnixTime,
    ) -> StatusStatement {
        StatusStatement {
            format_version: 1,
            log_origin: self.origin.clone(),
            delegation_id: registration.delegation_id.as_bytes().to_vec(),
            status: status as i32,
            registered_at_unix_seconds: registration.at.seconds(),
            changed_at_unix_seconds: changed_at.seconds(),
            revocation_reason: String::new(),
            revocation_reason_code: 0,
            superseded_by: Vec::new(),
            produced_at_unix_seconds: produced_at.seconds(),
            registration_log_index: registration.index,
            log_size: self.leaves.len() as u64,
        }
    }

    /// `statement`, signed.
    pub fn sign_statement(&self, statement: &StatusStatement) -> SignedStatusStatement {
        let bytes = statement.encode_to_vec();
        let mut message = STATUS_STATEMENT_CONTEXT.to_vec();
        message.extend_from_slice(&bytes);
        SignedStatusStatement {
            statement: bytes,
            signature: self.key.sign(&message).to_bytes().to_vec(),
        }
    }

    /// Enrolls the certificate `certificate_sha256` for `company` at `at`, on staff's word:
    /// signs the enrollment and logs it.
    pub fn enroll(
        &mut self,
        company: &CorporateNumber,
        certificate_sha256: [u8; 32],
        at: UnixTime,
    ) -> Enrolled {
        let enrollment = Enrollment {
            format_version: 1,
            log_origin: self.origin.clone(),
            corporate_number: company.to_string(),
            certificate_sha256: certificate_sha256.to_vec(),
            kind: EnrollmentKind::OperatorAttested as i32,
            enrolled_at_unix_seconds: at.seconds(),
            attested_by: "staff-test".into(),
            check_reference: "登記事項証明書 (test)".into(),
            linked_by_certificate_sha256: Vec::new(),
        };
        let signed = self.sign_enrollment(&enrollment);
        let id = enrollment_id(&signed.enrollment);
        let event = LogEvent {
            format_version: 1,
            kind: LogEventKind::Enrollment as i32,
            delegation_id: id.to_vec(),
            at_unix_seconds: at.seconds(),
            related_delegation_id: Vec::new(),
            authority_enrollment_id: Vec::new(),
        }
        .encode_to_vec();
        let index = self.append(event.clone());
        Enrolled {
            id,
            signed,
            event,
            index,
        }
    }

    /// `enrollment`, signed (whatever it says).
    pub fn sign_enrollment(&self, enrollment: &Enrollment) -> SignedEnrollment {
        let bytes = enrollment.encode_to_vec();
        let mut message = ENROLLMENT_CONTEXT.to_vec();
        message.extend_from_slice(&bytes);
        SignedEnrollment {
            enrollment: bytes,
            signature: self.key.sign(&message).to_bytes().to_vec(),
        }
    }

    /// The evidence of `enrolled`: the enrollment, its event and the event's inclusion proof in
    /// the current log.
    pub fn enrollment_evidence(&self, enrolled: &Enrolled) -> EnrollmentEvidence {
        EnrollmentEvidence {
            enrollment: Some(enrolled.signed.clone()),
            enrollment_event: enrolled.event.clone(),
            inclusion: Some(self.inclusion(enrolled.index)),
        }
    }

    /// The inclusion proof of the leaf at `index` in the current log.
    pub fn inclusion(&self, index: u64) -> InclusionProof {
        InclusionProof {
            leaf_index: index,
            tree_size: self.leaves.len() as u64,
            hashes: inclusion_proof(
                &self.leaf_hashes,
                usize::try_from(index).unwrap_or(usize::MAX),
            )
            .unwrap_or_default()
            .iter()
            .map(|h| h.to_vec())
            .collect(),
        }
    }

    /// The evidence for one PoA: its CMS, `statement` signed, its registration and the
    /// registration's inclusion proof in the current log.
    pub fn link(
        &self,
        delegation_cms: &[u8],
        registration: &Registration,
        statement: &StatusStatement,
    ) -> LinkEvidence {
        LinkEvidence {
            delegation_cms: delegation_cms.to_vec(),
            status: Some(self.sign_statement(statement)),
            registration_event: registration.event.clone(),
            inclusion: Some(self.inclusion(registration.index)),
        }
    }

    /// A bundle of `links` (the contract's PoA first) with the current signed checkpoint.
    pub fn bundle(&self, links: Vec<LinkEvidence>) -> Vec<u8> {
        self.bundle_with(links, None)
    }

    /// [`TestOperator::bundle`], carrying `root_enrollment`.
    pub fn bundle_with(
        &self,
        links: Vec<LinkEvidence>,
        root_enrollment: Option<EnrollmentEvidence>,
    ) -> Vec<u8> {
        EvidenceBundle {
            format_version: 1,
            links,
            checkpoint: self.checkpoint(),
            root_enrollment,
        }
        .encode_to_vec()
    }
}
