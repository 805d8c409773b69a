//! Accepting connections, within bounds. gRPC clients keep their connections open, and one that
//! never sends a request holds its socket as long as it likes; so at most `max_connections` are
//! open at once, and a connection beyond that is closed as soon as it is accepted, leaving the
//! others served. A failed accept (out of file descriptors, say) pauses accepting briefly
//! instead of retrying in a busy loop.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How long accepting pauses after a failed accept.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// How often, at most, turning connections away is logged.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// An accepted connection, counted as open until dropped.
pub struct Connection {
    stream: TcpStream,
    _open: OpenSlot,
}

/// One place among the open connections, given back on drop.
struct OpenSlot(Arc<AtomicUsize>);

impl Drop for OpenSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Accepts connections from `listener` on a task of its own, at most `max_connections` open at
/// once, as the stream the gRPC server serves. The task ends when the server drops the stream.
pub fn accept(
    listener: TcpListener,
    max_connections: usize,
) -> ReceiverStream<io::Result<Connection>> {
    let (connections, stream) = mpsc::channel(64);
    tokio::spawn(async move {
        let open = Arc::new(AtomicUsize::new(0));
        let mut warned: Option<Instant> = None;
        let mut warn = |message: &str, detail: String| {
            if warned.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                tracing::warn!(%detail, "{message}");
                warned = Some(Instant::now());
            }
        };
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(error) => {
                    warn("accepting connections failed; pausing", error.to_string());
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            };
            if open.fetch_add(1, Ordering::Relaxed) >= max_connections {
                open.fetch_sub(1, Ordering::Relaxed);
                warn(
                    "connection refused: max_connections reached",
                    max_connections.to_string(),
                );
                continue;
            }
            // Small answers go out at once: with Nagle's algorithm on, a reply could wait for
            // the client's delayed ACK (40 ms on Linux).
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                stream,
                _open: OpenSlot(Arc::clone(&open)),
            };
            if connections.send(Ok(connection)).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(stream)
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
