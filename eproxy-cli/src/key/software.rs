//! A private key held in memory (read from a PEM or PKCS#12 file), signing with RustCrypto RSA.

use eproxy_verifier::certificate::Certificate;
use rsa::pkcs1v15::SigningKey as Pkcs1v15Key;
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;
use signature::{SignatureEncoding as _, Signer as _};

use crate::error::CliError;
use crate::key::SigningKey;

/// A software key and its certificate, checked to belong together.
pub struct SoftwareKey {
    key: Pkcs1v15Key<Sha256>,
    certificate: Certificate,
    chain: Vec<Certificate>,
}

impl SoftwareKey {
    /// Pairs `key` with `certificate`, refusing a key that is not the certificate's: a
    /// signature by the wrong key would only be discovered by whoever verifies it.
    pub fn new(
        key: PrivateKey,
        certificate: Certificate,
        chain: Vec<Certificate>,
        source: &str,
    ) -> Result<Self, CliError> {
        let certified = PublicKey::try_from(certificate.spki()).map_err(|_| {
            CliError::new(format!("{source}: the certificate's key is not an RSA key"))
        })?;
        if certified != PublicKey::from(&key) {
            return Err(CliError::new(format!(
                "{source}: the private key does not belong to the certificate"
            ))
            .fix("name the certificate issued for this key"));
        }
        Ok(Self {
            key: Pkcs1v15Key::new(key),
            certificate,
            chain,
        })
    }
}

impl SigningKey for SoftwareKey {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CliError> {
        self.key
            .try_sign(message)
            .map(|s| s.to_vec())
            .map_err(|e| CliError::new(format!("the key could not sign: {e}")))
    }
}
