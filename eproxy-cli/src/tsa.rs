//! A time-stamping authority's client (RFC 3161 over HTTP, section 3.4): a contract's signature
//! is timestamped so that whoever verifies it later knows, from a third party, when it was
//! signed, before or after a revocation, inside the PoA's period or not.
//!
//! The request carries a SHA-256 imprint of the signature value, a random nonce and certReq;
//! the reply's token is checked (signature intact, imprint, nonce, ESS certificate binding)
//! before it is embedded. Whether the TSA is trusted is the verifier's question, answered
//! against its time-stamping anchors.

use const_oid::db::rfc5912::ID_SHA_256 as SHA256;
use der::asn1::{OctetString, Uint};
use der::{Decode as _, Encode as _};
use eproxy_policy::UnixTime;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::timestamp::check_reply_token;
use eproxy_verifier::tsp::{MessageImprint, TimeStampReq, TimeStampResp};
use sha2::{Digest as _, Sha256};
use spki::AlgorithmIdentifierOwned;

use crate::client::http::{Request, exchange};
use crate::error::CliError;

/// The largest reply read: a token with a certificate chain.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// A token for `signature_value` from the authority at `url` (http://…), checked; with the
/// time it states.
pub fn timestamp(url: &str, signature_value: &[u8]) -> Result<(Vec<u8>, UnixTime), CliError> {
    let encoding =
        |e: der::Error| CliError::new(format!("cannot encode the timestamp request: {e}"));
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce)
        .map_err(|e| CliError::new(format!("cannot draw a random nonce: {e}")))?;
    nonce[0] &= 0x7f;
    let request = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(Sha256::digest(signature_value).to_vec())
                .map_err(encoding)?,
        },
        req_policy: None,
        nonce: Some(Uint::new(&nonce).map_err(encoding)?),
        cert_req: true,
    }
    .to_der()
    .map_err(encoding)?;
    let reply = post(url, request)?;
    let response = TimeStampResp::from_der(&reply).map_err(|e| {
        CliError::new(format!(
            "the time-stamping authority's reply is not a TimeStampResp: {e}"
        ))
    })?;
    if !response.status.is_granted() {
        return Err(CliError::new(format!(
            "the time-stamping authority refused (PKIStatus {})",
            response.status.status
        )));
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| CliError::new("the time-stamping authority granted but sent no token"))?
        .to_der()
        .map_err(encoding)?;
    let gen_time = check_reply_token(&AWS_LC, &token, signature_value, &nonce).map_err(|e| {
        CliError::new(format!(
            "the time-stamping authority's token is not usable: {e}"
        ))
    })?;
    Ok((token, gen_time))
}

/// POSTs a timestamp query and returns the reply's body.
fn post(url: &str, body: Vec<u8>) -> Result<Vec<u8>, CliError> {
    let request = Request::Post {
        content_type: "application/timestamp-query",
        body,
    };
    exchange(url, request, MAX_REPLY_BYTES).map_err(|e| {
        let error = CliError::new(format!("the time-stamping authority: {e}"));
        match url.starts_with("http://") {
            true => error,
            false => error.fix("RFC 3161 tokens are signed, so plain HTTP is the usual transport: use the authority's http:// URL"),
        }
    })
}
