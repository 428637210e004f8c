//! Accepting connections: a cap on open connections, a deadline for request headers, an idle
//! deadline per connection, and graceful shutdown.
//!
//! Each open connection costs a file descriptor. Without deadlines a client that opens
//! connections and sends half a request holds them for as long as it likes, and at the process's
//! file limit the server stops accepting anything (`Too many open files`), probes included.
//!
//! - **Header deadline.** A request's line and headers must arrive within `header_timeout`,
//!   counted from the moment the connection waits for them: its opening (enforced here, before
//!   hyper even knows the HTTP version) and the end of the previous response (hyper's HTTP/1
//!   `header_read_timeout`). So it also ends idle keep-alive connections.
//! - **Idle deadline.** A connection on which no byte moves either way for `idle_timeout` is
//!   closed, even with a request open (a client that stopped reading its stream, a stalled
//!   upload). Streams send a keep-alive comment every 15 s, so a live stream never looks idle.
//! - **Cap.** At `max_connections`, a new connection displaces the open one that is doing the
//!   least: no request in flight, never sent a full header first, then quiet for longest. Only
//!   when every connection is busy with a request is the new one closed at once. A flood of
//!   half-open connections therefore cannot lock out `/healthz` or real clients.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Pause after a failed `accept` (e.g. the file limit), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// At most one WARN about the connection cap per this interval.
const CAP_WARN_EVERY: Duration = Duration::from_secs(60);

/// The connection settings (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnLimits {
    pub(super) max_connections: usize,
    pub(super) header_timeout: Duration,
    pub(super) idle_timeout: Duration,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One open connection, as the cap and the deadlines see it.
struct Conn {
    opened: Instant,
    /// Milliseconds after `opened` of the last byte read or written.
    last_io_ms: AtomicU64,
    /// A full request header has arrived at least once.
    started: AtomicBool,
    /// Requests whose response has not been sent completely yet.
    active: AtomicUsize,
    kill: CancellationToken,
}

impl Conn {
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        self.opened.elapsed().saturating_sub(Duration::from_millis(
            self.last_io_ms.load(Ordering::Relaxed),
        ))
    }
}

/// The open connections.
#[derive(Default)]
struct Table {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    emptied: Notify,
    displaced: AtomicU64,
    refused: AtomicU64,
    last_warn: Mutex<Option<Instant>>,
}

impl Table {
    /// Registers a new connection, displacing the least busy one at the cap; `None` when every
    /// open connection has a request in flight.
    fn admit(&self, max: usize) -> Option<(u64, Arc<Conn>)> {
        let mut conns = lock(&self.conns);
        if conns.len() >= max {
            let victim = conns
                .iter()
                .filter(|(_, c)| c.active.load(Ordering::Acquire) == 0)
                .max_by_key(|(_, c)| (!c.started.load(Ordering::Acquire), c.quiet_for()))
                .map(|(id, _)| *id);
            match victim.and_then(|id| conns.remove(&id)) {
                Some(c) => {
                    c.kill.cancel();
                    self.displaced.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    drop(conns);
                    self.warn_cap(max);
                    return None;
                }
            }
            drop(conns);
            self.warn_cap(max);
            conns = lock(&self.conns);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            opened: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            started: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            kill: CancellationToken::new(),
        });
        conns.insert(id, conn.clone());
        Some((id, conn))
    }

    fn remove(&self, id: u64) {
        let mut conns = lock(&self.conns);
        conns.remove(&id);
        if conns.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    fn len(&self) -> usize {
        lock(&self.conns).len()
    }

    /// Resolves once no connection is open.
    async fn wait_empty(&self) {
        loop {
            let notified = self.emptied.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.len() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// One aggregated line instead of one per displaced connection.
    fn warn_cap(&self, max: usize) {
        let mut last = lock(&self.last_warn);
        if last.is_some_and(|t| t.elapsed() < CAP_WARN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        tracing::warn!(
            max_connections = max,
            displaced = self.displaced.swap(0, Ordering::Relaxed),
            refused = self.refused.swap(0, Ordering::Relaxed),
            "connection cap reached: idle or half-sent connections were closed to make room \
             (see --max-connections); at most one such line a minute"
        );
    }
}

/// A socket that records when bytes last moved.
struct Tracked {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Counts a request as in flight on its connection until its response body is sent or dropped.
struct Active(Arc<Conn>);

impl Active {
    fn enter(conn: &Arc<Conn>) -> Active {
        conn.started.store(true, Ordering::Release);
        conn.active.fetch_add(1, Ordering::AcqRel);
        Active(conn.clone())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in flight.
struct Tracking {
    inner: Body,
    _active: Active,
}

impl HttpBody for Tracking {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` until `draining` is cancelled, then lets open connections
/// finish their requests and returns once all are closed.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    draining: CancellationToken,
) {
    let table = Arc::new(Table::default());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let (stream, remote) = tokio::select! {
            () = draining.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Some((id, conn)) = table.admit(limits.max_connections) else {
            drop(stream);
            continue;
        };
        // Responses stream in small writes (SSE events); without TCP_NODELAY, Nagle's algorithm and
        // delayed ACKs hold each one ~40 ms on kept-alive connections (BENCHMARKS.md).
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        tokio::spawn(serve_connection(
            ConnTask {
                stream,
                remote,
                conn,
                router: router.clone(),
                builder: builder.clone(),
                limits,
                draining: draining.clone(),
            },
            table.clone(),
            id,
        ));
    }
    drop(listener);
    table.wait_empty().await;
}

struct ConnTask {
    stream: TcpStream,
    remote: SocketAddr,
    conn: Arc<Conn>,
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    limits: ConnLimits,
    draining: CancellationToken,
}

async fn serve_connection(task: ConnTask, table: Arc<Table>, id: u64) {
    let ConnTask {
        stream,
        remote,
        conn,
        router,
        builder,
        limits,
        draining,
    } = task;
    let io = TokioIo::new(Tracked {
        inner: stream,
        conn: conn.clone(),
    });
    let for_requests = conn.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let active = Active::enter(&for_requests);
        req.extensions_mut().insert(ConnectInfo(remote));
        let router = router.clone();
        async move {
            let response = match router.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|inner| Tracking {
                inner,
                _active: active,
            }))
        }
    });
    let served = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(served);
    let mut shutting_down = false;
    loop {
        // The next moment a deadline could pass; checked again on waking, since bytes may have
        // moved (or the first header arrived) in between.
        let mut wake = conn.opened
            + Duration::from_millis(conn.last_io_ms.load(Ordering::Relaxed))
            + limits.idle_timeout;
        if !conn.started.load(Ordering::Acquire) {
            wake = wake.min(conn.opened + limits.header_timeout);
        }
        tokio::select! {
            r = served.as_mut() => {
                if let Err(e) = r {
                    tracing::trace!(error = %e, "connection ended with an error");
                }
                break;
            }
            () = conn.kill.cancelled() => break,
            () = draining.cancelled(), if !shutting_down => {
                shutting_down = true;
                served.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(wake) => {
                if !conn.started.load(Ordering::Acquire)
                    && conn.opened.elapsed() >= limits.header_timeout
                {
                    tracing::debug!("closing a connection that sent no complete request header in time");
                    break;
                }
                if conn.quiet_for() >= limits.idle_timeout {
                    tracing::debug!(
                        in_flight = conn.active.load(Ordering::Acquire),
                        "closing a connection on which nothing moved for too long"
                    );
                    break;
                }
            }
        }
    }
    table.remove(id);
}
