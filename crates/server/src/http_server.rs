//! The HTTP server loop: hyper connections with the limits a production server needs.
//!
//! - at most `max_connections` client connections at once (more wait in the listen backlog);
//! - a client gets `header_timeout` to send a request's headers (counted from its first byte),
//!   `body_timeout` to send the whole body (408 after it), and an idle keep-alive connection is
//!   closed after `idle_timeout` — so slow or idle clients cannot pile up and exhaust memory;
//! - TCP_NODELAY on every connection;
//! - on shutdown: stop accepting, close idle connections at once, let in-flight requests finish
//!   for up to `shutdown_timeout`, then cut what is left.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
    task::JoinSet,
};
use tower::ServiceExt;

use crate::{config::Config, error::ApiError};

/// Connection limits and timeouts (HTTP_* and SHUTDOWN_TIMEOUT_SECS).
#[derive(Clone, Debug)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(20),
            max_body_bytes: 64 * 1024,
        }
    }
}

impl HttpLimits {
    pub fn from_config(c: &Config) -> Self {
        let r = &c.resilience;
        Self {
            header_timeout: Duration::from_secs(r.http_header_timeout_secs.max(1)),
            body_timeout: Duration::from_secs(r.http_body_timeout_secs.max(1)),
            idle_timeout: Duration::from_secs(r.http_idle_timeout_secs.max(1)),
            max_connections: r.http_max_connections.max(1),
            shutdown_timeout: Duration::from_secs(r.shutdown_timeout_secs),
            max_body_bytes: c.server.max_body_bytes,
        }
    }
}

/// Per-connection activity, shared by the connection's IO, its requests and its watchdog.
struct Activity {
    started: Instant,
    /// Requests whose response is not finished yet.
    in_flight: AtomicUsize,
    /// When the connection last became idle (ms since `started`).
    idle_since: AtomicU64,
    /// When the first byte of a not-yet-parsed request arrived (ms since `started` + 1; 0 = none).
    head_started: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.head_started.store(0, Ordering::SeqCst);
    }

    fn request_finished(&self) {
        self.idle_since.store(self.now_ms(), Ordering::SeqCst);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 {
            let _ = self.head_started.compare_exchange(
                0,
                self.now_ms() + 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        }
    }

    /// Whether the connection has overstayed: headers too slow, or idle too long.
    fn expired(&self, limits: &HttpLimits) -> bool {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return false;
        }
        let now = self.now_ms();
        match self.head_started.load(Ordering::SeqCst) {
            0 => {
                now.saturating_sub(self.idle_since.load(Ordering::SeqCst))
                    > limits.idle_timeout.as_millis() as u64
            }
            at => now.saturating_sub(at - 1) > limits.header_timeout.as_millis() as u64,
        }
    }
}

/// A TCP stream that reports reads to its connection's [`Activity`].
struct TrackedStream {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        r
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Marks a request finished when its response body is done (or dropped).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that keeps its request counted as in flight until it is fully sent.
struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Reads the whole request body within the body timeout (408 after it, 413 over the size limit),
/// so a client trickling its body cannot hold a request open.
pub async fn body_deadline(limits: HttpLimits, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if http_body::Body::is_end_stream(&body) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limited = http_body_util::Limited::new(body, limits.max_body_bytes);
    match tokio::time::timeout(limits.body_timeout, limited.collect()).await {
        Ok(Ok(collected)) => {
            let body = Body::from(collected.to_bytes());
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            crate::extract::payload_too_large().into_response()
        }
        Ok(Err(_)) => ApiError::bad_request("INVALID_BODY", "The request body could not be read.")
            .into_response(),
        Err(_) => {
            metrics::counter!("todobot_http_body_timeouts_total").increment(1);
            let mut res = ApiError::client(
                StatusCode::REQUEST_TIMEOUT,
                "REQUEST_TIMEOUT",
                "The request body was not received in time.",
            )
            .into_response();
            res.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            res
        }
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` resolves (see the module docs).
pub async fn serve(
    router: Router,
    listener: TcpListener,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let body_limits = limits.clone();
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        body_deadline(body_limits.clone(), req, next)
    }));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = slots.clone().acquire_owned() => p?,
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // e.g. out of file descriptors: back off instead of spinning
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn = serve_connection(
            stream,
            peer,
            router.clone(),
            limits.clone(),
            stop_rx.clone(),
        );
        connections.spawn(async move {
            conn.await;
            drop(permit);
        });
        // reap finished connections so the set does not grow
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let open = connections.len();
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            open,
            "shutdown deadline reached; closing the remaining connections"
        );
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Arc<HttpLimits>,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(TrackedStream {
        inner: stream,
        activity: activity.clone(),
    });
    let svc_activity = activity.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let router = router.clone();
        let activity = svc_activity.clone();
        activity.request_started();
        let in_flight = InFlight(activity);
        async move {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let res = router.oneshot(req).await?;
            Ok::<_, std::convert::Infallible>(res.map(|inner| {
                Body::new(TrackedBody {
                    inner,
                    _in_flight: in_flight,
                })
            }))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // the watchdog below times headers (from their first byte) and idleness separately
    builder.http1().header_read_timeout(None).keep_alive(true);
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    let tick = (limits.header_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut watchdog = tokio::time::interval(tick);
    let mut stopping = *stop.borrow();
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            _ = watchdog.tick() => {
                if activity.expired(&limits) {
                    metrics::counter!("todobot_http_connections_timed_out_total").increment(1);
                    return;
                }
                if stopping && activity.in_flight.load(Ordering::SeqCst) == 0 {
                    return;
                }
            }
            changed = stop.changed(), if !stopping => {
                stopping = changed.is_err() || *stop.borrow();
                if stopping {
                    conn.as_mut().graceful_shutdown();
                    if activity.in_flight.load(Ordering::SeqCst) == 0 {
                        return;
                    }
                }
            }
        }
    }
}
