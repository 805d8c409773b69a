//! Asking witnesses to cosign the log (C2SP tlog-witness): every interval the latest checkpoint
//! goes to each configured witness with a consistency proof from the size that witness last
//! cosigned, and the cosignatures that come back, each verified, are published with it
//! ([`crate::log::Log::record_cosigned`]). A counterparty that requires a quorum of
//! cosignatures cannot then be shown a tree the witnesses were not shown.
//!
//! Nothing here holds up registration: the rounds run on their own task, a witness that is
//! down or refuses is reported and asked again next round (until it has cosigned the latest
//! checkpoint), and the log goes on growing. A larger checkpoint is published once it has as
//! many cosignatures as the one published, or when that one has stood for
//! [`STALE_INTERVALS`] intervals.

use std::time::{Duration, Instant};

use eproxy_http::client::{Client, Request};
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

/// One witness, the size it last cosigned as far as this node knows, its cosignature line on
/// the latest checkpoint this node holds one for, and a connection kept open to it.
struct Witnessed {
    endpoint: WitnessEndpoint,
    size: Option<u64>,
    line: Option<(u64, String)>,
    client: Client,
}

/// How many intervals a published checkpoint may stand while larger ones gather fewer
/// cosignatures (a witness down): then the larger one is published all the same, so that one
/// witness's absence costs the published checkpoint at most this much freshness.
const STALE_INTERVALS: u32 = 6;

/// How far a cosignature's timestamp may stand from this node's clock: a witness's line dated
/// otherwise is a replay or a witness with a broken clock, and is not published.
const TIMESTAMP_TOLERANCE_SECONDS: u64 = 600;

/// Sends the latest checkpoint every `interval` to each of `witnesses` that has not cosigned it
/// yet, until the task is dropped, and publishes it with the cosignatures gathered.
pub async fn keep_witnessed(answers: Answers, witnesses: Vec<WitnessEndpoint>, interval: Duration) {
    let timeout = interval.min(Duration::from_secs(10));
    let mut witnessed: Vec<Witnessed> = witnesses
        .into_iter()
        .map(|endpoint| Witnessed {
            endpoint,
            size: None,
            line: None,
            client: Client::default(),
        })
        .collect();
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut published: Option<Published> = None;
    loop {
        ticks.tick().await;
        let latest = answers.log.latest();
        if latest.size == 0 {
            continue;
        }
        let rounds = witnessed
            .iter_mut()
            .filter(|w| w.line.as_ref().is_none_or(|(size, _)| *size != latest.size))
            .map(|witness| cosign(&answers, witness, &latest, timeout));
        // All at once: one slow witness delays the round by its timeout, not by the others'.
        join_all(rounds).await;
        let lines: Vec<&str> = witnessed
            .iter()
            .filter_map(|w| w.line.as_ref())
            .filter(|(size, _)| *size == latest.size)
            .map(|(_, line)| line.as_str())
            .collect();
        let stale_after = interval * STALE_INTERVALS;
        let better = replaces(published.as_ref(), latest.size, lines.len(), stale_after);
        if better {
            let mut cosigned = latest.clone();
            cosigned.note = format!("{}{}", latest.note, lines.concat());
            answers.log.record_cosigned(cosigned);
            published = Some(Published {
                size: latest.size,
                cosigners: lines.len(),
                at: Instant::now(),
            });
        }
    }
}

/// The cosigned checkpoint published: its size, how many cosigned it, and when.
struct Published {
    size: u64,
    cosigners: usize,
    at: Instant,
}

/// Whether a checkpoint of `size` with `cosigners` cosignatures replaces `published`: a first
/// one with any; at the same size, more of them; a larger one with as many, or with any once
/// the published one has stood for `stale_after`. Never a smaller one.
fn replaces(
    published: Option<&Published>,
    size: u64,
    cosigners: usize,
    stale_after: Duration,
) -> bool {
    match published {
        None => cosigners > 0,
        Some(published) if size == published.size => cosigners > published.cosigners,
        Some(published) if size > published.size => {
            cosigners > 0
                && (cosigners >= published.cosigners || published.at.elapsed() >= stale_after)
        }
        Some(_) => false,
    }
}

/// Asks `witness` to cosign `latest`, keeping its verified cosignature line.
async fn cosign(
    answers: &Answers,
    witness: &mut Witnessed,
    latest: &CheckpointRecord,
    timeout: Duration,
) {
    let name = witness.endpoint.key.name().to_owned();
    match ask(answers, witness, latest, timeout).await {
        Ok(line) => {
            witness.size = Some(latest.size);
            witness.line = Some((latest.size, line));
            tracing::debug!(witness = name, size = latest.size, "cosigned");
        }
        Err(failure) => match &failure {
            WitnessFailure::RootConflict(_) | WitnessFailure::Inconsistent(_) => {
                tracing::error!(witness = name, size = latest.size, %failure, "not cosigned")
            }
            _ => tracing::warn!(witness = name, size = latest.size, %failure, "not cosigned"),
        },
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
        let answer = witness
            .client
            .exchange(&witness.endpoint.url, request, MAX_ANSWER_BYTES, timeout)
            .await
            .map_err(WitnessFailure::Unreachable)?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        let reason = || text.trim_end().to_owned();
        match answer.status {
            200 => return cosignature(&witness.endpoint, latest, &text),
            409 if answer.content_type.as_deref().is_some_and(is_size_type) => {
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

/// Whether a `Content-Type` is the witness's size: the media type compared without case, its
/// parameters ignored.
fn is_size_type(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case(SIZE_CONTENT_TYPE)
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
        if let Ok(timestamp) = verify_cosignature(&AWS_LC, &note, &endpoint.key) {
            let now = crate::clock::now().seconds().max(0) as u64;
            if timestamp.abs_diff(now) > TIMESTAMP_TOLERANCE_SECONDS {
                return Err(WitnessFailure::BadCosignature(format!(
                    "its cosignature is dated {timestamp}, {} s from this node's clock",
                    timestamp.abs_diff(now)
                )));
            }
            return Ok(line);
        }
    }
    Err(WitnessFailure::BadCosignature(format!(
        "no line by {} verifies",
        endpoint.key.name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A witness down must not strip the published checkpoint of the cosignatures a
    /// counterparty's quorum counts on, nor freeze it for ever.
    #[test]
    fn a_checkpoint_with_fewer_cosignatures_waits_until_the_published_one_is_stale() {
        let minute = Duration::from_secs(60);
        let published = |size, cosigners, age: Duration| Published {
            size,
            cosigners,
            at: Instant::now() - age,
        };
        let fresh = published(10, 2, Duration::ZERO);
        let old = published(10, 2, minute * 2);
        assert!(!replaces(None, 10, 0, minute));
        assert!(replaces(None, 10, 1, minute));
        assert!(replaces(Some(&fresh), 10, 3, minute));
        assert!(!replaces(Some(&fresh), 10, 2, minute));
        assert!(replaces(Some(&fresh), 11, 2, minute));
        assert!(!replaces(Some(&fresh), 11, 1, minute));
        assert!(replaces(Some(&old), 11, 1, minute));
        assert!(!replaces(Some(&old), 11, 0, minute));
        assert!(!replaces(Some(&old), 9, 3, minute));
    }

    #[test]
    fn a_witness_size_is_recognised_whatever_the_case_and_parameters() {
        for content_type in [
            "text/x.tlog.size",
            "Text/X.TLOG.Size",
            "text/x.tlog.size; charset=utf-8",
        ] {
            assert!(is_size_type(content_type), "{content_type}");
        }
        for content_type in ["text/plain", "text/x.tlog.sizes", ""] {
            assert!(!is_size_type(content_type), "{content_type}");
        }
    }
}
