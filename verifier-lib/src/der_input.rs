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

/// The tag bytes the hand-walked structures use.
pub(crate) mod tag {
    pub(crate) const BOOLEAN: u8 = 0x01;
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const UTC_TIME: u8 = 0x17;
    pub(crate) const GENERALIZED_TIME: u8 = 0x18;
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const SET: u8 = 0x31;

    /// `[number]` with the constructed bit set (EXPLICIT, or IMPLICIT over a constructed type).
    pub(crate) const fn context_constructed(number: u8) -> u8 {
        0xa0 | number
    }

    /// `[number]` over a primitive type.
    pub(crate) const fn context_primitive(number: u8) -> u8 {
        0x80 | number
    }
}

/// One TLV as received.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents.
    pub value: &'a [u8],
    /// Identifier, length and contents: what a leaf decoder or a byte comparison takes.
    pub whole: &'a [u8],
}

/// A cursor over DER, reading one TLV at a time without allocating.
///
/// Certificates, CRLs and CMS are walked with it, and only their leaves (times, integers,
/// algorithm identifiers, extension values) go through `der`'s decoders: walking is most of
/// parsing, and parsing is the cost around the signatures. It accepts what DER allows of the
/// structures eproxy reads: single-octet identifiers (tag numbers up to 30) and definite
/// lengths in their shortest form up to 4 octets. An indefinite length is BER, reported as such
/// by [`classify`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Input<'a> {
    rest: &'a [u8],
}

/// Why [`Input`] could not read: small, so that the hot path moves no large error values, and
/// turned into `der`'s error (for [`classify`]) where it meets `der`'s decoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WalkError {
    /// The input ends inside a TLV.
    Truncated,
    /// A multi-octet identifier (tag number 31 or more).
    TagNumber,
    /// An indefinite length: BER, not DER.
    IndefiniteLength,
    /// A length not in its shortest form, with the identifier octet it followed.
    NoncanonicalLength(u8),
    /// A length of more than 4 octets.
    Overlength,
    /// Another tag than the structure requires: (expected, actual).
    UnexpectedTag(u8, u8),
    /// Bytes left after the structure's last field.
    TrailingData,
    /// An OBJECT IDENTIFIER whose content is not well-formed base 128.
    Oid,
    /// A SET OF that must not be empty is.
    EmptySet,
    /// A UTCTime or GeneralizedTime not in RFC 5280's form, or not a calendar date.
    Time,
}

/// `der`'s name for the identifier octet `byte`.
fn der_tag(byte: u8) -> der::Result<der::Tag> {
    <der::Tag as der::Decode>::from_der(&[byte])
}

impl From<WalkError> for der::Error {
    fn from(error: WalkError) -> Self {
        let kind = match error {
            WalkError::Truncated => der::ErrorKind::Incomplete {
                expected_len: der::Length::ONE,
                actual_len: der::Length::ZERO,
            },
            WalkError::TagNumber => der::ErrorKind::TagNumberInvalid,
            WalkError::IndefiniteLength => der::ErrorKind::IndefiniteLength,
            WalkError::NoncanonicalLength(tag) => match der_tag(tag) {
                Ok(tag) => der::ErrorKind::Noncanonical { tag },
                Err(e) => return e,
            },
            WalkError::Overlength => der::ErrorKind::Overlength,
            WalkError::UnexpectedTag(expected, actual) => match der_tag(actual) {
                Ok(actual) => der::ErrorKind::TagUnexpected {
                    expected: der_tag(expected).ok(),
                    actual,
                },
                Err(e) => return e,
            },
            WalkError::TrailingData => der::ErrorKind::TrailingData {
                decoded: der::Length::ZERO,
                remaining: der::Length::ONE,
            },
            WalkError::Oid => der::ErrorKind::OidMalformed,
            WalkError::EmptySet => der::ErrorKind::Length { tag: der::Tag::Set },
            WalkError::Time => der::ErrorKind::DateTime,
        };
        kind.into()
    }
}

impl<'a> Input<'a> {
    /// A cursor at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// What is left to read.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Whether everything has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next identifier octet, without reading.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Whether the next TLV has tag `tag`.
    pub(crate) fn next_is(&self, tag: u8) -> bool {
        self.peek() == Some(tag)
    }

    /// Reads the next TLV.
    pub(crate) fn read(&mut self) -> Result<Tlv<'a>, WalkError> {
        let whole = self.rest;
        let (&tag, rest) = whole.split_first().ok_or(WalkError::Truncated)?;
        if tag & 0x1f == 0x1f {
            return Err(WalkError::TagNumber);
        }
        let (&first, mut rest) = rest.split_first().ok_or(WalkError::Truncated)?;
        let length = match first {
            0..=0x7f => usize::from(first),
            0x80 => return Err(WalkError::IndefiniteLength),
            0x81..=0x84 => {
                let count = usize::from(first & 0x7f);
                if rest.len() < count {
                    return Err(WalkError::Truncated);
                }
                let (octets, after) = rest.split_at(count);
                rest = after;
                let length = octets
                    .iter()
                    .fold(0usize, |length, &octet| (length << 8) | usize::from(octet));
                // DER: the shortest form, so no leading zero octet and no long form below 128.
                if octets[0] == 0 || length < 0x80 {
                    return Err(WalkError::NoncanonicalLength(tag));
                }
                length
            }
            _ => return Err(WalkError::Overlength),
        };
        if rest.len() < length {
            return Err(WalkError::Truncated);
        }
        let (value, after) = rest.split_at(length);
        self.rest = after;
        Ok(Tlv {
            tag,
            value,
            whole: &whole[..whole.len() - after.len()],
        })
    }

    /// Reads the next TLV, which must have tag `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, WalkError> {
        let tlv = self.read()?;
        if tlv.tag != tag {
            return Err(WalkError::UnexpectedTag(tag, tlv.tag));
        }
        Ok(tlv)
    }

    /// The next TLV if it has tag `tag`, else nothing read.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, WalkError> {
        if self.next_is(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The contents of the TLV `tag` that must make up all of `bytes`.
    pub(crate) fn only(bytes: &'a [u8], tag: u8) -> Result<Input<'a>, WalkError> {
        let mut input = Self::new(bytes);
        let tlv = input.expect(tag)?;
        input.finish()?;
        Ok(Self::new(tlv.value))
    }

    /// Ok if everything has been read.
    pub(crate) fn finish(&self) -> Result<(), WalkError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WalkError::TrailingData)
        }
    }
}

/// Checks that `value` is the content of a well-formed OBJECT IDENTIFIER: at least one octet,
/// each subidentifier in base 128 without a leading 0x80 octet, the last octet complete.
pub(crate) fn check_oid(value: &[u8]) -> Result<(), WalkError> {
    let mut at_start = true;
    for &octet in value {
        if at_start && octet == 0x80 {
            return Err(WalkError::Oid);
        }
        at_start = octet & 0x80 == 0;
    }
    if value.is_empty() || !at_start {
        return Err(WalkError::Oid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, length: &[u8], value_len: usize) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(length);
        out.extend(std::iter::repeat_n(0x5a, value_len));
        out
    }

    #[test]
    fn reads_short_and_long_lengths() {
        for (length, value_len) in [
            (&[0x00][..], 0),
            (&[0x7f][..], 127),
            (&[0x81, 0x80][..], 128),
            (&[0x82, 0x01, 0x00][..], 256),
            (&[0x83, 0x01, 0x00, 0x00][..], 65_536),
        ] {
            let bytes = tlv(tag::OCTET_STRING, length, value_len);
            let mut input = Input::new(&bytes);
            let read = input.expect(tag::OCTET_STRING).expect("well-formed");
            assert_eq!(read.value.len(), value_len);
            assert_eq!(read.whole, &bytes[..]);
            assert!(input.is_empty());
        }
    }

    #[test]
    fn refuses_what_der_forbids() {
        let cases: [(&[u8], WalkError); 8] = [
            (&[0x30, 0x80, 0x00, 0x00], WalkError::IndefiniteLength),
            (
                &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5],
                WalkError::NoncanonicalLength(0x04),
            ),
            (
                &[0x04, 0x82, 0x00, 0x80],
                WalkError::NoncanonicalLength(0x04),
            ),
            (&[0x04, 0x85, 1, 0, 0, 0, 0], WalkError::Overlength),
            (&[0x04, 0x05, 1, 2], WalkError::Truncated),
            (&[0x04], WalkError::Truncated),
            (&[0x04, 0x82, 0x01], WalkError::Truncated),
            (&[0x1f, 0x22, 0x00], WalkError::TagNumber),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                Input::new(bytes).read().map(|t| t.tag),
                Err(expected),
                "{bytes:02x?}"
            );
        }
        assert!(matches!(
            classify(
                WalkError::IndefiniteLength.into(),
                crate::InputKind::Cms,
                "x"
            ),
            crate::Error::NotDer { .. }
        ));
    }

    #[test]
    fn expect_optional_only_and_finish() {
        let bytes = [0x02, 0x01, 0x07, 0x04, 0x00];
        let mut input = Input::new(&bytes);
        assert_eq!(
            input.clone().expect(tag::SEQUENCE).map(|t| t.tag),
            Err(WalkError::UnexpectedTag(tag::SEQUENCE, tag::INTEGER))
        );
        assert!(input.optional(tag::SEQUENCE).expect("no error").is_none());
        assert_eq!(
            input.optional(tag::INTEGER).expect("read").map(|t| t.value),
            Some(&[7][..])
        );
        assert_eq!(input.finish(), Err(WalkError::TrailingData));
        assert_eq!(
            Input::only(&bytes, tag::INTEGER).map(|_| ()),
            Err(WalkError::TrailingData)
        );
        assert_eq!(
            Input::only(&bytes[..3], tag::INTEGER).map(|i| i.rest()),
            Ok(&[7][..])
        );
    }

    #[test]
    fn object_identifiers_must_be_complete_base_128() {
        assert_eq!(check_oid(&[0x2a, 0x86, 0x48]), Ok(()));
        assert_eq!(check_oid(&[0x55, 0x04, 0x03]), Ok(()));
        for bad in [&[][..], &[0x80, 0x01], &[0x2a, 0x80, 0x01], &[0x2a, 0x86]] {
            assert_eq!(check_oid(bad), Err(WalkError::Oid), "{bad:02x?}");
        }
    }
}
