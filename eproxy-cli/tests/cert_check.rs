//! `eproxy cert check` through the real binary: valid paths, each kind of invalid one with its
//! reason, and the exit statuses (0 valid, 1 invalid, 2 could not ask).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Pki(tempfile::TempDir);

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Command::cargo_bin("eproxy")
            .unwrap()
            .args(["testkit", "init", "--out"])
            .arg(dir.path().join("pki"))
            .assert()
            .success();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join("pki").join(name)
    }

    fn check(&self, certificate: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
        let output = Command::cargo_bin("eproxy")
            .unwrap()
            .args(["cert", "check", "--json"])
            .arg(certificate)
            .arg("--trust")
            .arg(self.path("trust"))
            .arg("--crl")
            .arg(self.path("crl/jpki-signing.crl.pem"))
            .arg("--crl")
            .arg(self.path("crl/commercial-registration.crl.pem"))
            .args(extra)
            .output()
            .unwrap();
        let report = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| String::from_utf8_lossy(&output.stderr).into());
        (output.status.code().unwrap(), report)
    }
}

#[test]
fn paths_are_valid_for_their_roles_only() {
    let pki = Pki::new();
    let yamada = pki.path("employee/yamada.pem");
    let (code, report) = pki.check(&yamada, &["--role", "employee", "--require-crl"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchor_role"], "JPKI signing");
    assert_eq!(report["revocation_unknown"], 0);
    assert_eq!(report["certificate"]["jpki"]["name"], "山田　太郎");

    let sato = pki.path("representative/sato.pem");
    let (code, report) = pki.check(&sato, &["--role", "representative"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchor_role"], "commercial-registration");
    // A commercial-registration certificate does not make its holder an employee signer.
    let (code, report) = pki.check(&sato, &["--role", "employee"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["valid"], false);
    // The user-authentication certificate never anchors a signature, whatever the role asked.
    let authentication = pki.path("employee/yamada-authentication.pem");
    for role in ["employee", "any"] {
        let (code, report) = pki.check(&authentication, &["--role", role]);
        assert_eq!(code, 1, "{report}");
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .contains("user-authentication"),
            "{report}"
        );
    }
}

#[test]
fn revoked_expired_and_malformed_certificates_are_invalid_with_their_reason() {
    let pki = Pki::new();
    let (code, report) = pki.check(&pki.path("employee/suzuki.pem"), &["--role", "employee"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("revoked"),
        "{report}"
    );

    let yamada = pki.path("employee/yamada.pem");
    let (code, report) = pki.check(&yamada, &["--at", "2000-01-01T00:00:00Z"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("valid"),
        "{report}"
    );

    // DER framing with nonsense inside is an answer (invalid), not an input error.
    let garbage = pki.0.path().join("garbage.der");
    std::fs::write(&garbage, [0x30, 0x03, 0x02, 0x01, 0x00]).unwrap();
    let (code, report) = pki.check(&garbage, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["valid"], false);

    // A file that is not there, or a time that is not one, cannot be asked about.
    let (code, report) = pki.check(&pki.0.path().join("missing.pem"), &[]);
    assert_eq!(code, 2, "{report}");
    let (code, report) = pki.check(&yamada, &["--at", "yesterday"]);
    assert_eq!(code, 2, "{report}");
}
