//! RFC 3161 signature timestamps: tokens from the test kit's TSA and from `openssl ts`, and each
//! way a token can fail to fix the time.

use std::time::{SystemTime, UNIX_EPOCH};

use eproxy_policy::UnixTime;
use eproxy_testkit::cms::{CmsSigner, DigestChoice, SIGNATURE_TIME_STAMP_TOKEN, attribute};
use eproxy_testkit::crl::{CrlContents, issue_crl};
use eproxy_testkit::tsa::{TimestampRequest, timestamp_token};
use eproxy_testkit::{Credential, STANDARD_NOW, TestPki};
use eproxy_verifier::Error;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::crypto::RING;
use eproxy_verifier::timestamp::{VerifiedTimestamp, verify_timestamp};
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors};
use eproxy_verifier::verify_cert::{PathContext, RevocationPolicy};
use eproxy_verifier::verify_cms::verify_cms;

fn pki() -> &'static TestPki {
    TestPki::standard()
}

fn anchors() -> TrustAnchors {
    let mut anchors = TrustAnchors::new();
    anchors.add(TrustAnchor::new(AnchorRole::TimeStamping, pki().tsa_root.der().to_vec()).unwrap());
    anchors.add(
        TrustAnchor::new(
            AnchorRole::JpkiSigning,
            pki().jpki_signing_root.der().to_vec(),
        )
        .unwrap(),
    );
    anchors
}

/// Two hours before the reference time: the standard CRLs (issued an hour before) cover it.
fn stamp_time() -> UnixTime {
    UnixTime::from_seconds(STANDARD_NOW.seconds() - 7200)
}

fn verify_token(
    token: &[u8],
    stamped: &[u8],
    crls: &[Vec<u8>],
) -> Result<VerifiedTimestamp, Error> {
    let crls = Crl::parse_all(crls).unwrap();
    let anchors = anchors();
    let context = PathContext {
        provider: &RING,
        anchors: &anchors,
        crls: &crls.iter().collect::<Vec<_>>(),
        revocation: RevocationPolicy::Strict,
        // Replaced by genTime: a token is judged at the time it states.
        at: UnixTime::from_seconds(0),
        cache: None,
    };
    verify_timestamp(&context, token, stamped, &[])
}

fn standard_crls() -> Vec<Vec<u8>> {
    vec![
        pki().tsa_crl.der().to_vec(),
        pki().jpki_signing_crl.der().to_vec(),
    ]
}

fn token(tsa: &Credential, request: &TimestampRequest<'_>) -> Vec<u8> {
    timestamp_token(tsa, request).unwrap()
}

#[test]
fn a_contract_signature_carries_its_timestamp_and_the_token_fixes_t() {
    let mut contract = CmsSigner::new(&pki().employee, b"contract");
    let signature = contract.signature_value().unwrap();
    let stamp = token(&pki().tsa, &TimestampRequest::new(&signature, stamp_time()));
    contract.unsigned_attributes = vec![attribute(SIGNATURE_TIME_STAMP_TOKEN, &[stamp]).unwrap()];
    let cms = contract.sign().unwrap();

    let verified = verify_cms(&RING, &cms, None, &[]).unwrap();
    assert_eq!(verified.signature, signature.as_slice());
    let token = verified.timestamp_token.expect("token attached");
    let timestamp = verify_token(token, verified.signature, &standard_crls()).unwrap();
    assert_eq!(timestamp.gen_time, stamp_time());
    assert_eq!(timestamp.path.anchor_role, AnchorRole::TimeStamping);
    assert_eq!(timestamp.path.chain, vec![pki().tsa.der().to_vec()]);
}

#[test]
fn a_timestamp_over_other_data_is_refused() {
    let stamp = token(
        &pki().tsa,
        &TimestampRequest::new(b"some other signature", stamp_time()),
    );
    assert_eq!(
        verify_token(&stamp, b"this signature", &standard_crls()),
        Err(Error::TimestampImprintMismatch)
    );
}

#[test]
fn the_tsa_certificate_must_be_bound_and_fit_for_time_stamping() {
    let signature = b"signature value";
    let mut unbound = TimestampRequest::new(signature, stamp_time());
    unbound.bind_certificate = false;
    assert_eq!(
        verify_token(&token(&pki().tsa, &unbound), signature, &standard_crls()),
        Err(Error::TimestampSigningCertificate)
    );
    // An employee's certificate (a valid path, but not a TSA) cannot stamp time.
    let by_employee = token(
        &pki().employee,
        &TimestampRequest::new(signature, stamp_time()),
    );
    assert_eq!(
        verify_token(&by_employee, signature, &standard_crls()),
        Err(Error::TimeStampingUsage)
    );
}

#[test]
fn broken_imprint_digests_and_tampered_tokens_are_refused() {
    let signature = b"signature value";
    let mut sha1 = TimestampRequest::new(signature, stamp_time());
    sha1.imprint_digest = DigestChoice::Sha1;
    assert_eq!(
        verify_token(&token(&pki().tsa, &sha1), signature, &standard_crls()),
        Err(Error::WeakDigestAlgorithm { name: "SHA-1" })
    );

    // Move genTime forward a year inside the token: the TSTInfo no longer matches its digest.
    let stamp = token(&pki().tsa, &TimestampRequest::new(signature, stamp_time()));
    let gen_time = b"20260331220000Z";
    let at = stamp
        .windows(gen_time.len())
        .position(|w| w == gen_time)
        .expect("genTime in the token");
    let mut tampered = stamp.clone();
    tampered[at + 3] = b'7';
    assert_eq!(
        verify_token(&tampered, signature, &standard_crls()),
        Err(Error::MessageDigestMismatch)
    );

    let not_a_token = CmsSigner::new(&pki().tsa, b"not a TSTInfo").sign().unwrap();
    assert!(matches!(
        verify_token(&not_a_token, signature, &standard_crls()),
        Err(Error::TimestampNotTstInfo { .. })
    ));
}

#[test]
fn the_tsa_path_is_judged_at_gen_time() {
    let signature = b"signature value";
    let tsa = eproxy_verifier::certificate::Certificate::from_der(pki().tsa.der()).unwrap();
    let after_expiry = UnixTime::from_seconds(tsa.not_after().seconds() + 1);
    let late = token(&pki().tsa, &TimestampRequest::new(signature, after_expiry));
    assert_eq!(
        verify_token(&late, signature, &standard_crls()),
        Err(Error::CertificateExpired {
            not_after: tsa.not_after(),
            at: after_expiry
        })
    );
    // Without the TSA root's CRL the TSA's status at genTime is unknown.
    let stamp = token(&pki().tsa, &TimestampRequest::new(signature, stamp_time()));
    assert_eq!(
        verify_token(&stamp, signature, &[pki().jpki_signing_crl.der().to_vec()]),
        Err(Error::RevocationStatusUnknown)
    );
}

fn openssl(args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[test]
fn tokens_from_openssl_ts_verify_and_ours_verify_in_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("tsa.pem"), pki().tsa.certificate_pem().unwrap()).unwrap();
    std::fs::write(path("tsa.key"), pki().tsa.private_key_pem().unwrap()).unwrap();
    std::fs::write(path("root.pem"), pki().tsa_root.certificate_pem().unwrap()).unwrap();
    std::fs::write(path("serial"), "01\n").unwrap();
    std::fs::write(
        path("tsa.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = eproxy\n[ eproxy ]\nserial = {serial}\n\
             crypto_device = builtin\nsigner_cert = {cert}\nsigner_key = {key}\n\
             signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.55555.3161\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\n\
             clock_precision_digits = 3\nordering = no\ntsa_name = no\n\
             ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            serial = path("serial"),
            cert = path("tsa.pem"),
            key = path("tsa.key"),
        ),
    )
    .unwrap();
    let signature = CmsSigner::new(&pki().employee, b"contract")
        .signature_value()
        .unwrap();
    std::fs::write(path("signature.bin"), &signature).unwrap();

    let before = unix_now();
    for args in [
        vec![
            "ts",
            "-query",
            "-data",
            &path("signature.bin"),
            "-sha256",
            "-cert",
            "-no_nonce",
            "-out",
            &path("query.tsq"),
        ],
        vec![
            "ts",
            "-reply",
            "-config",
            &path("tsa.cnf"),
            "-queryfile",
            &path("query.tsq"),
            "-token_out",
            "-out",
            &path("token.der"),
        ],
    ] {
        let (ok, text) = openssl(&args);
        assert!(ok, "{args:?}: {text}");
    }
    let after = unix_now();
    let token = std::fs::read(path("token.der")).unwrap();
    // genTime is today's clock, long after the standard CRL: issue a CRL after it.
    let crl = issue_crl(
        &pki().tsa_root,
        &CrlContents {
            number: 2,
            this_update: UnixTime::from_seconds(after + 60),
            next_update: UnixTime::from_seconds(after + 86_400),
            revoked: Vec::new(),
        },
    )
    .unwrap();
    let timestamp = verify_token(&token, &signature, &[crl.der().to_vec()]).unwrap();
    assert!(
        (before..=after).contains(&timestamp.gen_time.seconds()),
        "genTime {} within [{before}, {after}] (fraction truncated)",
        timestamp.gen_time
    );
    assert_eq!(timestamp.policy.to_string(), "1.3.6.1.4.1.55555.3161");
    assert_eq!(
        verify_token(&token, b"other signature", &[crl.der().to_vec()]),
        Err(Error::TimestampImprintMismatch)
    );

    // The other way: OpenSSL checks a token the kit's TSA made.
    let ours = token_for_openssl(&signature);
    std::fs::write(path("ours.der"), ours).unwrap();
    let (ok, text) = openssl(&[
        "ts",
        "-verify",
        "-data",
        &path("signature.bin"),
        "-in",
        &path("ours.der"),
        "-token_in",
        "-CAfile",
        &path("root.pem"),
        "-untrusted",
        &path("tsa.pem"),
    ]);
    assert!(ok && text.contains("Verification: OK"), "{text}");
}

fn token_for_openssl(signature: &[u8]) -> Vec<u8> {
    // OpenSSL checks the TSA's certificate at today's time; the kit's TSA is valid until 2031.
    let now = UnixTime::from_seconds(unix_now());
    token(&pki().tsa, &TimestampRequest::new(signature, now))
}
