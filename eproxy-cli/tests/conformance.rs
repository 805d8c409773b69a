//! The x509-limbo path-validation suite (`tests/conformance/x509-limbo`) through the real
//! binary, as its own `run.sh` calls it: the score must not fall below the one CONFORMANCE.md
//! records, every case must answer valid or invalid (no error, no timeout), and every case the
//! record lists as agreeing must still agree.

use std::path::Path;
use std::process::Command;

/// Cases agreeing with the suite's expectation, as CONFORMANCE.md records.
const RECORDED_AGREEMENT: usize = 153;

/// The cases CONFORMANCE.md lists as disagreeing, each with its reason there.
const KNOWN_DISAGREEMENTS: [&str; 1] = ["rfc5280::aki::cross-signed-root-missing-aki"];

/// The suite's one-line summary: `limbo: N agree, M disagree, K errors of T`.
fn summary(output: &str) -> (usize, usize, usize, usize) {
    let line = output
        .lines()
        .find(|line| line.starts_with("limbo: "))
        .unwrap_or_else(|| panic!("run.sh printed no summary:\n{output}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers[..] {
        [agree, disagree, errors, total] => (agree, disagree, errors, total),
        _ => panic!("unexpected summary {line:?}"),
    }
}

#[test]
fn x509_limbo_agreement_stays_at_the_recorded_figure() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/x509-limbo");
    let results = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .arg(suite.join("run.sh"))
        .arg(env!("CARGO_BIN_EXE_eproxy"))
        .arg(results.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "run.sh failed: {stdout}");
    let (agree, disagree, errors, total) = summary(&stdout);
    let disagreements = std::fs::read_to_string(results.path().join("disagreements.tsv")).unwrap();
    let error_cases = std::fs::read_to_string(results.path().join("errors.tsv")).unwrap();
    println!("{stdout}");
    assert_eq!(total, 154, "the suite holds 154 cases");
    assert_eq!(
        errors, 0,
        "cases without a valid/invalid answer:\n{error_cases}"
    );
    assert!(
        agree >= RECORDED_AGREEMENT,
        "{agree} agree ({disagree} disagree), below the recorded {RECORDED_AGREEMENT}:\n{disagreements}"
    );
    for line in disagreements.lines().skip(1) {
        let id = line.split('\t').next().unwrap_or_default();
        assert!(
            KNOWN_DISAGREEMENTS.contains(&id),
            "{id} disagrees, and CONFORMANCE.md records it as agreeing:\n{line}"
        );
    }
}
