//! Time as the formats carry it (Unix seconds), and validity periods.

use std::fmt;

/// A point in time in Unix seconds (seconds since 1970-01-01T00:00:00Z, leap seconds not
/// counted), as every eproxy format carries it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The time `seconds` after the Unix epoch.
    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since the Unix epoch.
    pub const fn seconds(self) -> i64 {
        self.0
    }
}

impl fmt::Debug for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixTime({})", self.0)
    }
}

/// RFC 3339 in UTC (`2026-12-01T00:00:00Z`): how times read in every message.
impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::CivilTime::of(*self).fmt(f)
    }
}

/// A period inclusive at both ends, like an X.509 validity: `t` is inside when
/// `not_before <= t <= not_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    not_before: UnixTime,
    not_after: UnixTime,
}

/// Why a pair of times is not a validity period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidityError {
    /// `not_before` is zero or negative: the formats require a real, post-1970 start.
    #[error("validity must start after 1970-01-01 (not_before is {not_before})")]
    NotBeforeNotPositive {
        /// The start given.
        not_before: UnixTime,
    },
    /// `not_after` is not later than `not_before`.
    #[error("validity ends ({not_after}) before it starts ({not_before})")]
    EndsBeforeStart {
        /// The start given.
        not_before: UnixTime,
        /// The end given.
        not_after: UnixTime,
    },
}

impl Validity {
    /// A validity period; `not_before` must be positive and `not_after` later.
    pub fn new(not_before: UnixTime, not_after: UnixTime) -> Result<Self, ValidityError> {
        if not_before.0 <= 0 {
            return Err(ValidityError::NotBeforeNotPositive { not_before });
        }
        if not_after <= not_before {
            return Err(ValidityError::EndsBeforeStart {
                not_before,
                not_after,
            });
        }
        Ok(Self {
            not_before,
            not_after,
        })
    }

    /// The first second of the period.
    pub fn not_before(&self) -> UnixTime {
        self.not_before
    }

    /// The last second of the period.
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }

    /// Whether `t` lies inside the period (both ends included).
    pub fn contains(&self, t: UnixTime) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Whether `other` lies entirely inside this period.
    pub fn encloses(&self, other: &Validity) -> bool {
        self.not_before <= other.not_before && other.not_after <= self.not_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> UnixTime {
        UnixTime::from_seconds(s)
    }

    #[test]
    fn both_ends_are_inside() {
        let v = Validity::new(t(100), t(200)).unwrap();
        assert!(!v.contains(t(99)));
        assert!(v.contains(t(100)));
        assert!(v.contains(t(200)));
        assert!(!v.contains(t(201)));
    }

    #[test]
    fn empty_or_reversed_periods_are_refused() {
        assert_eq!(
            Validity::new(t(100), t(100)),
            Err(ValidityError::EndsBeforeStart {
                not_before: t(100),
                not_after: t(100)
            })
        );
        assert!(Validity::new(t(100), t(99)).is_err());
        assert_eq!(
            Validity::new(t(0), t(100)),
            Err(ValidityError::NotBeforeNotPositive { not_before: t(0) })
        );
    }

    #[test]
    fn enclosing_includes_equal_ends() {
        let outer = Validity::new(t(100), t(200)).unwrap();
        assert!(outer.encloses(&outer));
        assert!(outer.encloses(&Validity::new(t(150), t(200)).unwrap()));
        assert!(!outer.encloses(&Validity::new(t(99), t(200)).unwrap()));
        assert!(!outer.encloses(&Validity::new(t(100), t(201)).unwrap()));
    }
}
