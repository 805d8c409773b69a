//! Reading GeneralName and GeneralSubtrees (RFC 5280 4.2.1.6, 4.2.1.10) from DER, and why a
//! nameConstraints or subjectAltName value is not well-formed.

use crate::Error;
use crate::der_input::{Input, Tlv, WalkError, check_oid, tag};
use crate::name::read_name;

use super::constraint::Constraint;

/// The most subtrees one GeneralSubtrees list may hold: far above any real CA, and a bound on
/// what parsing one extension allocates.
const MAX_SUBTREES: usize = 4096;

/// The GeneralName forms, numbered by their context tags; constraints are kept by form.
pub(super) const FORMS: usize = 9;
pub(super) const OTHER_NAME: usize = 0;
pub(super) const RFC822_NAME: usize = 1;
pub(super) const DNS_NAME: usize = 2;
const X400_ADDRESS: usize = 3;
pub(super) const DIRECTORY_NAME: usize = 4;
const EDI_PARTY_NAME: usize = 5;
pub(super) const URI: usize = 6;
pub(super) const IP_ADDRESS: usize = 7;
const REGISTERED_ID: usize = 8;

/// Each form's name in RFC 5280, for messages.
pub(super) const FORM_NAMES: [&str; FORMS] = [
    "otherName",
    "rfc822Name",
    "dNSName",
    "x400Address",
    "directoryName",
    "ediPartyName",
    "uniformResourceIdentifier",
    "iPAddress",
    "registeredID",
];

/// Why a nameConstraints or subjectAltName value is not well-formed: the detail its error
/// reports.
#[derive(Debug)]
pub(super) struct Invalid(pub(super) String);

impl Invalid {
    /// The same failure, said to lie inside `part`.
    pub(super) fn inside(self, part: &str) -> Self {
        Self(format!("{part}: {}", self.0))
    }

    pub(super) fn into_san_error(self) -> Error {
        Error::MalformedSubjectAltName { detail: self.0 }
    }
}

impl From<WalkError> for Invalid {
    fn from(error: WalkError) -> Self {
        Self(der::Error::from(error).kind().to_string())
    }
}

/// One GeneralName as received, its well-formedness as DER checked.
pub(super) enum GeneralName<'a> {
    /// The OtherName's type-id content, and its whole content (type-id and value).
    OtherName { type_id: &'a [u8], whole: &'a [u8] },
    /// An rfc822Name's IA5String contents.
    Rfc822(&'a [u8]),
    /// A dNSName's IA5String contents.
    Dns(&'a [u8]),
    /// A uniformResourceIdentifier's IA5String contents.
    Uri(&'a [u8]),
    /// The octets of an iPAddress.
    Ip(&'a [u8]),
    /// A directoryName's Name TLV.
    Directory(&'a [u8]),
    /// An x400Address, ediPartyName or registeredID, by form: eproxy compares none of them.
    Opaque(usize),
}

/// Reads one GeneralName. The forms eproxy does not compare are checked only as far as DER
/// goes (registeredID as an OID), as RFC 5280 gives no rule for matching them.
pub(super) fn read_general_name<'a>(input: &mut Input<'a>) -> Result<GeneralName<'a>, Invalid> {
    let name = input.read()?;
    Ok(match name.tag {
        0xa0 => read_other_name(name.value)?,
        0x81 => GeneralName::Rfc822(name.value),
        0x82 => GeneralName::Dns(name.value),
        0xa3 => GeneralName::Opaque(X400_ADDRESS),
        0xa4 => {
            let mut inner = Input::new(name.value);
            let directory = read_name(&mut inner)?;
            inner.finish()?;
            GeneralName::Directory(directory)
        }
        0xa5 => GeneralName::Opaque(EDI_PARTY_NAME),
        0x86 => GeneralName::Uri(name.value),
        0x87 => GeneralName::Ip(name.value),
        0x88 => {
            check_oid(name.value)?;
            GeneralName::Opaque(REGISTERED_ID)
        }
        other => return Err(Invalid(format!("GeneralName with tag 0x{other:02x}"))),
    })
}

/// `OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }`, its
/// SEQUENCE tag replaced by `[0]`.
fn read_other_name(whole: &[u8]) -> Result<GeneralName<'_>, Invalid> {
    let mut fields = Input::new(whole);
    let type_id = fields.expect(tag::OID)?.value;
    check_oid(type_id)?;
    let mut value = Input::new(fields.expect(tag::context_constructed(0))?.value);
    value.read()?;
    value.finish()?;
    fields.finish()?;
    Ok(GeneralName::OtherName { type_id, whole })
}

/// Reads a GeneralSubtrees list, if present, into constraints by form.
pub(super) fn read_subtrees(list: Option<Tlv<'_>>) -> Result<[Vec<Constraint>; FORMS], Invalid> {
    let mut by_form: [Vec<Constraint>; FORMS] = Default::default();
    let Some(list) = list else {
        return Ok(by_form);
    };
    let mut subtrees = Input::new(list.value);
    if subtrees.is_empty() {
        return Err(Invalid("empty list (SIZE (1..MAX))".to_owned()));
    }
    let mut count = 0;
    while !subtrees.is_empty() {
        count += 1;
        if count > MAX_SUBTREES {
            return Err(Invalid(format!("more than {MAX_SUBTREES} subtrees")));
        }
        let constraint = read_subtree(subtrees.expect(tag::SEQUENCE)?.value)?;
        by_form[constraint.form()].push(constraint);
    }
    Ok(by_form)
}

/// Reads one GeneralSubtree: its base, and minimum and maximum as RFC 5280 profiles them.
fn read_subtree(subtree: &[u8]) -> Result<Constraint, Invalid> {
    let mut fields = Input::new(subtree);
    let base = read_general_name(&mut fields)?;
    // DER omits the default 0; an explicit 0 still says what RFC 5280 requires.
    if let Some(minimum) = fields.optional(tag::context_primitive(0))?
        && minimum.value != [0]
    {
        return Err(Invalid("minimum is not 0".to_owned()));
    }
    if fields.optional(tag::context_primitive(1))?.is_some() {
        return Err(Invalid("maximum is present".to_owned()));
    }
    fields.finish()?;
    Constraint::from_base(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name_constraints::NameConstraints;
    use crate::name_constraints::test_der::*;

    #[test]
    fn empty_lists_minimum_maximum_and_bad_der_are_refused() {
        let base = dns("example.com");
        for bad in [
            seq(&[]),                               // both absent
            seq(&[tlv(0xa0, &[]), tlv(0xa1, &[])]), // both empty
            seq(&[tlv(0xa0, &[])]),                 // permitted empty
            seq(&[
                subtree_list(0xa0, std::slice::from_ref(&base)),
                tlv(0xa1, &[]),
            ]),
            seq(&[tlv(0xa0, &seq(&[base.clone(), tlv(0x80, &[1])]))]), // minimum 1
            seq(&[tlv(0xa0, &seq(&[base.clone(), tlv(0x80, &[0, 0])]))]), // minimum, not DER
            seq(&[tlv(0xa0, &seq(&[base.clone(), tlv(0x81, &[2])]))]), // maximum
            seq(&[tlv(
                0xa0,
                &seq(&[base.clone(), tlv(0x80, &[0]), tlv(0x81, &[0])]),
            )]),
            seq(&[tlv(0xa0, &seq(&[base.clone(), tlv(0x05, &[])]))]), // trailing field
            seq(&[tlv(0xa0, &seq(&[]))]),                             // no base
            seq(&[tlv(0xa0, &seq(&[tlv(0x89, b"x")]))]),              // no such GeneralName
            seq(&[tlv(0xa0, &seq(&[tlv(0xa2, &dns("x"))]))]),         // constructed dNSName
            seq(&[tlv(0xa0, &seq(&[tlv(0xa4, &[0x31, 0x00])]))]),     // directoryName not a Name
            seq(&[tlv(0xa0, &seq(&[tlv(0x88, &[0x80])]))]),           // registeredID not an OID
            seq(&[
                subtree_list(0xa1, std::slice::from_ref(&base)),
                subtree_list(0xa0, std::slice::from_ref(&base)),
            ]),
            [nc_der(std::slice::from_ref(&base), &[]), vec![0]].concat(), // trailing byte
            nc_der(std::slice::from_ref(&base), &[])[..6].to_vec(),       // truncated
            vec![0x30, 0x80, 0x00, 0x00],                                 // BER
            vec![],
        ] {
            assert_malformed_nc(&bad);
        }
        // An explicit minimum of 0 says what RFC 5280 requires.
        let explicit_zero = seq(&[tlv(0xa0, &seq(&[base.clone(), tlv(0x80, &[0])]))]);
        assert_eq!(
            NameConstraints::from_der(&explicit_zero),
            Ok(nc(&[base], &[]))
        );
    }

    #[test]
    fn too_many_subtrees_are_refused() {
        let bases = vec![dns("a.test"); MAX_SUBTREES];
        assert!(NameConstraints::from_der(&nc_der(&bases, &bases)).is_ok());
        let over = vec![dns("a.test"); MAX_SUBTREES + 1];
        assert_malformed_nc(&nc_der(&over, &[]));
    }
}
