//! What the CLI's end-to-end tests share: the binary, a desk with a fresh test PKI, the test
//! TSA as a process, and reading the binary's answers. (Each test crate uses its own part.)
#![allow(dead_code)]

pub mod registry;

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Output, Stdio};

use assert_cmd::Command;

/// The `eproxy` binary under test.
pub fn eproxy() -> Command {
    Command::cargo_bin("eproxy").unwrap()
}

/// A working directory with a test PKI in `pki/` and its PKCS#12 password in `password`.
pub struct Desk {
    pub dir: tempfile::TempDir,
}

impl Desk {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let assert = eproxy()
            .args(["testkit", "init", "--json", "--out"])
            .arg(dir.path().join("pki"))
            .assert()
            .success();
        let report: serde_json::Value =
            serde_json::from_slice(&assert.get_output().stdout).unwrap();
        let password = report["pkcs12_password"].as_str().unwrap();
        std::fs::write(dir.path().join("password"), format!("{password}\n")).unwrap();
        Self { dir }
    }

    /// A file in the working directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A file of the test PKI.
    pub fn pki(&self, name: &str) -> PathBuf {
        self.path("pki").join(name)
    }
}

/// The test PKI's time-stamping authority, serving over HTTP at the current time or a fixed one.
pub struct Tsa {
    process: Child,
    pub url: String,
}

impl Tsa {
    pub fn start(desk: &Desk, time: Option<&str>) -> Self {
        let mut command = Process::new(env!("CARGO_BIN_EXE_eproxy"));
        command
            .args(["testkit", "tsa", "--listen", "127.0.0.1:0", "--certificate"])
            .arg(desk.pki("tsa/tsa.pem"))
            .arg("--key")
            .arg(desk.pki("tsa/tsa.key.pem"))
            .args(time.map(|t| ["--time", t]).iter().flatten())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = command.spawn().unwrap();
        let line = BufReader::new(process.stdout.take().unwrap())
            .lines()
            .next()
            .unwrap()
            .unwrap();
        let url = line
            .strip_prefix("eproxy testkit tsa: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { process, url }
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A time relative to now in GNU date's syntax (`-2 days`), in UTC, formatted as `format`
/// (`+%Y-%m-%d`): certificates and registries are checked against the real clock.
pub fn date(relative: &str, format: &str) -> String {
    let output = Process::new("date")
        .args(["-u", "-d", relative, format])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The JSON a successful command printed.
pub fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// What a command printed on standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `eproxy log monitor --json` reading the log from `source` (`--registry URL` or `--tiles
/// URL`), with no registry from the environment: its exit status and report (or its standard
/// error, when it printed no report).
pub fn monitor_from(
    source: &[&str],
    state: &std::path::Path,
    operator_key: &std::path::Path,
) -> (i32, serde_json::Value) {
    let output = eproxy()
        .args(["log", "monitor", "--json"])
        .args(source)
        .arg("--operator-key")
        .arg(operator_key)
        .arg("--state")
        .arg(state)
        .env_remove("EPROXY_REGISTRY")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| String::from_utf8_lossy(&output.stderr).into());
    (output.status.code().unwrap(), report)
}
