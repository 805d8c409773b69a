//! The PKCS#12 key-derivation function (RFC 7292 appendix B), which the MAC key and the legacy
//! encryption keys and IVs come from, and the password form it takes.

use digest::Digest;

/// What a derived key is for: the "ID" byte of RFC 7292 B.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// An encryption key.
    Key = 1,
    /// An initialisation vector.
    Iv = 2,
    /// A MAC key.
    Mac = 3,
}

/// The password as a BMPString (UTF-16BE) with its two-byte terminator, as the key derivation
/// and the MAC take it.
pub fn bmp_password(password: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    bytes.extend([0, 0]);
    bytes
}

/// `length` bytes for `purpose` from `password` (see [`bmp_password`]) and `salt` over hash `D`,
/// whose block is 64 bytes (SHA-1, SHA-256: the hashes PKCS#12 files use).
pub fn kdf<D: Digest>(
    password: &[u8],
    salt: &[u8],
    purpose: Purpose,
    iterations: u32,
    length: usize,
) -> Vec<u8> {
    const V: usize = 64;
    let stretch = |bytes: &[u8]| -> Vec<u8> {
        let len = bytes.len().div_ceil(V) * V;
        bytes.iter().copied().cycle().take(len).collect()
    };
    let mut input = stretch(salt);
    input.extend(stretch(password));
    let mut out = Vec::with_capacity(length + 64);
    loop {
        let mut block = D::new()
            .chain_update([purpose as u8; V])
            .chain_update(&input)
            .finalize();
        for _ in 1..iterations {
            block = D::digest(&block);
        }
        out.extend_from_slice(&block);
        if out.len() >= length {
            out.truncate(length);
            return out;
        }
        // Step 6C: each V-byte block of the input becomes (block + B + 1) mod 2^(8V), where B
        // is the hash output repeated to V bytes.
        let b: Vec<u8> = block.iter().copied().cycle().take(V).collect();
        for chunk in input.chunks_mut(V) {
            let mut carry = 1u16;
            for (byte, add) in chunk.iter_mut().zip(&b).rev() {
                let sum = u16::from(*byte) + u16::from(*add) + carry;
                *byte = sum as u8;
                carry = sum >> 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sha1::Sha1;
    use sha2::Sha256;

    use super::*;

    /// RFC 7292 has no vectors; these are the widely used ones from the OpenSSL and Bouncy
    /// Castle test suites (password "smeg", salt 0A58CF64530D823F, SHA-1).
    #[test]
    fn the_kdf_matches_known_vectors_including_multi_block_output() {
        let password = bmp_password("smeg");
        let salt = hex::decode("0A58CF64530D823F").unwrap();
        assert_eq!(
            hex::encode_upper(kdf::<Sha1>(&password, &salt, Purpose::Key, 1, 24)),
            "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3"
        );
        assert_eq!(
            hex::encode_upper(kdf::<Sha1>(&password, &salt, Purpose::Iv, 1, 8)),
            "79993DFE048D3B76"
        );
        let salt = hex::decode("3D83C0E4546AC140").unwrap();
        assert_eq!(
            hex::encode_upper(kdf::<Sha1>(&password, &salt, Purpose::Mac, 1, 20)),
            "8D967D88F6CAA9D714800AB3D48051D63F73A312"
        );
        let queeg = bmp_password("queeg");
        let salt = hex::decode("05DEC959ACFF72F7").unwrap();
        assert_eq!(
            hex::encode_upper(kdf::<Sha1>(&queeg, &salt, Purpose::Key, 1000, 24)),
            "ED2034E36328830FF09DF1E1A07DD357185DAC0D4F9EB3D4"
        );
        // SHA-256, three 32-byte blocks (computed with `openssl kdf … PKCS12KDF`).
        let salt = hex::decode("0A58CF64530D823F").unwrap();
        assert_eq!(
            hex::encode_upper(kdf::<Sha256>(&password, &salt, Purpose::Key, 3, 80)),
            "469E0A6907C9598D58E9611A2B3DCEB1C8AE273415360BF8BF510E1CCECC8674\
             E28F97D0DBC836D78502A75F6A8E624CE3732B56BA426AEDB32930EA60B0CE0F\
             4360262C3B860FE5F2278892721B55DB"
        );
    }

    #[test]
    fn a_password_is_utf16_big_endian_with_a_terminator() {
        assert_eq!(bmp_password("a€"), vec![0x00, 0x61, 0x20, 0xac, 0x00, 0x00]);
        assert_eq!(bmp_password(""), vec![0x00, 0x00]);
    }
}
