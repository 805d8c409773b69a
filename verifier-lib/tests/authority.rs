//! Who holds authority over a company, decided from real certificates of the test PKI: a
//! representative's commercial-registration certificate, or a JPKI certificate with an
//! enrollment in force; never a manager's certificate, another company's, or a name.

use eproxy_policy::{CorporateNumber, UnixTime, Validity};
use eproxy_testkit::commercial_registration::certificate_under_policy;
use eproxy_testkit::scenario::{self, card_holder_in, registered_in, registered_person};
use eproxy_testkit::{Credential, TestPki};
use eproxy_verifier::authority::{
    Enrollment, EnrollmentKind, Enrollments, NoEnrollments, Proof, RepresentativeTitles, Unproven,
    authority, same_person,
};
use eproxy_verifier::certificate::Certificate;
use eproxy_verifier::trust_anchor::AnchorRole;

fn pki() -> &'static TestPki {
    TestPki::standard()
}

fn company() -> CorporateNumber {
    pki().company.corporate_number().unwrap()
}

fn parsed(credential: &Credential) -> Certificate {
    Certificate::from_der(credential.der()).unwrap()
}

fn at(offset: i64) -> UnixTime {
    UnixTime::from_seconds(pki().now.seconds() + offset)
}

/// One enrollment, or a storage failure.
#[derive(Debug)]
struct Found(Result<Option<Enrollment>, String>);

impl Enrollments for Found {
    fn find(
        &self,
        _: &CorporateNumber,
        _: &[u8; 32],
        _: UnixTime,
    ) -> Result<Option<Enrollment>, String> {
        self.0.clone()
    }
}

fn enrollment(of: &Credential, company: CorporateNumber, ended_at: Option<UnixTime>) -> Enrollment {
    Enrollment {
        id: [7; 32],
        kind: EnrollmentKind::AttestedByOperator,
        company,
        certificate_sha256: of.sha256(),
        enrolled_at: at(-3_600),
        ended_at,
    }
}

fn registered_authority(
    credential: &Credential,
    titles: &RepresentativeTitles,
) -> Result<Proof, Unproven> {
    authority(
        &parsed(credential),
        AnchorRole::CommercialRegistration,
        &company(),
        pki().now,
        titles,
        &NoEnrollments,
    )
}

fn jpki_authority(
    credential: &Credential,
    enrollments: &dyn Enrollments,
) -> Result<Proof, Unproven> {
    authority(
        &parsed(credential),
        AnchorRole::JpkiSigning,
        &company(),
        pki().now,
        &RepresentativeTitles::default(),
        enrollments,
    )
}

#[test]
fn a_representatives_commercial_registration_certificate_proves_authority() {
    let Ok(Proof::Registered(registration)) =
        registered_authority(&pki().representative, &RepresentativeTitles::default())
    else {
        panic!("the representative holds authority");
    };
    assert_eq!(registration.director_name, "佐藤サンプル");
    assert_eq!(registration.director_title, "代表取締役");
    // The same certificate says nothing about another company.
    let other = authority(
        &parsed(&pki().representative),
        AnchorRole::CommercialRegistration,
        &scenario::counterparty(),
        pki().now,
        &RepresentativeTitles::default(),
        &NoEnrollments,
    );
    assert_eq!(
        other,
        Err(Unproven::OtherCompany {
            company: scenario::counterparty(),
            certificate: "012345678901".into(),
        })
    );
}

#[test]
fn the_title_decides_between_a_representative_and_anyone_else_registered() {
    let manager = registered_in(
        pki(),
        "authority test manager",
        &registered_person(pki(), "高橋支配人", "支配人"),
    )
    .unwrap();
    assert_eq!(
        registered_authority(&manager, &RepresentativeTitles::default()),
        Err(Unproven::NotARepresentative {
            title: "支配人".into()
        })
    );
    // A director of a company without a representative director represents it (会社法 349条),
    // but only where the operator lists that title.
    let director = registered_in(
        pki(),
        "authority test director",
        &registered_person(pki(), "伊藤取締役", "取締役"),
    )
    .unwrap();
    assert_eq!(
        registered_authority(&director, &RepresentativeTitles::default()),
        Err(Unproven::NotARepresentative {
            title: "取締役".into()
        })
    );
    let with_directors =
        RepresentativeTitles::new(["代表取締役".to_owned(), "取締役".to_owned()]).unwrap();
    assert!(matches!(
        registered_authority(&director, &with_directors),
        Ok(Proof::Registered(_))
    ));
    // A certificate whose address is a manager's office (the Ministry's mark, in full-width
    // parentheses here) is a manager's, whatever its title says.
    let mut office = registered_person(pki(), "渡辺支配人", "代表取締役");
    office.corporate_address = "大阪府大阪市北区梅田一丁目１番１号（支配人を置いた営業所）".into();
    let at_an_office = registered_in(pki(), "authority test office", &office).unwrap();
    assert_eq!(
        registered_authority(&at_an_office, &RepresentativeTitles::default()),
        Err(Unproven::NotARepresentative {
            title: "代表取締役".into()
        })
    );
    // No list makes a manager a representative, and an empty title matches nothing.
    assert!(RepresentativeTitles::new(["支配人".to_owned()]).is_err());
    assert!(RepresentativeTitles::new([String::new()]).is_err());
}

#[test]
fn a_certificate_without_the_ministrys_policy_proves_nothing() {
    let unofficial = certificate_under_policy(
        &pki().commercial_registration_root,
        &pki().company,
        pki().key("authority test other policy"),
        pki().serial("authority test other policy").unwrap(),
        Validity::new(at(-86_400), at(86_400)).unwrap(),
        der::asn1::ObjectIdentifier::new_unwrap("1.2.392.100300.1.3.99"),
    )
    .unwrap();
    assert_eq!(
        registered_authority(&unofficial, &RepresentativeTitles::default()),
        Err(Unproven::PolicyMissing)
    );
}

#[test]
fn a_jpki_certificate_needs_an_enrollment_in_force_never_a_name() {
    // The holder's name is the representative's: it counts for nothing.
    let namesake = card_holder_in(pki(), "authority test namesake", "佐藤サンプル").unwrap();
    assert_eq!(
        jpki_authority(&namesake, &NoEnrollments),
        Err(Unproven::NotEnrolled)
    );
    // An enrollment of another certificate, or of this one for another company, is none.
    let others = Found(Ok(Some(enrollment(&pki().employee, company(), None))));
    assert_eq!(
        jpki_authority(&namesake, &others),
        Err(Unproven::NotEnrolled)
    );
    let elsewhere = Found(Ok(Some(enrollment(
        &namesake,
        scenario::counterparty(),
        None,
    ))));
    assert_eq!(
        jpki_authority(&namesake, &elsewhere),
        Err(Unproven::NotEnrolled)
    );
    // In force: proven.
    let enrolled = enrollment(&namesake, company(), None);
    assert_eq!(
        jpki_authority(&namesake, &Found(Ok(Some(enrolled.clone())))),
        Ok(Proof::Enrolled(enrolled.clone()))
    );
    // Ended at the very moment: no longer in force. Ended a second later: still in force.
    let ended = enrollment(&namesake, company(), Some(pki().now));
    assert_eq!(
        jpki_authority(&namesake, &Found(Ok(Some(ended.clone())))),
        Err(Unproven::EnrollmentNotInForce {
            enrolled_at: ended.enrolled_at,
            ended_at: Some(pki().now),
        })
    );
    let ending = enrollment(&namesake, company(), Some(at(1)));
    assert!(jpki_authority(&namesake, &Found(Ok(Some(ending)))).is_ok());
    // Not yet in force.
    let mut later = enrolled;
    later.enrolled_at = at(1);
    assert_eq!(
        jpki_authority(&namesake, &Found(Ok(Some(later)))),
        Err(Unproven::EnrollmentNotInForce {
            enrolled_at: at(1),
            ended_at: None,
        })
    );
    // A failure to read the enrollments is never taken for an answer.
    assert_eq!(
        jpki_authority(&namesake, &Found(Err("disk".into()))),
        Err(Unproven::EnrollmentsUnavailable("disk".into()))
    );
}

#[test]
fn only_the_two_kinds_of_certificate_can_speak_for_a_company() {
    for role in [AnchorRole::TimeStamping, AnchorRole::JpkiAuthentication] {
        assert_eq!(
            authority(
                &parsed(&pki().representative),
                role,
                &company(),
                pki().now,
                &RepresentativeTitles::default(),
                &NoEnrollments,
            ),
            Err(Unproven::NotAnAuthorityCertificate)
        );
    }
    // A JPKI signing certificate reached through a commercial-registration anchor (a
    // misconfigured trust store) carries no registration: nothing is proven.
    assert_eq!(
        registered_authority(&pki().employee, &RepresentativeTitles::default()),
        Err(Unproven::NoRegistrationInfo)
    );
}

#[test]
fn names_are_one_persons_when_equal_but_for_spaces() {
    assert!(same_person("佐藤　花子", "佐藤花子"));
    assert!(same_person("佐藤 花子", "佐藤花子"));
    assert!(same_person("佐藤サンプル", "佐藤サンプル"));
    assert!(!same_person("佐藤　太郎", "佐藤花子"));
    assert!(!same_person("　", ""));
    assert!(!same_person("", ""));
}
