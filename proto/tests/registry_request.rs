//! Signed registry requests: what decodes, what round-trips, and each rule refused.

use eproxy_policy::UnixTime;
use eproxy_proto::v1::registry_request::Action as ProtoAction;
use eproxy_proto::v1::signed_content::Content;
use eproxy_proto::{
    Action, ContentKind, DelegationId, FormatError, RegistryRequest, decode_contract_terms,
    decode_registry_request, v1,
};
use prost::Message;

const ID: &str = "a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn revocation() -> RegistryRequest {
    RegistryRequest {
        log_origin: "registry.example.jp/eproxy/log".into(),
        company: eproxy_policy::CorporateNumber::parse("7000012050002").unwrap(),
        requested_at: UnixTime::from_seconds(1_775_001_600),
        nonce: vec![7; 16],
        action: Action::Revocation {
            delegation_id: DelegationId::parse(ID).unwrap(),
            reason: "退職のため".into(),
            reason_code: v1::RevocationReason::LeftCompany,
        },
    }
}

fn error_of(mutate: impl FnOnce(&mut v1::RegistryRequest)) -> FormatError {
    let mut m = revocation().to_proto();
    mutate(&mut m);
    let bytes = v1::SignedContent {
        content: Some(Content::RegistryRequest(m)),
    }
    .encode_to_vec();
    decode_registry_request(&bytes).unwrap_err()
}

#[test]
fn each_action_round_trips() {
    let evidence = RegistryRequest {
        action: Action::EvidenceRelease {
            delegation_id: DelegationId::parse(ID).unwrap(),
        },
        ..revocation()
    };
    let listing = RegistryRequest {
        action: Action::Listing,
        nonce: vec![1; 64],
        ..revocation()
    };
    let card_link = RegistryRequest {
        action: Action::CardLink {
            card_consent_cms: vec![0x30; 2000],
        },
        ..revocation()
    };
    let card_consent = RegistryRequest {
        action: Action::CardConsent {
            linking_certificate_sha256: [4; 32],
        },
        ..revocation()
    };
    let enrollment_end = RegistryRequest {
        action: Action::EnrollmentEnd {
            certificate_sha256: [9; 32],
            reason: "代表取締役退任".into(),
        },
        ..revocation()
    };
    for request in [
        revocation(),
        evidence,
        listing,
        card_link,
        card_consent,
        enrollment_end,
    ] {
        assert_eq!(decode_registry_request(&request.encode()).unwrap(), request);
    }
}

#[test]
fn a_request_is_never_another_kind_of_content() {
    let bytes = revocation().encode();
    assert_eq!(
        decode_contract_terms(&bytes).unwrap_err(),
        FormatError::WrongContentKind {
            expected: ContentKind::ContractTerms,
            found: ContentKind::RegistryRequest,
        }
    );
}

#[test]
fn each_rule_is_enforced() {
    assert_eq!(
        error_of(|m| m.nonce = vec![1; 15]),
        FormatError::NonceLength { actual: 15 }
    );
    assert_eq!(
        error_of(|m| m.nonce = vec![1; 65]),
        FormatError::NonceLength { actual: 65 }
    );
    assert_eq!(
        error_of(|m| m.format_version = 2),
        FormatError::UnsupportedVersion(2)
    );
    assert_eq!(
        error_of(|m| m.action = None),
        FormatError::MissingField("action")
    );
    assert_eq!(
        error_of(|m| m.log_origin.clear()),
        FormatError::MissingField("log_origin")
    );
    assert_eq!(
        error_of(|m| m.requested_at_unix_seconds = 0),
        FormatError::TimeNotPositive {
            field: "requested_at_unix_seconds"
        }
    );
    assert!(matches!(
        error_of(|m| m.corporate_number = "7000012050003".into()),
        FormatError::CorporateNumber {
            field: "corporate_number",
            ..
        }
    ));
    assert!(matches!(
        error_of(|m| m.action = Some(ProtoAction::Revocation(v1::Revocation {
            delegation_id: "not-an-id".into(),
            reason: "x".into(),
            reason_code: 1,
        }))),
        FormatError::DelegationId {
            field: "revocation.delegation_id",
            ..
        }
    ));
    assert_eq!(
        error_of(|m| m.action = Some(ProtoAction::Revocation(v1::Revocation {
            delegation_id: ID.into(),
            reason: String::new(),
            reason_code: 1,
        }))),
        FormatError::MissingField("revocation.reason")
    );

    // A card link carries a consent of 1 byte to 6 KiB; an enrollment end a 32-byte hash and a
    // reason.
    assert_eq!(
        error_of(|m| m.action = Some(ProtoAction::CardLink(v1::CardLink {
            card_consent_cms: Vec::new(),
        }))),
        FormatError::MissingField("card_link.card_consent_cms")
    );
    assert_eq!(
        error_of(|m| m.action = Some(ProtoAction::CardLink(v1::CardLink {
            card_consent_cms: vec![0; 6 * 1024 + 1],
        }))),
        FormatError::TooLarge {
            limit: 6 * 1024,
            actual: 6 * 1024 + 1
        }
    );
    assert_eq!(
        error_of(
            |m| m.action = Some(ProtoAction::EnrollmentEnd(v1::EnrollmentEnd {
                certificate_sha256: vec![1; 31],
                reason: "x".into(),
            }))
        ),
        FormatError::DigestLength {
            field: "enrollment_end.certificate_sha256",
            actual: 31
        }
    );
    assert_eq!(
        error_of(
            |m| m.action = Some(ProtoAction::EnrollmentEnd(v1::EnrollmentEnd {
                certificate_sha256: vec![1; 32],
                reason: String::new(),
            }))
        ),
        FormatError::MissingField("enrollment_end.reason")
    );
    // A revocation states its reason code, and one this implementation knows.
    for number in [0, 6, -1] {
        assert_eq!(
            error_of(|m| m.action = Some(ProtoAction::Revocation(v1::Revocation {
                delegation_id: ID.into(),
                reason: "x".into(),
                reason_code: number,
            }))),
            FormatError::UnknownRevocationReason {
                field: "revocation.reason_code",
                number
            }
        );
    }
}
