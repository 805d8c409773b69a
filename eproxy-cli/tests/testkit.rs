//! `eproxy testkit init`, driven through the real binary.

mod common;
use common::eproxy;

#[test]
fn init_writes_a_marked_test_pki_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pki");
    let assert = eproxy()
        .args(["testkit", "init", "--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert!(
        report["test_material_only"]
            .as_str()
            .unwrap()
            .starts_with("TEST MATERIAL ONLY")
    );
    let password = report["pkcs12_password"].as_str().unwrap();
    assert!(!password.is_empty());
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for expected in [
        "trust/jpki-signing/root.pem",
        "trust/commercial-registration/root.pem",
        "trust/tsa/root.pem",
        "employee/yamada.p12",
        "employee/yamada.pem",
        "representative/sato.p12",
        "representative/sato.key.pem",
        "crl/jpki-signing.crl.pem",
        "README.txt",
    ] {
        assert!(
            files.contains(&expected),
            "{expected} missing from {files:?}"
        );
    }
    for file in &files {
        assert!(out.join(file).is_file(), "{file} reported but not written");
    }
    let readme = std::fs::read_to_string(out.join("README.txt")).unwrap();
    assert!(readme.starts_with("TEST MATERIAL ONLY"));
    assert!(readme.contains(password));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |f: &str| std::fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("representative/sato.p12"), 0o600);
        assert_eq!(mode("representative/sato.key.pem"), 0o600);
        assert_eq!(mode("trust/jpki-signing/root.pem"), 0o644);
    }
}

#[test]
fn init_never_writes_among_other_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), b"mine").unwrap();
    let assert = eproxy()
        .args(["testkit", "init", "--out"])
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert!(stderr.contains("what to do:"), "{stderr}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing was added");
}

#[test]
fn the_same_seed_gives_the_same_keys_and_the_text_summary_names_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        let assert = eproxy()
            .args(["testkit", "init", "--seed", "fixed seed", "--out"])
            .arg(&out)
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
        (out, stdout)
    };
    let (a, summary) = run("a");
    let (b, _) = run("b");
    assert!(summary.starts_with("TEST MATERIAL ONLY"), "{summary}");
    assert!(summary.contains("password"), "{summary}");
    let key = |dir: &std::path::Path| std::fs::read(dir.join("employee/yamada.key.pem")).unwrap();
    assert_eq!(key(&a), key(&b));
}

#[test]
fn usage_errors_exit_2_and_completions_are_printed() {
    eproxy().args(["testkit", "init"]).assert().code(2);
    eproxy().args(["no-such-command"]).assert().code(2);
    let assert = eproxy().args(["completions", "bash"]).assert().success();
    let script = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        script.contains("eproxy") && script.contains("testkit"),
        "{script}"
    );
}
