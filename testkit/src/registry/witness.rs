//! An `eproxy-witness` process, witnessing a test registry's log from its first checkpoint:
//! the real server, as the registry's end-to-end tests and benchmarks ask it to cosign.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use eproxy_verifier::note::VerifierKey;

use crate::witness::TestWitness;

/// A serving witness; dropping it kills the process.
#[derive(Debug)]
pub struct WitnessServer {
    child: Child,
    /// Its add-checkpoint URL, `http://127.0.0.1:PORT/add-checkpoint`.
    pub url: String,
    /// Its cosignature key.
    pub key: VerifierKey,
    /// Its configuration and state.
    pub dir: tempfile::TempDir,
}

impl WitnessServer {
    /// Starts the witness `name` with the key from `seed` (that of [`TestWitness::new`]),
    /// witnessing the log whose key is `log` from its first checkpoint, on a free port.
    pub fn start(name: &str, seed: u8, log: &VerifierKey) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pem = SigningKey::from_bytes(&[seed; 32])
            .to_pkcs8_pem(Default::default())
            .unwrap();
        std::fs::write(dir.path().join("witness.key"), pem.as_bytes()).unwrap();
        let config = dir.path().join("witness.toml");
        std::fs::write(
            &config,
            format!(
                "name = \"{name}\"\nkey = \"witness.key\"\nlisten = \"127.0.0.1:0\"\n\
                 state = \"state\"\n\n[[log]]\nkey = \"{log}\"\ntrust_first_checkpoint = true\n"
            ),
        )
        .unwrap();
        let mut child = Command::new(binary())
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("eproxy-witness serve runs");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("the witness announces its address");
        let url = line
            .rsplit_once(" on ")
            .map(|(_, url)| url.to_owned())
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        let key = TestWitness::new(name, seed).key().clone();
        assert!(
            line.contains(&key.to_string()),
            "{line:?} names another key"
        );
        Self {
            child,
            url,
            key,
            dir,
        }
    }
}

impl Drop for WitnessServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The witness binary, beside the registry's.
fn binary() -> std::path::PathBuf {
    let registry = super::process::binary();
    let binary = registry
        .parent()
        .unwrap_or(Path::new("."))
        .join("eproxy-witness");
    assert!(
        binary.exists(),
        "{} is missing: build it first (`cargo build -p eproxy-witness`; scripts/test builds \
         every binary)",
        binary.display()
    );
    binary
}
