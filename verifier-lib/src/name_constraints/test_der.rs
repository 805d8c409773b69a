//! Hand-built DER for the tests of this module: TLVs, GeneralNames, Names and nameConstraints
//! values, and the checks and assertions the tests share.

use crate::Error;
use crate::der_input::tag;

use super::presented::EMAIL_ADDRESS;
use super::{
    IA5_STRING, NAME_CONSTRAINT_BUDGET, NameConstraints, UTF8_STRING, check_subject_alt_name,
};

/// `content` under `tag`, its length in DER's shortest form.
pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match u8::try_from(content.len()) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let length = content.len().to_be_bytes();
            let skip = length.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | u8::try_from(length.len() - skip).expect("short"));
            out.extend_from_slice(&length[skip..]);
        }
    }
    out.extend_from_slice(content);
    out
}

pub(super) fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

pub(super) fn dns(text: &str) -> Vec<u8> {
    tlv(0x82, text.as_bytes())
}

pub(super) fn email(text: &str) -> Vec<u8> {
    tlv(0x81, text.as_bytes())
}

pub(super) fn uri(text: &str) -> Vec<u8> {
    tlv(0x86, text.as_bytes())
}

pub(super) fn ip(octets: &[u8]) -> Vec<u8> {
    tlv(0x87, octets)
}

pub(super) fn dir(name: &[u8]) -> Vec<u8> {
    tlv(0xa4, name)
}

/// otherName of type `1.3.6.1.4.1.55738.666.<arc>` with a UTF8String value.
pub(super) fn other_name(arc: u8, value: &str) -> Vec<u8> {
    let type_id = tlv(
        tag::OID,
        &[0x2b, 6, 1, 4, 1, 0x83, 0xb3, 0x3a, 0x85, 0x1a, arc],
    );
    tlv(
        0xa0,
        &[type_id, tlv(0xa0, &tlv(UTF8_STRING, value.as_bytes()))].concat(),
    )
}

pub(super) const CN: [u8; 3] = [0x55, 4, 3];
pub(super) const O: [u8; 3] = [0x55, 4, 10];
pub(super) const C: [u8; 3] = [0x55, 4, 6];

/// A single-attribute RDN.
pub(super) fn rdn(oid: &[u8], value_tag: u8, value: &str) -> Vec<u8> {
    tlv(
        tag::SET,
        &seq(&[tlv(tag::OID, oid), tlv(value_tag, value.as_bytes())]),
    )
}

pub(super) fn utf8(oid: &[u8], value: &str) -> Vec<u8> {
    rdn(oid, UTF8_STRING, value)
}

pub(super) fn email_attribute(value: &str) -> Vec<u8> {
    rdn(EMAIL_ADDRESS.as_bytes(), IA5_STRING, value)
}

/// A Name of the RDNs given.
pub(super) fn dn(rdns: &[Vec<u8>]) -> Vec<u8> {
    seq(rdns)
}

pub(super) fn subtree_list(tag: u8, bases: &[Vec<u8>]) -> Vec<u8> {
    let subtrees: Vec<Vec<u8>> = bases
        .iter()
        .map(|base| seq(std::slice::from_ref(base)))
        .collect();
    tlv(tag, &subtrees.concat())
}

/// A nameConstraints value; an empty slice leaves that list out.
pub(super) fn nc_der(permitted: &[Vec<u8>], excluded: &[Vec<u8>]) -> Vec<u8> {
    let mut fields = Vec::new();
    if !permitted.is_empty() {
        fields.push(subtree_list(0xa0, permitted));
    }
    if !excluded.is_empty() {
        fields.push(subtree_list(0xa1, excluded));
    }
    seq(&fields)
}

pub(super) fn nc(permitted: &[Vec<u8>], excluded: &[Vec<u8>]) -> NameConstraints {
    NameConstraints::from_der(&nc_der(permitted, excluded)).expect("well-formed")
}

/// The verdict on a certificate of subject `subject` and the SAN entries `san` (none: no
/// extension), with the full budget.
pub(super) fn check_names(
    constraints: &NameConstraints,
    subject: &[u8],
    san: &[Vec<u8>],
) -> Result<(), Error> {
    let san = (!san.is_empty()).then(|| seq(san));
    let mut budget = NAME_CONSTRAINT_BUDGET;
    constraints.check(subject, san.as_deref(), &mut budget)
}

/// The verdict on an empty-subject certificate with the SAN entries `san`.
pub(super) fn check_san(constraints: &NameConstraints, san: &[Vec<u8>]) -> Result<(), Error> {
    check_names(constraints, &dn(&[]), san)
}

#[track_caller]
pub(super) fn assert_not_permitted(result: Result<(), Error>) {
    assert!(
        matches!(result, Err(Error::NameNotPermitted { .. })),
        "{result:?}"
    );
}

#[track_caller]
pub(super) fn assert_excluded(result: Result<(), Error>) {
    assert!(
        matches!(result, Err(Error::NameExcluded { .. })),
        "{result:?}"
    );
}

#[track_caller]
pub(super) fn assert_malformed_nc(value: &[u8]) {
    let result = NameConstraints::from_der(value);
    assert!(
        matches!(result, Err(Error::MalformedNameConstraints { .. })),
        "{value:02x?}: {result:?}"
    );
}

#[track_caller]
pub(super) fn assert_malformed_san(value: &[u8]) {
    let result = check_subject_alt_name(value);
    assert!(
        matches!(result, Err(Error::MalformedSubjectAltName { .. })),
        "{value:02x?}: {result:?}"
    );
}
