//! Every field rule of the specification: one mutation of a valid PoA or contract-terms message
//! per rule, each refused with the exact error and field path.

mod common;

use common::*;
use eproxy_policy::{CorporateNumberError, ExtensionCodeError, ScopeError, ValidityError};
use eproxy_proto::{DelegationIdError, FormatError, decode_contract_terms, decode_delegation, v1};
use v1::matter::Kind;

fn poa_error(mutate: impl FnOnce(&mut v1::Delegation)) -> FormatError {
    let mut m = delegation_message();
    mutate(&mut m);
    decode_delegation(&delegation_bytes(m)).unwrap_err()
}

fn terms_error(mutate: impl FnOnce(&mut v1::ContractTerms)) -> FormatError {
    let mut m = contract_terms_message();
    mutate(&mut m);
    decode_contract_terms(&terms_bytes(m)).unwrap_err()
}

fn scope(m: &mut v1::Delegation) -> &mut v1::Scope {
    m.scope.as_mut().unwrap()
}

#[test]
fn the_sample_itself_is_valid() {
    let d = decode_delegation(&delegation_bytes(delegation_message())).unwrap();
    assert_eq!(d.grant.scope.max_sub_delegation_depth(), 1);
    assert_eq!(d.remarks, "2026年度 工事案件\n担当: 営業部");
    let t = decode_contract_terms(&terms_bytes(contract_terms_message())).unwrap();
    assert_eq!(t.amount_yen, 4_999_999);
}

#[test]
fn only_format_version_1_is_read() {
    assert_eq!(
        poa_error(|m| m.format_version = 2),
        FormatError::UnsupportedVersion(2)
    );
    assert_eq!(
        poa_error(|m| m.format_version = 0),
        FormatError::UnsupportedVersion(0)
    );
    assert_eq!(
        terms_error(|m| m.format_version = 7),
        FormatError::UnsupportedVersion(7)
    );
}

#[test]
fn required_parts_are_named_when_missing() {
    use FormatError::MissingField;
    assert_eq!(poa_error(|m| m.delegator = None), MissingField("delegator"));
    assert_eq!(
        poa_error(|m| m.representative = None),
        MissingField("representative")
    );
    assert_eq!(poa_error(|m| m.delegatee = None), MissingField("delegatee"));
    assert_eq!(poa_error(|m| m.scope = None), MissingField("scope"));
    assert_eq!(poa_error(|m| m.validity = None), MissingField("validity"));
    assert_eq!(
        poa_error(|m| m.delegator.as_mut().unwrap().name.clear()),
        MissingField("delegator.name")
    );
    assert_eq!(
        poa_error(|m| scope(m).amount_cap = None),
        MissingField("scope.amount_cap")
    );
    assert_eq!(
        poa_error(|m| scope(m).counterparties = None),
        MissingField("scope.counterparties")
    );
    assert_eq!(terms_error(|m| m.matter = None), MissingField("matter"));
    assert_eq!(terms_error(|m| m.document = None), MissingField("document"));
    assert_eq!(
        terms_error(|m| m.delegation_id.clear()),
        MissingField("delegation_id")
    );
    assert_eq!(
        terms_error(|m| m.counterparty_corporate_number.clear()),
        MissingField("counterparty_corporate_number")
    );
}

#[test]
fn corporate_numbers_are_checked_wherever_they_appear() {
    assert_eq!(
        poa_error(|m| m.delegator.as_mut().unwrap().corporate_number = "7012345678901".into()),
        FormatError::CorporateNumber {
            field: "delegator.corporate_number",
            error: CorporateNumberError::CheckDigitMismatch {
                expected: 6,
                found: 7
            }
        }
    );
    let listed = |m: &mut v1::Delegation, numbers: &[&str]| {
        scope(m).counterparties = Some(v1::scope::Counterparties::ListedCounterparties(
            v1::CorporateNumberList {
                corporate_numbers: numbers.iter().map(|s| s.to_string()).collect(),
            },
        ));
    };
    assert!(matches!(
        poa_error(|m| listed(m, &["7000012050003"])),
        FormatError::CorporateNumber {
            field: "scope.listed_counterparties.corporate_numbers",
            ..
        }
    ));
    assert!(matches!(
        terms_error(|m| m.counterparty_corporate_number = "700001205000".into()),
        FormatError::CorporateNumber {
            field: "counterparty_corporate_number",
            error: CorporateNumberError::WrongLength { .. }
        }
    ));
    // Counterparty lists are sets: ascending, no duplicates, not empty.
    let field = "scope.listed_counterparties.corporate_numbers";
    assert_eq!(
        poa_error(|m| listed(m, &["9111111111111", NTA])),
        FormatError::ListNotCanonical { field }
    );
    assert_eq!(
        poa_error(|m| listed(m, &[NTA, NTA])),
        FormatError::ListNotCanonical { field }
    );
    assert_eq!(
        poa_error(|m| listed(m, &[])),
        FormatError::Scope(ScopeError::EmptyCounterpartyList)
    );
    let too_many: Vec<String> = (0..257).map(|_| NTA.to_string()).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert_eq!(
        poa_error(|m| listed(m, &refs)),
        FormatError::ListTooLong {
            field,
            limit: 256,
            actual: 257
        }
    );
}

#[test]
fn matters_are_a_canonical_set_of_known_matters() {
    let field = "scope.matters";
    assert_eq!(
        poa_error(|m| scope(m).matters.reverse()),
        FormatError::ListNotCanonical { field }
    );
    assert_eq!(
        poa_error(|m| {
            let first = scope(m).matters[0].clone();
            scope(m).matters.insert(0, first);
        }),
        FormatError::ListNotCanonical { field }
    );
    assert_eq!(
        poa_error(|m| scope(m).matters[0].kind = None),
        FormatError::EmptyMatter { field }
    );
    assert_eq!(
        poa_error(|m| scope(m).matters[0].kind = Some(Kind::Standard(0))),
        FormatError::UnknownStandardMatter { field, number: 0 }
    );
    assert_eq!(
        poa_error(|m| scope(m).matters[2].kind = Some(Kind::Extension("construction".into()))),
        FormatError::ExtensionCode {
            field,
            error: ExtensionCodeError::MissingColon
        }
    );
    assert_eq!(
        poa_error(|m| scope(m).matters.clear()),
        FormatError::Scope(ScopeError::NoMatters)
    );
    assert_eq!(
        terms_error(|m| m.matter = Some(v1::Matter {
            kind: Some(Kind::Standard(5))
        })),
        FormatError::UnknownStandardMatter {
            field: "matter",
            number: 5
        }
    );
}

#[test]
fn sub_delegation_depth_must_agree_with_the_matter() {
    assert_eq!(
        poa_error(|m| scope(m).max_sub_delegation_depth = 0),
        FormatError::Scope(ScopeError::SubDelegationInconsistent {
            depth: 0,
            matter_granted: true
        })
    );
    assert_eq!(
        poa_error(|m| scope(m).max_sub_delegation_depth = 9),
        FormatError::Scope(ScopeError::SubDelegationTooDeep(9))
    );
}

#[test]
fn times_must_be_positive_and_ordered() {
    assert_eq!(
        poa_error(|m| m.issued_at_unix_seconds = 0),
        FormatError::TimeNotPositive {
            field: "issued_at_unix_seconds"
        }
    );
    assert_eq!(
        poa_error(|m| m.validity.as_mut().unwrap().not_before_unix_seconds = -5),
        FormatError::TimeNotPositive {
            field: "validity.not_before_unix_seconds"
        }
    );
    assert!(matches!(
        poa_error(|m| m.validity.as_mut().unwrap().not_after_unix_seconds = 1_767_225_600),
        FormatError::Validity(ValidityError::EndsBeforeStart { .. })
    ));
    assert_eq!(
        terms_error(|m| m.claimed_signing_time_unix_seconds = 0),
        FormatError::TimeNotPositive {
            field: "claimed_signing_time_unix_seconds"
        }
    );
}

#[test]
fn digests_and_ids_have_exact_shapes() {
    assert_eq!(
        poa_error(|m| {
            m.delegatee.as_mut().unwrap().certificate_sha256.pop();
        }),
        FormatError::DigestLength {
            field: "delegatee.certificate_sha256",
            actual: 31
        }
    );
    assert_eq!(
        terms_error(|m| m.document.as_mut().unwrap().sha256.push(0)),
        FormatError::DigestLength {
            field: "document.sha256",
            actual: 33
        }
    );
    assert_eq!(
        poa_error(|m| m.parent_delegation_id = "AB".repeat(32)),
        FormatError::DelegationId {
            field: "parent_delegation_id",
            error: DelegationIdError::NotLowercaseHex
        }
    );
    assert_eq!(
        terms_error(|m| m.delegation_id = "ab".into()),
        FormatError::DelegationId {
            field: "delegation_id",
            error: DelegationIdError::WrongLength(2)
        }
    );
    assert_eq!(
        poa_error(|m| m.supersedes_delegation_id = m.parent_delegation_id.clone()),
        FormatError::ParentIsSuperseded
    );
}

#[test]
fn text_fields_obey_their_limits() {
    assert_eq!(
        poa_error(|m| m.remarks = "あ".repeat(683)),
        FormatError::TextTooLong {
            field: "remarks",
            limit: 2048,
            actual: 2049
        }
    );
    assert_eq!(
        poa_error(|m| m.representative.as_mut().unwrap().name = "佐藤\u{0}".into()),
        FormatError::TextControlCharacter {
            field: "representative.name"
        }
    );
    assert_eq!(
        poa_error(|m| m.delegator.as_mut().unwrap().head_office_address = " 東京都".into()),
        FormatError::TextSurroundingWhitespace {
            field: "delegator.head_office_address"
        }
    );
    assert_eq!(
        terms_error(|m| m.document.as_mut().unwrap().media_type = "pdf".into()),
        FormatError::MediaType {
            field: "document.media_type"
        }
    );
}
