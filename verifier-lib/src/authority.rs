//! Who holds authority over a company: the one decision behind every act on a company's powers
//! of attorney (granting a root PoA, replacing or revoking one, listing them, receiving their
//! evidence) and behind a counterparty accepting a root PoA.
//!
//! A signer holds authority over company N at time T only by one of:
//! - **a commercial-registration certificate** (商業登記電子証明書) whose path to a Ministry of
//!   Justice root verified at T, carrying the Ministry's policy, whose registeredNumber is N's
//!   twelve digits and whose directorTitle (資格) is a representative's. The Ministry issues
//!   these certificates to managers (支配人) as well, under the same policy: its guide for
//!   requesting one says a manager's title is 「支配人」 and the head office is replaced by the
//!   manager's office, marked 「(支配人を置いた営業所)」. So the title, compared with a list of
//!   representatives' titles, is what tells a representative from a manager;
//! - **a JPKI signing certificate with an enrollment in force at T** that binds that very
//!   certificate (its SHA-256) to N, logged by the registry (`eproxy/v1/enrollment.proto`):
//!   linked by a representative holding a certificate of the first kind (both keys signing),
//!   or attested by the operator after an out-of-band check of the commercial register. The
//!   caller finds the enrollment (the registry in its store, a counterparty in the evidence
//!   bundle) through [`Enrollments`]; this module checks that it binds this signer to this
//!   company at T.
//!
//! Never a name: a JPKI certificate says who a person is, not whom they represent, and names
//! collide.

use std::fmt;

use der::Decode;
use eproxy_policy::{CorporateNumber, UnixTime};
use x509_cert::ext::pkix::CertificatePolicies;

use crate::certificate::Certificate;
use crate::commercial_registration::{MINISTRY_POLICY, POLICIES, RegisteredCorporation};
use crate::trust_anchor::AnchorRole;

/// The titles (資格) a commercial-registration certificate of a company's representative
/// carries by default, as the commercial register records them: a stock company's
/// representative director or representative executive officer, a membership company's
/// representative member, a general association's or foundation's representative director, a
/// liquidator who represents a company in liquidation, and a foreign company's representative
/// in Japan. A company that has no representative director is represented by each of its
/// directors (会社法 349条), registered as 取締役; add that title where such companies are
/// served. Never 支配人 (a manager), whose certificate binds only the business of one office.
pub const DEFAULT_REPRESENTATIVE_TITLES: &[&str] = &[
    "代表取締役",
    "代表執行役",
    "代表社員",
    "代表理事",
    "代表清算人",
    "日本における代表者",
];

/// The titles that make a commercial-registration certificate a representative's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepresentativeTitles(Vec<String>);

impl Default for RepresentativeTitles {
    fn default() -> Self {
        Self(
            DEFAULT_REPRESENTATIVE_TITLES
                .iter()
                .map(|&title| title.to_owned())
                .collect(),
        )
    }
}

impl RepresentativeTitles {
    /// Exactly `titles` (compared whole, as registered). 支配人 is refused: a list that made
    /// a manager a representative would grant what the law does not.
    pub fn new(titles: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let titles: Vec<String> = titles.into_iter().collect();
        if let Some(manager) = titles.iter().find(|t| t.contains(MANAGER_TITLE)) {
            return Err(format!(
                "{manager:?} is a manager's title (支配人), never a representative's"
            ));
        }
        if titles.iter().any(String::is_empty) {
            return Err("an empty title matches no certificate".into());
        }
        Ok(Self(titles))
    }

    /// Whether `title` is one of them.
    pub fn contains(&self, title: &str) -> bool {
        self.0.iter().any(|t| t == title)
    }

    /// The titles, in order.
    pub fn titles(&self) -> &[String] {
        &self.0
    }
}

/// A manager's title, as the Ministry's guide gives it.
const MANAGER_TITLE: &str = "支配人";
/// The mark the Ministry puts after a manager's office where a representative's certificate
/// has the head office, inside parentheses (ASCII or full-width: looked for without them).
const MANAGER_OFFICE_MARK: &str = "支配人を置いた営業所";

/// How a JPKI signing certificate was tied to a company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnrollmentKind {
    /// A representative with a commercial-registration certificate of the company linked
    /// their own card, signing with both keys.
    LinkedByRepresentative,
    /// The operator checked the representative out of band (the register's 登記事項 against
    /// the card, and the person's identity) and recorded it.
    AttestedByOperator,
}

/// A logged enrollment: a JPKI signing certificate bound to a company from a time, until it is
/// ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    /// Its id: the SHA-256 of its signed record.
    pub id: [u8; 32],
    /// How it was made.
    pub kind: EnrollmentKind,
    /// The company.
    pub company: CorporateNumber,
    /// SHA-256 of the JPKI signing certificate it binds.
    pub certificate_sha256: [u8; 32],
    /// When it took effect, on the registry's clock.
    pub enrolled_at: UnixTime,
    /// When it was ended (the person left office), if it was.
    pub ended_at: Option<UnixTime>,
}

impl Enrollment {
    /// Whether it is in force at `at`: from its enrollment, before its end.
    pub fn in_force_at(&self, at: UnixTime) -> bool {
        self.enrolled_at <= at && self.ended_at.is_none_or(|end| at < end)
    }
}

/// Where the enrollments come from: the registry's store, or a counterparty's evidence.
pub trait Enrollments: fmt::Debug {
    /// The enrollment binding the certificate `certificate_sha256` to `company` that was in
    /// force at `at`, else the latest one (ended or not yet in force, for the reason), else
    /// none. An error (storage failing) is never taken as "none". A source holding one
    /// candidate may return it as it is: [`authority`] ignores an enrollment of another
    /// company or certificate.
    fn find(
        &self,
        company: &CorporateNumber,
        certificate_sha256: &[u8; 32],
        at: UnixTime,
    ) -> Result<Option<Enrollment>, String>;
}

/// No enrollments at all: only commercial-registration certificates prove authority.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEnrollments;

impl Enrollments for NoEnrollments {
    fn find(
        &self,
        _: &CorporateNumber,
        _: &[u8; 32],
        _: UnixTime,
    ) -> Result<Option<Enrollment>, String> {
        Ok(None)
    }
}

/// What proved a signer's authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// A representative's commercial-registration certificate, as it states the registration.
    Registered(RegisteredCorporation),
    /// A JPKI signing certificate's enrollment.
    Enrolled(Enrollment),
}

/// Why a signer's authority over a company is not proven. Each variant names what is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unproven {
    /// The signer's path reached neither a commercial-registration root nor a JPKI signing
    /// root: no certificate of that kind can speak for a company.
    NotAnAuthorityCertificate,
    /// A commercial-registration certificate without a readable registeredCorporationInfo.
    NoRegistrationInfo,
    /// A commercial-registration certificate without the Ministry's policy
    /// (1.2.392.100300.1.3.4) in its policies extension.
    PolicyMissing,
    /// A commercial-registration certificate of another company.
    OtherCompany {
        /// The company acted for.
        company: CorporateNumber,
        /// The registered number (12 digits) the certificate carries.
        certificate: String,
    },
    /// A commercial-registration certificate of someone registered with another title than a
    /// representative's (a manager, 支配人, above all).
    NotARepresentative {
        /// The title the certificate carries.
        title: String,
    },
    /// A JPKI signing certificate that no enrollment binds to the company.
    NotEnrolled,
    /// A JPKI signing certificate whose enrollment for the company is not in force at the time:
    /// it began later, or ended at or before it.
    EnrollmentNotInForce {
        /// When it took effect.
        enrolled_at: UnixTime,
        /// When it ended, if it did.
        ended_at: Option<UnixTime>,
    },
    /// The enrollments could not be read (storage failing): nothing is concluded.
    EnrollmentsUnavailable(String),
}

impl fmt::Display for Unproven {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnAuthorityCertificate => f.write_str(
                "the certificate is neither a commercial-registration certificate nor a JPKI \
                 signing certificate",
            ),
            Self::NoRegistrationInfo => f.write_str(
                "the commercial-registration certificate carries no registeredCorporationInfo",
            ),
            Self::PolicyMissing => f.write_str(
                "the commercial-registration certificate lacks the Ministry of Justice's policy \
                 1.2.392.100300.1.3.4",
            ),
            Self::OtherCompany {
                company,
                certificate,
            } => write!(
                f,
                "the commercial-registration certificate is for registered number {certificate}, \
                 not company {company}"
            ),
            Self::NotARepresentative { title } => write!(
                f,
                "the commercial-registration certificate is of a {title}, not of a \
                 representative"
            ),
            Self::NotEnrolled => f.write_str(
                "a JPKI certificate proves who signed, not that they represent the company, and \
                 no enrollment binds this certificate to the company: sign with the \
                 representative's commercial-registration certificate, or have this card \
                 linked to the company (by the representative's commercial-registration \
                 certificate, or by the operator after checking the register)",
            ),
            Self::EnrollmentNotInForce {
                enrolled_at,
                ended_at: Some(end),
            } => write!(
                f,
                "the JPKI certificate's enrollment for the company was in force from {enrolled_at} \
                 to {end} only"
            ),
            Self::EnrollmentNotInForce {
                enrolled_at,
                ended_at: None,
            } => write!(
                f,
                "the JPKI certificate's enrollment for the company is in force only from \
                 {enrolled_at}"
            ),
            Self::EnrollmentsUnavailable(why) => {
                write!(f, "the enrollments could not be read: {why}")
            }
        }
    }
}

/// Whether `signer`, whose path verified at `at` to an anchor of `anchor_role`, holds
/// authority over `company` at `at`; with what proof, or why not.
pub fn authority(
    signer: &Certificate,
    anchor_role: AnchorRole,
    company: &CorporateNumber,
    at: UnixTime,
    titles: &RepresentativeTitles,
    enrollments: &dyn Enrollments,
) -> Result<Proof, Unproven> {
    match anchor_role {
        AnchorRole::CommercialRegistration => {
            registered_representative(signer, company, titles).map(Proof::Registered)
        }
        AnchorRole::JpkiSigning => {
            let enrollment = enrollments
                .find(company, signer.sha256(), at)
                .map_err(Unproven::EnrollmentsUnavailable)?
                .filter(|e| e.company == *company && e.certificate_sha256 == *signer.sha256())
                .ok_or(Unproven::NotEnrolled)?;
            if !enrollment.in_force_at(at) {
                return Err(Unproven::EnrollmentNotInForce {
                    enrolled_at: enrollment.enrolled_at,
                    ended_at: enrollment.ended_at,
                });
            }
            Ok(Proof::Enrolled(enrollment))
        }
        _ => Err(Unproven::NotAnAuthorityCertificate),
    }
}

/// The registration `certificate` states, if it is a commercial-registration certificate of a
/// representative of `company`.
pub fn registered_representative(
    certificate: &Certificate,
    company: &CorporateNumber,
    titles: &RepresentativeTitles,
) -> Result<RegisteredCorporation, Unproven> {
    let registration =
        RegisteredCorporation::of(certificate).ok_or(Unproven::NoRegistrationInfo)?;
    if !carries_ministry_policy(certificate) {
        return Err(Unproven::PolicyMissing);
    }
    if registration.registered_number != company.registered_number() {
        return Err(Unproven::OtherCompany {
            company: *company,
            certificate: registration.registered_number,
        });
    }
    if !titles.contains(&registration.director_title)
        || registration.corporate_address.contains(MANAGER_OFFICE_MARK)
    {
        return Err(Unproven::NotARepresentative {
            title: registration.director_title,
        });
    }
    Ok(registration)
}

/// Whether a card holder's name (JPKI: family and given name with a full-width space between)
/// and a registered name (the commercial register writes names without spaces) are one
/// person's, as far as names tell: equal but for spaces, and not empty. A name is never proof
/// of authority; this only keeps what a PoA or a card link states consistent with the
/// certificates that sign it.
pub fn same_person(card_holder: &str, registered_name: &str) -> bool {
    let bare = |name: &str| -> String {
        name.chars()
            .filter(|c| *c != ' ' && *c != '\u{3000}')
            .collect()
    };
    !bare(card_holder).is_empty() && bare(card_holder) == bare(registered_name)
}

/// Whether the Ministry's policies extension lists [`MINISTRY_POLICY`].
fn carries_ministry_policy(certificate: &Certificate) -> bool {
    certificate
        .extension(POLICIES)
        .and_then(|extension| CertificatePolicies::from_der(extension.value).ok())
        .is_some_and(|policies| {
            policies
                .0
                .iter()
                .any(|policy| policy.policy_identifier == MINISTRY_POLICY)
        })
}
