//! dNSName matching (RFC 5280 4.2.1.10), and the domain-name syntax and host constraints that
//! rfc822Name and URI matching share.

use super::List;

/// The host part of an rfc822Name or URI constraint (RFC 5280 4.2.1.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum HostConstraint {
    /// `host`: exactly that host.
    Exact(Box<[u8]>),
    /// `.domain`: any host below the domain, not the domain itself (stored without its period).
    Below(Box<[u8]>),
}

/// `host` or `.domain`, each a domain name in preferred name syntax.
pub(super) fn host_constraint(text: &[u8]) -> Option<HostConstraint> {
    match text.strip_prefix(b".") {
        Some(domain) if is_dns_name(domain) => Some(HostConstraint::Below(domain.into())),
        None if is_dns_name(text) => Some(HostConstraint::Exact(text.into())),
        _ => None,
    }
}

/// Whether a dNSName is within a dNSName constraint. `*.base` stands for any one label added to
/// `base`: it is permitted when all such names are, and excluded when any may be (or when the
/// excluded domain is below `base` at any depth, in case a client lets the wildcard match more).
pub(super) fn dns_within(name: &[u8], domain: &[u8], list: List) -> bool {
    match name.strip_prefix(b"*.") {
        None => in_domain(name, domain),
        Some(base) => {
            in_domain(base, domain) || (matches!(list, List::Excluded) && in_domain(domain, base))
        }
    }
}

/// Whether `name` is `domain` or below it, ASCII case-insensitively: RFC 5280's "adding zero or
/// more labels to the left-hand side". Every name is within the empty domain.
fn in_domain(name: &[u8], domain: &[u8]) -> bool {
    domain.is_empty() || name.eq_ignore_ascii_case(domain) || is_below(name, domain)
}

/// Whether `name` is strictly below `domain`: it ends with `.` and the domain.
fn is_below(name: &[u8], domain: &[u8]) -> bool {
    name.len() > domain.len() && {
        let (head, tail) = name.split_at(name.len() - domain.len());
        head.ends_with(b".") && tail.eq_ignore_ascii_case(domain)
    }
}

/// Whether a mailbox's domain or a URI's host is within a host constraint.
pub(super) fn host_within(host: &[u8], constraint: &HostConstraint) -> bool {
    match constraint {
        HostConstraint::Exact(exact) => host.eq_ignore_ascii_case(exact),
        HostConstraint::Below(domain) => is_below(host, domain),
    }
}

/// A domain name in RFC 1034 3.5's preferred name syntax as RFC 1123 2.1 relaxes it: labels of
/// 1 to 63 letters, digits and hyphens, not beginning or ending with a hyphen, at most 253
/// characters in all. No empty label (so no leading or trailing period), no underscore, no
/// wildcard.
pub(super) fn is_dns_name(name: &[u8]) -> bool {
    let is_label = |label: &[u8]| {
        (1..=63).contains(&label.len())
            && label
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && !label.starts_with(b"-")
            && !label.ends_with(b"-")
    };
    name.len() <= 253 && name.split(|&b| b == b'.').all(is_label)
}

/// A dNSName a certificate may carry: a domain name, or `*.` and a domain name.
pub(super) fn is_dns_pattern(name: &[u8]) -> bool {
    name.len() <= 253 && is_dns_name(name.strip_prefix(b"*.").unwrap_or(name))
}

#[cfg(test)]
mod tests {
    use crate::name_constraints::test_der::*;

    #[test]
    fn dns_permitted_covers_the_domain_and_below_at_label_boundaries() {
        let constraints = nc(&[dns("example.com")], &[]);
        for name in [
            "example.com",
            "a.example.com",
            "foo.bar.example.com",
            "WWW.Example.COM",
        ] {
            assert_eq!(check_san(&constraints, &[dns(name)]), Ok(()), "{name}");
        }
        for name in [
            "badexample.com",
            "not-example.com",
            "com",
            "example.com.evil.org",
            "example.org",
        ] {
            assert_not_permitted(check_san(&constraints, &[dns(name)]));
        }
        // Every name must be within: one outside among several is refused.
        assert_not_permitted(check_san(
            &constraints,
            &[dns("a.example.com"), dns("b.example.net")],
        ));
        // Any one permitted subtree will do.
        let two = nc(&[dns("example.org"), dns("example.com")], &[]);
        assert_eq!(
            check_san(&two, &[dns("a.example.org"), dns("b.example.com")]),
            Ok(())
        );
    }

    #[test]
    fn dns_excluded_refuses_the_domain_and_below_and_wins_over_permitted() {
        let constraints = nc(&[], &[dns("not-allowed.example.com")]);
        assert_eq!(
            check_san(
                &constraints,
                &[dns("example.com"), dns("allowed.example.com")]
            ),
            Ok(())
        );
        assert_excluded(check_san(
            &constraints,
            &[dns("example.com"), dns("not-allowed.example.com")],
        ));
        assert_excluded(check_san(&constraints, &[dns("x.NOT-ALLOWED.example.com")]));
        let both = nc(&[dns("example.com")], &[dns("example.com")]);
        assert_excluded(check_san(&both, &[dns("example.com")]));
    }

    #[test]
    fn the_empty_dns_constraint_is_every_dns_name() {
        assert_eq!(
            check_san(&nc(&[dns("")], &[]), &[dns("anything.test")]),
            Ok(())
        );
        let none = nc(&[], &[dns("")]);
        assert_excluded(check_san(&none, &[dns("anything.test")]));
        // Other forms are not dNSNames.
        assert_eq!(check_san(&none, &[email("a@anything.test")]), Ok(()));
    }

    #[test]
    fn wildcard_names_are_permitted_when_all_they_stand_for_is_and_excluded_when_any_may_be() {
        let permitted = nc(&[dns("example.com")], &[]);
        assert_eq!(check_san(&permitted, &[dns("*.example.com")]), Ok(()));
        assert_eq!(check_san(&permitted, &[dns("*.a.example.com")]), Ok(()));
        assert_not_permitted(check_san(
            &nc(&[dns("foo.example.com")], &[]),
            &[dns("*.example.com")],
        ));
        for excluded in ["foo.example.com", "a.b.example.com", "example.com", "com"] {
            assert_excluded(check_san(
                &nc(&[], &[dns(excluded)]),
                &[dns("*.example.com")],
            ));
        }
        assert_eq!(
            check_san(&nc(&[], &[dns("example.org")]), &[dns("*.example.com")]),
            Ok(())
        );
        assert_eq!(
            check_san(&nc(&[], &[dns("fooexample.com")]), &[dns("*.example.com")]),
            Ok(())
        );
    }
}
