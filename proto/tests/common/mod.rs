//! Sample contents shared by the format tests.
#![allow(dead_code)]

use eproxy_proto::v1;
use eproxy_proto::v1::signed_content::Content;
use prost::Message;

/// NTA's corporate number, the worked example of the check-digit rule.
pub const NTA: &str = "7000012050002";

/// A valid PoA message with every field set (the parent id differs from the superseded id).
pub fn delegation_message() -> v1::Delegation {
    use v1::matter::Kind;
    v1::Delegation {
        format_version: 1,
        delegator: Some(v1::Company {
            corporate_number: "6012345678901".into(),
            name: "サンプル株式会社".into(),
            head_office_address: "東京都渋谷区神宮前一丁目２番３号".into(),
        }),
        representative: Some(v1::Representative {
            name: "佐藤\u{3000}サンプル".into(),
            title: "代表取締役".into(),
        }),
        delegatee: Some(v1::Delegatee {
            certificate_sha256: vec![0xab; 32],
            display_name: "鈴木\u{3000}一郎".into(),
        }),
        scope: Some(v1::Scope {
            matters: vec![
                v1::Matter {
                    kind: Some(Kind::Standard(2)),
                },
                v1::Matter {
                    kind: Some(Kind::Standard(4)),
                },
                v1::Matter {
                    kind: Some(Kind::Extension("jp.go.geps:construction".into())),
                },
            ],
            amount_cap: Some(v1::scope::AmountCap::AmountCapYen(5_000_000)),
            counterparties: Some(v1::scope::Counterparties::ListedCounterparties(
                v1::CorporateNumberList {
                    corporate_numbers: vec![NTA.into(), "9111111111111".into()],
                },
            )),
            max_sub_delegation_depth: 1,
        }),
        validity: Some(v1::Validity {
            not_before_unix_seconds: 1_767_225_600,
            not_after_unix_seconds: 1_798_761_599,
        }),
        issued_at_unix_seconds: 1_767_000_000,
        parent_delegation_id: "11".repeat(32),
        supersedes_delegation_id: "22".repeat(32),
        remarks: "2026年度 工事案件\n担当: 営業部".into(),
    }
}

/// A valid contract-terms message.
pub fn contract_terms_message() -> v1::ContractTerms {
    v1::ContractTerms {
        format_version: 1,
        matter: Some(v1::Matter {
            kind: Some(v1::matter::Kind::Standard(2)),
        }),
        counterparty_corporate_number: NTA.into(),
        amount_yen: 4_999_999,
        document: Some(v1::Document {
            sha256: vec![0xcd; 32],
            media_type: "application/pdf".into(),
            title: "業務委託契約書".into(),
        }),
        delegation_id: "33".repeat(32),
        claimed_signing_time_unix_seconds: 1_770_000_000,
    }
}

/// The eContent bytes holding `content`.
pub fn envelope(content: Content) -> Vec<u8> {
    v1::SignedContent {
        content: Some(content),
    }
    .encode_to_vec()
}

/// The eContent bytes of a PoA message.
pub fn delegation_bytes(m: v1::Delegation) -> Vec<u8> {
    envelope(Content::Delegation(m))
}

/// The eContent bytes of a contract-terms message.
pub fn terms_bytes(m: v1::ContractTerms) -> Vec<u8> {
    envelope(Content::ContractTerms(m))
}
