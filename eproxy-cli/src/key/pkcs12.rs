//! `pkcs12:FILE`: a PKCS#12 file (RFC 7292), the form a commercial-registration certificate
//! (商業登記電子証明書) arrives in, read defensively.
//!
//! Both layouts in use are read: OpenSSL 3's default (key under PBES2 with PBKDF2 and AES,
//! certificates in PBES2-encrypted data, an HMAC-SHA-256 MAC) and the legacy one most issuing
//! software still writes (key under pbeWithSHAAnd3-KeyTripleDES-CBC, certificates under
//! pbeWithSHAAnd40BitRC2-CBC, an HMAC-SHA-1 MAC).
//!
//! Order matters for safety: the MAC is checked first (in constant time), over the exact bytes
//! of the AuthenticatedSafe, so nothing unauthenticated is decrypted or parsed further. The file,
//! the bags, the nesting and every iteration count are bounded; scrypt and unknown algorithms
//! are refused by name. Files must be DER, as OpenSSL writes them.
//!
//! Passwords: the legacy key derivation (RFC 7292 appendix B) and the MAC take the password as a
//! BMPString with a two-byte terminator; PBES2 takes its UTF-8 bytes, as OpenSSL does.

use std::path::Path;

use const_oid::db::rfc5912::{ID_SHA_1 as SHA1_OID, ID_SHA_256 as SHA256_OID};
use eproxy_pkcs12::oid::{
    CERT_BAG, ID_DATA, ID_ENCRYPTED_DATA, KEY_BAG, LOCAL_KEY_ID, PBE_SHA1_3DES, PBE_SHA1_RC2_40,
    PBE_SHA1_RC2_128, PBES2, PKCS8_SHROUDED_KEY_BAG, SAFE_CONTENTS_BAG, X509_CERTIFICATE,
};
use eproxy_pkcs12::{
    CertBag, EncryptedData, EncryptedPrivateKeyInfo, MacData, PbeParameters, Pfx, Purpose, SafeBag,
    bmp_password, kdf,
};

use cms::content_info::ContentInfo;
use der::asn1::OctetString;
use der::{Decode, Encode};
use eproxy_verifier::certificate::Certificate;
use hmac::{Hmac, Mac};
use rsa::PrivateKey;
use rsa::pkcs8::DecodePrivateKey as _;
use sha1::Sha1;
use sha2::Sha256;
use spki::AlgorithmIdentifierOwned;

use crate::error::CliError;
use crate::input::read_limited;
use crate::key::software::SoftwareKey;
use crate::secret::SecretSource;

/// The largest PKCS#12 file read: a key and a chain are a few kilobytes.
const MAX_FILE_BYTES: usize = 1024 * 1024;
/// The most bags read, in all.
const MAX_BAGS: usize = 64;
/// How deep safeContentsBags may nest.
const MAX_DEPTH: usize = 2;
/// The most iterations of any key derivation: OpenSSL writes 2,048.
const MAX_ITERATIONS: u64 = 1_000_000;

/// Why a PKCS#12 file could not be read; [`open`] names the file.
#[derive(Debug, PartialEq, Eq)]
enum Pkcs12Error {
    /// Not DER of the expected structure.
    Malformed(&'static str),
    /// The MAC did not match: a wrong password, or an altered file.
    BadMac,
    /// No MAC at all: the file's integrity cannot be checked with a password.
    NoMac,
    /// A decryption failed after the MAC matched.
    Decryption,
    /// An algorithm this reader does not implement.
    Unsupported(String),
    /// A limit was exceeded.
    TooLarge(&'static str),
    /// Not exactly one private key.
    KeyCount(usize),
    /// No certificate for the key.
    NoCertificate,
    /// The private key is not an RSA key.
    KeyNotRsa,
    /// A certificate in the file does not parse.
    Certificate(eproxy_verifier::Error),
}

impl std::fmt::Display for Pkcs12Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "not a DER PKCS#12 file ({what} is malformed)"),
            Self::BadMac => f.write_str("the password is wrong, or the file was altered"),
            Self::NoMac => {
                f.write_str("the file has no password MAC, so its integrity cannot be checked")
            }
            Self::Decryption => f.write_str("a part of the file does not decrypt"),
            Self::Unsupported(what) => write!(f, "{what} is not supported"),
            Self::TooLarge(what) => write!(f, "too many {what}"),
            Self::KeyCount(n) => write!(f, "it holds {n} private keys where one was expected"),
            Self::NoCertificate => f.write_str("it holds no certificate for its private key"),
            Self::KeyNotRsa => f.write_str("the private key is not an RSA key"),
            Self::Certificate(e) => write!(f, "{e}"),
        }
    }
}

/// What a file holds once opened.
#[derive(Debug, Default)]
struct Contents {
    /// PKCS#8 PrivateKeyInfo DER, with the key's localKeyId.
    keys: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Certificate DER, with their localKeyId.
    certificates: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    bags: usize,
}

/// Opens `file`, asking for its password.
pub fn open(file: &Path, password: &SecretSource) -> Result<SoftwareKey, CliError> {
    let bytes = read_limited(file, MAX_FILE_BYTES, "PKCS#12 file")?;
    let secret = password.read(&file.display().to_string())?;
    let name = file.display().to_string();
    let fail = |e: Pkcs12Error| {
        let error = CliError::new(format!("{name}: {e}"));
        match e {
            Pkcs12Error::BadMac => error.fix(format!(
                "check the password (from --password-file, {} or the prompt)",
                password.variable
            )),
            _ => error,
        }
    };
    let contents = read(&bytes, &secret).map_err(fail)?;
    let Paired {
        key,
        certificate,
        chain,
    } = pair(contents).map_err(fail)?;
    SoftwareKey::new(key, certificate, chain, &name)
}

/// A key with its certificate and the other certificates of the file, each parsed once.
struct Paired {
    key: PrivateKey,
    certificate: Certificate,
    chain: Vec<Certificate>,
}

/// The key, its certificate (matched by localKeyId, else by public key) and the other
/// certificates.
fn pair(contents: Contents) -> Result<Paired, Pkcs12Error> {
    let [(key, key_id)] = <[_; 1]>::try_from(contents.keys)
        .map_err(|keys: Vec<_>| Pkcs12Error::KeyCount(keys.len()))?;
    let key = PrivateKey::from_pkcs8_der(&key).map_err(|_| Pkcs12Error::KeyNotRsa)?;
    let public = rsa::PublicKey::from(&key);
    let mut certificates = contents
        .certificates
        .into_iter()
        .map(|(der, id)| {
            Ok((
                Certificate::from_der(&der).map_err(Pkcs12Error::Certificate)?,
                id,
            ))
        })
        .collect::<Result<Vec<_>, Pkcs12Error>>()?;
    let position = certificates
        .iter()
        .position(|(_, id)| key_id.is_some() && *id == key_id)
        .or_else(|| {
            certificates.iter().position(|(certificate, _)| {
                rsa::PublicKey::try_from(certificate.spki()).ok().as_ref() == Some(&public)
            })
        })
        .ok_or(Pkcs12Error::NoCertificate)?;
    let (certificate, _) = certificates.remove(position);
    let certificates = certificates.into_iter().map(|(c, _)| c).collect();
    Ok(Paired {
        key,
        certificate,
        chain: certificates,
    })
}

/// Checks the MAC, then decrypts and collects every bag.
fn read(bytes: &[u8], password: &str) -> Result<Contents, Pkcs12Error> {
    let pfx = Pfx::from_der(bytes).map_err(|_| Pkcs12Error::Malformed("the PFX"))?;
    if pfx.version != 3 {
        return Err(Pkcs12Error::Malformed("the version"));
    }
    let auth_safe = data_octets(&pfx.auth_safe)?;
    let mac = pfx.mac_data.ok_or(Pkcs12Error::NoMac)?;
    check_mac(&mac, &auth_safe, password)?;

    let safes = Vec::<ContentInfo>::from_der(&auth_safe)
        .map_err(|_| Pkcs12Error::Malformed("the AuthenticatedSafe"))?;
    let mut contents = Contents::default();
    for safe in &safes {
        let safe_contents = match safe.content_type {
            ID_DATA => data_octets(safe)?,
            ID_ENCRYPTED_DATA => {
                let encrypted: EncryptedData = safe
                    .content
                    .decode_as()
                    .map_err(|_| Pkcs12Error::Malformed("an EncryptedData"))?;
                let info = encrypted.encrypted_content_info;
                let ciphertext = info
                    .encrypted_content
                    .ok_or(Pkcs12Error::Malformed("an EncryptedData"))?;
                decrypt(&info.algorithm, ciphertext.as_bytes(), password)?
            }
            other => {
                return Err(Pkcs12Error::Unsupported(format!("content type {other}")));
            }
        };
        collect_bags(&safe_contents, password, 0, &mut contents)?;
    }
    Ok(contents)
}

/// The OCTET STRING inside an id-data ContentInfo.
fn data_octets(info: &ContentInfo) -> Result<Vec<u8>, Pkcs12Error> {
    if info.content_type != ID_DATA {
        return Err(Pkcs12Error::Malformed("the authSafe content type"));
    }
    let octets: OctetString = info
        .content
        .decode_as()
        .map_err(|_| Pkcs12Error::Malformed("a data content"))?;
    Ok(octets.into_bytes().into_vec())
}

fn check_mac(mac: &MacData, auth_safe: &[u8], password: &str) -> Result<(), Pkcs12Error> {
    let iterations = checked_iterations(mac.iterations.into())?;
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    // An empty password has two encodings in the wild: the BMPString terminator alone, and
    // nothing at all. Both are tried; any other password has one.
    let mut candidates = vec![bmp_password(password)];
    if password.is_empty() {
        candidates.push(Vec::new());
    }
    let algorithm = mac.mac.digest_algorithm.oid;
    for candidate in candidates {
        let matched = match algorithm {
            SHA1_OID => {
                let key = kdf::<Sha1>(&candidate, salt, Purpose::Mac, iterations, 20);
                hmac_matches::<Hmac<Sha1>>(&key, auth_safe, expected)
            }
            SHA256_OID => {
                let key = kdf::<Sha256>(&candidate, salt, Purpose::Mac, iterations, 32);
                hmac_matches::<Hmac<Sha256>>(&key, auth_safe, expected)
            }
            other => return Err(Pkcs12Error::Unsupported(format!("MAC digest {other}"))),
        };
        if matched {
            return Ok(());
        }
    }
    Err(Pkcs12Error::BadMac)
}

/// Whether the HMAC of `data` under `key` is `expected`, compared in constant time.
fn hmac_matches<M: Mac + hmac::KeyInit>(key: &[u8], data: &[u8], expected: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(expected).is_ok()
}

fn checked_iterations(iterations: u64) -> Result<u32, Pkcs12Error> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::TooLarge("key-derivation iterations"));
    }
    u32::try_from(iterations).map_err(|_| Pkcs12Error::TooLarge("key-derivation iterations"))
}

/// Reads one SafeContents, descending into nested ones up to [`MAX_DEPTH`].
fn collect_bags(
    safe_contents: &[u8],
    password: &str,
    depth: usize,
    contents: &mut Contents,
) -> Result<(), Pkcs12Error> {
    let bags = Vec::<SafeBag>::from_der(safe_contents)
        .map_err(|_| Pkcs12Error::Malformed("a SafeContents"))?;
    for bag in bags {
        contents.bags += 1;
        if contents.bags > MAX_BAGS {
            return Err(Pkcs12Error::TooLarge("bags"));
        }
        let local_key_id = local_key_id(&bag);
        let value = bag
            .bag_value
            .to_der()
            .map_err(|_| Pkcs12Error::Malformed("a bag"))?;
        match bag.bag_id {
            KEY_BAG => contents.keys.push((value, local_key_id)),
            PKCS8_SHROUDED_KEY_BAG => {
                let shrouded = EncryptedPrivateKeyInfo::from_der(&value)
                    .map_err(|_| Pkcs12Error::Malformed("a shrouded key"))?;
                let key = decrypt(
                    &shrouded.algorithm,
                    shrouded.encrypted_data.as_bytes(),
                    password,
                )?;
                contents.keys.push((key, local_key_id));
            }
            CERT_BAG => {
                let cert = CertBag::from_der(&value)
                    .map_err(|_| Pkcs12Error::Malformed("a certificate bag"))?;
                if cert.cert_id == X509_CERTIFICATE {
                    contents
                        .certificates
                        .push((cert.cert_value.into_bytes().into_vec(), local_key_id));
                }
            }
            SAFE_CONTENTS_BAG if depth + 1 < MAX_DEPTH => {
                collect_bags(&value, password, depth + 1, contents)?;
            }
            SAFE_CONTENTS_BAG => return Err(Pkcs12Error::TooLarge("nested SafeContents")),
            // CRL and secret bags carry nothing a signer needs.
            _ => {}
        }
    }
    Ok(())
}

/// The bag's localKeyId attribute, which ties a key to its certificate.
fn local_key_id(bag: &SafeBag) -> Option<Vec<u8>> {
    let attribute = bag
        .bag_attributes
        .as_ref()?
        .iter()
        .find(|a| a.oid == LOCAL_KEY_ID)?;
    let value = attribute.values.iter().next()?;
    value
        .decode_as::<OctetString>()
        .ok()
        .map(|octets| octets.into_bytes().into_vec())
}

/// Decrypts `ciphertext` under `algorithm` (PBES2 or a legacy PKCS#12 PBE scheme).
fn decrypt(
    algorithm: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    password: &str,
) -> Result<Vec<u8>, Pkcs12Error> {
    let parameters = algorithm
        .parameters
        .as_ref()
        .ok_or(Pkcs12Error::Malformed("encryption parameters"))?;
    match algorithm.oid {
        PBES2 => {
            let parameters: pkcs5::pbes2::Parameters = parameters
                .decode_as()
                .map_err(|_| Pkcs12Error::Unsupported("these PBES2 parameters".into()))?;
            let Some(pbkdf2) = parameters.kdf.pbkdf2() else {
                return Err(Pkcs12Error::Unsupported(
                    "a PBES2 key derivation other than PBKDF2".into(),
                ));
            };
            checked_iterations(pbkdf2.iteration_count.into())?;
            parameters
                .decrypt(password.as_bytes(), ciphertext)
                .map_err(|_| Pkcs12Error::Decryption)
        }
        PBE_SHA1_3DES | PBE_SHA1_RC2_128 | PBE_SHA1_RC2_40 => {
            let pbe: PbeParameters = parameters
                .decode_as()
                .map_err(|_| Pkcs12Error::Malformed("PBE parameters"))?;
            let iterations = checked_iterations(pbe.iterations.into())?;
            let salt = pbe.salt.as_bytes();
            let bmp = bmp_password(password);
            let iv = kdf::<Sha1>(&bmp, salt, Purpose::Iv, iterations, 8);
            match algorithm.oid {
                PBE_SHA1_3DES => {
                    let key = kdf::<Sha1>(&bmp, salt, Purpose::Key, iterations, 24);
                    cbc_decrypt::<des::TdesEde3>(&key, &iv, ciphertext)
                }
                PBE_SHA1_RC2_128 => {
                    let key = kdf::<Sha1>(&bmp, salt, Purpose::Key, iterations, 16);
                    rc2_decrypt(&key, 128, &iv, ciphertext)
                }
                _ => {
                    let key = kdf::<Sha1>(&bmp, salt, Purpose::Key, iterations, 5);
                    rc2_decrypt(&key, 40, &iv, ciphertext)
                }
            }
        }
        other => Err(Pkcs12Error::Unsupported(format!(
            "encryption algorithm {other}"
        ))),
    }
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Pkcs12Error>
where
    C: cipher::BlockCipherDecrypt + cipher::KeyInit,
{
    use cipher::{BlockModeDecrypt as _, KeyIvInit as _};
    let decryptor =
        cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| Pkcs12Error::Decryption)?;
    decryptor
        .decrypt_padded_vec::<cipher::block_padding::Pkcs7>(ciphertext)
        .map_err(|_| Pkcs12Error::Decryption)
}

fn rc2_decrypt(
    key: &[u8],
    effective_bits: usize,
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, Pkcs12Error> {
    use cipher::{BlockModeDecrypt as _, InnerIvInit as _};
    let cipher = rc2::Rc2::new_with_eff_key_len(key, effective_bits);
    let decryptor = cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(cipher, iv)
        .map_err(|_| Pkcs12Error::Decryption)?;
    decryptor
        .decrypt_padded_vec::<cipher::block_padding::Pkcs7>(ciphertext)
        .map_err(|_| Pkcs12Error::Decryption)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_without_panicking() {
        for bytes in [&b""[..], b"\x30\x00", b"\x30\x03\x02\x01\x03", &[0x30; 64]] {
            assert!(read(bytes, "pw").is_err());
        }
    }
}
