//! The whole story against a real registry process: a PoA issued, signed and submitted; a
//! contract signed under it and verified from the registry's evidence; the PoA revoked and a
//! later contract rejected; the evidence verified offline with the server stopped; and the log
//! monitored across growth, then caught forking (a second registry with the same key and
//! another history).

use std::path::Path;

mod common;
use common::registry::Registry;
use common::{Desk, Tsa, eproxy, json, monitor_from};

/// The registry test's checks at the desk.
impl Desk {
    /// `eproxy verify --json` of `contract` against `bundle`, strictly, with the CRLs, as the
    /// counterparty.
    fn verify(
        &self,
        contract: &str,
        bundle: &str,
        operator_key: &Path,
    ) -> (i32, serde_json::Value) {
        self.verify_with(contract, bundle, operator_key, &[])
    }

    /// [`Desk::verify`] with `extra` arguments.
    fn verify_with(
        &self,
        contract: &str,
        bundle: &str,
        operator_key: &Path,
        extra: &[&str],
    ) -> (i32, serde_json::Value) {
        let output = eproxy()
            .args(["verify", "--json"])
            .arg(self.path(contract))
            .arg("--trust")
            .arg(self.pki("trust"))
            .arg("--evidence")
            .arg(self.path(bundle))
            .arg("--operator-key")
            .arg(operator_key)
            .arg("--crl")
            .arg(self.pki("crl/jpki-signing.crl.pem"))
            .arg("--crl")
            .arg(self.pki("crl/commercial-registration.crl.pem"))
            .arg("--crl")
            .arg(self.pki("crl/tsa.crl.pem"))
            .arg("--document")
            .arg(self.path("contract.pdf"))
            .args(["--counterparty", eproxy_testkit::scenario::COUNTERPARTY])
            .args(extra)
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            serde_json::from_slice(&output.stdout).unwrap_or_default(),
        )
    }
}

fn monitor(registry: &Registry, state: &Path, operator_key: &Path) -> (i32, serde_json::Value) {
    monitor_from(&["--registry", &registry.url], state, operator_key)
}

/// The same monitor, reading the log from its tiles over HTTP instead of the gRPC API.
fn monitor_tiles(
    registry: &Registry,
    state: &Path,
    operator_key: &Path,
) -> (i32, serde_json::Value) {
    monitor_from(&["--tiles", &registry.tiles], state, operator_key)
}

/// Waits (up to 5 s) until `registry` publishes a checkpoint of `size` entries: checkpoints
/// follow entries within a second.
fn wait_for_size(registry: &Registry, size: u64, operator_key: &Path) {
    let probe = tempfile::tempdir().unwrap();
    for _ in 0..50 {
        let state = probe.path().join("probe.json");
        let _ = std::fs::remove_file(&state);
        let (code, report) = monitor(registry, &state, operator_key);
        assert_eq!(code, 0, "{report}");
        if report["size"].as_u64() == Some(size) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no checkpoint of size {size} within 5 s");
}

#[test]
fn issue_submit_verify_revoke_monitor_and_catch_a_fork() {
    let desk = Desk::new();
    let mut registry = Registry::start(&desk.pki(""), None);
    let operator_key = registry.operator_key();
    let state = desk.path("monitor.json");

    let (code, first) = monitor(&registry, &state, &operator_key);
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["verdict"], "first");
    // A second monitor reads the same log from its tiles alone.
    let tiles_state = desk.path("monitor-tiles.json");
    let (code, first) = monitor_tiles(&registry, &tiles_state, &operator_key);
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["verdict"], "first");

    // Issue and submit; the same bytes again add nothing.
    let poa_id = desk.poa(5_000_000, "poa.p7s");
    let poa = desk.path("poa.p7s").display().to_string();
    let submitted = json(&registry.cli(&["delegation", "submit", &poa]));
    assert_eq!(submitted["delegation_id"], poa_id.as_str());
    assert_eq!(submitted["already_registered"], false);
    // The receipt is checked under the operator's key; under another operator's it fails.
    assert_eq!(submitted["receipt_verified"], true);
    let other = Registry::start(&desk.pki(""), None);
    let wrong_key = eproxy()
        .args([
            "delegation",
            "submit",
            &poa,
            "--registry",
            &registry.url,
            "--operator-key",
        ])
        .arg(other.operator_key())
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(wrong_key.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong_key.stderr)
            .contains("receipt does not verify under the operator's key"),
        "{}",
        String::from_utf8_lossy(&wrong_key.stderr)
    );
    drop(other);
    let again = json(&registry.cli(&["delegation", "submit", &poa]));
    assert_eq!(again["already_registered"], true);
    assert_eq!(again["log_index"], submitted["log_index"]);
    let status = json(&registry.cli(&["delegation", "status", &poa_id]));
    assert_eq!(status["status"], "active");

    // The company lists its PoAs.
    let mut list_args = vec!["delegation", "list"];
    let representative = desk.representative();
    list_args.extend(representative.iter().map(String::as_str));
    let listed = json(&registry.cli(&list_args));
    assert_eq!(listed[0]["delegation_id"], poa_id.as_str());
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // And shows one by its id, fetched from the registry with its status.
    let mut show_args = vec!["delegation", "show", poa_id.as_str()];
    show_args.extend(representative.iter().map(String::as_str));
    let shown = json(&registry.cli(&show_args));
    assert_eq!(shown["delegation_id"], poa_id.as_str());
    assert_eq!(shown["registry_status"]["status"], "active");
    assert_eq!(shown["delegation"]["amount_cap_yen"], 5_000_000);

    // The employee signs a contract; the counterparty fetches the evidence with it and the
    // strict verdict accepts.
    let tsa = Tsa::start(&desk, None);
    let signed = desk.contract(&poa_id, "contract.p7s", &tsa);
    assert!(signed["timestamp"]["unix"].as_i64().is_some(), "{signed}");
    let contract = desk.path("contract.p7s").display().to_string();
    let bundle = desk.path("bundle.pb").display().to_string();
    let output = registry.cli(&[
        "delegation",
        "evidence",
        &poa_id,
        "--contract",
        &contract,
        "-o",
        &bundle,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (code, report) = desk.verify("contract.p7s", "bundle.pb", &operator_key);
    assert_eq!(code, 0, "{report}");
    // Timestamped, with the registry's evidence and every CRL: nothing is left unchecked.
    assert_eq!(report["time_source"], "timestamp", "{report}");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(report["checkpoint_size"], 1);

    // A counterparty that requires a witness's cosignature rejects the same evidence, which
    // no witness cosigned, and says whose cosignature is missing; with `quorum none` it
    // accepts.
    let witness = eproxy_verifier::note::VerifierKey::of_type(
        "witness.example/w1",
        eproxy_verifier::note::KeyType::Cosignature,
        [7; 32],
    )
    .unwrap();
    for (policy, expected) in [
        (format!("witness W1 {witness}\nquorum W1\n"), 1),
        ("quorum none\n".to_owned(), 0),
    ] {
        std::fs::write(desk.path("witnesses.policy"), &policy).unwrap();
        let witnesses = desk.path("witnesses.policy").display().to_string();
        let (code, report) = desk.verify_with(
            "contract.p7s",
            "bundle.pb",
            &operator_key,
            &["--witness-policy", &witnesses],
        );
        assert_eq!(code, expected, "{policy}: {report}");
        if expected == 1 {
            let reason = &report["reasons"][0];
            assert_eq!(reason["kind"], "Evidence", "{report}");
            assert!(
                reason["message"]
                    .as_str()
                    .unwrap()
                    .ends_with("no valid cosignature by W1"),
                "{report}"
            );
        }
    }

    // The same in one step: verify fetches the evidence itself, the contract as entitlement.
    let output = eproxy()
        .args(["verify", "--json"])
        .arg(desk.path("contract.p7s"))
        .arg("--trust")
        .arg(desk.pki("trust"))
        .args(["--registry", &registry.url, "--operator-key"])
        .arg(&operator_key)
        .arg("--crl")
        .arg(desk.pki("crl/jpki-signing.crl.pem"))
        .arg("--crl")
        .arg(desk.pki("crl/commercial-registration.crl.pem"))
        .arg("--crl")
        .arg(desk.pki("crl/tsa.crl.pem"))
        .output()
        .unwrap();
    let fetched = json(&output);
    assert_eq!(fetched["accepted"], true, "{fetched}");
    assert_eq!(fetched["chain"][0], poa_id.as_str());

    // The PoA's registration as a C2SP tlog-proof, from the evidence and from the tiles alone:
    // each proves this PoA's registration and nothing else's, and lacks the cosignature a
    // policy requiring W1 asks for.
    let index = submitted["log_index"].as_u64().unwrap().to_string();
    std::fs::write(
        desk.path("witnesses.policy"),
        format!("witness W1 {witness}\nquorum W1\n"),
    )
    .unwrap();
    let sources: [(&str, Vec<&str>); 2] = [
        ("evidence", vec!["--evidence", &bundle]),
        ("tiles", vec!["--tiles", &registry.tiles, "--index", &index]),
    ];
    for (name, source) in sources {
        let proof = desk.path(&format!("{name}.tlog-proof"));
        let output = eproxy()
            .args(["log", "prove", "--poa", &poa])
            .args(&source)
            .arg("--operator-key")
            .arg(&operator_key)
            .arg("-o")
            .arg(&proof)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&proof).unwrap();
        assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{text}");
        assert!(text.contains(&format!("\nindex {index}\n")), "{text}");
        let check = |poa: &str, extra: &[&str]| {
            let output = eproxy()
                .args(["log", "check-proof", "--json", "--poa", poa])
                .arg(&proof)
                .arg("--operator-key")
                .arg(&operator_key)
                .args(extra)
                .output()
                .unwrap();
            let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            (output.status.code().unwrap(), report)
        };
        let (code, report) = check(&poa, &[]);
        assert_eq!(code, 0, "{name}: {report}");
        assert_eq!(report["index"].to_string(), index, "{report}");
        let (code, report) = check(&contract, &[]);
        assert_eq!(code, 1, "{name}: {report}");
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .contains("not this power of attorney's registration"),
            "{report}"
        );
        let policy = desk.path("witnesses.policy").display().to_string();
        let (code, report) = check(&poa, &["--witness-policy", &policy]);
        assert_eq!(code, 1, "{name}: {report}");
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .ends_with("no valid cosignature by W1")
        );
    }
    // Past the published log, the tiles have nothing to prove.
    let beyond = eproxy()
        .args([
            "log",
            "prove",
            "--poa",
            &poa,
            "--tiles",
            &registry.tiles,
            "--index",
            "99",
        ])
        .arg("--operator-key")
        .arg(&operator_key)
        .output()
        .unwrap();
    assert_eq!(beyond.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&beyond.stderr).contains("beyond the published checkpoint"));

    // Someone without a contract under the PoA gets nothing.
    std::fs::write(desk.path("not-a-contract.p7s"), b"\x30\x03\x02\x01\x00").unwrap();
    let other = desk.path("not-a-contract.p7s").display().to_string();
    let denied = registry.cli(&[
        "delegation",
        "evidence",
        &poa_id,
        "--contract",
        &other,
        "-o",
        "/dev/null",
    ]);
    assert_eq!(denied.status.code(), Some(2));

    wait_for_size(&registry, 1, &operator_key);
    let (code, grown) = monitor(&registry, &state, &operator_key);
    assert_eq!(code, 0, "{grown}");
    assert_eq!(grown["verdict"], "consistent");
    assert_eq!(grown["growth"], 1);

    // The representative revokes; status says so, and a contract judged now is rejected.
    let mut revoke_args = vec![
        "delegation",
        "revoke",
        poa_id.as_str(),
        "--reason-code",
        "left-company",
        "--reason",
        "退職",
    ];
    revoke_args.extend(representative.iter().map(String::as_str));
    let revoked = json(&registry.cli(&revoke_args));
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["reason_code"], "left-company");
    assert_eq!(revoked["reason"], "退職");
    // The public status gives the code, never the revoker's words.
    let status = json(&registry.cli(&["delegation", "status", &poa_id]));
    assert_eq!(status["status"], "revoked");
    assert_eq!(status["reason_code"], "left-company");
    assert_eq!(status["reason"], serde_json::Value::Null);

    // A contract signed and timestamped after the revocation (a second later at least, so
    // that the two times differ even at the granularity of a second).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    desk.contract(&poa_id, "late-contract.p7s", &tsa);
    let late = desk.path("late-contract.p7s").display().to_string();
    let late_bundle = desk.path("late-bundle.pb").display().to_string();
    let output = registry.cli(&[
        "delegation",
        "evidence",
        &poa_id,
        "--contract",
        &late,
        "-o",
        &late_bundle,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    wait_for_size(&registry, 2, &operator_key);
    let (code, grown) = monitor(&registry, &state, &operator_key);
    assert_eq!(code, 0, "{grown}");
    assert_eq!(grown["growth"], 1);
    let size = grown["size"].as_u64().unwrap();
    let (code, from_tiles) = monitor_tiles(&registry, &tiles_state, &operator_key);
    assert_eq!(code, 0, "{from_tiles}");
    assert_eq!(from_tiles["verdict"], "consistent");
    assert_eq!(
        (&from_tiles["size"], &from_tiles["root"]),
        (&grown["size"], &grown["root"])
    );

    // With the server stopped, the evidence still decides: the later contract is rejected for
    // the revocation, and nothing needed the network.
    registry.stop();
    let (code, report) = desk.verify("late-contract.p7s", "late-bundle.pb", &operator_key);
    assert_eq!(code, 1, "{report}");
    let kinds: Vec<&str> = report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds
            .iter()
            .any(|k| k.contains("Revoked") || k.contains("Status")),
        "{report}"
    );

    // A second registry with the operator's key and another history: more entries than the
    // monitor saw, but not an extension of them. The monitor says so, loudly.
    let fork = Registry::start(&desk.pki(""), Some(&registry));
    // Its empty log, signed with the same key, is a shrunken one.
    let (code, alert) = monitor(&fork, &state, &operator_key);
    assert_eq!(code, 1, "{alert}");
    assert!(
        alert["alert"].as_str().unwrap().contains("shrank"),
        "{alert}"
    );
    for cap in 1..=size + 1 {
        let file = format!("fork-{cap}.p7s");
        desk.poa(cap, &file);
        let path = desk.path(&file).display().to_string();
        json(&fork.cli(&["delegation", "submit", &path]));
    }
    wait_for_size(&fork, size + 1, &operator_key);
    let (code, alert) = monitor(&fork, &state, &operator_key);
    assert_eq!(code, 1, "{alert}");
    assert_eq!(alert["verdict"], "INCONSISTENT");
    assert!(
        alert["alert"].as_str().unwrap().contains("forked"),
        "{alert}"
    );
    // Read from the fork's tiles, the fork is caught alike: the proof computed from them does
    // not lead from the tree the monitor saw.
    let (code, alert) = monitor_tiles(&fork, &tiles_state, &operator_key);
    assert_eq!(code, 1, "{alert}");
    assert_eq!(alert["verdict"], "INCONSISTENT");
    assert!(
        alert["alert"].as_str().unwrap().contains("forked"),
        "{alert}"
    );
    // The state keeps the checkpoint that proves it.
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(kept["size"].as_u64(), Some(size));
}

#[test]
fn registry_commands_need_a_registry_and_the_operator_key() {
    let output = eproxy()
        .args(["delegation", "status", &"0".repeat(64)])
        .env_remove("EPROXY_REGISTRY")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no registry named"));

    let output = eproxy()
        .args([
            "delegation",
            "status",
            &"0".repeat(64),
            "--registry",
            "http://127.0.0.1:1",
        ])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("operator's key"));
}

/// The employee, with nothing but his own card and the CLI, tries to make himself the
/// company's representative: a root PoA naming himself, no cap, any counterparty, replacing
/// the PoA the company gave him. The registry refuses it and the genuine PoA stays in force;
/// a 10,000,000,000 yen contract he signs under it is rejected with the reason.
#[test]
fn an_employee_cannot_appoint_himself_or_pass_a_contract_under_his_own_poa() {
    let desk = Desk::new();
    let registry = Registry::start(&desk.pki(""), None);
    let genuine = desk.poa(5_000_000, "poa.p7s");
    let poa = desk.path("poa.p7s").display().to_string();
    assert!(
        registry
            .cli(&["delegation", "submit", &poa])
            .status
            .success()
    );

    let company = eproxy_testkit::TestPki::standard().company.clone();
    eproxy()
        .args(["delegation", "new", "--company"])
        .arg(company.corporate_number().unwrap().to_string())
        .args(["--company-name", &company.corporate_name])
        .args(["--company-address", &company.corporate_address])
        .args(["--representative", "山田　太郎"])
        .arg("--delegatee-cert")
        .arg(desk.pki("employee/yamada.pem"))
        .args([
            "--delegatee-name",
            "山田　太郎",
            "--matter",
            "conclude-contracts",
        ])
        .args(["--amount-cap", "none", "--counterparty", "any"])
        .args(["--supersedes", &genuine])
        .args([
            "--from",
            &common::date("-1 day", "+%Y-%m-%d"),
            "--until",
            &common::date("+365 days", "+%Y-%m-%d"),
            "-o",
        ])
        .arg(desk.path("forged.toml"))
        .assert()
        .success();
    let card = format!(
        "pem:{},{}",
        desk.pki("employee/yamada.key.pem").display(),
        desk.pki("employee/yamada.pem").display()
    );
    let signed = eproxy()
        .args(["delegation", "sign", "--json"])
        .arg(desk.path("forged.toml"))
        .args(["--key", &card, "-o"])
        .arg(desk.path("forged.p7s"))
        .output()
        .unwrap();
    let forged_id = json(&signed)["delegation_id"].as_str().unwrap().to_owned();
    let forged = desk.path("forged.p7s").display().to_string();

    let refused = registry.cli(&["delegation", "submit", &forged]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("no enrollment binds this certificate to the company"),
        "{message}"
    );
    let status = json(&registry.cli(&["delegation", "status", &genuine]));
    assert_eq!(status["status"], "active");
    let status = json(&registry.cli(&["delegation", "status", &forged_id]));
    assert_eq!(status["status"], "unknown");

    // His land sale under his own PoA, given directly: rejected, the reason named.
    std::fs::write(
        desk.path("terms.toml"),
        format!(
            "delegation = \"{forged_id}\"\nmatter = \"conclude-contracts\"\n\
             counterparty = \"{}\"\namount_yen = 10000000000\ntitle = \"土地売買契約書\"\n\
             media_type = \"application/pdf\"\n",
            eproxy_testkit::scenario::COUNTERPARTY
        ),
    )
    .unwrap();
    std::fs::write(desk.path("contract.pdf"), b"%PDF-1.7 land sale").unwrap();
    eproxy()
        .args(["contract", "sign", "--json", "--terms"])
        .arg(desk.path("terms.toml"))
        .arg("--document")
        .arg(desk.path("contract.pdf"))
        .args(["--key", &card, "-o"])
        .arg(desk.path("land.p7s"))
        .assert()
        .success();
    let verdict = eproxy()
        .args(["verify", "--json", "--lenient"])
        .arg(desk.path("land.p7s"))
        .arg("--trust")
        .arg(desk.pki("trust"))
        .arg("--poa")
        .arg(desk.path("forged.p7s"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&verdict.stdout).unwrap();
    assert_eq!(verdict.status.code(), Some(1), "{report}");
    assert_eq!(report["accepted"], false);
    let reasons = report["reasons"].to_string();
    assert!(
        reasons.contains("authority to represent the company is not proven"),
        "{reasons}"
    );
    // And against the registry, which never registered it.
    let verdict = eproxy()
        .args(["verify", "--json"])
        .arg(desk.path("land.p7s"))
        .arg("--trust")
        .arg(desk.pki("trust"))
        .args(["--registry", &registry.url, "--operator-key"])
        .arg(registry.operator_key())
        .output()
        .unwrap();
    assert_ne!(verdict.status.code(), Some(0));
}

/// The representative links her My Number card with both keys; the card then grants like her
/// commercial-registration certificate, until she ends its enrollment.
#[test]
fn a_representative_links_her_card_which_then_grants_until_unlinked() {
    let desk = Desk::new();
    let registry = Registry::start(&desk.pki(""), None);
    let card = format!(
        "pem:{},{}",
        desk.pki("representative/sato-card.key.pem").display(),
        desk.pki("representative/sato-card.pem").display()
    );
    let mut link = vec!["card", "link", "--card", &card];
    let representative = desk.representative();
    link.extend(representative.iter().map(String::as_str));
    let linked = json(&registry.cli(&link));
    let pem = std::fs::read(desk.pki("representative/sato-card.pem")).unwrap();
    let der = eproxy_verifier::pem::decode_all(
        &pem,
        "CERTIFICATE",
        eproxy_verifier::InputKind::Certificate,
    )
    .unwrap()
    .remove(0);
    let card_sha256 = hex::encode(
        eproxy_verifier::certificate::Certificate::from_der(&der)
            .unwrap()
            .sha256(),
    );
    assert_eq!(linked["card_certificate_sha256"], card_sha256.as_str());
    assert_eq!(linked["log_index"], 0);

    // The card signs a PoA as the representative, and the registry registers it.
    let poa_with = |key: &str, out: &str| {
        desk.poa(5_000_000, "poa.p7s");
        let signed = eproxy()
            .args(["delegation", "sign", "--json"])
            .arg(desk.path("poa.toml"))
            .args(["--key", key, "-o"])
            .arg(desk.path(out))
            .output()
            .unwrap();
        assert!(signed.status.success(), "{signed:?}");
        desk.path(out).display().to_string()
    };
    let by_card = poa_with(&card, "by-card.p7s");
    let submitted = registry.cli(&["delegation", "submit", &by_card]);
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );

    // She ends the card's enrollment: what it granted stands, it grants nothing more.
    let mut unlink = vec!["card", "unlink", "--reason", "紛失 (lost)"];
    let card_file = desk
        .pki("representative/sato-card.pem")
        .display()
        .to_string();
    unlink.push(&card_file);
    unlink.extend(representative.iter().map(String::as_str));
    let unlinked = json(&registry.cli(&unlink));
    assert_eq!(unlinked["card_certificate_sha256"], card_sha256.as_str());
    std::fs::write(
        desk.path("poa.toml"),
        std::fs::read_to_string(desk.path("poa.toml"))
            .unwrap()
            .replace("5000000", "4000000"),
    )
    .unwrap();
    let signed = eproxy()
        .args(["delegation", "sign", "--json"])
        .arg(desk.path("poa.toml"))
        .args(["--key", &card, "-o"])
        .arg(desk.path("late.p7s"))
        .output()
        .unwrap();
    assert!(signed.status.success());
    let late = desk.path("late.p7s").display().to_string();
    let refused = registry.cli(&["delegation", "submit", &late]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("was in force from"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let id = json(&registry.cli(&["delegation", "submit", &by_card]))["delegation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = json(&registry.cli(&["delegation", "status", &id]));
    assert_eq!(status["status"], "active");
}
