//! MCP over HTTP: Streamable HTTP at `/mcp` (rmcp's service: 2026-07-28 stateless requests and
//! legacy `initialize` sessions), the legacy HTTP+SSE pair at `GET /sse` + `POST /message`
//! ([`super::legacy_sse`]), and the probes `GET /healthz` and `GET /readyz`.
//!
//! Every MCP route sits behind [`super::security`] (Host, Origin, body cap, bearer token,
//! per-principal rate limit). This module adds the session cap, binds each session to the
//! principal that opened it, counts in-flight calls and shuts down gracefully: on SIGINT/SIGTERM
//! it stops accepting connections, lets in-flight calls finish (bounded), then closes the sessions.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use futures::future::BoxFuture;
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use super::legacy_sse::{self, LegacySse, Registry};
use super::lifecycle::{InFlight, InFlightGuard};
use super::security::{
    self, HostPolicy, OriginPolicy, RateLimit, RateLimits, Security, TokenStore, error_response,
    read_body,
};
use crate::app::App;
use crate::mcp::PersonioServer;
use crate::policy::principal::Principal;

/// The session header of Streamable HTTP.
const SESSION_HEADER: &str = "mcp-session-id";
/// SSE keep-alive on `/mcp` streams.
const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);
/// After the sessions are closed, how long open connections get to wind down.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// How long a `/readyz` verdict is reused (probes must not spend the Personio rate budget).
const READY_CACHE: Duration = Duration::from_secs(5);
/// A readiness check that takes longer than this counts as a failure.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The principal the HTTP layer authenticated for this request, if any.
///
/// `None` on stdio and on an HTTP server without tokens (loopback only). Works for Streamable
/// HTTP (both eras) and legacy SSE alike: both put the request's `http::request::Parts` into the
/// MCP request extensions, and the auth middleware put the [`Principal`] into those parts.
pub fn principal_of(ctx: &RequestContext<RoleServer>) -> Option<Principal> {
    ctx.extensions
        .get::<http::request::Parts>()?
        .extensions
        .get::<Principal>()
        .cloned()
}

/// HTTP server settings (the `serve --http` flags).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub bind: SocketAddr,
    /// Empty: no authentication (refused unless `bind` is a loopback address).
    pub tokens: TokenStore,
    pub allowed_hosts: HostPolicy,
    pub allowed_origins: OriginPolicy,
    /// Largest accepted request body (413 beyond).
    pub max_body_bytes: usize,
    /// Open sessions (Streamable HTTP and legacy SSE together); new ones get 503 beyond.
    pub max_sessions: usize,
    /// A session without traffic for this long is closed.
    pub session_idle_timeout: Duration,
    pub rate_limit: RateLimit,
    /// How long shutdown waits for in-flight calls before closing sessions anyway.
    pub shutdown_timeout: Duration,
}

impl HttpConfig {
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
    pub const DEFAULT_MAX_SESSIONS: usize = 1000;
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);
    pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

    /// Safe defaults for `bind`: no tokens, loopback Hosts and Origins only.
    pub fn new(bind: SocketAddr) -> HttpConfig {
        HttpConfig {
            bind,
            tokens: TokenStore::default(),
            allowed_hosts: HostPolicy::loopback(),
            allowed_origins: OriginPolicy::loopback(),
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_sessions: Self::DEFAULT_MAX_SESSIONS,
            session_idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            rate_limit: RateLimit::default(),
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// Refuses a configuration that would expose the tools without authentication.
    pub fn validate(&self) -> Result<(), security::ConfigError> {
        if self.tokens.is_empty() && !self.bind.ip().is_loopback() {
            return Err(security::ConfigError(format!(
                "refusing to serve MCP on {} without authentication: that address is reachable from \
                 other machines. Configure bearer tokens with --auth-tokens FILE (or the environment \
                 variables PERSONIO_MCP_AUTH_TOKENS_FILE / PERSONIO_MCP_AUTH_TOKENS), or bind to a \
                 loopback address such as 127.0.0.1:8000",
                self.bind
            )));
        }
        if self.max_sessions == 0 {
            return Err(security::ConfigError(
                "--max-sessions must be at least 1".into(),
            ));
        }
        if self.max_body_bytes == 0 {
            return Err(security::ConfigError(
                "--max-body-bytes must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// An asynchronous readiness check: `Err(reason)` makes `/readyz` answer 503 with that reason
/// (a stable error code, never details).
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

// ------------------------------------------------------------------------------------------------
// Sessions

/// The session cap, shared by Streamable HTTP and legacy SSE, and the owner of each Streamable
/// HTTP session.
pub(crate) struct SessionBudget {
    max: usize,
    /// Held from the count check until the new session is registered: the cap is exact.
    gate: tokio::sync::Mutex<()>,
    streamable: Arc<LocalSessionManager>,
    sse: Arc<Registry>,
    owners: Mutex<HashMap<String, Option<Principal>>>,
}

impl SessionBudget {
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    pub(crate) async fn active(&self) -> usize {
        self.streamable.sessions.read().await.len() + self.sse.len()
    }

    /// A permit to open one session, or `None` when the cap is reached. Keep it until the session
    /// is registered.
    pub(crate) async fn reserve(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let gate = self.gate.lock().await;
        (self.active().await < self.max).then_some(gate)
    }

    /// Records who opened a Streamable HTTP session, forgetting sessions that have ended.
    async fn set_owner(&self, id: String, owner: Option<Principal>) {
        let live: std::collections::HashSet<String> = self
            .streamable
            .sessions
            .read()
            .await
            .keys()
            .map(|k| k.to_string())
            .collect();
        let mut owners = self
            .owners
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        owners.retain(|k, _| live.contains(k));
        owners.insert(id, owner);
    }

    /// False when the session belongs to another principal. Unknown sessions pass (rmcp answers
    /// 404 for them).
    fn may_use(&self, id: &str, principal: Option<&Principal>) -> bool {
        let owners = self
            .owners
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        owners
            .get(id)
            .is_none_or(|owner| owner.as_ref() == principal)
    }
}

pub(crate) fn too_many_sessions(max: usize) -> Response {
    let mut r = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_sessions",
        format!(
            "The server has reached its limit of {max} open sessions (see --max-sessions). Close \
             unused sessions or try again later."
        ),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    r
}

pub(crate) fn draining_response() -> Response {
    let mut r = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting_down",
        "The server is shutting down and takes no new sessions or calls.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn session_not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "session_not_found",
        "No such session: it ended or never existed. Initialize a new one.",
    )
}

/// Keeps `guard` alive until a streaming response body has been sent (or dropped); other
/// responses are complete already.
fn hold_until_sent(response: Response, guard: InFlightGuard) -> Response {
    let streaming = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !streaming {
        return response;
    }
    let (parts, body) = response.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _in_flight = &guard;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

#[derive(serde::Deserialize)]
struct MethodProbe {
    method: Option<String>,
}

struct McpState {
    budget: Arc<SessionBudget>,
    inflight: InFlight,
    draining: CancellationToken,
    max_body_bytes: usize,
}

/// Around rmcp's `/mcp` service: drain refusal, the session cap on `initialize`, session
/// ownership, and in-flight counting of POSTs.
async fn mcp_guard(State(st): State<Arc<McpState>>, req: Request, next: Next) -> Response {
    let principal = req.extensions().get::<Principal>().cloned();
    let session = req
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = &session
        && !st.budget.may_use(id, principal.as_ref())
    {
        return session_not_found();
    }
    match (req.method().clone(), session) {
        (Method::POST, Some(_)) => {
            let guard = st.inflight.enter();
            hold_until_sent(next.run(req).await, guard)
        }
        (Method::POST, None) => {
            // A new session (`initialize`) or a session-less 2026-07-28 request.
            if st.draining.is_cancelled() {
                return draining_response();
            }
            let (parts, body) = req.into_parts();
            let bytes = match read_body(body, st.max_body_bytes).await {
                Ok(b) => b,
                Err(r) => return r.into_response(),
            };
            let initialize = serde_json::from_slice::<MethodProbe>(&bytes)
                .is_ok_and(|p| p.method.as_deref() == Some("initialize"));
            let req = Request::from_parts(parts, Body::from(bytes));
            let guard = st.inflight.enter();
            if !initialize {
                return hold_until_sent(next.run(req).await, guard);
            }
            let Some(permit) = st.budget.reserve().await else {
                return too_many_sessions(st.budget.max());
            };
            let response = next.run(req).await;
            if let Some(id) = response
                .headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                st.budget.set_owner(id.to_owned(), principal).await;
            }
            drop(permit);
            hold_until_sent(response, guard)
        }
        (Method::GET, _) if st.draining.is_cancelled() => draining_response(),
        _ => next.run(req).await,
    }
}

// ------------------------------------------------------------------------------------------------
// Probes

struct Probes {
    check: Option<ReadinessCheck>,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
    draining: CancellationToken,
}

/// Liveness: the process serves HTTP. No data, no upstream call.
async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// Readiness: upstream reachable and the credential valid (verdict cached for a few seconds,
/// single-flight), and not shutting down.
async fn readyz(State(p): State<Arc<Probes>>) -> Response {
    if p.draining.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "shutting_down"})),
        )
            .into_response();
    }
    let verdict = match &p.check {
        None => Ok(()),
        Some(check) => {
            let mut last = p.last.lock().await;
            match last.as_ref() {
                Some((at, v)) if at.elapsed() < READY_CACHE => v.clone(),
                _ => {
                    let v = match tokio::time::timeout(READY_TIMEOUT, check()).await {
                        Ok(v) => v,
                        Err(_) => Err("UPSTREAM_UNAVAILABLE".to_string()),
                    };
                    if let Err(reason) = &v {
                        tracing::warn!(%reason, "readiness check failed");
                    }
                    *last = Some((Instant::now(), v.clone()));
                    v
                }
            }
        }
    };
    match verdict {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "reason": reason})),
        )
            .into_response(),
    }
}

// ------------------------------------------------------------------------------------------------
// The server

/// An HTTP MCP server for any handler `S` (the product uses [`PersonioServer`]; tests may use
/// their own).
pub struct HttpServer<S> {
    config: HttpConfig,
    factory: Arc<dyn Fn() -> S + Send + Sync>,
    readiness: Option<ReadinessCheck>,
}

/// A server bound to its port, ready to [`run`](BoundServer::run).
pub struct BoundServer {
    listener: TcpListener,
    router: Router,
    local_addr: SocketAddr,
    draining: CancellationToken,
    close_sessions: CancellationToken,
    inflight: InFlight,
    shutdown_timeout: Duration,
}

impl<S> HttpServer<S>
where
    S: ServerHandler + Send + 'static,
{
    /// `factory` makes one handler per session (and per stateless request): keep it cheap.
    pub fn new(config: HttpConfig, factory: impl Fn() -> S + Send + Sync + 'static) -> Self {
        HttpServer {
            config,
            factory: Arc::new(factory),
            readiness: None,
        }
    }

    pub fn with_readiness(mut self, check: ReadinessCheck) -> Self {
        self.readiness = Some(check);
        self
    }

    /// Validates the configuration and binds the listener.
    pub async fn bind(self) -> std::io::Result<BoundServer> {
        self.config
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.0))?;
        let listener = TcpListener::bind(self.config.bind).await?;
        let local_addr = listener.local_addr()?;
        let draining = CancellationToken::new();
        let close_sessions = CancellationToken::new();
        let inflight = InFlight::default();
        let router = self.router(local_addr, &draining, &close_sessions, &inflight);
        Ok(BoundServer {
            listener,
            router,
            local_addr,
            draining,
            close_sessions,
            inflight,
            shutdown_timeout: self.config.shutdown_timeout,
        })
    }

    fn router(
        &self,
        local_addr: SocketAddr,
        draining: &CancellationToken,
        close_sessions: &CancellationToken,
        inflight: &InFlight,
    ) -> Router {
        let c = &self.config;
        let mut hosts = c.allowed_hosts.clone();
        for loopback in ["localhost", "127.0.0.1", "::1"] {
            hosts.allow(loopback);
        }
        if !local_addr.ip().is_unspecified() {
            // The address clients dialled is not a rebinding vector.
            hosts.allow(&local_addr.ip().to_string());
        }

        let mut sessions = LocalSessionManager::default();
        sessions.session_config.keep_alive = Some(c.session_idle_timeout);
        let streamable_sessions = Arc::new(sessions);

        // rmcp checks Host and Origin on /mcp as well; give it the same lists.
        let mut rmcp_config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(true)
            .with_sse_keep_alive(Some(SSE_KEEP_ALIVE))
            .with_cancellation_token(close_sessions.child_token());
        rmcp_config = if hosts.allows_any() {
            rmcp_config.disable_allowed_hosts()
        } else {
            rmcp_config.with_allowed_hosts(hosts.rmcp_entries())
        };
        rmcp_config = if c.allowed_origins.allows_any() {
            rmcp_config.disable_allowed_origins()
        } else {
            rmcp_config
                .with_allowed_origins(c.allowed_origins.rmcp_entries())
                .enforce_origin_validation()
        };
        rmcp_config.max_request_body_bytes = c.max_body_bytes;
        let factory = self.factory.clone();
        let streamable = StreamableHttpService::new(
            move || Ok(factory()),
            streamable_sessions.clone(),
            rmcp_config,
        );

        let sse_registry = Arc::new(Registry::default());
        let budget = Arc::new(SessionBudget {
            max: c.max_sessions,
            gate: tokio::sync::Mutex::new(()),
            streamable: streamable_sessions,
            sse: sse_registry.clone(),
            owners: Mutex::new(HashMap::new()),
        });
        let security = Arc::new(Security {
            hosts,
            origins: c.allowed_origins.clone(),
            tokens: c.tokens.clone(),
            rate_limits: RateLimits::new(c.rate_limit),
            max_body_bytes: c.max_body_bytes,
        });

        let mcp =
            Router::new()
                .route_service("/mcp", streamable)
                .layer(middleware::from_fn_with_state(
                    Arc::new(McpState {
                        budget: budget.clone(),
                        inflight: inflight.clone(),
                        draining: draining.clone(),
                        max_body_bytes: c.max_body_bytes,
                    }),
                    mcp_guard,
                ));
        let legacy = legacy_sse::router(Arc::new(LegacySse {
            factory: self.factory.clone(),
            registry: sse_registry,
            budget,
            close_sessions: close_sessions.clone(),
            draining: draining.clone(),
            inflight: inflight.clone(),
            idle_timeout: c.session_idle_timeout,
            max_body_bytes: c.max_body_bytes,
        }));
        let protected = mcp.merge(legacy).layer(middleware::from_fn_with_state(
            security.clone(),
            security::guard_mcp,
        ));
        let probes = Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(Arc::new(Probes {
                check: self.readiness.clone(),
                last: tokio::sync::Mutex::new(None),
                draining: draining.clone(),
            }))
            .layer(middleware::from_fn_with_state(
                security,
                security::guard_origin,
            ));
        // Refusals (401, 403, 413, 429, 503) are expected traffic: log server errors at WARN.
        protected.merge(probes).layer(
            TraceLayer::new_for_http()
                .on_failure(DefaultOnFailure::new().level(tracing::Level::WARN)),
        )
    }
}

impl BoundServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then: stop accepting connections and refuse new sessions
    /// and calls; wait for in-flight calls (up to the shutdown timeout); close every session;
    /// give open connections a moment to finish; return.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let BoundServer {
            listener,
            router,
            draining,
            close_sessions,
            inflight,
            shutdown_timeout,
            ..
        } = self;
        {
            let (draining, close_sessions, inflight) =
                (draining.clone(), close_sessions.clone(), inflight.clone());
            tokio::spawn(async move {
                shutdown.await;
                tracing::info!(
                    in_flight = inflight.count(),
                    "shutting down: no new connections, sessions or calls; letting in-flight calls finish"
                );
                draining.cancel();
                if tokio::time::timeout(shutdown_timeout, inflight.wait_idle())
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        still_running = inflight.count(),
                        timeout_s = shutdown_timeout.as_secs(),
                        "shutdown timeout reached; closing sessions with calls still running"
                    );
                }
                close_sessions.cancel();
            });
        }
        // Responses stream in small writes (SSE events); without TCP_NODELAY, Nagle's algorithm and
        // delayed ACKs hold each one ~40 ms on kept-alive connections (BENCHMARKS.md).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let serve =
            axum::serve(listener, router).with_graceful_shutdown(draining.cancelled_owned());
        let stragglers = async {
            close_sessions.cancelled().await;
            tokio::time::sleep(CLOSE_GRACE).await;
        };
        tokio::select! {
            r = async { serve.await } => r?,
            () = stragglers => {
                tracing::warn!("connections still open after the sessions closed; stopping anyway");
            }
        }
        tracing::info!("HTTP server stopped");
        Ok(())
    }
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Readiness of the Personio connection: a live request (never a cached answer) succeeds.
fn personio_readiness(app: &App) -> ReadinessCheck {
    let app = app.clone();
    Arc::new(move || {
        let app = app.clone();
        Box::pin(async move {
            app.records()
                .check_connection()
                .await
                .map_err(|e| e.code.to_string())
        })
    })
}

/// `personio-mcp serve --http ADDR`: binds, prints the base URL as the first stdout line, serves
/// until SIGINT/SIGTERM, shuts down gracefully.
pub async fn serve(app: App, config: HttpConfig) -> std::io::Result<()> {
    let authenticated = !config.tokens.is_empty();
    let principals = security::principal_count(&config.tokens);
    let unspecified = config.bind.ip().is_unspecified();
    let custom_hosts = config.allowed_hosts != HostPolicy::loopback();
    let readiness = personio_readiness(&app);
    // One handler, cloned per session: rebuilding its routers per request would be wasted work.
    let prototype =
        PersonioServer::new(app).with_caller_source(super::caller::http_caller_source());
    let bound = HttpServer::new(config, move || prototype.clone())
        .with_readiness(readiness)
        .bind()
        .await?;
    let addr = bound.local_addr();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(
        "MCP over HTTP on http://{addr}: Streamable HTTP at /mcp, legacy SSE at /sse + /message, probes at /healthz and /readyz"
    );
    if authenticated {
        tracing::info!(principals, "bearer authentication on");
    } else {
        tracing::warn!(
            "no auth tokens configured: any local process may call the tools, and calls carry no principal"
        );
    }
    if unspecified && !custom_hosts {
        tracing::warn!(
            "listening on all interfaces but only loopback Host names are accepted; pass --allowed-host \
             with the name (or address) clients use to reach this server"
        );
    }
    bound.run(shutdown_signal()).await
}
