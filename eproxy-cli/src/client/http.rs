//! Plain HTTP, for what is checked after it is fetched and so needs no TLS for its integrity:
//! a time-stamping authority's signed tokens (RFC 3161) and a log's tiles, checked against a
//! signed checkpoint.

use std::time::Duration;

pub use eproxy_http::client::Request;

/// How long one exchange may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The body of the 2xx answer to `request` at `url` (http:// only), at most `max_bytes`; any
/// other status is an error naming it. The error names the URL and what went wrong, for the
/// caller to say whose URL it is.
pub fn exchange(url: &str, request: Request<'_>, max_bytes: usize) -> Result<Vec<u8>, String> {
    eproxy_http::client::fetch(url, request, max_bytes, TIMEOUT)
}
