//! The test PKI through OpenSSL's eyes: every certificate parses, the profiles' extensions read as
//! intended, chains and CRLs verify (or fail for the right reason), PKCS#12 files open with their
//! password and no other.
//!
//! OpenSSL is a system package that `scripts/ensure-system-deps` installs; these tests fail rather
//! than skip without it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use eproxy_testkit::export::{TEST_MATERIAL_BANNER, write_to};
use eproxy_testkit::{Credential, STANDARD_NOW, TestPki};

/// Runs `openssl args…` with `stdin`, returning success and the combined output.
fn openssl(args: &[&str], stdin: &[u8]) -> (bool, String) {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs (scripts/ensure-system-deps installs it)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// `openssl x509 -text` of a certificate, names printed as UTF-8.
fn x509_text(credential: &Credential) -> String {
    let (ok, text) = openssl(
        &[
            "x509",
            "-inform",
            "DER",
            "-noout",
            "-text",
            "-nameopt",
            "utf8,sep_comma_plus_space",
        ],
        credential.der(),
    );
    assert!(ok, "openssl x509 refused the certificate:\n{text}");
    text
}

/// The two lines OpenSSL prints for an extension: its header and first value line.
fn extension_lines(text: &str, header: &str) -> (String, String) {
    let mut lines = text.lines().map(str::trim);
    let found = lines
        .by_ref()
        .find(|line| line.starts_with(header))
        .unwrap_or_else(|| panic!("no {header} in:\n{text}"));
    (found.to_owned(), lines.next().unwrap_or("").to_owned())
}

#[test]
fn openssl_parses_every_certificate_as_rsa_2048_sha256() {
    for (role, credential) in TestPki::standard().credentials() {
        let text = x509_text(credential);
        assert!(text.contains("Public-Key: (2048 bit)"), "{role}: {text}");
        assert!(text.contains("Exponent: 65537"), "{role}: {text}");
        assert_eq!(
            text.matches("Signature Algorithm: sha256WithRSAEncryption")
                .count(),
            2,
            "{role}: TBS and outer algorithm: {text}"
        );
        assert!(text.contains("Version: 3 (0x2)"), "{role}: {text}");
    }
}

#[test]
fn employee_certificate_has_the_jpki_signing_profile() {
    let pki = TestPki::standard();
    let text = x509_text(&pki.employee);
    assert!(
        text.contains("Subject: C=JP, L=東京都, L=千代田区, CN="),
        "{text}"
    );
    assert!(text.contains(
        "Issuer: C=JP, O=JPKI TEST (eproxy testkit, not J-LIS), OU=JPKI for digital signature, \
         OU=Japan Agency for Local Authority Information Systems"
    ));
    assert_eq!(
        extension_lines(&text, "X509v3 Key Usage"),
        (
            "X509v3 Key Usage: critical".to_owned(),
            "Digital Signature, Non Repudiation".to_owned()
        )
    );
    assert_eq!(
        extension_lines(&text, "X509v3 Certificate Policies").1,
        "Policy: 1.2.392.200149.8.5.1.1.20"
    );
    let (header, names) = extension_lines(&text, "X509v3 Subject Alternative Name");
    assert_eq!(header, "X509v3 Subject Alternative Name:", "not critical");
    assert_eq!(
        names,
        "othername: 1.2.392.200149.8.5.5.1::山田　太郎, \
         othername: 1.2.392.200149.8.5.5.2::0, \
         othername: 1.2.392.200149.8.5.5.3::1, \
         othername: 1.2.392.200149.8.5.5.4::319850401, \
         othername: 1.2.392.200149.8.5.5.5::東京都千代田区霞が関一丁目１番１号, \
         othername: 1.2.392.200149.8.5.5.6::0"
    );
    assert!(text.contains("DirName:C = JP, O = \"JPKI TEST (eproxy testkit, not J-LIS)\""));
    assert!(!text.contains("CA:TRUE"), "an end entity: {text}");

    let root = x509_text(&pki.jpki_signing_root);
    assert_eq!(
        extension_lines(&root, "X509v3 Basic Constraints"),
        (
            "X509v3 Basic Constraints: critical".to_owned(),
            "CA:TRUE".to_owned()
        )
    );
    assert_eq!(
        extension_lines(&root, "X509v3 Key Usage").1,
        "Certificate Sign, CRL Sign"
    );
}

#[test]
fn authentication_certificate_carries_no_personal_data() {
    let text = x509_text(&TestPki::standard().employee_authentication);
    assert!(text.contains("OU=JPKI for user authentication"), "{text}");
    assert!(!text.contains("Subject Alternative Name"), "{text}");
    assert!(!text.contains("Non Repudiation"), "{text}");
    assert_eq!(
        extension_lines(&text, "X509v3 Key Usage").1,
        "Digital Signature"
    );
}

/// The registeredCorporationInfo sample that DOMAIN.md quotes from public test vectors; the
/// standard company is that sample, so the extension must be exactly these bytes.
fn domain_sample_hex() -> String {
    let mut hex_text = String::from("3081aba01a0c18");
    hex_text.push_str(&hex::encode("サンプル株式会社"));
    hex_text.push_str("a10e130c");
    hex_text.push_str(&hex::encode("012345678901"));
    hex_text.push_str("a2320c30");
    hex_text.push_str(&hex::encode("東京都渋谷区神宮前一丁目２番３号"));
    hex_text.push_str("a3140c12");
    hex_text.push_str(&hex::encode("佐藤サンプル"));
    hex_text.push_str("a4110c0f");
    hex_text.push_str(&hex::encode("代表取締役"));
    hex_text.push_str("a6200c1e");
    hex_text.push_str(&hex::encode("東京法務局渋谷出張所"));
    hex_text
}

/// The hex dump `openssl asn1parse` gives of the OCTET STRING after `oid` (and its critical
/// flag, which it checks).
fn extension_value_hex(credential: &Credential, oid: &str) -> String {
    let (ok, text) = openssl(&["asn1parse", "-inform", "DER"], credential.der());
    assert!(ok, "{text}");
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|line| line.ends_with(&format!(":{oid}")))
        .unwrap_or_else(|| panic!("no {oid}:\n{text}"));
    let critical = lines.next().unwrap();
    assert!(
        critical.ends_with("BOOLEAN           :255"),
        "{oid} critical: {critical}"
    );
    let value = lines.next().unwrap();
    value
        .split("[HEX DUMP]:")
        .nth(1)
        .unwrap_or_else(|| panic!("{oid} value: {value}"))
        .to_ascii_lowercase()
}

#[test]
fn representative_certificate_has_the_three_critical_ministry_extensions() {
    let pki = TestPki::standard();
    let text = x509_text(&pki.representative);
    for oid in [
        "1.2.392.100300.1.1.1",
        "1.2.392.100300.1.1.2",
        "1.2.392.100300.1.1.3",
    ] {
        assert!(text.contains(&format!("{oid}: critical")), "{oid}: {text}");
    }
    assert_eq!(
        extension_lines(&text, "X509v3 Key Usage").1,
        "Digital Signature, Non Repudiation"
    );
    assert!(
        text.contains("Subject: C=JP, O=サンプル株式会社, CN=佐藤サンプル"),
        "{text}"
    );

    assert_eq!(
        extension_value_hex(&pki.representative, "1.2.392.100300.1.1.3"),
        domain_sample_hex()
    );
    // The registrar: a bare UTF8String.
    let registrar = "東京法務局登記官";
    assert_eq!(
        extension_value_hex(&pki.representative, "1.2.392.100300.1.1.2"),
        format!("0c{:02x}{}", registrar.len(), hex::encode(registrar))
    );
    // The policies: certificatePolicies shape, policy 1.2.392.100300.1.3.4, user notice whose
    // noticeRef organization is 法務省. Parse the value with OpenSSL too.
    let policies = hex::decode(extension_value_hex(
        &pki.representative,
        "1.2.392.100300.1.1.1",
    ))
    .unwrap();
    let (ok, parsed) = openssl(&["asn1parse", "-inform", "DER", "-i"], &policies);
    assert!(ok, "{parsed}");
    assert!(parsed.contains(":1.2.392.100300.1.3.4"), "{parsed}");
    assert!(parsed.contains(":Policy Qualifier User Notice"), "{parsed}");
    assert!(parsed.contains("UTF8STRING"), "{parsed}");
    assert!(
        policies
            .windows("法務省".len())
            .any(|w| w == "法務省".as_bytes()),
        "{parsed}"
    );
}

/// Writes the cast once per test into a temporary directory.
fn exported() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    write_to(TestPki::standard(), dir.path()).unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    (dir, path)
}

/// `openssl verify` at the standard reference time; `.pem` arguments are relative to `dir`.
fn verify(dir: &str, args: &[&str], leaf: &str) -> (bool, String) {
    let at = STANDARD_NOW.seconds().to_string();
    let mut all = vec!["verify", "-attime", &at];
    let owned: Vec<String> = args
        .iter()
        .map(|a| {
            if a.ends_with(".pem") {
                format!("{dir}/{a}")
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    all.extend(owned.iter().map(String::as_str));
    let leaf = format!("{dir}/{leaf}");
    all.push(&leaf);
    openssl(&all, b"")
}

#[test]
fn chains_and_crls_verify_in_openssl_and_fail_for_the_right_reason() {
    let (_guard, dir) = exported();
    let signing = ["-CAfile", "trust/jpki-signing/root.pem"];
    let with_crl = [
        "-CAfile",
        "trust/jpki-signing/root.pem",
        "-crl_check",
        "-CRLfile",
        "crl/jpki-signing.crl.pem",
    ];

    let (ok, text) = verify(&dir, &with_crl, "employee/yamada.pem");
    assert!(ok && text.contains(": OK"), "{text}");

    let (ok, text) = verify(&dir, &signing, "employee/suzuki.pem");
    assert!(
        ok,
        "the moved employee's chain is fine without revocation data: {text}"
    );
    let (ok, text) = verify(&dir, &with_crl, "employee/suzuki.pem");
    assert!(!ok && text.contains("certificate revoked"), "{text}");

    // Same root name, other key: OpenSSL finds no issuer, so naming alone cannot chain.
    let (ok, text) = verify(
        &dir,
        &["-CAfile", "trust/jpki-signing/root-previous.pem"],
        "employee/yamada.pem",
    );
    assert!(
        !ok && text.contains("unable to get local issuer certificate"),
        "{text}"
    );

    // OpenSSL does not know the Ministry's extensions, and they are critical: it must refuse
    // until told to ignore them, which proves the criticality is real.
    let registration = [
        "-CAfile",
        "trust/commercial-registration/root.pem",
        "-crl_check",
        "-CRLfile",
        "crl/commercial-registration.crl.pem",
    ];
    let (ok, text) = verify(&dir, &registration, "representative/sato.pem");
    assert!(
        !ok && text.contains("unhandled critical extension"),
        "{text}"
    );
    let mut ignoring = registration.to_vec();
    ignoring.push("-ignore_critical");
    let (ok, text) = verify(&dir, &ignoring, "representative/sato.pem");
    assert!(ok, "{text}");

    // The TSA is fit for time stamping; a signing certificate is not.
    let tsa = ["-CAfile", "trust/tsa/root.pem", "-purpose", "timestampsign"];
    let (ok, text) = verify(&dir, &tsa, "tsa/tsa.pem");
    assert!(ok, "{text}");
    let (ok, text) = verify(
        &dir,
        &[
            "-CAfile",
            "trust/jpki-signing/root.pem",
            "-purpose",
            "timestampsign",
        ],
        "employee/yamada.pem",
    );
    assert!(
        !ok && text.contains("unsuitable certificate purpose"),
        "{text}"
    );
}

#[test]
fn tsa_certificate_states_time_stamping_alone_and_critical() {
    let text = x509_text(&TestPki::standard().tsa);
    assert_eq!(
        extension_lines(&text, "X509v3 Extended Key Usage"),
        (
            "X509v3 Extended Key Usage: critical".to_owned(),
            "Time Stamping".to_owned()
        )
    );
}

#[test]
fn crl_lists_the_revocation_with_its_time_and_reason() {
    let pki = TestPki::standard();
    let (ok, text) = openssl(
        &["crl", "-inform", "DER", "-noout", "-text"],
        pki.jpki_signing_crl.der(),
    );
    assert!(ok, "{text}");
    let serial = hex::encode_upper(pki.moved_employee.serial_number().as_bytes());
    assert!(text.contains(&format!("Serial Number: {serial}")), "{text}");
    // One day before the reference time of 2026-04-01T00:00:00Z.
    assert!(
        text.contains("Revocation Date: Mar 31 00:00:00 2026 GMT"),
        "{text}"
    );
    assert!(text.contains("Affiliation Changed"), "{text}");
    assert!(
        text.contains("Last Update: Mar 31 23:00:00 2026 GMT"),
        "{text}"
    );
    assert!(
        text.contains("Next Update: Apr  2 00:00:00 2026 GMT"),
        "{text}"
    );
    assert_eq!(text.matches("Serial Number:").count(), 1, "{text}");

    let (ok, text) = openssl(
        &["crl", "-inform", "DER", "-noout", "-text"],
        pki.commercial_registration_crl.der(),
    );
    assert!(ok && text.contains("No Revoked Certificates."), "{text}");
}

#[test]
fn pkcs12_opens_with_its_password_and_holds_the_matching_key() {
    let (_guard, dir) = exported();
    let pki = TestPki::standard();
    let p12 = format!("{dir}/representative/sato.p12");
    let pass = format!("pass:{}", pki.password);

    let (ok, info) = openssl(
        &["pkcs12", "-in", &p12, "-info", "-noout", "-passin", &pass],
        b"",
    );
    assert!(ok, "{info}");
    assert!(info.contains("MAC: sha256, Iteration 2048"), "{info}");
    assert!(
        info.contains(
            "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"
        ),
        "{info}"
    );
    assert_eq!(
        info.matches("Certificate bag").count(),
        2,
        "leaf and root: {info}"
    );

    let (ok, text) = openssl(
        &[
            "pkcs12",
            "-in",
            &p12,
            "-info",
            "-noout",
            "-passin",
            "pass:not-the-password",
        ],
        b"",
    );
    assert!(!ok && text.contains("Mac verify error"), "{text}");

    // The key inside is the representative's: its public half equals the certificate's.
    let (ok, key) = openssl(
        &[
            "pkcs12", "-in", &p12, "-nocerts", "-nodes", "-passin", &pass,
        ],
        b"",
    );
    assert!(ok, "{key}");
    let (ok, from_key) = openssl(&["pkey", "-pubout"], key.as_bytes());
    assert!(ok, "{from_key}");
    let (ok, from_cert) = openssl(
        &["x509", "-inform", "DER", "-noout", "-pubkey"],
        pki.representative.der(),
    );
    assert!(ok, "{from_cert}");
    assert_eq!(from_key, from_cert);
    let (ok, leaf) = openssl(
        &[
            "pkcs12", "-in", &p12, "-clcerts", "-nokeys", "-passin", &pass,
        ],
        b"",
    );
    assert!(ok);
    assert!(
        leaf.contains(&pki.representative.certificate_pem().unwrap()),
        "{leaf}"
    );
}

#[test]
fn export_writes_every_role_marked_as_test_material_with_private_files_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_guard, dir) = exported();
    let summary = std::fs::read_to_string(format!("{dir}/README.txt")).unwrap();
    assert!(summary.starts_with(TEST_MATERIAL_BANNER), "{summary}");
    assert!(summary.contains(&TestPki::standard().password));
    for role in [
        "jpki-signing",
        "jpki-authentication",
        "commercial-registration",
        "tsa",
    ] {
        assert!(
            Path::new(&format!("{dir}/trust/{role}/root.pem")).is_file(),
            "{role}"
        );
    }
    let mode = |file: &str| {
        std::fs::metadata(format!("{dir}/{file}"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("employee/yamada.key.pem"), 0o600);
    assert_eq!(mode("representative/sato.p12"), 0o600);
    assert_eq!(mode("employee/yamada.pem"), 0o644);
    let key = std::fs::read_to_string(format!("{dir}/employee/yamada.key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    let (ok, text) = openssl(
        &[
            "pkey",
            "-in",
            &format!("{dir}/employee/yamada.key.pem"),
            "-noout",
            "-check",
        ],
        b"",
    );
    assert!(ok, "{text}");
}

/// The next-generation card (ECDSA P-384, SHA-384, ten years) keeps the JPKI signing profile,
/// and OpenSSL verifies its chain, its CRL and what it signs.
#[test]
fn the_next_generation_card_is_p384_sha384_in_the_jpki_profile_and_openssl_verifies_it() {
    use eproxy_testkit::cms::CmsSigner;
    use eproxy_testkit::next_generation::NextGeneration;
    let pki = TestPki::standard();
    let next = NextGeneration::of(pki).unwrap();
    for (role, credential) in [("root", &next.root), ("card", &next.employee)] {
        let text = x509_text(credential);
        assert!(text.contains("Public-Key: (384 bit)"), "{role}: {text}");
        assert!(text.contains("NIST CURVE: P-384"), "{role}: {text}");
        assert_eq!(
            text.matches("Signature Algorithm: ecdsa-with-SHA384")
                .count(),
            2,
            "{role}: TBS and outer algorithm: {text}"
        );
    }
    let card = x509_text(&next.employee);
    assert_eq!(
        extension_lines(&card, "X509v3 Certificate Policies").1,
        "Policy: 1.2.392.200149.8.5.1.1.20"
    );
    assert_eq!(
        extension_lines(&card, "X509v3 Subject Alternative Name"),
        extension_lines(&x509_text(&pki.employee), "X509v3 Subject Alternative Name"),
        "the same holder, the same identity"
    );
    let validity = next.employee.certificate().tbs_certificate().validity();
    let years = (validity.not_after.to_unix_duration() - validity.not_before.to_unix_duration())
        .as_secs()
        / (365 * 24 * 60 * 60);
    assert_eq!(years, 10);

    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("root.pem"), next.root.certificate_pem().unwrap()).unwrap();
    std::fs::write(path("card.pem"), next.employee.certificate_pem().unwrap()).unwrap();
    std::fs::write(path("crl.pem"), next.crl.pem().unwrap()).unwrap();
    let at = pki.now.seconds().to_string();
    let (ok, text) = openssl(
        &[
            "verify",
            "-attime",
            &at,
            "-CAfile",
            &path("root.pem"),
            "-crl_check",
            "-CRLfile",
            &path("crl.pem"),
            &path("card.pem"),
        ],
        b"",
    );
    assert!(ok && text.contains(": OK"), "{text}");
    // Today's root does not vouch for it: same name, other key.
    std::fs::write(
        path("today.pem"),
        pki.jpki_signing_root.certificate_pem().unwrap(),
    )
    .unwrap();
    let (ok, text) = openssl(
        &[
            "verify",
            "-attime",
            &at,
            "-CAfile",
            &path("today.pem"),
            &path("card.pem"),
        ],
        b"",
    );
    assert!(!ok, "{text}");

    let content = b"a power of attorney, signed with the next-generation card";
    let cms = CmsSigner::new(&next.employee, content).sign().unwrap();
    std::fs::write(path("signed.p7s"), &cms).unwrap();
    let (ok, text) = openssl(
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            &path("signed.p7s"),
            "-CAfile",
            &path("root.pem"),
            "-attime",
            &at,
            "-purpose",
            "any",
        ],
        b"",
    );
    assert!(ok, "{text}");
    assert!(text.contains("a power of attorney, signed with"), "{text}");
    let (ok, text) = openssl(
        &[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            &path("signed.p7s"),
        ],
        b"",
    );
    assert!(ok, "{text}");
    assert!(text.contains("algorithm: ecdsa-with-SHA384"), "{text}");
    assert!(text.contains("algorithm: sha384"), "{text}");
}
