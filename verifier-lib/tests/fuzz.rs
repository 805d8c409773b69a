//! Fuzzing the one call: `verify_contract` on the standard story with the contract, the PoA or
//! the evidence bundle mutated by a few random edits (eproxy_testkit::mutation), and every
//! certificate and CRL of the test PKI mutated through their parsers. Nothing may panic, and
//! whatever is still accepted must be the original facts: the same terms, signer, PoA chain and
//! grant. (Some bytes lie outside every signature, so a mutation may be harmless.)
//!
//! CI runs the default number of cases; `PROPTEST_CASES=100000 cargo test --release -p
//! eproxy-verifier --test fuzz` is the long form (FUZZING.md).

use eproxy_testkit::TestPki;
use eproxy_testkit::mutation::mutated;
use eproxy_testkit::scenario::{self, DOCUMENT, Story};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::verdict::Verdict;
use eproxy_verifier::verify::{ContractInput, PoaSource, Verifier};
use proptest::prelude::*;

fn story() -> &'static Story {
    static STORY: std::sync::OnceLock<Story> = std::sync::OnceLock::new();
    STORY.get_or_init(|| Story::standard().unwrap())
}

fn verify(contract: &[u8], poa: &[u8], bundle: &[u8]) -> Verdict {
    let pki = TestPki::standard();
    let crls = eproxy_verifier::crl::Crl::parse_all(&[
        pki.jpki_signing_crl.der(),
        pki.commercial_registration_crl.der(),
        pki.tsa_crl.der(),
    ])
    .unwrap();
    let crls: Vec<_> = crls.iter().collect();
    let poas = [poa];
    Verifier::new(pki.trust_anchors().unwrap()).verify_contract(&ContractInput {
        contract,
        document: Some(DOCUMENT),
        poa: if bundle.is_empty() {
            PoaSource::Unchecked(&poas)
        } else {
            PoaSource::Evidence {
                bundle,
                operator_key: story().registry.operator.verifier_key(),
            }
        },
        crls: &crls,
        certificates: &[],
        verification_time: eproxy_testkit::STANDARD_NOW,
        expected_counterparty: Some(scenario::counterparty()),
    })
}

/// The standard story's verdict, accepted.
fn original() -> &'static Verdict {
    static VERDICT: std::sync::OnceLock<Verdict> = std::sync::OnceLock::new();
    VERDICT.get_or_init(|| {
        let s = story();
        let verdict = verify(&s.contract, &s.poa, &s.bundle);
        assert!(verdict.accepted(), "{verdict:?}");
        verdict
    })
}

/// Every certificate and CRL of the test PKI.
fn pki_objects() -> Vec<Vec<u8>> {
    let pki = TestPki::standard();
    let mut objects: Vec<Vec<u8>> = [&pki.employee, &pki.representative, &pki.tsa]
        .iter()
        .map(|c| c.der().to_vec())
        .collect();
    objects.extend(
        [
            &pki.jpki_signing_crl,
            &pki.commercial_registration_crl,
            &pki.tsa_crl,
        ]
        .iter()
        .map(|c| c.der().to_vec()),
    );
    objects
}

proptest! {
    #[test]
    fn a_mutated_contract_poa_or_bundle_is_rejected_or_keeps_the_original_facts(
        (which, bytes) in mutated(vec![
            story().contract.clone(),
            story().poa.clone(),
            story().bundle.clone(),
        ])
    ) {
        let s = story();
        let verdict = match which {
            0 => verify(&bytes, &s.poa, &s.bundle),
            // A PoA supplied directly, without evidence.
            1 => verify(&s.contract, &bytes, &[]),
            _ => verify(&s.contract, &s.poa, &bytes),
        };
        if verdict.accepted() {
            let (got, want) = (&verdict.facts, &original().facts);
            prop_assert_eq!(&got.terms, &want.terms);
            prop_assert_eq!(&got.signer_certificate_sha256, &want.signer_certificate_sha256);
            prop_assert_eq!(&got.chain, &want.chain);
            prop_assert_eq!(&got.grant, &want.grant);
            prop_assert_eq!(&got.time, &want.time);
        } else {
            // Every rejection names its reasons.
            prop_assert!(!verdict.reasons.is_empty());
        }
    }

    #[test]
    fn mutated_certificates_and_crls_parse_or_are_refused_without_panic(
        (which, bytes) in mutated(pki_objects())
    ) {
        // Both parsers run on every input: a certificate must not pass as a CRL or the reverse.
        let certificate = Certificate::from_der(&bytes).is_ok();
        let crl = Crl::from_der(&bytes).is_ok();
        prop_assert!(!(certificate && crl));
        if which < 3 {
            prop_assert!(!crl);
        } else {
            prop_assert!(!certificate);
        }
    }
}
