//! DER input discipline: size limits before parsing, and parse errors that say whether the input
//! was BER (which eproxy refuses on principle) or simply broken.

use crate::{Error, InputKind};

/// Refuses `input` if it is larger than `limit`, before any parsing.
pub(crate) fn check_size(input: &[u8], kind: InputKind, limit: usize) -> Result<(), Error> {
    if input.len() > limit {
        return Err(Error::InputTooLarge {
            kind,
            actual: input.len(),
            limit,
        });
    }
    Ok(())
}

/// The error for a DER parse failure in `what` of a `kind` input: [`Error::NotDer`] for an
/// indefinite length (BER streaming), [`Error::Malformed`] otherwise.
pub(crate) fn classify(error: der::Error, kind: InputKind, what: &str) -> Error {
    match error.kind() {
        der::ErrorKind::IndefiniteLength => Error::NotDer { kind },
        other => Error::Malformed {
            kind,
            detail: format!("{what}: {other}"),
        },
    }
}
