//! `eproxy log monitor`: anyone can watch the operator. Each run fetches the registry's signed
//! checkpoint, checks its signature under the operator's key and its consistency with the last
//! checkpoint this monitor saw (kept in the state file), and reports the growth. A log that
//! shrank, or whose new tree does not extend the old one (a fork: two histories under one key),
//! is reported loudly with exit status 1, and the state file keeps the old checkpoint, which
//! together with the new one is the proof of the misbehaviour.
//!
//! The log is read from the registry's gRPC API, or with `--tiles` as C2SP tlog-tiles from
//! any HTTP server (the registry's own, a cache, a mirror): the proof is then computed from
//! tiles, and checked against the signed checkpoints all the same.

use std::path::Path;

use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::merkle::{Hash, consistency_proof_in, verify_consistency};
use eproxy_verifier::note::{MAX_NOTE_BYTES, verify_checkpoint};
use eproxy_verifier::tile::{MAX_TILE_BYTES, TileHashes, TilePath};
use serde::{Deserialize, Serialize};

use crate::cli::RegistryArgs;
use crate::client::http::{Request, exchange};
use crate::client::operator_key;
use crate::client::registry as calls;
use crate::client::registry_url;
use crate::commands::Outcome;
use crate::error::CliError;
use crate::input::read_limited;
use crate::output::{print_json, write_output};

/// The largest state file read.
const MAX_STATE_BYTES: usize = 64 * 1024;
/// The longest consistency proof accepted: a tree of 2^64 leaves needs at most 128 hashes.
const MAX_PROOF_HASHES: usize = 128;

/// What the monitor remembers: the last checkpoint it verified, note text included.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    origin: String,
    size: u64,
    root: String,
    checkpoint: String,
}

/// The report of one run.
#[derive(Serialize)]
struct Report {
    /// "first" (no earlier state), "consistent", or "INCONSISTENT".
    verdict: &'static str,
    origin: String,
    previous_size: Option<u64>,
    size: u64,
    growth: u64,
    root: String,
    /// Why the log is inconsistent, when it is.
    alert: Option<String>,
    /// The earlier checkpoint, kept as evidence, when the log is inconsistent.
    previous_checkpoint: Option<String>,
    /// The checkpoint just fetched, when the log is inconsistent.
    new_checkpoint: Option<String>,
}

/// Runs one monitoring round.
pub fn monitor(
    registry: &RegistryArgs,
    state_file: &Path,
    tiles: Option<&str>,
    json: bool,
) -> Result<Outcome, CliError> {
    let source = match tiles {
        Some(prefix) => Source::Tiles(prefix.trim_end_matches('/')),
        None => Source::Registry(registry_url(registry.registry.as_deref())?),
    };
    let key = operator_key(registry)?;
    let previous = read_state(state_file)?;
    let old_size = previous.as_ref().map(|p| p.size);
    let note = source.checkpoint()?;
    let checkpoint = verify_checkpoint(&AWS_LC, &note, &key).map_err(|e| {
        CliError::new(format!(
            "ALERT: the registry's checkpoint does not verify under the operator's key: {e}"
        ))
        .fix("check the operator key; if it is right, the registry is serving forged checkpoints")
    })?;
    let mut report = Report {
        verdict: "first",
        origin: checkpoint.origin.clone(),
        previous_size: old_size,
        size: checkpoint.size,
        growth: 0,
        root: hex::encode(checkpoint.root),
        alert: None,
        previous_checkpoint: None,
        new_checkpoint: None,
    };
    if let Some(previous) = &previous {
        let alert = inconsistency(previous, &checkpoint, &source)?;
        match alert {
            None => {
                report.verdict = "consistent";
                report.growth = checkpoint.size - previous.size;
            }
            Some(why) => {
                report.verdict = "INCONSISTENT";
                report.alert = Some(why);
                report.previous_checkpoint = Some(previous.checkpoint.clone());
                report.new_checkpoint = Some(note.clone());
            }
        }
    }
    if report.alert.is_none() {
        let state = State {
            origin: checkpoint.origin.clone(),
            size: checkpoint.size,
            root: hex::encode(checkpoint.root),
            checkpoint: note,
        };
        let text = serde_json::to_vec_pretty(&state)
            .map_err(|e| CliError::new(format!("cannot write the state: {e}")))?;
        write_output(state_file, &text)?;
    }
    if json {
        print_json(&report)?;
    } else if let Some(alert) = &report.alert {
        eprintln!("ALERT: the registry's log is INCONSISTENT: {alert}");
        eprintln!(
            "  the earlier checkpoint (kept in {}):",
            state_file.display()
        );
        for line in report.previous_checkpoint.iter().flat_map(|c| c.lines()) {
            eprintln!("    {line}");
        }
        eprintln!("  the checkpoint just served:");
        for line in report.new_checkpoint.iter().flat_map(|c| c.lines()) {
            eprintln!("    {line}");
        }
        eprintln!("  both are signed by the operator: together they prove the misbehaviour.");
    } else {
        match report.previous_size {
            None => println!(
                "{}: first checkpoint, size {} (state saved to {})",
                report.origin,
                report.size,
                state_file.display()
            ),
            Some(old) => println!(
                "{}: consistent, size {old} -> {} (+{})",
                report.origin, report.size, report.growth
            ),
        }
    }
    Ok(if report.alert.is_some() {
        Outcome::Rejected
    } else {
        Outcome::Done
    })
}

/// Why `new` cannot follow `previous`, or `None` when it does (a consistency proof is fetched
/// and checked when the log grew).
fn inconsistency(
    previous: &State,
    new: &eproxy_verifier::note::Checkpoint,
    source: &Source<'_>,
) -> Result<Option<String>, CliError> {
    if previous.origin != new.origin {
        return Err(CliError::new(format!(
            "the state file is for the log {:?}, not {:?}",
            previous.origin, new.origin
        ))
        .fix("use one state file per registry"));
    }
    let mut old_root: Hash = [0; 32];
    hex::decode_to_slice(&previous.root, &mut old_root)
        .map_err(|_| CliError::new("the state file's root is not 64 hexadecimal digits"))?;
    if new.size < previous.size {
        return Ok(Some(format!(
            "the log shrank from {} to {} entries",
            previous.size, new.size
        )));
    }
    if new.size == previous.size {
        return Ok((new.root != old_root).then(|| {
            format!(
                "two different trees of {} entries: the log was forked or rewritten",
                new.size
            )
        }));
    }
    if previous.size == 0 {
        // Every tree extends the empty one.
        return Ok(None);
    }
    let (old_size, new_size) = (previous.size, new.size);
    let proof = source.consistency_proof(old_size, new_size)?;
    if proof
        .as_ref()
        .is_some_and(|proof| proof.len() > MAX_PROOF_HASHES)
    {
        return Ok(Some("the consistency proof is absurdly long".into()));
    }
    let consistent = proof
        .is_some_and(|proof| verify_consistency(old_size, new_size, &old_root, &new.root, &proof));
    Ok((!consistent).then(|| {
        format!(
            "the tree of {new_size} entries does not extend the tree of {old_size} seen before: \
             the log was forked or rewritten"
        )
    }))
}

/// Where the log is read from.
enum Source<'a> {
    /// The registry's gRPC API at this URL.
    Registry(String),
    /// C2SP tlog-tiles under this URL prefix (no trailing slash).
    Tiles(&'a str),
}

impl Source<'_> {
    /// The signed checkpoint, unverified.
    fn checkpoint(&self) -> Result<String, CliError> {
        match self {
            Source::Registry(url) => calls::checkpoint(url),
            Source::Tiles(prefix) => {
                let url = format!("{prefix}/checkpoint");
                let bytes = exchange(&url, Request::Get, MAX_NOTE_BYTES)
                    .map_err(|e| CliError::new(format!("the log's checkpoint: {e}")))?;
                String::from_utf8(bytes)
                    .map_err(|_| CliError::new(format!("{url} is not UTF-8 text")))
            }
        }
    }

    /// The consistency proof from `old_size` to `new_size`, or `None` where the hashes served
    /// are not a proof at all (not 32 bytes each).
    fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Option<Vec<Hash>>, CliError> {
        match self {
            Source::Registry(url) => {
                let hashes = calls::consistency_proof(url, old_size, new_size)?;
                Ok(hashes
                    .iter()
                    .map(|h| <Hash>::try_from(h.as_slice()).ok())
                    .collect())
            }
            Source::Tiles(prefix) => {
                let fetch = |path: &TilePath| {
                    exchange(&format!("{prefix}/{path}"), Request::Get, MAX_TILE_BYTES)
                };
                consistency_proof_in(&TileHashes::new(new_size, fetch), old_size, new_size)
                    .map_err(|e| CliError::new(format!("the log's tiles at {prefix}: {e}")))
            }
        }
    }
}

fn read_state(path: &Path) -> Result<Option<State>, CliError> {
    if !path.exists() {
        return Ok(None);
    }
    let bytes = read_limited(path, MAX_STATE_BYTES, "monitor state")?;
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        CliError::new(format!(
            "{} is not a monitor state file: {e}",
            path.display()
        ))
    })
}
