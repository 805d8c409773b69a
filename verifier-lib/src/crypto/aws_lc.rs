//! The aws-lc-rs provider: AWS-LC's verification, within a few percent of OpenSSL's speed.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use super::{BadSignature, SignatureScheme, SignatureVerifier};
use crate::digest::DigestAlgorithm::{Sha256, Sha384, Sha512};

/// Signature verification by aws-lc-rs.
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLc;

/// The aws-lc-rs provider, for configurations that take a `&'static dyn SignatureVerifier`.
pub static AWS_LC: AwsLc = AwsLc;

impl SignatureVerifier for AwsLc {
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
            SignatureScheme::EcdsaP256(Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
            SignatureScheme::EcdsaP384(Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
            SignatureScheme::EcdsaP384(Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
            SignatureScheme::EcdsaP384(Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
            SignatureScheme::Ed25519 => &signature::ED25519,
        };
        UnparsedPublicKey::new(algorithm, public_key)
            .verify(message, signature)
            .map_err(|_| BadSignature)
    }
}
