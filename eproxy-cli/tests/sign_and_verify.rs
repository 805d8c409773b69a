//! The representative and the employee at work, offline, through the real binary: a test PKI,
//! a PoA draft, its signature with each kind of software key, a contract signed under it, and
//! the counterparty's verdict, including the refusals.

use std::path::Path;

use eproxy_testkit::TestPki;

mod common;
use common::{Desk, Tsa, date, eproxy, json, stderr};

/// The offline steps at the desk.
impl Desk {
    /// `eproxy delegation new` for the standard company's representative and 山田.
    fn new_draft(&self, extra: &[&str]) -> std::process::Output {
        self.new_draft_for(&self.pki("employee/yamada.pem"), extra)
    }

    /// [`Desk::new_draft`], 山田 named by the card certificate `delegatee`.
    fn new_draft_for(&self, delegatee: &Path, extra: &[&str]) -> std::process::Output {
        let company = &TestPki::standard().company;
        eproxy()
            .args(["delegation", "new", "--company"])
            .arg(company.corporate_number().unwrap().to_string())
            .args(["--company-name", &company.corporate_name])
            .args(["--company-address", &company.corporate_address])
            .args(["--representative", &company.director_name])
            .args(["--title", &company.director_title])
            .arg("--delegatee-cert")
            .arg(delegatee)
            .args(["--delegatee-name", "山田　太郎"])
            .args(["--matter", "conclude-contracts", "--amount-cap", "5000000"])
            .args(["--counterparty", eproxy_testkit::scenario::COUNTERPARTY])
            .args(if extra.contains(&"--until") {
                &[][..]
            } else {
                &["--from", "2020-01-01", "--until", "2099-12-31"][..]
            })
            .args(extra)
            .arg("-o")
            .arg(self.path("poa.toml"))
            .output()
            .unwrap()
    }

    fn sign_draft(&self, key: &str, out: &str) -> std::process::Output {
        eproxy()
            .args(["delegation", "sign", "--json"])
            .arg(self.path("poa.toml"))
            .args(["--key", key, "--password-file"])
            .arg(self.path("password"))
            .arg("-o")
            .arg(self.path(out))
            .env_remove("EPROXY_PASSWORD")
            .output()
            .unwrap()
    }

    /// Terms for a contract of `amount` yen under `poa`, and the contract signed with 山田's
    /// card.
    fn sign_contract(&self, poa_id: &str, amount: u64) -> std::process::Output {
        let key = format!(
            "pem:{},{}",
            self.pki("employee/yamada.key.pem").display(),
            self.pki("employee/yamada.pem").display()
        );
        self.sign_contract_with(&key, &[], poa_id, amount)
    }

    /// [`Desk::sign_contract`] with the key `key` (and `extra` arguments, such as a PIN file).
    fn sign_contract_with(
        &self,
        key: &str,
        extra: &[&std::ffi::OsStr],
        poa_id: &str,
        amount: u64,
    ) -> std::process::Output {
        std::fs::write(
            self.path("terms.toml"),
            format!(
                "delegation = \"{poa_id}\"\nmatter = \"conclude-contracts\"\n\
                 counterparty = \"{}\"\namount_yen = {amount}\n\
                 title = \"業務委託契約書\"\nmedia_type = \"application/pdf\"\n",
                eproxy_testkit::scenario::COUNTERPARTY
            ),
        )
        .unwrap();
        std::fs::write(self.path("contract.pdf"), b"%PDF-1.7 the contract").unwrap();
        eproxy()
            .args(["contract", "sign", "--json", "--terms"])
            .arg(self.path("terms.toml"))
            .arg("--document")
            .arg(self.path("contract.pdf"))
            .args(["--key", key])
            .args(extra)
            .arg("-o")
            .arg(self.path("contract.p7s"))
            .env("SOFTHSM2_CONF", self.path("softhsm2.conf"))
            .output()
            .unwrap()
    }

    fn verify(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let output = eproxy()
            .args(["verify", "--json"])
            .arg(self.path("contract.p7s"))
            .arg("--trust")
            .arg(self.pki("trust"))
            .arg("--poa")
            .arg(self.path("poa.p7s"))
            .args(extra)
            .output()
            .unwrap();
        let report = serde_json::from_slice(&output.stdout).unwrap_or_default();
        (output.status.code().unwrap(), report)
    }
}

fn reason_kinds(report: &serde_json::Value) -> Vec<String> {
    report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn pkcs12_key(desk: &Desk) -> String {
    format!("pkcs12:{}", desk.pki("representative/sato.p12").display())
}

#[test]
fn a_pkcs12_signed_poa_covers_a_contract_and_the_verdict_says_why_not_when_it_does_not() {
    let desk = Desk::new();
    let drafted = json(&desk.new_draft(&["--json"]));
    assert_eq!(drafted["delegatee"]["jpki"]["name"], "山田　太郎");
    let signed = json(&desk.sign_draft(&pkcs12_key(&desk), "poa.p7s"));
    let poa_id = signed["delegation_id"].as_str().unwrap().to_owned();
    assert_eq!(poa_id.len(), 64);
    assert_eq!(
        signed["signer"]["certificate_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(
        signed["signer"]["commercial_registration"]["director_name"],
        "佐藤サンプル"
    );

    // The PoA reads back with what the draft said.
    let shown = json(
        &eproxy()
            .args(["delegation", "show", "--json"])
            .arg(desk.path("poa.p7s"))
            .output()
            .unwrap(),
    );
    assert_eq!(shown["delegation_id"], poa_id.as_str());
    assert_eq!(shown["delegation"]["amount_cap_yen"], 5_000_000);
    assert_eq!(
        shown["delegation"]["matters"][0]["japanese"],
        "契約締結に関する件"
    );
    assert_eq!(
        shown["delegation"]["not_after"]["rfc3339"],
        "2099-12-31T14:59:59Z"
    );

    let contract = json(&desk.sign_contract(&poa_id, 1_200_000));
    assert_eq!(contract["delegation_id"], poa_id.as_str());

    // Offline, with the PoA given directly: its registry status is unknown, so the strict
    // verdict rejects for that reason alone, and the lenient one accepts with a caveat.
    let crl = desk.pki("crl/jpki-signing.crl.pem");
    let crl2 = desk.pki("crl/commercial-registration.crl.pem");
    let crls = [
        "--crl",
        crl.to_str().unwrap(),
        "--crl",
        crl2.to_str().unwrap(),
    ];
    let (code, report) = desk.verify(&crls);
    assert_eq!(code, 1, "{report}");
    assert_eq!(reason_kinds(&report), ["PoaStatusUnknown"], "{report}");
    assert!(
        report["reasons"][0]["what_to_do"]
            .as_str()
            .unwrap()
            .contains("eproxy delegation evidence"),
        "{report}"
    );

    let lenient = [&crls[..], &["--lenient"]].concat();
    let (code, report) = desk.verify(&lenient);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["accepted"], true);
    assert_eq!(report["chain"][0], poa_id.as_str());
    assert_eq!(report["signer_name"], "山田　太郎");

    // The document is checked when given: another document is refused.
    let document = desk.path("contract.pdf");
    let (code, _) =
        desk.verify(&[&lenient[..], &["--document", document.to_str().unwrap()]].concat());
    assert_eq!(code, 0);
    std::fs::write(desk.path("other.pdf"), b"%PDF-1.7 another contract").unwrap();
    let other = desk.path("other.pdf");
    let (code, report) =
        desk.verify(&[&lenient[..], &["--document", other.to_str().unwrap()]].concat());
    assert_eq!(code, 1);
    assert_eq!(reason_kinds(&report), ["DocumentMismatch"]);

    // Signed by someone the PoA does not bind: the reason, and what the company can do.
    let key = format!(
        "pem:{},{}",
        desk.pki("employee/suzuki.key.pem").display(),
        desk.pki("employee/suzuki.pem").display()
    );
    eproxy()
        .args(["contract", "sign", "--terms"])
        .arg(desk.path("terms.toml"))
        .arg("--document")
        .arg(desk.path("contract.pdf"))
        .args(["--key", &key, "-o"])
        .arg(desk.path("contract.p7s"))
        .assert()
        .success();
    let (code, report) = desk.verify(&lenient);
    assert_eq!(code, 1);
    let kinds = reason_kinds(&report);
    let index = kinds
        .iter()
        .position(|k| k == "SignerNotDelegatee")
        .unwrap();
    assert!(
        report["reasons"][index]["what_to_do"]
            .as_str()
            .unwrap()
            .contains("--supersedes"),
        "{report}"
    );

    // Over the cap: the rejection names the amount.
    json(&desk.sign_contract(&poa_id, 5_000_001));
    let (code, report) = desk.verify(&lenient);
    assert_eq!(code, 1);
    let message = report["reasons"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("5000001") || message.contains("amount"),
        "{message}"
    );
}

#[test]
fn pem_keys_sign_too_and_a_mismatched_pair_is_refused_before_anything_is_written() {
    let desk = Desk::new();
    assert_eq!(desk.new_draft(&[]).status.code(), Some(0));
    let pem = |key: &str, cert: &str| {
        format!(
            "pem:{},{}",
            desk.pki(key).display(),
            desk.pki(cert).display()
        )
    };
    let signed = json(&desk.sign_draft(
        &pem("representative/sato.key.pem", "representative/sato.pem"),
        "poa.p7s",
    ));
    assert_eq!(signed["delegation_id"].as_str().unwrap().len(), 64);

    let output = desk.sign_draft(
        &pem("employee/yamada.key.pem", "representative/sato.pem"),
        "mismatched.p7s",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not belong to the certificate"),
        "{}",
        stderr(&output)
    );
    assert!(!desk.path("mismatched.p7s").exists());
}

#[test]
fn a_wrong_pkcs12_password_is_named_and_nothing_is_written() {
    let desk = Desk::new();
    assert_eq!(desk.new_draft(&[]).status.code(), Some(0));
    std::fs::write(desk.path("password"), "not the password\n").unwrap();
    let output = desk.sign_draft(&pkcs12_key(&desk), "poa.p7s");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the password is wrong"),
        "{}",
        stderr(&output)
    );
    assert!(!desk.path("poa.p7s").exists());
}

#[test]
fn drafts_that_break_a_rule_are_refused_with_the_rule() {
    let desk = Desk::new();
    for (extra, expected) in [
        (&["--sub-delegation-depth", "1"][..], "sub-delegation"),
        (&["--matter", "sell-the-company"][..], "is not a matter"),
        (
            &["--from", "2030-01-01", "--until", "2029-12-31"][..],
            "ends (",
        ),
        (&["--counterparty", "1234567890123"][..], "check digit"),
        (
            &["--from", "2030-01-01", "--until", "2030-13-01"][..],
            "yyyy-mm-dd",
        ),
    ] {
        let output = desk.new_draft(extra);
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let message = stderr(&output).to_lowercase();
        assert!(message.contains(expected), "{extra:?}: {message}");
        assert!(!desk.path("poa.toml").exists());
    }
}

#[test]
fn a_hand_written_draft_with_bare_dates_and_a_certificate_file_signs() {
    let desk = Desk::new();
    let company = &TestPki::standard().company;
    let draft = format!(
        r#"format = 1
remarks = "手書きの下書き"

[delegator]
corporate_number = "{}"
name = "{}"
head_office_address = "{}"

[representative]
name = "{}"
title = "{}"

[delegatee]
display_name = "山田　太郎"
certificate = "pki/employee/yamada.pem"

[scope]
matters = ["claim-and-receive-payment", "bids-and-quotes"]
amount_cap = "none"
counterparties = "any"

[validity]
not_before = 2026-01-01
not_after = "2099-12-31T23:59:59+09:00"
"#,
        company.corporate_number().unwrap(),
        company.corporate_name,
        company.corporate_address,
        company.director_name,
        company.director_title
    );
    std::fs::write(desk.path("poa.toml"), draft).unwrap();
    json(&desk.sign_draft(&pkcs12_key(&desk), "poa.p7s"));
    let shown = json(
        &eproxy()
            .args(["delegation", "show", "--json"])
            .arg(desk.path("poa.p7s"))
            .output()
            .unwrap(),
    );
    let delegation = &shown["delegation"];
    assert_eq!(delegation["amount_cap_yen"], serde_json::Value::Null);
    assert_eq!(delegation["counterparties"], serde_json::Value::Null);
    // Canonical order: bids-and-quotes (1) before claim-and-receive-payment (3).
    assert_eq!(delegation["matters"][0]["code"], "bids-and-quotes");
    assert_eq!(delegation["not_before"]["rfc3339"], "2025-12-31T15:00:00Z");
    let yamada = certificate_sha256(&desk.pki("employee/yamada.pem"));
    assert_eq!(delegation["delegatee_certificate_sha256"], yamada.as_str());
}

/// The SHA-256 of the one certificate in a PEM file, hex.
fn certificate_sha256(path: &Path) -> String {
    let pem = std::fs::read(path).unwrap();
    let der = eproxy_verifier::pem::decode_all(
        &pem,
        "CERTIFICATE",
        eproxy_verifier::InputKind::Certificate,
    )
    .unwrap();
    let certificate = eproxy_verifier::certificate::Certificate::from_der(&der[0]).unwrap();
    hex::encode(certificate.sha256())
}

/// Runs a tool the suite depends on (installed by scripts/ensure-system-deps): failing loudly
/// when it is missing rather than skipping.
fn tool(program: &str, args: &[&str], env: &[(&str, &Path)]) {
    let mut command = std::process::Command::new(program);
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("{program} is needed (scripts/ensure-system-deps installs it): {e}")
    });
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn pkcs12_files_written_by_openssl_in_both_layouts_sign_and_a_tampered_one_is_refused() {
    let desk = Desk::new();
    assert_eq!(desk.new_draft(&[]).status.code(), Some(0));
    let key = desk.pki("representative/sato.key.pem");
    let cert = desk.pki("representative/sato.pem");
    let password = std::fs::read_to_string(desk.path("password")).unwrap();
    let passout = format!("pass:{}", password.trim_end());
    for (name, extra) in [
        ("openssl3.p12", &[][..]),
        ("legacy.p12", &["-legacy"][..]),
        (
            "legacy-3des-certs.p12",
            &["-legacy", "-certpbe", "PBE-SHA1-3DES"][..],
        ),
    ] {
        let out = desk.path(name);
        let mut args = vec![
            "pkcs12",
            "-export",
            "-inkey",
            key.to_str().unwrap(),
            "-in",
            cert.to_str().unwrap(),
            "-passout",
            &passout,
            "-out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        tool("openssl", &args, &[]);
        let signed = json(&desk.sign_draft(&format!("pkcs12:{}", out.display()), "poa.p7s"));
        assert_eq!(
            signed["signer"]["commercial_registration"]["registered_number"], "012345678901",
            "{name}"
        );
    }

    // One bit flipped inside the authenticated content: the MAC catches it before anything
    // is decrypted.
    let mut bytes = std::fs::read(desk.path("legacy.p12")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(desk.path("tampered.p12"), bytes).unwrap();
    let output = desk.sign_draft(
        &format!("pkcs12:{}", desk.path("tampered.p12").display()),
        "tampered.p7s",
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("altered") || message.contains("malformed"),
        "{message}"
    );
    assert!(!desk.path("tampered.p7s").exists());
}

/// The SoftHSM2 module, as Debian installs it.
const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 token labelled `eproxy-test` (PIN 123456, in the desk's `pin` file) holding each
/// key of `credentials` (a PEM key file, its certificate, the id to store both under), its
/// configuration at the desk's `softhsm2.conf`; that configuration's path.
fn softhsm_token(desk: &Desk, credentials: &[(&Path, &Path, &str)]) -> std::path::PathBuf {
    let tokens = desk.path("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = desk.path("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    std::fs::write(desk.path("pin"), "123456\n").unwrap();
    let env = [("SOFTHSM2_CONF", conf.as_path())];
    tool(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            "eproxy-test",
            "--pin",
            "123456",
            "--so-pin",
            "12345678",
        ],
        &env,
    );
    for (key, certificate, id) in credentials {
        tool(
            "softhsm2-util",
            &[
                "--import",
                key.to_str().unwrap(),
                "--token",
                "eproxy-test",
                "--label",
                id,
                "--id",
                id,
                "--pin",
                "123456",
            ],
            &env,
        );
        eproxy()
            .args(["testkit", "token-certificate", "--key"])
            .arg(format!("pkcs11:{MODULE};token=eproxy-test;id={id}"))
            .arg(certificate)
            .arg("--pin-file")
            .arg(desk.path("pin"))
            .env("SOFTHSM2_CONF", &conf)
            .assert()
            .success();
    }
    conf
}

#[test]
fn a_key_on_a_pkcs11_token_signs_a_poa_and_a_contract() {
    let desk = Desk::new();
    assert_eq!(desk.new_draft(&[]).status.code(), Some(0));
    // Both credentials on one token, told apart by id: 01 the representative, 02 the employee
    // (the My Number card's signing key is id 02).
    let conf = softhsm_token(
        &desk,
        &[
            (
                &desk.pki("representative/sato.key.pem"),
                &desk.pki("representative/sato.pem"),
                "01",
            ),
            (
                &desk.pki("employee/yamada.key.pem"),
                &desk.pki("employee/yamada.pem"),
                "02",
            ),
        ],
    );

    let signed = eproxy()
        .args(["delegation", "sign", "--json"])
        .arg(desk.path("poa.toml"))
        .args([
            "--key",
            &format!("pkcs11:{MODULE};token=eproxy-test;id=01"),
            "--pin-file",
        ])
        .arg(desk.path("pin"))
        .arg("-o")
        .arg(desk.path("poa.p7s"))
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    let signed = json(&signed);
    assert_eq!(
        signed["signer"]["commercial_registration"]["director_name"],
        "佐藤サンプル"
    );
    let poa_id = signed["delegation_id"].as_str().unwrap();

    let pin = desk.path("pin");
    json(&desk.sign_contract_with(
        &format!("pkcs11:{MODULE};token=eproxy-test;id=02"),
        &["--pin-file".as_ref(), pin.as_os_str()],
        poa_id,
        1000,
    ));

    let crl = desk.pki("crl/jpki-signing.crl.pem");
    let crl2 = desk.pki("crl/commercial-registration.crl.pem");
    let (code, report) = desk.verify(&[
        "--lenient",
        "--crl",
        crl.to_str().unwrap(),
        "--crl",
        crl2.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report}");

    // A wrong PIN is refused with what to do.
    std::fs::write(desk.path("wrong-pin"), "654321\n").unwrap();
    let output = eproxy()
        .args(["delegation", "sign"])
        .arg(desk.path("poa.toml"))
        .args([
            "--key",
            &format!("pkcs11:{MODULE};token=eproxy-test;id=01"),
            "--pin-file",
        ])
        .arg(desk.path("wrong-pin"))
        .arg("-o")
        .arg(desk.path("wrong.p7s"))
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("check the PIN"),
        "{}",
        stderr(&output)
    );
    assert!(!desk.path("wrong.p7s").exists());
}

#[test]
fn a_timestamped_contract_is_judged_at_the_authoritys_time_and_an_unreachable_one_is_an_error() {
    let desk = Desk::new();
    assert_eq!(desk.new_draft(&[]).status.code(), Some(0));
    let poa_id = json(&desk.sign_draft(&pkcs12_key(&desk), "poa.p7s"))["delegation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two days ago: inside every test certificate's validity, which starts at minting less a
    // margin.
    let stamped_at = date("-2 days", "+%Y-%m-%dT%H:%M:%SZ");
    let tsa = Tsa::start(&desk, Some(&stamped_at));
    let url = tsa.url.clone();

    desk.sign_contract(&poa_id, 1000); // writes terms.toml and contract.pdf
    let key = format!(
        "pem:{},{}",
        desk.pki("employee/yamada.key.pem").display(),
        desk.pki("employee/yamada.pem").display()
    );
    let sign = |tsa_url: &str| {
        eproxy()
            .args(["contract", "sign", "--json", "--terms"])
            .arg(desk.path("terms.toml"))
            .arg("--document")
            .arg(desk.path("contract.pdf"))
            .args(["--key", &key, "--tsa", tsa_url, "-o"])
            .arg(desk.path("contract.p7s"))
            .output()
            .unwrap()
    };
    let signed = json(&sign(&url));
    assert_eq!(signed["timestamp"]["rfc3339"], stamped_at.as_str());
    let crls: Vec<String> = ["jpki-signing", "commercial-registration", "tsa"]
        .iter()
        .flat_map(|c| {
            [
                "--crl".to_owned(),
                desk.pki(&format!("crl/{c}.crl.pem")).display().to_string(),
            ]
        })
        .collect();
    let mut args: Vec<&str> = crls.iter().map(String::as_str).collect();
    args.push("--lenient");
    let (code, report) = desk.verify(&args);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["time_source"], "timestamp");
    assert_eq!(report["time"]["rfc3339"], stamped_at.as_str());
    drop(tsa);

    // No authority there: the command fails (exit 2) and writes nothing new.
    std::fs::remove_file(desk.path("contract.p7s")).unwrap();
    let output = sign("http://127.0.0.1:1");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("time-stamping authority: cannot reach http://127.0.0.1:1"),
        "{}",
        stderr(&output)
    );
    assert!(!desk.path("contract.p7s").exists());
    // An https URL is refused with what to do.
    let output = sign("https://tsa.example.jp");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("http://"), "{}", stderr(&output));
}

/// The next-generation My Number card (ECDSA P-384, SHA-384) signs a contract from a PEM key
/// file and from a token; each verifies under a PoA that binds it, and OpenSSL verifies what
/// eproxy signed.
#[test]
fn the_next_generation_card_signs_with_ecdsa_p384_from_a_file_and_from_a_token() {
    use eproxy_testkit::next_generation::NextGeneration;
    let desk = Desk::new();
    let next = NextGeneration::of(TestPki::standard()).unwrap();
    let write = |relative: &str, text: String| {
        let path = desk.pki(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    };
    let root = write(
        "trust/jpki-signing/next-generation.pem",
        next.root.certificate_pem().unwrap(),
    );
    let card = write("next/yamada.pem", next.employee.certificate_pem().unwrap());
    let key = write(
        "next/yamada.key.pem",
        next.employee.private_key_pem().unwrap(),
    );
    assert_eq!(desk.new_draft_for(&card, &[]).status.code(), Some(0));
    let poa_id = json(&desk.sign_draft(&pkcs12_key(&desk), "poa.p7s"))["delegation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let jpki_crl = desk.pki("crl/jpki-signing.crl.pem");
    let registration_crl = desk.pki("crl/commercial-registration.crl.pem");
    let crls = [
        "--lenient",
        "--crl",
        jpki_crl.to_str().unwrap(),
        "--crl",
        registration_crl.to_str().unwrap(),
    ];
    const ECDSA_WITH_SHA384: [u8; 10] =
        [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];

    let conf = softhsm_token(&desk, &[(&key, &card, "03")]);
    let pin = desk.path("pin");
    let from_token = format!("pkcs11:{MODULE};token=eproxy-test;id=03");
    let from_file = format!("pem:{},{}", key.display(), card.display());
    for key in [from_file, from_token] {
        let signed = json(&desk.sign_contract_with(
            &key,
            &["--pin-file".as_ref(), pin.as_os_str()],
            &poa_id,
            1000,
        ));
        assert_eq!(signed["signer"]["jpki"]["name"], "山田　太郎", "{key}");
        let contract = std::fs::read(desk.path("contract.p7s")).unwrap();
        assert!(
            contract.windows(10).any(|w| w == ECDSA_WITH_SHA384),
            "{key}: signed with ecdsa-with-SHA384"
        );
        let (code, report) = desk.verify(&crls);
        assert_eq!(code, 0, "{key}: {report}");
        let output = std::process::Command::new("openssl")
            .args(["cms", "-verify", "-inform", "DER", "-purpose", "any", "-in"])
            .arg(desk.path("contract.p7s"))
            .arg("-CAfile")
            .arg(&root)
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{key}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    // The P-384 key with a certificate not its own, RSA or P-384, is refused before signing.
    let other = write(
        "next/sato.pem",
        next.representative_card.certificate_pem().unwrap(),
    );
    for certificate in [desk.pki("employee/yamada.pem"), other] {
        let _ = std::fs::remove_file(desk.path("contract.p7s"));
        let mismatched = format!("pem:{},{}", key.display(), certificate.display());
        let output = desk.sign_contract_with(&mismatched, &[], &poa_id, 1000);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr(&output).contains("does not belong to the certificate"),
            "{}",
            stderr(&output)
        );
        assert!(!desk.path("contract.p7s").exists());
    }
}
