//! The one call: is this signed contract covered by a valid, unrevoked power of attorney?
//!
//! In order: the contract's CMS signature and terms; the trusted time T (a verified signature
//! timestamp, else the verification time); the signer's certificate at T; the PoA chain (from
//! registry evidence, or given directly), each link's signature, content and signer; the
//! binding of the contract's signer to the PoA; the scope; each link's registry status at T.
//! Every independent failure is reported, not only the first.

use std::sync::Arc;

use eproxy_policy::{CorporateNumber, UnixTime, covers, within};
use eproxy_proto::{
    ContractTerms, Delegation, DelegationId, decode_contract_terms, decode_delegation,
};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::authority::{
    Enrollment, Enrollments, NoEnrollments, Proof, RepresentativeTitles, authority, same_person,
};
use crate::certificate::Certificate;
use crate::crl::Crl;
use crate::crypto::{AWS_LC, SignatureVerifier};
use crate::evidence::{RegistryStatus, VerifiedStatus, verify_evidence_with};
use crate::jpki::JpkiIdentity;
use crate::note::VerifierKey;
use crate::timestamp::verify_timestamp;
use crate::trust_anchor::{AnchorRole, SignerRole, TrustAnchors};
use crate::verdict::{Reason, TimeSource, Verdict, Warning};
use crate::verification_cache::VerificationCache;
use crate::verify_cert::{PathContext, RevocationPolicy, VerifiedPath, verify_path};
use crate::verify_cms::{VerifiedCms, verify_cms_with};
use crate::witness_policy::WitnessPolicy;

/// The longest chain accepted: a root PoA and eight sub-delegations (the formats' depth limit).
pub const MAX_CHAIN_LINKS: usize = 9;

/// A configured verifier: trust anchors, revocation policy, signature provider.
#[derive(Clone, Debug)]
pub struct Verifier {
    provider: &'static dyn SignatureVerifier,
    anchors: TrustAnchors,
    revocation: RevocationPolicy,
    titles: RepresentativeTitles,
    cache: Arc<VerificationCache>,
    /// The witnesses whose quorum of cosignatures an evidence bundle's checkpoint needs.
    witnesses: Option<Arc<WitnessPolicy>>,
}

/// Where the PoA chain comes from.
#[derive(Clone, Copy, Debug)]
pub enum PoaSource<'a> {
    /// A registry evidence bundle, authenticated under the operator's pinned key.
    Evidence {
        /// The bundle's bytes (`eproxy.v1.EvidenceBundle`).
        bundle: &'a [u8],
        /// The operator's key.
        operator_key: &'a VerifierKey,
    },
    /// PoA CMS given directly, the contract's PoA first, then its ancestors. Their registry
    /// status is then unknown: a reason under the strict policy, a warning under the lenient.
    Unchecked(&'a [&'a [u8]]),
}

/// One contract to verify.
#[derive(Clone, Copy, Debug)]
pub struct ContractInput<'a> {
    /// The contract's CMS SignedData (DER), its eContent a ContractTerms envelope.
    pub contract: &'a [u8],
    /// The contract document, if at hand, to compare with the terms' digest.
    pub document: Option<&'a [u8]>,
    /// The PoA chain.
    pub poa: PoaSource<'a>,
    /// CRLs for every certificate path, parsed ([`Crl::from_der`]): a caller that keeps its
    /// CRLs parses each once, not once a call.
    pub crls: &'a [&'a Crl],
    /// Extra certificates for path building.
    pub certificates: &'a [&'a [u8]],
    /// The verification time: T when the contract carries no valid timestamp.
    pub verification_time: UnixTime,
    /// The verifying counterparty, if it wants the terms checked to name it.
    pub expected_counterparty: Option<CorporateNumber>,
}

impl Verifier {
    /// A verifier with `anchors`, the strict revocation policy and the aws-lc-rs provider.
    pub fn new(anchors: TrustAnchors) -> Self {
        Self {
            provider: &AWS_LC,
            anchors,
            revocation: RevocationPolicy::Strict,
            titles: RepresentativeTitles::default(),
            cache: Arc::new(VerificationCache::new()),
            witnesses: None,
        }
    }

    /// The same verifier requiring of registry evidence a checkpoint cosigned by a quorum of
    /// `policy`'s witnesses (C2SP tlog-policy): evidence short of it is rejected, naming the
    /// witnesses that did not cosign. A registry that shows one counterparty a history the
    /// witnesses were not shown cannot then pass.
    pub fn with_witness_policy(mut self, policy: WitnessPolicy) -> Self {
        self.witnesses = Some(Arc::new(policy));
        self
    }

    /// The same verifier with other titles for a representative's commercial-registration
    /// certificate than [`crate::authority::DEFAULT_REPRESENTATIVE_TITLES`].
    pub fn with_representative_titles(mut self, titles: RepresentativeTitles) -> Self {
        self.titles = titles;
        self
    }

    /// The titles that make a commercial-registration certificate a representative's.
    pub fn representative_titles(&self) -> &RepresentativeTitles {
        &self.titles
    }

    /// What this verifier (and its clones) remember between calls.
    pub fn verification_cache(&self) -> &VerificationCache {
        &self.cache
    }

    /// The same verifier with another revocation policy.
    pub fn with_revocation(mut self, revocation: RevocationPolicy) -> Self {
        self.revocation = revocation;
        self
    }

    /// The same verifier with another signature provider.
    pub fn with_provider(mut self, provider: &'static dyn SignatureVerifier) -> Self {
        self.provider = provider;
        self
    }

    /// The verdict on `input`.
    pub fn verify_contract(&self, input: &ContractInput<'_>) -> Verdict {
        let mut verdict = Verdict::default();
        let Some(pool) = supplied_certificates(input.certificates, &mut verdict) else {
            return verdict;
        };
        let run = Run {
            verifier: self,
            crls: input.crls,
            pool: &pool,
            enrollments: &NoEnrollments,
        };
        let Some(contract) = run.contract(input, &mut verdict) else {
            return verdict;
        };
        let Some((supplied, enrollment)) = run.supplied(input, contract.at, &mut verdict) else {
            return verdict;
        };
        // A JPKI-signed root PoA's authority: the enrollment its registration named, as the
        // evidence carried it.
        let carried = CarriedEnrollment(enrollment);
        let run = Run {
            enrollments: &carried,
            ..run
        };
        run.chain(&supplied, &contract, &mut verdict);
        verdict
    }

    /// The verdict on one PoA on its own, as a registry checks a submission: its signature and
    /// content, its signer (the company's representative, or the parent's delegatee) with a
    /// valid certificate at `input.at`, and for a sub-delegation the whole chain above it, each
    /// scope within its parent's. The registry status of each PoA is the caller's to check.
    pub fn verify_delegation(&self, input: &DelegationInput<'_>) -> DelegationVerdict {
        let mut verdict = Verdict::default();
        let Some(pool) = supplied_certificates(input.certificates, &mut verdict) else {
            return DelegationVerdict {
                verdict,
                delegation: None,
                signer_sha256: None,
                signing_act: None,
            };
        };
        let run = Run {
            verifier: self,
            crls: input.crls,
            pool: &pool,
            enrollments: input.enrollments,
        };
        let checked = Ancestor {
            cms: input.delegation,
            registered_at: input.at,
        };
        let supplied: Vec<SuppliedPoa> = std::iter::once(&checked)
            .chain(input.ancestors)
            .map(|poa| SuppliedPoa {
                id: DelegationId::of_cms(poa.cms),
                cms: poa.cms.to_vec(),
                status: StatusSource::Caller {
                    registered_at: poa.registered_at,
                },
            })
            .collect();
        let first = DelegationId::of_cms(input.delegation);
        let links = run.verified_chain(&supplied, first, input.at, &mut verdict);
        let delegation = links.first().and_then(|link| link.delegation.clone());
        let signed = links.first().and_then(|link| link.cms.as_ref());
        verdict.facts.grant = delegation.as_ref().map(|d| d.grant.clone());
        DelegationVerdict {
            verdict,
            delegation,
            signer_sha256: signed.map(|cms| *cms.signer.sha256()),
            signing_act: signed.and_then(|cms| cms.signing_act().ok()),
        }
    }
}

impl Verifier {
    /// Verifies a signed request (a CMS SignedData with attached content, such as a registry
    /// request) and its signer's certificate path for `role` at `at`: the content, the signer,
    /// and the role of the anchor reached. Whether that signer may ask what the content asks
    /// is the caller's decision.
    pub fn verify_signed(
        &self,
        cms: &[u8],
        role: SignerRole,
        crls: &[&Crl],
        at: UnixTime,
    ) -> Result<VerifiedSigner, Error> {
        let cache = Some(self.cache.as_ref());
        let signed = verify_cms_with(self.provider, cache, cms, None, &[])?;
        let path = self.standalone_path(&signed.signer, &signed.certificates, role, crls, at)?;
        Ok(VerifiedSigner {
            content: signed.content.to_vec(),
            signer: signed.signer,
            anchor_role: path.anchor_role,
        })
    }

    /// Verifies the certificate `der`'s path for `role` at `at` (an operator checking a card
    /// before enrolling it): the certificate, and the role of the anchor reached.
    pub fn verify_certificate(
        &self,
        der: &[u8],
        role: SignerRole,
        crls: &[&Crl],
        at: UnixTime,
    ) -> Result<(Certificate, AnchorRole), Error> {
        let certificate = Certificate::from_der(der)?;
        let path = self.standalone_path(&certificate, &[], role, crls, at)?;
        Ok((certificate, path.anchor_role))
    }

    /// `certificate`'s path for `role` at `at`, outside a contract's verification.
    fn standalone_path(
        &self,
        certificate: &Certificate,
        carried: &[Certificate],
        role: SignerRole,
        crls: &[&Crl],
        at: UnixTime,
    ) -> Result<VerifiedPath, Error> {
        let context = PathContext {
            provider: self.provider,
            anchors: &self.anchors,
            crls,
            revocation: self.revocation,
            at,
            cache: Some(self.cache.as_ref()),
        };
        verify_path(&context, certificate, carried, role)
    }
}

/// A signed request whose signature and signer's path verified.
#[derive(Clone, Debug)]
pub struct VerifiedSigner {
    /// The signed content.
    pub content: Vec<u8>,
    /// The signer's certificate.
    pub signer: Certificate,
    /// The role of the trust anchor the signer's path reached.
    pub anchor_role: AnchorRole,
}

/// One PoA to check on its own.
#[derive(Clone, Copy, Debug)]
pub struct DelegationInput<'a> {
    /// The PoA's CMS SignedData (DER).
    pub delegation: &'a [u8],
    /// For a sub-delegation, its registered ancestors, parent first, up to the root PoA.
    pub ancestors: &'a [Ancestor<'a>],
    /// CRLs for every certificate path, parsed ([`Crl::from_der`]): a caller that keeps its
    /// CRLs parses each once, not once a call.
    pub crls: &'a [&'a Crl],
    /// Extra certificates for path building.
    pub certificates: &'a [&'a [u8]],
    /// The time to check at.
    pub at: UnixTime,
    /// Where a JPKI-signed root PoA's enrollment is found.
    pub enrollments: &'a dyn Enrollments,
}

/// A registered PoA above the one checked.
#[derive(Clone, Copy, Debug)]
pub struct Ancestor<'a> {
    /// Its CMS SignedData (DER).
    pub cms: &'a [u8],
    /// When it was registered: the time its signer's authority is judged at, so that a PoA
    /// granted by a representative whose enrollment has since ended still carries its chain.
    pub registered_at: UnixTime,
}

/// The verdict on one PoA, and its content when it could be read.
#[derive(Clone, Debug)]
pub struct DelegationVerdict {
    /// Every reason the PoA is not sound; accepted when there are none.
    pub verdict: Verdict,
    /// The PoA's content, decoded and validated, if its signature and content could be read.
    pub delegation: Option<Delegation>,
    /// SHA-256 of the certificate that signed it, if its signature verified.
    pub signer_sha256: Option<[u8; 32]>,
    /// Its signature's [signing act](crate::verify_cms::VerifiedCms::signing_act), if it
    /// verified: the same for every encoding of this signed PoA.
    pub signing_act: Option<[u8; 32]>,
}

/// The caller's extra certificates, parsed; `None` (and the reason in `verdict`) if one does
/// not parse.
fn supplied_certificates(
    certificates: &[&[u8]],
    verdict: &mut Verdict,
) -> Option<Vec<Certificate>> {
    match certificates
        .iter()
        .map(|c| Certificate::from_der(c))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(pool) => Some(pool),
        Err(error) => {
            verdict.reasons.push(Reason::SuppliedInput(error));
            None
        }
    }
}

/// The enrollment a bundle carried, if any: the only one a counterparty can rely on.
#[derive(Debug)]
struct CarriedEnrollment(Option<Enrollment>);

impl Enrollments for CarriedEnrollment {
    fn find(
        &self,
        _: &CorporateNumber,
        _: &[u8; 32],
        _: UnixTime,
    ) -> Result<Option<Enrollment>, String> {
        Ok(self.0.clone())
    }
}

/// One verification's borrowed state.
struct Run<'v> {
    verifier: &'v Verifier,
    crls: &'v [&'v Crl],
    pool: &'v [Certificate],
    /// Where a JPKI-signed root PoA's enrollment is found.
    enrollments: &'v dyn Enrollments,
}

/// A PoA of the chain, as far as it could be checked.
struct Link<'a> {
    id: DelegationId,
    cms: Option<VerifiedCms<'a>>,
    delegation: Option<Delegation>,
    /// When the registry registered it, if evidence says: the time its delegator's authority
    /// is judged at (a PoA validly granted survives its granter leaving office).
    registered_at: Option<UnixTime>,
}

/// A PoA as supplied: its id, its CMS, and where its registry status comes from.
struct SuppliedPoa {
    id: DelegationId,
    cms: Vec<u8>,
    status: StatusSource,
}

/// Where a PoA's registry status comes from.
enum StatusSource {
    /// Evidence authenticated under the operator's key.
    Evidence(VerifiedStatus),
    /// Nowhere: unknown, a reason or a warning by the revocation policy.
    Unchecked,
    /// The caller, who keeps the status itself (a registry checking a submission), and says
    /// when the PoA was (or is being) registered.
    Caller {
        /// Its registration time.
        registered_at: UnixTime,
    },
}

/// What the contract established, for the chain checks.
struct ContractState {
    terms: ContractTerms,
    at: UnixTime,
    signer_sha256: [u8; 32],
}

impl<'a> Run<'_> {
    fn context(&self, at: UnixTime) -> PathContext<'_> {
        PathContext {
            provider: self.verifier.provider,
            anchors: &self.verifier.anchors,
            crls: self.crls,
            revocation: self.verifier.revocation,
            at,
            cache: Some(&self.verifier.cache),
        }
    }

    fn path(
        &self,
        certificate: &Certificate,
        carried: &[Certificate],
        role: SignerRole,
        at: UnixTime,
        whose: &str,
        verdict: &mut Verdict,
    ) -> Result<VerifiedPath, Error> {
        let mut intermediates = carried.to_vec();
        intermediates.extend(self.pool.iter().cloned());
        let path = verify_path(&self.context(at), certificate, &intermediates, role)?;
        if path.revocation_unknown > 0 {
            verdict.warnings.push(Warning::RevocationUnchecked {
                whose: whose.to_owned(),
                certificates: path.revocation_unknown,
            });
        }
        Ok(path)
    }

    /// The contract's signature, terms, time and signer; `None` if nothing more can be checked.
    fn contract(&self, input: &ContractInput<'a>, verdict: &mut Verdict) -> Option<ContractState> {
        let provider = self.verifier.provider;
        let cache = Some(self.verifier.cache.as_ref());
        let contract = match verify_cms_with(provider, cache, input.contract, None, self.pool) {
            Ok(contract) => contract,
            Err(error) => {
                verdict.reasons.push(Reason::ContractSignature(error));
                return None;
            }
        };
        verdict.facts.claimed_signing_time = contract.claimed_signing_time;
        let terms = match decode_contract_terms(contract.content) {
            Ok(terms) => terms,
            Err(error) => {
                verdict.reasons.push(Reason::ContractTerms(error));
                return None;
            }
        };
        verdict.facts.terms = Some(terms.clone());
        match input.document {
            Some(document) if Sha256::digest(document).as_slice() != terms.document.sha256 => {
                verdict.reasons.push(Reason::DocumentMismatch);
            }
            Some(_) => {}
            None => verdict.warnings.push(Warning::DocumentNotChecked),
        }
        match &input.expected_counterparty {
            Some(expected) if *expected != terms.counterparty => {
                verdict.reasons.push(Reason::CounterpartyMismatch {
                    named: terms.counterparty,
                    expected: *expected,
                });
            }
            Some(_) => {}
            None => verdict.warnings.push(Warning::CounterpartyNotChecked {
                named: terms.counterparty,
            }),
        }

        let at = self.trusted_time(&contract, input.verification_time, verdict);
        let signer_sha256: [u8; 32] = *contract.signer.sha256();
        verdict.facts.signer_certificate_sha256 = Some(signer_sha256);
        verdict.facts.signer = JpkiIdentity::of(&contract.signer);
        if let Err(error) = self.path(
            &contract.signer,
            &contract.certificates,
            SignerRole::Employee,
            at,
            "signer",
            verdict,
        ) {
            verdict.reasons.push(Reason::SignerCertificate(error));
        }
        Some(ContractState {
            terms,
            at,
            signer_sha256,
        })
    }

    /// The PoAs supplied, with their authenticated registry status when evidence was given,
    /// and the enrollment the evidence carries for the root PoA's signer.
    fn supplied(
        &self,
        input: &ContractInput<'a>,
        at: UnixTime,
        verdict: &mut Verdict,
    ) -> Option<(Vec<SuppliedPoa>, Option<Enrollment>)> {
        let mut enrollment = None;
        let supplied: Vec<SuppliedPoa> = match input.poa {
            PoaSource::Evidence {
                bundle,
                operator_key,
            } => match verify_evidence_with(
                self.verifier.provider,
                Some(&self.verifier.cache),
                bundle,
                operator_key,
                at,
                self.verifier.witnesses.as_deref(),
            ) {
                Ok(evidence) => {
                    verdict.facts.checkpoint = Some(evidence.checkpoint);
                    enrollment = evidence.root_enrollment;
                    evidence
                        .links
                        .into_iter()
                        .map(|link| SuppliedPoa {
                            // The evidence checked that the statement names this CMS's id.
                            id: link.status.delegation_id,
                            cms: link.delegation_cms,
                            status: StatusSource::Evidence(link.status),
                        })
                        .collect()
                }
                Err(error) => {
                    verdict.reasons.push(Reason::Evidence(error));
                    return None;
                }
            },
            PoaSource::Unchecked(poas) => poas
                .iter()
                .map(|cms| SuppliedPoa {
                    id: DelegationId::of_cms(cms),
                    cms: cms.to_vec(),
                    status: StatusSource::Unchecked,
                })
                .collect(),
        };
        if supplied.len() > MAX_CHAIN_LINKS {
            verdict.reasons.push(Reason::ChainMalformed {
                detail: format!("{} links, at most {MAX_CHAIN_LINKS}", supplied.len()),
            });
            return None;
        }
        Some((supplied, enrollment))
    }

    /// T: a verified timestamp's genTime, else the verification time.
    fn trusted_time(
        &self,
        contract: &VerifiedCms<'_>,
        verification_time: UnixTime,
        verdict: &mut Verdict,
    ) -> UnixTime {
        let Some(token) = contract.timestamp_token else {
            verdict.warnings.push(Warning::NoTimestamp);
            verdict.facts.time = Some((verification_time, TimeSource::VerificationTime));
            return verification_time;
        };
        match verify_timestamp(
            &self.context(verification_time),
            token,
            contract.signature,
            self.pool,
        ) {
            Ok(timestamp) => {
                if timestamp.path.revocation_unknown > 0 {
                    verdict.warnings.push(Warning::RevocationUnchecked {
                        whose: "timestamp authority".into(),
                        certificates: timestamp.path.revocation_unknown,
                    });
                }
                verdict.facts.time = Some((timestamp.gen_time, TimeSource::Timestamp));
                timestamp.gen_time
            }
            Err(error) => {
                verdict.reasons.push(Reason::Timestamp(error));
                verdict.facts.time = Some((verification_time, TimeSource::VerificationTime));
                verification_time
            }
        }
    }

    /// The chain from the PoA the terms name up to its root, each link checked, then the
    /// contract against the leaf.
    fn chain(&self, supplied: &[SuppliedPoa], contract: &ContractState, verdict: &mut Verdict) {
        let at = contract.at;
        let links = self.verified_chain(supplied, contract.terms.delegation_id, at, verdict);
        if let Some(leaf) = links.first().and_then(|l| l.delegation.as_ref()) {
            verdict.facts.grant = Some(leaf.grant.clone());
            if leaf.delegatee.certificate_sha256 != contract.signer_sha256 {
                verdict
                    .reasons
                    .push(Reason::SignerNotDelegatee { id: links[0].id });
            }
            if let Err(violations) = covers(&leaf.grant, &contract.terms.policy_terms(), at) {
                verdict
                    .reasons
                    .extend(violations.into_iter().map(|violation| Reason::Scope {
                        id: links[0].id,
                        violation,
                    }));
            }
        }
    }

    /// The chain from the PoA `first` up to its root, from the `supplied` PoAs: each link's
    /// signature, content and status, each signer (the parent's delegatee, or the company's
    /// representative at the root) with a valid certificate at `at`, each scope within its
    /// parent's.
    fn verified_chain<'b>(
        &self,
        supplied: &'b [SuppliedPoa],
        first: DelegationId,
        at: UnixTime,
        verdict: &mut Verdict,
    ) -> Vec<Link<'b>>
    where
        'a: 'b,
    {
        let mut links: Vec<Link<'b>> = Vec::new();
        let mut remaining: Vec<&'b SuppliedPoa> = supplied.iter().collect();
        let mut expected = Some(first);
        while let Some(id) = expected {
            if links.iter().any(|l| l.id == id) {
                verdict.reasons.push(Reason::ChainMalformed {
                    detail: format!("{id} appears twice: the chain loops"),
                });
                return links;
            }
            let Some(position) = remaining.iter().position(|supplied| supplied.id == id) else {
                verdict.reasons.push(Reason::PoaNotProvided { id });
                return links;
            };
            let supplied = remaining.remove(position);
            let link = self.link(id, &supplied.cms, &supplied.status, at, verdict);
            expected = link.delegation.as_ref().and_then(|d| d.parent);
            let unreadable = link.delegation.is_none();
            links.push(link);
            if unreadable {
                // Without the content the parent is unknown: the chain stops here.
                break;
            }
        }
        if !remaining.is_empty() {
            verdict.reasons.push(Reason::ChainMalformed {
                detail: format!("{} supplied PoA(s) are not in the chain", remaining.len()),
            });
        }
        verdict.facts.chain = links.iter().map(|l| l.id).collect();
        for index in 0..links.len() {
            self.check_signer(&links[index], links.get(index + 1), at, verdict);
        }
        if let Some(root) = links.last().and_then(|l| l.delegation.as_ref()) {
            verdict.facts.company = Some(root.delegator.clone());
            verdict.facts.representative = Some(root.representative.clone());
        }
        links
    }

    /// One link: its signature, its content, its registry status.
    fn link<'b>(
        &self,
        id: DelegationId,
        cms: &'b [u8],
        status: &StatusSource,
        at: UnixTime,
        verdict: &mut Verdict,
    ) -> Link<'b>
    where
        'a: 'b,
    {
        let mut link = Link {
            id,
            cms: None,
            delegation: None,
            registered_at: None,
        };
        match status {
            StatusSource::Evidence(status) => {
                link.registered_at = Some(status.registered_at);
                check_status(id, &status.status, at, verdict);
            }
            StatusSource::Unchecked => match self.verifier.revocation {
                RevocationPolicy::Strict => verdict.reasons.push(Reason::PoaStatusUnknown { id }),
                RevocationPolicy::Lenient => {
                    verdict.warnings.push(Warning::PoaStatusUnchecked { id });
                }
            },
            StatusSource::Caller { registered_at } => link.registered_at = Some(*registered_at),
        }
        let cache = Some(self.verifier.cache.as_ref());
        match verify_cms_with(self.verifier.provider, cache, cms, None, self.pool) {
            Ok(verified) => {
                match decode_delegation(verified.content) {
                    Ok(delegation) => link.delegation = Some(delegation),
                    Err(error) => verdict.reasons.push(Reason::PoaContent { id, error }),
                }
                link.cms = Some(verified);
            }
            Err(error) => verdict.reasons.push(Reason::PoaSignature { id, error }),
        }
        link
    }

    /// Who signed `link`: its parent's delegatee (a sub-delegation) or the company's
    /// representative (a root PoA), with a valid certificate at T.
    fn check_signer(
        &self,
        link: &Link<'_>,
        parent: Option<&Link<'_>>,
        at: UnixTime,
        verdict: &mut Verdict,
    ) {
        let (Some(cms), Some(delegation)) = (&link.cms, &link.delegation) else {
            return;
        };
        let id = link.id;
        let whose = format!("power of attorney {id}");
        match parent.and_then(|p| p.delegation.as_ref()) {
            Some(parent_delegation) => {
                let signer_sha256: [u8; 32] = *cms.signer.sha256();
                if signer_sha256 != parent_delegation.delegatee.certificate_sha256 {
                    verdict
                        .reasons
                        .push(Reason::SubDelegatorNotParentDelegatee { id });
                }
                if delegation.delegator != parent_delegation.delegator
                    || delegation.representative != parent_delegation.representative
                {
                    verdict.reasons.push(Reason::ChainCompanyMismatch { id });
                }
                if let Err(widenings) = within(&delegation.grant, &parent_delegation.grant) {
                    verdict.reasons.extend(
                        widenings
                            .into_iter()
                            .map(|widening| Reason::Widening { id, widening }),
                    );
                }
                if let Err(error) = self.path(
                    &cms.signer,
                    &cms.certificates,
                    SignerRole::Employee,
                    at,
                    &whose,
                    verdict,
                ) {
                    verdict
                        .reasons
                        .push(Reason::DelegatorCertificate { id, error });
                }
            }
            None if parent.is_some() => {
                // The parent's content failed; its own reason is already recorded.
            }
            None => match self.path(
                &cms.signer,
                &cms.certificates,
                SignerRole::Representative,
                at,
                &whose,
                verdict,
            ) {
                Ok(path) => self.check_representative(
                    id,
                    delegation,
                    &cms.signer,
                    &path,
                    link.registered_at.unwrap_or(at),
                    verdict,
                ),
                Err(error) => verdict
                    .reasons
                    .push(Reason::DelegatorCertificate { id, error }),
            },
        }
    }
}

impl Run<'_> {
    /// A root PoA's signer must hold authority over the company when the PoA was granted
    /// (`at`), and be the representative the PoA names.
    fn check_representative(
        &self,
        id: DelegationId,
        delegation: &Delegation,
        signer: &Certificate,
        path: &VerifiedPath,
        at: UnixTime,
        verdict: &mut Verdict,
    ) {
        let company = &delegation.delegator.corporate_number;
        let proven = authority(
            signer,
            path.anchor_role,
            company,
            at,
            &self.verifier.titles,
            self.enrollments,
        );
        // The name the PoA states must be the signer's: as registered (exactly) for a
        // commercial-registration certificate, as the card states it (spaces aside: JPKI puts
        // one between family and given names, the register none) for an enrolled card.
        let named = &delegation.representative.name;
        let (holder, same) = match proven {
            Ok(Proof::Registered(registration)) => {
                let name = registration.director_name.clone();
                verdict.facts.representative_registration = Some(registration);
                let same = name == *named;
                (name, same)
            }
            Ok(Proof::Enrolled(enrollment)) => {
                verdict.facts.representative_enrollment = Some(enrollment);
                let name = JpkiIdentity::of(signer)
                    .and_then(|identity| identity.name)
                    .unwrap_or_default();
                let same = same_person(&name, named);
                (name, same)
            }
            Err(why) => {
                verdict
                    .reasons
                    .push(Reason::RepresentativeAuthorityUnproven { id, why });
                return;
            }
        };
        if !same {
            verdict.reasons.push(Reason::DirectorNameMismatch {
                id,
                poa: named.clone(),
                certificate: holder,
            });
        }
    }
}

/// What a registry status means for a contract signed at `at`.
fn check_status(id: DelegationId, status: &RegistryStatus, at: UnixTime, verdict: &mut Verdict) {
    match status {
        RegistryStatus::Active | RegistryStatus::Expired => {}
        RegistryStatus::Revoked {
            at: revoked_at,
            code,
            reason,
        } if *revoked_at <= at => verdict.reasons.push(Reason::PoaRevoked {
            id,
            at: *revoked_at,
            code: *code,
            reason: reason.clone(),
        }),
        RegistryStatus::Superseded { at: since, by } if *since <= at => {
            verdict.reasons.push(Reason::PoaSuperseded {
                id,
                at: *since,
                by: *by,
            });
        }
        RegistryStatus::ParentInactive { at: since } if *since <= at => {
            verdict
                .reasons
                .push(Reason::PoaParentInactive { id, at: *since });
        }
        RegistryStatus::Revoked { .. }
        | RegistryStatus::Superseded { .. }
        | RegistryStatus::ParentInactive { .. } => {}
        RegistryStatus::Unknown => verdict.reasons.push(Reason::PoaStatusUnknown { id }),
    }
}
