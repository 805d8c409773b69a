//! Rules for the text fields of signed content (see `proto/README.md`, "Common value rules").

use crate::FormatError;

/// How one text field is constrained.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextRule {
    /// The field's path, for error messages, e.g. `delegator.name`.
    pub field: &'static str,
    /// The longest value, in UTF-8 bytes.
    pub max_bytes: usize,
    /// Whether the empty string is refused.
    pub required: bool,
    /// Whether line feeds (U+000A) are allowed; all other control characters never are.
    pub multiline: bool,
}

impl TextRule {
    /// A required single-line field.
    pub const fn required(field: &'static str, max_bytes: usize) -> Self {
        Self {
            field,
            max_bytes,
            required: true,
            multiline: false,
        }
    }

    /// Checks `value` and returns it owned.
    pub fn check(&self, value: &str) -> Result<String, FormatError> {
        let field = self.field;
        if value.is_empty() {
            return if self.required {
                Err(FormatError::MissingField(field))
            } else {
                Ok(String::new())
            };
        }
        if value.len() > self.max_bytes {
            return Err(FormatError::TextTooLong {
                field,
                limit: self.max_bytes,
                actual: value.len(),
            });
        }
        let forbidden = |c: char| c.is_control() && !(self.multiline && c == '\n');
        if value.chars().any(forbidden) {
            return Err(FormatError::TextControlCharacter { field });
        }
        if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
            return Err(FormatError::TextSurroundingWhitespace { field });
        }
        Ok(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: TextRule = TextRule::required("name", 12);

    #[test]
    fn japanese_text_counts_bytes_not_characters() {
        // Four characters, twelve bytes: at the limit.
        assert_eq!(NAME.check("佐藤サン").unwrap(), "佐藤サン");
        assert_eq!(
            NAME.check("佐藤サンプ"),
            Err(FormatError::TextTooLong {
                field: "name",
                limit: 12,
                actual: 15
            })
        );
    }

    #[test]
    fn control_characters_and_padding_are_refused() {
        for bad in ["a\u{0}b", "a\tb", "a\nb", "a\u{7f}", "a\u{85}b"] {
            assert_eq!(
                NAME.check(bad),
                Err(FormatError::TextControlCharacter { field: "name" }),
                "{bad:?}"
            );
        }
        for bad in [" a", "a ", "\u{3000}佐藤", "佐藤\u{3000}"] {
            assert_eq!(
                NAME.check(bad),
                Err(FormatError::TextSurroundingWhitespace { field: "name" }),
                "{bad:?}"
            );
        }
        // Inner ideographic space separates family and given names: allowed.
        assert!(NAME.check("佐藤\u{3000}一").is_ok());
    }

    #[test]
    fn empty_is_missing_when_required_and_fine_otherwise() {
        assert_eq!(NAME.check(""), Err(FormatError::MissingField("name")));
        let optional = TextRule {
            required: false,
            multiline: true,
            ..NAME
        };
        assert_eq!(optional.check("").unwrap(), "");
        assert_eq!(optional.check("a\nb").unwrap(), "a\nb");
        assert!(optional.check("a\r\nb").is_err());
    }
}
