//! The ring provider.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use super::{BadSignature, SignatureScheme, SignatureVerifier};
use crate::digest::DigestAlgorithm::{Sha256, Sha384, Sha512};

/// Signature verification by ring.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ring;

/// The ring provider, for configurations that take a `&'static dyn SignatureVerifier`.
pub static RING: Ring = Ring;

impl SignatureVerifier for Ring {
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        let algorithm: &'static dyn VerificationAlgorithm = match scheme {
            SignatureScheme::RsaPkcs1(Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            SignatureScheme::RsaPkcs1(Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
            SignatureScheme::RsaPkcs1(Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
            SignatureScheme::RsaPss(Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
            SignatureScheme::RsaPss(Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
            SignatureScheme::RsaPss(Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
            SignatureScheme::EcdsaP256(Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
            SignatureScheme::EcdsaP256(Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
            SignatureScheme::EcdsaP384(Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
            SignatureScheme::EcdsaP384(Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
            // ring has no ECDSA with SHA-512 (and the algorithm policy never asks for it);
            // refusing is the safe reading.
            SignatureScheme::EcdsaP256(Sha512) | SignatureScheme::EcdsaP384(Sha512) => {
                return Err(BadSignature);
            }
            SignatureScheme::Ed25519 => &signature::ED25519,
        };
        UnparsedPublicKey::new(algorithm, public_key)
            .verify(message, signature)
            .map_err(|_| BadSignature)
    }
}
