//! The names of a certificate that constraints apply to: its subjectAltName entries, each
//! checked as RFC 5280 4.2.1.6 requires, and its subject Name with its emailAddress attributes.

use der::asn1::ObjectIdentifier;

use crate::der_input::{Input, Tlv, WalkError, tag};
use crate::name::read_name;

use super::IA5_STRING;
use super::dns::is_dns_pattern;
use super::email::Mailbox;
use super::general_name::{
    DIRECTORY_NAME, DNS_NAME, FORM_NAMES, GeneralName, IP_ADDRESS, Invalid, OTHER_NAME,
    RFC822_NAME, URI, read_general_name,
};
use super::shown::shown;
use super::uri::{is_uri, uri_host};

/// The most names one subjectAltName may hold, for the same reason.
const MAX_SAN_NAMES: usize = 4096;

/// pkcs-9 emailAddress: the subject attribute that RFC 5280 4.2.1.10 subjects to rfc822Name
/// constraints, as legacy certificates carry email addresses there.
pub(super) const EMAIL_ADDRESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// A name of the certificate being checked, in the form its comparisons use.
pub(super) enum Presented<'a> {
    /// A dNSName, perhaps with a leading `*.` label.
    Dns(&'a [u8]),
    /// An rfc822Name or a subject emailAddress; `mailbox` is `None` for an emailAddress that is
    /// not a mailbox, which no constraint can place.
    Email {
        text: &'a [u8],
        mailbox: Option<Mailbox<'a>>,
    },
    /// An iPAddress of 4 or 16 octets.
    Ip(&'a [u8]),
    /// The subject or a directoryName, as a Name TLV.
    Directory(&'a [u8]),
    /// A URI and its host, `None` when it has no domain-name host (no authority, or an IP
    /// literal): RFC 5280 4.2.1.10 has such a certificate rejected when URI constraints apply.
    Uri {
        text: &'a [u8],
        host: Option<&'a [u8]>,
    },
    /// An otherName's type-id content and whole content.
    OtherName { type_id: &'a [u8], whole: &'a [u8] },
    /// An x400Address, ediPartyName or registeredID, by form.
    Opaque(usize),
}

impl<'a> Presented<'a> {
    /// A subjectAltName entry, refusing what RFC 5280 4.2.1.6 does not allow.
    fn from_san(name: GeneralName<'a>) -> Result<Self, Invalid> {
        let invalid = |form: usize, text: &[u8], why: &str| {
            Invalid(format!("{} {} {why}", FORM_NAMES[form], shown(text)))
        };
        Ok(match name {
            GeneralName::Dns(text) if is_dns_pattern(text) => Self::Dns(text),
            GeneralName::Dns(text) => {
                return Err(invalid(
                    DNS_NAME,
                    text,
                    "is not a domain name in preferred name syntax",
                ));
            }
            GeneralName::Rfc822(text) => Self::Email {
                text,
                mailbox: Some(
                    Mailbox::parse(text)
                        .ok_or_else(|| invalid(RFC822_NAME, text, "is not a mailbox"))?,
                ),
            },
            GeneralName::Uri(text) if is_uri(text) => Self::Uri {
                text,
                host: uri_host(text),
            },
            GeneralName::Uri(text) => {
                return Err(invalid(
                    URI,
                    text,
                    "is not an absolute URI in visible ASCII",
                ));
            }
            GeneralName::Ip(octets) if matches!(octets.len(), 4 | 16) => Self::Ip(octets),
            GeneralName::Ip(octets) => {
                return Err(Invalid(format!(
                    "iPAddress of {} octets (4 or 16 expected)",
                    octets.len()
                )));
            }
            GeneralName::Directory(name) => Self::Directory(name),
            GeneralName::OtherName { type_id, whole } => Self::OtherName { type_id, whole },
            GeneralName::Opaque(form) => Self::Opaque(form),
        })
    }

    pub(super) fn form(&self) -> usize {
        match self {
            Self::Dns(_) => DNS_NAME,
            Self::Email { .. } => RFC822_NAME,
            Self::Ip(_) => IP_ADDRESS,
            Self::Directory(_) => DIRECTORY_NAME,
            Self::Uri { .. } => URI,
            Self::OtherName { .. } => OTHER_NAME,
            Self::Opaque(form) => *form,
        }
    }
}

/// The names of a subjectAltName value, each checked (see [`check_subject_alt_name`]).
pub(super) fn san_names(value: &[u8]) -> Result<Vec<Presented<'_>>, Invalid> {
    let mut list = Input::only(value, tag::SEQUENCE)?;
    if list.is_empty() {
        return Err(Invalid("no names (SIZE (1..MAX))".to_owned()));
    }
    let mut names = Vec::new();
    while !list.is_empty() {
        if names.len() == MAX_SAN_NAMES {
            return Err(Invalid(format!("more than {MAX_SAN_NAMES} names")));
        }
        names.push(Presented::from_san(read_general_name(&mut list)?)?);
    }
    Ok(names)
}

/// The names constraints apply to in a subject Name: the Name itself unless it is empty, and
/// each emailAddress attribute.
pub(super) fn subject_names(subject: &[u8]) -> Result<Vec<Presented<'_>>, WalkError> {
    let mut input = Input::new(subject);
    read_name(&mut input)?;
    input.finish()?;
    let mut rdns = Input::only(subject, tag::SEQUENCE)?;
    let mut names = Vec::new();
    if !rdns.is_empty() {
        names.push(Presented::Directory(subject));
    }
    while !rdns.is_empty() {
        let mut attributes = Input::new(rdns.expect(tag::SET)?.value);
        while !attributes.is_empty() {
            let (oid, value) = read_attribute(&mut attributes)?;
            if oid == EMAIL_ADDRESS.as_bytes() {
                names.push(Presented::Email {
                    text: value.value,
                    mailbox: (value.tag == IA5_STRING)
                        .then(|| Mailbox::parse(value.value))
                        .flatten(),
                });
            }
        }
    }
    Ok(names)
}

/// Reads one AttributeTypeAndValue: its type's OID content and its value's TLV.
pub(super) fn read_attribute<'a>(input: &mut Input<'a>) -> Result<(&'a [u8], Tlv<'a>), WalkError> {
    let mut pair = Input::new(input.expect(tag::SEQUENCE)?.value);
    let oid = pair.expect(tag::OID)?.value;
    let value = pair.read()?;
    pair.finish()?;
    Ok((oid, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name_constraints::check_subject_alt_name;
    use crate::name_constraints::test_der::*;

    #[test]
    fn well_formed_subject_alt_names_are_accepted() {
        let long_label = "a".repeat(63);
        let long_name = [long_label.as_str(); 4].join(".") + ".abc"; // 256 - 1 - ... = 255? see below
        assert!(long_name.len() > 253);
        let at_limit = [long_label.as_str(); 3].join(".") + "." + &"b".repeat(61);
        assert_eq!(at_limit.len(), 253);
        for names in [
            vec![dns("example.com")],
            vec![
                dns("*.example.com"),
                dns("xn--bcher-kva.example"),
                dns("1.2.3.4"),
                dns("a-b.c"),
            ],
            vec![dns(&at_limit), dns(&format!("{long_label}.com"))],
            vec![email("first.last+tag@example.com"), email("*@example.com")],
            vec![ip(&[127, 0, 0, 1]), ip(&[0; 16])],
            vec![uri("https://example.com/a?b#c"), uri("urn:isbn:0451450523")],
            vec![dir(&dn(&[utf8(&CN, "foo")])), dir(&dn(&[]))],
            vec![
                other_name(3, "x"),
                tlv(0x88, &[0x2a, 0x03]),
                tlv(0xa3, &[]),
                tlv(0xa5, &[]),
            ],
        ] {
            assert_eq!(check_subject_alt_name(&seq(&names)), Ok(()), "{names:02x?}");
        }
    }

    #[test]
    fn malformed_subject_alt_names_are_refused() {
        let long_label = "a".repeat(64);
        let too_long = ["abcdefghi"; 26].join("."); // 26 * 10 - 1 = 259
        for bad in [
            dns("foo_bar.example.com"),
            dns(".example.com"),
            dns("example.com."),
            dns(""),
            dns(" "),
            dns("*"),
            dns("*."),
            dns("a.*.example.com"),
            dns("*foo.example.com"),
            dns("**.example.com"),
            dns("-a.example.com"),
            dns("a-.example.com"),
            dns(&format!("{long_label}.com")),
            dns(&too_long),
            dns("caf\u{e9}.example"),
            email("invalid@address@example.com"),
            email("no-at-sign"),
            email("@example.com"),
            email("a@"),
            email("a..b@example.com"),
            email("\"quoted\"@example.com"),
            email("a@[192.0.2.1]"),
            ip(&[192, 0, 2, 1, 5]),
            ip(&[192, 0, 2, 0, 255, 255, 255, 0]),
            ip(&[]),
            uri(""),
            uri("no-scheme"),
            uri("//example.com/"),
            uri("https://exa mple.com/"),
            uri("1http://example.com"),
            uri("https:"),
            tlv(0xa4, &[0x31, 0x00]),
            tlv(0xa4, &[dn(&[]), dn(&[])].concat()),
            tlv(0x89, b"x"),
            tlv(0xa2, &dns("x")),
            tlv(0xa0, &tlv(tag::OID, &[0x2a])),
        ] {
            assert_malformed_san(&seq(&[dns("example.com"), bad]));
        }
        for bad in [
            seq(&[]),
            b"example.com".to_vec(),
            [seq(&[dns("a.b")]), vec![0]].concat(),
            vec![],
        ] {
            assert_malformed_san(&bad);
        }
        let mut limit = vec![ip(&[127, 0, 0, 1]); MAX_SAN_NAMES];
        assert_eq!(check_subject_alt_name(&seq(&limit)), Ok(()));
        limit.push(ip(&[127, 0, 0, 1]));
        assert_malformed_san(&seq(&limit));
    }
}
