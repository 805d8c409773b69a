//! The CLI against a registry on several machines: given the nodes' URLs, it reaches the one
//! that serves, past a node that cannot be reached and past one that takes no writes.

mod common;

use common::registry::Registry;
use common::{Desk, eproxy, json, stderr};
use eproxy_testkit::registry::postgres::Postgres;
use eproxy_testkit::registry::process::free_port;

#[test]
fn the_cli_goes_past_an_unreachable_node_and_a_follower_to_the_writer() {
    let desk = Desk::new();
    let database = Postgres::start();
    let pki = desk.path("pki");
    let first = Registry::start_node(&pki, None, &database.url(), "a");
    let second = Registry::start_node(&pki, Some(&first), &database.url(), "b");
    let dead = format!("http://127.0.0.1:{}", free_port());
    let submit_file = |file: &str, registries: &str| {
        eproxy()
            .args(["delegation", "submit", "--json"])
            .arg(desk.path(file))
            .args(["--registry", registries, "--operator-key"])
            .arg(first.operator_key())
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .output()
            .unwrap()
    };
    let submit = |registries: &str| submit_file("poa.p7s", registries);
    let id = desk.poa(900_000, "poa.p7s");
    desk.poa(900_001, "probe.p7s");
    // Wait until a writer is elected (either node may take the role): the other then names it.
    // The probe is a PoA of its own, which the writer may register meanwhile.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let (writer, follower, alone) = loop {
        let output = submit_file("probe.p7s", &second.url);
        if stderr(&output).contains(&first.url) {
            break (&first, &second, output);
        }
        let output = submit_file("probe.p7s", &first.url);
        if stderr(&output).contains(&second.url) {
            break (&second, &first, output);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no writer named: {}",
            stderr(&output)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(!alone.status.success(), "the follower alone takes no write");
    assert!(stderr(&alone).contains("UNAVAILABLE") || stderr(&alone).contains("Unavailable"));

    let through = submit(&format!("{dead},{},{}", follower.url, writer.url));
    let report = json(&through);
    assert_eq!(report["delegation_id"], id);
    assert_eq!(report["receipt_verified"], true);
    assert_eq!(report["already_registered"], false);

    // A read is served by the first node that answers: the follower.
    let status = eproxy()
        .args(["delegation", "status", "--json", &id])
        .args(["--registry", &format!("{dead},{}", follower.url)])
        .arg("--operator-key")
        .arg(first.operator_key())
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(json(&status)["status"], "active");

    // Only unreachable nodes: the error says so.
    let nowhere = submit(&dead);
    assert!(!nowhere.status.success());
    assert!(
        stderr(&nowhere).contains("cannot reach the registry"),
        "{}",
        stderr(&nowhere)
    );
}
