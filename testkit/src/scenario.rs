//! The standard story, ready-made: サンプル株式会社's representative grants an employee a power
//! of attorney, the registry records it, the employee signs a timestamped contract with the
//! National Tax Agency. Tests vary one part; benchmarks and demos use it whole.

use std::collections::BTreeSet;

use eproxy_policy::{
    AmountCap, CorporateNumber, Counterparties, Grant, Matter, Scope, StandardMatter, UnixTime,
    Validity,
};
use eproxy_proto::v1::{DelegationStatus, LinkEvidence};
use eproxy_proto::{
    Company, ContractTerms, Delegatee, Delegation, DelegationId, Document, Representative,
};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::certificate::Credential;
use crate::cms::{CmsSigner, SIGNATURE_TIME_STAMP_TOKEN, attribute};
use crate::operator::TestOperator;
use crate::pki::{STANDARD_NOW, TestPki};
use crate::tsa::{TimestampRequest, timestamp_token};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// The contract document of the story.
pub const DOCUMENT: &[u8] = b"%PDF-1.7 the contract document";
/// The counterparty: the National Tax Agency's corporate number.
pub const COUNTERPARTY: &str = "7000012050002";
/// The log origin (and operator key name) of the story's registry.
pub const ORIGIN: &str = "registry.eproxy.test/log";

/// `offset` seconds after the reference time.
pub fn at(offset: i64) -> UnixTime {
    UnixTime::from_seconds(STANDARD_NOW.seconds() + offset)
}

/// The contract's trusted signing time: two hours before the reference time, inside every
/// standard CRL's coverage.
pub fn signed_at() -> UnixTime {
    at(-2 * HOUR)
}

/// The counterparty's corporate number.
pub fn counterparty() -> CorporateNumber {
    CorporateNumber::parse(COUNTERPARTY).expect("the constant is a valid corporate number")
}

/// A scope of `matters` with a cap of `cap_yen`, the counterparty alone, sub-delegation `depth`.
pub fn scope(matters: &[StandardMatter], cap_yen: u64, depth: u32) -> Scope {
    Scope::new(
        matters
            .iter()
            .map(|m| Matter::Standard(*m))
            .collect::<BTreeSet<_>>(),
        AmountCap::AtMostYen(cap_yen),
        Counterparties::Listed([counterparty()].into_iter().collect()),
        depth,
    )
    .unwrap_or_else(|e| panic!("a test scope must be valid: {e}"))
}

/// Concluding contracts up to ¥5,000,000 with the counterparty, no sub-delegation.
pub fn contracts_only() -> Scope {
    scope(&[StandardMatter::ConcludeContracts], 5_000_000, 0)
}

/// A PoA from サンプル株式会社, as its representative's certificate states it, to `delegatee`,
/// valid from 30 days before the reference time for 210 days.
pub fn delegation(
    delegatee: &Credential,
    scope: Scope,
    parent: Option<DelegationId>,
) -> Delegation {
    delegation_in(TestPki::standard(), delegatee, scope, parent)
}

/// [`delegation`] in `pki`, valid from 30 days before its time for 210 days.
pub fn delegation_in(
    pki: &TestPki,
    delegatee: &Credential,
    scope: Scope,
    parent: Option<DelegationId>,
) -> Delegation {
    let at = |offset: i64| UnixTime::from_seconds(pki.now.seconds() + offset);
    Delegation {
        delegator: Company {
            corporate_number: pki
                .company
                .corporate_number()
                .unwrap_or_else(|e| panic!("the standard company: {e}")),
            name: pki.company.corporate_name.clone(),
            head_office_address: pki.company.corporate_address.clone(),
        },
        representative: Representative {
            name: pki.company.director_name.clone(),
            title: pki.company.director_title.clone(),
        },
        delegatee: Delegatee {
            certificate_sha256: delegatee.sha256(),
            display_name: "山田　太郎".into(),
        },
        grant: Grant {
            scope,
            validity: Validity::new(at(-30 * DAY), at(180 * DAY)).unwrap_or_else(|e| panic!("{e}")),
        },
        issued_at_claimed: at(-31 * DAY),
        parent,
        supersedes: None,
        remarks: String::new(),
    }
}

/// `signer` signs `content` as CMS SignedData with the kit's defaults.
pub fn sign(signer: &Credential, content: &[u8]) -> Result<Vec<u8>, Error> {
    CmsSigner::new(signer, content).sign()
}

/// Terms for ¥1,200,000 of contract conclusion with the counterparty under the PoA `poa`.
pub fn terms(poa: &[u8]) -> ContractTerms {
    ContractTerms {
        matter: Matter::Standard(StandardMatter::ConcludeContracts),
        counterparty: counterparty(),
        amount_yen: 1_200_000,
        document: Document {
            sha256: Sha256::digest(DOCUMENT).into(),
            media_type: "application/pdf".into(),
            title: "業務委託契約書".into(),
        },
        delegation_id: DelegationId::of_cms(poa),
        signing_time_claimed: signed_at(),
    }
}

/// Another employee, 田中 花子: a fresh JPKI signing certificate under the cast's signing root,
/// its key and serial derived from `label`.
pub fn other_employee(label: &str) -> Result<Credential, Error> {
    other_employee_in(TestPki::standard(), label)
}

/// [`other_employee`] under `pki`'s signing root, valid around `pki`'s time (for a PKI minted
/// at the real clock, so that the certificate never expires under a test).
pub fn other_employee_in(pki: &TestPki, label: &str) -> Result<Credential, Error> {
    card_holder_in(pki, label, "田中　花子")
}

/// A JPKI signing certificate under `pki`'s signing root for a person named `name` (born,
/// living and identified otherwise than anyone else in the cast), valid around `pki`'s time,
/// its key and serial derived from `label`. A card holder whose name equals the
/// representative's is how a name collision is tested.
pub fn card_holder_in(pki: &TestPki, label: &str, name: &str) -> Result<Credential, Error> {
    let at = |offset: i64| UnixTime::from_seconds(pki.now.seconds() + offset);
    crate::jpki::signing_certificate(
        &pki.jpki_signing_root,
        &crate::jpki::Resident {
            name: name.into(),
            gender: "2".into(),
            birth_date: "419900707".into(),
            address: "東京都港区芝公園四丁目２番８号".into(),
            prefecture: "東京都".into(),
            municipality: "港区".into(),
            opaque_id: format!("OTHER{label}"),
        },
        pki.key(label),
        pki.serial(label)?,
        Validity::new(at(-60 * DAY), at(365 * DAY))?,
    )
}

/// A commercial-registration certificate under `pki`'s root for `company` as registered (its
/// person and title: a successor representative, a co-representative, a manager), valid
/// around `pki`'s time, its key and serial derived from `label`.
pub fn registered_in(
    pki: &TestPki,
    label: &str,
    company: &crate::commercial_registration::Company,
) -> Result<Credential, Error> {
    let at = |offset: i64| UnixTime::from_seconds(pki.now.seconds() + offset);
    crate::commercial_registration::representative_certificate(
        &pki.commercial_registration_root,
        company,
        pki.key(label),
        pki.serial(label)?,
        Validity::new(at(-7 * DAY), at(365 * DAY))?,
    )
}

/// `pki`'s company with its registered person replaced: `name`, registered as `title`. For a
/// manager (支配人), the address is the manager's office, marked as the Ministry marks it.
pub fn registered_person(
    pki: &TestPki,
    name: &str,
    title: &str,
) -> crate::commercial_registration::Company {
    let mut company = pki.company.clone();
    company.director_name = name.into();
    company.director_title = title.into();
    if title == "支配人" {
        company.corporate_address =
            "大阪府大阪市北区梅田一丁目１番１号(支配人を置いた営業所)".into();
    }
    company
}

/// `signer` signs `terms`, the signature timestamped by the kit's TSA at `stamp` if given.
pub fn contract(
    signer: &Credential,
    terms: &ContractTerms,
    stamp: Option<UnixTime>,
) -> Result<Vec<u8>, Error> {
    let mut cms = CmsSigner::new(signer, &terms.encode());
    if let Some(stamp) = stamp {
        let signature = cms.signature_value()?;
        let token = timestamp_token(
            &TestPki::standard().tsa,
            &TimestampRequest::new(&signature, stamp),
        )?;
        cms.unsigned_attributes = vec![attribute(SIGNATURE_TIME_STAMP_TOKEN, &[token])?];
    }
    cms.sign()
}

/// A registry that registered some PoAs ten days before the reference time and states each
/// with one status half an hour before it.
#[derive(Debug)]
pub struct Registry {
    /// The operator.
    pub operator: TestOperator,
    /// One link per PoA, in the order registered (root first).
    pub links: Vec<LinkEvidence>,
}

impl Registry {
    /// Registers `poas` (root first), each stated `status` (changed at `changed_at`).
    pub fn new(
        poas: &[&[u8]],
        status: DelegationStatus,
        changed_at: UnixTime,
    ) -> Result<Self, Error> {
        let mut operator = TestOperator::new("scenario", ORIGIN)?;
        operator.append(b"an earlier event".to_vec());
        let registrations: Vec<_> = poas
            .iter()
            .map(|poa| operator.register(poa, at(-10 * DAY), None))
            .collect();
        operator.append(b"a later event".to_vec());
        let links = poas
            .iter()
            .zip(&registrations)
            .map(|(poa, registration)| {
                let statement = operator.statement(registration, status, changed_at, at(-HOUR / 2));
                operator.link(poa, registration, &statement)
            })
            .collect();
        Ok(Self { operator, links })
    }

    /// Registers `poas`, all active.
    pub fn active(poas: &[&[u8]]) -> Result<Self, Error> {
        Self::new(poas, DelegationStatus::Active, UnixTime::from_seconds(0))
    }

    /// The bundle, links in contract order (the leaf first).
    pub fn bundle(&self) -> Vec<u8> {
        let mut links = self.links.clone();
        links.reverse();
        self.operator.bundle(links)
    }
}

/// The whole story, signed and registered.
#[derive(Debug)]
pub struct Story {
    /// The PoA's CMS.
    pub poa: Vec<u8>,
    /// The contract's CMS, timestamped.
    pub contract: Vec<u8>,
    /// The registry.
    pub registry: Registry,
    /// Its evidence bundle.
    pub bundle: Vec<u8>,
}

impl Story {
    /// The standard story: the representative grants the employee [`contracts_only`], the
    /// employee signs [`terms`] timestamped at [`signed_at`].
    pub fn standard() -> Result<Self, Error> {
        let pki = TestPki::standard();
        let poa = sign(
            &pki.representative,
            &delegation(&pki.employee, contracts_only(), None).encode(),
        )?;
        let contract = contract(&pki.employee, &terms(&poa), Some(signed_at()))?;
        let registry = Registry::active(&[&poa])?;
        let bundle = registry.bundle();
        Ok(Self {
            poa,
            contract,
            registry,
            bundle,
        })
    }
}
