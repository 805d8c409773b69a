//! The audit trail: every write and every release of personal data, who asked, what, when and
//! with what outcome. Append-only (keys are the batch time and position), exported by the
//! operator with `eproxy-registry audit export`.

use prost::Message;

use crate::store::{Family, Store, StoreError};

/// One audited event.
#[derive(Clone, PartialEq, Message)]
pub struct AuditRecord {
    /// When, Unix seconds on the registry's clock.
    #[prost(int64, tag = "1")]
    pub at: i64,
    /// Who: the SHA-256 (hex) of the certificate that signed the request, or "anyone" for
    /// requests anyone may make.
    #[prost(string, tag = "2")]
    pub actor: String,
    /// What: "register", "supersede", "revoke", "release-evidence", "list".
    #[prost(string, tag = "3")]
    pub action: String,
    /// The PoA concerned (delegation id, hex), or the company for a listing.
    #[prost(string, tag = "4")]
    pub subject: String,
    /// The outcome, e.g. "registered at log index 7".
    #[prost(string, tag = "5")]
    pub outcome: String,
}

/// Every audit record in order, each as one line of JSON, written to `out`.
pub fn export(store: &dyn Store, out: &mut dyn std::io::Write) -> Result<u64, StoreError> {
    let mut after: Option<Vec<u8>> = None;
    let mut count = 0;
    loop {
        let chunk = store.scan(Family::Audit, &[], after.as_deref(), 1_000)?;
        let Some((last, _)) = chunk.last() else {
            return Ok(count);
        };
        let last = last.clone();
        for (_, bytes) in chunk {
            let record = AuditRecord::decode(bytes.as_slice())
                .map_err(|e| StoreError(format!("corrupt audit record: {e}")))?;
            writeln!(
                out,
                "{{\"at\":{},\"actor\":{},\"action\":{},\"subject\":{},\"outcome\":{}}}",
                record.at,
                json_string(&record.actor),
                json_string(&record.action),
                json_string(&record.subject),
                json_string(&record.outcome)
            )
            .map_err(|e| StoreError(format!("writing the export: {e}")))?;
            count += 1;
        }
        after = Some(last);
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(json_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u000ad\"");
        assert_eq!(json_string("退職"), "\"退職\"");
    }
}
