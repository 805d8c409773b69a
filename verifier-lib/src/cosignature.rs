//! C2SP tlog-cosignature v1 (Ed25519): a witness's timestamped statement that, as of that
//! time, the checkpoint is the largest tree consistent with everything it has seen of that
//! log. A counterparty who requires cosignatures from witnesses it trusts cannot be shown a
//! tree the rest of the world is not shown (a split view) unless those witnesses collude.
//!
//! ```text
//! — <witness name> base64(key id ‖ u64 timestamp, big-endian ‖ Ed25519 signature)
//! signed: "cosignature/v1\ntime <timestamp>\n" ‖ the checkpoint's text
//! ```
//!
//! The key id is that of a type-0x04 verifier key (`note.rs`). The message does not name the
//! witness, so one key must never serve two witness names.

use base64ct::{Base64, Encoding};

use crate::Error;
use crate::crypto::{SignatureScheme, SignatureVerifier};
use crate::note::{KeyType, MAX_SIGNATURES, VerifierKey, note_error, split_note};

/// The largest timestamp a cosignature may carry: 2^63 − 1.
const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

/// The message a witness signs over the checkpoint text `body` at `timestamp`.
pub fn message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// The signature line of `key`'s cosignature `signature` made at `timestamp`.
pub fn cosignature_line(key: &VerifierKey, timestamp: u64, signature: &[u8; 64]) -> String {
    let mut blob = key.key_id().to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(signature);
    format!("\u{2014} {} {}\n", key.name(), Base64::encode_string(&blob))
}

/// The timestamp of `key`'s valid cosignature on `note` (a signed checkpoint). Lines by other
/// keys are ignored; a line by `key` whose signature does not verify is an error, and so is
/// no line by `key` at all.
pub fn verify_cosignature(
    provider: &dyn SignatureVerifier,
    note: &str,
    key: &VerifierKey,
) -> Result<u64, Error> {
    if key.key_type() != KeyType::Cosignature {
        return Err(note_error(
            "a log's key does not verify a witness's cosignature",
        ));
    }
    let (body, signatures) = split_note(note)?;
    let prefix = format!("\u{2014} {} ", key.name());
    let mut found = false;
    let named = signatures
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix));
    for encoded in named.take(MAX_SIGNATURES) {
        let Ok(blob) = Base64::decode_vec(encoded) else {
            continue;
        };
        if blob.len() != 4 + 8 + 64 || blob[..4] != key.key_id() {
            continue;
        }
        found = true;
        let mut timestamp = [0; 8];
        timestamp.copy_from_slice(&blob[4..12]);
        let timestamp = u64::from_be_bytes(timestamp);
        if timestamp > MAX_TIMESTAMP {
            continue;
        }
        let signed = message(body, timestamp);
        let verified = provider.verify(
            SignatureScheme::Ed25519,
            key.public_key(),
            signed.as_bytes(),
            &blob[12..],
        );
        if verified.is_ok() {
            return Ok(timestamp);
        }
    }
    Err(match found {
        true => Error::CosignatureInvalid {
            witness: key.name().to_owned(),
        },
        false => Error::CosignatureMissing {
            witness: key.name().to_owned(),
        },
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use ed25519_dalek::{Signer as _, SigningKey};

    use super::*;
    use crate::crypto::AWS_LC;
    use crate::note::{Checkpoint, verify_note};

    /// A witness's signing key and its verifier key (type 0x04), from `seed`.
    pub(crate) fn witness(name: &str, seed: u8) -> (SigningKey, VerifierKey) {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let key = VerifierKey::of_type(
            name,
            KeyType::Cosignature,
            signing.verifying_key().to_bytes(),
        )
        .unwrap();
        (signing, key)
    }

    fn checkpoint() -> String {
        Checkpoint {
            origin: "registry.example/log".into(),
            size: 20_852_163,
            root: [7; 32],
        }
        .body()
    }

    fn cosign(body: &str, signing: &SigningKey, key: &VerifierKey, timestamp: u64) -> String {
        let signature = signing.sign(message(body, timestamp).as_bytes()).to_bytes();
        cosignature_line(key, timestamp, &signature)
    }

    /// The message is the specification's: two lines, then the checkpoint's text whole.
    #[test]
    fn the_signed_message_is_the_specifications() {
        assert_eq!(
            message(
                "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
                1_679_315_147
            ),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn a_cosignature_verifies_under_its_key_and_nothing_else() {
        let (signing, key) = witness("witness.example/w1", 3);
        let body = checkpoint();
        let note = format!("{body}\n{}", cosign(&body, &signing, &key, 1_765_000_000));
        assert_eq!(verify_cosignature(&AWS_LC, &note, &key), Ok(1_765_000_000));
        // The key as written and read back is the same key, of type 0x04.
        let text = key.to_string();
        assert!(text.starts_with("witness.example/w1+"), "{text}");
        assert_eq!(VerifierKey::parse(&text).unwrap(), key);
        // Another witness's key finds no cosignature of its own.
        let (_, other) = witness("witness.example/w2", 4);
        assert_eq!(
            verify_cosignature(&AWS_LC, &note, &other),
            Err(Error::CosignatureMissing {
                witness: "witness.example/w2".into()
            })
        );
        // The same key bytes as a log's key (type 0x01): a different key id, and refused.
        let as_log = VerifierKey::new("witness.example/w1", *key.public_key()).unwrap();
        assert_ne!(as_log.key_id(), key.key_id());
        assert!(verify_cosignature(&AWS_LC, &note, &as_log).is_err());
        assert!(verify_note(&AWS_LC, &note, &key).is_err());
    }

    /// A cosignature over another checkpoint, another time or with a bit flipped is invalid,
    /// never taken for valid.
    #[test]
    fn an_altered_cosignature_is_invalid() {
        let (signing, key) = witness("witness.example/w1", 3);
        let body = checkpoint();
        let line = cosign(&body, &signing, &key, 1_765_000_000);
        let invalid = Err(Error::CosignatureInvalid {
            witness: "witness.example/w1".into(),
        });
        let other_body = body.replace("20852163", "20852164");
        assert_eq!(
            verify_cosignature(&AWS_LC, &format!("{other_body}\n{line}"), &key),
            invalid
        );
        let encoded = line.trim_end().rsplit(' ').next().unwrap();
        let mut blob = Base64::decode_vec(encoded).unwrap();
        for at in [4 + 7, 12 + 5] {
            let mut altered = blob.clone();
            altered[at] ^= 1;
            let altered_line = format!(
                "\u{2014} witness.example/w1 {}\n",
                Base64::encode_string(&altered)
            );
            assert_eq!(
                verify_cosignature(&AWS_LC, &format!("{body}\n{altered_line}"), &key),
                invalid,
                "byte {at}"
            );
        }
        // A timestamp beyond 2^63 − 1 is not a cosignature, whatever it signs.
        blob[4] = 0x80;
        let beyond = format!(
            "\u{2014} witness.example/w1 {}\n",
            Base64::encode_string(&blob)
        );
        assert_eq!(
            verify_cosignature(&AWS_LC, &format!("{body}\n{beyond}"), &key),
            invalid
        );
    }

    /// The signed-note specification's example verifies under its key, and its key parses.
    #[test]
    fn the_signed_note_specifications_example_verifies() {
        let key = VerifierKey::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        assert_eq!(key.key_type(), KeyType::Ed25519);
        let note = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\
                    \n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert_eq!(
            verify_note(&AWS_LC, note, &key).unwrap(),
            "If you think cryptography is the answer to your problem,\n\
             then you don't know what your problem is.\n"
        );
    }
}
