//! How names and constraints appear in error messages: quoted, escaped and bounded.

use std::net::{Ipv4Addr, Ipv6Addr};

use der::Decode;
use der::asn1::ObjectIdentifier;

use super::constraint::Constraint;
use super::dns::HostConstraint;
use super::email::EmailConstraint;
use super::general_name::FORM_NAMES;
use super::presented::Presented;

/// How many characters of a name or constraint an error message shows.
const MAX_SHOWN: usize = 96;

/// `text` quoted for a message, non-printable bytes escaped, at most [`MAX_SHOWN`] characters.
pub(super) fn shown(text: &[u8]) -> String {
    let mut escaped: String = text
        .escape_ascii()
        .take(MAX_SHOWN + 1)
        .map(char::from)
        .collect();
    if escaped.len() > MAX_SHOWN {
        escaped.truncate(MAX_SHOWN);
        escaped.push('…');
    }
    format!("\"{escaped}\"")
}

/// A Name for a message, in RFC 4514 form when it decodes, at most [`MAX_SHOWN`] characters.
fn shown_name(name: &[u8]) -> String {
    match x509_cert::name::Name::from_der(name) {
        Ok(name) => {
            let text = name.to_string();
            let mut shown: String = text.chars().take(MAX_SHOWN).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            format!("\"{shown}\"")
        }
        Err(_) => format!("of {} bytes", name.len()),
    }
}

/// An IP address or network for a message.
fn shown_ip(octets: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(octets) {
        Ipv6Addr::from(v6).to_string()
    } else {
        format!("of {} octets", octets.len())
    }
}

/// An OID content (checked well-formed) in dotted form.
fn shown_oid(content: &[u8]) -> String {
    ObjectIdentifier::from_bytes(content)
        .map(|oid| oid.to_string())
        .unwrap_or_else(|_| "(unrepresentable)".to_owned())
}

impl std::fmt::Display for Presented<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let form = FORM_NAMES[self.form()];
        match self {
            Self::Dns(text) | Self::Email { text, .. } | Self::Uri { text, .. } => {
                write!(f, "{form} {}", shown(text))
            }
            Self::Ip(octets) => write!(f, "{form} {}", shown_ip(octets)),
            Self::Directory(name) => write!(f, "{form} {}", shown_name(name)),
            Self::OtherName { type_id, .. } => write!(f, "{form} of type {}", shown_oid(type_id)),
            Self::Opaque(_) => f.write_str(form),
        }
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let form = FORM_NAMES[self.form()];
        match self {
            Self::Dns(domain) => write!(f, "{form} {}", shown(domain)),
            Self::Email(EmailConstraint::Mailbox { local, host }) => {
                write!(
                    f,
                    "{form} {}",
                    shown(&[local.as_ref(), host.as_ref()].join(&b'@'))
                )
            }
            Self::Email(EmailConstraint::Host(host)) | Self::Uri(host) => {
                write!(f, "{form} {host}")
            }
            Self::Ip { network, mask } => {
                let prefix: u32 = mask.iter().map(|octet| octet.count_ones()).sum();
                write!(f, "{form} {}/{prefix}", shown_ip(network))
            }
            Self::Directory(name) => write!(f, "{form} {}", shown_name(name)),
            Self::OtherName { type_id, .. } => write!(f, "{form} of type {}", shown_oid(type_id)),
            Self::Opaque(_) => f.write_str(form),
        }
    }
}

impl std::fmt::Display for HostConstraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(host) => f.write_str(&shown(host)),
            Self::Below(domain) => f.write_str(&shown(&[&b"."[..], domain].concat())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name_constraints::check_subject_alt_name;
    use crate::name_constraints::test_der::*;

    #[test]
    fn messages_name_the_name_and_the_constraint_within_bounds() {
        let excluded = check_san(
            &nc(&[], &[ip(&[192, 0, 2, 0, 255, 255, 255, 0])]),
            &[ip(&[192, 0, 2, 7])],
        );
        assert_eq!(
            excluded.expect_err("excluded").to_string(),
            "iPAddress 192.0.2.7 is within the excluded subtree iPAddress 192.0.2.0/24 of an \
             issuer's name constraints"
        );
        let foo = dn(&[utf8(&CN, "foo")]);
        let message = check_names(&nc(&[], &[dir(&foo)]), &foo, &[])
            .expect_err("excluded")
            .to_string();
        assert!(message.contains("directoryName \"CN=foo\""), "{message}");
        let message = check_san(
            &nc(&[], &[email(".example.com")]),
            &[email("a@b.example.com")],
        )
        .expect_err("excluded")
        .to_string();
        assert!(message.contains("\".example.com\""), "{message}");
        let long = format!("https://{}.example.com/", "a".repeat(63)) + &"p".repeat(5000);
        let message = check_san(&nc(&[uri("example.org")], &[]), &[uri(&long)])
            .expect_err("not permitted")
            .to_string();
        assert!(
            message.len() < 2 * MAX_SHOWN + 100,
            "{} bytes",
            message.len()
        );
        let message = check_subject_alt_name(&seq(&[dns(&format!("{}_", "a".repeat(3000)))]))
            .expect_err("malformed")
            .to_string();
        assert!(
            message.len() < 2 * MAX_SHOWN + 100,
            "{} bytes",
            message.len()
        );
    }
}
