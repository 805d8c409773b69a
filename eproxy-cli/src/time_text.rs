//! Times as people type and read them: RFC 3339 (`2026-12-01T09:00:00+09:00`) and, for the
//! ends of a period, a bare date read in Japan Standard Time.
//!
//! The formats carry whole Unix seconds: a fraction of a second is dropped (rounded down, so a
//! time is never moved later than the one written). A bare date is a whole day: a period from `2026-12-01` to
//! `2027-11-30` starts at 00:00:00 JST on the first day and ends at 23:59:59 JST on the last,
//! the way a Japanese PoA states its period (期間).

use std::fmt;

use eproxy_policy::{CivilTime, UnixTime};

/// Japan Standard Time, UTC+9, in seconds: the zone of a bare date and of displayed times.
const JST_OFFSET: i64 = 9 * 3600;
const DAY: i64 = 86_400;

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeTextError {
    text: String,
    why: &'static str,
}

impl fmt::Display for TimeTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a time: {} (write RFC 3339, e.g. 2026-12-01T09:00:00+09:00)",
            self.text, self.why
        )
    }
}

/// Which end of a period a bare date stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateEnd {
    /// 00:00:00 JST of that day.
    Start,
    /// 23:59:59 JST of that day.
    End,
}

/// Reads an RFC 3339 date-time with an explicit offset (`Z` or `±HH:MM`), whole seconds.
pub fn parse_time(text: &str) -> Result<UnixTime, TimeTextError> {
    let error = |why| TimeTextError {
        text: text.to_owned(),
        why,
    };
    let bytes = text.as_bytes();
    if bytes.len() < 20 {
        return Err(error("too short for a date, a time and an offset"));
    }
    let (year, month, day) =
        date(&bytes[..10]).ok_or_else(|| error("the date is not YYYY-MM-DD"))?;
    if !matches!(bytes[10], b'T' | b't') {
        return Err(error("date and time are separated by T"));
    }
    let (hour, minute, second) =
        clock(&bytes[11..19]).ok_or_else(|| error("the time is not HH:MM:SS"))?;
    let mut rest = &bytes[19..];
    if let [b'.', fraction @ ..] = rest {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return Err(error("a fraction of a second has 1 to 9 digits"));
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let hours = number(&rest[..2]).filter(|h| *h <= 23);
            let minutes = number(&rest[3..]).filter(|m| *m <= 59);
            let (Some(h), Some(m)) = (hours, minutes) else {
                return Err(error("the offset is not ±HH:MM"));
            };
            let magnitude = h * 3600 + m * 60;
            if *sign == b'+' { magnitude } else { -magnitude }
        }
        _ => return Err(error("the offset is missing: end with Z or ±HH:MM")),
    };
    let civil = CivilTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    };
    let at = civil
        .to_unix()
        .ok_or_else(|| error("the date or the time is not in the calendar"))?;
    Ok(UnixTime::from_seconds(at.seconds() - offset))
}

/// Reads a period's end: an RFC 3339 date-time, or a bare `YYYY-MM-DD` taken as the whole day
/// in JST (`end` says which edge of it).
pub fn parse_period_end(text: &str, end: DateEnd) -> Result<UnixTime, TimeTextError> {
    if text.len() != 10 {
        return parse_time(text);
    }
    let error = || TimeTextError {
        text: text.to_owned(),
        why: "the date is not YYYY-MM-DD",
    };
    let (year, month, day) = date(text.as_bytes()).ok_or_else(error)?;
    let midnight_utc = CivilTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
    }
    .to_unix()
    .ok_or_else(error)?;
    let midnight_jst = midnight_utc.seconds() - JST_OFFSET;
    Ok(UnixTime::from_seconds(match end {
        DateEnd::Start => midnight_jst,
        DateEnd::End => midnight_jst + DAY - 1,
    }))
}

/// `t` in RFC 3339, UTC: `2026-12-01T00:00:00Z`.
pub fn utc(t: UnixTime) -> String {
    CivilTime::of(t).to_string()
}

/// `t` as people in Japan read it: `2026-12-01 09:00:00 JST`.
pub fn jst(t: UnixTime) -> String {
    let civil = CivilTime::of(UnixTime::from_seconds(t.seconds() + JST_OFFSET));
    format!("{} {} JST", civil.date(), civil.time_of_day())
}

/// `YYYY-MM-DD` as year, month and day (years 0001 to 9999; the calendar is checked later).
fn date(bytes: &[u8]) -> Option<(i64, i64, i64)> {
    let [y @ .., b'-', m1, m2, b'-', d1, d2] = bytes else {
        return None;
    };
    let year = number(y).filter(|_| y.len() == 4).filter(|y| *y >= 1)?;
    Some((year, number(&[*m1, *m2])?, number(&[*d1, *d2])?))
}

/// `HH:MM:SS` as hour, minute and second (the calendar is checked later; a leap second `:60`
/// is refused there: Unix time has none).
fn clock(bytes: &[u8]) -> Option<(i64, i64, i64)> {
    let [h1, h2, b':', m1, m2, b':', s1, s2] = bytes else {
        return None;
    };
    Some((
        number(&[*h1, *h2])?,
        number(&[*m1, *m2])?,
        number(&[*s1, *s2])?,
    ))
}

fn number(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> Option<i64> {
        parse_time(text).ok().map(UnixTime::seconds)
    }

    #[test]
    fn offsets_are_applied() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(seconds("2026-12-01T09:00:00+09:00"), Some(1_796_083_200));
        assert_eq!(seconds("2026-12-01T00:00:00Z"), Some(1_796_083_200));
        assert_eq!(seconds("2026-11-30T18:30:00-05:30"), Some(1_796_083_200));
        assert_eq!(seconds("1969-12-31T23:59:59z"), Some(-1));
        // Fractions are dropped: whole seconds, rounded down.
        assert_eq!(seconds("1970-01-01T00:00:03.999Z"), Some(3));
        assert_eq!(seconds("1969-12-31T23:59:59.5Z"), Some(-1));
        assert_eq!(
            seconds("2026-12-01T09:00:00.123456789+09:00"),
            Some(1_796_083_200)
        );
    }

    #[test]
    fn malformed_times_are_refused_with_their_reason() {
        for (text, why) in [
            ("2026-12-01", "too short"),
            ("2026-12-01T09:00:00", "too short"),
            ("2026-12-01 09:00:00+09:00", "separated by T"),
            ("2026-12-01T09:00:00.Z", "1 to 9 digits"),
            ("2026-12-01T09:00:00.1234567890Z", "1 to 9 digits"),
            ("2026-12-01T09:00:00+0900", "offset is missing"),
            ("2026-12-01T09:00:60Z", "not in the calendar"),
            ("2026-12-01T24:00:00Z", "not in the calendar"),
            ("2026-12-01T9:00:00+09:00", "HH:MM:SS"),
            ("2026-02-29T00:00:00Z", "not in the calendar"),
            ("2026-13-01T00:00:00Z", "not in the calendar"),
            ("0000-01-01T00:00:00Z", "YYYY-MM-DD"),
            ("２026-12-01T09:00:00Z", "YYYY-MM-DD"),
            ("2026-12-01T09:00:00+24:00", "±HH:MM"),
        ] {
            let error = parse_time(text).expect_err(text);
            assert!(error.to_string().contains(why), "{text}: {error}");
        }
    }

    #[test]
    fn a_bare_date_is_a_whole_day_in_japan() {
        let start = parse_period_end("2026-12-01", DateEnd::Start).unwrap();
        let end = parse_period_end("2026-12-01", DateEnd::End).unwrap();
        assert_eq!(start.seconds(), 1_796_050_800);
        assert_eq!(end.seconds() - start.seconds(), DAY - 1);
        assert_eq!(jst(start), "2026-12-01 00:00:00 JST");
        assert_eq!(jst(end), "2026-12-01 23:59:59 JST");
        assert_eq!(
            parse_period_end("2026-12-01T09:00:00+09:00", DateEnd::End),
            parse_time("2026-12-01T00:00:00Z")
        );
        assert!(parse_period_end("2026-02-30", DateEnd::Start).is_err());
    }

    #[test]
    fn formatting_inverts_parsing_across_the_calendar() {
        for text in [
            "0001-01-01T00:00:00Z",
            "1900-02-28T23:59:59Z",
            "1969-12-31T00:00:01Z",
            "2000-02-29T12:00:00Z",
            "2024-12-31T23:59:59Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(utc(parse_time(text).unwrap()), text);
        }
    }
}
