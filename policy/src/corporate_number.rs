//! Corporate numbers (法人番号): 13 digits, the first a check digit over the other twelve.

use std::fmt;

/// A 13-digit corporate number (法人番号) whose check digit has been verified.
///
/// The last twelve digits are the 会社法人等番号 that the Ministry of Justice assigns and that a
/// commercial-registration certificate carries as `registeredNumber`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CorporateNumber([u8; 13]);

/// Why a string is not a corporate number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorporateNumberError {
    /// The input does not have exactly 13 characters (for a corporate number) or 12 (for a
    /// registered number).
    #[error("a corporate number has {expected} digits, this has {found} characters")]
    WrongLength {
        /// The number of digits required.
        expected: usize,
        /// The number of characters (bytes) given.
        found: usize,
    },
    /// A character other than the ASCII digits 0-9 was found.
    #[error("a corporate number has only the digits 0-9")]
    NotDigits,
    /// The first digit is not the check digit computed from the other twelve.
    #[error("check digit {found} is wrong: the other twelve digits give {expected}")]
    CheckDigitMismatch {
        /// The check digit computed from the twelve digits.
        expected: u8,
        /// The first digit as given.
        found: u8,
    },
}

impl CorporateNumber {
    /// Parses a 13-digit corporate number and verifies its check digit.
    pub fn parse(text: &str) -> Result<Self, CorporateNumberError> {
        let digits = ascii_digits::<13>(text)?;
        let expected = check_digit(digits[1..].try_into().expect("12 digits"));
        if digits[0] != expected {
            return Err(CorporateNumberError::CheckDigitMismatch {
                expected,
                found: digits[0],
            });
        }
        Ok(Self(digits))
    }

    /// Builds the corporate number of a 12-digit registered number (会社法人等番号), as found in a
    /// commercial-registration certificate, by prefixing its check digit.
    pub fn from_registered_number(text: &str) -> Result<Self, CorporateNumberError> {
        let registered = ascii_digits::<12>(text)?;
        let mut digits = [0u8; 13];
        digits[0] = check_digit(&registered);
        digits[1..].copy_from_slice(&registered);
        Ok(Self(digits))
    }

    /// The twelve digits after the check digit: the registered number (会社法人等番号).
    pub fn registered_number(&self) -> String {
        self.0[1..].iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// The check digit of twelve digits: 9 − (Σ Pn·Qn mod 9), where Pn is the n-th digit counted
/// from the right and Qn is 1 for odd n, 2 for even n.
fn check_digit(twelve: &[u8; 12]) -> u8 {
    let sum: u32 = twelve
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    9 - (sum % 9) as u8
}

fn ascii_digits<const N: usize>(text: &str) -> Result<[u8; N], CorporateNumberError> {
    let bytes = text.as_bytes();
    if bytes.len() != N {
        return Err(CorporateNumberError::WrongLength {
            expected: N,
            found: bytes.len(),
        });
    }
    let mut digits = [0u8; N];
    for (digit, &byte) in digits.iter_mut().zip(bytes) {
        if !byte.is_ascii_digit() {
            return Err(CorporateNumberError::NotDigits);
        }
        *digit = byte - b'0';
    }
    Ok(digits)
}

impl fmt::Display for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.0 {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CorporateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorporateNumber({self})")
    }
}

impl std::str::FromStr for CorporateNumber {
    type Err = CorporateNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_tax_agency_number_is_valid() {
        // The worked example of the official rule: digit sum 11, 11 mod 9 = 2, 9 - 2 = 7.
        let n = CorporateNumber::parse("7000012050002").unwrap();
        assert_eq!(n.to_string(), "7000012050002");
        assert_eq!(n.registered_number(), "000012050002");
    }

    #[test]
    fn wrong_check_digit_names_the_right_one() {
        assert_eq!(
            CorporateNumber::parse("6000012050002"),
            Err(CorporateNumberError::CheckDigitMismatch {
                expected: 7,
                found: 6
            })
        );
    }

    #[test]
    fn sum_divisible_by_nine_gives_check_digit_nine() {
        // Digits from the right: 9 (weight 1) → sum 9, 9 mod 9 = 0, check digit 9.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]), 9);
        assert!(CorporateNumber::parse("9000000000009").is_ok());
        // The check digit is never 0, so a leading 0 is always wrong.
        assert!(matches!(
            CorporateNumber::parse("0000000000009"),
            Err(CorporateNumberError::CheckDigitMismatch {
                expected: 9,
                found: 0
            })
        ));
    }

    #[test]
    fn weights_alternate_from_the_right() {
        // A 1 in the rightmost position weighs 1, in the next one 2.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 8);
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), 7);
        assert_eq!(check_digit(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 7);
    }

    #[test]
    fn malformed_inputs_are_named() {
        assert_eq!(
            CorporateNumber::parse("700001205000"),
            Err(CorporateNumberError::WrongLength {
                expected: 13,
                found: 12
            })
        );
        assert_eq!(
            CorporateNumber::parse("70000120500021"),
            Err(CorporateNumberError::WrongLength {
                expected: 13,
                found: 14
            })
        );
        assert_eq!(
            CorporateNumber::parse("7000012O50002"),
            Err(CorporateNumberError::NotDigits)
        );
        // Full-width digits are not ASCII digits (and are longer in bytes).
        assert!(CorporateNumber::parse("７０００012050002").is_err());
        assert_eq!(
            CorporateNumber::parse("+700001205000"),
            Err(CorporateNumberError::NotDigits)
        );
        assert_eq!(
            CorporateNumber::parse(""),
            Err(CorporateNumberError::WrongLength {
                expected: 13,
                found: 0
            })
        );
    }

    #[test]
    fn registered_number_gains_its_check_digit() {
        let n = CorporateNumber::from_registered_number("012345678901").unwrap();
        assert_eq!(n.registered_number(), "012345678901");
        assert_eq!(CorporateNumber::parse(&n.to_string()), Ok(n));
        assert!(CorporateNumber::from_registered_number("01234567890").is_err());
    }

    proptest! {
        #[test]
        fn computed_check_digit_always_validates(twelve in "[0-9]{12}") {
            let n = CorporateNumber::from_registered_number(&twelve).unwrap();
            prop_assert_eq!(CorporateNumber::parse(&n.to_string()), Ok(n));
        }

        /// The mod-9 rule detects every single-digit change except 0 <-> 9, whose difference
        /// (9 or 18 after weighting) vanishes mod 9.
        #[test]
        fn single_digit_changes_are_detected(
            twelve in "[0-9]{12}",
            position in 1usize..13,
            replacement in 0u8..10,
        ) {
            let valid = CorporateNumber::from_registered_number(&twelve).unwrap().to_string();
            let mut bytes = valid.clone().into_bytes();
            let original = bytes[position] - b'0';
            prop_assume!(original != replacement);
            bytes[position] = b'0' + replacement;
            let changed = String::from_utf8(bytes).unwrap();
            let undetectable = original.abs_diff(replacement) == 9;
            prop_assert_eq!(CorporateNumber::parse(&changed).is_ok(), undetectable);
        }
    }
}
