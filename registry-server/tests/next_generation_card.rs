//! The next-generation My Number card (ECDSA P-384, SHA-384) end to end, its signatures made by
//! OpenSSL: the representative's new card, enrolled for the company, signs a PoA; the registry
//! registers it; the employee's new card signs a contract under it; the registry releases the
//! evidence to that contract; a counterparty verifies the whole. Every signature from the cards
//! up to their root is ECDSA P-384 with SHA-384.

use eproxy_testkit::next_generation::NextGeneration;
use eproxy_testkit::registry::*;

fn next() -> &'static NextGeneration {
    static NEXT: std::sync::OnceLock<NextGeneration> = std::sync::OnceLock::new();
    NEXT.get_or_init(|| NextGeneration::of(pki()).unwrap())
}

/// `openssl cms -sign` of `content` by `card` (certificate and key written into `dir`), SHA-384,
/// the content attached, DER.
fn openssl_sign(dir: &Path, card: &Credential, content: &[u8]) -> Vec<u8> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let certificate = write("card.pem", card.certificate_pem().unwrap().as_bytes());
    let key = write("card.key", card.private_key_pem().unwrap().as_bytes());
    let content = write("content", content);
    let out = dir.join("signed.p7s");
    let output = Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-md",
            "sha384",
            "-outform",
            "DER",
        ])
        .arg("-in")
        .arg(&content)
        .arg("-signer")
        .arg(&certificate)
        .arg("-inkey")
        .arg(&key)
        .arg("-out")
        .arg(&out)
        .output()
        .expect("openssl runs (scripts/ensure-system-deps installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&out).unwrap()
}

/// A registry trusting the next-generation root and its CRL besides the kit's own, with the
/// representative's next-generation card enrolled for the company.
fn registry_with_enrolled_card() -> Registry {
    let mut registry = Registry::start_with(|data, config| {
        let root = data.join("next-root.pem");
        let crl = data.join("next.crl.pem");
        std::fs::write(&root, next().root.certificate_pem().unwrap()).unwrap();
        std::fs::write(&crl, next().crl.pem().unwrap()).unwrap();
        config
            .replace("jpki_signing = [", &format!("jpki_signing = [{root:?}, "))
            .replace("crls = [", &format!("crls = [{crl:?}, "))
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(registry.stop());
    let card = registry.data_dir().join("card.pem");
    std::fs::write(&card, next().representative_card.certificate_pem().unwrap()).unwrap();
    let company = pki().company.corporate_number().unwrap().to_string();
    let enrolled = Command::new(binary())
        .args(["enroll", "--company", &company, "--certificate"])
        .arg(&card)
        .args([
            "--attested-by",
            "staff-0042",
            "--reference",
            "登記事項証明書 No.5678",
        ])
        .arg("--data-dir")
        .arg(registry.data_dir())
        .env("EPROXY_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    registry.serve();
    registry
}

/// A counterparty's verdict on `contract` with `bundle`, trusting `anchors`, checking against
/// the kit's and the next-generation CRLs.
fn verdict(contract: &[u8], bundle: &[u8], key: &VerifierKey, anchors: TrustAnchors) -> Verdict {
    let now = UnixTime::from_seconds(unix_now());
    verify_offline_with(anchors, &[next().crl.der()], contract, bundle, key, now)
}

#[test]
fn a_poa_and_a_contract_signed_by_openssl_with_p384_cards_verify_end_to_end() {
    let registry = registry_with_enrolled_card();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();

    // The representative's new card signs a PoA to the employee's new card.
    let delegation = scenario::delegation_in(pki(), &next().employee, contracts_only(), None);
    let poa = openssl_sign(
        dir.path(),
        &next().representative_card,
        &delegation.encode(),
    );
    let receipt = runtime.block_on(registry.submit(&poa)).unwrap();
    assert!(!receipt.already_registered);
    let id = DelegationId::of_cms(&poa);

    // The employee's new card signs a contract under it; the registry releases the evidence.
    let mut terms = scenario::terms(&poa);
    terms.signing_time_claimed = UnixTime::from_seconds(unix_now());
    let contract = openssl_sign(dir.path(), &next().employee, &terms.encode());
    let bundle = runtime
        .block_on(registry.evidence(&id, Some(Entitlement::ContractCms(contract.clone()))))
        .unwrap();

    let mut anchors = pki().trust_anchors().unwrap();
    anchors.add(next().anchor().unwrap());
    let key = registry.verifier_key();
    let accepted = verdict(&contract, &bundle, &key, anchors.clone());
    assert!(accepted.accepted(), "{accepted:#?}");
    assert_eq!(
        accepted
            .facts
            .signer
            .as_ref()
            .and_then(|s| s.name.as_deref()),
        Some("山田　太郎"),
        "{accepted:#?}"
    );
    // Both were signed by the new cards, ecdsa-with-SHA384.
    const ECDSA_WITH_SHA384: [u8; 10] =
        [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    for (cms, card) in [
        (&poa, &next().representative_card),
        (&contract, &next().employee),
    ] {
        let signed = eproxy_verifier::verify_cms::verify_cms(&AWS_LC, cms, None, &[]).unwrap();
        assert_eq!(signed.signer.sha256(), &card.sha256());
        assert!(cms.windows(10).any(|w| w == ECDSA_WITH_SHA384));
    }

    // Without the next-generation root, nothing vouches for either card.
    let rejected = verdict(&contract, &bundle, &key, pki().trust_anchors().unwrap());
    assert!(!rejected.accepted());
    // A contract whose ECDSA signature was altered does not verify.
    let mut forged = contract.clone();
    let signature = eproxy_verifier::verify_cms::verify_cms(&AWS_LC, &contract, None, &[])
        .unwrap()
        .signature
        .to_vec();
    let at = forged
        .windows(signature.len())
        .rposition(|w| w == signature)
        .unwrap();
    forged[at + signature.len() - 3] ^= 0x01;
    let rejected = verdict(&forged, &bundle, &key, anchors);
    assert!(!rejected.accepted(), "{rejected:#?}");
}
