//! PKCS#12 (RFC 7292) files, the form a commercial-registration certificate arrives in.
//!
//! The layout is OpenSSL 3's default: the private key in a pkcs8ShroudedKeyBag encrypted with
//! PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), the certificate chain in certBags, the key and its
//! certificate tied by a localKeyId, and the whole protected by an HMAC-SHA256 MAC whose key comes
//! from the PKCS#12 key-derivation function (RFC 7292 appendix B). Salts and IVs derive from the
//! content, so a file is reproducible; it is test material and must never protect a real key.

use cms::content_info::ContentInfo;
use const_oid::db::rfc5912::ID_SHA_256 as SHA256;
use der::asn1::{Any, BmpString, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use hmac::{Hmac, KeyInit, Mac};
use pkcs8::pkcs5::pbes2;
use rsa::pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;

use crate::Error;
use crate::certificate::Credential;
use crate::cms::ID_DATA;

const PKCS8_SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");
const FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");

/// Iterations of both PBKDF2 and the MAC key derivation (OpenSSL 3's default).
const ITERATIONS: u32 = 2048;

/// A PKCS#12 file holding `credential`'s key and certificate, then `chain` (its issuers), under
/// `password`, with `friendly_name` on the key and its certificate.
///
/// `password` is used as UTF-8 bytes for PBES2 and as a BMPString for the MAC, as OpenSSL does;
/// keep it ASCII for the widest compatibility.
pub fn pkcs12(
    credential: &Credential,
    chain: &[&Credential],
    password: &str,
    friendly_name: &str,
) -> Result<Vec<u8>, Error> {
    let local_key_id = Attribute {
        oid: LOCAL_KEY_ID,
        values: SetOfVec::try_from(vec![Any::encode_from(&OctetString::new(
            credential.sha256().to_vec(),
        )?)?])?,
    };
    let name = Attribute {
        oid: FRIENDLY_NAME,
        values: SetOfVec::try_from(vec![Any::encode_from(&BmpString::from_utf8(
            friendly_name,
        )?)?])?,
    };
    let key_attributes = SetOfVec::try_from(vec![local_key_id, name])?;

    let mut cert_bags = vec![cert_bag(credential, Some(key_attributes.clone()))?];
    for issuer in chain {
        cert_bags.push(cert_bag(issuer, None)?);
    }
    let key_bag = SafeBag {
        bag_id: PKCS8_SHROUDED_KEY_BAG,
        bag_value: Any::from_der(&shrouded_key(credential, password)?)?,
        bag_attributes: Some(key_attributes),
    };
    let authenticated_safe = vec![data(&cert_bags.to_der()?)?, data(&vec![key_bag].to_der()?)?];
    let auth_safe_der = authenticated_safe.to_der()?;

    let mac_salt = derived_bytes::<16>(credential, "mac salt");
    let mac_key = pkcs12_kdf(password, &mac_salt, 3, ITERATIONS);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key)
        .map_err(|e| Error::KeyEncoding(e.to_string()))?;
    mac.update(&auth_safe_der);
    let pfx = Pfx {
        version: 3,
        auth_safe: data(&auth_safe_der)?,
        mac_data: MacData {
            mac: DigestInfo {
                digest_algorithm: AlgorithmIdentifierOwned {
                    oid: SHA256,
                    parameters: Some(Any::from(der::asn1::Null)),
                },
                digest: OctetString::new(mac.finalize().into_bytes().to_vec())?,
            },
            mac_salt: OctetString::new(mac_salt.to_vec())?,
            iterations: ITERATIONS,
        },
    };
    Ok(pfx.to_der()?)
}

/// The key as an EncryptedPrivateKeyInfo under PBES2.
fn shrouded_key(credential: &Credential, password: &str) -> Result<Vec<u8>, Error> {
    let salt = derived_bytes::<16>(credential, "pbkdf2 salt");
    let iv = derived_bytes::<16>(credential, "aes iv");
    let params = pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(ITERATIONS, &salt, iv)
        .map_err(|e| Error::KeyEncoding(e.to_string()))?;
    let plain = credential
        .private_key()?
        .to_pkcs8_der()
        .map_err(|e| Error::KeyEncoding(e.to_string()))?;
    let info = pkcs8::PrivateKeyInfoRef::try_from(plain.as_bytes())
        .map_err(|e| Error::KeyEncoding(e.to_string()))?;
    let encrypted = info
        .encrypt_with_params(params, password.as_bytes())
        .map_err(|e| Error::KeyEncoding(e.to_string()))?;
    Ok(encrypted.as_bytes().to_vec())
}

fn cert_bag(
    credential: &Credential,
    attributes: Option<SetOfVec<Attribute>>,
) -> Result<SafeBag, Error> {
    let bag = CertBag {
        cert_id: X509_CERTIFICATE,
        cert_value: OctetString::new(credential.der().to_vec())?,
    };
    Ok(SafeBag {
        bag_id: CERT_BAG,
        bag_value: Any::encode_from(&bag)?,
        bag_attributes: attributes,
    })
}

/// A ContentInfo of type id-data wrapping `content` in an OCTET STRING.
fn data(content: &[u8]) -> Result<ContentInfo, Error> {
    Ok(ContentInfo {
        content_type: ID_DATA,
        content: Any::encode_from(&OctetString::new(content.to_vec())?)?,
    })
}

/// `N` reproducible bytes for one purpose, derived from the certificate they protect.
fn derived_bytes<const N: usize>(credential: &Credential, purpose: &str) -> [u8; N] {
    let hash = Sha256::new()
        .chain_update(b"eproxy-testkit pkcs12 v1\0")
        .chain_update(purpose.as_bytes())
        .chain_update(credential.der())
        .finalize();
    let mut bytes = [0u8; N];
    bytes.copy_from_slice(&hash[..N]);
    bytes
}

/// The PKCS#12 key-derivation function (RFC 7292 B.2) with SHA-256 (u = 32, v = 64), producing
/// 32 bytes. `id` is 1 for keys, 2 for IVs, 3 for MAC keys. The password is a BMPString with
/// its two-byte terminator.
fn pkcs12_kdf(password: &str, salt: &[u8], id: u8, iterations: u32) -> [u8; 32] {
    const V: usize = 64;
    let mut password_bmp: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    password_bmp.extend([0, 0]);
    let stretch = |bytes: &[u8]| -> Vec<u8> {
        let len = bytes.len().div_ceil(V) * V;
        bytes.iter().copied().cycle().take(len).collect()
    };
    let mut input = stretch(salt);
    input.extend(stretch(&password_bmp));

    // One block of output is enough for a 32-byte key, so the input update that chains blocks
    // (step 6C) is never needed.
    let mut block = Sha256::new()
        .chain_update([id; V])
        .chain_update(&input)
        .finalize();
    for _ in 1..iterations {
        block = Sha256::digest(block);
    }
    block.into()
}

/// PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
#[derive(Sequence)]
struct Pfx {
    version: u8,
    auth_safe: ContentInfo,
    mac_data: MacData,
}

/// MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }
#[derive(Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: OctetString,
    iterations: u32,
}

/// DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
#[derive(Sequence)]
struct DigestInfo {
    digest_algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

/// SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OF
/// PKCS12Attribute OPTIONAL }
#[derive(Sequence)]
struct SafeBag {
    bag_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: Any,
    bag_attributes: Option<SetOfVec<Attribute>>,
}

/// CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
#[derive(Sequence)]
struct CertBag {
    cert_id: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: OctetString,
}
