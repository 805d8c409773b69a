//! Deterministic keys, generated once per process: RSA, as today's JPKI cards and
//! commercial-registration certificates hold, and ECDSA P-384, as the next-generation My Number
//! card is reported to.
//!
//! A key is named by a seed and a label: the same pair always yields the same key, so a test PKI
//! minted twice is bit-for-bit identical, and a test that needs "the representative's key" in
//! two places gets it without passing it around. Generating a 2048-bit key takes a noticeable
//! fraction of a second even with optimised dependencies, so every key is kept in a process-wide
//! cache after its first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::PrivateKey;
use sha2::{Digest, Sha256};

use crate::Error;

/// The modulus size of every profile in this kit: JPKI and commercial-registration keys are
/// RSA-2048.
pub const DEFAULT_RSA_BITS: usize = 2048;

/// What identifies a key: the kit's seed, a label naming its holder, and its size (0 for the
/// ECDSA P-384 key of that name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyName {
    seed: String,
    label: String,
    bits: usize,
}

impl KeyName {
    /// The `bits`-bit RSA key called `label` under `seed`.
    pub fn new(seed: &str, label: &str, bits: usize) -> Self {
        Self {
            seed: seed.to_owned(),
            label: label.to_owned(),
            bits,
        }
    }

    /// The ECDSA P-384 key called `label` under `seed`.
    pub fn p384(seed: &str, label: &str) -> Self {
        Self::new(seed, label, 0)
    }

    /// Whether this names an ECDSA P-384 key.
    pub fn is_p384(&self) -> bool {
        self.bits == 0
    }

    /// The 32-byte ChaCha20 seed this key is generated from. Domain-separated and
    /// length-prefixed so that no two (seed, label, bits) triples share a stream.
    fn rng_seed(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(b"eproxy-testkit rsa key v1\0");
        for part in [self.seed.as_bytes(), self.label.as_bytes()] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        hash.update((self.bits as u64).to_be_bytes());
        hash.finalize().into()
    }
}

type KeyCache = Mutex<HashMap<KeyName, Arc<PrivateKey>>>;

/// The ECDSA P-384 key named `name` (see [`KeyName::p384`]): its private scalar drawn from the
/// name's stream, so the same name always gives the same key. (ECDSA signatures themselves
/// are randomised: what such a key signs differs from run to run.)
pub fn p384_key(name: &KeyName) -> Result<Arc<EcdsaKeyPair>, Error> {
    use rand_core::Rng as _;
    let mut scalar = [0u8; 48];
    ChaCha20Rng::from_seed(name.rng_seed()).fill_bytes(&mut scalar);
    // Below the group order (whose top octet is 0xff) and non-zero.
    scalar[0] = (scalar[0] & 0x7f) | 0x01;
    // RFC 5915 ECPrivateKey: version 1, the scalar, the curve secp384r1.
    let mut der = vec![0x30, 0x3e, 0x02, 0x01, 0x01, 0x04, 0x30];
    der.extend_from_slice(&scalar);
    der.extend_from_slice(&[0xa0, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]);
    let key = EcdsaKeyPair::from_private_key_der(&ECDSA_P384_SHA384_ASN1_SIGNING, &der)
        .map_err(|e| Error::KeyEncoding(format!("P-384 key: {e}")))?;
    Ok(Arc::new(key))
}

/// The RSA key named `name`, generated on first use and shared afterwards.
///
/// Generation happens outside the cache lock, so threads asking for different keys generate
/// them in parallel; two threads racing for the same key compute identical values and the
/// first stored one wins.
pub fn rsa_key(name: &KeyName) -> Result<Arc<PrivateKey>, Error> {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(key) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
    {
        return Ok(Arc::clone(key));
    }
    let mut rng = ChaCha20Rng::from_seed(name.rng_seed());
    let key = Arc::new(PrivateKey::new(&mut rng, name.bits).map_err(Error::KeyGeneration)?);
    let mut guard = cache.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(Arc::clone(guard.entry(name.clone()).or_insert(key)))
}
