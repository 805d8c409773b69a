//! The canonical rule against an independent encoder: `protoc --encode` (Debian
//! `protobuf-compiler`, installed by `scripts/ensure-system-deps`) must produce exactly the bytes
//! eproxy produces and accepts. Skips, saying so, only where `protoc` is not installed.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use eproxy_proto::{decode_contract_terms, decode_delegation};

/// Runs protoc with `args` on `input`, or `None` when protoc is not installed.
fn protoc(args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    let mut child = match Command::new("protoc")
        .args(["--proto_path", env!("CARGO_MANIFEST_DIR")])
        .args(args)
        .arg("eproxy/v1/signed_content.proto")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => {
            eprintln!("SKIPPED: protoc is not installed (Debian package protobuf-compiler)");
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "protoc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

const ENCODE: &[&str] = &["--encode=eproxy.v1.SignedContent"];
const DECODE: &[&str] = &["--decode=eproxy.v1.SignedContent"];

/// `common::delegation_message()` in protobuf text format, fields deliberately out of order:
/// the encoder, not the author, decides the byte order.
const DELEGATION_TEXT: &str = r#"
delegation {
  remarks: "2026年度 工事案件\n担当: 営業部"
  format_version: 1
  representative { title: "代表取締役" name: "佐藤　サンプル" }
  delegator {
    corporate_number: "6012345678901"
    name: "サンプル株式会社"
    head_office_address: "東京都渋谷区神宮前一丁目２番３号"
  }
  delegatee {
    certificate_sha256: "\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab"
    display_name: "鈴木　一郎"
  }
  scope {
    matters { standard: STANDARD_MATTER_CONCLUDE_CONTRACTS }
    matters { standard: STANDARD_MATTER_APPOINT_SUB_AGENTS }
    matters { extension: "jp.go.geps:construction" }
    amount_cap_yen: 5000000
    listed_counterparties { corporate_numbers: "7000012050002" corporate_numbers: "9111111111111" }
    max_sub_delegation_depth: 1
  }
  validity { not_before_unix_seconds: 1767225600 not_after_unix_seconds: 1798761599 }
  issued_at_unix_seconds: 1767000000
  parent_delegation_id: "1111111111111111111111111111111111111111111111111111111111111111"
  supersedes_delegation_id: "2222222222222222222222222222222222222222222222222222222222222222"
}
"#;

#[test]
fn protoc_encodes_a_poa_to_exactly_our_bytes() {
    let Some(theirs) = protoc(ENCODE, DELEGATION_TEXT.as_bytes()) else {
        return;
    };
    let ours = delegation_bytes(delegation_message());
    assert_eq!(
        theirs, ours,
        "protoc and prost disagree on the canonical bytes"
    );
    let d = decode_delegation(&theirs).expect("protoc's encoding is accepted");
    assert_eq!(d.delegator.corporate_number.to_string(), "6012345678901");
}

#[test]
fn protoc_encodes_contract_terms_to_exactly_our_bytes() {
    let text = r#"
contract_terms {
  format_version: 1
  matter { standard: STANDARD_MATTER_CONCLUDE_CONTRACTS }
  counterparty_corporate_number: "7000012050002"
  amount_yen: 4999999
  document {
    sha256: "\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"
    media_type: "application/pdf"
    title: "業務委託契約書"
  }
  delegation_id: "3333333333333333333333333333333333333333333333333333333333333333"
  claimed_signing_time_unix_seconds: 1770000000
}
"#;
    let Some(theirs) = protoc(ENCODE, text.as_bytes()) else {
        return;
    };
    assert_eq!(theirs, terms_bytes(contract_terms_message()));
    assert!(decode_contract_terms(&theirs).is_ok());
}

#[test]
fn protoc_decodes_our_bytes_and_re_encodes_them_identically() {
    let ours = delegation_bytes(delegation_message());
    let Some(text) = protoc(DECODE, &ours) else {
        return;
    };
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("STANDARD_MATTER_APPOINT_SUB_AGENTS"),
        "{text}"
    );
    let Some(again) = protoc(ENCODE, text.as_bytes()) else {
        return;
    };
    assert_eq!(again, ours);
}

#[test]
fn protoc_shows_the_field_a_non_canonical_encoding_smuggles() {
    // An unknown field 99 appended inside the PoA: protoc sees it (as "99: 1"), eproxy refuses
    // the bytes rather than silently dropping what another parser would show.
    let mut bytes = delegation_bytes(delegation_message());
    let inner_len = bytes.len() - 3; // 0x0a, two-byte length
    assert_eq!(bytes[0], 0x0a);
    bytes.extend_from_slice(&[0x98, 0x06, 0x01]);
    let new_len = inner_len + 3;
    bytes[1] = (new_len & 0x7f) as u8 | 0x80;
    bytes[2] = (new_len >> 7) as u8;
    assert!(decode_delegation(&bytes).is_err());
    let Some(text) = protoc(DECODE, &bytes) else {
        return;
    };
    assert!(String::from_utf8(text).unwrap().contains("99: 1"));
}
