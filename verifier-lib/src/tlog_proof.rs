//! A PoA's registration as a C2SP tlog-proof: an offline proof that the registry logged it,
//! in the text format the transparency-log world shares, so that any tlog-proof tool can
//! check the inclusion and this module can check that the entry is this PoA's registration.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64 of the registration event: the log's leaf>
//! index <the leaf's index>
//! <base64 hash>\n ...          the inclusion proof, from the leaf's sibling up
//! \n
//! <the signed checkpoint, with any witnesses' cosignatures>
//! ```
//!
//! The extra data is not trusted: its hash is the leaf the inclusion proof must lead from.

use base64ct::{Base64, Encoding};
use eproxy_policy::UnixTime;
use eproxy_proto::v1::{EvidenceBundle, LogEvent, LogEventKind};
use eproxy_proto::{DelegationId, decode_canonical};

use crate::Error;
use crate::crypto::SignatureVerifier;
use crate::evidence::MAX_EVIDENCE_BYTES;
use crate::merkle::{Hash, base64_hash, leaf_hash, verify_inclusion};
use crate::note::{Checkpoint, MAX_NOTE_BYTES, VerifierKey, canonical_decimal, verify_checkpoint};
use crate::witness_policy::WitnessPolicy;

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The most inclusion proof lines (a tree of 2^64 leaves).
const MAX_PROOF_LINES: usize = 64;

/// The largest extra data: a registration event.
const MAX_EXTRA_BYTES: usize = 4 * 1024;

/// The largest proof read.
pub const MAX_PROOF_BYTES: usize =
    HEADER.len() + 8 + MAX_EXTRA_BYTES * 2 + 32 + MAX_PROOF_LINES * 45 + 1 + MAX_NOTE_BYTES;

/// A parsed tlog-proof; nothing in it is verified yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// The opaque extra data, if any.
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log.
    pub index: u64,
    /// The inclusion proof.
    pub proof: Vec<Hash>,
    /// The checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// Parses a proof, refusing every spelling the format does not allow.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() > MAX_PROOF_BYTES {
            return Err(malformed("the proof is too large"));
        }
        let mut rest = text;
        let mut line = || -> Result<&str, Error> {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| malformed("no empty line before the checkpoint"))?;
            rest = after;
            Ok(line)
        };
        if line()? != HEADER {
            return Err(malformed("the first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut next = line()?;
        let extra = match next.strip_prefix("extra ") {
            Some(encoded) => {
                let extra = Base64::decode_vec(encoded)
                    .map_err(|_| malformed("the extra data is not base64"))?;
                if extra.len() > MAX_EXTRA_BYTES {
                    return Err(malformed("the extra data is too large"));
                }
                next = line()?;
                Some(extra)
            }
            None => None,
        };
        let index = next
            .strip_prefix("index ")
            .and_then(canonical_decimal)
            .ok_or_else(|| malformed("no `index <canonical decimal>` line"))?;
        let mut proof = Vec::new();
        loop {
            let next = line()?;
            if next.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(malformed("more than 64 inclusion proof lines"));
            }
            let hash = base64_hash(next)
                .ok_or_else(|| malformed("a proof line is not 32 bytes of base64"))?;
            proof.push(hash);
        }
        Ok(Self {
            extra,
            index,
            proof,
            checkpoint: rest.to_owned(),
        })
    }

    /// The proof's text.
    pub fn encode(&self) -> String {
        let mut text = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            text.push_str(&format!("extra {}\n", Base64::encode_string(extra)));
        }
        text.push_str(&format!("index {}\n", self.index));
        for hash in &self.proof {
            text.push_str(&Base64::encode_string(hash));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.checkpoint);
        text
    }
}

/// What a verified proof shows: the PoA's registration, at its index in the checkpoint's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenRegistration {
    /// The checkpoint the proof leads to, signed by the operator.
    pub checkpoint: Checkpoint,
    /// The registration's index in the log.
    pub index: u64,
    /// When the registry registered the PoA.
    pub registered_at: UnixTime,
    /// The witnesses of the policy whose cosignatures are on the checkpoint (none without one).
    pub cosigners: Vec<String>,
}

/// Verifies that `text` proves the registration of the PoA `poa_cms` in the log of the operator
/// `key`: the checkpoint is signed by `key` (and, with `witnesses`, cosigned by their quorum),
/// the extra data is that PoA's registration event, and the inclusion proof leads from it, at
/// the index given, to the checkpoint's root.
pub fn verify_registration_proof(
    provider: &dyn SignatureVerifier,
    text: &str,
    poa_cms: &[u8],
    key: &VerifierKey,
    witnesses: Option<&WitnessPolicy>,
) -> Result<ProvenRegistration, Error> {
    let proof = TlogProof::parse(text)?;
    // The operator's key always: a policy's `log` lines name other logs it accepts, and a
    // registration in another log proves nothing of this operator's.
    let checkpoint = verify_checkpoint(provider, &proof.checkpoint, key)?;
    let cosigners = match witnesses {
        Some(policy) => policy.quorum(provider, &proof.checkpoint)?,
        None => Vec::new(),
    };
    let leaf = proof
        .extra
        .as_deref()
        .ok_or_else(|| malformed("no extra data: the registration event is the extra data"))?;
    let event: LogEvent = decode_canonical(leaf, MAX_EXTRA_BYTES)
        .map_err(|e| malformed(format!("registration event: {e}")))?;
    let is_this_registration = event.format_version == 1
        && event.kind == LogEventKind::Registration as i32
        && event.delegation_id.as_slice() == DelegationId::of_cms(poa_cms).as_bytes();
    if !is_this_registration {
        return Err(Error::TlogProofEntryMismatch);
    }
    let included = verify_inclusion(
        &leaf_hash(leaf),
        proof.index,
        checkpoint.size,
        &proof.proof,
        &checkpoint.root,
    );
    if !included {
        return Err(Error::InclusionProofInvalid);
    }
    Ok(ProvenRegistration {
        checkpoint,
        index: proof.index,
        registered_at: UnixTime::from_seconds(event.at_unix_seconds),
        cosigners,
    })
}

/// The proof of the PoA `poa_cms`'s registration that an evidence bundle carries (its link's
/// registration event, inclusion proof and the bundle's checkpoint), in the shared format.
/// Nothing is verified here: [`verify_registration_proof`] checks the result.
pub fn from_evidence(bundle: &[u8], poa_cms: &[u8]) -> Result<TlogProof, Error> {
    let bundle: EvidenceBundle =
        decode_canonical(bundle, MAX_EVIDENCE_BYTES).map_err(|e| Error::EvidenceMalformed {
            detail: format!("bundle: {e}"),
        })?;
    let link = bundle
        .links
        .iter()
        .find(|link| link.delegation_cms == poa_cms)
        .ok_or(Error::TlogProofEntryMismatch)?;
    let inclusion = link
        .inclusion
        .as_ref()
        .ok_or_else(|| Error::EvidenceMalformed {
            detail: "link without inclusion proof".into(),
        })?;
    let proof = inclusion
        .hashes
        .iter()
        .take(MAX_PROOF_LINES + 1)
        .map(|h| Hash::try_from(h.as_slice()).map_err(|_| Error::InclusionProofInvalid))
        .collect::<Result<Vec<_>, _>>()?;
    if proof.len() > MAX_PROOF_LINES {
        return Err(Error::InclusionProofInvalid);
    }
    Ok(TlogProof {
        extra: Some(link.registration_event.clone()),
        index: inclusion.leaf_index,
        proof,
        checkpoint: bundle.checkpoint,
    })
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::TlogProofMalformed {
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's example, its signatures shortened as there.
    const SPEC_EXAMPLE: &str = "c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u{2014} example.com/fancylog hI2DJw[...]1roloI=
";

    #[test]
    fn the_specifications_example_parses_and_encodes_back() {
        let proof = TlogProof::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(proof.index, 73_894);
        assert_eq!(proof.proof.len(), 5);
        assert_eq!(proof.extra.as_deref().unwrap()[..16], *b"age-v1.2.1-darwi");
        assert!(
            proof
                .checkpoint
                .starts_with("example.com/fancylog\n109482\n")
        );
        assert_eq!(proof.encode(), SPEC_EXAMPLE);
        let without_extra = SPEC_EXAMPLE.replace(
            "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n",
            "",
        );
        let proof = TlogProof::parse(&without_extra).unwrap();
        assert_eq!((proof.extra, proof.index), (None, 73_894));
    }

    #[test]
    fn every_other_spelling_is_refused_with_its_reason() {
        let tail = "\nlog\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n";
        let cases = [
            (
                format!("c2sp.org/tlog-proof@v2\nindex 1\n{tail}"),
                "first line",
            ),
            (format!("{HEADER}\nindex 01\n{tail}"), "canonical decimal"),
            (format!("{HEADER}\nextra !!\nindex 1\n{tail}"), "not base64"),
            (format!("{HEADER}\nindex 1\nAAAA\n{tail}"), "32 bytes"),
            (format!("{HEADER}\nextra AA==\n{tail}"), "index"),
            (format!("{HEADER}\nindex 1\n"), "no empty line"),
            (
                format!(
                    "{HEADER}\nindex 1\n{}{tail}",
                    format!("{}=\n", "A".repeat(43)).repeat(65)
                ),
                "more than 64",
            ),
        ];
        for (text, reason) in cases {
            let error = TlogProof::parse(&text).unwrap_err().to_string();
            assert!(error.contains(reason), "{text:?}: {error}");
        }
    }
}
