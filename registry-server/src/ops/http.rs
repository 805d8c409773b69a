//! The registry's small HTTP/1 listeners, beside the gRPC one: the metrics, and the log as
//! tiles. Each answer is computed off the async threads, for it may read the database.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::api::HttpAnswer;

/// How long a client may take to send a request's head before its connection is closed, so
/// that idle or trickling connections do not pile up.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves every request on `listener` with `answer(method, path)`, until the task is dropped.
pub async fn serve<F>(listener: TcpListener, answer: Arc<F>)
where
    F: Fn(&str, &str) -> HttpAnswer + Send + Sync + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let answer = Arc::clone(&answer);
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let answer = Arc::clone(&answer);
                let method = request.method().as_str().to_owned();
                let path = request.uri().path().to_owned();
                async move {
                    let answered = tokio::task::spawn_blocking(move || answer(&method, &path))
                        .await
                        .unwrap_or_else(|_| HttpAnswer::refused(500, "internal error".into()));
                    Ok::<_, Infallible>(response(answered))
                }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
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
