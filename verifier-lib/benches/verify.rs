//! Verification speed: the signature primitive next to RustCrypto's, and the full `verify` of a
//! contract cold (nothing remembered) and warm (a second contract by the same employee under the
//! same PoA and evidence). Results and the machine are recorded in BENCHMARKS.md.
//!
//! Run: `cargo bench -p eproxy-verifier --bench verify`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use eproxy_proto::v1::EvidenceBundle;
use eproxy_testkit::scenario::{self, DOCUMENT, Story, signed_at};
use eproxy_testkit::witness::TestWitness;
use eproxy_testkit::{STANDARD_NOW, TestPki};
use eproxy_verifier::crypto::{AWS_LC, BadSignature, RING, SignatureScheme, SignatureVerifier};
use eproxy_verifier::digest::DigestAlgorithm;
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors};
use eproxy_verifier::verify::{ContractInput, PoaSource, Verifier};
use eproxy_verifier::witness_policy::WitnessPolicy;
use prost::Message as _;
use rsa::signature::Verifier as _;

/// The default provider (aws-lc-rs), counting the checks by scheme and the time spent in them,
/// to report how many signatures one verification needs and what they cost in place.
#[derive(Debug)]
struct Counting {
    rsa: AtomicUsize,
    ed25519: AtomicUsize,
    nanoseconds: AtomicU64,
}

static COUNTING: Counting = Counting {
    rsa: AtomicUsize::new(0),
    ed25519: AtomicUsize::new(0),
    nanoseconds: AtomicU64::new(0),
};

impl SignatureVerifier for Counting {
    fn verify(
        &self,
        scheme: SignatureScheme,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        match scheme {
            SignatureScheme::Ed25519 => self.ed25519.fetch_add(1, Ordering::Relaxed),
            _ => self.rsa.fetch_add(1, Ordering::Relaxed),
        };
        let start = Instant::now();
        let result = AWS_LC.verify(scheme, public_key, message, signature);
        let spent = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanoseconds.fetch_add(spent, Ordering::Relaxed);
        result
    }
}

fn anchors() -> TrustAnchors {
    let pki = TestPki::standard();
    let mut anchors = TrustAnchors::new();
    for (role, root) in [
        (AnchorRole::JpkiSigning, &pki.jpki_signing_root),
        (
            AnchorRole::CommercialRegistration,
            &pki.commercial_registration_root,
        ),
        (AnchorRole::TimeStamping, &pki.tsa_root),
    ] {
        anchors.add(TrustAnchor::new(role, root.der().to_vec()).expect("anchor"));
    }
    anchors
}

fn primitives(c: &mut Criterion) {
    let pki = TestPki::standard();
    let message = b"32 bytes or so of signed attributes to verify".as_slice();
    let signature_bytes = pki
        .employee
        .sign_fast(&aws_lc_rs::signature::RSA_PKCS1_SHA256, message)
        .expect("a 2048-bit key");
    let certificate =
        eproxy_verifier::certificate::Certificate::from_der(pki.employee.der()).expect("cert");
    let public_key = certificate
        .spki()
        .subject_public_key
        .as_bytes()
        .expect("key bits")
        .to_vec();
    let scheme = SignatureScheme::RsaPkcs1(DigestAlgorithm::Sha256);
    assert!(
        RING.verify(scheme, &public_key, message, &signature_bytes)
            .is_ok()
    );

    assert!(
        AWS_LC
            .verify(scheme, &public_key, message, &signature_bytes)
            .is_ok()
    );
    c.bench_function("rsa2048_pkcs1_sha256_verify/aws_lc_rs", |b| {
        b.iter(|| {
            AWS_LC.verify(
                scheme,
                black_box(&public_key),
                black_box(message),
                &signature_bytes,
            )
        })
    });
    c.bench_function("rsa2048_pkcs1_sha256_verify/ring", |b| {
        b.iter(|| {
            RING.verify(
                scheme,
                black_box(&public_key),
                black_box(message),
                &signature_bytes,
            )
        })
    });
    let verifying_key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(
        pki.employee.private_key().expect("RSA").to_public_key(),
    );
    let signature =
        rsa::pkcs1v15::Signature::try_from(signature_bytes.as_slice()).expect("a signature");
    c.bench_function("rsa2048_pkcs1_sha256_verify/rustcrypto_rsa", |b| {
        b.iter(|| verifying_key.verify(black_box(message), &signature))
    });
}

fn verify_contract(c: &mut Criterion) {
    let story = Story::standard().expect("the standard story");
    let pki = TestPki::standard();
    let mut second_terms = scenario::terms(&story.poa);
    second_terms.amount_yen = 2_000_000;
    let second = scenario::contract(&pki.employee, &second_terms, Some(signed_at()))
        .expect("second contract");
    let crls = eproxy_verifier::crl::Crl::parse_all(&[
        pki.jpki_signing_crl.der(),
        pki.commercial_registration_crl.der(),
        pki.tsa_crl.der(),
    ])
    .unwrap();
    let crls: Vec<_> = crls.iter().collect();
    let key = story.registry.operator.verifier_key().clone();
    let with_crls = |contract| ContractInput {
        contract,
        document: Some(DOCUMENT),
        poa: PoaSource::Evidence {
            bundle: &story.bundle,
            operator_key: &key,
        },
        crls: &crls,
        certificates: &[],
        verification_time: STANDARD_NOW,
        expected_counterparty: Some(scenario::counterparty()),
    };

    // How many signature checks one cold verification makes.
    let counting = Verifier::new(anchors()).with_provider(&COUNTING);
    assert!(
        counting
            .verify_contract(&with_crls(&story.contract))
            .accepted()
    );
    let cold_rsa = COUNTING.rsa.swap(0, Ordering::Relaxed);
    let cold_ed25519 = COUNTING.ed25519.swap(0, Ordering::Relaxed);
    assert!(counting.verify_contract(&with_crls(&second)).accepted());
    eprintln!(
        "signature checks per contract: cold {cold_rsa} RSA + {cold_ed25519} Ed25519; warm \
         (second contract) {} RSA + {} Ed25519",
        COUNTING.rsa.load(Ordering::Relaxed),
        COUNTING.ed25519.load(Ordering::Relaxed)
    );

    // The same in place: over many cold verifications, the share of the time spent inside the
    // signature checks themselves (hashing the signed bytes and the public-key operation).
    const ROUNDS: u32 = 2_000;
    let mut total = Duration::ZERO;
    COUNTING.nanoseconds.store(0, Ordering::Relaxed);
    for _ in 0..ROUNDS {
        let verifier = Verifier::new(anchors()).with_provider(&COUNTING);
        let start = Instant::now();
        let verdict = verifier.verify_contract(&with_crls(&story.contract));
        total += start.elapsed();
        assert!(verdict.accepted());
    }
    let in_signatures = Duration::from_nanos(COUNTING.nanoseconds.load(Ordering::Relaxed));
    eprintln!(
        "cold verify_contract in place, mean of {ROUNDS}: {:.1} µs, of which signature checks \
         {:.1} µs: {:.3} × its signature checks",
        total.as_secs_f64() * 1e6 / f64::from(ROUNDS),
        in_signatures.as_secs_f64() * 1e6 / f64::from(ROUNDS),
        total.as_secs_f64() / in_signatures.as_secs_f64()
    );

    c.bench_function("verify_contract/cold", |b| {
        b.iter_batched(
            || Verifier::new(anchors()),
            |verifier| {
                let verdict = verifier.verify_contract(&with_crls(&story.contract));
                assert!(verdict.accepted());
            },
            BatchSize::SmallInput,
        )
    });
    // The same evidence with its checkpoint cosigned by three witnesses, checked by a
    // counterparty that requires two of them: the extra cost of the quorum.
    let witnesses: Vec<TestWitness> = (1..=3)
        .map(|i| TestWitness::new(&format!("witness.example/w{i}"), 60 + i))
        .collect();
    let mut cosigned = EvidenceBundle::decode(story.bundle.as_slice()).unwrap();
    let body = cosigned.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n";
    for witness in &witnesses {
        let line = witness.cosign(&body, STANDARD_NOW.seconds() as u64);
        cosigned.checkpoint.push_str(&line);
    }
    let cosigned = cosigned.encode_to_vec();
    let policy = format!(
        "witness W1 {}\nwitness W2 {}\nwitness W3 {}\ngroup G 2 W1 W2 W3\nquorum G\n",
        witnesses[0].key(),
        witnesses[1].key(),
        witnesses[2].key()
    );
    let policy = WitnessPolicy::parse(&policy).unwrap();
    let quorum_input = ContractInput {
        poa: PoaSource::Evidence {
            bundle: &cosigned,
            operator_key: &key,
        },
        ..with_crls(&story.contract)
    };
    c.bench_function("verify_contract/cold_2_of_3_witness_quorum", |b| {
        b.iter_batched(
            || Verifier::new(anchors()).with_witness_policy(policy.clone()),
            |verifier| {
                let verdict = verifier.verify_contract(&quorum_input);
                assert!(verdict.accepted());
            },
            BatchSize::SmallInput,
        )
    });
    c.bench_function("verify_contract/warm_second_contract", |b| {
        b.iter_batched(
            || {
                let verifier = Verifier::new(anchors());
                assert!(
                    verifier
                        .verify_contract(&with_crls(&story.contract))
                        .accepted()
                );
                verifier
            },
            |verifier| {
                let verdict = verifier.verify_contract(&with_crls(&second));
                assert!(verdict.accepted());
            },
            BatchSize::SmallInput,
        )
    });
}

fn ed25519(c: &mut Criterion) {
    // The operator's checkpoint signature, verified alone.
    let story = Story::standard().expect("the standard story");
    let key = story.registry.operator.verifier_key().clone();
    let note = story.registry.operator.checkpoint();
    c.bench_function("ed25519_verify/aws_lc_rs_checkpoint_note", |b| {
        b.iter(|| eproxy_verifier::note::verify_note(&AWS_LC, black_box(&note), &key).is_ok())
    });
}

/// The costs around the signatures: parsing what every verification parses.
fn parsing(c: &mut Criterion) {
    let pki = TestPki::standard();
    let story = Story::standard().expect("the standard story");
    c.bench_function("parse/certificate", |b| {
        b.iter(|| {
            eproxy_verifier::certificate::Certificate::from_der(black_box(pki.employee.der()))
        })
    });
    let crls = [
        pki.jpki_signing_crl.der(),
        pki.commercial_registration_crl.der(),
        pki.tsa_crl.der(),
    ];
    c.bench_function("parse/three_crls", |b| {
        b.iter(|| {
            crls.iter()
                .filter(|c| eproxy_verifier::crl::Crl::from_der(black_box(c)).is_ok())
                .count()
        })
    });
    c.bench_function("parse/contract_cms_signature_included", |b| {
        b.iter(|| {
            eproxy_verifier::verify_cms::verify_cms(&AWS_LC, black_box(&story.contract), None, &[])
                .is_ok()
        })
    });
}

criterion_group!(benches, primitives, ed25519, parsing, verify_contract);
criterion_main!(benches);
