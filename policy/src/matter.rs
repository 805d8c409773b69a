//! Matters delegated (委任事項): the standard list and namespaced extension codes.

use std::fmt;

/// A matter the delegatee may act in.
///
/// The derived order (standard matters by number, then extension codes byte-wise) is the
/// canonical order in which the formats list matters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Matter {
    /// A matter every verifier understands.
    Standard(StandardMatter),
    /// A namespaced extension code.
    Extension(ExtensionCode),
}

/// The matters known to every verifier, numbered as in `scope.proto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StandardMatter {
    /// 入札及び見積に関する件: submitting bids and quotes.
    BidsAndQuotes = 1,
    /// 契約締結に関する件: concluding contracts.
    ConcludeContracts = 2,
    /// 代金の請求及び受領に関する件: claiming and receiving payment.
    ClaimAndReceivePayment = 3,
    /// 復代理人選任に関する件: appointing sub-agents.
    AppointSubAgents = 4,
}

impl StandardMatter {
    /// Every standard matter, in canonical order.
    pub const ALL: [StandardMatter; 4] = [
        Self::BidsAndQuotes,
        Self::ConcludeContracts,
        Self::ClaimAndReceivePayment,
        Self::AppointSubAgents,
    ];

    /// The matter with this number in `scope.proto`, if it is one this crate knows.
    pub fn from_number(number: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.number() == number)
    }

    /// The number `scope.proto` gives this matter.
    pub fn number(self) -> i32 {
        self as i32
    }

    /// The Japanese name used by e-procurement systems.
    pub fn japanese(self) -> &'static str {
        match self {
            Self::BidsAndQuotes => "入札及び見積に関する件",
            Self::ConcludeContracts => "契約締結に関する件",
            Self::ClaimAndReceivePayment => "代金の請求及び受領に関する件",
            Self::AppointSubAgents => "復代理人選任に関する件",
        }
    }

    /// The English name.
    pub fn english(self) -> &'static str {
        match self {
            Self::BidsAndQuotes => "bids and quotes",
            Self::ConcludeContracts => "concluding contracts",
            Self::ClaimAndReceivePayment => "claiming and receiving payment",
            Self::AppointSubAgents => "appointing sub-agents",
        }
    }
}

/// A namespaced extension matter code, `<namespace>:<code>`, e.g. `jp.go.geps:construction-bids`.
///
/// Grammar (from `scope.proto`): the namespace is two or more dot-separated labels of 1 to 63
/// lowercase ASCII letters, digits or `-`; the code is 1 to 64 lowercase ASCII letters, digits,
/// `-`, `_` or `.`; at most 128 bytes in all. Two codes are equal exactly when their bytes are.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtensionCode(String);

/// Why a string is not an extension matter code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionCodeError {
    /// Longer than [`ExtensionCode::MAX_LEN`] bytes.
    #[error("an extension matter code is at most 128 bytes, this has {0}")]
    TooLong(usize),
    /// No `:` separates namespace and code.
    #[error("an extension matter code is `<namespace>:<code>`, with a colon")]
    MissingColon,
    /// The namespace is not two or more dot-separated labels of lowercase letters, digits and `-`.
    #[error(
        "the namespace of an extension matter code must be a lowercase reverse-DNS name such as `jp.go.geps`"
    )]
    BadNamespace,
    /// The code part is empty, longer than 64 bytes, or has a character outside `a-z0-9-_.`.
    #[error("the code of an extension matter code has 1 to 64 of the characters a-z 0-9 - _ .")]
    BadCode,
}

impl ExtensionCode {
    /// The longest extension code, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Parses and checks an extension code.
    pub fn parse(text: &str) -> Result<Self, ExtensionCodeError> {
        if text.len() > Self::MAX_LEN {
            return Err(ExtensionCodeError::TooLong(text.len()));
        }
        let (namespace, code) = text
            .split_once(':')
            .ok_or(ExtensionCodeError::MissingColon)?;
        let labels: Vec<&str> = namespace.split('.').collect();
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(ExtensionCodeError::BadNamespace);
        }
        let code_ok = (1..=64).contains(&code.len())
            && code.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            });
        if !code_ok {
            return Err(ExtensionCodeError::BadCode);
        }
        Ok(Self(text.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ExtensionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExtensionCode({})", self.0)
    }
}

impl fmt::Display for Matter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Standard(m) => write!(f, "{} ({})", m.japanese(), m.english()),
            Self::Extension(code) => write!(f, "extension matter {}", code.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_proto_enum() {
        let numbers: Vec<i32> = StandardMatter::ALL.iter().map(|m| m.number()).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(StandardMatter::from_number(0), None);
        assert_eq!(StandardMatter::from_number(5), None);
        assert_eq!(
            StandardMatter::from_number(4),
            Some(StandardMatter::AppointSubAgents)
        );
    }

    #[test]
    fn canonical_order_puts_standard_first_then_bytes() {
        let a = Matter::Extension(ExtensionCode::parse("jp.go.geps:a").unwrap());
        let b = Matter::Extension(ExtensionCode::parse("jp.go.geps:b").unwrap());
        let bids = Matter::Standard(StandardMatter::BidsAndQuotes);
        let sub = Matter::Standard(StandardMatter::AppointSubAgents);
        let mut v = vec![b.clone(), sub.clone(), a.clone(), bids.clone()];
        v.sort();
        assert_eq!(v, [bids, sub, a, b]);
    }

    #[test]
    fn well_formed_codes_are_accepted() {
        for ok in [
            "jp.go.geps:construction-bids",
            "com.example:x",
            "a.b:c_d.e-f",
        ] {
            assert_eq!(ExtensionCode::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn malformed_codes_name_their_fault() {
        use ExtensionCodeError::*;
        let cases = [
            ("jpgeps-bids", MissingColon),
            ("geps:bids", BadNamespace),
            ("JP.go:bids", BadNamespace),
            ("jp..go:bids", BadNamespace),
            (".jp.go:bids", BadNamespace),
            ("jp.go:", BadCode),
            ("jp.go:Bids", BadCode),
            ("jp.go:bids:x", BadCode),
            ("jp.go:入札", BadCode),
        ];
        for (text, want) in cases {
            assert_eq!(ExtensionCode::parse(text), Err(want), "{text}");
        }
        let long = format!("jp.go:{}", "a".repeat(123));
        assert_eq!(ExtensionCode::parse(&long), Err(TooLong(129)));
        let code65 = format!("jp.go:{}", "a".repeat(65));
        assert_eq!(ExtensionCode::parse(&code65), Err(BadCode));
        let label64 = format!("{}.jp:a", "a".repeat(64));
        assert_eq!(ExtensionCode::parse(&label64), Err(BadNamespace));
    }
}
