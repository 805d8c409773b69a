//! The standard cast: one complete test PKI with every role a scenario needs, minted from a seed
//! and a reference time.

use std::sync::OnceLock;

use eproxy_policy::{UnixTime, Validity};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::serial_number::SerialNumber;

use crate::certificate::{Credential, serial_number};
use crate::commercial_registration::{self, Company};
use crate::crl::{Crl, CrlContents, Revocation, issue_crl};
use crate::jpki::{self, Purpose, Resident};
use crate::keys::{DEFAULT_RSA_BITS, KeyName};
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors};

use crate::{Error, tsa};

const DAY: i64 = 24 * 60 * 60;
const YEAR: i64 = 365 * DAY;

/// The seed of [`TestPki::standard`].
pub const STANDARD_SEED: &str = "eproxy-testkit standard v1";
/// The reference time of [`TestPki::standard`]: 2026-04-01T00:00:00Z.
pub const STANDARD_NOW: UnixTime = UnixTime::from_seconds(1_775_001_600);

/// A complete test PKI. Every certificate is valid at `now` unless its field says otherwise.
#[derive(Clone, Debug)]
pub struct TestPki {
    /// The seed every key and serial derives from.
    pub seed: String,
    /// The reference time the validity periods are laid out around.
    pub now: UnixTime,
    /// The current JPKI signing root (署名用), valid from a year before `now` for ten years.
    pub jpki_signing_root: Credential,
    /// An earlier generation of the signing root: the same name, another key, valid from five
    /// years before `now` for ten years. Nothing in the cast is issued by it.
    pub jpki_signing_root_previous: Credential,
    /// The JPKI user-authentication root (利用者証明用): must never anchor a signature.
    pub jpki_authentication_root: Credential,
    /// 山田　太郎, the employee who signs contracts: a JPKI signing certificate valid from 30
    /// days before `now` for five years.
    pub employee: Credential,
    /// 山田　太郎's identity data.
    pub employee_resident: Resident,
    /// 山田　太郎's user-authentication certificate: a valid key and chain that must not sign.
    pub employee_authentication: Credential,
    /// 鈴木　花子, an employee who moved house: her signing certificate was revoked one day before
    /// `now` (listed in [`TestPki::jpki_signing_crl`], reason affiliationChanged).
    pub moved_employee: Credential,
    /// The revocation time of [`TestPki::moved_employee`].
    pub moved_employee_revoked_at: UnixTime,
    /// The commercial-registration root.
    pub commercial_registration_root: Credential,
    /// サンプル株式会社 as registered.
    pub company: Company,
    /// 佐藤サンプル, サンプル株式会社's 代表取締役: a commercial-registration certificate valid from
    /// 30 days before `now` for two years.
    pub representative: Credential,
    /// 佐藤サンプル's own My Number card: a JPKI signing certificate valid from 30 days before
    /// `now` for five years. It proves who she is, not that she represents the company, until
    /// the operator enrolls it for the company.
    pub representative_card: Credential,
    /// The representative as their JPKI card names them.
    pub representative_resident: Resident,
    /// The time-stamping authority's root.
    pub tsa_root: Credential,
    /// The time-stamping authority (critical extendedKeyUsage timeStamping).
    pub tsa: Credential,
    /// The signing root's CRL, issued an hour before `now`, next update a day after; it revokes
    /// [`TestPki::moved_employee`].
    pub jpki_signing_crl: Crl,
    /// The commercial-registration root's CRL, same times, empty.
    pub commercial_registration_crl: Crl,
    /// The time-stamping root's CRL, same times, empty.
    pub tsa_crl: Crl,
    /// The password of every PKCS#12 file the kit writes (ASCII, derived from the seed).
    pub password: String,
}

impl TestPki {
    /// The cast minted from [`STANDARD_SEED`] at [`STANDARD_NOW`], built once per process.
    pub fn standard() -> &'static TestPki {
        static STANDARD: OnceLock<TestPki> = OnceLock::new();
        STANDARD.get_or_init(|| {
            TestPki::new(STANDARD_SEED, STANDARD_NOW).expect("the standard test PKI mints")
        })
    }

    /// Mints the cast from `seed` around `now`. The same arguments give byte-identical output.
    pub fn new(seed: &str, now: UnixTime) -> Result<Self, Error> {
        let at = |offset: i64| UnixTime::from_seconds(now.seconds() + offset);
        let period = |start: i64, length: i64| Validity::new(at(start), at(start + length));
        let key = |label: &str| KeyName::new(seed, label, DEFAULT_RSA_BITS);
        let serial = |label: &str| serial_number(&format!("{seed}/{label}"));

        let jpki_signing_root = jpki::root(
            Purpose::Signing,
            key("jpki signing root g2"),
            serial("jpki signing root g2")?,
            period(-YEAR, 10 * YEAR)?,
        )?;
        let jpki_signing_root_previous = jpki::root(
            Purpose::Signing,
            key("jpki signing root g1"),
            serial("jpki signing root g1")?,
            period(-5 * YEAR, 10 * YEAR)?,
        )?;
        let jpki_authentication_root = jpki::root(
            Purpose::Authentication,
            key("jpki authentication root"),
            serial("jpki authentication root")?,
            period(-YEAR, 10 * YEAR)?,
        )?;

        let employee_resident = Resident {
            name: "山田　太郎".into(),
            gender: "1".into(),
            birth_date: "319850401".into(),
            address: "東京都千代田区霞が関一丁目１番１号".into(),
            prefecture: "東京都".into(),
            municipality: "千代田区".into(),
            opaque_id: opaque_id(seed, "yamada"),
        };
        let employee = jpki::signing_certificate(
            &jpki_signing_root,
            &employee_resident,
            key("employee yamada signing"),
            serial("employee yamada signing")?,
            period(-30 * DAY, 5 * YEAR)?,
        )?;
        let employee_authentication = jpki::authentication_certificate(
            &jpki_authentication_root,
            &opaque_id(seed, "yamada authentication"),
            key("employee yamada authentication"),
            serial("employee yamada authentication")?,
            period(-30 * DAY, 5 * YEAR)?,
        )?;
        let moved_resident = Resident {
            name: "鈴木　花子".into(),
            gender: "2".into(),
            birth_date: "419920815".into(),
            address: "大阪府大阪市北区中之島一丁目３番２０号".into(),
            prefecture: "大阪府".into(),
            municipality: "大阪市".into(),
            opaque_id: opaque_id(seed, "suzuki"),
        };
        let moved_employee = jpki::signing_certificate(
            &jpki_signing_root,
            &moved_resident,
            key("employee suzuki signing"),
            serial("employee suzuki signing")?,
            period(-YEAR, 5 * YEAR)?,
        )?;
        let moved_employee_revoked_at = at(-DAY);

        let commercial_registration_root = commercial_registration::root(
            key("commercial registration root"),
            serial("commercial registration root")?,
            period(-YEAR, 10 * YEAR)?,
        )?;
        let company = Company {
            corporate_name: "サンプル株式会社".into(),
            registered_number: "012345678901".into(),
            corporate_address: "東京都渋谷区神宮前一丁目２番３号".into(),
            director_name: "佐藤サンプル".into(),
            director_title: "代表取締役".into(),
            registry_office: "東京法務局渋谷出張所".into(),
            registrar: "東京法務局登記官".into(),
        };
        let representative = commercial_registration::representative_certificate(
            &commercial_registration_root,
            &company,
            key("representative sato"),
            serial("representative sato")?,
            period(-30 * DAY, 2 * YEAR)?,
        )?;

        let representative_resident = Resident {
            name: company.director_name.clone(),
            gender: "2".into(),
            birth_date: "319780312".into(),
            address: "東京都渋谷区神宮前五丁目５番５号".into(),
            prefecture: "東京都".into(),
            municipality: "渋谷区".into(),
            opaque_id: opaque_id(seed, "sato"),
        };
        let representative_card = jpki::signing_certificate(
            &jpki_signing_root,
            &representative_resident,
            key("representative sato signing"),
            serial("representative sato signing")?,
            period(-30 * DAY, 5 * YEAR)?,
        )?;

        let tsa_root = tsa::root(
            key("tsa root"),
            serial("tsa root")?,
            period(-YEAR, 10 * YEAR)?,
        )?;
        let tsa = tsa::certificate(
            &tsa_root,
            "eproxy testkit TSA 1",
            key("tsa"),
            serial("tsa")?,
            period(-YEAR, 5 * YEAR)?,
        )?;

        let crl_times = |revoked| CrlContents {
            number: 1,
            this_update: at(-60 * 60),
            next_update: at(DAY),
            revoked,
        };
        let jpki_signing_crl = issue_crl(
            &jpki_signing_root,
            &crl_times(vec![Revocation {
                serial_number: moved_employee.serial_number().clone(),
                revoked_at: moved_employee_revoked_at,
                reason: Some(CrlReason::AffiliationChanged),
            }]),
        )?;
        let commercial_registration_crl =
            issue_crl(&commercial_registration_root, &crl_times(Vec::new()))?;
        let tsa_crl = issue_crl(&tsa_root, &crl_times(Vec::new()))?;

        Ok(Self {
            seed: seed.to_owned(),
            now,
            jpki_signing_root,
            jpki_signing_root_previous,
            jpki_authentication_root,
            employee,
            employee_resident,
            employee_authentication,
            moved_employee,
            moved_employee_revoked_at,
            commercial_registration_root,
            company,
            representative,
            representative_card,
            representative_resident,
            tsa_root,
            tsa,
            jpki_signing_crl,
            commercial_registration_crl,
            tsa_crl,
            password: password(seed),
        })
    }

    /// The kit's roots as trust anchors, each in its role: the current JPKI signing root, the
    /// JPKI user-authentication root, the commercial-registration root and the TSA root.
    pub fn trust_anchors(&self) -> Result<TrustAnchors, Error> {
        let mut anchors = TrustAnchors::new();
        for (role, root) in [
            (AnchorRole::JpkiSigning, &self.jpki_signing_root),
            (
                AnchorRole::JpkiAuthentication,
                &self.jpki_authentication_root,
            ),
            (
                AnchorRole::CommercialRegistration,
                &self.commercial_registration_root,
            ),
            (AnchorRole::TimeStamping, &self.tsa_root),
        ] {
            anchors.add(
                TrustAnchor::new(role, root.der().to_vec())
                    .map_err(|e| Error::KeyEncoding(e.to_string()))?,
            );
        }
        Ok(anchors)
    }

    /// Every certificate of the cast with a short name for its role, roots first.
    pub fn credentials(&self) -> [(&'static str, &Credential); 11] {
        [
            ("jpki signing root", &self.jpki_signing_root),
            (
                "jpki signing root previous",
                &self.jpki_signing_root_previous,
            ),
            ("jpki authentication root", &self.jpki_authentication_root),
            (
                "commercial registration root",
                &self.commercial_registration_root,
            ),
            ("tsa root", &self.tsa_root),
            ("employee", &self.employee),
            ("employee authentication", &self.employee_authentication),
            ("moved employee", &self.moved_employee),
            ("representative", &self.representative),
            ("representative card", &self.representative_card),
            ("tsa", &self.tsa),
        ]
    }

    /// A 2048-bit key name under this PKI's seed, for minting more certificates in a test.
    pub fn key(&self, label: &str) -> KeyName {
        KeyName::new(&self.seed, label, DEFAULT_RSA_BITS)
    }

    /// A serial number under this PKI's seed, distinct for each label.
    pub fn serial(&self, label: &str) -> Result<SerialNumber, Error> {
        serial_number(&format!("{}/{label}", self.seed))
    }
}

/// A JPKI-style opaque subject identifier: 25 upper-case hex characters.
fn opaque_id(seed: &str, label: &str) -> String {
    let hash = Sha256::digest(format!("eproxy-testkit opaque id v1\0{seed}\0{label}"));
    hex_upper(&hash)[..25].to_owned()
}

fn password(seed: &str) -> String {
    let hash = Sha256::digest(format!("eproxy-testkit password v1\0{seed}"));
    format!("test-{}", &hex_upper(&hash)[..16].to_ascii_lowercase())
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
