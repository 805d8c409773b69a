//! Every reason a verification can fail, one variant each.

use der::asn1::ObjectIdentifier;
use eproxy_policy::UnixTime;

use crate::trust_anchor::{AnchorRole, SignerRole};

/// What an input is, for size limits and parse errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// A CMS ContentInfo carrying SignedData.
    Cms,
    /// An X.509 certificate.
    Certificate,
    /// An X.509 CRL.
    Crl,
    /// An RFC 3161 TimeStampToken.
    TimestampToken,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputKind::Cms => "CMS SignedData",
            InputKind::Certificate => "certificate",
            InputKind::Crl => "CRL",
            InputKind::TimestampToken => "timestamp token",
        })
    }
}

/// Why something did not verify. Each variant names one exact condition; none is ever returned
/// for an input that verified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the limit for its kind (see [`crate::limits`]); it was refused
    /// before parsing.
    #[error("{kind} of {actual} bytes exceeds the limit of {limit} bytes")]
    InputTooLarge {
        /// What the input was.
        kind: InputKind,
        /// Its size.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// The input uses a BER-only encoding (an indefinite length, as `openssl cms -stream`
    /// writes): eproxy accepts DER only, so that every signed byte has one reading.
    #[error("{kind} is not DER (BER indefinite-length encoding); re-encode it as DER")]
    NotDer {
        /// What the input was.
        kind: InputKind,
    },
    /// The input is not well-formed DER of the expected structure.
    #[error("malformed {kind}: {detail}")]
    Malformed {
        /// What the input was.
        kind: InputKind,
        /// Which part failed to parse, and how.
        detail: String,
    },

    /// The ContentInfo's contentType is not id-signedData.
    #[error("the CMS content is {content_type}, not SignedData")]
    NotSignedData {
        /// The content type found.
        content_type: ObjectIdentifier,
    },
    /// The SignedData has no SignerInfo or more than one; eproxy's formats have exactly one
    /// signer.
    #[error("CMS SignedData has {count} signers; exactly one is required")]
    SignerCount {
        /// The number of SignerInfos.
        count: usize,
    },
    /// No certificate in the CMS or the caller's pool matches the signer identifier.
    #[error("the signer's certificate is not in the CMS nor in the certificates given")]
    SignerCertificateNotFound,
    /// The SignedData carries no content and none was given (detached signature).
    #[error("the signature is detached and no content was given to check it against")]
    DetachedContentMissing,
    /// The SignedData carries content and different content was also given.
    #[error("the content given differs from the content the CMS carries")]
    ContentMismatch,
    /// A digest algorithm eproxy does not know.
    #[error("unsupported digest algorithm {oid}")]
    UnsupportedDigestAlgorithm {
        /// The algorithm's OID.
        oid: ObjectIdentifier,
    },
    /// A broken digest algorithm (SHA-1, MD5), refused whatever else verifies.
    #[error("{name} is broken and refused")]
    WeakDigestAlgorithm {
        /// The algorithm's name.
        name: &'static str,
    },
    /// Signed attributes lack the content-type attribute, or carry it more than once.
    #[error("signed attributes must carry exactly one content-type (found {count})")]
    ContentTypeAttributeCount {
        /// How many were found.
        count: usize,
    },
    /// The content-type attribute differs from the eContentType it signs for.
    #[error("signed content-type attribute {attribute} differs from eContentType {econtent_type}")]
    ContentTypeMismatch {
        /// The attribute's value.
        attribute: ObjectIdentifier,
        /// The encapsulated content's type.
        econtent_type: ObjectIdentifier,
    },
    /// Signed attributes lack the message-digest attribute, or carry it more than once.
    #[error("signed attributes must carry exactly one message-digest (found {count})")]
    MessageDigestAttributeCount {
        /// How many were found.
        count: usize,
    },
    /// The message-digest attribute is not the digest of the content.
    #[error("the signed message-digest does not match the content")]
    MessageDigestMismatch,
    /// An attribute (signed or unsigned) appears twice where the format allows it once.
    #[error("attribute {oid} appears more than once")]
    DuplicateAttribute {
        /// The attribute's type.
        oid: ObjectIdentifier,
    },

    /// A signature algorithm eproxy does not support.
    #[error("unsupported signature algorithm {oid}")]
    UnsupportedSignatureAlgorithm {
        /// The algorithm's OID.
        oid: ObjectIdentifier,
    },
    /// A signature algorithm built on a broken digest (e.g. sha1WithRSAEncryption).
    #[error("signature algorithm {name} is broken and refused")]
    WeakSignatureAlgorithm {
        /// The algorithm's name.
        name: &'static str,
    },
    /// The signature algorithm does not fit the key (e.g. ECDSA with an RSA key).
    #[error("signature algorithm {signature} cannot be used with a {key} key")]
    AlgorithmKeyMismatch {
        /// The signature algorithm.
        signature: ObjectIdentifier,
        /// The key's algorithm.
        key: ObjectIdentifier,
    },
    /// A certificate's key is of an algorithm eproxy does not accept (RSA, ECDSA on P-256 or
    /// P-384, and Ed25519 are).
    #[error("key algorithm {oid} is not supported")]
    UnsupportedKeyAlgorithm {
        /// The key's algorithm.
        oid: ObjectIdentifier,
    },
    /// An RSA key smaller than 2048 bits.
    #[error("RSA key of {bits} bits is too small (at least 2048 required)")]
    RsaKeyTooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// An algorithm's parameters are not the ones eproxy accepts (e.g. RSA-PSS with a salt length
    /// other than the hash length).
    #[error("unsupported parameters for {oid}")]
    UnsupportedAlgorithmParameters {
        /// The algorithm.
        oid: ObjectIdentifier,
    },
    /// The signature over the signed content or attributes does not verify with the signer's
    /// key.
    #[error("the CMS signature does not verify with the signer's certificate")]
    InvalidSignature,

    /// A certificate was not yet valid at the validation time.
    #[error("certificate not valid before {not_before}, validation time {at}")]
    CertificateNotYetValid {
        /// Its notBefore.
        not_before: UnixTime,
        /// The validation time.
        at: UnixTime,
    },
    /// A certificate had expired at the validation time.
    #[error("certificate expired at {not_after}, validation time {at}")]
    CertificateExpired {
        /// Its notAfter.
        not_after: UnixTime,
        /// The validation time.
        at: UnixTime,
    },
    /// No issuer certificate (trust anchor, CMS certificate or pool certificate) bears the name of
    /// a certificate's issuer.
    #[error("no trust anchor or intermediate issued this certificate")]
    UnknownIssuer,
    /// Certificates named as the issuer exist, but none of their keys verifies the signature.
    #[error("the certificate's signature does not verify with any issuer of that name")]
    InvalidCertificateSignature,
    /// An issuer in the path is not a CA (basicConstraints absent or cA false).
    #[error("an issuer in the path is not a CA")]
    IssuerNotCa,
    /// A CA's pathLenConstraint is exceeded.
    #[error("path length constraint exceeded")]
    PathLengthExceeded,
    /// A CA in the path lacks keyUsage keyCertSign.
    #[error("an issuer in the path may not sign certificates (keyUsage lacks keyCertSign)")]
    IssuerKeyUsage,
    /// The signer's certificate permits neither digitalSignature nor nonRepudiation.
    #[error(
        "the signer's certificate may not sign (keyUsage lacks digitalSignature and nonRepudiation)"
    )]
    SignerKeyUsage,
    /// The signer's certificate is a CA certificate.
    #[error("the signer's certificate is a CA certificate")]
    SignerIsCa,
    /// A critical extension eproxy does not understand.
    #[error("unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// An extension appears twice in one certificate (RFC 5280 4.2).
    #[error("extension {oid} appears more than once")]
    DuplicateExtension {
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// A certificate of the path, the anchor included, breaks a rule of RFC 5280's profile
    /// that conforming CAs must follow (see [`crate::profile`]).
    #[error("a certificate breaks RFC 5280's profile: {rule}")]
    NonConformingCertificate {
        /// The rule.
        rule: crate::profile::ProfileRule,
    },
    /// A CRL covering the certificate at the validation time was supplied, but its issuer's
    /// keyUsage does not assert cRLSign (RFC 5280 6.3.3 (f)): the CRL cannot be trusted, and
    /// a revocation list that cannot be trusted is not taken as silence.
    #[error(
        "a CRL for the certificate is signed by a CA whose keyUsage does not permit CRL signing"
    )]
    CrlIssuerKeyUsage,
    /// The path ends at a JPKI user-authentication root. That certificate proves who logged in,
    /// never who signed: the law gives its signatures no effect.
    #[error(
        "the certificate chains to a JPKI user-authentication root, which never anchors a signature"
    )]
    AuthenticationRootCannotAnchorSignature,
    /// The path ends at an anchor whose role does not cover the signer's (e.g. an employee's
    /// certificate under a commercial-registration root).
    #[error("a {anchor} root cannot anchor a {signer} signature")]
    AnchorRoleMismatch {
        /// The role the signer needed.
        signer: SignerRole,
        /// The role of the anchor reached.
        anchor: AnchorRole,
    },
    /// The time-stamping authority's certificate lacks a critical extendedKeyUsage of exactly
    /// id-kp-timeStamping (RFC 3161 2.3).
    #[error(
        "the time-stamping certificate lacks a critical extendedKeyUsage of timeStamping alone"
    )]
    TimeStampingUsage,
    /// Path building gave up after checking the maximum number of signatures.
    #[error("path building exceeded its budget of signature checks")]
    SignatureBudgetExceeded,
    /// Path building gave up at the maximum path length.
    #[error("certificate path too long")]
    PathTooLong,

    /// The timestamp token's content is not a TSTInfo.
    #[error("the timestamp token carries {content_type}, not TSTInfo")]
    TimestampNotTstInfo {
        /// The eContentType found.
        content_type: ObjectIdentifier,
    },
    /// The timestamp's messageImprint is not the digest of the signature it should cover: it
    /// timestamps other data.
    #[error("the timestamp covers other data than this signature")]
    TimestampImprintMismatch,
    /// The timestamp's signed attributes lack an ESS signingCertificateV2 naming the TSA's
    /// certificate by its hash (RFC 3161 2.4.1, RFC 5816), or name another certificate.
    #[error("the timestamp does not bind the TSA's certificate (signingCertificateV2)")]
    TimestampSigningCertificate,
    /// A time-stamping authority's reply does not carry the nonce of the request it answers
    /// (RFC 3161 2.4.2): it may be a replayed or misdirected token.
    #[error("the timestamp does not carry the request's nonce")]
    TimestampNonceMismatch,

    /// A signed checkpoint (C2SP signed note) or a verifier key is not in the expected format.
    #[error("malformed checkpoint or note key: {detail}")]
    CheckpointMalformed {
        /// What is wrong.
        detail: String,
    },
    /// The checkpoint carries no signature line by the pinned operator key.
    #[error("the checkpoint is not signed by the pinned operator key")]
    CheckpointSignatureMissing,
    /// The checkpoint's origin line is not the pinned key's name: a checkpoint of another log
    /// the operator's key also signs (C2SP tlog-checkpoint names the key after the log).
    #[error("the checkpoint is of the log {origin:?}, not of {key:?} whose key is pinned")]
    CheckpointOriginMismatch {
        /// The checkpoint's origin.
        origin: String,
        /// The pinned key's name.
        key: String,
    },
    /// The checkpoint's signature by the pinned key does not verify.
    #[error("the checkpoint's signature by the operator key does not verify")]
    CheckpointSignatureInvalid,
    /// Registry evidence does not decode, or breaks a format rule.
    #[error("malformed registry evidence: {detail}")]
    EvidenceMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A status statement's signature does not verify under the pinned operator key.
    #[error("the status statement's signature does not verify under the operator key")]
    StatusStatementSignatureInvalid,
    /// A status statement speaks of another PoA or another log than the one it accompanies.
    #[error("the status statement's {field} does not match the evidence it accompanies")]
    StatusStatementMismatch {
        /// The field that differs.
        field: &'static str,
    },
    /// A status statement was produced before the signing time: it cannot say that nothing
    /// happened before then.
    #[error("the status statement was produced at {produced_at}, before the signing time {at}")]
    StatusStatementStale {
        /// When it was produced.
        produced_at: UnixTime,
        /// The signing time.
        at: UnixTime,
    },
    /// The registry does not know the PoA.
    #[error("the registry does not know this power of attorney")]
    NotRegistered,
    /// The registration event is not this PoA's registration at the stated time.
    #[error("the registration log event does not match the status statement")]
    RegistrationEventMismatch,
    /// A registration receipt's signature does not verify under the pinned operator key.
    #[error("the registration receipt's signature does not verify under the operator key")]
    ReceiptSignatureInvalid,
    /// A registration receipt is of another log, or of another PoA than the one submitted.
    #[error("the registration receipt's {field} does not match")]
    ReceiptMismatch {
        /// What differs.
        field: &'static str,
    },
    /// An enrollment's signature does not verify under the pinned operator key.
    #[error("the enrollment's signature does not verify under the operator key")]
    EnrollmentSignatureInvalid,
    /// An enrollment is of another log, is not the one the root PoA's registration names, or
    /// its log event is not its enrollment at the stated time before that registration.
    #[error("the enrollment's {field} does not match the evidence it accompanies")]
    EnrollmentMismatch {
        /// What differs.
        field: &'static str,
    },
    /// The PoA was registered after the signing time: it cannot have authorised the signature.
    #[error("the power of attorney was registered at {registered_at}, after the signing time {at}")]
    RegisteredAfter {
        /// When it was registered.
        registered_at: UnixTime,
        /// The signing time.
        at: UnixTime,
    },
    /// The inclusion proof does not lead from the registration event to the checkpoint's root.
    #[error("the registration is not proven to be in the operator's log")]
    InclusionProofInvalid,
    /// The checkpoint carries no cosignature line by this witness's key.
    #[error("the checkpoint carries no cosignature by the witness {witness}")]
    CosignatureMissing {
        /// The witness's key name.
        witness: String,
    },
    /// The witness's cosignature lines on the checkpoint do not verify.
    #[error("the cosignature by the witness {witness} does not verify")]
    CosignatureInvalid {
        /// The witness's key name.
        witness: String,
    },
    /// A witness policy (C2SP tlog-policy) breaks a rule of the format.
    #[error("witness policy, line {line}: {detail}")]
    WitnessPolicyMalformed {
        /// The line, from 1 (0 for the policy as a whole).
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// The checkpoint is not cosigned by the witnesses the policy's quorum requires.
    #[error("the checkpoint lacks the witnesses' quorum: no valid cosignature by {}", missing.join(", "))]
    QuorumNotMet {
        /// The policy's witnesses whose valid cosignature is not on the checkpoint.
        missing: Vec<String>,
    },
    /// The checkpoint is signed by none of the logs the witness policy lists.
    #[error("the checkpoint is signed by none of the witness policy's logs")]
    CheckpointLogNotInPolicy,
    /// A C2SP tlog-witness `add-checkpoint` request, or a witness's answer to one, breaks a
    /// rule of the format.
    #[error("malformed add-checkpoint exchange: {detail}")]
    AddCheckpointMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A C2SP tlog-proof's entry (its extra data) is not the registration of the PoA it is
    /// checked for, or an evidence bundle holds no link of that PoA to take a proof from.
    #[error("the proof's entry is not this power of attorney's registration")]
    TlogProofEntryMismatch,
    /// A C2SP tlog-proof is not spelled as the format says.
    #[error("malformed tlog-proof: {detail}")]
    TlogProofMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A tile path (C2SP tlog-tiles) is not spelled canonically, or names a level beyond 7.
    #[error("malformed tile path: {detail}")]
    TilePathMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A tile or entry bundle does not have the length its path gives it, or an entry in it is
    /// longer than allowed.
    #[error("malformed tile: {detail}")]
    TileMalformed {
        /// What is wrong.
        detail: String,
    },
    /// A tile could not be fetched.
    #[error("tile {path} could not be fetched: {detail}")]
    TileUnavailable {
        /// The tile's path.
        path: String,
        /// Why (as the fetcher reported it).
        detail: String,
    },
    /// One computation over tiles needed more tiles than a proof ever does.
    #[error("more tiles were needed than one proof needs")]
    TileBudgetExceeded,

    /// A certificate in the path was revoked at or before the validation time.
    #[error("certificate revoked at {revoked_at} (reason: {reason}), validation time {at}")]
    CertificateRevoked {
        /// The CRL's revocationDate.
        revoked_at: UnixTime,
        /// The CRL's reason code, or "unspecified".
        reason: String,
        /// The validation time.
        at: UnixTime,
    },
    /// No CRL given covers a certificate in the path at the validation time, and the policy is
    /// strict.
    #[error("revocation status unknown: no CRL from the issuer covers the validation time")]
    RevocationStatusUnknown,

    // Name constraints and subject alternative names.
    /// A nameConstraints extension (RFC 5280 4.2.1.10) is not well-formed DER of its syntax; has
    /// neither permittedSubtrees nor excludedSubtrees, or an empty list; sets a minimum other
    /// than 0 or a maximum; lists more than 4096 subtrees; or holds a constraint RFC 5280 does
    /// not allow (a dNSName with a leading period or a wildcard, an rfc822Name that is not a
    /// mailbox, host or `.domain`, an iPAddress that is not an address and a contiguous mask).
    #[error("malformed nameConstraints: {detail}")]
    MalformedNameConstraints {
        /// Which subtree failed, and how.
        detail: String,
    },
    /// A name of a certificate (its subject, a subject emailAddress or a subjectAltName entry)
    /// is of a form for which an issuer's nameConstraints lists permitted subtrees, and lies
    /// within none of them, or cannot be placed (e.g. a URI without a domain host).
    #[error("{name} is not within the permitted subtrees of an issuer's name constraints")]
    NameNotPermitted {
        /// The name, its form first.
        name: String,
    },
    /// A name of a certificate lies within an excluded subtree of an issuer's nameConstraints,
    /// or may (a wildcard dNSName, or a name of a form eproxy cannot compare).
    #[error("{name} is within the excluded subtree {constraint} of an issuer's name constraints")]
    NameExcluded {
        /// The name, its form first.
        name: String,
        /// The excluded subtree.
        constraint: String,
    },
    /// Checking name constraints took more (name, constraint) comparisons than the path's
    /// budget ([`crate::name_constraints::NAME_CONSTRAINT_BUDGET`]).
    #[error("name-constraint checking exceeded its budget of comparisons")]
    NameConstraintBudgetExceeded,
    /// A subjectAltName extension (RFC 5280 4.2.1.6) is not well-formed DER of GeneralNames, is
    /// empty, lists more than 4096 names, or holds a name not in its form's syntax (a dNSName
    /// not in preferred name syntax, an rfc822Name that is not a mailbox, an iPAddress of other
    /// than 4 or 16 octets, a URI that is not absolute visible ASCII).
    #[error("malformed subjectAltName: {detail}")]
    MalformedSubjectAltName {
        /// Which name failed, and how.
        detail: String,
    },
}

impl Error {
    /// How specific this error is, for choosing which to report when path building tried several
    /// alternatives and all failed: the deepest, most specific failure explains the most. Higher
    /// is more specific.
    pub(crate) fn rank(&self) -> u32 {
        match self {
            Error::UnknownIssuer => 0,
            Error::SignatureBudgetExceeded | Error::PathTooLong => 10,
            Error::InvalidCertificateSignature => 20,
            Error::AnchorRoleMismatch { .. } => 25,
            Error::AuthenticationRootCannotAnchorSignature => 26,
            Error::IssuerNotCa | Error::IssuerKeyUsage | Error::PathLengthExceeded => 30,
            Error::UnknownCriticalExtension { .. }
            | Error::DuplicateExtension { .. }
            | Error::NonConformingCertificate { .. } => 40,
            Error::CertificateNotYetValid { .. } | Error::CertificateExpired { .. } => 50,
            Error::RevocationStatusUnknown => 55,
            Error::CertificateRevoked { .. } => 60,
            Error::NameNotPermitted { .. } | Error::NameExcluded { .. } => 42,
            Error::NameConstraintBudgetExceeded => 10,
            _ => 45,
        }
    }
}
