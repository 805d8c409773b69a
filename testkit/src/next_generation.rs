//! The next-generation My Number card, as reported: JPKI signing keys on ECDSA P-384, signatures
//! with SHA-384, ten-year certificates. Minted beside a [`TestPki`] (its seed and time, the same
//! residents) under a JPKI signing root of its own that is itself P-384, so that every
//! signature on the path, on the CRL and in the CMS is ECDSA P-384 / SHA-384.

use eproxy_policy::{UnixTime, Validity};
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor};

use crate::certificate::{Credential, serial_number};
use crate::crl::{Crl, CrlContents, issue_crl};
use crate::jpki::{self, Purpose};
use crate::keys::KeyName;
use crate::{Error, TestPki};

const DAY: i64 = 24 * 60 * 60;
const YEAR: i64 = 365 * DAY;

/// The next-generation root, two cards under it and the root's CRL.
#[derive(Clone, Debug)]
pub struct NextGeneration {
    /// A JPKI signing root with an ECDSA P-384 key (the same name as today's roots).
    pub root: Credential,
    /// 山田 太郎's next-generation card, valid from 30 days before the PKI's `now` for ten
    /// years.
    pub employee: Credential,
    /// 佐藤サンプル's next-generation card: the representative's own, to be enrolled for the
    /// company as today's is.
    pub representative_card: Credential,
    /// The root's CRL, current at `now`, revoking nothing.
    pub crl: Crl,
}

impl NextGeneration {
    /// Minted under `pki`'s seed around its `now`.
    pub fn of(pki: &TestPki) -> Result<Self, Error> {
        let at = |offset: i64| UnixTime::from_seconds(pki.now.seconds() + offset);
        let period = |start: i64, length: i64| Validity::new(at(start), at(start + length));
        let key = |label: &str| KeyName::p384(&pki.seed, label);
        let serial = |label: &str| serial_number(&format!("{}/{label}", pki.seed));
        let root = jpki::root(
            Purpose::Signing,
            key("jpki signing root p384"),
            serial("jpki signing root p384")?,
            period(-YEAR, 20 * YEAR)?,
        )?;
        let card = |resident, label: &str| {
            jpki::signing_certificate(
                &root,
                resident,
                key(label),
                serial(label)?,
                period(-30 * DAY, 10 * YEAR)?,
            )
        };
        let employee = card(&pki.employee_resident, "employee yamada signing p384")?;
        let representative_card = card(
            &pki.representative_resident,
            "representative sato signing p384",
        )?;
        let crl = issue_crl(
            &root,
            &CrlContents {
                number: 1,
                this_update: at(-60 * 60),
                next_update: at(DAY),
                revoked: Vec::new(),
            },
        )?;
        Ok(Self {
            root,
            employee,
            representative_card,
            crl,
        })
    }

    /// The root as a JPKI signing trust anchor.
    pub fn anchor(&self) -> Result<TrustAnchor, Error> {
        TrustAnchor::new(AnchorRole::JpkiSigning, self.root.der().to_vec())
            .map_err(|e| Error::KeyEncoding(e.to_string()))
    }
}
