//! The log as static files: a registry writes its tiles to a directory, nginx (Debian's)
//! serves that directory as it is, and `eproxy log monitor --tiles` follows the log through
//! nginx alone, byte for byte what the registry's own listener serves.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

mod common;
use common::registry::Registry;
use common::{Desk, json, monitor_from};
use eproxy_testkit::registry::process::free_port;
use eproxy_testkit::registry::{http_get, ok_body};
use eproxy_verifier::tile::tiles_between;

/// nginx serving `root` on a free loopback port, stopped when dropped. One process, no
/// workers (`master_process off`): a worker would outlive its killed master, and with it the
/// test's output.
struct Nginx {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn serve(root: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("127.0.0.1:{}", free_port());
        let d = dir.path().display();
        // As root, the workers would otherwise run as nobody, who cannot read a private
        // temporary directory.
        let user = if running_as_root() { "user root;" } else { "" };
        let config = format!(
            "{user}\nmaster_process off;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
             events {{}}\nhttp {{\n\
             access_log off;\n\
             client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
             types {{}}\ndefault_type application/octet-stream;\n\
             server {{\nlisten {address};\nroot {root};\n\
             location = /checkpoint {{ default_type \"text/plain; charset=utf-8\"; \
             add_header Cache-Control \"public, max-age=2\"; }}\n\
             location /tile/ {{ add_header Cache-Control \"public, max-age=31536000, immutable\"; }}\n\
             }}\n}}\n",
            root = root.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx runs (scripts/ensure-system-deps installs Debian's nginx)");
        let started = Instant::now();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

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
