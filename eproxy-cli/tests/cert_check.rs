//! `eproxy cert check` through the real binary: valid paths, each kind of invalid one with its
//! reason, and the exit statuses (0 valid, 1 invalid, 2 could not ask).

use std::path::Path;

mod common;
use common::{Desk, eproxy};

/// `eproxy cert check --json` at the desk.
impl Desk {
    fn check(&self, certificate: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
        let output = eproxy()
            .args(["cert", "check", "--json"])
            .arg(certificate)
            .arg("--trust")
            .arg(self.pki("trust"))
            .arg("--crl")
            .arg(self.pki("crl/jpki-signing.crl.pem"))
            .arg("--crl")
            .arg(self.pki("crl/commercial-registration.crl.pem"))
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
    let desk = Desk::new();
    let yamada = desk.pki("employee/yamada.pem");
    let (code, report) = desk.check(&yamada, &["--role", "employee", "--require-crl"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchor_role"], "JPKI signing");
    assert_eq!(report["revocation_unknown"], 0);
    assert_eq!(report["certificate"]["jpki"]["name"], "山田　太郎");

    let sato = desk.pki("representative/sato.pem");
    let (code, report) = desk.check(&sato, &["--role", "representative"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["anchor_role"], "commercial-registration");
    // A commercial-registration certificate does not make its holder an employee signer.
    let (code, report) = desk.check(&sato, &["--role", "employee"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["valid"], false);
    // The user-authentication certificate never anchors a signature, whatever the role asked.
    let authentication = desk.pki("employee/yamada-authentication.pem");
    for role in ["employee", "any"] {
        let (code, report) = desk.check(&authentication, &["--role", role]);
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
    let desk = Desk::new();
    let (code, report) = desk.check(&desk.pki("employee/suzuki.pem"), &["--role", "employee"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("revoked"),
        "{report}"
    );

    let yamada = desk.pki("employee/yamada.pem");
    let (code, report) = desk.check(&yamada, &["--at", "2000-01-01T00:00:00Z"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("valid"),
        "{report}"
    );

    // DER framing with nonsense inside is an answer (invalid), not an input error.
    let garbage = desk.path("garbage.der");
    std::fs::write(&garbage, [0x30, 0x03, 0x02, 0x01, 0x00]).unwrap();
    let (code, report) = desk.check(&garbage, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["valid"], false);

    // A file that is not there, or a time that is not one, cannot be asked about.
    let (code, report) = desk.check(&desk.path("missing.pem"), &[]);
    assert_eq!(code, 2, "{report}");
    let (code, report) = desk.check(&yamada, &["--at", "yesterday"]);
    assert_eq!(code, 2, "{report}");
}
