//! Plain HTTP, for what is checked after it is fetched and so needs no TLS for its integrity:
//! a time-stamping authority's signed tokens (RFC 3161) and a log's tiles, checked against a
//! signed checkpoint. Every body is read up to a limit, every exchange within a deadline.

use http_body_util::{BodyExt as _, Full, Limited};

/// How long one exchange may take, connection included.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A request: GET, or POST of a body of a content type.
pub enum Request<'a> {
    /// `GET url`.
    Get,
    /// `POST url` with `Content-Type: content_type`.
    Post {
        /// The body's type.
        content_type: &'a str,
        /// The body.
        body: Vec<u8>,
    },
}

/// The body of the answer to `request` at `url` (http:// only), at most `max_bytes`; an answer
/// other than 2xx is an error naming its status. The error names the URL and what went wrong,
/// for the caller to say whose URL it is.
pub fn exchange(url: &str, request: Request<'_>, max_bytes: usize) -> Result<Vec<u8>, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("{url} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// URLs are supported"));
    }
    let request = match request {
        Request::Get => hyper::Request::get(uri).body(Full::default()),
        Request::Post { content_type, body } => hyper::Request::post(uri)
            .header("content-type", content_type)
            .body(Full::new(bytes::Bytes::from(body))),
    }
    .map_err(|e| format!("cannot build the request: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    runtime.block_on(async {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<bytes::Bytes>>();
        let response = tokio::time::timeout(TIMEOUT, client.request(request))
            .await
            .map_err(|e| format!("cannot reach {url}: {e}"))?
            .map_err(|e| format!("cannot reach {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered HTTP {}", response.status()));
        }
        let body = tokio::time::timeout(
            TIMEOUT,
            Limited::new(response.into_body(), max_bytes).collect(),
        )
        .await
        .map_err(|e| format!("{url}: the answer did not come: {e}"))?
        .map_err(|e| format!("{url}: the answer could not be read: {e}"))?;
        Ok(body.to_bytes().to_vec())
    })
}
