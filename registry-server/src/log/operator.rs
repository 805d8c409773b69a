//! The operator's signing identity: one Ed25519 key, named by the log's origin, that signs
//! checkpoints, status statements and registration receipts, each under its own prefix so that
//! no signature is valid as anything else.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use eproxy_proto::v1::{
    RegistrationReceipt, SignedReceipt, SignedStatusStatement, StatusStatement,
};
use eproxy_verifier::evidence::{RECEIPT_CONTEXT, STATUS_STATEMENT_CONTEXT};
use eproxy_verifier::merkle::Hash;
use eproxy_verifier::note::{Checkpoint, VerifierKey};
use prost::Message;

/// Prefixes the bytes of an operator's act before they are signed (`write/command/operator_act.rs`),
/// so that the signature is over nothing else the key signs: checkpoints, statements, receipts
/// and enrollments each have their own.
pub const OPERATOR_ACT_CONTEXT: &[u8] = b"eproxy operator act v1\n";

/// Why the key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("operator key {path}: {error}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The file is not a PKCS#8 Ed25519 private key.
    #[error("operator key {path} is not a PKCS#8 PEM Ed25519 private key")]
    Format {
        /// The file.
        path: String,
    },
    /// The origin cannot name a note key.
    #[error("the log origin cannot name the operator key: {0}")]
    Origin(String),
    /// The system's random source failed.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// The operator: its log's origin and its key.
pub struct Operator {
    origin: String,
    /// The key, held by aws-lc-rs for signing: every GetStatus answer is signed, and aws-lc-rs
    /// signs in about half ed25519-dalek's time here (7.7 against 14 µs). Ed25519 is
    /// deterministic, so the signatures are the same; ed25519-dalek reads and writes the file.
    signer: Ed25519KeyPair,
    verifier: VerifierKey,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("verifier", &self.verifier.to_string())
            .finish_non_exhaustive()
    }
}

impl Operator {
    /// The operator of the log `origin` with `key`.
    pub fn new(origin: &str, key: SigningKey) -> Result<Self, KeyError> {
        let public = key.verifying_key().to_bytes();
        let verifier =
            VerifierKey::new(origin, public).map_err(|e| KeyError::Origin(e.to_string()))?;
        let signer = Ed25519KeyPair::from_seed_and_public_key(&key.to_bytes(), &public)
            .map_err(|e| KeyError::Origin(format!("the key does not load for signing: {e}")))?;
        Ok(Self {
            origin: origin.to_owned(),
            signer,
            verifier,
        })
    }

    /// Makes a new random key and writes it to `path` (PKCS#8 PEM, mode 0600), refusing to
    /// overwrite an existing file: a lost key means a new log identity.
    pub fn create(origin: &str, path: &Path) -> Result<Self, KeyError> {
        let file_error = |error| KeyError::File {
            path: path.display().to_string(),
            error,
        };
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        let pem = key
            .to_pkcs8_pem(Default::default())
            .map_err(|_| KeyError::Format {
                path: path.display().to_string(),
            })?;
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(file_error)?;
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(file_error)?;
        Self::new(origin, key)
    }

    /// Reads the key at `path`.
    pub fn load(origin: &str, path: &Path) -> Result<Self, KeyError> {
        let pem = fs::read_to_string(path).map_err(|error| KeyError::File {
            path: path.display().to_string(),
            error,
        })?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| KeyError::Format {
            path: path.display().to_string(),
        })?;
        Self::new(origin, key)
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The verifier key counterparties pin.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    /// The signed checkpoint of a tree of `size` leaves with root `root`.
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> String {
        let body = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
        }
        .body();
        let signature = self.sign(body.as_bytes());
        format!("{body}\n{}", self.verifier.signature_line(&signature))
    }

    /// `statement`, signed.
    pub fn sign_statement(&self, statement: &StatusStatement) -> SignedStatusStatement {
        let statement = statement.encode_to_vec();
        let signature = self.sign_with_context(STATUS_STATEMENT_CONTEXT, &statement);
        SignedStatusStatement {
            statement,
            signature,
        }
    }

    /// `receipt`, signed.
    pub fn sign_receipt(&self, receipt: &RegistrationReceipt) -> SignedReceipt {
        let receipt = receipt.encode_to_vec();
        let signature = self.sign_with_context(RECEIPT_CONTEXT, &receipt);
        SignedReceipt { receipt, signature }
    }

    /// Signs the canonical bytes of an `Enrollment` (domain-separated).
    pub fn sign_enrollment(&self, enrollment: &[u8]) -> Vec<u8> {
        self.sign_with_context(eproxy_verifier::enrollment::ENROLLMENT_CONTEXT, enrollment)
    }

    /// Signs the canonical bytes of an operator's act (domain-separated).
    pub fn sign_act(&self, act: &[u8]) -> Vec<u8> {
        self.sign_with_context(OPERATOR_ACT_CONTEXT, act)
    }

    /// Whether `signature` is this key's over the operator's act `act`.
    pub fn signed_act(&self, act: &[u8], signature: &[u8]) -> bool {
        let mut message = OPERATOR_ACT_CONTEXT.to_vec();
        message.extend_from_slice(act);
        UnparsedPublicKey::new(&ED25519, self.verifier.public_key())
            .verify(&message, signature)
            .is_ok()
    }

    fn sign_with_context(&self, context: &[u8], bytes: &[u8]) -> Vec<u8> {
        let mut message = context.to_vec();
        message.extend_from_slice(bytes);
        self.sign(&message).to_vec()
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut signature = [0; 64];
        // Ed25519 signatures are 64 bytes, whatever is signed.
        signature.copy_from_slice(self.signer.sign(message).as_ref());
        signature
    }
}

#[cfg(test)]
mod tests {
    use eproxy_verifier::crypto::AWS_LC;
    use eproxy_verifier::note::verify_checkpoint;

    use super::*;

    #[test]
    fn a_created_key_is_private_reloads_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operator-key.pem");
        let created = Operator::create("registry.example/log", &path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = Operator::load("registry.example/log", &path).unwrap();
        assert_eq!(created.verifier_key(), loaded.verifier_key());
        assert!(matches!(
            Operator::create("registry.example/log", &path),
            Err(KeyError::File { .. })
        ));
        fs::write(dir.path().join("junk.pem"), "not a key").unwrap();
        assert!(matches!(
            Operator::load("registry.example/log", &dir.path().join("junk.pem")),
            Err(KeyError::Format { .. })
        ));
    }

    #[test]
    fn checkpoints_verify_under_the_published_key() {
        let operator =
            Operator::new("registry.example/log", SigningKey::from_bytes(&[9; 32])).unwrap();
        let note = operator.sign_checkpoint(3, [7; 32]);
        let checkpoint = verify_checkpoint(&AWS_LC, &note, operator.verifier_key()).unwrap();
        assert_eq!((checkpoint.size, checkpoint.root), (3, [7; 32]));
        let other =
            Operator::new("registry.example/log", SigningKey::from_bytes(&[8; 32])).unwrap();
        assert!(verify_checkpoint(&AWS_LC, &note, other.verifier_key()).is_err());
    }

    /// The signing library signs exactly as the key's own library would.
    #[test]
    fn signatures_are_the_keys_own() {
        use ed25519_dalek::Signer as _;
        let key = SigningKey::from_bytes(&[5; 32]);
        let operator = Operator::new("registry.example/log", key.clone()).unwrap();
        let receipt = operator.sign_receipt(&RegistrationReceipt::default());
        let mut message = RECEIPT_CONTEXT.to_vec();
        message.extend_from_slice(&receipt.receipt);
        assert_eq!(receipt.signature, key.sign(&message).to_bytes());
    }

    /// A receipt verifies under the operator's key as verifier-lib checks it, and not once
    /// tampered, nor for another log.
    #[test]
    fn receipts_verify_as_counterparties_check_them() {
        use eproxy_verifier::Error;
        use eproxy_verifier::evidence::verify_receipt;
        let operator =
            Operator::new("registry.example/log", SigningKey::from_bytes(&[6; 32])).unwrap();
        let signed = operator.sign_receipt(&RegistrationReceipt {
            format_version: 1,
            log_origin: "registry.example/log".into(),
            delegation_id: vec![3; 32],
            log_index: 41,
            registered_at_unix_seconds: 1_775_001_600,
        });
        let key = operator.verifier_key();
        let receipt = verify_receipt(&AWS_LC, &signed, key, "registry.example/log").unwrap();
        assert_eq!(receipt.log_index, 41);
        assert_eq!(receipt.delegation_id.as_bytes(), &[3; 32]);
        assert_eq!(
            verify_receipt(&AWS_LC, &signed, key, "another.example/log"),
            Err(Error::ReceiptMismatch {
                field: "log_origin"
            })
        );
        let mut tampered = signed.clone();
        tampered.receipt[3] ^= 1;
        assert_eq!(
            verify_receipt(&AWS_LC, &tampered, key, "registry.example/log"),
            Err(Error::ReceiptSignatureInvalid)
        );
    }
}
