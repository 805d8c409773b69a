//! The client: one exchange, http:// only, its answer's body read up to a limit and the whole
//! exchange within a deadline. What it fetches is checked after it is fetched (a signed
//! checkpoint, a signed token, a cosignature), so it needs no TLS for its integrity.

use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;

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

/// An answer, whatever its status.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// `Content-Type`, if given and text.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// A client that keeps its connections open between exchanges (HTTP keep-alive), for a caller
/// that asks the same servers again and again: the registry its witnesses.
#[derive(Clone)]
pub struct Client {
    inner: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
}

impl Default for Client {
    fn default() -> Self {
        Self {
            inner:
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http(),
        }
    }
}

impl Client {
    /// The answer to `request` at `url` (http:// only), its body at most `max_bytes`, the
    /// whole exchange within `timeout`. The error names the URL and what went wrong.
    pub async fn exchange(
        &self,
        url: &str,
        request: Request<'_>,
        max_bytes: usize,
        timeout: Duration,
    ) -> Result<Answer, String> {
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
                .body(Full::new(Bytes::from(body))),
        }
        .map_err(|e| format!("cannot build the request: {e}"))?;
        let exchanged = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| format!("cannot reach {url}: {e}"))?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = Limited::new(response.into_body(), max_bytes)
                .collect()
                .await
                .map_err(|e| format!("{url}: the answer could not be read: {e}"))?;
            Ok(Answer {
                status,
                content_type,
                body: body.to_bytes().to_vec(),
            })
        };
        tokio::time::timeout(timeout, exchanged)
            .await
            .map_err(|_| format!("{url}: no answer within {} s", timeout.as_secs()))?
    }
}

/// [`Client::exchange`] on a client of its own.
pub async fn exchange(
    url: &str,
    request: Request<'_>,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Answer, String> {
    Client::default()
        .exchange(url, request, max_bytes, timeout)
        .await
}

/// [`exchange`] for a caller without a runtime: the body of a 2xx answer, any other status an
/// error naming it.
pub fn fetch(
    url: &str,
    request: Request<'_>,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    let answer = runtime.block_on(exchange(url, request, max_bytes, timeout))?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("{url} answered HTTP {}", answer.status));
    }
    Ok(answer.body)
}
