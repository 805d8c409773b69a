//! Property tests of the two rules over a small universe of matters and counterparties, so
//! that random grants and contracts often meet (and often miss).

use std::collections::BTreeSet;

use eproxy_policy::*;
use proptest::prelude::*;
use proptest::sample::subsequence;

/// Matters a grant may list: every standard matter and two extension codes.
fn matter_universe() -> Vec<Matter> {
    let mut all: Vec<Matter> = StandardMatter::ALL.map(Matter::Standard).to_vec();
    for code in ["jp.go.geps:construction", "jp.go.geps:goods"] {
        all.push(Matter::Extension(ExtensionCode::parse(code).unwrap()));
    }
    all
}

/// Counterparties a grant may list.
fn party_universe() -> Vec<CorporateNumber> {
    [
        "000012050002",
        "111111111111",
        "222222222222",
        "333333333333",
    ]
    .map(|n| CorporateNumber::from_registered_number(n).unwrap())
    .to_vec()
}

/// A counterparty no grant ever lists: only "any counterparty" covers it.
fn outsider() -> CorporateNumber {
    CorporateNumber::from_registered_number("999999999999").unwrap()
}

fn sub_agents() -> Matter {
    Matter::Standard(StandardMatter::AppointSubAgents)
}

/// A scope from its parts, with the depth made consistent with the sub-agent matter.
fn scope(matters: BTreeSet<Matter>, cap: AmountCap, parties: Counterparties, depth: u32) -> Scope {
    let depth = if matters.contains(&sub_agents()) {
        depth.max(1)
    } else {
        0
    };
    Scope::new(matters, cap, parties, depth).unwrap()
}

fn cap_strategy() -> impl Strategy<Value = AmountCap> {
    prop_oneof![
        (0u64..1000).prop_map(AmountCap::AtMostYen),
        Just(AmountCap::NoCap)
    ]
}

fn parties_strategy() -> impl Strategy<Value = Counterparties> {
    let universe = party_universe();
    let n = universe.len();
    prop_oneof![
        Just(Counterparties::Any),
        subsequence(universe, 1..=n).prop_map(|v| Counterparties::Listed(v.into_iter().collect())),
    ]
}

prop_compose! {
    fn grant_strategy()(
        matters in subsequence(matter_universe(), 1..=6),
        cap in cap_strategy(),
        parties in parties_strategy(),
        depth in 0u32..4,
        from in 1i64..100,
        length in 1i64..100,
    ) -> Grant {
        Grant {
            scope: scope(matters.into_iter().collect(), cap, parties, depth),
            validity: Validity::new(UnixTime::from_seconds(from), UnixTime::from_seconds(from + length)).unwrap(),
        }
    }
}

/// A grant no wider than `g` in any dimension (depth aside): a subset of its matters, a cap at
/// most its cap, a subset of its counterparties, a period inside its period.
fn narrowing_of(g: Grant) -> impl Strategy<Value = Grant> {
    let matters: Vec<Matter> = g.scope.matters().iter().cloned().collect();
    let n = matters.len();
    let cap = match g.scope.amount_cap() {
        AmountCap::AtMostYen(c) => (0..=c).prop_map(AmountCap::AtMostYen).boxed(),
        AmountCap::NoCap => cap_strategy().boxed(),
    };
    let parties = match g.scope.counterparties().clone() {
        Counterparties::Any => parties_strategy().boxed(),
        Counterparties::Listed(list) => {
            let v: Vec<CorporateNumber> = list.into_iter().collect();
            let k = v.len();
            subsequence(v, 1..=k)
                .prop_map(|v| Counterparties::Listed(v.into_iter().collect()))
                .boxed()
        }
    };
    let (nb, na) = (
        g.validity.not_before().seconds(),
        g.validity.not_after().seconds(),
    );
    let depth = u32::from(g.scope.max_sub_delegation_depth());
    (subsequence(matters, 1..=n), cap, parties, 0..=depth, nb..na)
        .prop_flat_map(move |(m, cap, parties, depth, start)| {
            (Just((m, cap, parties, depth, start)), (start + 1)..=na)
        })
        .prop_map(|((m, cap, parties, depth, start), end)| Grant {
            scope: scope(m.into_iter().collect(), cap, parties, depth),
            validity: Validity::new(UnixTime::from_seconds(start), UnixTime::from_seconds(end))
                .unwrap(),
        })
}

/// A grant next to `g`: each dimension kept, narrowed, or widened by the smallest step (one
/// more matter, one yen more, one more counterparty, one second earlier or later), so that the
/// boundaries of `within` are hit often.
fn mutation_of(g: Grant) -> impl Strategy<Value = Grant> {
    let matters = (any::<[bool; 6]>(), proptest::option::of(0..6usize));
    let cap = (0u8..4, 0u64..1000);
    let parties = (0u8..4, 0..party_universe().len());
    let validity = (-1i64..=2, -2i64..=1);
    (matters, cap, parties, validity, 0u32..5).prop_map(
        move |((drop, add), (cap_choice, r), (party_choice, pi), (dnb, dna), depth)| {
            let universe = matter_universe();
            let mut m: BTreeSet<Matter> = g
                .scope
                .matters()
                .iter()
                .filter(|x| !drop[universe.iter().position(|u| u == *x).unwrap()])
                .cloned()
                .collect();
            if let Some(i) = add {
                m.insert(universe[i].clone());
            }
            if m.is_empty() {
                m.insert(g.scope.matters().first().unwrap().clone());
            }
            let cap = match (g.scope.amount_cap(), cap_choice) {
                (AmountCap::AtMostYen(c), 0) => AmountCap::AtMostYen(c),
                (AmountCap::AtMostYen(c), 1) => AmountCap::AtMostYen(r.min(c)),
                (AmountCap::AtMostYen(c), 2) => AmountCap::AtMostYen(c + 1),
                (AmountCap::NoCap, 3) => AmountCap::AtMostYen(r),
                (AmountCap::NoCap, _) | (_, _) => AmountCap::NoCap,
            };
            let extra = party_universe()[pi];
            let parties = match (g.scope.counterparties().clone(), party_choice) {
                (Counterparties::Listed(l), 0) => Counterparties::Listed(l),
                (Counterparties::Listed(l), 1) => {
                    Counterparties::Listed(l.into_iter().take(1).collect())
                }
                (Counterparties::Listed(mut l), 2) => {
                    l.insert(extra);
                    Counterparties::Listed(l)
                }
                (Counterparties::Any, 3) => Counterparties::Listed(BTreeSet::from([extra])),
                (Counterparties::Any, _) | (_, _) => Counterparties::Any,
            };
            let nb = g.validity.not_before().seconds() + dnb;
            let na = g.validity.not_after().seconds() + dna;
            let validity = Validity::new(UnixTime::from_seconds(nb), UnixTime::from_seconds(na))
                .unwrap_or(g.validity);
            Grant {
                scope: scope(m, cap, parties, depth),
                validity,
            }
        },
    )
}

/// A sub-delegation candidate for `parent`: a narrowing, a near neighbour, or anything.
fn child_of(parent: Grant) -> impl Strategy<Value = Grant> {
    prop_oneof![
        narrowing_of(parent.clone()),
        mutation_of(parent),
        grant_strategy()
    ]
}

/// Amounts where the answer can change for either grant.
fn critical_amounts(grants: &[&Grant]) -> Vec<u64> {
    let mut v = vec![0, u64::MAX];
    for g in grants {
        if let AmountCap::AtMostYen(c) = g.scope.amount_cap() {
            v.extend([c, c + 1]);
        }
    }
    v
}

/// Times where the answer can change for either grant.
fn critical_times(grants: &[&Grant]) -> Vec<UnixTime> {
    let mut v = Vec::new();
    for g in grants {
        for edge in [g.validity.not_before(), g.validity.not_after()] {
            let s = edge.seconds();
            v.extend([s - 1, s, s + 1].map(UnixTime::from_seconds));
        }
    }
    v
}

/// Every contract and time that can tell the two grants apart.
fn distinguishing_cases(grants: &[&Grant]) -> Vec<(Terms, UnixTime)> {
    let mut parties = party_universe();
    parties.push(outsider());
    let mut cases = Vec::new();
    for matter in matter_universe() {
        for &counterparty in &parties {
            for amount_yen in critical_amounts(grants) {
                for at in critical_times(grants) {
                    let terms = Terms {
                        matter: matter.clone(),
                        counterparty,
                        amount_yen,
                    };
                    cases.push((terms, at));
                }
            }
        }
    }
    cases
}

/// The kind of a violation, ignoring the values it carries.
fn kinds(result: Result<(), Vec<CoverageViolation>>) -> BTreeSet<String> {
    result
        .err()
        .unwrap_or_default()
        .iter()
        .map(|v| {
            format!("{v:?}")
                .split([' ', '{'])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The property the registry and verifier rely on: whatever a sub-delegation within its
    /// parent covers, the parent covers too.
    #[test]
    fn within_and_child_covers_implies_parent_covers(
        (parent, child) in grant_strategy().prop_flat_map(|p| (Just(p.clone()), child_of(p)))
    ) {
        if within(&child, &parent).is_ok() {
            for (terms, at) in distinguishing_cases(&[&child, &parent]) {
                if covers(&child, &terms, at).is_ok() {
                    prop_assert!(covers(&parent, &terms, at).is_ok(), "{terms:?} at {at:?}");
                }
            }
        }
    }

    /// `within` is exactly semantic inclusion plus the depth rule: if every contract the child
    /// covers is covered by the parent, and the depth shrinks, the child is within; otherwise a
    /// widening is named.
    #[test]
    fn within_is_semantic_inclusion_plus_depth(
        (parent, child) in grant_strategy().prop_flat_map(|p| (Just(p.clone()), child_of(p)))
    ) {
        let included = distinguishing_cases(&[&child, &parent])
            .iter()
            .all(|(terms, at)| covers(&child, terms, *at).is_err() || covers(&parent, terms, *at).is_ok());
        let p_depth = parent.scope.max_sub_delegation_depth();
        let depth_ok = p_depth > 0 && child.scope.max_sub_delegation_depth() < p_depth;
        let verdict = within(&child, &parent);
        prop_assert_eq!(verdict.is_ok(), included && depth_ok, "{:?}", verdict);
        if let Err(widenings) = verdict {
            prop_assert!(!widenings.is_empty());
        }
    }

    /// Narrowing a grant never makes it cover more: every reason the original refuses a
    /// contract is also a reason the narrowed one refuses it.
    #[test]
    fn narrowing_never_covers_more(
        (original, narrowed) in grant_strategy().prop_flat_map(|g| (Just(g.clone()), narrowing_of(g)))
    ) {
        for (terms, at) in distinguishing_cases(&[&original, &narrowed]) {
            let wide = kinds(covers(&original, &terms, at));
            let narrow = kinds(covers(&narrowed, &terms, at));
            prop_assert!(wide.is_subset(&narrow), "{terms:?} at {at:?}: {wide:?} vs {narrow:?}");
        }
    }

    /// A grant is never within itself (the depth must shrink), but the same grant with one
    /// level less of sub-delegation is.
    #[test]
    fn the_same_grant_one_level_shallower_is_within(g in grant_strategy(), depth in 2u32..=8) {
        let with_depth = |d: u32| {
            let mut matters = g.scope.matters().clone();
            matters.insert(sub_agents());
            Grant {
                scope: Scope::new(matters, g.scope.amount_cap(), g.scope.counterparties().clone(), d)
                    .unwrap(),
                validity: g.validity,
            }
        };
        let parent = with_depth(depth);
        prop_assert_eq!(within(&with_depth(depth - 1), &parent), Ok(()));
        prop_assert_eq!(
            within(&parent, &parent),
            Err(vec![Widening::DepthNotReduced { child_depth: depth as u8, parent_depth: depth as u8 }])
        );
    }

    /// `covers` reports each failed dimension once, and nothing when all pass.
    #[test]
    fn covers_reports_each_failed_dimension(
        g in grant_strategy(),
        matter in subsequence(matter_universe(), 1).prop_map(|v| v[0].clone()),
        counterparty in subsequence(party_universe(), 1).prop_map(|v| v[0]),
        amount_yen in 0u64..1200,
        at in 0i64..250,
    ) {
        let at = UnixTime::from_seconds(at);
        let terms = Terms { matter: matter.clone(), counterparty, amount_yen };
        let expected = [
            !g.scope.matters().contains(&matter),
            !g.scope.amount_cap().allows(amount_yen),
            !g.scope.counterparties().allows(&counterparty),
            at < g.validity.not_before(),
            at > g.validity.not_after(),
        ].iter().filter(|failed| **failed).count();
        let found = covers(&g, &terms, at).err().map_or(0, |v| v.len());
        prop_assert_eq!(found, expected);
    }
}
