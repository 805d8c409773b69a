//! Certificates and CRLs as files hold them: PEM (one or more `-----BEGIN <label>-----` blocks)
//! or a single DER structure.

use base64ct::{Base64, Encoding};

use crate::{Error, InputKind};

/// The largest file of certificates read as PEM or DER.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// The largest file of CRLs read as PEM or DER: one CRL of
/// [`MAX_CRL_BYTES`](crate::limits::MAX_CRL_BYTES) in PEM (Base64 adds a third, line breaks a
/// little more). JPKI's CRLs are far larger than any certificate file.
pub const MAX_CRL_FILE_BYTES: usize = crate::limits::MAX_CRL_BYTES / 2 * 3;

/// The largest file read for structures of `kind`.
pub fn max_file_bytes(kind: InputKind) -> usize {
    match kind {
        InputKind::Crl => MAX_CRL_FILE_BYTES,
        _ => MAX_FILE_BYTES,
    }
}

/// The DER structures in `bytes`: each PEM block labelled `label` (e.g. `CERTIFICATE`,
/// `X509 CRL`), or `bytes` itself if it is DER (starts with a SEQUENCE).
pub fn decode_all(bytes: &[u8], label: &str, kind: InputKind) -> Result<Vec<Vec<u8>>, Error> {
    let limit = max_file_bytes(kind);
    if bytes.len() > limit {
        return Err(Error::InputTooLarge {
            kind,
            actual: bytes.len(),
            limit,
        });
    }
    if bytes.first() == Some(&0x30) {
        return Ok(vec![bytes.to_vec()]);
    }
    let malformed = |detail: &str| Error::Malformed {
        kind,
        detail: detail.to_owned(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("neither DER nor PEM"))?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let stop = after
            .find(&end)
            .ok_or_else(|| malformed("PEM block without its END line"))?;
        let body: String = after[..stop].split_whitespace().collect();
        found.push(Base64::decode_vec(&body).map_err(|_| malformed("PEM body is not base64"))?);
        rest = &after[stop + end.len()..];
    }
    if found.is_empty() {
        return Err(malformed(&format!("no {label} block")));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_der_one_or_more_pem_blocks_and_refuses_the_rest() {
        let der = [0x30, 0x03, 0x02, 0x01, 0x05];
        assert_eq!(
            decode_all(&der, "CERTIFICATE", InputKind::Certificate).unwrap(),
            vec![der.to_vec()]
        );
        let pem = format!(
            "junk\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n\
             -----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
            Base64::encode_string(&der)
        );
        assert_eq!(
            decode_all(pem.as_bytes(), "CERTIFICATE", InputKind::Certificate).unwrap(),
            vec![der.to_vec(), vec![0x30, 0x00]]
        );
        for bad in [
            &b"-----BEGIN CERTIFICATE-----\nMAA=\n"[..],
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
            b"-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----",
            b"\xff\xfe",
        ] {
            assert!(matches!(
                decode_all(bad, "CERTIFICATE", InputKind::Certificate),
                Err(Error::Malformed { .. })
            ));
        }
    }

    #[test]
    fn a_crl_as_large_as_the_crl_limit_is_read_in_pem_and_a_certificate_file_stays_small() {
        // A PEM file holding one CRL of the largest size a CRL may have.
        let der_len = crate::limits::MAX_CRL_BYTES;
        let base64 = "A".repeat(der_len.div_ceil(3) * 4);
        let mut pem = String::from("-----BEGIN X509 CRL-----\n");
        for line in base64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END X509 CRL-----\n");
        assert!(pem.len() > MAX_FILE_BYTES && pem.len() <= MAX_CRL_FILE_BYTES);
        let blocks = decode_all(pem.as_bytes(), "X509 CRL", InputKind::Crl).unwrap();
        assert_eq!(blocks[0].len(), der_len.div_ceil(3) * 3);
        let too_large = vec![0x30; MAX_CRL_FILE_BYTES + 1];
        assert!(matches!(
            decode_all(&too_large, "X509 CRL", InputKind::Crl),
            Err(Error::InputTooLarge { .. })
        ));
        assert!(matches!(
            decode_all(pem.as_bytes(), "CERTIFICATE", InputKind::Certificate),
            Err(Error::InputTooLarge {
                limit: MAX_FILE_BYTES,
                ..
            })
        ));
    }
}
