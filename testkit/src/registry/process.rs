//! An `eproxy-registry` process: its data directory initialised, served on a free loopback
//! port, stopped. What every end-to-end test of the registry or of a client starts from.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The origin every test registry's log has.
pub const ORIGIN: &str = "registry.eproxy.test/log";

/// The registry binary of the build running this test: cargo builds it beside the test (the
/// registry's own tests and benches), or `cargo build --workspace` did (a client's tests).
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("a test runs from target/<profile>/deps");
    let binary = profile.join("eproxy-registry");
    assert!(
        binary.exists(),
        "{} is missing: build it first (`cargo build -p eproxy-registry`; scripts/test builds \
         every binary)",
        binary.display()
    );
    binary
}

/// Initialises `data_dir` (which must be empty) as a registry of [`ORIGIN`].
pub fn init(data_dir: &Path) {
    let status = Command::new(binary())
        .args(["init", "--origin", ORIGIN, "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::null())
        .status()
        .expect("eproxy-registry init runs");
    assert!(status.success(), "eproxy-registry init failed");
}

/// A serving registry process. Whoever holds it stops it (kills the child) when done.
#[derive(Debug)]
pub struct Serving {
    /// The process.
    pub child: Child,
    /// Its gRPC address, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its metrics listener, `127.0.0.1:PORT`.
    pub metrics: String,
    /// Its log's tiles, `http://127.0.0.1:PORT`.
    pub tiles: String,
}

/// Serves `data_dir` on free loopback ports and waits until it listens. With `log_file`, the
/// registry's JSON log at level info goes there; otherwise it logs warnings to standard error.
pub fn serve(data_dir: &Path, log_file: Option<&Path>) -> Serving {
    serve_on(data_dir, log_file, "127.0.0.1:0")
}

/// [`serve`], listening on `listen` (a node whose address others give out needs a port known
/// before it starts: see [`free_port`]).
pub fn serve_on(data_dir: &Path, log_file: Option<&Path>, listen: &str) -> Serving {
    let mut command = Command::new(binary());
    command
        .args(["serve", "--listen", listen, "--data-dir"])
        .arg(data_dir)
        .env("EPROXY_LOG", "warn")
        .env("EPROXY_METRICS_LISTEN", "127.0.0.1:0")
        .env("EPROXY_TILES_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped());
    if let Some(file) = log_file {
        command
            .env("EPROXY_LOG", "info")
            .env("EPROXY_LOG_FORMAT", "json")
            .stderr(
                // Appended to, so that a node restarted keeps its earlier log beside the new.
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(file)
                    .expect("the log file can be created"),
            );
    }
    let mut child = command.spawn().expect("eproxy-registry serve runs");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut next = || {
        lines
            .next()
            .and_then(Result::ok)
            .expect("the registry announces its listeners")
    };
    let line = next();
    let address = line
        .strip_prefix("eproxy-registry: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let url = format!("http://{address}");
    let line = next();
    let metrics = line
        .strip_prefix("eproxy-registry: metrics on http://")
        .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
        .trim_end_matches("/metrics")
        .to_owned();
    let line = next();
    let tiles = line
        .strip_prefix("eproxy-registry: the log's tiles on ")
        .unwrap_or_else(|| panic!("unexpected third line {line:?}"))
        .trim_end_matches("/checkpoint")
        .to_owned();
    Serving {
        child,
        url,
        metrics,
        tiles,
    }
}

/// A port free on 127.0.0.1 now, below the range the kernel hands out to the local ends of
/// outgoing connections (from 32768): a server restarted on its port must find it free, and a
/// port in that range, left free while its server was down, was taken by a client's connection
/// (a registry node killed and restarted late in a long failure test could not listen again).
/// Ports 10,000 to 19,999 are the failure tests' database clusters' (`tests/ha/cluster`), so
/// these come from 20,000 to 31,999, each process starting at its own place.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    const LOWEST: u16 = 20_000;
    const SPAN: u16 = 12_000;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let offset = (std::process::id() % u32::from(SPAN)) as u16;
    for _ in 0..SPAN {
        let turn = NEXT.fetch_add(1, Ordering::Relaxed) % SPAN;
        let port = LOWEST + (offset + turn) % SPAN;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port from {LOWEST} to {}", LOWEST + SPAN - 1)
}

/// `config` (a registry's configuration file) made that of node `name` of a registry sharing
/// the database at `database_url`, reachable at `http://127.0.0.1:port`, with a writer's lease
/// of `lease_ms` and its checkpoint mirror in `mirror` (`""` for none).
pub fn shared_node_config(
    config: &str,
    database_url: &str,
    name: &str,
    port: u16,
    lease_ms: u64,
    mirror: &str,
) -> String {
    let replaced = [
        (
            "checkpoint_mirror = \"../eproxy-checkpoints\"",
            format!("checkpoint_mirror = {mirror:?}"),
        ),
        (
            "database_url = \"\"",
            format!("database_url = {database_url:?}"),
        ),
        ("node_name = \"\"", format!("node_name = {name:?}")),
        (
            "advertise_url = \"\"",
            format!("advertise_url = \"http://127.0.0.1:{port}\""),
        ),
        (
            "writer_lease_ms = 3000",
            format!("writer_lease_ms = {lease_ms}"),
        ),
    ];
    replaced
        .iter()
        .fold(config.to_owned(), |config, (from, to)| {
            assert!(config.contains(from), "the configuration has no {from}");
            config.replace(from, to)
        })
}

/// `eproxy-registry ARGS --data-dir DATA_DIR`, its output. On the embedded database the
/// registry must be stopped; on a shared one it may serve.
pub fn operator_command(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("EPROXY_LOG", "warn")
        .output()
        .unwrap()
}

/// Operator staff enroll (or, with `unenroll`, end the enrollment of) `card` for the kit's
/// company, with the registry configuration and key of `data_dir`.
pub fn attest(data_dir: &Path, card: &crate::Credential, unenroll: bool) -> std::process::Output {
    let file = data_dir.join("card.pem");
    std::fs::write(&file, card.certificate_pem().unwrap()).unwrap();
    let company = super::pki().company.corporate_number().unwrap().to_string();
    let (command, because, text) = if unenroll {
        ("unenroll", "--reason", "代表取締役退任")
    } else {
        ("enroll", "--reference", "登記事項証明書 2026-12-01 No.1234")
    };
    operator_command(
        data_dir,
        &[
            command,
            "--company",
            &company,
            "--certificate",
            file.to_str().unwrap(),
            "--attested-by",
            "staff-0042",
            because,
            text,
        ],
    )
}
