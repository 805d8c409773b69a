//! Issuing a certificate from a template, and the credential (certificate plus private key) that
//! comes out.

use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_384 as ECDSA_WITH_SHA384, SHA_256_WITH_RSA_ENCRYPTION as SHA256_WITH_RSA,
};
use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY as EC_PUBLIC_KEY, SECP_384_R_1 as SECP384R1};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _};
use der::asn1::BitString;
use der::referenced::OwnedToRef;
use der::{Encode, EncodePem, pem::LineEnding};
use eproxy_policy::Validity;
use rsa::PrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};
use signature::{Keypair, Signer};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding, SubjectPublicKeyInfoOwned,
};
use x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use x509_cert::certificate::{Certificate, TbsCertificate};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::Error;
use crate::extensions::{
    authority_key_identifier, ca_constraints, key_identifier, key_usage, subject_key_identifier,
};
use crate::keys::{KeyName, p384_key, rsa_key};
use crate::time::x509_time;

/// A certificate together with its private key: what a card or a PKCS#12 file holds.
#[derive(Clone, Debug)]
pub struct Credential {
    certificate: Certificate,
    der: Vec<u8>,
    key: PrivateKeyOf,
}

/// A credential's private key.
#[derive(Clone, Debug)]
enum PrivateKeyOf {
    Rsa {
        key: Arc<PrivateKey>,
        /// The same key for aws-lc-rs, made on first use (`None` if it refuses the key): see
        /// [`Credential::sign_fast`].
        fast: Arc<OnceLock<Option<aws_lc_rs::rsa::KeyPair>>>,
    },
    /// ECDSA over P-384, signing with SHA-384: the next-generation My Number card.
    P384(Arc<EcdsaKeyPair>),
}

impl PrivateKeyOf {
    fn rsa(key: Arc<PrivateKey>) -> Self {
        Self::Rsa {
            key,
            fast: Arc::default(),
        }
    }

    fn of(name: &KeyName) -> Result<Self, Error> {
        if name.is_p384() {
            Ok(Self::P384(p384_key(name)?))
        } else {
            Ok(Self::rsa(rsa_key(name)?))
        }
    }

    /// The SubjectPublicKeyInfo of the key.
    fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, Error> {
        match self {
            Self::Rsa { key, .. } => SubjectPublicKeyInfoOwned::from_key(&key.to_public_key())
                .map_err(|e| Error::KeyEncoding(e.to_string())),
            Self::P384(key) => Ok(SubjectPublicKeyInfoOwned {
                algorithm: AlgorithmIdentifierOwned {
                    oid: EC_PUBLIC_KEY,
                    parameters: Some(der::Any::from(&SECP384R1)),
                },
                subject_public_key: BitString::from_bytes(key.public_key().as_ref())?,
            }),
        }
    }
}

/// A credential's key as x509-cert's builder and the CRL writer sign with it: sha256WithRSA
/// for an RSA key, ecdsa-with-SHA384 for a P-384 key.
pub struct CredentialSigner<'a> {
    key: &'a PrivateKeyOf,
    spki: SubjectPublicKeyInfoOwned,
}

/// A SubjectPublicKeyInfo, as the builder asks a signer for its public key.
#[derive(Clone, Debug)]
pub struct PublicKeyInfo(SubjectPublicKeyInfoOwned);

impl EncodePublicKey for PublicKeyInfo {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::encode_msg(&self.0)?)
    }
}

/// A signature value as the signer made it.
#[derive(Clone, Debug)]
pub struct SignatureBytes(pub Vec<u8>);

impl SignatureBitStringEncoding for SignatureBytes {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

impl Keypair for CredentialSigner<'_> {
    type VerifyingKey = PublicKeyInfo;

    fn verifying_key(&self) -> PublicKeyInfo {
        PublicKeyInfo(self.spki.clone())
    }
}

impl DynSignatureAlgorithmIdentifier for CredentialSigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        match self.key {
            // RFC 4055: sha256WithRSAEncryption's parameters are NULL.
            PrivateKeyOf::Rsa { .. } => Ok(AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA,
                parameters: Some(der::Any::from(der::asn1::Null)),
            }),
            // RFC 5758: the ECDSA algorithms take none.
            PrivateKeyOf::P384(_) => Ok(AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA384,
                parameters: None,
            }),
        }
    }
}

impl Signer<SignatureBytes> for CredentialSigner<'_> {
    fn try_sign(&self, message: &[u8]) -> Result<SignatureBytes, signature::Error> {
        use signature::SignatureEncoding as _;
        match self.key {
            PrivateKeyOf::Rsa { key, .. } => Ok(SignatureBytes(
                SigningKey::<Sha256>::new(PrivateKey::clone(key))
                    .try_sign(message)?
                    .to_vec(),
            )),
            PrivateKeyOf::P384(key) => sign_p384(key, message)
                .map(SignatureBytes)
                .ok_or_else(signature::Error::new),
        }
    }
}

/// An ECDSA P-384 signature (DER) with SHA-384 over `message`.
fn sign_p384(key: &EcdsaKeyPair, message: &[u8]) -> Option<Vec<u8>> {
    let random = aws_lc_rs::rand::SystemRandom::new();
    key.sign(&random, message).ok().map(|s| s.as_ref().to_vec())
}

impl Credential {
    /// A credential read back from the PEM files the kit writes (`NAME.pem`, `NAME.key.pem`),
    /// for tools that act as one of its parties (the test TSA of `eproxy testkit tsa`).
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<Self, Error> {
        use der::DecodePem as _;
        use rsa::pkcs8::DecodePrivateKey as _;
        let certificate = Certificate::from_pem(certificate_pem)?;
        let key = match PrivateKey::from_pkcs8_pem(key_pem) {
            Ok(key) => PrivateKeyOf::rsa(Arc::new(key)),
            Err(rsa_error) => {
                let (_, der) = der::pem::decode_vec(key_pem.as_bytes())
                    .map_err(|e| Error::KeyEncoding(e.to_string()))?;
                let key = EcdsaKeyPair::from_pkcs8(
                    &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                    &der,
                )
                .map_err(|e| {
                    Error::KeyEncoding(format!("neither RSA ({rsa_error}) nor P-384 ({e})"))
                })?;
                PrivateKeyOf::P384(Arc::new(key))
            }
        };
        Ok(Self {
            der: certificate.to_der()?,
            certificate,
            key,
        })
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the certificate's DER: the value a PoA binds its delegatee by.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.der).into()
    }

    /// The certificate's subject.
    pub fn subject(&self) -> &Name {
        self.certificate.tbs_certificate().subject()
    }

    /// The certificate's serial number.
    pub fn serial_number(&self) -> &SerialNumber {
        self.certificate.tbs_certificate().serial_number()
    }

    /// The RSA private key; an error for a P-384 credential.
    pub fn private_key(&self) -> Result<&PrivateKey, Error> {
        match &self.key {
            PrivateKeyOf::Rsa { key, .. } => Ok(key),
            PrivateKeyOf::P384(_) => Err(Error::KeyEncoding(
                "an ECDSA P-384 credential has no RSA key".into(),
            )),
        }
    }

    /// Whether the key is ECDSA P-384 (the next-generation card) rather than RSA.
    pub fn is_p384(&self) -> bool {
        matches!(self.key, PrivateKeyOf::P384(_))
    }

    /// The signer certificates and CRLs are issued with: PKCS#1 v1.5 with SHA-256 for RSA (the
    /// scheme JPKI cards and the commercial-registration certificates use), ECDSA with SHA-384
    /// for P-384.
    pub fn signer(&self) -> Result<CredentialSigner<'_>, Error> {
        Ok(CredentialSigner {
            key: &self.key,
            spki: self.key.spki()?,
        })
    }

    /// An ECDSA P-384 signature (DER) with SHA-384 over `message`; `None` for an RSA key.
    pub fn sign_p384(&self, message: &[u8]) -> Option<Vec<u8>> {
        let PrivateKeyOf::P384(key) = &self.key else {
            return None;
        };
        sign_p384(key, message)
    }

    /// An RSASSA-PKCS1-v1_5 signature over `message` with `encoding`'s digest, by aws-lc-rs:
    /// several times faster than RustCrypto's `rsa`, which the load benchmark's millions of
    /// PoAs need. PKCS#1 v1.5 is deterministic, so the bytes are the same as `signing_key`'s.
    /// `None` if aws-lc-rs does not take the key (it refuses keys under 2048 bits, which
    /// refusal tests use).
    pub fn sign_fast(
        &self,
        encoding: &'static dyn aws_lc_rs::signature::RsaEncoding,
        message: &[u8],
    ) -> Option<Vec<u8>> {
        let PrivateKeyOf::Rsa { key, fast } = &self.key else {
            return None;
        };
        let key = fast.get_or_init(|| {
            let pkcs8 = key.to_pkcs8_der().ok()?;
            aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8.as_bytes()).ok()
        });
        let key = key.as_ref()?;
        let mut signature = vec![0; key.public_modulus_len()];
        let random = aws_lc_rs::rand::SystemRandom::new();
        key.sign(encoding, &random, message, &mut signature).ok()?;
        Some(signature)
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn certificate_pem(&self) -> Result<String, Error> {
        Ok(self.certificate.to_pem(LineEnding::LF)?)
    }

    /// The private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn private_key_pem(&self) -> Result<String, Error> {
        match &self.key {
            PrivateKeyOf::Rsa { key, .. } => Ok(key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| Error::KeyEncoding(e.to_string()))?
                .to_string()),
            PrivateKeyOf::P384(key) => {
                let pkcs8 = key
                    .to_pkcs8v1()
                    .map_err(|_| Error::KeyEncoding("P-384 key to PKCS#8".into()))?;
                der::pem::encode_string("PRIVATE KEY", LineEnding::LF, pkcs8.as_ref())
                    .map_err(|e| Error::KeyEncoding(e.to_string()))
            }
        }
    }

    /// The key identifier of this certificate's public key, as its subjectKeyIdentifier and its
    /// children's authorityKeyIdentifier state it.
    pub fn key_identifier(&self) -> Result<der::asn1::OctetString, Error> {
        key_identifier(
            self.certificate
                .tbs_certificate()
                .subject_public_key_info()
                .owned_to_ref(),
        )
    }
}

/// Everything that distinguishes one certificate from another; the kit adds the rest (version 3,
/// the issuer's signature algorithm, subject and authority key identifiers).
#[derive(Clone, Debug)]
pub struct CertificateTemplate {
    /// The subject's key.
    pub key: KeyName,
    /// The serial number; [`serial_number`] derives a stable one from a label.
    pub serial_number: SerialNumber,
    /// The subject name.
    pub subject: Name,
    /// notBefore and notAfter, both inclusive.
    pub validity: Validity,
    /// The profile's extensions, in the order they will appear, after the key identifiers.
    pub extensions: Vec<Extension>,
}

/// Who signs a new certificate.
#[derive(Clone, Copy, Debug)]
pub enum Issuer<'a> {
    /// The certificate signs itself: a root.
    SelfSigned,
    /// A CA's credential signs it.
    Ca(&'a Credential),
}

/// A positive 16-byte serial number derived from `label`: distinct labels give distinct serials
/// (with overwhelming probability), the same label the same serial.
pub fn serial_number(label: &str) -> Result<SerialNumber, Error> {
    let hash = Sha256::digest([b"eproxy-testkit serial v1\0", label.as_bytes()].concat());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    // Positive (top bit clear) and minimal (first byte non-zero), as DER INTEGERs must be.
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    Ok(SerialNumber::new(&bytes)?)
}

/// A self-signed root CA named `subject`: basicConstraints cA (critical) and keyUsage
/// keyCertSign and cRLSign (critical), the shape every root of the kit has.
pub fn self_signed_root(
    key: KeyName,
    serial_number: SerialNumber,
    subject: Name,
    validity: Validity,
) -> Result<Credential, Error> {
    let template = CertificateTemplate {
        key,
        serial_number,
        subject,
        validity,
        extensions: vec![
            ca_constraints(None)?,
            key_usage(KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
        ],
    };
    issue(template, Issuer::SelfSigned)
}

/// Signs `template` as `issuer`.
pub fn issue(template: CertificateTemplate, issuer: Issuer<'_>) -> Result<Credential, Error> {
    let key = PrivateKeyOf::of(&template.key)?;
    let spki = key.spki()?;
    let (issuer_name, issuer_key_id, signer_key) = match issuer {
        Issuer::SelfSigned => (
            template.subject.clone(),
            key_identifier(spki.owned_to_ref())?,
            &key,
        ),
        Issuer::Ca(ca) => (ca.subject().clone(), ca.key_identifier()?, &ca.key),
    };
    let mut extensions = vec![subject_key_identifier(spki.owned_to_ref())?];
    if let Issuer::Ca(_) = issuer {
        // A self-signed root may omit it (RFC 5280 4.2.1.1); issued certificates must carry it.
        extensions.push(authority_key_identifier(issuer_key_id)?);
    }
    extensions.extend(template.extensions);
    let profile = FixedProfile {
        subject: template.subject,
        issuer: issuer_name,
        extensions,
    };
    let validity = x509_cert::time::Validity::new(
        x509_time(template.validity.not_before())?,
        x509_time(template.validity.not_after())?,
    );
    let signer = CredentialSigner {
        key: signer_key,
        spki: signer_key.spki()?,
    };
    let builder = CertificateBuilder::new(profile, template.serial_number, validity, spki)?;
    let certificate = builder.build::<_, SignatureBytes>(&signer)?;
    let der = certificate.to_der()?;
    Ok(Credential {
        certificate,
        der,
        key,
    })
}

/// A builder profile that adds nothing of its own: the template decides every name and extension.
struct FixedProfile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for FixedProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}
