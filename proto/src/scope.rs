//! Between the `Scope` and `Matter` messages and the policy model, in both directions.

use std::collections::BTreeSet;

use eproxy_policy::{
    AmountCap, Counterparties, ExtensionCode, MAX_COUNTERPARTIES, MAX_MATTERS, Matter, Scope,
    StandardMatter,
};

use crate::FormatError;
use crate::fields::corporate_number;
use crate::v1;

/// Validates a `Matter` message found at `field`.
pub(crate) fn matter_from_proto(
    field: &'static str,
    m: &v1::Matter,
) -> Result<Matter, FormatError> {
    match &m.kind {
        None => Err(FormatError::EmptyMatter { field }),
        Some(v1::matter::Kind::Standard(number)) => StandardMatter::from_number(*number)
            .map(Matter::Standard)
            .ok_or(FormatError::UnknownStandardMatter {
                field,
                number: *number,
            }),
        Some(v1::matter::Kind::Extension(code)) => ExtensionCode::parse(code)
            .map(Matter::Extension)
            .map_err(|error| FormatError::ExtensionCode { field, error }),
    }
}

/// Collects a set-like list into a set, requiring the canonical (strictly ascending) order.
fn canonical_set<T: Ord>(
    field: &'static str,
    items: impl IntoIterator<Item = T>,
) -> Result<BTreeSet<T>, FormatError> {
    let mut set = BTreeSet::new();
    for item in items {
        if set.last().is_some_and(|last| *last >= item) {
            return Err(FormatError::ListNotCanonical { field });
        }
        set.insert(item);
    }
    Ok(set)
}

fn bounded<'a, T>(
    field: &'static str,
    list: &'a [T],
    limit: usize,
) -> Result<&'a [T], FormatError> {
    if list.len() > limit {
        return Err(FormatError::ListTooLong {
            field,
            limit,
            actual: list.len(),
        });
    }
    Ok(list)
}

/// Validates a `Scope` message into the policy model.
pub(crate) fn scope_from_proto(s: &v1::Scope) -> Result<Scope, FormatError> {
    const MATTERS: &str = "scope.matters";
    const COUNTERPARTIES: &str = "scope.listed_counterparties.corporate_numbers";
    let matters = bounded(MATTERS, &s.matters, MAX_MATTERS)?
        .iter()
        .map(|m| matter_from_proto(MATTERS, m))
        .collect::<Result<Vec<_>, _>>()?;
    let matters = canonical_set(MATTERS, matters)?;

    let amount_cap = match s.amount_cap {
        None => return Err(FormatError::MissingField("scope.amount_cap")),
        Some(v1::scope::AmountCap::AmountCapYen(yen)) => AmountCap::AtMostYen(yen),
        Some(v1::scope::AmountCap::NoAmountCap(_)) => AmountCap::NoCap,
    };

    let counterparties = match &s.counterparties {
        None => return Err(FormatError::MissingField("scope.counterparties")),
        Some(v1::scope::Counterparties::AnyCounterparty(_)) => Counterparties::Any,
        Some(v1::scope::Counterparties::ListedCounterparties(list)) => {
            let numbers = bounded(COUNTERPARTIES, &list.corporate_numbers, MAX_COUNTERPARTIES)?
                .iter()
                .map(|n| corporate_number(COUNTERPARTIES, n))
                .collect::<Result<Vec<_>, _>>()?;
            Counterparties::Listed(canonical_set(COUNTERPARTIES, numbers)?)
        }
    };

    Scope::new(
        matters,
        amount_cap,
        counterparties,
        s.max_sub_delegation_depth,
    )
    .map_err(FormatError::Scope)
}

impl From<&Matter> for v1::Matter {
    fn from(m: &Matter) -> Self {
        let kind = match m {
            Matter::Standard(s) => v1::matter::Kind::Standard(s.number()),
            Matter::Extension(code) => v1::matter::Kind::Extension(code.as_str().to_owned()),
        };
        Self { kind: Some(kind) }
    }
}

impl From<&Scope> for v1::Scope {
    /// The canonical message for a scope: matters and counterparties in canonical order.
    fn from(s: &Scope) -> Self {
        let amount_cap = match s.amount_cap() {
            AmountCap::AtMostYen(yen) => v1::scope::AmountCap::AmountCapYen(yen),
            AmountCap::NoCap => v1::scope::AmountCap::NoAmountCap(v1::NoAmountCap {}),
        };
        let counterparties = match s.counterparties() {
            Counterparties::Any => {
                v1::scope::Counterparties::AnyCounterparty(v1::AnyCounterparty {})
            }
            Counterparties::Listed(list) => {
                v1::scope::Counterparties::ListedCounterparties(v1::CorporateNumberList {
                    corporate_numbers: list.iter().map(ToString::to_string).collect(),
                })
            }
        };
        Self {
            matters: s.matters().iter().map(v1::Matter::from).collect(),
            amount_cap: Some(amount_cap),
            counterparties: Some(counterparties),
            max_sub_delegation_depth: u32::from(s.max_sub_delegation_depth()),
        }
    }
}
