//! A subtree's base as the constraint it states (RFC 5280 4.2.1.10), refusing what RFC 5280
//! does not allow.

use super::dns::{HostConstraint, host_constraint, is_dns_name};
use super::email::{EmailConstraint, email_constraint};
use super::general_name::{
    DIRECTORY_NAME, DNS_NAME, FORM_NAMES, GeneralName, IP_ADDRESS, Invalid, OTHER_NAME,
    RFC822_NAME, URI,
};
use super::ip::is_prefix_mask;
use super::shown::shown;

/// One subtree's base, in the form its comparisons use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Constraint {
    /// dNSName: the domain and every name below it; empty, every name.
    Dns(Box<[u8]>),
    /// rfc822Name: one mailbox, or the mailboxes of a host or below a domain.
    Email(EmailConstraint),
    /// iPAddress: network and mask, both 4 or both 16 octets.
    Ip { network: Box<[u8]>, mask: Box<[u8]> },
    /// directoryName: a Name TLV; the names within begin with its RDNs.
    Directory(Box<[u8]>),
    /// uniformResourceIdentifier: on the URI's host.
    Uri(HostConstraint),
    /// otherName: its type-id content and its whole content, as received.
    OtherName {
        type_id: Box<[u8]>,
        whole: Box<[u8]>,
    },
    /// x400Address, ediPartyName or registeredID, by form.
    Opaque(usize),
}

impl Constraint {
    /// The constraint a subtree's base states, refusing what RFC 5280 does not allow.
    pub(super) fn from_base(base: GeneralName<'_>) -> Result<Self, Invalid> {
        let invalid = |form: usize, text: &[u8], why: &str| {
            Invalid(format!(
                "{} constraint {} {why}",
                FORM_NAMES[form],
                shown(text)
            ))
        };
        Ok(match base {
            // RFC 5280 allows neither the leading period some CAs write (that is the URI
            // syntax) nor a wildcard; the empty constraint is every name.
            GeneralName::Dns(domain) if domain.is_empty() || is_dns_name(domain) => {
                Self::Dns(domain.into())
            }
            GeneralName::Dns(domain) => {
                return Err(invalid(
                    DNS_NAME,
                    domain,
                    "is not a domain name in preferred name syntax",
                ));
            }
            GeneralName::Rfc822(text) => Self::Email(email_constraint(text).ok_or_else(|| {
                invalid(RFC822_NAME, text, "is not a mailbox, a host or a .domain")
            })?),
            GeneralName::Uri(text) => Self::Uri(
                host_constraint(text)
                    .ok_or_else(|| invalid(URI, text, "is not a host or a .domain"))?,
            ),
            GeneralName::Ip(octets) => {
                let (network, mask) = octets.split_at(octets.len() / 2);
                if !matches!(octets.len(), 8 | 32) || !is_prefix_mask(mask) {
                    return Err(Invalid(format!(
                        "iPAddress constraint of {} octets is not an address and a contiguous mask \
                         (8 or 32 octets)",
                        octets.len()
                    )));
                }
                Self::Ip {
                    network: network.into(),
                    mask: mask.into(),
                }
            }
            GeneralName::Directory(name) => Self::Directory(name.into()),
            GeneralName::OtherName { type_id, whole } => Self::OtherName {
                type_id: type_id.into(),
                whole: whole.into(),
            },
            GeneralName::Opaque(form) => Self::Opaque(form),
        })
    }

    pub(super) fn form(&self) -> usize {
        match self {
            Self::Dns(_) => DNS_NAME,
            Self::Email(_) => RFC822_NAME,
            Self::Ip { .. } => IP_ADDRESS,
            Self::Directory(_) => DIRECTORY_NAME,
            Self::Uri(_) => URI,
            Self::OtherName { .. } => OTHER_NAME,
            Self::Opaque(form) => *form,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::name_constraints::NameConstraints;
    use crate::name_constraints::test_der::*;

    #[test]
    fn malformed_dns_email_uri_and_ip_constraints_are_refused() {
        for bad in [
            dns(".example.com"),
            dns("*.example.com"),
            dns("*"),
            dns("example.com."),
            dns("foo_bar.example.com"),
            dns("a..b"),
            email("invalid@invalid@example.com"),
            email("@example.com"),
            email("a@"),
            email(""),
            email(".."),
            email("a b@example.com"),
            uri(""),
            uri("https://example.com"),
            uri(".."),
            ip(&[127, 0, 0, 1]),
            ip(&[127, 0, 0, 1, 255, 255, 255]),
            ip(&[192, 0, 2, 0, 255, 0, 255, 0]),
            ip(&[192, 0, 2, 0, 255, 255, 255, 1]),
            ip(&[0; 16]),
        ] {
            assert_malformed_nc(&nc_der(std::slice::from_ref(&bad), &[]));
            assert_malformed_nc(&nc_der(&[], &[bad]));
        }
        // The limbo case: `invalid@invalid@example.com` is named in the message.
        let result =
            NameConstraints::from_der(&nc_der(&[email("invalid@invalid@example.com")], &[]));
        let message = result.expect_err("malformed").to_string();
        assert!(
            message.contains("permittedSubtrees")
                && message.contains("invalid@invalid@example.com"),
            "{message}"
        );
    }
}
