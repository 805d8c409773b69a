//! The witness's configuration: its name and key, where it listens and keeps its state, and the
//! logs it witnesses, each with the checkpoint it starts from.

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use eproxy_verifier::merkle::Hash;
use eproxy_verifier::note::{KeyType, VerifierKey};
use serde::Deserialize;

/// The largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {detail}")]
pub struct ConfigError {
    path: String,
    detail: String,
}

/// The configuration file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    key: PathBuf,
    listen: String,
    state: PathBuf,
    #[serde(default, rename = "log")]
    logs: Vec<LogFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    key: String,
    start: Option<String>,
    #[serde(default)]
    trust_first_checkpoint: bool,
}

/// A log the witness cosigns for.
#[derive(Clone, Debug)]
pub struct WitnessedLog {
    /// The log's key (type 0x01); its name is the log's origin.
    pub key: VerifierKey,
    /// Where the witness's view of the log begins when it has recorded none.
    pub start: Start,
}

/// Where a witness's view of a log begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// A checkpoint (size and root) learnt out of band: the first checkpoint cosigned must be
    /// consistent with it.
    At {
        /// Its size.
        size: u64,
        /// Its root.
        root: Hash,
    },
    /// Whatever checkpoint comes first is taken on trust, as it must be for a log the witness
    /// has watched since it was empty.
    FirstCheckpoint,
}

/// The configuration, checked.
#[derive(Debug)]
pub struct Config {
    /// The witness's name (the cosignature key's name).
    pub name: String,
    /// Its cosigning key.
    pub signing: SigningKey,
    /// The address it listens on.
    pub listen: String,
    /// The directory of its state.
    pub state: PathBuf,
    /// The logs it witnesses.
    pub logs: Vec<WitnessedLog>,
}

impl Config {
    /// Reads and checks the file at `path`; relative paths in it are relative to its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let error = |detail: String| ConfigError {
            path: path.display().to_string(),
            detail,
        };
        let size = std::fs::metadata(path)
            .map_err(|e| error(e.to_string()))?
            .len();
        if size > MAX_CONFIG_BYTES {
            return Err(error(format!("larger than {MAX_CONFIG_BYTES} bytes")));
        }
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let file: File = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let key_path = base.join(&file.key);
        let pem = std::fs::read_to_string(&key_path)
            .map_err(|e| error(format!("key {}: {e}", key_path.display())))?;
        let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|_| {
            error(format!(
                "key {} is not a PKCS#8 PEM Ed25519 private key",
                key_path.display()
            ))
        })?;
        VerifierKey::of_type(
            &file.name,
            KeyType::Cosignature,
            signing.verifying_key().to_bytes(),
        )
        .map_err(|e| error(format!("name: {e}")))?;
        let mut logs: Vec<WitnessedLog> = Vec::new();
        for log in file.logs {
            let key = VerifierKey::parse(&log.key).map_err(|e| error(format!("log key: {e}")))?;
            let name = key.name().to_owned();
            if key.key_type() != KeyType::Ed25519 {
                return Err(error(format!("log {name}: a log's key is of type 0x01")));
            }
            let start = match (log.start, log.trust_first_checkpoint) {
                (Some(start), false) => parse_start(&start)
                    .ok_or_else(|| error(format!("log {name}: start is `<size> <base64 root>`")))?,
                (None, true) => Start::FirstCheckpoint,
                (Some(_), true) => {
                    return Err(error(format!(
                        "log {name}: give start or trust_first_checkpoint, not both"
                    )));
                }
                (None, false) => {
                    return Err(error(format!(
                        "log {name}: no start: give the checkpoint to start from \
                         (start = \"<size> <base64 root>\"), or trust_first_checkpoint = true"
                    )));
                }
            };
            if logs
                .iter()
                .any(|l| l.key.name() == name && l.start != start)
            {
                return Err(error(format!("log {name}: two different starts")));
            }
            logs.push(WitnessedLog { key, start });
        }
        Ok(Self {
            name: file.name,
            signing,
            listen: file.listen,
            state: base.join(file.state),
            logs,
        })
    }

    /// The witness's verifier key (type 0x04), as policies name it.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey::of_type(
            &self.name,
            KeyType::Cosignature,
            self.signing.verifying_key().to_bytes(),
        )
        .expect("checked when loaded")
    }
}

fn parse_start(text: &str) -> Option<Start> {
    let (size, root) = text.split_once(' ')?;
    let size = size.parse().ok()?;
    let root = Hash::try_from(Base64::decode_vec(root).ok()?).ok()?;
    Some(Start::At { size, root })
}
