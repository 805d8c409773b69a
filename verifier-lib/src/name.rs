//! X.501 Names (RFC 5280 4.1.2.4) as received. Chaining compares names byte for byte, so a Name is
//! never decoded into owned parts; it is only checked for shape, which costs no allocation.
//!
//! ```text
//! Name ::= SEQUENCE OF RelativeDistinguishedName
//! RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
//! AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
//! ```

use crate::der_input::{Input, WalkError, check_oid, tag};

/// Reads one Name from `input`, checks its shape, and returns its TLV as received.
pub(crate) fn read_name<'a>(input: &mut Input<'a>) -> Result<&'a [u8], WalkError> {
    let name = input.expect(tag::SEQUENCE)?;
    let mut rdns = Input::new(name.value);
    while !rdns.is_empty() {
        let rdn = rdns.expect(tag::SET)?;
        let mut attributes = Input::new(rdn.value);
        if attributes.is_empty() {
            return Err(WalkError::EmptySet);
        }
        while !attributes.is_empty() {
            let mut pair = Input::new(attributes.expect(tag::SEQUENCE)?.value);
            check_oid(pair.expect(tag::OID)?.value)?;
            pair.read()?;
            pair.finish()?;
        }
    }
    Ok(name.whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CN=A` wrapped: SEQUENCE { SET { SEQUENCE { 2.5.4.3, UTF8String "A" } } }.
    const CN_A: [u8; 13] = [
        0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01,
    ];

    fn name(rdns: &[u8]) -> Vec<u8> {
        let mut out = vec![0x30, u8::try_from(rdns.len()).expect("short")];
        out.extend_from_slice(rdns);
        out
    }

    #[test]
    fn returns_the_name_as_received() {
        let mut bytes = CN_A.to_vec();
        bytes.push(b'A');
        bytes.extend([0x02, 0x01, 0x01]); // what follows the name is left unread
        let mut input = Input::new(&bytes);
        assert_eq!(read_name(&mut input), Ok(&bytes[..14]));
        assert!(input.next_is(tag::INTEGER));
        assert_eq!(
            read_name(&mut Input::new(&name(&[]))),
            Ok(&[0x30, 0x00][..])
        );
    }

    #[test]
    fn refuses_malformed_names() {
        let cases: [(Vec<u8>, WalkError); 4] = [
            // an empty RelativeDistinguishedName
            (name(&[0x31, 0x00]), WalkError::EmptySet),
            // an RDN that is a SEQUENCE, not a SET
            (
                name(&[0x30, 0x07, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x00]),
                WalkError::UnexpectedTag(tag::SET, tag::SEQUENCE),
            ),
            // an attribute type that is not a complete OID
            (
                name(&[0x31, 0x06, 0x30, 0x04, 0x06, 0x01, 0x80, 0x05, 0x00]),
                WalkError::Oid,
            ),
            // an attribute with a third field
            (
                name(&[
                    0x31, 0x09, 0x30, 0x07, 0x06, 0x01, 0x55, 0x05, 0x00, 0x05, 0x00,
                ]),
                WalkError::TrailingData,
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                read_name(&mut Input::new(&bytes)),
                Err(expected),
                "{bytes:02x?}"
            );
        }
    }
}
