//! Runs the real binary against a temporary data directory.

use std::process::Command;

#[test]
fn creates_the_store_with_every_column_family_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_eproxy-registry"))
            .args(["--data-dir".as_ref(), data.as_os_str()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.contains(
                "default, poa, status, by_company, by_delegatee, log_leaves, log_tree, audit"
            ),
            "{stdout}"
        );
    }
    assert!(
        data.join("CURRENT").is_file(),
        "RocksDB wrote no CURRENT file"
    );
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_eproxy-registry"))
        .arg("--frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("unknown argument \"--frobnicate\""),
        "{stderr}"
    );
    assert!(stderr.contains("usage: eproxy-registry"), "{stderr}");
}
