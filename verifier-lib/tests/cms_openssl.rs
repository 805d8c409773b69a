//! CMS interoperability with OpenSSL, both ways: OpenSSL verifies what eproxy's signer produces,
//! and eproxy verifies what `openssl cms -sign` produces in each of its shapes (attached,
//! detached, no attributes, key identifier, RSA-PSS, ECDSA), refusing the BER that `-stream`
//! writes. OpenSSL 3.0 cannot make Ed25519 CMS, so Ed25519 is checked one level down: a raw
//! signature from `openssl pkeyutl` against eproxy's signature check.

use std::path::{Path, PathBuf};
use std::process::Command;

use eproxy_testkit::cms::{CmsSigner, SignerId};
use eproxy_testkit::{Credential, STANDARD_NOW, TestPki};
use eproxy_verifier::crypto::{AWS_LC, RING, SignatureVerifier};
use eproxy_verifier::verify_cms::verify_cms;
use eproxy_verifier::{Error, InputKind};

const CONTENT: &[u8] = b"eproxy interop content\n";

/// Both signature providers: every interop case must pass with each.
fn providers() -> [&'static dyn SignatureVerifier; 2] {
    [&AWS_LC, &RING]
}

fn openssl(args: &[&str]) -> (bool, String) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs (scripts/ensure-system-deps installs it)");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let workspace = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(workspace.path("content"), CONTENT).unwrap();
        workspace
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_owned()
    }

    /// Writes `credential` as `NAME.pem` and `NAME.key`.
    fn credential(&self, name: &str, credential: &Credential) {
        std::fs::write(
            self.path(&format!("{name}.pem")),
            credential.certificate_pem().unwrap(),
        )
        .unwrap();
        std::fs::write(
            self.path(&format!("{name}.key")),
            credential.private_key_pem().unwrap(),
        )
        .unwrap();
    }

    /// `openssl cms -sign` of the content by `NAME`, with `extra` options, DER output.
    fn openssl_sign(&self, name: &str, extra: &[&str]) -> Vec<u8> {
        let out = self.arg(&format!(
            "{name}-{}.p7s",
            extra.join("_").replace([':', '-'], "")
        ));
        let content = self.arg("content");
        let mut args = vec![
            "cms", "-sign", "-binary", "-in", &content, "-outform", "DER", "-out", &out,
        ];
        let signer = self.arg(&format!("{name}.pem"));
        let key = self.arg(&format!("{name}.key"));
        args.extend(["-signer", &signer, "-inkey", &key]);
        args.extend(extra);
        let (ok, text) = openssl(&args);
        assert!(ok, "openssl cms -sign {extra:?}: {text}");
        std::fs::read(out).unwrap()
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn openssl_verifies_what_eproxy_signs() {
    let pki = TestPki::standard();
    let workspace = Workspace::new();
    write(
        &workspace.path("root.pem"),
        pki.jpki_signing_root.certificate_pem().unwrap().as_bytes(),
    );
    let at = STANDARD_NOW.seconds().to_string();
    let root = workspace.arg("root.pem");
    for (name, signer_id, detached) in [
        ("attached", SignerId::IssuerAndSerial, false),
        ("detached", SignerId::IssuerAndSerial, true),
        ("keyid", SignerId::SubjectKeyId, false),
    ] {
        let mut spec = CmsSigner::new(&pki.employee, CONTENT);
        spec.signer_id = signer_id;
        spec.detached = detached;
        let file = workspace.arg(&format!("{name}.p7s"));
        write(Path::new(&file), &spec.sign().unwrap());
        let content = workspace.arg("content");
        let mut args = vec![
            "cms", "-verify", "-binary", "-inform", "DER", "-in", &file, "-CAfile", &root,
            "-purpose", "any", "-attime", &at,
        ];
        if detached {
            args.extend(["-content", &content]);
        }
        let (ok, text) = openssl(&args);
        assert!(ok, "{name}: {text}");
        assert!(
            text.starts_with(std::str::from_utf8(CONTENT).unwrap()),
            "{name}: {text}"
        );
        assert!(
            text.contains("CMS Verification successful"),
            "{name}: {text}"
        );
    }

    // And OpenSSL notices a tampered one.
    let cms = CmsSigner::new(&pki.employee, CONTENT).sign().unwrap();
    let at_content = cms.windows(7).position(|w| w == b"interop").unwrap();
    let mut tampered = cms.clone();
    tampered[at_content] = b'I';
    let file = workspace.arg("tampered.p7s");
    write(Path::new(&file), &tampered);
    let (ok, text) = openssl(&[
        "cms", "-verify", "-binary", "-inform", "DER", "-in", &file, "-CAfile", &root, "-purpose",
        "any", "-attime", &at,
    ]);
    assert!(!ok && text.contains("Verification failure"), "{text}");
}

#[test]
fn eproxy_verifies_what_openssl_signs_with_rsa() {
    let pki = TestPki::standard();
    let workspace = Workspace::new();
    workspace.credential("employee", &pki.employee);
    for extra in [
        vec!["-nodetach"],
        vec!["-nodetach", "-noattr"],
        vec!["-nodetach", "-keyid"],
        vec!["-nodetach", "-md", "sha512"],
        vec![
            "-nodetach",
            "-keyopt",
            "rsa_padding_mode:pss",
            "-keyopt",
            "rsa_pss_saltlen:digest",
        ],
    ] {
        let cms = workspace.openssl_sign("employee", &extra);
        let verified =
            verify_cms(&RING, &cms, None, &[]).unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        assert_eq!(verified.content, CONTENT, "{extra:?}");
        assert_eq!(verified.signer.der(), pki.employee.der(), "{extra:?}");
    }

    let detached = workspace.openssl_sign("employee", &[]);
    assert_eq!(
        verify_cms(&RING, &detached, None, &[]).unwrap_err(),
        Error::DetachedContentMissing
    );
    let verified = verify_cms(&RING, &detached, Some(CONTENT), &[]).unwrap();
    assert_eq!(verified.signer.der(), pki.employee.der());
    assert!(
        verified.claimed_signing_time.is_some(),
        "OpenSSL adds signingTime"
    );
    assert_eq!(
        verify_cms(&RING, &detached, Some(b"other"), &[]).unwrap_err(),
        Error::MessageDigestMismatch
    );

    let streamed = workspace.openssl_sign("employee", &["-nodetach", "-stream"]);
    assert_eq!(
        verify_cms(&RING, &streamed, None, &[]).unwrap_err(),
        Error::NotDer {
            kind: InputKind::Cms
        }
    );
}

/// A self-signed certificate and key made by OpenSSL with `key_options`.
fn openssl_credential(workspace: &Workspace, name: &str, key_options: &[&str]) {
    let key = workspace.arg(&format!("{name}.key"));
    let cert = workspace.arg(&format!("{name}.pem"));
    let mut args = vec!["genpkey", "-out", &key];
    args.extend(key_options);
    let (ok, text) = openssl(&args);
    assert!(ok, "{text}");
    let subject = format!("/CN=eproxy interop {name}");
    let (ok, text) = openssl(&[
        "req", "-x509", "-new", "-key", &key, "-subj", &subject, "-days", "2", "-out", &cert,
    ]);
    assert!(ok, "{text}");
}

#[test]
fn eproxy_verifies_what_openssl_signs_with_ecdsa() {
    let workspace = Workspace::new();
    openssl_credential(
        &workspace,
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    openssl_credential(
        &workspace,
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    for (name, extra) in [
        ("p256", vec!["-nodetach"]),
        ("p384", vec!["-nodetach", "-md", "sha384"]),
    ] {
        let cms = workspace.openssl_sign(name, &extra);
        let verified = verify_cms(&RING, &cms, None, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.content, CONTENT, "{name}");
        // A flipped bit in the signature value must fail.
        let signature_at = cms
            .windows(verified.signature.len())
            .rposition(|w| w == verified.signature)
            .unwrap();
        let mut broken = cms.clone();
        broken[signature_at + verified.signature.len() / 2] ^= 0x01;
        for provider in providers() {
            assert!(
                matches!(
                    verify_cms(provider, &broken, None, &[]),
                    Err(Error::InvalidSignature | Error::Malformed { .. })
                ),
                "{provider:?} {name}"
            );
        }
    }
}

#[test]
fn eproxy_verifies_ed25519_signatures_made_by_openssl() {
    use der::Decode;
    use eproxy_verifier::signed_data::verify_signature;
    use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

    let workspace = Workspace::new();
    let key = workspace.arg("ed25519.key");
    let public = workspace.arg("ed25519.spki");
    let signature = workspace.arg("ed25519.sig");
    let content = workspace.arg("content");
    for args in [
        vec!["genpkey", "-algorithm", "ED25519", "-out", &key],
        vec![
            "pkey", "-in", &key, "-pubout", "-outform", "DER", "-out", &public,
        ],
        vec![
            "pkeyutl", "-sign", "-rawin", "-inkey", &key, "-in", &content, "-out", &signature,
        ],
    ] {
        let (ok, text) = openssl(&args);
        assert!(ok, "{args:?}: {text}");
    }
    let spki_der = std::fs::read(&public).unwrap();
    let spki = SubjectPublicKeyInfoRef::from_der(&spki_der).unwrap();
    let signature = std::fs::read(&signature).unwrap();
    let ed25519 = AlgorithmIdentifierRef {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.3.101.112"),
        parameters: None,
    };
    for provider in providers() {
        assert_eq!(
            verify_signature(provider, &spki, &ed25519, None, CONTENT, &signature),
            Ok(())
        );
        assert_eq!(
            verify_signature(provider, &spki, &ed25519, None, b"other", &signature),
            Err(Error::InvalidSignature)
        );
    }
    // The same key under an RSA algorithm is a mismatch, not a verification attempt.
    let rsa = AlgorithmIdentifierRef {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        parameters: None,
    };
    assert!(matches!(
        verify_signature(&RING, &spki, &rsa, None, CONTENT, &signature),
        Err(Error::AlgorithmKeyMismatch { .. })
    ));
}
