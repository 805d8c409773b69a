//! X.509 extensions (RFC 5280 4.1 and 5.1) over borrowed DER: the list a certificate or CRL
//! carries, each extension's value left undecoded until a check needs it.
//!
//! ```text
//! Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
//! Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
//! ```

use der::asn1::ObjectIdentifier;

use crate::der_input::{Input, classify, tag};
use crate::{Error, InputKind};

/// One extension, its value the DER inside extnValue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extension<'a> {
    /// extnID.
    pub oid: ObjectIdentifier,
    /// Whether a relying party that does not understand it must refuse the whole structure.
    pub critical: bool,
    /// extnValue's content: the extension's own DER.
    pub value: &'a [u8],
}

/// The most extensions one certificate, CRL or CRL entry may carry: far more than any real one,
/// and a bound on the duplicate check.
const MAX_EXTENSIONS: usize = 64;

/// Parses `der`, exactly one Extensions SEQUENCE of a `kind` input. Refuses an empty list, a
/// duplicate extnID (RFC 5280 4.2) and more than [`MAX_EXTENSIONS`].
pub(crate) fn parse_extensions(der: &[u8], kind: InputKind) -> Result<Vec<Extension<'_>>, Error> {
    let mut extensions = Vec::new();
    read_extensions(der, &mut extensions).map_err(|e| classify(e, kind, "extensions"))?;
    if extensions.is_empty() || extensions.len() > MAX_EXTENSIONS {
        return Err(Error::Malformed {
            kind,
            detail: format!(
                "extensions: {} entries, expected 1 to {MAX_EXTENSIONS}",
                extensions.len()
            ),
        });
    }
    for (i, extension) in extensions.iter().enumerate() {
        if extensions[..i].iter().any(|e| e.oid == extension.oid) {
            return Err(Error::DuplicateExtension { oid: extension.oid });
        }
    }
    Ok(extensions)
}

/// Reads the list into `extensions`, stopping after one more than [`MAX_EXTENSIONS`].
fn read_extensions<'a>(der: &'a [u8], extensions: &mut Vec<Extension<'a>>) -> der::Result<()> {
    let mut list = Input::only(der, tag::SEQUENCE)?;
    while !list.is_empty() && extensions.len() <= MAX_EXTENSIONS {
        let mut extension = Input::new(list.expect(tag::SEQUENCE)?.value);
        let oid = ObjectIdentifier::from_bytes(extension.expect(tag::OID)?.value)
            .map_err(|_| der::Error::from(der::ErrorKind::OidMalformed))?;
        let critical = match extension.optional(tag::BOOLEAN)?.map(|flag| flag.value) {
            None => false,
            // DER writes TRUE as 0xFF; an explicit FALSE, though DER omits defaults, is common
            // enough in issued certificates to be read as what it says.
            Some([0xff]) => true,
            Some([0x00]) => false,
            Some(_) => return Err(der::Tag::Boolean.value_error().into()),
        };
        let value = extension.expect(tag::OCTET_STRING)?.value;
        extension.finish()?;
        extensions.push(Extension {
            oid,
            critical,
            value,
        });
    }
    Ok(())
}
