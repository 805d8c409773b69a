//! The log as static files: a registry writes its tiles to a directory, nginx (Debian's)
//! serves that directory as it is, and `eproxy log monitor --tiles` follows the log through
//! nginx alone, byte for byte what the registry's own listener serves.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::registry::Registry;
use common::{Desk, json, monitor_from};
use eproxy_testkit::registry::{Nginx, http_get, ok_body};
use eproxy_verifier::tile::tiles_between;

/// Waits (up to 10 s) until the directory's checkpoint covers `size` entries.
fn wait_for_files(dir: &Path, size: u64) {
    let started = Instant::now();
    loop {
        let checkpoint = std::fs::read_to_string(dir.join("checkpoint")).unwrap_or_default();
        let written = checkpoint
            .lines()
            .nth(1)
            .and_then(|l| l.parse::<u64>().ok());
        if written.is_some_and(|written| written >= size) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no tiles of {size} entries written within 10 s (checkpoint {checkpoint:?})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn monitor(tiles: &str, state: &Path, operator_key: &Path) -> (i32, serde_json::Value) {
    monitor_from(&["--tiles", tiles], state, operator_key)
}

#[test]
fn a_monitor_follows_the_log_through_nginx_serving_the_written_tiles() {
    let desk = Desk::new();
    let files = desk.path("tiles");
    let registry = Registry::start_with(&desk.pki(""), None, "127.0.0.1:0", |text| {
        text.replace(
            "tiles_directory = \"\"",
            &format!("tiles_directory = \"{}\"", files.display()),
        )
    });
    let operator_key = registry.operator_key();
    let state = desk.path("monitor.json");

    let submit = |count: u64, from: u64| {
        for cap in from..from + count {
            let file = format!("poa-{cap}.p7s");
            desk.poa(cap, &file);
            let path = desk.path(&file).display().to_string();
            json(&registry.cli(&["delegation", "submit", &path]));
        }
    };
    submit(2, 1);
    wait_for_files(&files, 2);
    let nginx = Nginx::serve(&files);
    let through_nginx = format!("http://{}", nginx.address);
    let (code, first) = monitor(&through_nginx, &state, &operator_key);
    assert_eq!(code, 0, "{first}");
    assert_eq!(
        (&first["verdict"], &first["size"]),
        (&"first".into(), &2.into())
    );

    submit(3, 3);
    wait_for_files(&files, 5);
    let (code, grown) = monitor(&through_nginx, &state, &operator_key);
    assert_eq!(code, 0, "{grown}");
    assert_eq!(grown["verdict"], "consistent");
    assert_eq!((&grown["size"], &grown["growth"]), (&5.into(), &3.into()));

    // nginx serves, byte for byte, what the registry's listener serves.
    let listener = registry.tiles.trim_start_matches("http://");
    for path in tiles_between(0, 5) {
        let path = format!("/{path}");
        let from_nginx = http_get(&nginx.address, &path);
        let from_registry = http_get(listener, &path);
        assert_eq!(ok_body(&from_nginx), ok_body(&from_registry), "{path}");
        assert!(ok_body(&from_nginx).is_some(), "{path}");
    }
    let checkpoint = http_get(&nginx.address, "/checkpoint");
    assert_eq!(
        ok_body(&checkpoint),
        ok_body(&http_get(listener, "/checkpoint"))
    );
    let head = String::from_utf8_lossy(&checkpoint).to_lowercase();
    assert!(head.contains("cache-control: public, max-age=2"), "{head}");
}
