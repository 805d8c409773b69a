//! `pkcs11:MODULE[;token=LABEL][;id=HEX]`: a key that never leaves its token, used through the
//! token's PKCS#11 module (the `cryptoki` crate).
//!
//! In real use this is the My Number card through OpenSC (`opensc-pkcs11.so`): its signing key
//! and certificate sit in the token labelled "Digital Signature PIN (JPKI)" under CKA_ID 02, and
//! the certificate can be read only after login. In the test suite it is SoftHSM2.
//!
//! The token is chosen by label, never by slot number (slot numbers change when readers come
//! and go). An RSA key signs with CKM_RSA_PKCS over a DigestInfo built here, the one RSA
//! mechanism every module offers (the card's included); an ECDSA P-384 key (the
//! next-generation card) with CKM_ECDSA over the SHA-384 digest. The message is hashed on the
//! host either way.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use eproxy_verifier::certificate::Certificate;
use sha2::{Digest as _, Sha256, Sha384};

use crate::error::CliError;
use crate::key::{SignatureAlgorithm, SigningKey, ecdsa};
use crate::secret::SecretSource;

/// The DER prefix of a DigestInfo for SHA-256 (RFC 8017 section 9.2, note 1).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Where a key is on a token, as the KEY argument names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKey {
    /// The PKCS#11 module (a shared library).
    pub module: std::path::PathBuf,
    /// The token's label; the only token present when absent.
    pub token: Option<String>,
    /// The key's and certificate's CKA_ID; the only key on the token when absent.
    pub id: Option<Vec<u8>>,
}

impl TokenKey {
    /// Parses `MODULE[;token=LABEL][;id=HEX]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split(';');
        let module = parts.next().unwrap_or_default();
        let mut key = Self {
            module: module.into(),
            token: None,
            id: None,
        };
        for part in parts {
            match part.split_once('=') {
                Some(("token", label)) if !label.is_empty() => key.token = Some(label.to_owned()),
                Some(("id", hex_id)) => {
                    key.id = Some(hex::decode(hex_id).map_err(|_| {
                        format!("pkcs11: id={hex_id} is not hexadecimal (e.g. id=02)")
                    })?);
                }
                _ => {
                    return Err(format!("pkcs11: {part:?} is not token=LABEL or id=HEX"));
                }
            }
        }
        Ok(key)
    }

    /// Loads the module, finds the token, logs in with the PIN and finds the key and its
    /// certificate.
    pub fn open(&self, pin: &SecretSource) -> Result<TokenSigner, CliError> {
        let module = self.module.display().to_string();
        let session = self.session(pin, false)?;
        let key = self.object(&session, ObjectClass::PRIVATE_KEY, &module)?;
        let certificate_object = self.object(&session, ObjectClass::CERTIFICATE, &module)?;
        let value = session
            .get_attributes(certificate_object, &[AttributeType::Value])
            .map_err(|e| failed(&module, "read the certificate", e))?;
        let Some(Attribute::Value(der)) = value.into_iter().next() else {
            return Err(CliError::new(format!(
                "PKCS#11 module {module}: the certificate object has no value"
            )));
        };
        let certificate = Certificate::from_der(&der)
            .map_err(|e| CliError::new(format!("the token's certificate: {e}")))?;
        Ok(TokenSigner {
            session,
            key,
            algorithm: SignatureAlgorithm::of(&certificate)?,
            certificate,
        })
    }

    /// Stores `certificate` on the token beside its key, under this key's id: what a PKCS#11
    /// tool's "write object" does, for tokens (such as SoftHSM2) whose key was imported alone.
    #[cfg(feature = "testkit")]
    pub fn store_certificate(
        &self,
        pin: &SecretSource,
        certificate: &Certificate,
    ) -> Result<(), CliError> {
        let module = self.module.display().to_string();
        let id = self
            .id
            .clone()
            .ok_or_else(|| CliError::new("name the id the certificate is stored under: ;id=HEX"))?;
        let session = self.session(pin, true)?;
        session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(cryptoki::object::CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::Id(id),
                Attribute::Subject(certificate.subject_der().to_vec()),
                Attribute::Value(certificate.der().to_vec()),
            ])
            .map_err(|e| failed(&module, "store the certificate", e))?;
        Ok(())
    }

    /// A session on the token, logged in as its user.
    fn session(&self, pin: &SecretSource, read_write: bool) -> Result<Session, CliError> {
        let module = self.module.display().to_string();
        let context = Pkcs11::new(&self.module).map_err(|e| {
            failed(&module, "load it", e).fix(
                "name the module's shared library, e.g. /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
            )
        })?;
        context
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| failed(&module, "initialise it", e))?;
        let slot = self.slot(&context, &module)?;
        let session = if read_write {
            context.open_rw_session(slot)
        } else {
            context.open_ro_session(slot)
        }
        .map_err(|e| failed(&module, "open a session", e))?;
        let label = self.token.clone().unwrap_or_else(|| "the token".into());
        let secret = AuthPin::from(pin.read(&format!("{label} ({module})"))?);
        session.login(UserType::User, Some(&secret)).map_err(|e| {
            failed(&module, "log in", e).fix("check the PIN; a card locks after a few wrong tries")
        })?;
        Ok(session)
    }

    /// The slot holding the token named, or the only token present.
    fn slot(&self, context: &Pkcs11, module: &str) -> Result<cryptoki::slot::Slot, CliError> {
        let slots = context.get_slots_with_token().map_err(|e| {
            CliError::new(format!("PKCS#11 module {module}: cannot list tokens: {e}"))
        })?;
        let mut labels = Vec::new();
        for slot in slots {
            let Ok(info) = context.get_token_info(slot) else {
                continue;
            };
            let label = info.label().trim_end().to_owned();
            if self.token.as_deref().is_none_or(|wanted| wanted == label) {
                labels.push((slot, label));
            }
        }
        match labels.as_slice() {
            [(slot, _)] => Ok(*slot),
            [] => Err(CliError::new(match &self.token {
                Some(wanted) => format!("PKCS#11 module {module}: no token labelled {wanted:?}"),
                None => format!("PKCS#11 module {module}: no token present"),
            })
            .fix("insert the card (or token) and check the reader")),
            several => Err(CliError::new(format!(
                "PKCS#11 module {module}: several tokens ({}); say which with ;token=LABEL",
                several
                    .iter()
                    .map(|(_, l)| format!("{l:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The one object of `class` (with the id asked for, if any).
    fn object(
        &self,
        session: &Session,
        class: ObjectClass,
        module: &str,
    ) -> Result<ObjectHandle, CliError> {
        let mut template = vec![Attribute::Class(class)];
        if let Some(id) = &self.id {
            template.push(Attribute::Id(id.clone()));
        }
        let what = if class == ObjectClass::PRIVATE_KEY {
            "private key"
        } else {
            "certificate"
        };
        let found = session.find_objects(&template).map_err(|e| {
            CliError::new(format!(
                "PKCS#11 module {module}: cannot search for the {what}: {e}"
            ))
        })?;
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(CliError::new(format!(
                "PKCS#11 module {module}: no {what}{} on the token",
                self.id
                    .as_ref()
                    .map(|id| format!(" with id {}", hex::encode(id)))
                    .unwrap_or_default()
            ))),
            _ => Err(CliError::new(format!(
                "PKCS#11 module {module}: several objects could be the {what}"
            ))
            .fix("say which with ;id=HEX (the My Number card's signing key is id=02)")),
        }
    }
}

fn failed(module: &str, doing: &str, e: cryptoki::error::Error) -> CliError {
    CliError::new(format!("PKCS#11 module {module}: cannot {doing}: {e}"))
}

/// An open, logged-in session with the key found.
pub struct TokenSigner {
    session: Session,
    key: ObjectHandle,
    algorithm: SignatureAlgorithm,
    certificate: Certificate,
}

impl SigningKey for TokenSigner {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn chain(&self) -> &[Certificate] {
        &[]
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CliError> {
        let failed =
            |e: &dyn std::fmt::Display| CliError::new(format!("the token could not sign: {e}"));
        match self.algorithm {
            SignatureAlgorithm::RsaPkcs1Sha256 => {
                let mut digest_info = SHA256_DIGEST_INFO_PREFIX.to_vec();
                digest_info.extend_from_slice(&Sha256::digest(message));
                self.session
                    .sign(&Mechanism::RsaPkcs, self.key, &digest_info)
                    .map_err(|e| failed(&e))
            }
            SignatureAlgorithm::EcdsaP384Sha384 => {
                let fixed = self
                    .session
                    .sign(&Mechanism::Ecdsa, self.key, &Sha384::digest(message))
                    .map_err(|e| failed(&e))?;
                ecdsa::der_from_fixed(&fixed).ok_or_else(|| {
                    failed(&format!(
                        "its ECDSA signature is {} bytes, not r and s of equal length",
                        fixed.len()
                    ))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_id_are_optional_and_checked() {
        let key =
            TokenKey::parse("/usr/lib/opensc-pkcs11.so;token=Digital Signature PIN (JPKI);id=02")
                .unwrap();
        assert_eq!(key.token.as_deref(), Some("Digital Signature PIN (JPKI)"));
        assert_eq!(key.id, Some(vec![2]));
        assert_eq!(TokenKey::parse("m.so").unwrap().id, None);
        assert!(
            TokenKey::parse("m.so;id=zz")
                .unwrap_err()
                .contains("not hexadecimal")
        );
        assert!(
            TokenKey::parse("m.so;slot=1")
                .unwrap_err()
                .contains("token=LABEL")
        );
    }
}
