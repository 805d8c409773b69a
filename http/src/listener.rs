//! A small HTTP/1 listener for the services beside gRPC: the registry's metrics and its log as
//! tiles, and a witness's `add-checkpoint`. Each request is answered off the async threads, for
//! an answer may read a database or a file, and bodies are read only up to a stated limit.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// How long a client may take to send a request's head before its connection is closed, so
/// that idle or trickling connections do not pile up.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's body once its head is in.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as an answer sees it.
#[derive(Debug)]
pub struct HttpRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The body, at most the listener's limit.
    pub body: Vec<u8>,
}

/// An answer: its status, headers and body.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Cache-Control`, for answers a cache may keep.
    pub cache_control: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpAnswer {
    /// A 200 with `body`, which caches may keep as `cache_control` says.
    pub fn ok(content_type: &'static str, cache_control: &'static str, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type,
            cache_control: Some(cache_control),
            body,
        }
    }

    /// A refusal with its reason as text.
    pub fn refused(status: u16, reason: String) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            cache_control: None,
            body: format!("{reason}\n").into_bytes(),
        }
    }
}

/// Serves every request on `listener` with `answer`, refusing a body longer than `max_body`
/// bytes (413) before it is read whole, until the task is dropped.
pub async fn serve<F>(listener: TcpListener, max_body: usize, answer: Arc<F>)
where
    F: Fn(HttpRequest) -> HttpAnswer + Send + Sync + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let answer = Arc::clone(&answer);
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let answer = Arc::clone(&answer);
                async move { Ok::<_, Infallible>(response(handle(request, max_body, answer).await)) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle<F>(
    request: hyper::Request<hyper::body::Incoming>,
    max_body: usize,
    answer: Arc<F>,
) -> HttpAnswer
where
    F: Fn(HttpRequest) -> HttpAnswer + Send + Sync + 'static,
{
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let reading = Limited::new(request.into_body(), max_body).collect();
    let body = match tokio::time::timeout(BODY_READ_TIMEOUT, reading).await {
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            return HttpAnswer::refused(413, format!("the body exceeds {max_body} bytes"));
        }
        Ok(Err(error)) => return HttpAnswer::refused(400, format!("the body: {error}")),
        Err(_) => return HttpAnswer::refused(408, "the body came too slowly".into()),
    };
    let request = HttpRequest { method, path, body };
    tokio::task::spawn_blocking(move || answer(request))
        .await
        .unwrap_or_else(|_| HttpAnswer::refused(500, "internal error".into()))
}

fn response(answer: HttpAnswer) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(answer.content_type),
    );
    if let Some(cache_control) = answer.cache_control {
        headers.insert(
            hyper::header::CACHE_CONTROL,
            hyper::header::HeaderValue::from_static(cache_control),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// Sends `request` raw and returns the whole response as text.
    async fn exchange(request: &[u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let echo = |request: HttpRequest| {
            let text = format!(
                "{} {} {}",
                request.method,
                request.path,
                String::from_utf8_lossy(&request.body)
            );
            HttpAnswer::ok("text/plain", "no-store", text.into_bytes())
        };
        let server = tokio::spawn(serve(listener, 16, Arc::new(echo)));
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        server.abort();
        response
    }

    #[tokio::test]
    async fn a_body_within_the_limit_reaches_the_answer() {
        let response = exchange(
            b"POST /add HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("cache-control: no-store"), "{response}");
        assert!(response.ends_with("POST /add hello"), "{response}");
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_refused_unread() {
        let response = exchange(
            b"POST /add HTTP/1.1\r\nhost: x\r\ncontent-length: 17\r\nconnection: close\r\n\r\n0123456789abcdefg",
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        assert!(
            response.ends_with("the body exceeds 16 bytes\n"),
            "{response}"
        );
    }
}
