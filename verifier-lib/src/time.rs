//! X.509 and CMS times as Unix seconds, parsed by hand over the received bytes.
//!
//! RFC 5280 4.1.2.5 fixes their form: UTC ("Z"), whole seconds, UTCTime `YYMMDDHHMMSSZ` for
//! 1950 to 2049 and GeneralizedTime `YYYYMMDDHHMMSSZ` otherwise. Times before 1970 are valid
//! and come out negative. RFC 3161 lets a timestamp's genTime carry a fraction of a second,
//! which [`Fraction::Truncated`] allows.

use eproxy_policy::{CivilTime, UnixTime};

use crate::der_input::{Input, WalkError, tag};

/// What a GeneralizedTime may carry after the seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fraction {
    /// Nothing: RFC 5280 times.
    Refused,
    /// `.` and digits, the last not `0` (DER), truncated to the second: RFC 3161 genTime.
    Truncated,
}

/// Reads a Time (UTCTime or GeneralizedTime, whole seconds) from `input`.
pub(crate) fn read_time(input: &mut Input<'_>) -> Result<UnixTime, WalkError> {
    let tlv = input.read()?;
    match tlv.tag {
        tag::UTC_TIME => utc_time(tlv.value),
        tag::GENERALIZED_TIME => generalized_time(tlv.value, Fraction::Refused),
        other => Err(WalkError::UnexpectedTag(tag::UTC_TIME, other)),
    }
}

/// The contents of a UTCTime, `YYMMDDHHMMSSZ`; years 50 to 99 are 1950 to 1999.
pub(crate) fn utc_time(value: &[u8]) -> Result<UnixTime, WalkError> {
    let [digits @ .., b'Z'] = value else {
        return Err(WalkError::Time);
    };
    let [year @ .., _, _, _, _, _, _, _, _, _, _] = digits else {
        return Err(WalkError::Time);
    };
    if year.len() != 2 {
        return Err(WalkError::Time);
    }
    let short_year = number(year)?;
    let year = if short_year >= 50 { 1900 } else { 2000 } + short_year;
    date_time(year, &digits[2..])
}

/// The contents of a GeneralizedTime, `YYYYMMDDHHMMSS[.fff]Z`.
pub(crate) fn generalized_time(value: &[u8], fraction: Fraction) -> Result<UnixTime, WalkError> {
    let [body @ .., b'Z'] = value else {
        return Err(WalkError::Time);
    };
    if body.len() < 14 {
        return Err(WalkError::Time);
    }
    let (whole, rest) = body.split_at(14);
    match (rest, fraction) {
        ([], _) => {}
        ([b'.', digits @ .., last], Fraction::Truncated)
            if digits.iter().all(u8::is_ascii_digit) && matches!(last, b'1'..=b'9') => {}
        _ => return Err(WalkError::Time),
    }
    date_time(number(&whole[..4])?, &whole[4..])
}

/// `MMDDHHMMSS` of `year` in Unix seconds, every field checked against the calendar.
fn date_time(year: i64, rest: &[u8]) -> Result<UnixTime, WalkError> {
    let [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map(|at| number(&rest[at..at + 2]));
    CivilTime {
        year,
        month: month?,
        day: day?,
        hour: hour?,
        minute: minute?,
        second: second?,
    }
    .to_unix()
    .ok_or(WalkError::Time)
}

/// ASCII decimal digits as a number; anything else is an error.
fn number(digits: &[u8]) -> Result<i64, WalkError> {
    digits.iter().try_fold(0, |value, &digit| {
        if digit.is_ascii_digit() {
            Ok(value * 10 + i64::from(digit - b'0'))
        } else {
            Err(WalkError::Time)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(result: Result<UnixTime, WalkError>) -> Option<i64> {
        result.ok().map(UnixTime::seconds)
    }

    #[test]
    fn utc_time_windows_1950_to_2049() {
        assert_eq!(seconds(utc_time(b"700101000000Z")), Some(0));
        assert_eq!(seconds(utc_time(b"491231235959Z")), Some(2_524_607_999));
        assert_eq!(seconds(utc_time(b"500101000000Z")), Some(-631_152_000));
        assert_eq!(seconds(utc_time(b"260401000000Z")), Some(1_775_001_600));
    }

    #[test]
    fn generalized_time_reaches_9999_and_leap_days() {
        assert_eq!(
            seconds(generalized_time(b"99991231235959Z", Fraction::Refused)),
            Some(253_402_300_799)
        );
        assert_eq!(
            seconds(generalized_time(b"20000229120000Z", Fraction::Refused)),
            Some(951_825_600)
        );
        assert_eq!(
            seconds(generalized_time(b"19500101000000Z", Fraction::Refused)),
            Some(-631_152_000)
        );
    }

    #[test]
    fn calendar_and_form_are_enforced() {
        for bad in [
            &b"19000229000000Z"[..], // 1900 is not a leap year
            b"20230229000000Z",
            b"20230431000000Z",
            b"20231301000000Z",
            b"20230001000000Z",
            b"20230100000000Z",
            b"20230101240000Z",
            b"20230101006000Z",
            b"20230101000060Z",
            b"20230101000000",
            b"202301010000Z",
            b"20230101000000+0900",
            b"2023010100000aZ",
            b"20230101000000.5Z",
        ] {
            assert_eq!(
                generalized_time(bad, Fraction::Refused),
                Err(WalkError::Time)
            );
        }
        for bad in [
            &b"7001010000Z"[..],
            b"700101000000",
            b"7001010000000Z",
            b"7a0101000000Z",
        ] {
            assert_eq!(utc_time(bad), Err(WalkError::Time));
        }
    }

    #[test]
    fn fractions_only_where_allowed_and_in_der_form() {
        let at = |text: &[u8]| seconds(generalized_time(text, Fraction::Truncated));
        assert_eq!(at(b"20260401000000.123Z"), Some(1_775_001_600));
        assert_eq!(at(b"20260401000000Z"), Some(1_775_001_600));
        assert_eq!(at(b"20260401000000.120Z"), None);
        assert_eq!(at(b"20260401000000.Z"), None);
        assert_eq!(at(b"20260401000000.1aZ"), None);
    }
}
