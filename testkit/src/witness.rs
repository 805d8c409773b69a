//! A test witness: a cosigning key (C2SP tlog-cosignature v1, type 0x04) that cosigns any
//! checkpoint it is given, as a real witness would once satisfied of its consistency.

use ed25519_dalek::{Signer as _, SigningKey};
use eproxy_verifier::cosignature::{cosignature_line, message};
use eproxy_verifier::note::{KeyType, VerifierKey};

/// A witness's signing key and verifier key.
#[derive(Debug)]
pub struct TestWitness {
    signing: SigningKey,
    key: VerifierKey,
}

impl TestWitness {
    /// The witness `name` with the key derived from `seed`.
    pub fn new(name: &str, seed: u8) -> Self {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let key = VerifierKey::of_type(
            name,
            KeyType::Cosignature,
            signing.verifying_key().to_bytes(),
        )
        .expect("a witness name without spaces or '+'");
        Self { signing, key }
    }

    /// Its verifier key, as a policy names it.
    pub fn key(&self) -> &VerifierKey {
        &self.key
    }

    /// Its cosignature line for the checkpoint text `body` at `timestamp`.
    pub fn cosign(&self, body: &str, timestamp: u64) -> String {
        let signature = self.signing.sign(message(body, timestamp).as_bytes());
        cosignature_line(&self.key, timestamp, &signature.to_bytes())
    }
}
