//! Table tests: each rule of `covers` and `within`, and each boundary.

use std::collections::BTreeSet;

use eproxy_policy::*;

const CAP: u64 = 1_000_000;

fn t(s: i64) -> UnixTime {
    UnixTime::from_seconds(s)
}

fn cn(twelve: &str) -> CorporateNumber {
    CorporateNumber::from_registered_number(twelve).unwrap()
}

fn std_matter(m: StandardMatter) -> Matter {
    Matter::Standard(m)
}

fn ext(code: &str) -> Matter {
    Matter::Extension(ExtensionCode::parse(code).unwrap())
}

fn grant(
    matters: &[Matter],
    cap: AmountCap,
    parties: Counterparties,
    depth: u32,
    from: i64,
    to: i64,
) -> Grant {
    Grant {
        scope: Scope::new(matters.iter().cloned().collect(), cap, parties, depth).unwrap(),
        validity: Validity::new(t(from), t(to)).unwrap(),
    }
}

fn listed(numbers: &[CorporateNumber]) -> Counterparties {
    Counterparties::Listed(numbers.iter().copied().collect::<BTreeSet<_>>())
}

/// A grant for contracts and payment towards two counterparties, capped, from 1000 to 2000.
fn base() -> Grant {
    grant(
        &[
            std_matter(StandardMatter::ConcludeContracts),
            std_matter(StandardMatter::ClaimAndReceivePayment),
            ext("jp.go.geps:construction"),
        ],
        AmountCap::AtMostYen(CAP),
        listed(&[cn("000012050002"), cn("111111111111")]),
        0,
        1000,
        2000,
    )
}

fn contract(amount_yen: u64) -> Terms {
    Terms {
        matter: std_matter(StandardMatter::ConcludeContracts),
        counterparty: cn("000012050002"),
        amount_yen,
    }
}

#[test]
fn a_contract_inside_every_limit_is_covered() {
    assert_eq!(covers(&base(), &contract(500_000), t(1500)), Ok(()));
}

#[test]
fn amount_equal_to_cap_is_covered_one_yen_more_is_not() {
    assert_eq!(covers(&base(), &contract(CAP), t(1500)), Ok(()));
    assert_eq!(
        covers(&base(), &contract(CAP + 1), t(1500)),
        Err(vec![CoverageViolation::AmountOverCap {
            amount_yen: CAP + 1,
            cap_yen: CAP
        }])
    );
}

#[test]
fn no_cap_covers_the_largest_amount() {
    let mut g = base();
    g.scope = Scope::new(
        g.scope.matters().clone(),
        AmountCap::NoCap,
        Counterparties::Any,
        0,
    )
    .unwrap();
    assert_eq!(covers(&g, &contract(u64::MAX), t(1500)), Ok(()));
}

#[test]
fn validity_edges_are_inclusive() {
    let g = base();
    assert_eq!(covers(&g, &contract(1), t(1000)), Ok(()));
    assert_eq!(covers(&g, &contract(1), t(2000)), Ok(()));
    assert_eq!(
        covers(&g, &contract(1), t(999)),
        Err(vec![CoverageViolation::NotYetValid {
            at: t(999),
            not_before: t(1000)
        }])
    );
    assert_eq!(
        covers(&g, &contract(1), t(2001)),
        Err(vec![CoverageViolation::Expired {
            at: t(2001),
            not_after: t(2000)
        }])
    );
}

#[test]
fn matter_not_granted_is_named() {
    let mut terms = contract(1);
    terms.matter = std_matter(StandardMatter::BidsAndQuotes);
    assert_eq!(
        covers(&base(), &terms, t(1500)),
        Err(vec![CoverageViolation::MatterNotGranted {
            matter: std_matter(StandardMatter::BidsAndQuotes)
        }])
    );
    // Extension codes match byte for byte, never by prefix or case.
    terms.matter = ext("jp.go.geps:construction2");
    assert!(covers(&base(), &terms, t(1500)).is_err());
    terms.matter = ext("jp.go.geps:construction");
    assert_eq!(covers(&base(), &terms, t(1500)), Ok(()));
}

#[test]
fn counterparty_not_listed_is_named_and_any_allows_it() {
    let mut terms = contract(1);
    terms.counterparty = cn("222222222222");
    assert_eq!(
        covers(&base(), &terms, t(1500)),
        Err(vec![CoverageViolation::CounterpartyNotListed {
            counterparty: cn("222222222222")
        }])
    );
    let mut g = base();
    g.scope = Scope::new(
        g.scope.matters().clone(),
        g.scope.amount_cap(),
        Counterparties::Any,
        0,
    )
    .unwrap();
    assert_eq!(covers(&g, &terms, t(1500)), Ok(()));
}

#[test]
fn every_violation_is_reported_together() {
    let terms = Terms {
        matter: std_matter(StandardMatter::BidsAndQuotes),
        counterparty: cn("222222222222"),
        amount_yen: CAP + 5,
    };
    let violations = covers(&base(), &terms, t(5000)).unwrap_err();
    assert_eq!(
        violations,
        vec![
            CoverageViolation::MatterNotGranted {
                matter: std_matter(StandardMatter::BidsAndQuotes)
            },
            CoverageViolation::AmountOverCap {
                amount_yen: CAP + 5,
                cap_yen: CAP
            },
            CoverageViolation::CounterpartyNotListed {
                counterparty: cn("222222222222")
            },
            CoverageViolation::Expired {
                at: t(5000),
                not_after: t(2000)
            },
        ]
    );
}

#[test]
fn violations_read_as_sentences() {
    let v = CoverageViolation::AmountOverCap {
        amount_yen: 1_000_001,
        cap_yen: 1_000_000,
    };
    assert_eq!(
        v.to_string(),
        "the amount ¥1000001 is over the cap of ¥1000000"
    );
    let m = CoverageViolation::MatterNotGranted {
        matter: std_matter(StandardMatter::BidsAndQuotes),
    };
    assert_eq!(
        m.to_string(),
        "the matter 入札及び見積に関する件 (bids and quotes) is not granted"
    );
}

// ---- within -----------------------------------------------------------------------------

/// A parent that allows two further levels of sub-delegation.
fn parent() -> Grant {
    grant(
        &[
            std_matter(StandardMatter::ConcludeContracts),
            std_matter(StandardMatter::AppointSubAgents),
        ],
        AmountCap::AtMostYen(CAP),
        listed(&[cn("000012050002"), cn("111111111111")]),
        2,
        1000,
        2000,
    )
}

#[test]
fn an_equal_or_narrower_child_is_within() {
    let same_but_one_less_deep = grant(
        &[
            std_matter(StandardMatter::ConcludeContracts),
            std_matter(StandardMatter::AppointSubAgents),
        ],
        AmountCap::AtMostYen(CAP),
        listed(&[cn("000012050002"), cn("111111111111")]),
        1,
        1000,
        2000,
    );
    assert_eq!(within(&same_but_one_less_deep, &parent()), Ok(()));
    let narrow = grant(
        &[std_matter(StandardMatter::ConcludeContracts)],
        AmountCap::AtMostYen(10),
        listed(&[cn("111111111111")]),
        0,
        1500,
        1600,
    );
    assert_eq!(within(&narrow, &parent()), Ok(()));
}

#[test]
fn a_parent_without_sub_delegation_refuses_every_child() {
    let no_sub = base();
    let child = grant(
        &[std_matter(StandardMatter::ConcludeContracts)],
        AmountCap::AtMostYen(1),
        listed(&[cn("000012050002")]),
        0,
        1500,
        1600,
    );
    assert_eq!(
        within(&child, &no_sub),
        Err(vec![Widening::SubDelegationNotAllowed])
    );
}

#[test]
fn depth_must_shrink_by_at_least_one() {
    let child = grant(
        &[
            std_matter(StandardMatter::ConcludeContracts),
            std_matter(StandardMatter::AppointSubAgents),
        ],
        AmountCap::AtMostYen(CAP),
        listed(&[cn("000012050002")]),
        2,
        1000,
        2000,
    );
    let err = within(&child, &parent()).unwrap_err();
    assert_eq!(
        err,
        vec![Widening::DepthNotReduced {
            child_depth: 2,
            parent_depth: 2
        }]
    );
    assert_eq!(
        err[0].to_string(),
        "the sub-delegation allows depth 2, but below a parent allowing 2 it may allow at most 1"
    );
}

#[test]
fn every_widening_is_named() {
    let child = grant(
        &[
            std_matter(StandardMatter::BidsAndQuotes),
            std_matter(StandardMatter::ConcludeContracts),
            ext("jp.go.geps:construction"),
        ],
        AmountCap::NoCap,
        listed(&[cn("000012050002"), cn("222222222222")]),
        0,
        999,
        2001,
    );
    assert_eq!(
        within(&child, &parent()),
        Err(vec![
            Widening::MatterAdded {
                matter: std_matter(StandardMatter::BidsAndQuotes)
            },
            Widening::MatterAdded {
                matter: ext("jp.go.geps:construction")
            },
            Widening::AmountCapRemoved {
                parent_cap_yen: CAP
            },
            Widening::CounterpartyAdded {
                counterparty: cn("222222222222")
            },
            Widening::StartsBeforeParent {
                child: t(999),
                parent: t(1000)
            },
            Widening::EndsAfterParent {
                child: t(2001),
                parent: t(2000)
            },
        ])
    );
}

#[test]
fn cap_and_counterparty_widenings_at_the_boundary() {
    let mk = |cap, parties| {
        grant(
            &[std_matter(StandardMatter::ConcludeContracts)],
            cap,
            parties,
            0,
            1000,
            2000,
        )
    };
    let p_list = listed(&[cn("000012050002")]);
    assert_eq!(
        within(&mk(AmountCap::AtMostYen(CAP), p_list.clone()), &parent()),
        Ok(())
    );
    assert_eq!(
        within(
            &mk(AmountCap::AtMostYen(CAP + 1), p_list.clone()),
            &parent()
        ),
        Err(vec![Widening::AmountCapRaised {
            child_cap_yen: CAP + 1,
            parent_cap_yen: CAP
        }])
    );
    assert_eq!(
        within(&mk(AmountCap::AtMostYen(1), Counterparties::Any), &parent()),
        Err(vec![Widening::AnyCounterpartyUnderList])
    );
}
