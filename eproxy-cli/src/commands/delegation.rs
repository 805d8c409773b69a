//! `eproxy delegation new | sign | show`: the representative's side of a power of attorney.

use std::path::Path;

use eproxy_proto::{Delegation, DelegationId, decode_delegation};
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::verify_cms::verify_cms;
use serde::Serialize;

use crate::cli::{DelegationCommand, KeyArgs, NewDelegationArgs, RegistryArgs};
use crate::commands::{Outcome, now, open_key, registry};
use crate::draft::{
    AmountCapDraft, CompanyDraft, CounterpartiesDraft, DRAFT_FORMAT, DelegateeDraft, Draft,
    RepresentativeDraft, ScopeDraft, TimeDraft, ValidityDraft,
};
use crate::error::CliError;
use crate::input::{MAX_CMS_FILE_BYTES, read_certificate, read_limited};
use crate::output::{print_json, write_output};
use crate::render::{DelegationView, SignerView, padded};
use crate::signing::sign_content;

/// Runs `eproxy delegation …`.
pub fn run(command: DelegationCommand) -> Result<Outcome, CliError> {
    match command {
        DelegationCommand::New(args) => new(&args),
        DelegationCommand::Sign {
            draft,
            key,
            out,
            json,
        } => sign(&draft, &key, &out, json),
        DelegationCommand::Show {
            target,
            signer,
            company,
            registry,
            json,
        } => show(
            &target,
            signer.given().as_ref(),
            company.as_deref(),
            &registry,
            json,
        ),
        DelegationCommand::Submit {
            file,
            crl,
            registry,
            json,
        } => registry::submit(&file, &crl, &registry, json),
        DelegationCommand::Status { id, registry, json } => registry::status(&id, &registry, json),
        DelegationCommand::Revoke {
            id,
            reason_code,
            reason,
            request,
        } => registry::revoke(&id, (&reason_code, &reason), &request),
        DelegationCommand::List { request } => registry::list(&request),
        DelegationCommand::Evidence {
            id,
            contract,
            signer,
            company,
            registry,
            out,
            json,
        } => registry::evidence(
            &id,
            contract.as_deref(),
            signer.given().as_ref(),
            company.as_deref(),
            &registry,
            &out,
            json,
        ),
    }
}

fn new(args: &NewDelegationArgs) -> Result<Outcome, CliError> {
    let certificate = read_certificate(&args.delegatee_cert)?;
    let draft = Draft {
        format: DRAFT_FORMAT,
        issued_at: None,
        parent: args.parent.clone(),
        supersedes: args.supersedes.clone(),
        remarks: args.remarks.clone(),
        delegator: CompanyDraft {
            corporate_number: args.company.clone(),
            name: args.company_name.clone(),
            head_office_address: args.company_address.clone(),
        },
        representative: RepresentativeDraft {
            name: args.representative.clone(),
            title: args.title.clone(),
        },
        delegatee: DelegateeDraft {
            display_name: args.delegatee_name.clone(),
            certificate: None,
            certificate_sha256: Some(hex::encode(certificate.sha256())),
        },
        scope: ScopeDraft {
            matters: args.matters.clone(),
            amount_cap: match args.amount_cap.parse::<u64>() {
                Ok(yen) => AmountCapDraft::Yen(yen),
                Err(_) => AmountCapDraft::Word(args.amount_cap.clone()),
            },
            counterparties: match args.counterparties.as_slice() {
                [word] if word == "any" => CounterpartiesDraft::Word(word.clone()),
                list => CounterpartiesDraft::Listed(list.to_vec()),
            },
            max_sub_delegation_depth: args.sub_delegation_depth,
        },
        validity: ValidityDraft {
            not_before: TimeDraft::Text(args.from.clone()),
            not_after: TimeDraft::Text(args.until.clone()),
        },
    };
    // The draft must make a valid PoA now: a mistake is cheaper here than at signing.
    draft.to_delegation(Path::new("."), now()?)?;
    let body = toml::to_string_pretty(&draft)
        .map_err(|e| CliError::new(format!("cannot write the draft: {e}")))?;
    let identity = SignerView::of(&certificate);
    let text = format!(
        "# eproxy PoA draft (電子委任状の下書き), format {DRAFT_FORMAT}. Review it, then sign it:\n\
         #   eproxy delegation sign {} --key KEY -o poa.p7s\n\
         # The delegatee's certificate ({}): {}, valid until {}.\n\n{body}",
        args.out.display(),
        args.delegatee_cert.display(),
        identity.summary(),
        crate::time_text::jst(certificate.not_after()),
    );
    write_output(&args.out, text.as_bytes())?;
    if args.json {
        print_json(&Drafted {
            file: args.out.display().to_string(),
            delegatee: identity,
        })?;
    } else {
        eprintln!("wrote the draft {}", args.out.display());
    }
    Ok(Outcome::Done)
}

/// `new`'s `--json` report.
#[derive(Serialize)]
struct Drafted {
    file: String,
    /// The certificate the draft binds.
    delegatee: SignerView,
}

/// The `--json` report of a signing.
#[derive(Serialize)]
struct Signed {
    delegation_id: String,
    file: String,
    signer: SignerView,
}

fn sign(draft_path: &Path, key: &KeyArgs, out: &Path, json: bool) -> Result<Outcome, CliError> {
    let draft = Draft::read(draft_path)?;
    let base = draft_path.parent().unwrap_or(Path::new("."));
    let now = now()?;
    let delegation = draft.to_delegation(base, now)?;
    let key = open_key(key)?;
    let cms = sign_content(key.as_ref(), &delegation.encode(), now)?;
    let id = DelegationId::of_cms(&cms);
    write_output(out, &cms)?;
    let report = Signed {
        delegation_id: id.to_string(),
        file: out.display().to_string(),
        signer: SignerView::of(key.certificate()),
    };
    if json {
        print_json(&report)?;
    } else {
        println!("signed PoA {id}");
        println!("  written to {}", out.display());
        println!("  signed by {}", report.signer.summary());
        println!("next: eproxy delegation submit {}", out.display());
    }
    Ok(Outcome::Done)
}

/// The `--json` of `show`.
#[derive(Serialize)]
struct Shown {
    /// The delegation id; absent for a draft, which has none until signed.
    delegation_id: Option<String>,
    /// "signed" (the CMS signature verifies; the signer is not yet checked against any trust
    /// anchor) or "draft".
    form: &'static str,
    delegation: DelegationView,
    signer: Option<SignerView>,
    /// The registry's status, when the PoA was fetched from it.
    registry_status: Option<registry::StatusReport>,
}

fn show(
    target: &str,
    key: Option<&KeyArgs>,
    company: Option<&str>,
    registry_args: &RegistryArgs,
    json: bool,
) -> Result<Outcome, CliError> {
    let file = Path::new(target);
    let shown = if !file.exists() && DelegationId::parse(target).is_ok() {
        let id = registry::parse_id(target)?;
        let key = key.ok_or_else(|| {
            CliError::new(format!(
                "{target} is an id: fetching the PoA needs the company's key"
            ))
            .fix("give --key KEY (a representative's), or show the PoA's file instead")
        })?;
        let poa = registry::company_poas(key, company, registry_args)?
            .into_iter()
            .find(|poa| poa.status.delegation_id == id.to_string())
            .ok_or_else(|| {
                CliError::new(format!("the registry lists no PoA {id} for this company"))
            })?;
        let (delegation, signer) = open_signed(&poa.cms, file)?;
        Shown {
            delegation_id: Some(id.to_string()),
            form: "signed",
            delegation: DelegationView::of(&delegation),
            signer: Some(signer),
            registry_status: Some(poa.status),
        }
    } else if file.extension().is_some_and(|e| e == "toml") {
        let draft = Draft::read(file)?;
        let delegation = draft.to_delegation(file.parent().unwrap_or(Path::new(".")), now()?)?;
        Shown {
            delegation_id: None,
            form: "draft",
            delegation: DelegationView::of(&delegation),
            signer: None,
            registry_status: None,
        }
    } else {
        let cms = read_limited(file, MAX_CMS_FILE_BYTES, "signed PoA")?;
        let (delegation, signer) = open_signed(&cms, file)?;
        Shown {
            delegation_id: Some(DelegationId::of_cms(&cms).to_string()),
            form: "signed",
            delegation: DelegationView::of(&delegation),
            signer: Some(signer),
            registry_status: None,
        }
    };
    if json {
        print_json(&shown)?;
        return Ok(Outcome::Done);
    }
    match &shown.delegation_id {
        Some(id) => println!("電子委任状 Power of attorney {id}"),
        None => println!("電子委任状の下書き Power of attorney draft (unsigned)"),
    }
    print!("{}", shown.delegation.text());
    if let Some(status) = &shown.registry_status {
        println!("  {} {}", padded("状態 Registry status"), status.status);
    }
    if let Some(signer) = &shown.signer {
        print!("{}", signer.text("署名者 Signed by"));
        println!(
            "The signature is intact. Whether the signer may grant this is what `eproxy verify` \
             and the registry check."
        );
    }
    Ok(Outcome::Done)
}

/// A PoA's content and signer, its CMS signature checked (not yet its signer's authority).
pub fn open_signed(cms: &[u8], file: &Path) -> Result<(Delegation, SignerView), CliError> {
    let signed = verify_cms(&AWS_LC, cms, None, &[]).map_err(|e| {
        CliError::new(format!(
            "{} is not an intact signed PoA: {e}",
            file.display()
        ))
    })?;
    let delegation = decode_delegation(signed.content)
        .map_err(|e| CliError::new(format!("{} does not hold a valid PoA: {e}", file.display())))?;
    Ok((delegation, SignerView::of(&signed.signer)))
}
