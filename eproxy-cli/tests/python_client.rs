//! A client in another language: `tests/python/registry_client.py`, whose stubs are compiled from
//! the .proto files alone, talks to a real registry about a PoA the CLI produced. It checks the
//! operator's signatures and the inclusion proof itself; this test checks that what it saw is
//! what the CLI sees.

use std::path::Path;
use std::process::Command as Process;

mod common;
use common::registry::Registry;
use common::{Desk, Tsa, json};

/// The repository's root (this crate's parent).
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn a_python_client_built_from_the_protos_submits_reads_and_proves_inclusion() {
    let desk = Desk::new();
    let registry = Registry::start(&desk.pki(""), None);
    let tsa = Tsa::start(&desk, None);
    // A first PoA through the CLI, so that the Python client's has a neighbour in the log and
    // its inclusion proof is not empty.
    desk.poa(1_000_000, "first.p7s");
    let first = desk.path("first.p7s").display().to_string();
    assert_eq!(
        json(&registry.cli(&["delegation", "submit", &first]))["log_index"],
        0
    );
    let id = desk.poa(5_000_000, "poa.p7s");
    desk.contract(&id, "contract.p7s", &tsa);

    let output = Process::new(root().join("tests/python/run"))
        .arg("--registry")
        .arg(registry.url.trim_start_matches("http://"))
        .arg("--proto")
        .arg(root().join("proto"))
        .arg("--operator-key")
        .arg(registry.operator_key())
        .arg("--poa")
        .arg(desk.path("poa.p7s"))
        .arg("--contract")
        .arg(desk.path("contract.p7s"))
        .output()
        .unwrap();
    let seen = json(&output);
    assert_eq!(seen["delegation_id"], id.as_str());
    assert_eq!(seen["log_index"], 1);
    assert_eq!(seen["status"], "DELEGATION_STATUS_ACTIVE");
    assert_eq!(seen["checkpoint_size"], 2);
    assert_eq!(seen["proof_hashes"], 1);

    // The CLI, verifying under the operator's key, agrees with what Python registered.
    let poa = desk.path("poa.p7s").display().to_string();
    let again = json(&registry.cli(&["delegation", "submit", &poa]));
    assert_eq!(again["already_registered"], true);
    assert_eq!(again["log_index"], 1);
    let status = json(&registry.cli(&["delegation", "status", &id]));
    assert_eq!(status["delegation_id"], id.as_str());
    assert_eq!(status["status"], "active");
}
