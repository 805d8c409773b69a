//! Certificate paths built from the test PKI: every rule, each failure with its own reason.

use eproxy_policy::{UnixTime, Validity};
use eproxy_testkit::crl::{CrlContents, issue_crl};
use eproxy_testkit::extensions::{ca_constraints, extension, key_usage};
use eproxy_testkit::keys::KeyName;
use eproxy_testkit::names::{COMMON_NAME, NameBuilder, ORGANIZATION};
use eproxy_testkit::{CertificateTemplate, Credential, Issuer, STANDARD_NOW, TestPki, issue};
use eproxy_verifier::Error;
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::crypto::RING;
use eproxy_verifier::trust_anchor::{AnchorRole, SignerRole, TrustAnchor, TrustAnchors};
use eproxy_verifier::verify_cert::{PathContext, RevocationPolicy, VerifiedPath, verify_path};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};

const DAY: i64 = 86_400;

fn pki() -> &'static TestPki {
    TestPki::standard()
}

fn at(offset: i64) -> UnixTime {
    UnixTime::from_seconds(STANDARD_NOW.seconds() + offset)
}

/// Every root of the cast, the previous signing generation first so that choosing by name alone
/// would pick the wrong one.
fn all_anchors() -> TrustAnchors {
    let pki = pki();
    let mut anchors = TrustAnchors::new();
    for (role, root) in [
        (AnchorRole::JpkiSigning, &pki.jpki_signing_root_previous),
        (AnchorRole::JpkiSigning, &pki.jpki_signing_root),
        (
            AnchorRole::JpkiAuthentication,
            &pki.jpki_authentication_root,
        ),
        (
            AnchorRole::CommercialRegistration,
            &pki.commercial_registration_root,
        ),
        (AnchorRole::TimeStamping, &pki.tsa_root),
    ] {
        anchors.add(TrustAnchor::new(role, root.der().to_vec()).unwrap());
    }
    anchors
}

fn standard_crls() -> Vec<Vec<u8>> {
    vec![
        pki().jpki_signing_crl.der().to_vec(),
        pki().commercial_registration_crl.der().to_vec(),
        pki().tsa_crl.der().to_vec(),
    ]
}

/// Validates `leaf` through `intermediates` with `crls` at `time`.
fn check(
    anchors: &TrustAnchors,
    crls: &[Vec<u8>],
    policy: RevocationPolicy,
    time: UnixTime,
    leaf: &Credential,
    intermediates: &[&Credential],
    signer: SignerRole,
) -> Result<VerifiedPath, Error> {
    let crls = Crl::parse_all(crls).unwrap();
    let intermediates: Vec<Certificate> = intermediates
        .iter()
        .map(|c| Certificate::from_der(c.der()).unwrap())
        .collect();
    let context = PathContext {
        provider: &RING,
        anchors,
        crls: &crls.iter().collect::<Vec<_>>(),
        revocation: policy,
        at: time,
        cache: None,
    };
    verify_path(
        &context,
        &Certificate::from_der(leaf.der()).unwrap(),
        &intermediates,
        signer,
    )
}

/// The usual case: all anchors, the standard CRLs, strict, at the reference time.
fn standard(leaf: &Credential, signer: SignerRole) -> Result<VerifiedPath, Error> {
    check(
        &all_anchors(),
        &standard_crls(),
        RevocationPolicy::Strict,
        STANDARD_NOW,
        leaf,
        &[],
        signer,
    )
}

#[test]
fn employee_chains_to_the_signing_root_that_holds_the_key() {
    let path = standard(&pki().employee, SignerRole::Employee).unwrap();
    assert_eq!(path.anchor_role, AnchorRole::JpkiSigning);
    assert_eq!(path.anchor_der, pki().jpki_signing_root.der());
    assert_eq!(path.chain, vec![pki().employee.der().to_vec()]);
    assert_eq!(path.revocation_unknown, 0);
}

#[test]
fn same_name_root_with_another_key_is_not_an_issuer() {
    let mut previous_only = TrustAnchors::new();
    previous_only.add(
        TrustAnchor::new(
            AnchorRole::JpkiSigning,
            pki().jpki_signing_root_previous.der().to_vec(),
        )
        .unwrap(),
    );
    let result = check(
        &previous_only,
        &standard_crls(),
        RevocationPolicy::Strict,
        STANDARD_NOW,
        &pki().employee,
        &[],
        SignerRole::Employee,
    );
    assert_eq!(result, Err(Error::InvalidCertificateSignature));
    let none = check(
        &TrustAnchors::new(),
        &[],
        RevocationPolicy::Lenient,
        STANDARD_NOW,
        &pki().employee,
        &[],
        SignerRole::Employee,
    );
    assert_eq!(none, Err(Error::UnknownIssuer));
}

#[test]
fn validity_is_checked_at_the_validation_time_inclusive() {
    let employee = Certificate::from_der(pki().employee.der()).unwrap();
    let (not_before, not_after) = (employee.not_before(), employee.not_after());
    let at_time = |t| {
        check(
            &all_anchors(),
            &[],
            RevocationPolicy::Lenient,
            t,
            &pki().employee,
            &[],
            SignerRole::Employee,
        )
    };
    assert!(at_time(not_before).is_ok());
    assert!(at_time(not_after).is_ok());
    let before = UnixTime::from_seconds(not_before.seconds() - 1);
    assert_eq!(
        at_time(before),
        Err(Error::CertificateNotYetValid {
            not_before,
            at: before
        })
    );
    let after = UnixTime::from_seconds(not_after.seconds() + 1);
    assert_eq!(
        at_time(after),
        Err(Error::CertificateExpired {
            not_after,
            at: after
        })
    );
}

#[test]
fn revoked_at_or_before_t_is_rejected_and_revoked_after_t_verifies_at_t() {
    let revoked_at = pki().moved_employee_revoked_at;
    let at_time = |t| {
        check(
            &all_anchors(),
            &standard_crls(),
            RevocationPolicy::Strict,
            t,
            &pki().moved_employee,
            &[],
            SignerRole::Employee,
        )
    };
    let expected = |t| {
        Err(Error::CertificateRevoked {
            revoked_at,
            reason: "AffiliationChanged".into(),
            at: t,
        })
    };
    assert_eq!(at_time(STANDARD_NOW), expected(STANDARD_NOW));
    assert_eq!(at_time(revoked_at), expected(revoked_at));
    // The CRL was issued after this T, so it would list any revocation up to T: good at T.
    let before = UnixTime::from_seconds(revoked_at.seconds() - 1);
    assert!(at_time(before).is_ok());
}

#[test]
fn missing_revocation_data_is_refused_when_strict_and_flagged_when_lenient() {
    let strict = check(
        &all_anchors(),
        &[],
        RevocationPolicy::Strict,
        STANDARD_NOW,
        &pki().employee,
        &[],
        SignerRole::Employee,
    );
    assert_eq!(strict, Err(Error::RevocationStatusUnknown));
    let lenient = check(
        &all_anchors(),
        &[],
        RevocationPolicy::Lenient,
        STANDARD_NOW,
        &pki().employee,
        &[],
        SignerRole::Employee,
    )
    .unwrap();
    assert_eq!(lenient.revocation_unknown, 1);

    // A CRL that was stale at T (next update before T, issued before T) says nothing.
    let stale = check(
        &all_anchors(),
        &standard_crls(),
        RevocationPolicy::Strict,
        at(3 * DAY),
        &pki().employee,
        &[],
        SignerRole::Employee,
    );
    assert_eq!(stale, Err(Error::RevocationStatusUnknown));
}

#[test]
fn a_crl_not_signed_by_the_issuer_is_ignored() {
    // The previous generation has the same name: its CRL looks right and omits the revocation.
    let forged = issue_crl(
        &pki().jpki_signing_root_previous,
        &CrlContents {
            number: 99,
            this_update: at(-60),
            next_update: at(DAY),
            revoked: Vec::new(),
        },
    )
    .unwrap();
    let result = check(
        &all_anchors(),
        &[forged.der().to_vec()],
        RevocationPolicy::Strict,
        STANDARD_NOW,
        &pki().moved_employee,
        &[],
        SignerRole::Employee,
    );
    assert_eq!(result, Err(Error::RevocationStatusUnknown));
    // And it cannot unrevoke: with the genuine CRL beside it, the revocation stands.
    let mut both = standard_crls();
    both.insert(0, forged.der().to_vec());
    let result = check(
        &all_anchors(),
        &both,
        RevocationPolicy::Strict,
        STANDARD_NOW,
        &pki().moved_employee,
        &[],
        SignerRole::Employee,
    );
    assert!(
        matches!(result, Err(Error::CertificateRevoked { .. })),
        "{result:?}"
    );
}

#[test]
fn roles_decide_which_anchor_may_vouch() {
    assert_eq!(
        standard(&pki().employee_authentication, SignerRole::Employee),
        Err(Error::AuthenticationRootCannotAnchorSignature)
    );
    assert_eq!(
        standard(&pki().representative, SignerRole::Employee),
        Err(Error::AnchorRoleMismatch {
            signer: SignerRole::Employee,
            anchor: AnchorRole::CommercialRegistration
        })
    );
    // A representative may sign with a My Number card.
    assert_eq!(
        standard(&pki().employee, SignerRole::Representative)
            .unwrap()
            .anchor_role,
        AnchorRole::JpkiSigning
    );
    let representative = standard(&pki().representative, SignerRole::Representative).unwrap();
    assert_eq!(
        representative.anchor_role,
        AnchorRole::CommercialRegistration
    );
    assert_eq!(
        standard(&pki().tsa, SignerRole::TimeStampingAuthority)
            .unwrap()
            .anchor_role,
        AnchorRole::TimeStamping
    );
    assert_eq!(
        standard(&pki().employee, SignerRole::TimeStampingAuthority),
        Err(Error::TimeStampingUsage)
    );
}

/// A template under the cast's seed, valid around the reference time.
fn template(
    label: &str,
    bits: usize,
    extensions: Vec<x509_cert::ext::Extension>,
) -> CertificateTemplate {
    CertificateTemplate {
        key: KeyName::new(&pki().seed, label, bits),
        serial_number: pki().serial(label).unwrap(),
        subject: NameBuilder::new()
            .country("JP")
            .unwrap()
            .utf8(ORGANIZATION, "path tests")
            .unwrap()
            .utf8(COMMON_NAME, label)
            .unwrap()
            .build()
            .unwrap(),
        validity: Validity::new(at(-10 * DAY), at(300 * DAY)).unwrap(),
        extensions,
    }
}

fn signer_usage() -> x509_cert::ext::Extension {
    key_usage(KeyUsage(
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
    ))
    .unwrap()
}

fn ca_usage() -> x509_cert::ext::Extension {
    key_usage(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)).unwrap()
}

#[test]
fn unknown_critical_extensions_are_refused_and_the_ministry_ones_understood() {
    let odd = der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.55555.1");
    let leaf = issue(
        template(
            "critical stranger",
            2048,
            vec![
                signer_usage(),
                extension(odd, true, &der::asn1::Null).unwrap(),
            ],
        ),
        Issuer::Ca(&pki().jpki_signing_root),
    )
    .unwrap();
    assert_eq!(
        standard(&leaf, SignerRole::Employee),
        Err(Error::UnknownCriticalExtension { oid: odd })
    );
    // Non-critical, the same extension is ignored (revocation aside: no CRL lists it).
    let benign = issue(
        template(
            "benign stranger",
            2048,
            vec![
                signer_usage(),
                extension(odd, false, &der::asn1::Null).unwrap(),
            ],
        ),
        Issuer::Ca(&pki().jpki_signing_root),
    )
    .unwrap();
    assert!(
        check(
            &all_anchors(),
            &standard_crls(),
            RevocationPolicy::Strict,
            STANDARD_NOW,
            &benign,
            &[],
            SignerRole::Employee
        )
        .is_ok()
    );
}

#[test]
fn signer_key_usage_and_ca_flag_are_enforced() {
    let no_signing = issue(
        template(
            "key agreement only",
            2048,
            vec![key_usage(KeyUsage(KeyUsages::KeyAgreement.into())).unwrap()],
        ),
        Issuer::Ca(&pki().jpki_signing_root),
    )
    .unwrap();
    assert_eq!(
        standard(&no_signing, SignerRole::Employee),
        Err(Error::SignerKeyUsage)
    );
    let ca_signer = issue(
        template(
            "ca as signer",
            2048,
            vec![ca_constraints(None).unwrap(), signer_usage()],
        ),
        Issuer::Ca(&pki().jpki_signing_root),
    )
    .unwrap();
    assert_eq!(
        standard(&ca_signer, SignerRole::Employee),
        Err(Error::SignerIsCa)
    );
}

/// A CA under `issuer` with the given constraints and usage, and its empty CRL.
fn intermediate(
    label: &str,
    issuer: &Credential,
    extensions: Vec<x509_cert::ext::Extension>,
) -> (Credential, Vec<u8>) {
    let ca = issue(template(label, 2048, extensions), Issuer::Ca(issuer)).unwrap();
    let crl = issue_crl(
        &ca,
        &CrlContents {
            number: 1,
            this_update: at(-60),
            next_update: at(DAY),
            revoked: Vec::new(),
        },
    )
    .unwrap();
    (ca, crl.der().to_vec())
}

#[test]
fn intermediates_need_ca_key_cert_sign_and_room_in_path_length() {
    let root = &pki().commercial_registration_root;
    let (good_ca, good_crl) = intermediate(
        "sub ca pathlen 0",
        root,
        vec![ca_constraints(Some(0)).unwrap(), ca_usage()],
    );
    let leaf = issue(
        template("leaf under sub ca", 2048, vec![signer_usage()]),
        Issuer::Ca(&good_ca),
    )
    .unwrap();
    let mut crls = standard_crls();
    crls.push(good_crl.clone());
    let path = check(
        &all_anchors(),
        &crls,
        RevocationPolicy::Strict,
        STANDARD_NOW,
        &leaf,
        &[&good_ca],
        SignerRole::Representative,
    )
    .unwrap();
    assert_eq!(
        path.chain,
        vec![leaf.der().to_vec(), good_ca.der().to_vec()]
    );

    // Without the intermediate's own CRL, the leaf's status is unknown.
    assert_eq!(
        check(
            &all_anchors(),
            &standard_crls(),
            RevocationPolicy::Strict,
            STANDARD_NOW,
            &leaf,
            &[&good_ca],
            SignerRole::Representative,
        ),
        Err(Error::RevocationStatusUnknown)
    );

    // pathLen 0 forbids another CA below it.
    let (second, second_crl) = intermediate(
        "second level ca",
        &good_ca,
        vec![ca_constraints(None).unwrap(), ca_usage()],
    );
    let deep_leaf = issue(
        template("deep leaf", 2048, vec![signer_usage()]),
        Issuer::Ca(&second),
    )
    .unwrap();
    crls.push(second_crl);
    assert_eq!(
        check(
            &all_anchors(),
            &crls,
            RevocationPolicy::Strict,
            STANDARD_NOW,
            &deep_leaf,
            &[&good_ca, &second],
            SignerRole::Representative,
        ),
        Err(Error::PathLengthExceeded)
    );

    for (label, extensions, expected) in [
        ("not a ca", vec![ca_usage()], Error::IssuerNotCa),
        (
            "ca without keyCertSign",
            vec![
                ca_constraints(None).unwrap(),
                key_usage(KeyUsage(KeyUsages::CRLSign.into())).unwrap(),
            ],
            Error::IssuerKeyUsage,
        ),
    ] {
        let (bad_ca, bad_crl) = intermediate(label, root, extensions);
        let leaf = issue(
            template(&format!("leaf of {label}"), 2048, vec![signer_usage()]),
            Issuer::Ca(&bad_ca),
        )
        .unwrap();
        let mut crls = standard_crls();
        crls.push(bad_crl);
        assert_eq!(
            check(
                &all_anchors(),
                &crls,
                RevocationPolicy::Strict,
                STANDARD_NOW,
                &leaf,
                &[&bad_ca],
                SignerRole::Representative,
            ),
            Err(expected),
            "{label}"
        );
    }
}

#[test]
fn small_rsa_issuer_keys_are_refused() {
    let weak_ca = issue(
        template(
            "rsa 1024 ca",
            1024,
            vec![ca_constraints(None).unwrap(), ca_usage()],
        ),
        Issuer::Ca(&pki().commercial_registration_root),
    )
    .unwrap();
    let leaf = issue(
        template("leaf of weak ca", 2048, vec![signer_usage()]),
        Issuer::Ca(&weak_ca),
    )
    .unwrap();
    assert_eq!(
        check(
            &all_anchors(),
            &[],
            RevocationPolicy::Lenient,
            STANDARD_NOW,
            &leaf,
            &[&weak_ca],
            SignerRole::Representative,
        ),
        Err(Error::RsaKeyTooSmall { bits: 1024 })
    );
}

#[test]
fn many_same_name_impostors_exhaust_the_signature_budget_not_the_machine() {
    // 80 CAs named like the employee's issuer, none holding its key.
    let impostor_name = pki().jpki_signing_root.subject().clone();
    let impostors: Vec<Credential> = (0..80)
        .map(|i| {
            let mut t = template(
                "impostor",
                2048,
                vec![ca_constraints(None).unwrap(), ca_usage()],
            );
            t.subject = impostor_name.clone();
            t.serial_number = pki().serial(&format!("impostor {i}")).unwrap();
            issue(t, Issuer::Ca(&pki().commercial_registration_root)).unwrap()
        })
        .collect();
    let refs: Vec<&Credential> = impostors.iter().collect();
    let mut no_anchor = TrustAnchors::new();
    no_anchor.add(
        TrustAnchor::new(
            AnchorRole::CommercialRegistration,
            pki().commercial_registration_root.der().to_vec(),
        )
        .unwrap(),
    );
    assert_eq!(
        check(
            &no_anchor,
            &[],
            RevocationPolicy::Lenient,
            STANDARD_NOW,
            &pki().employee,
            &refs,
            SignerRole::Employee,
        ),
        Err(Error::SignatureBudgetExceeded)
    );
}

#[test]
fn the_cache_skips_only_signatures_never_time_or_revocation_checks() {
    use eproxy_verifier::verification_cache::VerificationCache;
    let cache = VerificationCache::new();
    let anchors = all_anchors();
    let crl_ders = standard_crls();
    let crls = Crl::parse_all(&crl_ders).unwrap();
    let run = |credential: &Credential, time| {
        let context = PathContext {
            provider: &RING,
            anchors: &anchors,
            crls: &crls.iter().collect::<Vec<_>>(),
            revocation: RevocationPolicy::Strict,
            at: time,
            cache: Some(&cache),
        };
        verify_path(
            &context,
            &Certificate::from_der(credential.der()).unwrap(),
            &[],
            SignerRole::Employee,
        )
    };
    assert!(run(&pki().employee, STANDARD_NOW).is_ok());
    // The certificate's signature and the CRL's: remembered (the failed previous-generation
    // attempt is not).
    assert_eq!(cache.signatures(), 2);
    assert!(run(&pki().employee, STANDARD_NOW).is_ok());
    assert_eq!(cache.signatures(), 2, "the second path reused both");

    // Cached signatures do not carry validity or revocation to other times.
    let expired_at = Certificate::from_der(pki().employee.der())
        .unwrap()
        .not_after();
    let after = UnixTime::from_seconds(expired_at.seconds() + 1);
    assert!(matches!(
        run(&pki().employee, after),
        Err(Error::CertificateExpired { .. })
    ));
    let before_revocation = UnixTime::from_seconds(pki().moved_employee_revoked_at.seconds() - 1);
    assert!(run(&pki().moved_employee, before_revocation).is_ok());
    assert!(matches!(
        run(&pki().moved_employee, STANDARD_NOW),
        Err(Error::CertificateRevoked { .. })
    ));
}

/// A JPKI-profiled signing certificate with an RSA-1024 key, well formed and issued by the
/// right root, is not a valid signer whatever it would sign: the algorithm policy holds for
/// the key itself, with its own reason.
#[test]
fn a_signers_certificate_with_a_weak_key_is_refused() {
    let weak = eproxy_testkit::jpki::signing_certificate(
        &pki().jpki_signing_root,
        &pki().employee_resident,
        KeyName::new(&pki().seed, "weak employee key", 1024),
        pki().serial("weak employee key").unwrap(),
        Validity::new(
            UnixTime::from_seconds(STANDARD_NOW.seconds() - 86_400),
            UnixTime::from_seconds(STANDARD_NOW.seconds() + 86_400),
        )
        .unwrap(),
    )
    .unwrap();
    for role in [
        SignerRole::Employee,
        SignerRole::Representative,
        SignerRole::Any,
    ] {
        assert_eq!(
            standard(&weak, role).unwrap_err(),
            Error::RsaKeyTooSmall { bits: 1024 },
            "{role:?}"
        );
    }
    // The same with a 2048-bit key is valid.
    assert!(standard(&pki().employee, SignerRole::Employee).is_ok());
}

/// A contract signed after the signer's certificate was revoked must not verify once the
/// certificate has expired and the CA's CRLs have dropped it: a CRL issued after the expiry
/// tells nothing by leaving it out, unless it keeps expired certificates (expiredCertsOnCRL).
#[test]
fn a_crl_issued_after_the_certificate_expired_says_nothing_by_omitting_it() {
    let short_lived = eproxy_testkit::jpki::signing_certificate(
        &pki().jpki_signing_root,
        &pki().employee_resident,
        pki().key("short-lived employee"),
        pki().serial("short-lived employee").unwrap(),
        Validity::new(at(-10 * DAY), at(DAY)).unwrap(),
    )
    .unwrap();
    let revoked = eproxy_testkit::crl::Revocation {
        serial_number: short_lived.serial_number().clone(),
        revoked_at: at(-3600),
        reason: None,
    };
    let after_expiry = |revoked: Vec<eproxy_testkit::crl::Revocation>| CrlContents {
        number: 7,
        this_update: at(2 * DAY),
        next_update: at(3 * DAY),
        revoked,
    };
    let judged = |crl: &[u8]| {
        check(
            &all_anchors(),
            &[crl.to_vec()],
            RevocationPolicy::Strict,
            STANDARD_NOW,
            &short_lived,
            &[],
            SignerRole::Employee,
        )
    };
    // The CRL after the expiry omits it: unknown, not good.
    let dropped = issue_crl(&pki().jpki_signing_root, &after_expiry(Vec::new())).unwrap();
    assert_eq!(judged(dropped.der()), Err(Error::RevocationStatusUnknown));
    // One that keeps expired certificates and omits it: good. One that lists it: revoked.
    let keeps = |revoked| {
        eproxy_testkit::crl::issue_crl_keeping_expired(
            &pki().jpki_signing_root,
            &after_expiry(revoked),
            at(-30 * DAY),
        )
        .unwrap()
    };
    assert!(judged(keeps(Vec::new()).der()).is_ok());
    assert!(matches!(
        judged(keeps(vec![revoked]).der()),
        Err(Error::CertificateRevoked { .. })
    ));
    // Keeping only those that expired later than this one: its silence says nothing again.
    let too_late = eproxy_testkit::crl::issue_crl_keeping_expired(
        &pki().jpki_signing_root,
        &after_expiry(Vec::new()),
        at(2 * DAY),
    )
    .unwrap();
    assert_eq!(judged(too_late.der()), Err(Error::RevocationStatusUnknown));
}
