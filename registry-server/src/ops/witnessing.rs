//! Asking witnesses to cosign the log (C2SP tlog-witness): every interval the latest checkpoint
//! goes to each configured witness with a consistency proof from the size that witness last
//! cosigned, and the cosignatures that come back, each verified, are published with it
//! ([`crate::log::Log::record_cosigned`]). A counterparty that requires a quorum of
//! cosignatures cannot then be shown a tree the witnesses were not shown.
//!
//! Nothing here holds up registration: the rounds run on their own task, a witness that is
//! down or refuses is reported and asked again next round, and the log goes on growing.

use std::time::Duration;

use eproxy_http::client::{Request, exchange};
use eproxy_verifier::add_checkpoint::{AddCheckpoint, SIZE_CONTENT_TYPE, parse_size};
use eproxy_verifier::cosignature::verify_cosignature;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::merkle::Hash;
use eproxy_verifier::note::MAX_NOTE_BYTES;
use futures_util::future::join_all;

use super::config::WitnessEndpoint;
use crate::api::answers::Answers;
use crate::store::records::CheckpointRecord;

/// The longest answer read from a witness: its cosignature lines.
const MAX_ANSWER_BYTES: usize = MAX_NOTE_BYTES;

/// Why a witness did not cosign, as reported (and as the tests read it).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WitnessFailure {
    /// No answer, or no answer in time.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// 404: it does not witness this log.
    #[error("it does not witness this log (404)")]
    UnknownLog,
    /// 403: it does not trust the operator's key.
    #[error("it does not trust the operator's key (403)")]
    KeyNotTrusted,
    /// 400: it found the request malformed.
    #[error("it refused the request as malformed (400): {0}")]
    Malformed(String),
    /// 409 with a size larger than this checkpoint's: it has seen more of the log than this
    /// node has published (another node's checkpoint, or a fork).
    #[error("it has cosigned a larger tree ({0} leaves)")]
    Ahead(u64),
    /// 409 without a size: it cosigned another root at this size. A split view, or a damaged
    /// log: an operator must look.
    #[error("it cosigned another root at this size (409): {0}")]
    RootConflict(String),
    /// 422: the consistency proof from what it cosigned does not verify. A split view, or a
    /// damaged log: an operator must look.
    #[error("it found the log inconsistent with what it cosigned (422): {0}")]
    Inconsistent(String),
    /// 200 without a valid cosignature under its key.
    #[error("its answer carries no valid cosignature: {0}")]
    BadCosignature(String),
    /// Any other answer.
    #[error("it answered HTTP {0}")]
    Other(u16),
    /// The proof could not be read from the log.
    #[error("no consistency proof from size {0}: {1}")]
    NoProof(u64, String),
}

/// One witness and the size it last cosigned, as far as this node knows.
struct Witnessed {
    endpoint: WitnessEndpoint,
    size: Option<u64>,
}

/// Sends the latest checkpoint to `witnesses` every `interval` until the task is dropped.
pub async fn keep_witnessed(answers: Answers, witnesses: Vec<WitnessEndpoint>, interval: Duration) {
    let timeout = interval.min(Duration::from_secs(10));
    let mut witnessed: Vec<Witnessed> = witnesses
        .into_iter()
        .map(|endpoint| Witnessed {
            endpoint,
            size: None,
        })
        .collect();
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_round = None;
    loop {
        ticks.tick().await;
        let latest = answers.log.latest();
        if latest.size == 0 || last_round == Some(latest.size) {
            continue;
        }
        let rounds = witnessed
            .iter_mut()
            .map(|witness| cosign(&answers, witness, &latest, timeout));
        // All at once: one slow witness delays the round by its timeout, not by the others'.
        let lines: Vec<String> = join_all(rounds).await.into_iter().flatten().collect();
        last_round = Some(latest.size);
        if !lines.is_empty() {
            let mut cosigned = latest.clone();
            cosigned.note = format!("{}{}", latest.note, lines.concat());
            answers.log.record_cosigned(cosigned);
        }
    }
}

/// Asks `witness` to cosign `latest`, and returns its verified cosignature line.
async fn cosign(
    answers: &Answers,
    witness: &mut Witnessed,
    latest: &CheckpointRecord,
    timeout: Duration,
) -> Option<String> {
    let name = witness.endpoint.key.name().to_owned();
    match ask(answers, witness, latest, timeout).await {
        Ok(line) => {
            witness.size = Some(latest.size);
            tracing::debug!(witness = name, size = latest.size, "cosigned");
            Some(line)
        }
        Err(failure) => {
            match &failure {
                WitnessFailure::RootConflict(_) | WitnessFailure::Inconsistent(_) => {
                    tracing::error!(witness = name, size = latest.size, %failure, "not cosigned")
                }
                _ => tracing::warn!(witness = name, size = latest.size, %failure, "not cosigned"),
            }
            None
        }
    }
}

/// One request, and once more from the witness's own size if it names another.
async fn ask(
    answers: &Answers,
    witness: &mut Witnessed,
    latest: &CheckpointRecord,
    timeout: Duration,
) -> Result<String, WitnessFailure> {
    let mut old = witness
        .size
        .filter(|&size| size <= latest.size)
        .unwrap_or(0);
    for attempt in 0..2 {
        let proof = proof(answers, old, latest.size).await?;
        let body = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: &latest.note,
        }
        .encode()
        .into_bytes();
        let request = Request::Post {
            content_type: "text/plain; charset=utf-8",
            body,
        };
        let answer = exchange(&witness.endpoint.url, request, MAX_ANSWER_BYTES, timeout)
            .await
            .map_err(WitnessFailure::Unreachable)?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        let reason = || text.trim_end().to_owned();
        match answer.status {
            200 => return cosignature(&witness.endpoint, latest, &text),
            409 if answer.content_type.as_deref() == Some(SIZE_CONTENT_TYPE) => {
                let size =
                    parse_size(&text).map_err(|e| WitnessFailure::Malformed(e.to_string()))?;
                if size > latest.size {
                    witness.size = Some(size);
                    return Err(WitnessFailure::Ahead(size));
                }
                if attempt == 1 || size == old {
                    return Err(WitnessFailure::Other(409));
                }
                old = size;
            }
            409 => return Err(WitnessFailure::RootConflict(reason())),
            404 => return Err(WitnessFailure::UnknownLog),
            403 => return Err(WitnessFailure::KeyNotTrusted),
            400 => return Err(WitnessFailure::Malformed(reason())),
            422 => return Err(WitnessFailure::Inconsistent(reason())),
            status => return Err(WitnessFailure::Other(status)),
        }
    }
    Err(WitnessFailure::Other(409))
}

/// The consistency proof from `old` to `new` leaves (none from 0, or to the same size).
async fn proof(answers: &Answers, old: u64, new: u64) -> Result<Vec<Hash>, WitnessFailure> {
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    let answers = answers.clone();
    // Off the async threads: the proof may read the store.
    tokio::task::spawn_blocking(move || answers.consistency_proof(old, new))
        .await
        .map_err(|e| WitnessFailure::NoProof(old, e.to_string()))?
        .map_err(|e| WitnessFailure::NoProof(old, e.to_string()))
}

/// The witness's line among `answer`'s, verified on `latest`; lines by other keys are ignored.
fn cosignature(
    endpoint: &WitnessEndpoint,
    latest: &CheckpointRecord,
    answer: &str,
) -> Result<String, WitnessFailure> {
    let prefix = format!("\u{2014} {} ", endpoint.key.name());
    for line in answer.lines().filter(|line| line.starts_with(&prefix)) {
        let line = format!("{line}\n");
        let note = format!("{}{line}", latest.note);
        if verify_cosignature(&AWS_LC, &note, &endpoint.key).is_ok() {
            return Ok(line);
        }
    }
    Err(WitnessFailure::BadCosignature(format!(
        "no line by {} verifies",
        endpoint.key.name()
    )))
}
