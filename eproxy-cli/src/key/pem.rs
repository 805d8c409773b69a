//! `pem:KEYFILE,CERTFILE`: a private key as PEM (PKCS#8 or encrypted PKCS#8, RSA or ECDSA
//! P-384; or RSA PKCS#1) and its certificate, optionally followed by CA certificates, as PEM or
//! DER.

use std::path::Path;

use rsa::PrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;

use crate::error::CliError;
use crate::input::{read_certificates, read_limited};
use crate::key::software::SoftwareKey;
use crate::secret::SecretSource;

/// The largest key file read.
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// Opens the key in `key_file` with the certificate(s) in `certificate_file`.
pub fn open(
    key_file: &Path,
    certificate_file: &Path,
    password: &SecretSource,
) -> Result<SoftwareKey, CliError> {
    let bytes = read_limited(key_file, MAX_KEY_FILE_BYTES, "key file")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::new(format!("{} is not a PEM key file", key_file.display())))?;
    let unreadable = |e: &dyn std::fmt::Display| {
        CliError::new(format!(
            "{}: cannot read the private key: {e}",
            key_file.display()
        ))
    };
    let mut certificates = read_certificates(certificate_file)?;
    let certificate = certificates.remove(0);
    let source = key_file.display().to_string();
    let pem_der = || {
        der::pem::decode_vec(text.trim().as_bytes())
            .map(|(_, der)| der)
            .map_err(|e| unreadable(&e))
    };
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let secret = password.read(&source)?;
        let encrypted = pem_der()?;
        let plain = rsa::pkcs8::EncryptedPrivateKeyInfoRef::try_from(encrypted.as_slice())
            .and_then(|info| info.decrypt(secret.as_bytes()))
            .map_err(|e| unreadable(&e).fix("check the password; the key is encrypted"))?;
        SoftwareKey::from_pkcs8(plain.as_bytes(), certificate, certificates, &source)
    } else if text.contains("-----BEGIN PRIVATE KEY-----") {
        SoftwareKey::from_pkcs8(&pem_der()?, certificate, certificates, &source)
    } else if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        let key = PrivateKey::from_pkcs1_pem(text).map_err(|e| unreadable(&e))?;
        SoftwareKey::new(key, certificate, certificates, &source)
    } else {
        Err(CliError::new(format!(
            "{} holds no PEM private key (PRIVATE KEY, ENCRYPTED PRIVATE KEY or RSA PRIVATE KEY)",
            key_file.display()
        )))
    }
}
