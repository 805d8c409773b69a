//! The commercial-registration certificate profile (商業登記電子証明書): the Ministry of
//! Justice's three critical extensions, which a verifier must understand before it may accept a
//! representative's certificate at all (RFC 5280 rejects unknown critical extensions).

use der::Sequence;
use der::asn1::{AnyRef, ObjectIdentifier, PrintableStringRef, Utf8StringRef};

/// The Ministry's policies extension (1.2.392.100300.1.1.1): critical, shaped like
/// certificatePolicies (policy [`MINISTRY_POLICY`] with a user notice naming 法務省).
pub const POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.100300.1.1.1");

/// The registrar extension (1.2.392.100300.1.1.2): critical, a bare UTF8String naming the
/// registrar who certified the registration, e.g. 東京法務局登記官.
pub const REGISTRAR: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.100300.1.1.2");

/// The registeredCorporationInfo extension (1.2.392.100300.1.1.3): critical, a
/// [`RegisteredCorporationInfo`].
pub const REGISTERED_CORPORATION_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100300.1.1.3");

/// The policy every commercial-registration certificate carries inside [`POLICIES`], a
/// representative's and a manager's (支配人) alike: it says the Ministry issued it, not to whom
/// (the directorTitle does; see [`crate::authority`]).
pub const MINISTRY_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.100300.1.3.4");

/// registeredCorporationInfo: who the company is and who represents it, as registered.
///
/// ```text
/// RegisteredCorporationInfo ::= SEQUENCE {
///     corporateName       [0] EXPLICIT UTF8String,
///     registeredNumber    [1] EXPLICIT PrintableString,  -- 12-digit 会社法人等番号
///     corporateAddress    [2] EXPLICIT UTF8String,
///     directorName        [3] EXPLICIT UTF8String,
///     directorTitle       [4] EXPLICIT UTF8String,
///     unassigned          [5] EXPLICIT ANY OPTIONAL,     -- absent in every known sample
///     registryOffice      [6] EXPLICIT UTF8String }
/// ```
#[derive(Clone, Copy, Debug, Eq, PartialEq, Sequence)]
pub struct RegisteredCorporationInfo<'a> {
    /// The company's registered name (商号), e.g. サンプル株式会社.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub corporate_name: Utf8StringRef<'a>,
    /// The 12-digit company registration number (会社法人等番号): the corporate number without
    /// its leading check digit.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub registered_number: PrintableStringRef<'a>,
    /// The head office's registered address.
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub corporate_address: Utf8StringRef<'a>,
    /// The representative's name as registered.
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    pub director_name: Utf8StringRef<'a>,
    /// The representative's title, e.g. 代表取締役.
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub director_title: Utf8StringRef<'a>,
    /// Tag [5]: no public sample uses it; carried so that a certificate using it still parses,
    /// never interpreted.
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", optional = "true")]
    pub unassigned: Option<AnyRef<'a>>,
    /// The registry office (登記所) that keeps the registration.
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT")]
    pub registry_office: Utf8StringRef<'a>,
}

/// A representative's company and registration, as their commercial-registration certificate
/// states them (owned, for display and for binding checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredCorporation {
    /// 商号.
    pub corporate_name: String,
    /// The 12-digit 会社法人等番号.
    pub registered_number: String,
    /// The head office's registered address.
    pub corporate_address: String,
    /// The representative's registered name.
    pub director_name: String,
    /// The representative's title.
    pub director_title: String,
    /// The registry office.
    pub registry_office: String,
}

impl RegisteredCorporation {
    /// The registeredCorporationInfo in `certificate`, or `None` if it carries none (it is not a
    /// commercial-registration certificate). The extension's shape was checked when the
    /// certificate was parsed.
    pub fn of(certificate: &crate::certificate::Certificate) -> Option<Self> {
        let extension = certificate.extension(REGISTERED_CORPORATION_INFO)?;
        let info =
            <RegisteredCorporationInfo<'_> as der::Decode>::from_der(extension.value).ok()?;
        Some(Self {
            corporate_name: info.corporate_name.as_str().to_owned(),
            registered_number: info.registered_number.as_str().to_owned(),
            corporate_address: info.corporate_address.as_str().to_owned(),
            director_name: info.director_name.as_str().to_owned(),
            director_title: info.director_title.as_str().to_owned(),
            registry_office: info.registry_office.as_str().to_owned(),
        })
    }
}
