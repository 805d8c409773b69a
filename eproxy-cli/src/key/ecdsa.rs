//! ECDSA signatures as CMS carries them. A PKCS#11 token returns r and s side by side, each as
//! long as the curve's order (PKCS#11 2.40, 2.3.1); CMS and X.509 carry the DER
//! `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 5753 / RFC 3279).

use der::Encode as _;
use der::asn1::UintRef;

/// ECDSA-Sig-Value.
#[derive(der::Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// The DER form of the signature `fixed` (r then s, equal halves); `None` if it cannot be one.
pub fn der_from_fixed(fixed: &[u8]) -> Option<Vec<u8>> {
    if fixed.is_empty() || !fixed.len().is_multiple_of(2) {
        return None;
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    EcdsaSigValue {
        r: UintRef::new(r).ok()?,
        s: UintRef::new(s).ok()?,
    }
    .to_der()
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_and_s_become_minimal_positive_integers() {
        // r with leading zeros, s with its high bit set.
        let mut fixed = vec![0u8; 96];
        fixed[2] = 0x01;
        fixed[47] = 0x02;
        fixed[48] = 0x80;
        fixed[95] = 0x03;
        let der = der_from_fixed(&fixed).unwrap();
        let mut expected = vec![0x30, 0x00, 0x02, 46, 0x01];
        expected.extend_from_slice(&[0; 44]);
        expected.push(0x02);
        expected.extend_from_slice(&[0x02, 49, 0x00, 0x80]);
        expected.extend_from_slice(&[0; 46]);
        expected.push(0x03);
        expected[1] = u8::try_from(expected.len() - 2).unwrap();
        assert_eq!(der, expected);
        assert_eq!(der_from_fixed(&fixed[..95]), None);
        assert_eq!(der_from_fixed(&[]), None);
    }
}
