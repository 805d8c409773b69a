//! The x509-limbo name-constraint and subjectAltName cases, checked through the public API
//! against the certificates under `tests/conformance/x509-limbo/cases`.

use crate::{Error, InputKind};

use super::{NAME_CONSTRAINT_BUDGET, NameConstraints, check_subject_alt_name};

/// (constraining CA file, certificate file, verdict) triples of one limbo case.
type LimboPairs = &'static [(&'static str, &'static str, Verdict)];

/// What a limbo case's certificates give under this module.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Valid,
    MalformedConstraints,
    MalformedSan,
    NotPermitted,
    Excluded,
}

fn limbo_certificate(case: &str, file: &str) -> crate::certificate::Certificate {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/conformance/x509-limbo/cases")
        .join(case)
        .join(file);
    let pem = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let der = crate::pem::decode_all(&pem, "CERTIFICATE", InputKind::Certificate)
        .expect("PEM")
        .remove(0);
    crate::certificate::Certificate::from_der(&der).expect("certificate")
}

/// The verdict on `subject_file` under the nameConstraints of `issuer_file`.
fn limbo_verdict(case: &str, issuer_file: &str, subject_file: &str) -> Verdict {
    use der::oid::AssociatedOid;
    let issuer = limbo_certificate(case, issuer_file);
    let subject = limbo_certificate(case, subject_file);
    let value = issuer
        .extension(x509_cert::ext::pkix::NameConstraints::OID)
        .expect("the issuer has nameConstraints")
        .value;
    let san = subject
        .extension(x509_cert::ext::pkix::SubjectAltName::OID)
        .map(|e| e.value);
    let constraints = match NameConstraints::from_der(value) {
        Ok(constraints) => constraints,
        Err(Error::MalformedNameConstraints { .. }) => return Verdict::MalformedConstraints,
        Err(other) => panic!("{case}: {other:?}"),
    };
    let mut budget = NAME_CONSTRAINT_BUDGET;
    match constraints.check(subject.subject_der(), san, &mut budget) {
        Ok(()) => Verdict::Valid,
        Err(Error::MalformedSubjectAltName { .. }) => Verdict::MalformedSan,
        Err(Error::NameNotPermitted { .. }) => Verdict::NotPermitted,
        Err(Error::NameExcluded { .. }) => Verdict::Excluded,
        Err(other) => panic!("{case}: {other:?}"),
    }
}

/// Each (constraining CA, certificate below it) pair of the limbo name-constraint cases that
/// the path validator would check, and this module's verdict: the expected chain verdict
/// follows (valid exactly when every pair is). Self-issued intermediates are not checked,
/// as RFC 5280 6.1.4 (and the caller) skips them.
#[test]
fn x509_limbo_name_constraint_cases() {
    use Verdict::*;
    const ROOT: &str = "trust/000.pem";
    const ICA: &str = "intermediates/000.pem";
    const ICA2: &str = "intermediates/001.pem";
    const LEAF: &str = "leaf.pem";
    let cases: &[(&str, LimboPairs)] = &[
        (
            "rfc5280__nc__excluded-different-constraint-type",
            &[(ROOT, LEAF, Valid)],
        ),
        ("rfc5280__nc__excluded-dn-match", &[(ROOT, LEAF, Excluded)]),
        (
            "rfc5280__nc__excluded-dn-match-sub-mismatch",
            &[(ROOT, LEAF, Excluded)],
        ),
        ("rfc5280__nc__excluded-dns-match", &[(ICA, LEAF, Excluded)]),
        (
            "rfc5280__nc__excluded-dns-match-second",
            &[(ROOT, LEAF, Excluded)],
        ),
        (
            "rfc5280__nc__excluded-ipv4-match",
            &[(ROOT, LEAF, Excluded)],
        ),
        (
            "rfc5280__nc__excluded-ipv6-match",
            &[(ROOT, LEAF, Excluded)],
        ),
        (
            "rfc5280__nc__excluded-match-permitted-and-excluded",
            &[(ROOT, LEAF, Excluded)],
        ),
        (
            "rfc5280__nc__excluded-self-issued-leaf",
            &[(ROOT, ICA, NotPermitted), (ROOT, LEAF, NotPermitted)],
        ),
        (
            "rfc5280__nc__intermediate-with-san-rejected-by-intermediate-nc",
            &[(ICA, ICA2, Excluded), (ICA, LEAF, Valid)],
        ),
        (
            "rfc5280__nc__intermediate-with-san-rejected-by-root-nc",
            &[
                (ROOT, ICA, NotPermitted),
                (ROOT, ICA2, Excluded),
                (ROOT, LEAF, Valid),
            ],
        ),
        (
            "rfc5280__nc__invalid-dnsname-leading-period",
            &[(ROOT, LEAF, MalformedConstraints)],
        ),
        (
            "rfc5280__nc__invalid-dnsname-wildcard",
            &[(ROOT, LEAF, MalformedConstraints)],
        ),
        (
            "rfc5280__nc__invalid-email-address",
            &[(ROOT, LEAF, MalformedConstraints)],
        ),
        (
            "rfc5280__nc__invalid-ipv4-address",
            &[(ROOT, LEAF, MalformedConstraints)],
        ),
        (
            "rfc5280__nc__invalid-ipv6-address",
            &[(ROOT, LEAF, MalformedConstraints)],
        ),
        // Valid through ICA_B'' (002, no SAN): ICA_B' (001) would be excluded.
        (
            "rfc5280__nc__nc-forbids-alternate-chain-ica",
            &[
                (ICA, "intermediates/002.pem", Valid),
                (ICA, LEAF, Valid),
                (ICA, ICA2, Excluded),
            ],
        ),
        (
            "rfc5280__nc__nc-forbids-othername",
            &[(ICA, LEAF, Excluded)],
        ),
        (
            "rfc5280__nc__nc-forbids-othername-noop",
            &[(ICA, LEAF, Valid)],
        ),
        // Valid through the unconstrained root: ICA_B' (001) under ICA_A (000) is excluded.
        (
            "rfc5280__nc__nc-forbids-same-chain-ica",
            &[(ICA, ICA2, Excluded)],
        ),
        (
            "rfc5280__nc__nc-permits-email-domain",
            &[(ICA, LEAF, Valid)],
        ),
        ("rfc5280__nc__nc-permits-email-exact", &[(ICA, LEAF, Valid)]),
        (
            "rfc5280__nc__nc-permits-email-literal-asterisk-exact-match",
            &[(ICA, LEAF, Valid)],
        ),
        (
            "rfc5280__nc__nc-permits-email-literal-asterisk-rejects-subdomain",
            &[(ICA, LEAF, NotPermitted)],
        ),
        (
            "rfc5280__nc__nc-permits-email-literal-asterisk-rejects-user",
            &[(ICA, LEAF, NotPermitted)],
        ),
        (
            "rfc5280__nc__nc-permits-email-literal-double-asterisk",
            &[(ICA, LEAF, Valid)],
        ),
        (
            "rfc5280__nc__nc-permits-email-literal-double-asterisk-rejects-single",
            &[(ICA, LEAF, NotPermitted)],
        ),
        (
            "rfc5280__nc__nc-permits-email-literal-mid-asterisk",
            &[(ICA, LEAF, Valid)],
        ),
        (
            "rfc5280__nc__nc-permits-invalid-dns-san",
            &[(ICA, LEAF, MalformedSan)],
        ),
        (
            "rfc5280__nc__nc-permits-invalid-email-san",
            &[(ICA, LEAF, MalformedSan)],
        ),
        (
            "rfc5280__nc__nc-permits-invalid-ip-san",
            &[(ICA, LEAF, MalformedSan)],
        ),
        (
            "rfc5280__nc__permitted-different-constraint-type",
            &[(ROOT, LEAF, Valid)],
        ),
        ("rfc5280__nc__permitted-dn-match", &[(ROOT, LEAF, Valid)]),
        (
            "rfc5280__nc__permitted-dn-match-subject-san-mismatch",
            &[(ROOT, LEAF, NotPermitted)],
        ),
        (
            "rfc5280__nc__permitted-dn-mismatch",
            &[(ROOT, LEAF, NotPermitted)],
        ),
        ("rfc5280__nc__permitted-dns-match", &[(ROOT, LEAF, Valid)]),
        (
            "rfc5280__nc__permitted-dns-match-more",
            &[(ROOT, LEAF, Valid)],
        ),
        (
            "rfc5280__nc__permitted-dns-mismatch",
            &[(ROOT, LEAF, NotPermitted)],
        ),
        (
            "rfc5280__nc__permitted-ip-mismatch",
            &[(ROOT, LEAF, NotPermitted)],
        ),
        ("rfc5280__nc__permitted-ipv4-match", &[(ROOT, LEAF, Valid)]),
        ("rfc5280__nc__permitted-ipv6-match", &[(ROOT, LEAF, Valid)]),
        // The intermediate is self-issued (same name as the root): only the leaf is checked.
        ("rfc5280__nc__permitted-self-issued", &[(ROOT, LEAF, Valid)]),
        (
            "rfc5280__nc__restrictive-permits-in-intermediates-narrows",
            &[
                (ICA, ICA2, NotPermitted),
                (ICA, LEAF, Valid),
                (ICA2, LEAF, NotPermitted),
            ],
        ),
        (
            "rfc5280__nc__restrictive-permits-in-intermediates-widens",
            &[
                (ICA, ICA2, NotPermitted),
                (ICA, LEAF, NotPermitted),
                (ICA2, LEAF, Valid),
            ],
        ),
        (
            "webpki__nc__intermediate-permitted-excluded-subtrees-both-empty-sequences",
            &[(ICA, LEAF, MalformedConstraints)],
        ),
        (
            "webpki__nc__intermediate-permitted-excluded-subtrees-both-null",
            &[(ICA, LEAF, MalformedConstraints)],
        ),
        (
            "webpki__nc__nc-permits-dns-san-pattern",
            &[(ICA, LEAF, Valid)],
        ),
    ];
    for (case, pairs) in cases {
        for (issuer, subject, expected) in pairs.iter() {
            assert_eq!(
                &limbo_verdict(case, issuer, subject),
                expected,
                "{case}: {subject} under {issuer}"
            );
        }
    }
    // The subjectAltName syntax cases.
    for (case, well_formed) in [
        ("rfc5280__san__malformed", false),
        ("rfc5280__san__underscore-dns", false),
        ("rfc5280__san__noncritical-with-empty-subject", true),
        ("webpki__san__exact-dns-san", true),
        ("webpki__san__exact-localhost-ip-san", true),
        ("webpki__san__leftmost-wildcard-san", true),
    ] {
        use der::oid::AssociatedOid;
        let leaf = limbo_certificate(case, LEAF);
        let san = leaf
            .extension(x509_cert::ext::pkix::SubjectAltName::OID)
            .expect("SAN");
        assert_eq!(
            check_subject_alt_name(san.value).is_ok(),
            well_formed,
            "{case}"
        );
    }
}
