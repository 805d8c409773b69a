//! rfc822Name constraints and the mailboxes they apply to (RFC 5280 4.2.1.6, 4.2.1.10).

use super::dns::{HostConstraint, host_constraint, host_within, is_dns_name};

/// An rfc822Name constraint (RFC 5280 4.2.1.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum EmailConstraint {
    /// `local@host`: that mailbox alone; every character of the local part is literal.
    Mailbox { local: Box<[u8]>, host: Box<[u8]> },
    /// `host` or `.domain`.
    Host(HostConstraint),
}

/// `local@host`, `host` or `.domain`.
pub(super) fn email_constraint(text: &[u8]) -> Option<EmailConstraint> {
    if text.contains(&b'@') {
        let mailbox = Mailbox::parse(text)?;
        return Some(EmailConstraint::Mailbox {
            local: mailbox.local.into(),
            host: mailbox.domain.into(),
        });
    }
    host_constraint(text).map(EmailConstraint::Host)
}

/// A mailbox `local@domain` (RFC 5280 4.2.1.6, RFC 5321 with a dot-atom local part).
#[derive(Clone, Copy)]
pub(super) struct Mailbox<'a> {
    local: &'a [u8],
    domain: &'a [u8],
}

impl<'a> Mailbox<'a> {
    /// `text` as a mailbox: exactly one `@`, a dot-atom before it, a domain name after it.
    /// A quoted local part or an address literal is refused: certificates do not need them.
    pub(super) fn parse(text: &'a [u8]) -> Option<Self> {
        let at = text.iter().position(|&b| b == b'@')?;
        let (local, domain) = (&text[..at], &text[at + 1..]);
        (is_dot_atom(local) && is_dns_name(domain)).then_some(Self { local, domain })
    }

    /// Whether the mailbox is within an rfc822Name constraint: the local part compares case
    /// sensitively (RFC 5321 leaves it to the host), the domain case-insensitively.
    pub(super) fn within(&self, constraint: &EmailConstraint) -> bool {
        match constraint {
            EmailConstraint::Mailbox { local, host } => {
                self.local == local.as_ref() && self.domain.eq_ignore_ascii_case(host)
            }
            EmailConstraint::Host(host) => host_within(self.domain, host),
        }
    }
}

/// RFC 5322 dot-atom: atext runs joined by single periods.
fn is_dot_atom(text: &[u8]) -> bool {
    let is_atext = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(b);
    text.split(|&b| b == b'.')
        .all(|atom| !atom.is_empty() && atom.iter().all(is_atext))
}

#[cfg(test)]
mod tests {
    use crate::name_constraints::UTF8_STRING;
    use crate::name_constraints::presented::EMAIL_ADDRESS;
    use crate::name_constraints::test_der::*;

    #[test]
    fn email_host_constraint_is_every_mailbox_at_exactly_that_host() {
        let constraints = nc(&[email("example.com")], &[]);
        assert_eq!(check_san(&constraints, &[email("foo@example.com")]), Ok(()));
        assert_eq!(check_san(&constraints, &[email("foo@EXAMPLE.com")]), Ok(()));
        assert_not_permitted(check_san(&constraints, &[email("foo@sub.example.com")]));
        assert_not_permitted(check_san(&constraints, &[email("foo@badexample.com")]));
    }

    #[test]
    fn email_domain_constraint_is_every_mailbox_below_the_domain() {
        let constraints = nc(&[email(".example.com")], &[]);
        assert_eq!(
            check_san(&constraints, &[email("foo@sub.example.com")]),
            Ok(())
        );
        assert_eq!(
            check_san(&constraints, &[email("foo@a.b.example.com")]),
            Ok(())
        );
        assert_not_permitted(check_san(&constraints, &[email("foo@example.com")]));
        assert_excluded(check_san(
            &nc(&[], &[email(".example.com")]),
            &[email("x@a.example.com")],
        ));
    }

    #[test]
    fn email_mailbox_constraint_is_that_mailbox_with_a_case_sensitive_local_part() {
        let constraints = nc(&[email("foo@example.com")], &[]);
        assert_eq!(check_san(&constraints, &[email("foo@example.com")]), Ok(()));
        assert_eq!(check_san(&constraints, &[email("foo@Example.COM")]), Ok(()));
        for other in ["Foo@example.com", "bar@example.com", "foo@sub.example.com"] {
            assert_not_permitted(check_san(&constraints, &[email(other)]));
        }
        assert_excluded(check_san(
            &nc(&[], &[email("foo@example.com")]),
            &[email("foo@example.com")],
        ));
        assert_eq!(
            check_san(
                &nc(&[], &[email("foo@example.com")]),
                &[email("bar@example.com")]
            ),
            Ok(())
        );
    }

    #[test]
    fn asterisks_in_email_constraints_are_literal() {
        let single = nc(&[email("*@example.com")], &[]);
        assert_eq!(check_san(&single, &[email("*@example.com")]), Ok(()));
        assert_not_permitted(check_san(&single, &[email("user@example.com")]));
        assert_not_permitted(check_san(&single, &[email("*@subdomain.example.com")]));
        let double = nc(&[email("**@example.com")], &[]);
        assert_eq!(check_san(&double, &[email("**@example.com")]), Ok(()));
        assert_not_permitted(check_san(&double, &[email("*@example.com")]));
        let middle = nc(&[email("user*@example.com")], &[]);
        assert_eq!(check_san(&middle, &[email("user*@example.com")]), Ok(()));
        assert_not_permitted(check_san(&middle, &[email("user@example.com")]));
        assert_not_permitted(check_san(&middle, &[email("userx@example.com")]));
    }

    #[test]
    fn subject_email_addresses_are_checked_as_rfc822_names() {
        let constraints = nc(&[email("example.com")], &[]);
        let subject = |address: &str| dn(&[utf8(&CN, "someone"), email_attribute(address)]);
        assert_eq!(
            check_names(&constraints, &subject("a@example.com"), &[]),
            Ok(())
        );
        assert_not_permitted(check_names(&constraints, &subject("a@evil.com"), &[]));
        assert_excluded(check_names(
            &nc(&[], &[email("evil.com")]),
            &subject("a@evil.com"),
            &[],
        ));
        // An emailAddress that is not a mailbox, or not an IA5String, cannot be placed.
        assert_not_permitted(check_names(&constraints, &subject("not a mailbox"), &[]));
        assert_excluded(check_names(
            &nc(&[], &[email("evil.com")]),
            &subject("@@"),
            &[],
        ));
        let utf8_address = dn(&[rdn(EMAIL_ADDRESS.as_bytes(), UTF8_STRING, "a@example.com")]);
        assert_not_permitted(check_names(&constraints, &utf8_address, &[]));
        // Without rfc822Name constraints, no emailAddress matters.
        assert_eq!(
            check_names(&nc(&[dns("example.com")], &[]), &subject("@@"), &[]),
            Ok(())
        );
    }
}
