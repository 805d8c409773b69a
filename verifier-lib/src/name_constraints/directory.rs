//! directoryName matching: whether a Name begins with a constraint's RDNs (RFC 5280 4.2.1.10).

use crate::der_input::{Input, Tlv, WalkError, tag};

use super::presented::read_attribute;
use super::{PRINTABLE_STRING, UTF8_STRING};

/// Whether the Name `name` begins with the RDNs of the Name `prefix` (RFC 5280 4.2.1.10: a
/// directoryName within a subtree has the constraint as its leading RDNs).
pub(super) fn dn_within(name: &[u8], prefix: &[u8]) -> Result<bool, WalkError> {
    let mut name = Input::only(name, tag::SEQUENCE)?;
    let mut prefix = Input::only(prefix, tag::SEQUENCE)?;
    while !prefix.is_empty() {
        if name.is_empty()
            || !rdn_equal(name.expect(tag::SET)?.value, prefix.expect(tag::SET)?.value)?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether two RDNs (SET contents) hold the same attributes in the same order with equal
/// values. DER sorts a SET, so equal RDNs list their attributes alike.
fn rdn_equal(a: &[u8], b: &[u8]) -> Result<bool, WalkError> {
    let (mut a, mut b) = (Input::new(a), Input::new(b));
    while !a.is_empty() && !b.is_empty() {
        let ((a_type, a_value), (b_type, b_value)) =
            (read_attribute(&mut a)?, read_attribute(&mut b)?);
        if a_type != b_type || !value_equal(a_value, b_value) {
            return Ok(false);
        }
    }
    Ok(a.is_empty() && b.is_empty())
}

/// Whether two attribute values are equal: byte for byte, or, for PrintableString and
/// UTF8String, after RFC 5280 7.1's case folding and space handling, in its ASCII subset
/// (a CA may write `CN=Foo` in one encoding and constrain `cn=foo` in another).
fn value_equal(a: Tlv<'_>, b: Tlv<'_>) -> bool {
    let is_text = |value: &Tlv<'_>| matches!(value.tag, PRINTABLE_STRING | UTF8_STRING);
    a.whole == b.whole || (is_text(&a) && is_text(&b) && folded(a.value).eq(folded(b.value)))
}

/// `text` with ASCII letters in lower case, leading and trailing spaces dropped and inner runs
/// of spaces made one.
fn folded(text: &[u8]) -> impl Iterator<Item = u8> + '_ {
    text.split(|&b| b == b' ')
        .filter(|word| !word.is_empty())
        .enumerate()
        .flat_map(|(i, word)| {
            (i > 0)
                .then_some(b' ')
                .into_iter()
                .chain(word.iter().map(u8::to_ascii_lowercase))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name_constraints::test_der::*;

    #[test]
    fn directory_constraints_are_rdn_prefixes_of_subject_and_directory_names() {
        let acme = dn(&[utf8(&C, "JP"), utf8(&O, "Acme")]);
        let constraints = nc(&[dir(&acme)], &[]);
        let below = dn(&[utf8(&C, "JP"), utf8(&O, "Acme"), utf8(&CN, "Taro")]);
        assert_eq!(check_names(&constraints, &below, &[]), Ok(()));
        assert_eq!(check_names(&constraints, &acme, &[]), Ok(()));
        for outside in [
            dn(&[utf8(&C, "JP"), utf8(&O, "Other"), utf8(&CN, "Taro")]),
            dn(&[utf8(&C, "JP")]),
            dn(&[utf8(&O, "Acme"), utf8(&C, "JP")]),
            dn(&[utf8(&CN, "Acme")]),
        ] {
            assert_not_permitted(check_names(&constraints, &outside, &[]));
        }
        // RFC 5280 7.1: case and insignificant spaces do not count, nor PrintableString vs UTF8.
        let folded = dn(&[
            rdn(&C, PRINTABLE_STRING, "jp"),
            utf8(&O, "  ACME "),
            utf8(&CN, "x"),
        ]);
        assert_eq!(check_names(&constraints, &folded, &[]), Ok(()));
        let spaced = dn(&[utf8(&C, "JP"), utf8(&O, "Ac me")]);
        assert_not_permitted(check_names(&constraints, &spaced, &[]));
        // directoryName SAN entries are checked too, and the subject with them.
        assert_eq!(check_names(&constraints, &below, &[dir(&acme)]), Ok(()));
        let foo = dn(&[utf8(&CN, "foo")]);
        let not_foo = dn(&[utf8(&CN, "not-foo")]);
        assert_not_permitted(check_names(&nc(&[dir(&foo)], &[]), &not_foo, &[dir(&foo)]));
        assert_excluded(check_names(&nc(&[], &[dir(&foo)]), &foo, &[dir(&not_foo)]));
        assert_excluded(check_names(&nc(&[], &[dir(&foo)]), &not_foo, &[dir(&foo)]));
    }

    #[test]
    fn an_empty_subject_is_not_a_directory_name() {
        let constraints = nc(&[dir(&dn(&[utf8(&CN, "foo")]))], &[]);
        assert_eq!(
            check_names(&constraints, &dn(&[]), &[dns("example.com")]),
            Ok(())
        );
    }

    #[test]
    fn multi_valued_rdns_compare_attribute_by_attribute() {
        let pair = |o: &str| {
            tlv(
                tag::SET,
                &[
                    seq(&[tlv(tag::OID, &C), tlv(UTF8_STRING, b"JP")]),
                    seq(&[tlv(tag::OID, &O), tlv(UTF8_STRING, o.as_bytes())]),
                ]
                .concat(),
            )
        };
        let constraints = nc(&[dir(&dn(&[pair("Acme")]))], &[]);
        assert_eq!(
            check_names(&constraints, &dn(&[pair("acme"), utf8(&CN, "x")]), &[]),
            Ok(())
        );
        assert_not_permitted(check_names(&constraints, &dn(&[pair("Other")]), &[]));
        assert_not_permitted(check_names(&constraints, &dn(&[utf8(&C, "JP")]), &[]));
    }
}
