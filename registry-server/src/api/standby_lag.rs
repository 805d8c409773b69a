//! How long a node answers status lookups from a standby that lacks leaves the node already
//! knows. A statement names the log size it reflects, so a lagging standby's answer is visibly
//! older; this bounds how much older. Once a standby has lacked the leaves for longer than
//! [`MAX_STANDBY_LAG`], lookups read from the primary until it catches up, while the primary
//! answers. A primary that has stopped answering (it died, or was cut off, and a standby is
//! being promoted) would only hold each lookup until its call is given up; meanwhile the
//! standby's snapshot is answered, still under the size it reflects, so that reads go on
//! through a failover. Whether the primary answers is learnt from the node's own calls to it
//! at each tick of its election (`ops/election.rs`), not from a lookup left waiting.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest a node answers from a standby that lacks leaves it knows of, while the
/// primary answers.
pub const MAX_STANDBY_LAG: Duration = Duration::from_secs(5);

/// How long since the primary last answered the node before it counts as not answering: a
/// few of the election's ticks (250 ms).
pub const PRIMARY_SILENT: Duration = Duration::from_secs(1);

/// Since when the standby has lacked leaves this node knew of, and when the primary last
/// answered.
#[derive(Debug, Default)]
pub struct StandbyLag {
    /// The log size the node knew when the standby was first seen behind it, and when.
    behind: Mutex<Option<(u64, Instant)>>,
    /// When the primary last answered one of the node's calls.
    primary_answered: Mutex<Option<Instant>>,
}

impl StandbyLag {
    /// Records that the primary answered a call of this node's at `at`.
    pub fn primary_answered(&self, at: Instant) {
        let mut answered = self
            .primary_answered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *answered = Some(answered.map_or(at, |before| before.max(at)));
    }

    /// Whether a lookup the standby may not answer ([`StandbyLag::within`] is false) should go
    /// to the primary at `now`: the primary has answered within [`PRIMARY_SILENT`]. If not, the
    /// standby's snapshot is the freshest answer there is.
    pub fn primary_answers(&self, now: Instant) -> bool {
        self.primary_answered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| now.saturating_duration_since(at) <= PRIMARY_SILENT)
    }

    /// Whether a standby's snapshot of `snapshot` leaves, read at `now` while this node knew
    /// of `known` leaves, may answer: it is not behind, or has been behind for at most
    /// [`MAX_STANDBY_LAG`]. The lag is timed from the first answer that found the standby
    /// behind, until it holds the leaves that answer lacked.
    pub fn within(&self, snapshot: u64, known: u64, now: Instant) -> bool {
        let mut behind = self
            .behind
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *behind {
            Some((missing, since)) if snapshot < missing => {
                now.saturating_duration_since(since) <= MAX_STANDBY_LAG
            }
            _ => {
                *behind = (snapshot < known).then_some((known, now));
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A standby in step answers; one that falls behind answers for the bound and then no
    /// more, until it holds what it lacked; a standby that keeps falling a little behind while
    /// catching up each time is never cut off.
    #[test]
    fn a_standby_behind_for_longer_than_the_bound_answers_no_more() {
        let lag = StandbyLag::default();
        let start = Instant::now();
        let at = |seconds: f64| start + Duration::from_secs_f64(seconds);
        assert!(lag.within(10, 10, at(0.0)));
        // Behind from 1 s: leaf 11 is missing.
        assert!(lag.within(10, 11, at(1.0)));
        assert!(lag.within(10, 12, at(5.9)));
        assert!(lag.within(10, 12, at(6.0)));
        assert!(!lag.within(10, 12, at(6.1)));
        assert!(!lag.within(10, 13, at(30.0)));
        // It caught up with what it lacked (leaf 11), though still behind the node: a new
        // lag is timed from now.
        assert!(lag.within(11, 13, at(31.0)));
        assert!(lag.within(12, 14, at(35.0)));
        assert!(!lag.within(12, 14, at(36.1)));
        // In step again.
        assert!(lag.within(14, 14, at(37.0)));
        assert!(lag.within(14, 15, at(100.0)));
        // Always a little behind, always catching up: never cut off.
        for (known, second) in (15..).zip(0..60) {
            assert!(lag.within(known, known + 1, at(101.0 + f64::from(second))));
        }
    }

    /// The primary counts as answering for a second after it last answered, and never before
    /// it has; an older answer recorded late does not make it fresher.
    #[test]
    fn a_primary_that_stopped_answering_is_passed_over_within_a_second() {
        let lag = StandbyLag::default();
        let start = Instant::now();
        let at = |seconds: f64| start + Duration::from_secs_f64(seconds);
        assert!(!lag.primary_answers(at(0.0)));
        lag.primary_answered(at(1.0));
        assert!(lag.primary_answers(at(1.5)));
        assert!(lag.primary_answers(at(2.0)));
        assert!(!lag.primary_answers(at(2.1)));
        lag.primary_answered(at(10.0));
        lag.primary_answered(at(9.0));
        assert!(lag.primary_answers(at(10.9)));
        assert!(!lag.primary_answers(at(11.1)));
    }
}
