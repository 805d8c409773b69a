//! A private key held in memory (read from a PEM or PKCS#12 file): RSA, signing with RustCrypto
//! RSA, or ECDSA P-384 (the next-generation My Number card's key, exported for testing or held
//! in software), signing with aws-lc-rs.

use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use const_oid::db::rfc5912::RSA_ENCRYPTION;
use eproxy_verifier::certificate::Certificate;
use rsa::pkcs1v15::SigningKey as Pkcs1v15Key;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;
use signature::{SignatureEncoding as _, Signer as _};

use crate::error::CliError;
use crate::key::{SignatureAlgorithm, SigningKey};

/// A software key and its certificate, checked to belong together.
pub struct SoftwareKey {
    key: Key,
    certificate: Certificate,
    chain: Vec<Certificate>,
}

enum Key {
    Rsa(Box<Pkcs1v15Key<Sha256>>),
    P384(EcdsaKeyPair),
}

impl SoftwareKey {
    /// Pairs the RSA `key` with `certificate`, refusing a key that is not the certificate's: a
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
            return Err(not_the_certificates(source));
        }
        Ok(Self {
            key: Key::Rsa(Box::new(Pkcs1v15Key::new(key))),
            certificate,
            chain,
        })
    }

    /// Pairs the key in `pkcs8` (an unencrypted PrivateKeyInfo, RSA or ECDSA P-384) with
    /// `certificate`, refusing a key that is not the certificate's.
    pub fn from_pkcs8(
        pkcs8: &[u8],
        certificate: Certificate,
        chain: Vec<Certificate>,
        source: &str,
    ) -> Result<Self, CliError> {
        let unreadable = |e: &dyn std::fmt::Display| {
            CliError::new(format!("{source}: cannot read the private key: {e}"))
        };
        let info = rsa::pkcs8::PrivateKeyInfoRef::try_from(pkcs8).map_err(|e| unreadable(&e))?;
        if info.algorithm.oid == RSA_ENCRYPTION {
            let key = PrivateKey::from_pkcs8_der(pkcs8).map_err(|e| unreadable(&e))?;
            return Self::new(key, certificate, chain, source);
        }
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8).map_err(|_| {
                CliError::new(format!(
                    "{source}: the private key is neither RSA nor ECDSA P-384"
                ))
            })?;
        if SignatureAlgorithm::of(&certificate)? != SignatureAlgorithm::EcdsaP384Sha384
            || certificate.spki().subject_public_key.raw_bytes() != key.public_key().as_ref()
        {
            return Err(not_the_certificates(source));
        }
        Ok(Self {
            key: Key::P384(key),
            certificate,
            chain,
        })
    }
}

fn not_the_certificates(source: &str) -> CliError {
    CliError::new(format!(
        "{source}: the private key does not belong to the certificate"
    ))
    .fix("name the certificate issued for this key")
}

impl SigningKey for SoftwareKey {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self.key {
            Key::Rsa(_) => SignatureAlgorithm::RsaPkcs1Sha256,
            Key::P384(_) => SignatureAlgorithm::EcdsaP384Sha384,
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CliError> {
        let failed =
            |e: &dyn std::fmt::Display| CliError::new(format!("the key could not sign: {e}"));
        match &self.key {
            Key::Rsa(key) => key
                .try_sign(message)
                .map(|s| s.to_vec())
                .map_err(|e| failed(&e)),
            Key::P384(key) => key
                .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| failed(&e)),
        }
    }
}
