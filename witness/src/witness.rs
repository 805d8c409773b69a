//! The `add-checkpoint` call (C2SP tlog-witness): the checks, in the specification's order,
//! that stand between a log's checkpoint and the witness's cosignature.

use std::path::PathBuf;

use ed25519_dalek::{Signer as _, SigningKey};
use eproxy_http::HttpAnswer;
use eproxy_verifier::add_checkpoint::{AddCheckpoint, SIZE_CONTENT_TYPE};
use eproxy_verifier::cosignature::{cosignature_line, message};
use eproxy_verifier::crypto::{AWS_LC, SignatureVerifier};
use eproxy_verifier::merkle::{Hash, verify_consistency};
use eproxy_verifier::note::{Checkpoint, VerifierKey, verify_note};
use sha2::{Digest, Sha256};

use crate::config::{Config, Start, WitnessedLog};
use crate::state::{Recorded, States};

/// The root of the empty tree: SHA-256 of nothing.
fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A witness: its key, the logs it knows, what it recorded of them.
#[derive(Debug)]
pub struct Witness {
    signing: SigningKey,
    key: VerifierKey,
    logs: Vec<WitnessedLog>,
    states: States,
    /// Where requests that were signed by a log but refused are kept: they may prove the log
    /// misbehaved.
    refused: PathBuf,
}

/// Why a checkpoint was not cosigned, as the specification maps it to a status.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// 400: the request breaks the format, or its old size is above the checkpoint's.
    BadRequest(String),
    /// 403: no signature on the checkpoint verifies under a key the witness trusts.
    Forbidden(String),
    /// 404: the witness does not witness this origin.
    UnknownLog(String),
    /// 409: the old size is not the witness's; here is the witness's.
    SizeConflict(u64),
    /// 409: the checkpoint is the size the witness recorded, with another root.
    RootConflict(String),
    /// 422: the consistency proof does not verify.
    Inconsistent(String),
    /// 500: the witness's own storage failed.
    Storage(String),
}

impl Witness {
    /// The witness `config` describes, its state opened.
    pub fn new(config: Config) -> std::io::Result<Self> {
        let states = States::open(&config.state)?;
        let refused = config.state.join("refused");
        std::fs::create_dir_all(&refused)?;
        Ok(Self {
            key: config.verifier_key(),
            signing: config.signing,
            logs: config.logs,
            states,
            refused,
        })
    }

    /// The witness's verifier key (type 0x04).
    pub fn key(&self) -> &VerifierKey {
        &self.key
    }

    /// What the witness recorded of `origin`.
    pub fn recorded(&self, origin: &str) -> std::io::Result<Option<(u64, Hash)>> {
        Ok(self.states.get(origin)?.map(|r| (r.size, r.root)))
    }

    /// Answers `POST /add-checkpoint` with `body`, cosigning at `now` (Unix seconds).
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> HttpAnswer {
        match self.check_and_cosign(body, now) {
            Ok(line) => HttpAnswer {
                status: 200,
                content_type: "text/plain; charset=utf-8",
                cache_control: None,
                body: line.into_bytes(),
            },
            Err(refusal) => {
                let (status, reason) = match refusal {
                    Refusal::SizeConflict(size) => {
                        return HttpAnswer {
                            status: 409,
                            content_type: SIZE_CONTENT_TYPE,
                            cache_control: None,
                            body: format!("{size}\n").into_bytes(),
                        };
                    }
                    Refusal::BadRequest(r) => (400, r),
                    Refusal::Forbidden(r) => (403, r),
                    Refusal::UnknownLog(r) => (404, r),
                    Refusal::RootConflict(r) => (409, r),
                    Refusal::Inconsistent(r) => (422, r),
                    Refusal::Storage(r) => (500, r),
                };
                if matches!(status, 409 | 422) {
                    self.keep_refused(body);
                }
                HttpAnswer::refused(status, reason)
            }
        }
    }

    fn check_and_cosign(&self, body: &[u8], now: u64) -> Result<String, Refusal> {
        let text = std::str::from_utf8(body)
            .map_err(|_| Refusal::BadRequest("the body is not UTF-8".into()))?;
        let request = AddCheckpoint::parse(text).map_err(|e| Refusal::BadRequest(e.to_string()))?;
        let origin = request.checkpoint.split('\n').next().unwrap_or_default();
        let keys: Vec<&WitnessedLog> = self
            .logs
            .iter()
            .filter(|log| log.key.name() == origin)
            .collect();
        let Some(start) = keys.first().map(|log| log.start) else {
            return Err(Refusal::UnknownLog(format!(
                "this witness does not witness the log {origin:?}"
            )));
        };
        let provider: &dyn SignatureVerifier = &AWS_LC;
        let note_body = keys
            .iter()
            .find_map(|log| verify_note(provider, request.checkpoint, &log.key).ok())
            .ok_or_else(|| {
                Refusal::Forbidden(format!("no signature by a key of {origin} verifies"))
            })?;
        let checkpoint =
            Checkpoint::parse(note_body).map_err(|e| Refusal::BadRequest(e.to_string()))?;
        if request.old_size > checkpoint.size {
            return Err(Refusal::BadRequest(format!(
                "old size {} is above the checkpoint's {}",
                request.old_size, checkpoint.size
            )));
        }
        self.states.check_and_store(
            origin,
            |recorded| {
                let known = match (recorded, start) {
                    (Some(recorded), _) => recorded,
                    (None, Start::At { size, root }) => Recorded { size, root },
                    (None, Start::FirstCheckpoint) => Recorded {
                        size: 0,
                        root: empty_root(),
                    },
                };
                if request.old_size != known.size {
                    return Err(Refusal::SizeConflict(known.size));
                }
                if checkpoint.size == known.size && checkpoint.root != known.root {
                    return Err(Refusal::RootConflict(format!(
                        "a checkpoint of size {} with another root was cosigned before",
                        known.size
                    )));
                }
                let consistent = verify_consistency(
                    known.size,
                    checkpoint.size,
                    &known.root,
                    &checkpoint.root,
                    &request.proof,
                );
                if !consistent {
                    return Err(Refusal::Inconsistent(format!(
                        "the proof does not show size {} (as recorded) to be a prefix of size {}",
                        known.size, checkpoint.size
                    )));
                }
                let signature = self.signing.sign(message(note_body, now).as_bytes());
                let line = cosignature_line(&self.key, now, &signature.to_bytes());
                let next = Recorded {
                    size: checkpoint.size,
                    root: checkpoint.root,
                };
                Ok((next, line))
            },
            Refusal::Storage,
        )
    }

    /// Keeps the checkpoint of a refused request the log did sign, as a possible proof of its
    /// misbehaviour: its note alone, named by its hash. The proof lines are nobody's
    /// signature (anyone can send a signed checkpoint with a bad proof), so they are not kept,
    /// and the same checkpoint sent again is one file: only the log's key can add files.
    fn keep_refused(&self, body: &[u8]) {
        let Some(note) = std::str::from_utf8(body)
            .ok()
            .and_then(|text| AddCheckpoint::parse(text).ok())
            .map(|request| request.checkpoint)
        else {
            return;
        };
        let name = format!("{}.note", hex::encode(&Sha256::digest(note)[..16]));
        let _ = std::fs::write(self.refused.join(name), note);
    }
}
