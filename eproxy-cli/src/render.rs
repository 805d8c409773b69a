//! How PoAs, certificates and verdicts read for people (Japanese labels with English) and for
//! programs (`--json`). One view type per thing shown, each able to do both, so the two outputs
//! never disagree.

use std::fmt::Write as _;

use eproxy_policy::{AmountCap, Counterparties, Matter, UnixTime};
use eproxy_proto::Delegation;
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::commercial_registration::RegisteredCorporation;
use eproxy_verifier::jpki::JpkiIdentity;
use serde::Serialize;

use crate::draft::matter_text;
use crate::time_text::{jst, utc};

/// A time for JSON: Unix seconds and RFC 3339 (UTC).
#[derive(Clone, Debug, Serialize)]
pub struct TimeView {
    /// Unix seconds.
    pub unix: i64,
    /// RFC 3339, UTC.
    pub rfc3339: String,
}

impl TimeView {
    /// `t`, both ways.
    pub fn of(t: UnixTime) -> Self {
        Self {
            unix: t.seconds(),
            rfc3339: utc(t),
        }
    }
}

/// One matter: its code and both names.
#[derive(Clone, Debug, Serialize)]
pub struct MatterView {
    /// The name used in drafts and flags (or the extension code).
    pub code: String,
    /// The Japanese name, for standard matters.
    pub japanese: Option<&'static str>,
    /// The English name, for standard matters.
    pub english: Option<&'static str>,
}

impl MatterView {
    fn of(matter: &Matter) -> Self {
        let (japanese, english) = match matter {
            Matter::Standard(m) => (Some(m.japanese()), Some(m.english())),
            Matter::Extension(_) => (None, None),
        };
        Self {
            code: matter_text(matter),
            japanese,
            english,
        }
    }

    fn text(&self) -> String {
        match (self.japanese, self.english) {
            (Some(ja), Some(en)) => format!("{ja} ({en})"),
            _ => format!("{} (extension matter)", self.code),
        }
    }
}

/// A PoA's content.
#[derive(Clone, Debug, Serialize)]
pub struct DelegationView {
    /// 委任者: corporate number, name, address.
    pub company_number: String,
    /// 商号.
    pub company_name: String,
    /// 本店所在地.
    pub company_address: String,
    /// 代表者.
    pub representative_name: String,
    /// 役職.
    pub representative_title: String,
    /// 受任者, display name (not trusted).
    pub delegatee_display_name: String,
    /// The bound certificate's SHA-256, hex.
    pub delegatee_certificate_sha256: String,
    /// 委任事項.
    pub matters: Vec<MatterView>,
    /// The cap in yen; `null` when explicitly unlimited.
    pub amount_cap_yen: Option<u64>,
    /// The counterparties; `null` when any.
    pub counterparties: Option<Vec<String>>,
    /// 復代理: how deep.
    pub max_sub_delegation_depth: u8,
    /// 期間.
    pub not_before: TimeView,
    /// 期間 (inclusive end).
    pub not_after: TimeView,
    /// The claimed issue time.
    pub issued_at_claimed: TimeView,
    /// The parent PoA.
    pub parent: Option<String>,
    /// The PoA replaced.
    pub supersedes: Option<String>,
    /// 備考, unverified.
    pub remarks: String,
}

impl DelegationView {
    /// The view of `d`.
    pub fn of(d: &Delegation) -> Self {
        let scope = &d.grant.scope;
        Self {
            company_number: d.delegator.corporate_number.to_string(),
            company_name: d.delegator.name.clone(),
            company_address: d.delegator.head_office_address.clone(),
            representative_name: d.representative.name.clone(),
            representative_title: d.representative.title.clone(),
            delegatee_display_name: d.delegatee.display_name.clone(),
            delegatee_certificate_sha256: hex::encode(d.delegatee.certificate_sha256),
            matters: scope.matters().iter().map(MatterView::of).collect(),
            amount_cap_yen: match scope.amount_cap() {
                AmountCap::AtMostYen(yen) => Some(yen),
                AmountCap::NoCap => None,
            },
            counterparties: match scope.counterparties() {
                Counterparties::Any => None,
                Counterparties::Listed(list) => Some(list.iter().map(|c| c.to_string()).collect()),
            },
            max_sub_delegation_depth: scope.max_sub_delegation_depth(),
            not_before: TimeView::of(d.grant.validity.not_before()),
            not_after: TimeView::of(d.grant.validity.not_after()),
            issued_at_claimed: TimeView::of(d.issued_at_claimed),
            parent: d.parent.map(|id| id.to_string()),
            supersedes: d.supersedes.map(|id| id.to_string()),
            remarks: d.remarks.clone(),
        }
    }

    /// The labelled text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: &str| {
            let _ = writeln!(out, "  {} {value}", padded(label));
        };
        line(
            "委任者 Delegator",
            &format!("{} (法人番号 {})", self.company_name, self.company_number),
        );
        line("", &self.company_address);
        line(
            "代表者 Representative",
            &format!("{} {}", self.representative_title, self.representative_name),
        );
        line(
            "受任者 Delegatee",
            &format!(
                "{} (name as typed; the certificate decides)",
                self.delegatee_display_name
            ),
        );
        line(
            "",
            &format!("certificate SHA-256 {}", self.delegatee_certificate_sha256),
        );
        for (i, matter) in self.matters.iter().enumerate() {
            line(if i == 0 { "委任事項 Matters" } else { "" }, &matter.text());
        }
        line(
            "金額上限 Amount cap",
            &match self.amount_cap_yen {
                Some(yen) => format!("{} 円 per contract", group_thousands(yen)),
                None => "上限なし no limit".to_owned(),
            },
        );
        line(
            "相手方 Counterparties",
            &match &self.counterparties {
                Some(list) => list.join(", "),
                None => "制限なし any".to_owned(),
            },
        );
        line(
            "復代理 Sub-delegation",
            &match self.max_sub_delegation_depth {
                0 => "不可 not allowed".to_owned(),
                n => format!("可 allowed, up to {n} level(s)"),
            },
        );
        line(
            "期間 Valid",
            &format!(
                "{} – {}",
                jst(UnixTime::from_seconds(self.not_before.unix)),
                jst(UnixTime::from_seconds(self.not_after.unix))
            ),
        );
        line(
            "作成日時 Issued (claimed)",
            &jst(UnixTime::from_seconds(self.issued_at_claimed.unix)),
        );
        if let Some(parent) = &self.parent {
            line("親委任状 Parent PoA", parent);
        }
        if let Some(replaced) = &self.supersedes {
            line("置換 Supersedes", replaced);
        }
        if !self.remarks.is_empty() {
            line("備考 Remarks (unverified)", &self.remarks);
        }
        out
    }
}

/// The width of the label column, in terminal cells.
const LABEL_CELLS: usize = 28;

/// `label` padded to [`LABEL_CELLS`] terminal cells, counting East Asian wide characters
/// (kanji, kana, full-width forms) as two cells so that the columns line up.
pub fn padded(label: &str) -> String {
    let cells: usize = label.chars().map(cells).sum();
    format!("{label}{}", " ".repeat(LABEL_CELLS.saturating_sub(cells)))
}

/// The cells a character takes in a terminal: two for the wide ranges of Unicode's East Asian
/// Width property that Japanese text uses, one otherwise.
fn cells(c: char) -> usize {
    match u32::from(c) {
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 => 2,
        _ => 1,
    }
}

/// `1234567` as `1,234,567`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a certificate says about its holder.
#[derive(Clone, Debug, Serialize)]
pub struct SignerView {
    /// The certificate's SHA-256, hex: what a PoA binds.
    pub certificate_sha256: String,
    /// Valid from.
    pub not_before: TimeView,
    /// Valid until.
    pub not_after: TimeView,
    /// For a JPKI signing certificate: the holder's name and address (基本4情報 less birth date
    /// and gender, which are not shown).
    pub jpki: Option<JpkiView>,
    /// For a commercial-registration certificate: the company and director registered.
    pub commercial_registration: Option<RegistrationView>,
}

/// A JPKI holder.
#[derive(Clone, Debug, Serialize)]
pub struct JpkiView {
    /// 氏名.
    pub name: Option<String>,
    /// 住所.
    pub address: Option<String>,
}

/// A commercial registration.
#[derive(Clone, Debug, Serialize)]
pub struct RegistrationView {
    /// 商号.
    pub corporate_name: String,
    /// 会社法人等番号.
    pub registered_number: String,
    /// 本店.
    pub corporate_address: String,
    /// 代表者の氏名.
    pub director_name: String,
    /// 代表者の資格.
    pub director_title: String,
    /// 管轄登記所.
    pub registry_office: String,
}

impl SignerView {
    /// The view of `certificate`.
    pub fn of(certificate: &Certificate) -> Self {
        Self {
            certificate_sha256: hex::encode(certificate.sha256()),
            not_before: TimeView::of(certificate.not_before()),
            not_after: TimeView::of(certificate.not_after()),
            jpki: JpkiIdentity::of(certificate).map(|j| JpkiView {
                name: j.name,
                address: j.address,
            }),
            commercial_registration: RegisteredCorporation::of(certificate).map(|r| {
                RegistrationView {
                    corporate_name: r.corporate_name,
                    registered_number: r.registered_number,
                    corporate_address: r.corporate_address,
                    director_name: r.director_name,
                    director_title: r.director_title,
                    registry_office: r.registry_office,
                }
            }),
        }
    }

    /// One line: who the certificate names.
    pub fn summary(&self) -> String {
        if let Some(r) = &self.commercial_registration {
            return format!(
                "{} {} of {} (commercial registration {})",
                r.director_title, r.director_name, r.corporate_name, r.registered_number
            );
        }
        match self.jpki.as_ref().and_then(|j| j.name.clone()) {
            Some(name) => format!("{name} (JPKI signing certificate)"),
            None => format!("certificate {}", self.certificate_sha256),
        }
    }

    /// The labelled text, under `label`.
    pub fn text(&self, label: &str) -> String {
        let mut out = format!("  {} {}\n", padded(label), self.summary());
        let mut line = |value: String| {
            let _ = writeln!(out, "  {} {value}", padded(""));
        };
        if let Some(r) = &self.commercial_registration {
            line(format!("本店 {}", r.corporate_address));
            line(format!("登記所 {}", r.registry_office));
        }
        if let Some(address) = self.jpki.as_ref().and_then(|j| j.address.clone()) {
            line(format!("住所 {address}"));
        }
        line(format!("certificate SHA-256 {}", self.certificate_sha256));
        line(format!(
            "valid {} – {}",
            jst(UnixTime::from_seconds(self.not_before.unix)),
            jst(UnixTime::from_seconds(self.not_after.unix))
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_line_up_whatever_their_script() {
        assert_eq!(padded("期間 Valid").chars().count(), LABEL_CELLS - 2);
        assert_eq!(padded("Valid").len(), LABEL_CELLS);
        let cells_of = |s: &str| s.chars().map(cells).sum::<usize>();
        assert_eq!(cells_of(&padded("委任者 Delegator")), LABEL_CELLS);
        assert_eq!(cells_of(&padded("ｶﾅ")), LABEL_CELLS);
        assert_eq!(cells_of(&padded("")), LABEL_CELLS);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(5_000_000), "5,000,000");
        assert_eq!(group_thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
