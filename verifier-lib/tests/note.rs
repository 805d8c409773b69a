//! Signed notes against the published vectors of the Go reference implementation
//! (golang.org/x/mod/sumdb/note) and the C2SP specification, then checkpoints and each way a
//! signed checkpoint can be wrong.

use eproxy_verifier::Error;
use eproxy_verifier::crypto::RING;
use eproxy_verifier::merkle::{leaf_hash, root};
use eproxy_verifier::note::{Checkpoint, VerifierKey, verify_checkpoint, verify_note};

const PETER_KEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
    then you don't know what your problem is.\n\
    \n\
    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const SPEC_KEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo \
    Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

#[test]
fn published_notes_verify_and_keys_round_trip() {
    for (key, note, text) in [
        (
            PETER_KEY,
            PETER_NOTE,
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
        ),
        (SPEC_KEY, SPEC_NOTE, "This is an example message.\n"),
    ] {
        let parsed = VerifierKey::parse(key).unwrap();
        assert_eq!(parsed.to_string(), key, "Display gives the key back");
        assert_eq!(verify_note(&RING, note, &parsed), Ok(text));
    }
}

#[test]
fn keys_with_a_wrong_id_or_type_are_refused() {
    for bad in [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpczZBxQ8OExB6DDFvOEqqIF+xWSaqv8sMTiLNbLXRM",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "",
    ] {
        assert!(
            matches!(
                VerifierKey::parse(bad),
                Err(Error::CheckpointMalformed { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_note_must_carry_a_valid_signature_by_the_pinned_key() {
    let peter = VerifierKey::parse(PETER_KEY).unwrap();
    let spec = VerifierKey::parse(SPEC_KEY).unwrap();
    assert_eq!(
        verify_note(&RING, SPEC_NOTE, &peter),
        Err(Error::CheckpointSignatureMissing)
    );
    let tampered = PETER_NOTE.replace("cryptography", "Cryptography");
    assert_eq!(
        verify_note(&RING, &tampered, &peter),
        Err(Error::CheckpointSignatureInvalid)
    );
    // A signature line by the right name, with another key's id, is someone else's.
    let borrowed = PETER_NOTE.replace("PeterNeumann x08go", "PeterNeumann Uw2QOkn8");
    assert!(verify_note(&RING, &borrowed, &peter).is_err());
    assert!(verify_note(&RING, "no blank line\n", &spec).is_err());
    let huge = "a".repeat(eproxy_verifier::note::MAX_NOTE_BYTES + 1);
    assert!(matches!(
        verify_note(&RING, &huge, &spec),
        Err(Error::CheckpointMalformed { .. })
    ));
}

#[test]
fn checkpoint_bodies_are_strict() {
    let checkpoint = Checkpoint {
        origin: "eproxy.example/log".into(),
        size: 3,
        root: root(&[leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")]),
    };
    let body = checkpoint.body();
    assert!(body.starts_with("eproxy.example/log\n3\n"));
    assert!(body.ends_with("=\n"));
    // The parser behind verify_checkpoint is reached only through a valid signature, so
    // malformed bodies are exercised with the spec key's signature failing first: a body that
    // is not a checkpoint cannot be signed by a key we hold. The Go vector's text, validly
    // signed, is a note but not a checkpoint:
    let peter = VerifierKey::parse(PETER_KEY).unwrap();
    assert!(matches!(
        verify_checkpoint(&RING, PETER_NOTE, &peter),
        Err(Error::CheckpointMalformed { .. })
    ));
}

#[test]
fn a_checkpoint_of_another_log_signed_with_the_same_key_is_refused() {
    let operator =
        eproxy_testkit::operator::TestOperator::new("note tests", "registry.eproxy.test/log")
            .unwrap();
    let elsewhere = Checkpoint {
        origin: "another.registry.example/log".into(),
        size: 1,
        root: root(&[leaf_hash(b"a")]),
    };
    let note = operator.sign_note(&elsewhere.body());
    assert_eq!(
        verify_checkpoint(&RING, &note, operator.verifier_key()),
        Err(Error::CheckpointOriginMismatch {
            origin: "another.registry.example/log".into(),
            key: "registry.eproxy.test/log".into(),
        })
    );
    // Its own log's checkpoint verifies.
    let own = Checkpoint {
        origin: "registry.eproxy.test/log".into(),
        ..elsewhere
    };
    let note = operator.sign_note(&own.body());
    assert_eq!(
        verify_checkpoint(&RING, &note, operator.verifier_key()),
        Ok(own)
    );
}
