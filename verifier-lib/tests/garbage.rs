//! Untrusted bytes of every kind the verifier parses: arbitrary bytes, every truncation and
//! single-byte corruptions of valid inputs are refused or parsed, never a panic.

use eproxy_testkit::TestPki;
use eproxy_testkit::scenario::Story;
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::evidence::verify_evidence;
use eproxy_verifier::timestamp::verify_timestamp;
use eproxy_verifier::trust_anchor::TrustAnchors;
use eproxy_verifier::verify_cert::{PathContext, RevocationPolicy};
use proptest::prelude::*;

/// Runs every parser on `bytes`; returns how many accepted them.
fn parse_all(bytes: &[u8]) -> usize {
    let story = story();
    let anchors = TrustAnchors::new();
    let context = PathContext {
        provider: &AWS_LC,
        anchors: &anchors,
        crls: &[],
        revocation: RevocationPolicy::Lenient,
        at: eproxy_testkit::STANDARD_NOW,
        cache: None,
    };
    [
        Certificate::from_der(bytes).is_ok(),
        Crl::from_der(bytes).is_ok(),
        verify_evidence(
            &AWS_LC,
            bytes,
            story.registry.operator.verifier_key(),
            eproxy_testkit::scenario::signed_at(),
        )
        .is_ok(),
        verify_timestamp(&context, bytes, b"signature", &[]).is_ok(),
    ]
    .into_iter()
    .filter(|ok| *ok)
    .count()
}

fn story() -> &'static Story {
    static STORY: std::sync::OnceLock<Story> = std::sync::OnceLock::new();
    STORY.get_or_init(|| Story::standard().unwrap())
}

/// Valid inputs of each kind.
fn samples() -> Vec<Vec<u8>> {
    let pki = TestPki::standard();
    vec![
        pki.representative.der().to_vec(),
        pki.jpki_signing_crl.der().to_vec(),
        story().bundle.clone(),
    ]
}

#[test]
fn every_truncation_of_valid_inputs_is_refused() {
    for sample in samples() {
        assert_eq!(
            parse_all(&sample),
            1,
            "exactly one parser accepts each sample"
        );
        for len in 0..sample.len() {
            assert_eq!(parse_all(&sample[..len]), 0, "prefix of {len}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        prop_assert_eq!(parse_all(&bytes), 0);
    }

    #[test]
    fn corrupted_inputs_never_panic(which in 0usize..3, index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut sample = samples().swap_remove(which);
        let at = index.index(sample.len());
        sample[at] = byte;
        // Accepted or refused, both fine (a byte outside any signature may change), but at most
        // one parser may accept and none may panic.
        prop_assert!(parse_all(&sample) <= 1);
    }
}
