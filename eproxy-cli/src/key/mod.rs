//! The signer's key, wherever it lives, named on the command line as KEY:
//!
//! - `pkcs12:FILE`: a PKCS#12 file, the form a commercial-registration certificate arrives in;
//! - `pem:KEYFILE,CERTFILE`: a PKCS#8 (or PKCS#1) private key and its certificate, PEM;
//! - `pkcs11:MODULE[;token=LABEL][;id=HEX]`: a token through its PKCS#11 module, such as the
//!   My Number card through OpenSC.
//!
//! Every kind ends as a [`SigningKey`]: a certificate and the one operation CMS needs, in the
//! one scheme its key has: RSASSA-PKCS1-v1_5 with SHA-256 for today's JPKI cards and
//! commercial-registration certificates (RSA-2048), ECDSA P-384 with SHA-384 for the
//! next-generation My Number card.

use const_oid::db::rfc5912::{
    ID_EC_PUBLIC_KEY as EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_384_R_1 as SECP384R1,
};
use std::path::PathBuf;

use der::asn1::ObjectIdentifier;
use eproxy_verifier::certificate::Certificate;

use crate::error::CliError;
use crate::secret::SecretSource;

mod ecdsa;
mod pem;
mod pkcs11;
mod pkcs12;
mod software;

pub use pkcs11::TokenKey;

/// A key that signs, with the certificate that names it.
pub trait SigningKey {
    /// The signer's certificate.
    fn certificate(&self) -> &Certificate;
    /// Other certificates that came with the key (CA certificates of a PKCS#12 file), to embed
    /// for path building.
    fn chain(&self) -> &[Certificate];
    /// The scheme [`SigningKey::sign`] signs with: the certificate's key decides it.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// A signature over `message` in [`SigningKey::algorithm`] (an ECDSA signature DER-encoded,
    /// as CMS carries it).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CliError>;
}

/// The signature schemes eproxy signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: today's JPKI cards and commercial-registration
    /// certificates.
    RsaPkcs1Sha256,
    /// ECDSA over P-384 with SHA-384: the next-generation My Number card.
    EcdsaP384Sha384,
}

impl SignatureAlgorithm {
    /// The scheme `certificate`'s key signs with; an error for any key that is neither RSA nor
    /// ECDSA P-384.
    pub fn of(certificate: &Certificate) -> Result<Self, CliError> {
        let spki = certificate.spki();
        let curve = spki
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        match (spki.algorithm.oid, curve) {
            (RSA_ENCRYPTION, _) => Ok(Self::RsaPkcs1Sha256),
            (EC_PUBLIC_KEY, Some(SECP384R1)) => Ok(Self::EcdsaP384Sha384),
            (oid, curve) => Err(CliError::new(format!(
                "the certificate's key ({oid}{}) is neither RSA nor ECDSA P-384: eproxy cannot \
                 sign with it",
                curve.map(|c| format!(", curve {c}")).unwrap_or_default()
            ))),
        }
    }
}

/// A KEY argument, parsed but not yet opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// `pkcs12:FILE`.
    Pkcs12(PathBuf),
    /// `pem:KEYFILE,CERTFILE`.
    Pem {
        /// The private key.
        key: PathBuf,
        /// Its certificate.
        certificate: PathBuf,
    },
    /// `pkcs11:MODULE[;token=LABEL][;id=HEX]`.
    Pkcs11(TokenKey),
}

impl std::str::FromStr for KeySpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const FORMS: &str =
            "write pkcs12:FILE, pem:KEYFILE,CERTFILE or pkcs11:MODULE[;token=LABEL][;id=HEX]";
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} does not say what kind of key it is: {FORMS}"))?;
        if rest.is_empty() {
            return Err(format!("{kind}: names no file: {FORMS}"));
        }
        match kind {
            "pkcs12" => Ok(Self::Pkcs12(rest.into())),
            "pem" => match rest.split_once(',') {
                Some((key, certificate)) if !key.is_empty() && !certificate.is_empty() => {
                    Ok(Self::Pem {
                        key: key.into(),
                        certificate: certificate.into(),
                    })
                }
                _ => Err(format!(
                    "pem:{rest}: name the key file and the certificate file, pem:KEYFILE,CERTFILE"
                )),
            },
            "pkcs11" => TokenKey::parse(rest).map(Self::Pkcs11),
            other => Err(format!("{other:?} is not a kind of key: {FORMS}")),
        }
    }
}

/// Where passwords and PINs come from: the options every signing command shares.
#[derive(Clone, Debug)]
pub struct Secrets {
    /// The PKCS#12 or PEM password.
    pub password: SecretSource,
    /// The PKCS#11 PIN.
    pub pin: SecretSource,
}

impl KeySpec {
    /// Opens the key, asking for its password or PIN if it needs one.
    pub fn open(&self, secrets: &Secrets) -> Result<Box<dyn SigningKey>, CliError> {
        Ok(match self {
            Self::Pkcs12(file) => Box::new(pkcs12::open(file, &secrets.password)?),
            Self::Pem { key, certificate } => {
                Box::new(pem::open(key, certificate, &secrets.password)?)
            }
            Self::Pkcs11(token) => Box::new(token.open(&secrets.pin)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_parses_and_malformed_ones_say_why() {
        assert_eq!(
            "pkcs12:rep.p12".parse::<KeySpec>(),
            Ok(KeySpec::Pkcs12("rep.p12".into()))
        );
        assert_eq!(
            "pem:a.key.pem,a.pem".parse::<KeySpec>(),
            Ok(KeySpec::Pem {
                key: "a.key.pem".into(),
                certificate: "a.pem".into()
            })
        );
        for (text, why) in [
            ("rep.p12", "does not say what kind"),
            ("pkcs12:", "names no file"),
            ("pem:a.key.pem", "pem:KEYFILE,CERTFILE"),
            ("pem:,a.pem", "pem:KEYFILE,CERTFILE"),
            ("jks:store", "is not a kind of key"),
        ] {
            let error = text.parse::<KeySpec>().unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        }
    }
}
