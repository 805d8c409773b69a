//! `eproxy log prove` and `eproxy log check-proof`: a PoA's registration as a C2SP tlog-proof,
//! an offline proof any transparency-log tool can check and this one checks whole (the entry
//! is this PoA's registration, the checkpoint the operator's, cosigned as a policy requires).
//!
//! The proof is taken from an evidence bundle the registry released, or computed from the
//! log's tiles alone (the entry bundle holding the registration, the inclusion proof from the
//! hash tiles), so that a PoA's holder needs neither the gRPC API nor the registry's consent.

use std::path::Path;

use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::evidence::MAX_EVIDENCE_BYTES;
use eproxy_verifier::merkle::inclusion_proof_in;
use eproxy_verifier::note::{MAX_NOTE_BYTES, VerifierKey, verify_checkpoint};
use eproxy_verifier::tile::{
    MAX_BUNDLE_BYTES, MAX_TILE_BYTES, TILE_WIDTH, TileHashes, TilePath, parse_entry_bundle,
};
use eproxy_verifier::tlog_proof::{
    MAX_PROOF_BYTES, TlogProof, from_evidence, verify_registration_proof,
};
use serde::Serialize;

use super::verify::read_witness_policy;
use crate::client::http::{Request, exchange};
use crate::commands::Outcome;
use crate::error::CliError;
use crate::input::{MAX_CMS_FILE_BYTES, read_limited};
use crate::output::{print_json, write_output};

/// Where the proof is taken from.
pub enum ProofSource<'a> {
    /// An evidence bundle the registry released for the PoA.
    Evidence(&'a Path),
    /// The log's tiles under this URL prefix, the registration at this index.
    Tiles {
        /// The URL prefix.
        prefix: &'a str,
        /// The registration's index in the log (the registry's receipt gives it).
        index: u64,
    },
}

/// Writes the tlog-proof of `poa`'s registration to `output` (standard output for `-`), after
/// checking it under `key`.
pub fn prove(
    poa: &Path,
    source: ProofSource<'_>,
    key: &VerifierKey,
    output: &Path,
) -> Result<Outcome, CliError> {
    let poa = read_limited(poa, MAX_CMS_FILE_BYTES, "power of attorney")?;
    let proof = match source {
        ProofSource::Evidence(path) => {
            let bundle = read_limited(path, MAX_EVIDENCE_BYTES, "evidence bundle")?;
            from_evidence(&bundle, &poa).map_err(|e| {
                CliError::new(format!("{}: no proof of this PoA: {e}", path.display()))
            })?
        }
        ProofSource::Tiles { prefix, index } => {
            from_tiles(prefix.trim_end_matches('/'), index, key)?
        }
    };
    let text = proof.encode();
    verify_registration_proof(&AWS_LC, &text, &poa, key, None).map_err(|e| {
        CliError::new(format!(
            "the proof does not prove this PoA's registration: {e}"
        ))
    })?;
    if output == Path::new("-") {
        print!("{text}");
    } else {
        write_output(output, text.as_bytes())?;
    }
    Ok(Outcome::Done)
}

/// The proof of the entry at `index`, from the tiles under `prefix` and their checkpoint.
fn from_tiles(prefix: &str, index: u64, key: &VerifierKey) -> Result<TlogProof, CliError> {
    let fetch = |path: &str, max: usize| {
        exchange(&format!("{prefix}/{path}"), Request::Get, max)
            .map_err(|e| CliError::new(format!("the log's tiles: {e}")))
    };
    let note = String::from_utf8(fetch("checkpoint", MAX_NOTE_BYTES)?)
        .map_err(|_| CliError::new(format!("{prefix}/checkpoint is not UTF-8 text")))?;
    let checkpoint = verify_checkpoint(&AWS_LC, &note, key).map_err(|e| {
        CliError::new(format!(
            "the tiles' checkpoint does not verify under the operator's key: {e}"
        ))
    })?;
    if index >= checkpoint.size {
        return Err(CliError::new(format!(
            "entry {index} is beyond the published checkpoint ({} entries)",
            checkpoint.size
        ))
        .fix("the checkpoint may not cover a registration of the last seconds yet: try again"));
    }
    let entries = TilePath::entries_holding(index, checkpoint.size)
        .ok_or_else(|| CliError::new(format!("no entry bundle holds entry {index}")))?;
    let bytes = fetch(&entries.to_string(), MAX_BUNDLE_BYTES)?;
    let leaves = parse_entry_bundle(&bytes, entries.width)
        .map_err(|e| CliError::new(format!("{entries}: {e}")))?;
    let leaf = leaves[(index % TILE_WIDTH) as usize].to_vec();
    let hashes = TileHashes::new(checkpoint.size, |path: &TilePath| {
        exchange(&format!("{prefix}/{path}"), Request::Get, MAX_TILE_BYTES)
    });
    let proof = inclusion_proof_in(&hashes, index, checkpoint.size)
        .map_err(|e| CliError::new(format!("the log's tiles at {prefix}: {e}")))?
        .ok_or_else(|| CliError::new(format!("no inclusion proof of entry {index}")))?;
    Ok(TlogProof {
        extra: Some(leaf),
        index,
        proof,
        checkpoint: note,
    })
}

/// What `check-proof` reports.
#[derive(Serialize)]
struct Report {
    /// Whether the proof proves the PoA's registration.
    proven: bool,
    /// Why not, when it does not.
    reason: Option<String>,
    index: Option<u64>,
    checkpoint_size: Option<u64>,
    registered_at_unix: Option<i64>,
    cosigners: Vec<String>,
}

/// Checks that the tlog-proof at `proof` proves `poa`'s registration in the log of `key`, with
/// `witness_policy`'s quorum of cosignatures if given.
pub fn check(
    proof: &Path,
    poa: &Path,
    key: &VerifierKey,
    witness_policy: Option<&Path>,
    json: bool,
) -> Result<Outcome, CliError> {
    let text = String::from_utf8(read_limited(proof, MAX_PROOF_BYTES, "tlog-proof")?)
        .map_err(|_| CliError::new(format!("{} is not UTF-8 text", proof.display())))?;
    let poa = read_limited(poa, MAX_CMS_FILE_BYTES, "power of attorney")?;
    let policy = witness_policy.map(read_witness_policy).transpose()?;
    let report = match verify_registration_proof(&AWS_LC, &text, &poa, key, policy.as_ref()) {
        Ok(proven) => Report {
            proven: true,
            reason: None,
            index: Some(proven.index),
            checkpoint_size: Some(proven.checkpoint.size),
            registered_at_unix: Some(proven.registered_at.seconds()),
            cosigners: proven.cosigners,
        },
        Err(error) => Report {
            proven: false,
            reason: Some(error.to_string()),
            index: None,
            checkpoint_size: None,
            registered_at_unix: None,
            cosigners: Vec::new(),
        },
    };
    if json {
        print_json(&report)?;
    } else if let Some(reason) = &report.reason {
        println!("NOT PROVEN: {reason}");
    } else {
        println!(
            "proven: registered at index {} of the checkpoint of {} entries{}",
            report.index.unwrap_or_default(),
            report.checkpoint_size.unwrap_or_default(),
            match report.cosigners.is_empty() {
                true => String::new(),
                false => format!(", cosigned by {}", report.cosigners.join(", ")),
            }
        );
    }
    Ok(match report.proven {
        true => Outcome::Done,
        false => Outcome::Rejected,
    })
}
