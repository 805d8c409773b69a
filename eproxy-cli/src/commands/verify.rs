//! `eproxy verify`: the counterparty's question, answered by verifier-lib's one call, with every
//! reason and caveat printed. Exit status 0 accepted, 1 rejected, 2 when it could not be asked
//! (bad arguments, unreadable files).

use std::path::Path;

use eproxy_policy::CorporateNumber;
use eproxy_verifier::Error;
use eproxy_verifier::crl::Crl;
use eproxy_verifier::verdict::{Reason, TimeSource, Verdict};
use eproxy_verifier::verify::{ContractInput, PoaSource, Verifier};
use eproxy_verifier::verify_cert::RevocationPolicy;
use eproxy_verifier::witness_policy::{MAX_POLICY_BYTES, WitnessPolicy};
use serde::Serialize;

use eproxy_proto::decode_contract_terms;
use eproxy_proto::registry::v1::get_evidence_request::Entitlement;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::verify_cms::verify_cms;

use crate::cli::VerifyArgs;
use crate::client::read_operator_key;
use crate::client::registry as calls;
use crate::client::{operator_key_path, registry_url};
use crate::commands::{Outcome, now};
use crate::error::CliError;
use crate::input::{MAX_CMS_FILE_BYTES, parse_crls, read_limited, read_trust_dir};
use crate::output::print_json;
use crate::render::TimeView;
use crate::time_text::{jst, parse_time};

/// The largest evidence bundle read: a chain of nine PoAs with proofs.
const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// The largest document hashed.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// Runs `eproxy verify`.
pub fn run(args: &VerifyArgs) -> Result<Outcome, CliError> {
    let anchors = read_trust_dir(&args.trust)?;
    let contract = read_limited(&args.contract, MAX_CMS_FILE_BYTES, "signed contract")?;
    let document = args
        .document
        .as_ref()
        .map(|path| read_limited(path, MAX_DOCUMENT_BYTES, "document"))
        .transpose()?;
    let crls = parse_crls(&args.crl)?;
    let crl_refs: Vec<&Crl> = crls.iter().collect();
    let verification_time = match &args.at {
        Some(text) => parse_time(text).map_err(|e| CliError::new(format!("--at: {e}")))?,
        None => now()?,
    };
    let expected_counterparty = args
        .counterparty
        .as_deref()
        .map(|text| {
            CorporateNumber::parse(text)
                .map_err(|e| CliError::new(format!("--counterparty {text}: {e}")))
        })
        .transpose()?;

    let bundle;
    let operator_key;
    let poas: Vec<Vec<u8>>;
    let poa_refs: Vec<&[u8]>;
    let poa = if !args.poa.is_empty() {
        poas = args
            .poa
            .iter()
            .map(|path| read_limited(path, MAX_CMS_FILE_BYTES, "signed PoA"))
            .collect::<Result<_, _>>()?;
        poa_refs = poas.iter().map(Vec::as_slice).collect();
        PoaSource::Unchecked(&poa_refs)
    } else {
        let key_path = operator_key_path(args.operator_key.as_ref())?.ok_or_else(|| {
            CliError::new("registry evidence needs the operator's key: evidence is only as good as the key it is checked under")
                .fix("give --operator-key FILE (the operator's operator.vkey), or --poa FILE to check the PoA alone")
        })?;
        operator_key = read_operator_key(&key_path)?;
        bundle = match &args.evidence {
            Some(path) => read_limited(path, MAX_BUNDLE_BYTES, "evidence bundle")?,
            None => fetch_evidence(&contract, args.registry.as_deref())?,
        };
        PoaSource::Evidence {
            bundle: &bundle,
            operator_key: &operator_key,
        }
    };

    let mut verifier = Verifier::new(anchors).with_revocation(if args.lenient {
        RevocationPolicy::Lenient
    } else {
        RevocationPolicy::Strict
    });
    if let Some(path) = &args.witness_policy {
        if !args.poa.is_empty() {
            return Err(CliError::new(
                "a witness policy is checked on the registry's evidence, and --poa gives none",
            )
            .fix("give --evidence BUNDLE or --registry URL instead of --poa"));
        }
        verifier = verifier.with_witness_policy(read_witness_policy(path)?);
    }
    let verdict = verifier.verify_contract(&ContractInput {
        contract: &contract,
        document: document.as_deref(),
        poa,
        crls: &crl_refs,
        certificates: &[],
        verification_time,
        expected_counterparty,
    });
    let report = Report::of(&verdict);
    if args.json {
        print_json(&report)?;
    } else {
        print!("{}", report.text());
    }
    Ok(if verdict.accepted() {
        Outcome::Done
    } else {
        Outcome::Rejected
    })
}

/// The witness policy in `path`.
pub(crate) fn read_witness_policy(path: &Path) -> Result<WitnessPolicy, CliError> {
    let bytes = read_limited(path, MAX_POLICY_BYTES, "witness policy")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::new(format!("{} is not UTF-8 text", path.display())))?;
    WitnessPolicy::parse(&text).map_err(|e| CliError::new(format!("{}: {e}", path.display())))
}

/// The evidence for the PoA the contract names, fetched from the registry with the contract as
/// the entitlement (what a counterparty holds).
fn fetch_evidence(contract: &[u8], registry: Option<&str>) -> Result<Vec<u8>, CliError> {
    let url = registry_url(registry).map_err(|e| {
        e.fix("give --evidence BUNDLE, --registry URL (EPROXY_REGISTRY), or --poa FILE")
    })?;
    let signed = verify_cms(&AWS_LC, contract, None, &[]).map_err(|e| {
        CliError::new(format!(
            "the contract's signature does not verify, so the PoA it names cannot be fetched: {e}"
        ))
    })?;
    let terms = decode_contract_terms(signed.content)
        .map_err(|e| CliError::new(format!("the contract holds no valid terms: {e}")))?;
    calls::evidence(
        &url,
        terms.delegation_id,
        Entitlement::ContractCms(contract.to_vec()),
    )
}

/// The verdict for people and programs.
#[derive(Serialize)]
struct Report {
    accepted: bool,
    /// Every reason for rejection: `kind` is stable for programs, `message` is for people.
    reasons: Vec<Item>,
    /// Caveats of an acceptance (or of a rejection).
    warnings: Vec<Item>,
    /// The time the contract was judged at, and where it came from.
    time: Option<TimeView>,
    time_source: Option<&'static str>,
    /// The signer as their JPKI certificate names them.
    signer_name: Option<String>,
    signer_certificate_sha256: Option<String>,
    /// The PoA chain, the contract's PoA first.
    chain: Vec<String>,
    /// The company the PoA is from: name and corporate number.
    company: Option<String>,
    /// The log size the evidence was proven against.
    checkpoint_size: Option<u64>,
}

#[derive(Serialize)]
struct Item {
    kind: String,
    message: String,
    /// What to do about it, where there is something to do.
    what_to_do: Option<&'static str>,
}

impl Item {
    /// `kind` is the variant's name, taken from its debug form.
    fn of<T: std::fmt::Debug + std::fmt::Display>(value: &T) -> Self {
        let debug = format!("{value:?}");
        let kind = debug
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or_default()
            .to_owned();
        Self {
            kind,
            message: value.to_string(),
            what_to_do: None,
        }
    }

    fn of_reason(reason: &Reason) -> Self {
        Self {
            what_to_do: what_to_do(reason),
            ..Self::of(reason)
        }
    }
}

/// The usual remedy for a reason, for the person who has to act on it.
fn what_to_do(reason: &Reason) -> Option<&'static str> {
    Some(match reason {
        Reason::SignerCertificate(Error::CertificateExpired { .. }) => {
            "the employee's signing certificate had expired: once the card's certificate is \
             renewed, the company binds the new one with `eproxy delegation new --delegatee-cert \
             NEW.pem --supersedes OLD_ID …`, and the contract is signed again"
        }
        Reason::SignerNotDelegatee { .. } => {
            "the contract was signed with a certificate the PoA does not bind (a renewed card?): \
             the company re-binds with `eproxy delegation new --supersedes OLD_ID …`"
        }
        Reason::PoaRevoked { .. } | Reason::PoaSuperseded { .. } => {
            "the PoA no longer held at the contract's time: ask the company which PoA is in force"
        }
        Reason::PoaStatusUnknown { .. } => {
            "fetch the registry's evidence (`eproxy delegation evidence ID --contract CONTRACT \
             -o bundle`) and verify with --evidence, or accept the risk with --lenient"
        }
        Reason::DocumentMismatch => {
            "the document is not the one signed: compare versions with the signer"
        }
        Reason::RepresentativeAuthorityUnproven { .. } => {
            "nothing shows the PoA's signer may bind the company: refuse the contract unless the \
             company produces a PoA signed with its representative's commercial-registration \
             certificate, or registry evidence carrying the enrollment of the card that signed"
        }
        _ => return None,
    })
}

impl Report {
    fn of(verdict: &Verdict) -> Self {
        let facts = &verdict.facts;
        Self {
            accepted: verdict.accepted(),
            reasons: verdict.reasons.iter().map(Item::of_reason).collect(),
            warnings: verdict.warnings.iter().map(Item::of).collect(),
            time: facts.time.as_ref().map(|(t, _)| TimeView::of(*t)),
            time_source: facts.time.as_ref().map(|(_, source)| match source {
                TimeSource::Timestamp => "timestamp",
                TimeSource::VerificationTime => "verification time",
            }),
            signer_name: facts.signer.as_ref().and_then(|s| s.name.clone()),
            signer_certificate_sha256: facts.signer_certificate_sha256.map(hex::encode),
            chain: facts.chain.iter().map(|id| id.to_string()).collect(),
            company: facts
                .company
                .as_ref()
                .map(|c| format!("{} (法人番号 {})", c.name, c.corporate_number)),
            checkpoint_size: facts.checkpoint.as_ref().map(|c| c.size),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        if self.accepted {
            out.push_str("ACCEPTED: the contract is covered by a valid power of attorney\n");
        } else {
            out.push_str("REJECTED: the contract is not shown to be covered\n");
            for reason in &self.reasons {
                out.push_str(&format!("  reason: {}\n", reason.message));
                if let Some(fix) = reason.what_to_do {
                    out.push_str(&format!("    what to do: {fix}\n"));
                }
            }
        }
        for warning in &self.warnings {
            out.push_str(&format!("  caveat: {}\n", warning.message));
        }
        if let Some(name) = &self.signer_name {
            out.push_str(&format!("  signer: {name} (JPKI signing certificate)\n"));
        }
        if let Some(company) = &self.company {
            out.push_str(&format!("  for the company: {company}\n"));
        }
        if let (Some(time), Some(source)) = (&self.time, self.time_source) {
            let t = eproxy_policy::UnixTime::from_seconds(time.unix);
            out.push_str(&format!("  judged at: {} ({source})\n", jst(t)));
        }
        for (i, id) in self.chain.iter().enumerate() {
            let label = if i == 0 {
                "power of attorney"
            } else {
                "  parent"
            };
            out.push_str(&format!("  {label}: {id}\n"));
        }
        if let Some(size) = self.checkpoint_size {
            out.push_str(&format!("  registry log size proven: {size}\n"));
        }
        out
    }
}
