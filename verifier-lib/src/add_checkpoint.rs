//! The body of a C2SP tlog-witness `add-checkpoint` request, and the size a witness answers a
//! conflict with: the one wire format a log and its witnesses share.
//!
//! ```text
//! old <size the witness last cosigned>\n
//! <base64 hash>\n ...                  the consistency proof from that size (at most 63 lines)
//! \n
//! <signed checkpoint note>
//! ```
//!
//! A witness answering `409 Conflict` gives its size as `<decimal>\n`, of type
//! [`SIZE_CONTENT_TYPE`].

use base64ct::{Base64, Encoding};

use crate::Error;
use crate::merkle::{Hash, base64_hash};
use crate::note::{MAX_NOTE_BYTES, canonical_decimal};

/// The most consistency proof lines a request carries (a proof in a tree of 2^64 leaves).
pub const MAX_PROOF_LINES: usize = 63;

/// The largest request body: the old size line, the most proof lines, the note.
pub const MAX_REQUEST_BYTES: usize = 32 + MAX_PROOF_LINES * 45 + 1 + MAX_NOTE_BYTES;

/// The `Content-Type` of a witness's size in a `409 Conflict`.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// A parsed `add-checkpoint` request: nothing in it is verified yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, as sent.
    pub checkpoint: &'a str,
}

impl<'a> AddCheckpoint<'a> {
    /// Parses a request body, refusing every spelling the specification does not allow.
    pub fn parse(body: &'a str) -> Result<Self, Error> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(malformed("the request is too large"));
        }
        let (old_line, rest) = body
            .split_once('\n')
            .ok_or_else(|| malformed("no old size line"))?;
        let old_size = old_line
            .strip_prefix("old ")
            .and_then(canonical_decimal)
            .ok_or_else(|| malformed("the first line is not `old <canonical decimal>`"))?;
        let mut proof = Vec::new();
        let mut rest = rest;
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| malformed("no empty line before the checkpoint"))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(malformed("more than 63 consistency proof lines"));
            }
            let hash = base64_hash(line)
                .ok_or_else(|| malformed("a proof line is not 32 bytes of base64"))?;
            proof.push(hash);
        }
        if old_size == 0 && !proof.is_empty() {
            return Err(malformed("a proof from size 0 must be empty"));
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest,
        })
    }

    /// The request body.
    pub fn encode(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&Base64::encode_string(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(self.checkpoint);
        body
    }
}

/// A witness's size in a `409 Conflict` body: a canonical decimal and a newline.
pub fn parse_size(body: &str) -> Result<u64, Error> {
    body.strip_suffix('\n')
        .and_then(canonical_decimal)
        .ok_or_else(|| malformed("a conflict's body is not `<canonical decimal>\\n`"))
}

fn malformed(detail: &str) -> Error {
    Error::AddCheckpointMalformed {
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's example request, with its signatures as given there.
    const SPEC_EXAMPLE: &str = "old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
\u{2014} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
";

    #[test]
    fn the_specifications_example_parses_and_encodes_back() {
        let request = AddCheckpoint::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(request.old_size, 20_852_014);
        assert_eq!(request.proof.len(), 4);
        assert_eq!(request.proof[0][..3], [0x3e, 0x54, 0x4d]);
        assert!(
            request
                .checkpoint
                .starts_with("example.com/behind-the-sofa\n20852163\n")
        );
        assert!(request.checkpoint.ends_with("qbSzm9Q=\n"));
        assert_eq!(request.encode(), SPEC_EXAMPLE);
    }

    #[test]
    fn every_other_spelling_is_refused_with_its_reason() {
        let note = "log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n";
        let cases = [
            (format!("old 01\n\n{note}"), "canonical decimal"),
            (format!("old -1\n\n{note}"), "canonical decimal"),
            (format!("old  1\n\n{note}"), "canonical decimal"),
            (format!("Old 1\n\n{note}"), "canonical decimal"),
            (
                format!("old 18446744073709551616\n\n{note}"),
                "canonical decimal",
            ),
            (format!("old 1\nAAAA\n\n{note}"), "32 bytes"),
            (
                format!("old 0\n{}\n\n{note}", "A".repeat(43) + "="),
                "from size 0",
            ),
            ("old 1\n".to_owned(), "no empty line"),
            ("old 1".to_owned(), "no old size line"),
            (
                format!(
                    "old 1\n{}\n{note}",
                    format!("{}=\n", "A".repeat(43)).repeat(64)
                ),
                "more than 63",
            ),
        ];
        for (body, reason) in cases {
            let error = AddCheckpoint::parse(&body).unwrap_err().to_string();
            assert!(error.contains(reason), "{body:?}: {error}");
        }
        let oversized = format!("old 1\n\n{}", "x".repeat(MAX_REQUEST_BYTES));
        assert!(
            AddCheckpoint::parse(&oversized)
                .unwrap_err()
                .to_string()
                .contains("too large")
        );
    }

    #[test]
    fn a_conflicts_size_is_a_canonical_decimal_and_a_newline() {
        assert_eq!(parse_size("20852014\n").unwrap(), 20_852_014);
        assert_eq!(parse_size("0\n").unwrap(), 0);
        for body in ["20852014", "020\n", "1 \n", "\n", "1\n\n", "x\n"] {
            assert!(parse_size(body).is_err(), "{body:?}");
        }
    }
}
