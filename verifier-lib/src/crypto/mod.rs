//! Signature verification primitives behind one small trait, so that the provider can change
//! without touching the formats. Verification is the hot path of both the registry and every
//! counterparty: [`AWS_LC`] (aws-lc-rs, the default) verifies RSA-2048 within a few percent of
//! OpenSSL, [`RING`] about 30% slower, RustCrypto's `rsa` about three times slower (see
//! BENCHMARKS.md). RustCrypto stays for the formats.

mod aws_lc;
mod ring;

pub use self::aws_lc::{AWS_LC, AwsLc};
pub use self::ring::{RING, Ring};

use crate::digest::DigestAlgorithm;

/// A signature scheme with everything the primitive needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 (JPKI cards and commercial-registration keys).
    RsaPkcs1(DigestAlgorithm),
    /// RSASSA-PSS with MGF1 over the same digest and a salt as long as the digest.
    RsaPss(DigestAlgorithm),
    /// ECDSA over P-256, DER-encoded signature.
    EcdsaP256(DigestAlgorithm),
    /// ECDSA over P-384, DER-encoded signature.
    EcdsaP384(DigestAlgorithm),
    /// Ed25519 (pure).
    Ed25519,
}

/// Why a primitive refused a signature. Deliberately carries nothing: a primitive never explains
/// why a signature is wrong, and callers name the failure for what was being verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadSignature;

/// A provider of signature verification.
pub trait SignatureVerifier: Send + Sync + std::fmt::Debug {
    /// Checks `signature` over `message` with `public_key` (the subjectPublicKey bits: an
    /// RSAPublicKey DER, an uncompressed EC point, or a raw Ed25519 key) under `scheme`.
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature>;
}
