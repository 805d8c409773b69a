//! The proleptic Gregorian calendar in UTC, for turning Unix seconds into dates and back: one
//! implementation for every crate that reads or writes a time (X.509 and CMS times, RFC 3339 on
//! the command line, messages for people).

use std::fmt;

use crate::UnixTime;

const DAY: i64 = 86_400;

/// A date and time of day in UTC, whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    /// The year (1 to 9999 for the forms eproxy reads and writes).
    pub year: i64,
    /// 1 to 12.
    pub month: i64,
    /// 1 to the month's length.
    pub day: i64,
    /// 0 to 23.
    pub hour: i64,
    /// 0 to 59.
    pub minute: i64,
    /// 0 to 59: Unix time has no leap seconds.
    pub second: i64,
}

/// Whether `year` has a 29 February.
pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in `month` (1 to 12) of `year`.
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl CivilTime {
    /// The Unix time of this date and time, or `None` if a field is outside the calendar.
    pub fn to_unix(self) -> Option<UnixTime> {
        let valid = (1..=12).contains(&self.month)
            && (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && (0..=23).contains(&self.hour)
            && (0..=59).contains(&self.minute)
            && (0..=59).contains(&self.second);
        valid.then(|| {
            UnixTime::from_seconds(
                days_from_civil(self.year, self.month, self.day) * DAY
                    + self.hour * 3_600
                    + self.minute * 60
                    + self.second,
            )
        })
    }

    /// The date and time of `t` in UTC.
    pub fn of(t: UnixTime) -> Self {
        let (days, of_day) = (t.seconds().div_euclid(DAY), t.seconds().rem_euclid(DAY));
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: of_day / 3_600,
            minute: of_day % 3_600 / 60,
            second: of_day % 60,
        }
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `HH:MM:SS`.
    pub fn time_of_day(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }
}

/// RFC 3339 in UTC: `2026-12-01T00:00:00Z`.
impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{}Z", self.date(), self.time_of_day())
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (the "days from civil" algorithm:
/// years counted from March, so the leap day ends a year, in 400-year eras).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> CivilTime {
        CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn known_instants() {
        assert_eq!(
            civil(1970, 1, 1, 0, 0, 0).to_unix(),
            Some(UnixTime::from_seconds(0))
        );
        assert_eq!(
            civil(2026, 12, 1, 0, 0, 0).to_unix(),
            Some(UnixTime::from_seconds(1_796_083_200))
        );
        assert_eq!(
            civil(1969, 12, 31, 23, 59, 59).to_unix(),
            Some(UnixTime::from_seconds(-1))
        );
        assert_eq!(
            CivilTime::of(UnixTime::from_seconds(253_402_300_799)).to_string(),
            "9999-12-31T23:59:59Z"
        );
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        for bad in [
            civil(2026, 2, 29, 0, 0, 0),
            civil(1900, 2, 29, 0, 0, 0),
            civil(2026, 13, 1, 0, 0, 0),
            civil(2026, 4, 31, 0, 0, 0),
            civil(2026, 1, 0, 0, 0, 0),
            civil(2026, 1, 1, 24, 0, 0),
            civil(2026, 1, 1, 0, 60, 0),
            civil(2026, 1, 1, 0, 0, 60),
        ] {
            assert_eq!(bad.to_unix(), None, "{bad:?}");
        }
        assert!(civil(2000, 2, 29, 0, 0, 0).to_unix().is_some());
    }

    #[test]
    fn dates_and_days_are_inverse_across_eight_millennia() {
        for days in (-719_162..2_932_897).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        for seconds in (-62_135_596_800i64..253_402_300_799).step_by(86_399_997) {
            let t = UnixTime::from_seconds(seconds);
            assert_eq!(CivilTime::of(t).to_unix(), Some(t));
        }
    }
}
