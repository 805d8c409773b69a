//! The PoA draft: a TOML file a representative writes (by `eproxy delegation new` or by hand),
//! reviews, and signs with `eproxy delegation sign`. README.md ("The PoA draft") documents the
//! format key by key.
//!
//! A draft is only a convenience: it becomes an `eproxy.v1.Delegation` and passes through
//! [`Delegation::from_proto`], so every field rule is the specification's, checked once, in
//! `eproxy-proto` and `eproxy-policy`. What this module adds is the friendly surface: matter
//! names, `"none"` and `"any"`, dates in JST, a certificate file instead of a hash.

use std::path::{Path, PathBuf};

use eproxy_policy::{Matter, StandardMatter, UnixTime};
use eproxy_proto::{Delegation, v1};
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::input::read_certificate;
use crate::time_text::{DateEnd, parse_period_end, parse_time};

/// The draft format's version: the `format` key.
pub const DRAFT_FORMAT: u32 = 1;

/// The largest draft read, in bytes: far above any valid PoA (32 KiB encoded).
const MAX_DRAFT_BYTES: usize = 256 * 1024;

/// The draft as written in TOML.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// The draft format: 1.
    pub format: u32,
    /// The claimed issue time; the signing time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<TimeDraft>,
    /// The parent PoA's id, for a sub-delegation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The id of the PoA this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// Free text for people, never machine-trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// The company granting authority (委任者).
    pub delegator: CompanyDraft,
    /// Its representative (代表者).
    pub representative: RepresentativeDraft,
    /// The person authorised (受任者).
    pub delegatee: DelegateeDraft,
    /// What is granted.
    pub scope: ScopeDraft,
    /// When.
    pub validity: ValidityDraft,
}

/// `[delegator]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyDraft {
    /// 法人番号, 13 digits.
    pub corporate_number: String,
    /// 商号.
    pub name: String,
    /// 本店所在地.
    pub head_office_address: String,
}

/// `[representative]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeDraft {
    /// 氏名 as registered.
    pub name: String,
    /// 役職 as registered.
    pub title: String,
}

/// `[delegatee]`: exactly one of `certificate` and `certificate_sha256`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegateeDraft {
    /// The name shown to people; the certificate's name is the one that counts.
    pub display_name: String,
    /// The employee's JPKI signing certificate (PEM or DER), relative to the draft's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<PathBuf>,
    /// Or its SHA-256, 64 hexadecimal digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_sha256: Option<String>,
}

/// `[scope]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeDraft {
    /// Matter names (see [`parse_matter`]) or extension codes.
    pub matters: Vec<String>,
    /// Whole yen, or `"none"` for an explicit "no limit".
    pub amount_cap: AmountCapDraft,
    /// Corporate numbers, or `"any"` for an explicit "any counterparty".
    pub counterparties: CounterpartiesDraft,
    /// How deep sub-delegation may go below this PoA: 0 (the default) forbids it.
    #[serde(default)]
    pub max_sub_delegation_depth: u32,
}

/// `amount_cap = 5000000` or `amount_cap = "none"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AmountCapDraft {
    /// At most this many yen.
    Yen(u64),
    /// A word: only `"none"` is meaningful.
    Word(String),
}

/// `counterparties = ["…"]` or `counterparties = "any"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CounterpartiesDraft {
    /// Only these corporate numbers.
    Listed(Vec<String>),
    /// A word: only `"any"` is meaningful.
    Word(String),
}

/// `[validity]`: each end an RFC 3339 time or a bare date (a whole day in JST).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidityDraft {
    /// The first moment covered.
    pub not_before: TimeDraft,
    /// The last moment covered.
    pub not_after: TimeDraft,
}

/// A time in a draft: quoted text, or a TOML date or date-time written bare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeDraft {
    /// `"2026-12-01"` or `"2026-12-01T09:00:00+09:00"`.
    Text(String),
    /// `2026-12-01` or `2026-12-01T09:00:00+09:00`, unquoted.
    Toml(toml::value::Datetime),
}

impl TimeDraft {
    fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Toml(datetime) => datetime.to_string(),
        }
    }

    /// A period's end (`key` names it in errors).
    fn period_end(&self, key: &str, end: DateEnd) -> Result<UnixTime, CliError> {
        parse_period_end(&self.text(), end).map_err(|e| CliError::new(format!("{key}: {e}")))
    }

    /// An instant: a full RFC 3339 time.
    fn instant(&self, key: &str) -> Result<UnixTime, CliError> {
        parse_time(&self.text()).map_err(|e| CliError::new(format!("{key}: {e}")))
    }
}

/// The command-line name of a standard matter (`--matter`, and `matters` in a draft).
pub fn matter_name(matter: StandardMatter) -> &'static str {
    match matter {
        StandardMatter::BidsAndQuotes => "bids-and-quotes",
        StandardMatter::ConcludeContracts => "conclude-contracts",
        StandardMatter::ClaimAndReceivePayment => "claim-and-receive-payment",
        StandardMatter::AppointSubAgents => "appoint-sub-agents",
    }
}

/// A matter by its command-line name, or an extension code (`namespace:code`).
pub fn parse_matter(text: &str) -> Result<Matter, CliError> {
    if let Some(standard) = StandardMatter::ALL
        .into_iter()
        .find(|m| matter_name(*m) == text)
    {
        return Ok(Matter::Standard(standard));
    }
    if text.contains(':') {
        return eproxy_policy::ExtensionCode::parse(text)
            .map(Matter::Extension)
            .map_err(|e| CliError::new(format!("matter {text:?}: {e}")));
    }
    let names: Vec<&str> = StandardMatter::ALL.into_iter().map(matter_name).collect();
    Err(
        CliError::new(format!("{text:?} is not a matter")).fix(format!(
            "use one of {} or an extension code such as jp.go.geps:construction-bids",
            names.join(", ")
        )),
    )
}

/// The name a matter has in drafts and on the command line.
pub fn matter_text(matter: &Matter) -> String {
    match matter {
        Matter::Standard(standard) => matter_name(*standard).to_owned(),
        Matter::Extension(code) => code.as_str().to_owned(),
    }
}

impl Draft {
    /// Reads a draft file.
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let bytes = crate::input::read_limited(path, MAX_DRAFT_BYTES, "PoA draft")?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::new(format!("{} is not UTF-8 text", path.display())))?;
        let draft: Draft = toml::from_str(&text).map_err(|e| {
            CliError::new(format!("{} is not a valid PoA draft: {e}", path.display()))
                .fix("compare it with the draft format in the README, or write a new one with `eproxy delegation new`")
        })?;
        if draft.format != DRAFT_FORMAT {
            return Err(CliError::new(format!(
                "{}: draft format {} is not supported (this eproxy reads format {DRAFT_FORMAT})",
                path.display(),
                draft.format
            )));
        }
        Ok(draft)
    }

    /// The PoA this draft describes, every field rule checked. A certificate file is read
    /// relative to `base_dir`; `now` is the issue time when the draft states none.
    pub fn to_delegation(&self, base_dir: &Path, now: UnixTime) -> Result<Delegation, CliError> {
        let message = v1::Delegation {
            format_version: eproxy_proto::limits::FORMAT_VERSION,
            delegator: Some(v1::Company {
                corporate_number: self.delegator.corporate_number.clone(),
                name: self.delegator.name.clone(),
                head_office_address: self.delegator.head_office_address.clone(),
            }),
            representative: Some(v1::Representative {
                name: self.representative.name.clone(),
                title: self.representative.title.clone(),
            }),
            delegatee: Some(v1::Delegatee {
                certificate_sha256: self.delegatee.binding(base_dir)?.to_vec(),
                display_name: self.delegatee.display_name.clone(),
            }),
            scope: Some(self.scope.to_proto()?),
            validity: Some(v1::Validity {
                not_before_unix_seconds: self
                    .validity
                    .not_before
                    .period_end("validity.not_before", DateEnd::Start)?
                    .seconds(),
                not_after_unix_seconds: self
                    .validity
                    .not_after
                    .period_end("validity.not_after", DateEnd::End)?
                    .seconds(),
            }),
            issued_at_unix_seconds: match &self.issued_at {
                Some(time) => time.instant("issued_at")?.seconds(),
                None => now.seconds(),
            },
            parent_delegation_id: self.parent.clone().unwrap_or_default(),
            supersedes_delegation_id: self.supersedes.clone().unwrap_or_default(),
            remarks: self.remarks.clone().unwrap_or_default(),
        };
        Delegation::from_proto(&message).map_err(|e| {
            CliError::new(format!("the draft is not a valid PoA: {e}"))
                .fix("correct the draft; the README's draft format says what each key must hold")
        })
    }
}

impl DelegateeDraft {
    /// The certificate hash the PoA binds.
    fn binding(&self, base_dir: &Path) -> Result<[u8; 32], CliError> {
        match (&self.certificate, &self.certificate_sha256) {
            (Some(file), None) => Ok(*read_certificate(&base_dir.join(file))?.sha256()),
            (None, Some(hex_text)) => {
                let mut hash = [0u8; 32];
                hex::decode_to_slice(hex_text, &mut hash).map_err(|_| {
                    CliError::new(format!(
                        "delegatee.certificate_sha256 {hex_text:?} is not 64 hexadecimal digits"
                    ))
                })?;
                Ok(hash)
            }
            _ => Err(CliError::new(
                "[delegatee] needs exactly one of certificate (a file) and certificate_sha256",
            )),
        }
    }
}

impl ScopeDraft {
    /// The `Scope` message, matters in canonical order (the draft may list them in any).
    fn to_proto(&self) -> Result<v1::Scope, CliError> {
        let mut matters = self
            .matters
            .iter()
            .map(|m| parse_matter(m))
            .collect::<Result<Vec<_>, _>>()?;
        matters.sort();
        matters.dedup();
        let amount_cap = match &self.amount_cap {
            AmountCapDraft::Yen(yen) => v1::scope::AmountCap::AmountCapYen(*yen),
            AmountCapDraft::Word(word) if word == "none" => {
                v1::scope::AmountCap::NoAmountCap(v1::NoAmountCap {})
            }
            AmountCapDraft::Word(word) => {
                return Err(CliError::new(format!(
                    "scope.amount_cap {word:?}: write whole yen (5000000) or \"none\" for no limit"
                )));
            }
        };
        let counterparties = match &self.counterparties {
            CounterpartiesDraft::Listed(list) => {
                let mut list = list.clone();
                list.sort();
                list.dedup();
                v1::scope::Counterparties::ListedCounterparties(v1::CorporateNumberList {
                    corporate_numbers: list,
                })
            }
            CounterpartiesDraft::Word(word) if word == "any" => {
                v1::scope::Counterparties::AnyCounterparty(v1::AnyCounterparty {})
            }
            CounterpartiesDraft::Word(word) => {
                return Err(CliError::new(format!(
                    "scope.counterparties {word:?}: list corporate numbers, or write \"any\""
                )));
            }
        };
        Ok(v1::Scope {
            matters: matters.iter().map(v1::Matter::from).collect(),
            amount_cap: Some(amount_cap),
            counterparties: Some(counterparties),
            max_sub_delegation_depth: self.max_sub_delegation_depth,
        })
    }
}
