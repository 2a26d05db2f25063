//! Running the API on a socket: a bounded accept loop, read deadlines, graceful shutdown.
//!
//! A client that opens a connection and never finishes its request must not hold a socket
//! (an open file) forever, or a few hundred stalled clients exhaust the process' open-file
//! limit and nobody else is answered. So:
//! - the request head (request line and headers) must arrive within
//!   [`ConnectionLimits::header_read_timeout`], counted from the connection's start or the end
//!   of its previous answer (so an idle keep-alive connection is closed too);
//! - the whole request body must arrive within [`ConnectionLimits::body_read_timeout`] of the
//!   head; a late body answers 408 `body_read_timeout` and the connection closes;
//! - at most [`ConnectionLimits::connections_max`] connections are open at once. At the bound the
//!   server stops accepting (new connections wait in the kernel's queue, holding no file of
//!   ours) and logs one warning, until a connection closes.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use crate::error::AppError;
use crate::limits::BodyReadTimeout;

/// The most bytes of a request head hyper buffers. Heads above the API's own limits
/// ([`crate::limits::HEAD_BYTES_MAX`]) but below this one are refused by the router with a
/// `{code, message}` body; only heads above this one get hyper's bare 431.
const HEAD_BUFFER_BYTES_MAX: usize = 64 * 1024;

/// The least time between two "connection bound reached" warnings, so a flood of clients
/// writes a line a minute, not one per connection.
const BOUND_WARNING_SPACING: Duration = Duration::from_secs(60);

/// A pause after a failed `accept` (such as EMFILE), so the loop does not spin.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// How long a client may take to send a request, and how many may be connected at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time allowed for a request's head, from the connection's start or its previous answer.
    pub header_read_timeout: Duration,
    /// Time allowed for a request's whole body, from the end of its head.
    pub body_read_timeout: Duration,
    /// Connections open at once. Well under the usual 1,024 open-file limit, which must also
    /// hold the database's files and connections.
    pub connections_max: usize,
}

impl Default for ConnectionLimits {
    /// 15 s for a head; 60 s for a body (the largest, 8 MiB, then needs about 140 KB/s);
    /// 512 connections.
    fn default() -> Self {
        ConnectionLimits { header_read_timeout: Duration::from_secs(15), body_read_timeout: Duration::from_secs(60), connections_max: 512 }
    }
}

/// A server answering on a socket. Dropping it stops the server too.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<watch::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Binds `addr` (port 0 picks a free port) and serves `router` on it in a background task,
    /// with the default [`ConnectionLimits`].
    pub async fn start(router: axum::Router, addr: SocketAddr) -> Result<RunningServer, AppError> {
        RunningServer::start_with(router, addr, ConnectionLimits::default()).await
    }

    /// As [`RunningServer::start`], with the given limits.
    pub async fn start_with(router: axum::Router, addr: SocketAddr, limits: ConnectionLimits) -> Result<RunningServer, AppError> {
        assert!(limits.connections_max > 0, "a server must accept at least one connection");
        assert!(u32::try_from(limits.connections_max).is_ok(), "connections_max fits a semaphore");
        let listener = TcpListener::bind(addr).await.map_err(|source| AppError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| AppError::Bind { addr, source })?;
        let (stop, stopped) = watch::channel(());
        let task = tokio::spawn(accept_loop(listener, router, limits, stopped));
        tracing::info!(%addr, "listening");
        Ok(RunningServer { addr, stop: Some(stop), task: Some(task) })
    }

    /// The address the server answers on, with the port it was given.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, ready for a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, then returns.
    pub async fn shutdown(mut self) -> Result<(), AppError> {
        // Dropping the sender is the signal.
        drop(self.stop.take());
        match self.task.take() {
            Some(task) => task.await.map_err(|e| AppError::Internal { detail: format!("server task failed: {e}") }),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        drop(self.stop.take());
    }
}

/// Accepts connections while fewer than `connections_max` are open, each served on its own
/// task, until `stopped` fires; then waits for the open ones to finish.
async fn accept_loop(listener: TcpListener, router: axum::Router, limits: ConnectionLimits, mut stopped: watch::Receiver<()>) {
    let permits = Arc::new(Semaphore::new(limits.connections_max));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).max_buf_size(HEAD_BUFFER_BYTES_MAX);
    let mut warned_at: Option<Instant> = None;
    loop {
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if warned_at.is_none_or(|at| at.elapsed() >= BOUND_WARNING_SPACING) {
                    warned_at = Some(Instant::now());
                    tracing::warn!(
                        connections_max = limits.connections_max,
                        "connection bound reached: {} connections open; new connections wait until one closes",
                        limits.connections_max
                    );
                }
                tokio::select! {
                    permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                    _ = stopped.changed() => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    tracing::error!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let router = router.clone();
        let body_read_timeout = limits.body_read_timeout;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let request = request.map(|body| axum::body::Body::new(DeadlineBody::new(body, body_read_timeout)));
            router.clone().oneshot(request)
        });
        let connection = http.serve_connection(TokioIo::new(ErrorShapedIo::new(stream)), service);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            // Held until the connection closes: the open connection's place under the bound.
            let _permit = permit;
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    // Every connection holds a permit until it closes: all permits back means all closed.
    let all = u32::try_from(limits.connections_max).expect("checked at start");
    let _ = permits.acquire_many(all).await;
}

/// A request body that fails with [`BodyReadTimeout`] once its deadline has passed.
struct DeadlineBody {
    body: Incoming,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl DeadlineBody {
    fn new(body: Incoming, timeout: Duration) -> DeadlineBody {
        DeadlineBody { body, deadline: Box::pin(tokio::time::sleep(timeout)), timeout }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        // The deadline first, so a client trickling bytes cannot outrun it.
        if this.deadline.as_mut().poll(cx).is_ready() && !this.body.is_end_stream() {
            return Poll::Ready(Some(Err(Box::new(BodyReadTimeout { timeout: this.timeout }))));
        }
        Pin::new(&mut this.body).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A connection's socket as hyper sees it, which gives the answers hyper writes on its own
/// the API's `{code, message}` shape. For a request it cannot parse (a header line without a
/// colon, a doubled `Content-Length`, a head over its buffer) hyper answers 400, 414 or 431
/// with an empty body and closes, before any of our code sees the request, and has no hook
/// for that answer. Every error our router sends has a JSON body, so a 400/414/431 head with
/// `content-length: 0` and nothing after it can only be hyper's: it is rewritten as the same
/// status with the [`AppError`] body, and the connection still closes.
struct ErrorShapedIo<S> {
    inner: S,
    /// A rewritten answer not yet all written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<S> ErrorShapedIo<S> {
    fn new(inner: S) -> ErrorShapedIo<S> {
        ErrorShapedIo { inner, pending: Vec::new(), written: 0 }
    }
}

impl<S: AsyncWrite + Unpin> ErrorShapedIo<S> {
    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while self.written < self.pending.len() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ErrorShapedIo<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ErrorShapedIo<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        // Not vectored (the default), so hyper hands over a whole head in one buffer.
        if let Some(answer) = shaped_answer(buf) {
            this.pending = answer;
            // The rest is written by the flush or shutdown that follows.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// `head` as an answer with the API's error body, if it is one of hyper's own: a 400, 414 or
/// 431 head alone, with `content-length: 0`.
fn shaped_answer(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let headers = text.strip_suffix("\r\n\r\n")?;
    let (status_line, headers) = headers.split_once("\r\n")?;
    let error = match status_line.strip_prefix("HTTP/1.1 ")?.get(..3)? {
        "400" => AppError::MalformedRequest,
        "414" => AppError::UriTooLong { limit_bytes: HEAD_BUFFER_BYTES_MAX },
        "431" => AppError::HeadersTooLarge { limit_bytes: HEAD_BUFFER_BYTES_MAX },
        _ => return None,
    };
    let lines: Vec<&str> = headers.split("\r\n").collect();
    let is_empty_length =
        |l: &&str| l.split_once(':').is_some_and(|(n, v)| n.trim().eq_ignore_ascii_case("content-length") && v.trim() == "0");
    if !lines.iter().any(is_empty_length) {
        return None;
    }
    let body = serde_json::to_string(&error.body()).expect("an error body serializes");
    let mut answer = format!("{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n", body.len());
    for line in lines.iter().filter(|l| !is_empty_length(l)) {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(answer.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bare_error_heads_are_reshaped() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Sat, 05 Dec 2026 23:26:51 GMT\r\n\r\n";
        let answer = String::from_utf8(shaped_answer(bare).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert!(head.contains("date: Sat, 05 Dec 2026"), "{head}");
        assert!(!head.contains("content-length: 0"), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], "malformed_request");
        for (status, code) in [("414 URI Too Long", "uri_too_long"), ("431 Request Header Fields Too Large", "headers_too_large")] {
            let bare = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
            let answer = String::from_utf8(shaped_answer(bare.as_bytes()).unwrap()).unwrap();
            assert!(answer.contains(&format!("\"code\":\"{code}\"")), "{answer}");
        }
        // Our own answers (a body, another status, a HEAD's length) pass untouched.
        for ours in [
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 52\r\n\r\n{\"code\":\"invalid_query\"}",
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 52\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        ] {
            assert_eq!(shaped_answer(ours.as_bytes()), None, "{ours}");
        }
    }
}
