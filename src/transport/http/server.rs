//! The generic HTTP MCP server: routes, layers, binding, serving and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use super::config::{HttpConfig, ReadinessCheck};
use super::json_errors::json_error_bodies;
use super::listener::{self, ConnLimits};
use super::probes::{self, Probes};
use super::sessions::{McpState, SessionBudget, mcp_guard};
use crate::transport::legacy_sse::{self, LegacySse, Registry};
use crate::transport::lifecycle::InFlight;
use crate::transport::security::{self, AuthFailures, RateLimits, Security};

/// SSE keep-alive on `/mcp` streams.
const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);
/// After the sessions are closed, how long open connections get to wind down.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// An HTTP MCP server for any handler `S` (the product uses `PersonioServer`, see
/// [`crate::transport::wiring`]; tests may use their own).
pub struct HttpServer<S> {
    config: HttpConfig,
    factory: Arc<dyn Fn() -> S + Send + Sync>,
    readiness: Option<ReadinessCheck>,
    /// Routes served beside MCP, outside bearer authentication (the confirmation page).
    public_routes: Option<Router>,
    degraded: Option<super::probes::DegradedCheck>,
    /// Routes that authenticate themselves (webhooks: signed deliveries), mounted outside the
    /// MCP token, Host and Origin checks.
    extra: Option<Router>,
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
    limits: ConnLimits,
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
            public_routes: None,
            degraded: None,
            extra: None,
        }
    }

    /// Serves `routes` on the same listener without bearer authentication (the Host check still
    /// applies): for pages a person's browser opens, whose URL is its own credential.
    pub fn with_public_routes(mut self, routes: Router) -> Self {
        self.public_routes = Some(routes);
        self
    }

    /// Mounts routes that authenticate themselves, outside the MCP auth (see `extra`).
    pub fn with_routes(mut self, routes: Router) -> Self {
        self.extra = Some(routes);
        self
    }

    pub fn with_readiness(mut self, check: ReadinessCheck) -> Self {
        self.readiness = Some(check);
        self
    }

    /// What `/readyz` reports as degraded-but-ready (see [`super::probes::DegradedCheck`]).
    pub fn with_degraded(mut self, check: super::probes::DegradedCheck) -> Self {
        self.degraded = Some(check);
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
            limits: ConnLimits {
                max_connections: self.config.max_connections,
                header_timeout: self.config.header_timeout,
                idle_timeout: self.config.connection_idle_timeout,
            },
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
        let budget = Arc::new(SessionBudget::new(
            (c.max_sessions, c.max_sessions_per_principal),
            streamable_sessions,
            sse_registry.clone(),
        ));
        let security = Arc::new(Security {
            hosts,
            origins: c.allowed_origins.clone(),
            tokens: c.tokens.clone(),
            rate_limits: RateLimits::new(c.rate_limit, c.anonymous_rate_limit),
            auth_failures: AuthFailures::default(),
            max_body_bytes: c.max_body_bytes,
            oauth: c.oauth.clone(),
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
        let protected = mcp
            .merge(legacy)
            .layer(middleware::from_fn_with_state(
                security.clone(),
                security::guard_mcp,
            ))
            // Preflights carry no token: CORS answers them before the guard asks for one.
            .layer(middleware::from_fn_with_state(
                security.clone(),
                security::cors,
            ));
        let probes = Router::new()
            .route("/healthz", get(probes::healthz))
            .route("/readyz", get(probes::readyz))
            .with_state(Arc::new(Probes::new(
                self.readiness.clone(),
                self.degraded.clone(),
                draining.clone(),
            )))
            .layer(middleware::from_fn_with_state(
                security.clone(),
                security::guard_origin,
            ));
        // Refusals (401, 403, 413, 429, 503) are expected traffic: log server errors at WARN.
        let mut app = protected
            .merge(probes)
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(middleware::from_fn(json_error_bodies));
        if let Some(routes) = &self.public_routes {
            app = app.merge(routes.clone().layer(middleware::from_fn_with_state(
                security.clone(),
                security::guard_host,
            )));
        }
        if let Some(oauth) = &c.oauth {
            // Outside the token check (they are how a client gets a token) and the Origin policy
            // (browser navigations, cross-origin token requests), and without the JSON error
            // rewriting (OAuth errors have their own shape).
            app = app.merge(
                oauth
                    .metadata_router()
                    .layer(middleware::from_fn_with_state(
                        security,
                        security::guard_host,
                    )),
            );
        }
        if let Some(extra) = &self.extra {
            app = app.merge(extra.clone());
        }
        app.layer(
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
            limits,
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
        let serve = listener::serve(listener, router, limits, draining.clone());
        let stragglers = async {
            close_sessions.cancelled().await;
            tokio::time::sleep(CLOSE_GRACE).await;
        };
        tokio::select! {
            () = serve => {}
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
