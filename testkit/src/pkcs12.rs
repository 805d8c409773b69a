//! PKCS#12 (RFC 7292) files, the form a commercial-registration certificate arrives in.
//!
//! The layout is OpenSSL 3's default: the private key in a pkcs8ShroudedKeyBag encrypted with
//! PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), the certificate chain in certBags, the key and its
//! certificate tied by a localKeyId, and the whole protected by an HMAC-SHA256 MAC whose key comes
//! from the PKCS#12 key-derivation function (RFC 7292 appendix B). Salts and IVs derive from the
//! content, so a file is reproducible; it is test material and must never protect a real key.

use cms::content_info::ContentInfo;
use const_oid::db::rfc5912::ID_SHA_256 as SHA256;
use der::asn1::{Any, BmpString, OctetString, SetOfVec};
use der::{Decode, Encode};
use eproxy_pkcs12::oid::{
    CERT_BAG, FRIENDLY_NAME, LOCAL_KEY_ID, PKCS8_SHROUDED_KEY_BAG, X509_CERTIFICATE,
};
use eproxy_pkcs12::{CertBag, DigestInfo, MacData, Pfx, Purpose, SafeBag, bmp_password, kdf};
use hmac::{Hmac, KeyInit, Mac};
use pkcs8::pkcs5::pbes2;
use rsa::pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;

use crate::Error;
use crate::certificate::Credential;
use crate::cms::ID_DATA;

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
    let mac_key = kdf::<Sha256>(
        &bmp_password(password),
        &mac_salt,
        Purpose::Mac,
        ITERATIONS,
        32,
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key)
        .map_err(|e| Error::KeyEncoding(e.to_string()))?;
    mac.update(&auth_safe_der);
    let pfx = Pfx {
        version: 3,
        auth_safe: data(&auth_safe_der)?,
        mac_data: Some(MacData {
            mac: DigestInfo {
                digest_algorithm: AlgorithmIdentifierOwned {
                    oid: SHA256,
                    parameters: Some(Any::from(der::asn1::Null)),
                },
                digest: OctetString::new(mac.finalize().into_bytes().to_vec())?,
            },
            mac_salt: OctetString::new(mac_salt.to_vec())?,
            iterations: ITERATIONS,
        }),
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
