//! Name constraints (RFC 5280 4.2.1.10, checked as 6.1.3 (b) and (c) do) and the syntax of
//! subjectAltName (RFC 5280 4.2.1.6), over borrowed DER.
//!
//! ```text
//! NameConstraints ::= SEQUENCE {
//!     permittedSubtrees [0] GeneralSubtrees OPTIONAL,
//!     excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
//! GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
//! GeneralSubtree ::= SEQUENCE {
//!     base GeneralName, minimum [0] BaseDistance DEFAULT 0, maximum [1] BaseDistance OPTIONAL }
//! GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
//! GeneralName ::= CHOICE {
//!     otherName [0] OtherName, rfc822Name [1] IA5String, dNSName [2] IA5String,
//!     x400Address [3] ORAddress, directoryName [4] Name, ediPartyName [5] EDIPartyName,
//!     uniformResourceIdentifier [6] IA5String, iPAddress [7] OCTET STRING,
//!     registeredID [8] OBJECT IDENTIFIER }
//! ```
//!
//! The rule throughout: a name eproxy cannot interpret (a form it does not compare, an email
//! address that is not a mailbox, a URI without a domain host) is never within a permitted
//! subtree and always within an excluded one, so a constraint that governs it refuses it
//! (RFC 5280: "process the constraint or reject the certificate").

mod constraint;
mod directory;
mod dns;
mod email;
mod general_name;
mod ip;
#[cfg(test)]
mod limbo;
mod presented;
mod shown;
#[cfg(test)]
mod test_der;
mod uri;

use crate::der_input::{Input, classify, tag};
use crate::{Error, InputKind};

use constraint::Constraint;
use directory::dn_within;
use dns::{dns_within, host_within};
use general_name::{FORMS, Invalid, read_subtrees};
use ip::ip_within;
use presented::{Presented, san_names, subject_names};

/// The comparisons one path validation may make across all its name-constraint checks: enough
/// for any real hierarchy, and a bound on the quadratic work of a CA with thousands of
/// constraints over a certificate with thousands of names.
pub const NAME_CONSTRAINT_BUDGET: usize = 250_000;

/// The string types the hand walk distinguishes (no other module needs them).
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const IA5_STRING: u8 = 0x16;

/// A nameConstraints extension (RFC 5280 4.2.1.10), parsed from its extension value (the DER
/// inside extnValue). It owns its constraints, so that a parsed CA certificate can keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameConstraints {
    /// permittedSubtrees, by form (index = GeneralName tag number).
    permitted: [Vec<Constraint>; FORMS],
    /// excludedSubtrees, by form.
    excluded: [Vec<Constraint>; FORMS],
}

impl NameConstraints {
    /// Parses the extension value. Malformed DER, an empty extension (both subtrees absent, or
    /// a present-but-empty GeneralSubtrees, which RFC 5280 forbids), a minimum other than 0 or a
    /// maximum (RFC 5280: MUST be 0 / absent), more than 4096 subtrees in a list, or a
    /// constraint RFC 5280 does not allow is an error.
    pub fn from_der(value: &[u8]) -> Result<Self, Error> {
        Self::parse(value).map_err(|Invalid(detail)| Error::MalformedNameConstraints { detail })
    }

    fn parse(value: &[u8]) -> Result<Self, Invalid> {
        let mut fields = Input::only(value, tag::SEQUENCE)?;
        let permitted = fields.optional(tag::context_constructed(0))?;
        let excluded = fields.optional(tag::context_constructed(1))?;
        fields.finish()?;
        if permitted.is_none() && excluded.is_none() {
            return Err(Invalid(
                "neither permittedSubtrees nor excludedSubtrees".to_owned(),
            ));
        }
        Ok(Self {
            permitted: read_subtrees(permitted).map_err(|e| e.inside("permittedSubtrees"))?,
            excluded: read_subtrees(excluded).map_err(|e| e.inside("excludedSubtrees"))?,
        })
    }

    /// Checks the names of a certificate issued below the constraining CA: its subject Name
    /// (the Name's DER TLV as received) and the GeneralNames of its subjectAltName extension
    /// value (`None` when it has none).
    ///
    /// The subject is a directoryName when it is not empty, and each of its emailAddress
    /// attributes an rfc822Name (RFC 5280 4.2.1.10). Every name must lie outside all excluded
    /// subtrees of its form and, where its form has permitted subtrees, within one of them.
    /// `budget` is decremented by one per (name, constraint) comparison; at 0 the check stops
    /// with [`Error::NameConstraintBudgetExceeded`].
    pub fn check(
        &self,
        subject: &[u8],
        subject_alt_name: Option<&[u8]>,
        budget: &mut usize,
    ) -> Result<(), Error> {
        let mut names = subject_names(subject)
            .map_err(|e| classify(e.into(), InputKind::Certificate, "subject"))?;
        if let Some(value) = subject_alt_name {
            names.extend(san_names(value).map_err(Invalid::into_san_error)?);
        }
        names
            .iter()
            .try_for_each(|name| self.check_name(name, budget))
    }

    /// Checks one name against the excluded, then the permitted subtrees of its form.
    fn check_name(&self, name: &Presented<'_>, budget: &mut usize) -> Result<(), Error> {
        let form = name.form();
        for constraint in &self.excluded[form] {
            if within(name, constraint, List::Excluded, budget)? {
                return Err(Error::NameExcluded {
                    name: name.to_string(),
                    constraint: constraint.to_string(),
                });
            }
        }
        let permitted = &self.permitted[form];
        if permitted.is_empty() {
            return Ok(());
        }
        for constraint in permitted {
            if within(name, constraint, List::Permitted, budget)? {
                return Ok(());
            }
        }
        Err(Error::NameNotPermitted {
            name: name.to_string(),
        })
    }
}

/// Checks a subjectAltName extension value: a non-empty GeneralNames of at most 4096 names,
/// each well-formed (RFC 5280 4.2.1.6): a dNSName in preferred name syntax (a leading `*.`
/// label allowed, as TLS certificates carry them), an rfc822Name a mailbox, an iPAddress of 4 or
/// 16 octets, a URI of visible ASCII with a scheme, a directoryName a well-formed Name.
pub fn check_subject_alt_name(value: &[u8]) -> Result<(), Error> {
    san_names(value).map(drop).map_err(Invalid::into_san_error)
}

/// Which list a comparison serves. A name must be certainly within a permitted subtree, and is
/// refused if it may be within an excluded one: what eproxy cannot decide is refused either way.
#[derive(Clone, Copy)]
enum List {
    Permitted,
    Excluded,
}

/// Whether `name` lies within `constraint` (of the same form) for `list`, spending one unit of
/// `budget`.
fn within(
    name: &Presented<'_>,
    constraint: &Constraint,
    list: List,
    budget: &mut usize,
) -> Result<bool, Error> {
    *budget = budget
        .checked_sub(1)
        .ok_or(Error::NameConstraintBudgetExceeded)?;
    let undecided = matches!(list, List::Excluded);
    Ok(match (name, constraint) {
        (Presented::Dns(name), Constraint::Dns(domain)) => dns_within(name, domain, list),
        (
            Presented::Email {
                mailbox: Some(mailbox),
                ..
            },
            Constraint::Email(constraint),
        ) => mailbox.within(constraint),
        (Presented::Ip(address), Constraint::Ip { network, mask }) => {
            ip_within(address, network, mask)
        }
        (Presented::Directory(name), Constraint::Directory(prefix)) => dn_within(name, prefix)
            .map_err(|e| classify(e.into(), InputKind::Certificate, "directoryName"))?,
        (
            Presented::Uri {
                host: Some(host), ..
            },
            Constraint::Uri(constraint),
        ) => host_within(host, constraint),
        // eproxy does not know how any otherName type compares: only the very name is within a
        // permitted one, and any name of an excluded one's type may be within it.
        (
            Presented::OtherName { type_id, whole },
            Constraint::OtherName {
                type_id: excluded_type,
                whole: permitted,
            },
        ) => match list {
            List::Permitted => *whole == permitted.as_ref(),
            List::Excluded => *type_id == excluded_type.as_ref(),
        },
        // An emailAddress that is not a mailbox, a URI without a domain host, a form eproxy
        // does not compare.
        _ => undecided,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name_constraints::test_der::*;

    #[test]
    fn forms_without_permitted_subtrees_are_unconstrained() {
        let ip_only = nc(&[ip(&[192, 0, 2, 0, 255, 255, 255, 0])], &[]);
        assert_eq!(check_san(&ip_only, &[dns("example.com")]), Ok(()));
        let ip_excluded = nc(&[], &[ip(&[192, 0, 2, 0, 255, 255, 255, 0])]);
        assert_eq!(check_san(&ip_excluded, &[dns("example.com")]), Ok(()));
    }

    #[test]
    fn other_names_are_permitted_only_exactly_and_excluded_by_type() {
        let excluded = nc(&[dns("example.com")], &[other_name(3, "")]);
        assert_excluded(check_san(
            &excluded,
            &[dns("example.com"), other_name(3, "anything")],
        ));
        assert_eq!(
            check_san(&excluded, &[dns("example.com"), other_name(4, "anything")]),
            Ok(())
        );
        assert_eq!(check_san(&excluded, &[dns("example.com")]), Ok(()));
        let permitted = nc(&[other_name(3, "a")], &[]);
        assert_eq!(check_san(&permitted, &[other_name(3, "a")]), Ok(()));
        assert_not_permitted(check_san(&permitted, &[other_name(3, "b")]));
        assert_not_permitted(check_san(&permitted, &[other_name(4, "a")]));
    }

    #[test]
    fn forms_eproxy_does_not_compare_are_refused_where_constrained() {
        let registered_id = tlv(0x88, &[0x2a, 0x03]);
        let x400 = tlv(0xa3, &seq(&[]));
        assert_excluded(check_san(
            &nc(&[], std::slice::from_ref(&registered_id)),
            std::slice::from_ref(&registered_id),
        ));
        assert_not_permitted(check_san(
            &nc(std::slice::from_ref(&x400), &[]),
            std::slice::from_ref(&x400),
        ));
        // A constraint of a form the certificate has no name of never matters.
        assert_eq!(
            check_san(&nc(&[x400], &[registered_id]), &[dns("example.com")]),
            Ok(())
        );
    }

    #[test]
    fn check_refuses_a_malformed_subject_alt_name_before_comparing() {
        // The limbo cases nc-permits-invalid-*-san: a malformed name beside permitted ones.
        let constraints = nc(&[dns("example.com"), email("example.com")], &[]);
        for bad in [
            dns(".example.com"),
            email("invalid@address@example.com"),
            ip(&[192, 0, 2, 0, 255, 255, 255, 0]),
        ] {
            let result = check_san(&constraints, &[dns("foo.example.com"), bad]);
            assert!(
                matches!(result, Err(Error::MalformedSubjectAltName { .. })),
                "{result:?}"
            );
        }
        let result = check_names(&constraints, &[0x30, 0x01], &[]);
        assert!(
            matches!(
                result,
                Err(Error::Malformed {
                    kind: InputKind::Certificate,
                    ..
                })
            ),
            "{result:?}"
        );
    }

    #[test]
    fn every_comparison_spends_budget_and_an_empty_budget_stops_the_check() {
        let constraints = nc(&[dns("a.test"), dns("b.test")], &[dns("x.test")]);
        let san = seq(&[dns("b.test"), dns("a.test")]);
        // b.test: 1 excluded + 2 permitted; a.test: 1 excluded + 1 permitted.
        let mut budget = 10;
        assert_eq!(constraints.check(&dn(&[]), Some(&san), &mut budget), Ok(()));
        assert_eq!(budget, 5);
        let mut exact = 5;
        assert_eq!(constraints.check(&dn(&[]), Some(&san), &mut exact), Ok(()));
        assert_eq!(exact, 0);
        let mut short = 4;
        assert_eq!(
            constraints.check(&dn(&[]), Some(&san), &mut short),
            Err(Error::NameConstraintBudgetExceeded)
        );
        // Thousands of constraints over thousands of names, each permitted and not excluded
        // (as in limbo's nc-dos cases): stopped, not computed.
        let permitted: Vec<Vec<u8>> = (0..2048).map(|i| dns(&format!("t{i}.test"))).collect();
        let excluded: Vec<Vec<u8>> = (0..2048).map(|i| dns(&format!("x{i}.test"))).collect();
        let many = nc(&permitted, &excluded);
        assert_eq!(check_san(&many, &permitted[..60]), Ok(()));
        assert_eq!(
            check_san(&many, &permitted),
            Err(Error::NameConstraintBudgetExceeded)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever the bytes, parsing and checking answer without panicking.
        #[test]
        fn arbitrary_or_mutated_input_never_panics(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 0..4),
        ) {
            let _ = NameConstraints::from_der(&noise);
            let _ = check_subject_alt_name(&noise);
            let mut value = nc_der(
                &[dns("example.com"), email(".example.com"), uri("example.com"), ip(&[10, 0, 0, 0, 255, 0, 0, 0])],
                &[dir(&dn(&[utf8(&CN, "foo")])), other_name(3, "x")],
            );
            let mut san = seq(&[dns("a.example.com"), email("a@b.example.com"), ip(&[10, 1, 2, 3]), dir(&dn(&[utf8(&CN, "bar")])), uri("https://example.com/")]);
            for (at, byte) in &flips {
                let at_value = at % value.len();
                value[at_value] ^= byte;
                let at_san = at % san.len();
                san[at_san] ^= byte;
            }
            if let Ok(constraints) = NameConstraints::from_der(&value) {
                let mut budget = NAME_CONSTRAINT_BUDGET;
                let _ = constraints.check(&dn(&[utf8(&CN, "foo")]), Some(&san), &mut budget);
                let _ = constraints.check(&noise, Some(&noise), &mut budget);
            }
        }
    }
}
