//! `eproxy contract sign`: the employee signs a contract under a PoA. The terms come from a
//! small TOML file (README: "Contract terms"); the document's digest is computed here from the
//! document itself, so what is signed is exactly the file at hand.

use std::path::Path;

use eproxy_proto::{ContractTerms, v1};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::cli::KeyArgs;
use crate::commands::{Outcome, now, open_key};
use crate::draft::parse_matter;
use crate::error::CliError;
use crate::input::read_limited;
use crate::output::{print_json, write_output};
use crate::render::{SignerView, TimeView};
use crate::signing::sign_content_stamped;
use crate::time_text::jst;

/// The largest terms file read.
const MAX_TERMS_BYTES: usize = 64 * 1024;
/// The largest document hashed: a contract with its annexes.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// The terms file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsFile {
    /// The PoA relied on: its delegation id.
    delegation: String,
    /// The matter, as in a PoA draft.
    matter: String,
    /// The counterparty's corporate number.
    counterparty: String,
    /// The amount in whole yen, tax included (0 for none).
    amount_yen: u64,
    /// The document's title, for display.
    title: String,
    /// The document's media type, e.g. application/pdf.
    media_type: String,
}

/// The `--json` report.
#[derive(Serialize)]
struct Signed {
    file: String,
    delegation_id: String,
    document_sha256: String,
    signer: SignerView,
    /// The time-stamping authority's time, when the signature was timestamped.
    timestamp: Option<TimeView>,
}

/// Signs `document` under the terms in `terms_path`.
pub fn sign(
    terms_path: &Path,
    document: &Path,
    key: &KeyArgs,
    tsa: Option<&str>,
    out: &Path,
    json: bool,
) -> Result<Outcome, CliError> {
    let bytes = read_limited(terms_path, MAX_TERMS_BYTES, "terms file")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::new(format!("{} is not UTF-8 text", terms_path.display())))?;
    let file: TermsFile = toml::from_str(&text).map_err(|e| {
        CliError::new(format!(
            "{} is not a valid terms file: {e}",
            terms_path.display()
        ))
        .fix("compare it with \"Contract terms\" in the README")
    })?;
    let document_sha256 = Sha256::digest(read_limited(document, MAX_DOCUMENT_BYTES, "document")?);
    let now = now()?;
    let message = v1::ContractTerms {
        format_version: eproxy_proto::limits::FORMAT_VERSION,
        matter: Some(v1::Matter::from(&parse_matter(&file.matter)?)),
        counterparty_corporate_number: file.counterparty,
        amount_yen: file.amount_yen,
        document: Some(v1::Document {
            sha256: document_sha256.to_vec(),
            media_type: file.media_type,
            title: file.title,
        }),
        delegation_id: file.delegation,
        claimed_signing_time_unix_seconds: now.seconds(),
    };
    let terms = ContractTerms::from_proto(&message).map_err(|e| {
        CliError::new(format!(
            "{}: the terms are not valid: {e}",
            terms_path.display()
        ))
    })?;
    let key = open_key(key)?;
    let (cms, stamped_at) = sign_content_stamped(key.as_ref(), &terms.encode(), now, tsa)?;
    write_output(out, &cms)?;
    let report = Signed {
        file: out.display().to_string(),
        delegation_id: terms.delegation_id.to_string(),
        document_sha256: hex::encode(document_sha256),
        signer: SignerView::of(key.certificate()),
        timestamp: stamped_at.map(TimeView::of),
    };
    if json {
        print_json(&report)?;
    } else {
        println!("signed the contract {}", out.display());
        println!("  under PoA {}", report.delegation_id);
        println!("  document SHA-256 {}", report.document_sha256);
        println!("  signed by {}", report.signer.summary());
        match stamped_at {
            Some(at) => println!("  timestamped {} by the time-stamping authority", jst(at)),
            None => println!(
                "  not timestamped: verifiers will judge it at their own time (give --tsa URL)"
            ),
        }
    }
    Ok(Outcome::Done)
}
