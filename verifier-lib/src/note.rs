//! C2SP signed notes and tlog-checkpoints: the operator's signed statement of its log's size and
//! root, in the text format transparency-log tooling shares.
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root hash>\n     the checkpoint (the note's text)
//! \n                                             a blank line
//! — <key name> <base64(key id ‖ signature)>\n    one line per signature
//! ```
//!
//! The key id is the first four bytes of SHA-256(key name ‖ 0x0A ‖ type ‖ Ed25519 public key); a
//! verifier key is written `<name>+<key id, 8 hex digits>+<base64(type ‖ public key)>`, the type
//! 0x01 for a log's signatures and 0x04 for a witness's cosignatures (`cosignature.rs`).

use std::fmt;

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::crypto::{SignatureScheme, SignatureVerifier};
use crate::merkle::{Hash, base64_hash};
use crate::verification_cache::{Signer, VerificationCache};

/// The largest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 16 * 1024;
/// The most signature lines read from one note.
pub(crate) const MAX_SIGNATURES: usize = 64;
/// What a verifier key verifies: its signature-type byte in the key and its key id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// 0x01: Ed25519 signatures over a note's text, as a log signs its checkpoints.
    Ed25519,
    /// 0x04: Ed25519 timestamped cosignatures (C2SP tlog-cosignature v1), as a witness signs.
    Cosignature,
}

impl KeyType {
    fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }
}

/// An Ed25519 note verifier key: whose key, of which type, and the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_type: KeyType,
    key_id: [u8; 4],
    public_key: [u8; 32],
}

impl VerifierKey {
    /// The verifier key of a log (type 0x01) for `public_key` under `name` (a name without
    /// spaces, `+` or newlines).
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<Self, Error> {
        Self::of_type(name, KeyType::Ed25519, public_key)
    }

    /// The verifier key of `key_type` for `public_key` under `name`.
    pub fn of_type(name: &str, key_type: KeyType, public_key: [u8; 32]) -> Result<Self, Error> {
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '+') {
            return Err(note_error(
                "key name must be non-empty without spaces or '+'",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_type,
            key_id: key_id(name, key_type, &public_key),
            public_key,
        })
    }

    /// Parses `<name>+<key id hex>+<base64(type ‖ public key)>`, type 0x01 or 0x04, checking
    /// the key id.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut parts = text.trim_end_matches('\n').splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(note_error("verifier key is not name+id+key"));
        };
        let encoded = Base64::decode_vec(key_b64).map_err(|_| note_error("verifier key base64"))?;
        let (key_type, rest) = match encoded.as_slice() {
            [0x01, rest @ ..] => (KeyType::Ed25519, rest),
            [0x04, rest @ ..] => (KeyType::Cosignature, rest),
            _ => return Err(note_error("verifier key is not Ed25519 (0x01 or 0x04)")),
        };
        let public_key: [u8; 32] = rest
            .try_into()
            .map_err(|_| note_error("verifier key length"))?;
        let key = Self::of_type(name, key_type, public_key)?;
        if id_hex.len() != 8 || !id_hex.eq_ignore_ascii_case(&hex_lower(&key.key_id)) {
            return Err(note_error("verifier key id does not match its key"));
        }
        Ok(key)
    }

    /// What the key verifies.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The key id: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key).
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The signature line for `signature` by this key over a note's text.
    pub fn signature_line(&self, signature: &[u8; 64]) -> String {
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(signature);
        format!("\u{2014} {} {}\n", self.name, Base64::encode_string(&blob))
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut blob = vec![self.key_type.byte()];
        blob.extend_from_slice(&self.public_key);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex_lower(&self.key_id),
            Base64::encode_string(&blob)
        )
    }
}

fn key_id(name: &str, key_type: KeyType, public_key: &[u8; 32]) -> [u8; 4] {
    let hash = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', key_type.byte()])
        .chain_update(public_key)
        .finalize();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// `text` as a number if it is an ASCII decimal below 2^64 without leading zeroes (`0` alone
/// for zero), the one spelling C2SP's formats allow for sizes and indexes.
pub(crate) fn canonical_decimal(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// `bytes` in lower-case hexadecimal.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A note's text (ending in its newline) and its signature lines.
pub(crate) fn split_note(note: &str) -> Result<(&str, &str), Error> {
    if note.len() > MAX_NOTE_BYTES {
        return Err(note_error("note too large"));
    }
    let split = note
        .find("\n\n")
        .ok_or_else(|| note_error("no blank line before the signatures"))?;
    let (body, signatures) = (&note[..=split], &note[split + 2..]);
    if !signatures.ends_with('\n') {
        return Err(note_error("signature lines must end in a newline"));
    }
    Ok((body, signatures))
}

pub(crate) fn note_error(detail: &str) -> Error {
    Error::CheckpointMalformed {
        detail: detail.to_owned(),
    }
}

/// A log checkpoint: the log's name, its size, its root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The origin line, naming the log.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The Merkle root of those leaves.
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint's text: the note body to sign.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        )
    }

    /// Parses a checkpoint body (extension lines after the root are allowed and ignored). The
    /// body is not authenticated by this: see [`verify_checkpoint`].
    pub fn parse(body: &str) -> Result<Self, Error> {
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(note_error("checkpoint needs origin, size and root lines"));
        };
        if origin.is_empty() {
            return Err(note_error("empty origin"));
        }
        let size = canonical_decimal(size)
            .ok_or_else(|| note_error("tree size is not a canonical decimal below 2^64"))?;
        let root = base64_hash(root).ok_or_else(|| note_error("root is not 32 bytes of base64"))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// Verifies `note` (a signed checkpoint) with `key` and returns the checkpoint.
pub fn verify_checkpoint(
    provider: &dyn SignatureVerifier,
    note: &str,
    key: &VerifierKey,
) -> Result<Checkpoint, Error> {
    verify_checkpoint_with(provider, None, note, key)
}

/// [`verify_checkpoint`], remembering a verified note in `cache`.
pub(crate) fn verify_checkpoint_with(
    provider: &dyn SignatureVerifier,
    cache: Option<&VerificationCache>,
    note: &str,
    key: &VerifierKey,
) -> Result<Checkpoint, Error> {
    let body = match cache {
        Some(cache) => {
            let mut body = None;
            let digest: [u8; 32] = Sha256::digest(note.as_bytes()).into();
            cache.check_signature(&digest, Signer::PublicKey(key.public_key()), || {
                body = Some(verify_note(provider, note, key)?);
                Ok(())
            })?;
            // A remembered note was verified before: its body is the text before the blank line.
            match body {
                Some(body) => body,
                None => split_note(note)?.0,
            }
        }
        None => verify_note(provider, note, key)?,
    };
    let checkpoint = Checkpoint::parse(body)?;
    if checkpoint.origin != key.name() {
        return Err(Error::CheckpointOriginMismatch {
            origin: checkpoint.origin,
            key: key.name().to_owned(),
        });
    }
    Ok(checkpoint)
}

/// Verifies a signed note with `key` and returns its text (ending in a newline). Signatures by
/// other keys are ignored; one valid signature by `key` is required.
pub fn verify_note<'n>(
    provider: &dyn SignatureVerifier,
    note: &'n str,
    key: &VerifierKey,
) -> Result<&'n str, Error> {
    if key.key_type != KeyType::Ed25519 {
        return Err(note_error(
            "a cosigner's key does not verify a log's signature",
        ));
    }
    let (body, signatures) = split_note(note)?;
    let prefix = format!("\u{2014} {} ", key.name);
    let mut found = false;
    // Lines by other keys are skipped whatever they hold; at most MAX_SIGNATURES of the key's
    // name are tried.
    let named = signatures
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix));
    for encoded in named.take(MAX_SIGNATURES) {
        let Ok(blob) = Base64::decode_vec(encoded) else {
            continue;
        };
        if blob.len() != 4 + 64 || blob[..4] != key.key_id {
            continue;
        }
        found = true;
        if provider
            .verify(
                SignatureScheme::Ed25519,
                &key.public_key,
                body.as_bytes(),
                &blob[4..],
            )
            .is_ok()
        {
            return Ok(body);
        }
    }
    Err(if found {
        Error::CheckpointSignatureInvalid
    } else {
        Error::CheckpointSignatureMissing
    })
}
