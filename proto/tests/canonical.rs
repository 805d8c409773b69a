//! The canonical encoding rule: only the one encoding of a value is accepted.

mod common;

use common::*;
use eproxy_proto::{ContentKind, FormatError, decode_contract_terms, decode_delegation, v1};
use proptest::prelude::*;

/// Splits an envelope into (tag byte, length-prefix, inner message bytes) for a one-byte tag
/// and a varint length, so tests can rewrite the inner message.
fn inner(envelope: &[u8]) -> Vec<u8> {
    let (mut len, mut shift, mut i) = (0usize, 0, 1);
    loop {
        let b = envelope[i];
        len |= usize::from(b & 0x7f) << shift;
        shift += 7;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    assert_eq!(envelope.len(), i + len);
    envelope[i..].to_vec()
}

/// An envelope (field 1, a Delegation) around arbitrary inner bytes.
fn wrap_delegation(inner: &[u8]) -> Vec<u8> {
    let mut out = vec![0x0a];
    let mut len = inner.len();
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(inner);
    out
}

#[test]
fn valid_content_round_trips_exactly() {
    let bytes = delegation_bytes(delegation_message());
    let d = decode_delegation(&bytes).unwrap();
    assert_eq!(d.encode(), bytes);
    let bytes = terms_bytes(contract_terms_message());
    let t = decode_contract_terms(&bytes).unwrap();
    assert_eq!(t.encode(), bytes);
}

#[test]
fn the_wrapping_helpers_reproduce_the_real_encoding() {
    let bytes = delegation_bytes(delegation_message());
    assert_eq!(wrap_delegation(&inner(&bytes)), bytes);
}

#[test]
fn an_unknown_field_is_refused() {
    let bytes = delegation_bytes(delegation_message());
    // Field 99, varint 1, appended inside the Delegation.
    let mut m = inner(&bytes);
    m.extend_from_slice(&[0x98, 0x06, 0x01]);
    assert_eq!(
        decode_delegation(&wrap_delegation(&m)),
        Err(FormatError::NotCanonical)
    );
    // ...and appended to the envelope itself.
    let mut e = bytes.clone();
    e.extend_from_slice(&[0x98, 0x06, 0x01]);
    assert_eq!(decode_delegation(&e), Err(FormatError::NotCanonical));
}

#[test]
fn a_repeated_singular_field_is_refused() {
    // A second `format_version = 1` at the end: prost keeps the last, re-encoding drops one.
    let mut m = inner(&delegation_bytes(delegation_message()));
    m.extend_from_slice(&[0x08, 0x01]);
    assert_eq!(
        decode_delegation(&wrap_delegation(&m)),
        Err(FormatError::NotCanonical)
    );
}

#[test]
fn concatenated_envelopes_are_refused() {
    // Protobuf merges a repeated message field: two envelopes back to back decode as one
    // merged value, whose re-encoding differs. A signer cannot smuggle a second content in.
    let one = delegation_bytes(delegation_message());
    let mut other = delegation_message();
    other.scope.as_mut().unwrap().amount_cap =
        Some(v1::scope::AmountCap::NoAmountCap(v1::NoAmountCap {}));
    let mut two = one.clone();
    two.extend_from_slice(&delegation_bytes(other));
    assert_eq!(decode_delegation(&two), Err(FormatError::NotCanonical));
}

#[test]
fn fields_out_of_order_are_refused() {
    // Move `format_version` (the first field, 2 bytes) to the end.
    let m = inner(&delegation_bytes(delegation_message()));
    assert_eq!(&m[..2], &[0x08, 0x01]);
    let mut moved = m[2..].to_vec();
    moved.extend_from_slice(&m[..2]);
    let d = decode_delegation(&wrap_delegation(&moved));
    assert_eq!(d, Err(FormatError::NotCanonical));
}

#[test]
fn an_explicit_default_is_refused() {
    let mut m = delegation_message();
    m.remarks.clear();
    let mut bytes = inner(&delegation_bytes(m));
    // remarks (field 10, length-delimited) = "": proto3 omits it, so this is not canonical.
    bytes.extend_from_slice(&[0x52, 0x00]);
    assert_eq!(
        decode_delegation(&wrap_delegation(&bytes)),
        Err(FormatError::NotCanonical)
    );
}

#[test]
fn an_over_long_varint_is_refused() {
    let m = inner(&delegation_bytes(delegation_message()));
    // format_version = 1 written as the two-byte varint 0x81 0x00.
    let mut long = vec![0x08, 0x81, 0x00];
    long.extend_from_slice(&m[2..]);
    assert_eq!(
        decode_delegation(&wrap_delegation(&long)),
        Err(FormatError::NotCanonical)
    );
}

#[test]
fn one_kind_of_content_is_never_read_as_another() {
    let terms = terms_bytes(contract_terms_message());
    assert_eq!(
        decode_delegation(&terms),
        Err(FormatError::WrongContentKind {
            expected: ContentKind::Delegation,
            found: ContentKind::ContractTerms
        })
    );
    let poa = delegation_bytes(delegation_message());
    assert!(matches!(
        decode_contract_terms(&poa),
        Err(FormatError::WrongContentKind {
            expected: ContentKind::ContractTerms,
            ..
        }) | Err(FormatError::TooLarge { .. })
    ));
    // A bare Delegation, not in its envelope, is not accepted either.
    let bare = prost::Message::encode_to_vec(&delegation_message());
    assert!(decode_delegation(&bare).is_err());
}

#[test]
fn an_empty_envelope_is_refused() {
    assert_eq!(decode_delegation(&[]), Err(FormatError::EmptyEnvelope));
    assert_eq!(decode_contract_terms(&[]), Err(FormatError::EmptyEnvelope));
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let huge = vec![0u8; 32 * 1024 + 1];
    assert_eq!(
        decode_delegation(&huge),
        Err(FormatError::TooLarge {
            limit: 32 * 1024,
            actual: 32 * 1024 + 1
        })
    );
    let big = vec![0u8; 4 * 1024 + 1];
    assert!(matches!(
        decode_contract_terms(&big),
        Err(FormatError::TooLarge { limit: 4096, .. })
    ));
}

#[test]
fn truncated_input_is_malformed_not_a_panic() {
    let bytes = delegation_bytes(delegation_message());
    for cut in 1..bytes.len() {
        let r = decode_delegation(&bytes[..cut]);
        assert!(r.is_err(), "accepted a prefix of {cut} bytes");
    }
}

#[test]
fn an_unknown_enum_value_survives_decoding_but_fails_validation() {
    let mut m = delegation_message();
    m.scope.as_mut().unwrap().matters[0].kind = Some(v1::matter::Kind::Standard(99));
    m.scope
        .as_mut()
        .unwrap()
        .matters
        .sort_by_key(|x| match x.kind {
            Some(v1::matter::Kind::Standard(n)) => n,
            _ => i32::MAX,
        });
    assert_eq!(
        decode_delegation(&delegation_bytes(m)),
        Err(FormatError::UnknownStandardMatter {
            field: "scope.matters",
            number: 99
        })
    );
}

proptest! {
    /// Whatever the bytes, decoding never panics, and anything accepted re-encodes to exactly
    /// the bytes given (the canonical rule holds for the validated types too).
    #[test]
    fn accepted_bytes_are_exactly_the_canonical_encoding(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(d) = decode_delegation(&bytes) {
            prop_assert_eq!(d.encode(), bytes.clone());
        }
        if let Ok(t) = decode_contract_terms(&bytes) {
            prop_assert_eq!(t.encode(), bytes.clone());
        }
        if let Ok(r) = eproxy_proto::decode_registry_request(&bytes) {
            prop_assert_eq!(r.encode(), bytes);
        }
    }

    /// Flipping any one byte of a valid PoA either is refused or yields a value whose encoding
    /// is exactly the mutated bytes: no two encodings of one value are ever accepted.
    #[test]
    fn a_mutated_poa_never_decodes_to_a_value_with_another_encoding(
        position in 0usize..400, value in any::<u8>()
    ) {
        let mut bytes = delegation_bytes(delegation_message());
        let position = position % bytes.len();
        prop_assume!(bytes[position] != value);
        bytes[position] = value;
        if let Ok(d) = decode_delegation(&bytes) {
            prop_assert_eq!(d.encode(), bytes);
        }
    }
}
