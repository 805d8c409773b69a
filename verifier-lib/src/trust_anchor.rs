//! Trust anchors, grouped by the role they may vouch for.
//!
//! A JPKI *signing* root anchors natural persons' signatures: an employee's, or a representative
//! signing with their My Number card. A commercial-registration root anchors representatives
//! only. A JPKI *user-authentication* root anchors nothing eproxy accepts: those certificates
//! prove a login, not a signature. A time-stamping root anchors RFC 3161 timestamps only.

use std::fmt;

use crate::Error;
use crate::certificate::Certificate;

/// What a trust anchor vouches for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnchorRole {
    /// A JPKI signing root (署名用電子証明書).
    JpkiSigning,
    /// A JPKI user-authentication root (利用者証明用電子証明書): never anchors a signature.
    JpkiAuthentication,
    /// A commercial-registration root (商業登記電子証明書).
    CommercialRegistration,
    /// A time-stamping authority's root.
    TimeStamping,
    /// A root trusted for path validation alone (`eproxy cert check --role any`): it vouches
    /// for no eproxy role, so it never anchors a PoA, a contract or a timestamp.
    Unscoped,
}

impl fmt::Display for AnchorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AnchorRole::JpkiSigning => "JPKI signing",
            AnchorRole::JpkiAuthentication => "JPKI user-authentication",
            AnchorRole::CommercialRegistration => "commercial-registration",
            AnchorRole::TimeStamping => "time-stamping",
            AnchorRole::Unscoped => "unscoped",
        })
    }
}

/// Whose signature a certificate path is validated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignerRole {
    /// An employee (a delegatee): JPKI signing roots only.
    Employee,
    /// A company's representative: JPKI signing or commercial-registration roots.
    Representative,
    /// A time-stamping authority: time-stamping roots only.
    TimeStampingAuthority,
    /// Any end entity, for RFC 5280 path validation alone (`eproxy cert check --role any`):
    /// every anchor, and no key usage required of the leaf. Never used to accept a signature.
    Any,
}

impl SignerRole {
    /// Whether an anchor of `role` may vouch for this signer.
    pub fn accepts(self, role: AnchorRole) -> bool {
        matches!(
            (self, role),
            (SignerRole::Employee, AnchorRole::JpkiSigning)
                | (SignerRole::Representative, AnchorRole::JpkiSigning)
                | (
                    SignerRole::Representative,
                    AnchorRole::CommercialRegistration
                )
                | (SignerRole::TimeStampingAuthority, AnchorRole::TimeStamping)
                | (SignerRole::Any, _)
        )
    }
}

impl fmt::Display for SignerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignerRole::Employee => "employee",
            SignerRole::Representative => "representative",
            SignerRole::TimeStampingAuthority => "time-stamping authority",
            SignerRole::Any => "any end entity",
        })
    }
}

/// One trust anchor: a root certificate and its role.
#[derive(Clone, Debug)]
pub struct TrustAnchor {
    role: AnchorRole,
    certificate: Certificate,
}

impl TrustAnchor {
    /// The anchor `der` (a certificate) for `role`. The certificate is parsed now, once: a bad
    /// anchor is refused at configuration time, and no verification parses it again.
    pub fn new(role: AnchorRole, der: Vec<u8>) -> Result<Self, Error> {
        Ok(Self {
            role,
            certificate: Certificate::from_der(&der)?,
        })
    }

    /// The anchor's role.
    pub fn role(&self) -> AnchorRole {
        self.role
    }

    /// The anchor certificate's DER.
    pub fn der(&self) -> &[u8] {
        self.certificate.der()
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }
}

/// The configured trust anchors.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor>,
}

impl TrustAnchors {
    /// No anchors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `anchor`.
    pub fn add(&mut self, anchor: TrustAnchor) {
        self.anchors.push(anchor);
    }

    /// Every anchor, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &TrustAnchor> {
        self.anchors.iter()
    }
}

/// The real JPKI roots compiled in (see `verifier-lib/trust-anchors/README.md`): the signing
/// roots of generations 1 and 3, and the user-authentication roots of the same generations,
/// held only so that a certificate under one is refused with its own reason.
pub fn jpki_roots() -> Vec<TrustAnchor> {
    const ROOTS: [(AnchorRole, &str); 4] = [
        (
            AnchorRole::JpkiSigning,
            include_str!("../trust-anchors/jpki/jpki-sign-root-gen1.pem"),
        ),
        (
            AnchorRole::JpkiSigning,
            include_str!("../trust-anchors/jpki/jpki-sign-root-gen3.pem"),
        ),
        (
            AnchorRole::JpkiAuthentication,
            include_str!("../trust-anchors/jpki/jpki-auth-root-gen1.pem"),
        ),
        (
            AnchorRole::JpkiAuthentication,
            include_str!("../trust-anchors/jpki/jpki-auth-root-gen3.pem"),
        ),
    ];
    ROOTS
        .iter()
        .filter_map(|(role, pem)| {
            let der = crate::pem::decode_all(
                pem.as_bytes(),
                "CERTIFICATE",
                crate::InputKind::Certificate,
            )
            .ok()?
            .pop()?;
            TrustAnchor::new(*role, der).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_jpki_root_loads_with_its_role() {
        let roots = jpki_roots();
        let roles: Vec<AnchorRole> = roots.iter().map(|r| r.role()).collect();
        assert_eq!(
            roles,
            [
                AnchorRole::JpkiSigning,
                AnchorRole::JpkiSigning,
                AnchorRole::JpkiAuthentication,
                AnchorRole::JpkiAuthentication
            ]
        );
        // Both signing generations share one name; the verifier picks by signature.
        assert_eq!(
            roots[0].certificate().subject_der(),
            roots[1].certificate().subject_der()
        );
        assert_ne!(
            roots[0].certificate().sha256(),
            roots[1].certificate().sha256()
        );
    }

    #[test]
    fn roles_meet_only_their_anchors_and_unscoped_roots_serve_path_validation_alone() {
        let anchors = [
            AnchorRole::JpkiSigning,
            AnchorRole::JpkiAuthentication,
            AnchorRole::CommercialRegistration,
            AnchorRole::TimeStamping,
            AnchorRole::Unscoped,
        ];
        let accepted = |signer: SignerRole| -> Vec<AnchorRole> {
            anchors.into_iter().filter(|a| signer.accepts(*a)).collect()
        };
        assert_eq!(accepted(SignerRole::Employee), [AnchorRole::JpkiSigning]);
        assert_eq!(
            accepted(SignerRole::Representative),
            [AnchorRole::JpkiSigning, AnchorRole::CommercialRegistration]
        );
        assert_eq!(
            accepted(SignerRole::TimeStampingAuthority),
            [AnchorRole::TimeStamping]
        );
        assert_eq!(accepted(SignerRole::Any), anchors);
    }
}
