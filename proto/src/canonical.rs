//! The canonical encoding rule: signed content is accepted only if decoding it and encoding it
//! again gives the same bytes.
//!
//! This one comparison rejects unknown fields (prost drops them), repeated singular fields (the
//! last wins), fields out of order, explicitly encoded defaults, unpacked packed fields and
//! over-long varints, so that two parsers can never read different terms from one signature.

use crate::FormatError;

/// Decodes `bytes` as `M`, refusing input over `max_len` bytes and input that is not the
/// canonical encoding of the value it decodes to.
pub fn decode_canonical<M: prost::Message + Default>(
    bytes: &[u8],
    max_len: usize,
) -> Result<M, FormatError> {
    if bytes.len() > max_len {
        return Err(FormatError::TooLarge {
            limit: max_len,
            actual: bytes.len(),
        });
    }
    let message = M::decode(bytes).map_err(|e| FormatError::Malformed(e.to_string()))?;
    if message.encode_to_vec() != bytes {
        return Err(FormatError::NotCanonical);
    }
    Ok(message)
}
