//! uniformResourceIdentifier names: their syntax (RFC 5280 4.2.1.6) and the host that URI
//! constraints apply to.

use super::dns::is_dns_name;

/// A URI a certificate may carry (RFC 5280 4.2.1.6: absolute, with a scheme): visible ASCII,
/// a scheme (RFC 3986 3.1), a colon and more.
pub(super) fn is_uri(text: &[u8]) -> bool {
    text.iter().all(u8::is_ascii_graphic)
        && match text.iter().position(|&b| b == b':') {
            Some(colon) => is_scheme(&text[..colon]) && colon + 1 < text.len(),
            None => false,
        }
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &[u8]) -> bool {
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
}

/// The host of a URI (`scheme://[userinfo@]host[:port]...`, RFC 3986 3.2) when it is a domain
/// name; `None` without an authority, for an IP literal (bracketed, or a last label of digits,
/// which no top-level domain has) or for a host not in preferred name syntax.
pub(super) fn uri_host(uri: &[u8]) -> Option<&[u8]> {
    let colon = uri.iter().position(|&b| b == b':')?;
    let rest = uri[colon + 1..].strip_prefix(b"//")?;
    let end = rest
        .iter()
        .position(|b| b"/?#".contains(b))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = match authority.iter().rposition(|&b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host = match host_port.iter().rposition(|&b| b == b':') {
        Some(colon) if host_port[colon + 1..].iter().all(u8::is_ascii_digit) => &host_port[..colon],
        Some(_) => return None,
        None => host_port,
    };
    let last_label = host.rsplit(|&b| b == b'.').next()?;
    (is_dns_name(host) && !last_label.iter().all(u8::is_ascii_digit)).then_some(host)
}

#[cfg(test)]
mod tests {
    use crate::name_constraints::test_der::*;

    #[test]
    fn uri_constraints_apply_to_the_host() {
        let host = nc(&[uri("example.com")], &[]);
        for ok in [
            "https://example.com/x",
            "ldap://user@EXAMPLE.com:389/o=x",
            "http://example.com?q#f",
        ] {
            assert_eq!(check_san(&host, &[uri(ok)]), Ok(()), "{ok}");
        }
        for outside in [
            "https://www.example.com/",
            "https://example.org",
            "https://example.com.evil/",
        ] {
            assert_not_permitted(check_san(&host, &[uri(outside)]));
        }
        let below = nc(&[uri(".example.com")], &[]);
        assert_eq!(
            check_san(&below, &[uri("https://www.example.com:8443/a")]),
            Ok(())
        );
        assert_not_permitted(check_san(&below, &[uri("https://example.com/")]));
        assert_excluded(check_san(
            &nc(&[], &[uri(".example.com")]),
            &[uri("https://a.b.example.com")],
        ));
    }

    #[test]
    fn uris_without_a_domain_host_are_refused_where_uri_constraints_apply() {
        for hostless in [
            "urn:isbn:0451450523",
            "https://192.0.2.1/",
            "https://[2001:db8::1]/",
            "mailto:a@example.com",
        ] {
            assert_not_permitted(check_san(&nc(&[uri("example.com")], &[]), &[uri(hostless)]));
            assert_excluded(check_san(
                &nc(&[], &[uri(".example.org")]),
                &[uri(hostless)],
            ));
            assert_eq!(
                check_san(&nc(&[dns("example.com")], &[]), &[uri(hostless)]),
                Ok(())
            );
        }
    }
}
