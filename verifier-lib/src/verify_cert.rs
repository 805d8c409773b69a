//! Certificate path validation: from a signer's certificate to a trust anchor of a role that may
//! vouch for that signer, at a validation time T.
//!
//! Paths are built by name and chosen by signature: several certificates may bear the issuer's
//! name (the JPKI root generations share one), and only one of them holds the key. Every
//! alternative is tried depth-first within a budget of signature checks; when all fail, the most
//! specific failure is reported (see [`Error::rank`]).

use der::oid::AssociatedOid;
use eproxy_policy::UnixTime;
use x509_cert::ext::pkix::{KeyUsages, SubjectAltName};

use crate::certificate::Certificate;
use crate::crl::{Crl, RevocationStatus, revocation_status};
use crate::crypto::SignatureVerifier;
use crate::limits::{MAX_PATH_LENGTH, SIGNATURE_BUDGET};
use crate::name_constraints::{NAME_CONSTRAINT_BUDGET, NameConstraints};
use crate::signed_data::{check_key_policy, verify_signature};
use crate::trust_anchor::{AnchorRole, SignerRole, TrustAnchors};
use crate::verification_cache::{Signer, VerificationCache};
use crate::{Error, tsa_usage};

/// What missing revocation data means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RevocationPolicy {
    /// No CRL covering T for some certificate in the path: reject with
    /// [`Error::RevocationStatusUnknown`].
    #[default]
    Strict,
    /// Accept, and say in the result that revocation could not be checked.
    Lenient,
}

/// Everything a path validation depends on besides the certificates.
#[derive(Clone, Copy, Debug)]
pub struct PathContext<'a> {
    /// The signature primitive provider.
    pub provider: &'a dyn SignatureVerifier,
    /// The configured anchors.
    pub anchors: &'a TrustAnchors,
    /// CRLs the caller supplies, parsed (a caller that keeps them parses each once).
    pub crls: &'a [&'a Crl],
    /// What a missing CRL means.
    pub revocation: RevocationPolicy,
    /// The validation time T.
    pub at: UnixTime,
    /// Signatures already verified, if the caller keeps a memo across calls.
    pub cache: Option<&'a VerificationCache>,
}

/// A validated path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPath {
    /// The role of the anchor reached.
    pub anchor_role: AnchorRole,
    /// The anchor certificate's DER.
    pub anchor_der: Vec<u8>,
    /// The path from the signer's certificate (first) to the last certificate below the anchor.
    pub chain: Vec<Vec<u8>>,
    /// Under [`RevocationPolicy::Lenient`], the number of certificates in the chain whose
    /// revocation status no CRL told; always 0 under the strict policy.
    pub revocation_unknown: usize,
}

/// Validates `leaf` as the certificate of a `signer`, building through `intermediates` (from the
/// CMS and the caller's pool) to an anchor in `context`.
pub fn verify_path(
    context: &PathContext<'_>,
    leaf: &Certificate,
    intermediates: &[Certificate],
    signer: SignerRole,
) -> Result<VerifiedPath, Error> {
    leaf.check_conformance()?;
    // Every issuer's key meets the algorithm policy when its signature on the certificate
    // below is checked; the signer's own key is held to it here.
    check_key_policy(&leaf.spki())?;
    // RFC 5280 puts no condition on the certificate at the end of a path; eproxy's own roles
    // sign as people and authorities, never as CAs.
    if leaf.is_ca() && signer != SignerRole::Any {
        return Err(Error::SignerIsCa);
    }
    match signer {
        SignerRole::TimeStampingAuthority => tsa_usage::check(leaf)?,
        SignerRole::Any => {}
        SignerRole::Employee | SignerRole::Representative => {
            if !leaf.explicitly_permits(KeyUsages::DigitalSignature)
                && !leaf.explicitly_permits(KeyUsages::NonRepudiation)
            {
                return Err(Error::SignerKeyUsage);
            }
        }
    }
    leaf.check_validity(context.at)?;
    let mut search = Search {
        context,
        intermediates,
        signer,
        budget: SIGNATURE_BUDGET,
        path: vec![leaf.clone()],
    };
    search.extend()
}

struct Search<'c> {
    context: &'c PathContext<'c>,
    intermediates: &'c [Certificate],
    signer: SignerRole,
    budget: usize,
    /// The path so far, signer's certificate first.
    path: Vec<Certificate>,
}

impl Search<'_> {
    /// Extends the path above its last certificate, trying anchors first, then intermediates.
    fn extend(&mut self) -> Result<VerifiedPath, Error> {
        let mut best = Error::UnknownIssuer;
        let keep = |error: Error, best: &mut Error| {
            if error.rank() > best.rank() {
                *best = error;
            }
        };
        let child = self.path.last().cloned().ok_or(Error::UnknownIssuer)?;

        for anchor in self.context.anchors.iter() {
            let root = anchor.certificate();
            if root.subject_der() != child.issuer_der() {
                continue;
            }
            match self.try_anchor(&child, root, anchor.role()) {
                Ok(mut verified) => {
                    verified.anchor_der = anchor.der().to_vec();
                    return Ok(verified);
                }
                Err(Error::SignatureBudgetExceeded) => return Err(Error::SignatureBudgetExceeded),
                Err(error) => keep(error, &mut best),
            }
        }

        if self.path.len() + 1 >= MAX_PATH_LENGTH {
            keep(Error::PathTooLong, &mut best);
            return Err(best);
        }
        for candidate in self.intermediates {
            if candidate.subject_der() != child.issuer_der()
                || self.path.iter().any(|c| c.der() == candidate.der())
            {
                continue;
            }
            let outcome = self
                .check_issuer(&child, candidate)
                .and_then(|()| self.check_intermediate(candidate))
                .and_then(|()| {
                    self.path.push(candidate.clone());
                    let extended = self.extend();
                    self.path.pop();
                    extended
                });
            match outcome {
                Ok(verified) => return Ok(verified),
                Err(Error::SignatureBudgetExceeded) => return Err(Error::SignatureBudgetExceeded),
                Err(error) => keep(error, &mut best),
            }
        }
        Err(best)
    }

    /// Completes the path at an anchor: signature, the anchor's own certificate (a conforming
    /// CA that may sign certificates, valid at T) and role, the name constraints along the
    /// path, then revocation of every certificate below it.
    fn try_anchor(
        &mut self,
        child: &Certificate,
        root: &Certificate,
        role: AnchorRole,
    ) -> Result<VerifiedPath, Error> {
        self.check_issuer(child, root)?;
        if !root.is_ca() {
            return Err(Error::IssuerNotCa);
        }
        if !root.permits(KeyUsages::KeyCertSign) {
            return Err(Error::IssuerKeyUsage);
        }
        root.check_anchor_conformance()?;
        root.check_validity(self.context.at)?;
        if role == AnchorRole::JpkiAuthentication {
            return Err(Error::AuthenticationRootCannotAnchorSignature);
        }
        if !self.signer.accepts(role) {
            return Err(Error::AnchorRoleMismatch {
                signer: self.signer,
                anchor: role,
            });
        }
        self.check_name_constraints(root)?;
        let mut revocation_unknown = 0;
        for (index, certificate) in self.path.iter().enumerate() {
            let issuer = self.path.get(index + 1).unwrap_or(root);
            let status = revocation_status(self.context, certificate, issuer)?;
            if status == RevocationStatus::Unknown {
                match self.context.revocation {
                    RevocationPolicy::Strict => return Err(Error::RevocationStatusUnknown),
                    RevocationPolicy::Lenient => revocation_unknown += 1,
                }
            }
        }
        Ok(VerifiedPath {
            anchor_role: role,
            anchor_der: Vec::new(),
            chain: self.path.iter().map(|c| c.der().to_vec()).collect(),
            revocation_unknown,
        })
    }

    /// RFC 5280 6.1.3 (b) and (c): every name of every certificate below a CA whose
    /// certificate constrains names (the anchor's included) lies within those constraints.
    /// Self-issued intermediates pass over them; the signer's certificate never does.
    fn check_name_constraints(&self, root: &Certificate) -> Result<(), Error> {
        let mut budget = NAME_CONSTRAINT_BUDGET;
        let issuers = self.path.iter().skip(1).chain(std::iter::once(root));
        for (position, ca) in (1..).zip(issuers) {
            let Some(extension) = ca.extension(x509_cert::ext::pkix::NameConstraints::OID) else {
                continue;
            };
            let constraints = NameConstraints::from_der(extension.value)?;
            for (index, certificate) in self.path[..position].iter().enumerate() {
                if index > 0 && certificate.is_self_issued() {
                    continue;
                }
                let alt_names = certificate.extension(SubjectAltName::OID).map(|e| e.value);
                constraints.check(certificate.subject_der(), alt_names, &mut budget)?;
            }
        }
        Ok(())
    }

    /// Whether `issuer` signed `child`, spending one unit of the budget.
    fn check_issuer(&mut self, child: &Certificate, issuer: &Certificate) -> Result<(), Error> {
        if self.budget == 0 {
            return Err(Error::SignatureBudgetExceeded);
        }
        self.budget -= 1;
        let signed = child.signed();
        let verify = || {
            verify_signature(
                self.context.provider,
                &issuer.spki(),
                &signed.algorithm,
                None,
                signed.tbs,
                signed.signature,
            )
        };
        let verified = match self.context.cache {
            Some(cache) => {
                cache.check_signature(child.sha256(), Signer::Certificate(issuer.sha256()), verify)
            }
            None => verify(),
        };
        verified.map_err(|error| match error {
            Error::InvalidSignature => Error::InvalidCertificateSignature,
            other => other,
        })
    }

    /// The checks an intermediate CA must pass to issue the path below it.
    fn check_intermediate(&self, ca: &Certificate) -> Result<(), Error> {
        if !ca.is_ca() {
            return Err(Error::IssuerNotCa);
        }
        if !ca.permits(KeyUsages::KeyCertSign) {
            return Err(Error::IssuerKeyUsage);
        }
        ca.check_conformance()?;
        // Intermediates already below this one: neither the signer's certificate nor a
        // self-issued one counts (RFC 5280 4.2.1.9, 6.1.4 (l)).
        let below = self.path[1..]
            .iter()
            .filter(|c| !c.is_self_issued())
            .count();
        if ca
            .path_len_constraint()
            .is_some_and(|limit| below > usize::from(limit))
        {
            return Err(Error::PathLengthExceeded);
        }
        ca.check_validity(self.context.at)
    }
}
