//! Where the confirmation page is served: [`FixedHost`] (the HTTP server's own public URL) or
//! [`LoopbackHost`] (stdio mode: a listener on `--confirm-bind`, default `127.0.0.1:0`, started
//! the first time a page is needed, so a server that never asks for a page opens no port).
//!
//! On a loopback address the listener answers only requests whose `Host` names that loopback
//! address or `localhost` with its port: a web page that rebinds its own DNS name to 127.0.0.1
//! cannot reach it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;

use super::router;
use crate::error::{Error, Result};
use crate::policy::state::{Approvals, ConfirmPageHost};

/// The default of `--confirm-bind`.
pub const DEFAULT_CONFIRM_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// A page host at a fixed base URL (`serve --http`: the server's public URL). It may be created
/// before the URL is known (the listener binds port 0 after the handler exists) and set once
/// later; until then, and when it cannot be set, asking for the URL is an error.
#[derive(Debug, Clone, Default)]
pub struct FixedHost {
    base_url: Arc<std::sync::OnceLock<String>>,
}

impl FixedHost {
    pub fn new(base_url: &str) -> Self {
        let host = FixedHost::default();
        host.set(base_url);
        host
    }

    /// Sets the base URL (first call wins).
    pub fn set(&self, base_url: &str) {
        let _ = self
            .base_url
            .set(base_url.trim_end_matches('/').to_string());
    }
}

impl ConfirmPageHost for FixedHost {
    fn base_url(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(async move {
            self.base_url.get().cloned().ok_or_else(|| {
                Error::validation(
                    "this server has no address a person's browser can reach for the confirmation page",
                )
                .with_hint(
                    "Serve on a specific address (not 0.0.0.0) or configure --public-url with OAuth, \
or use --confirm-via auto.",
                )
            })
        })
    }
}

struct Started {
    base_url: String,
    task: JoinHandle<()>,
}

/// A page host that binds a listener on first need and serves the page there until dropped.
pub struct LoopbackHost {
    bind: SocketAddr,
    approvals: Approvals,
    started: OnceCell<Started>,
}

impl std::fmt::Debug for LoopbackHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackHost")
            .field("bind", &self.bind)
            .field("started", &self.started.get().map(|s| &s.base_url))
            .finish()
    }
}

impl Drop for LoopbackHost {
    fn drop(&mut self) {
        if let Some(s) = self.started.get() {
            s.task.abort();
        }
    }
}

impl LoopbackHost {
    pub fn new(bind: SocketAddr, approvals: Approvals) -> Self {
        LoopbackHost {
            bind,
            approvals,
            started: OnceCell::new(),
        }
    }

    /// Binds and starts serving, once; later calls return the same base URL.
    pub async fn start(&self) -> Result<String> {
        let started = self
            .started
            .get_or_try_init(|| async {
                let listener = tokio::net::TcpListener::bind(self.bind)
                    .await
                    .map_err(|e| {
                        Error::validation(format!(
                            "cannot listen on {} for the confirmation page ({e})",
                            self.bind
                        ))
                        .with_hint("Choose another address with --confirm-bind.")
                    })?;
                let local = listener.local_addr().map_err(|e| {
                    Error::validation(format!("the confirmation listener has no address ({e})"))
                })?;
                let shown = shown_address(local);
                let base_url = format!("http://{shown}");
                let mut app = router(self.approvals.clone());
                if local.ip().is_loopback() {
                    let allowed = Arc::new(allowed_hosts(local));
                    app = app.layer(from_fn_with_state(allowed, check_host));
                }
                let task = tokio::spawn(serve(listener, app));
                tracing::info!(address = %shown, "confirmation page listening");
                Ok::<_, Error>(Started { base_url, task })
            })
            .await?;
        Ok(started.base_url.clone())
    }
}

impl ConfirmPageHost for LoopbackHost {
    fn base_url(&self) -> BoxFuture<'_, Result<String>> {
        Box::pin(self.start())
    }
}

async fn serve(listener: tokio::net::TcpListener, app: Router) {
    if let Err(e) = axum::serve(listener, app).await {
        tracing::warn!(error = %e, "confirmation page listener stopped");
    }
}

/// The address a browser should use: an unspecified bind (`0.0.0.0`, `::`) is reached locally
/// through loopback.
fn shown_address(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), local.port())
        }
        _ => local,
    }
}

fn allowed_hosts(local: SocketAddr) -> Vec<String> {
    vec![local.to_string(), format!("localhost:{}", local.port())]
}

async fn check_host(
    State(allowed): State<Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    match host {
        Some(h) if allowed.contains(&h) => next.run(request).await,
        _ => (StatusCode::MISDIRECTED_REQUEST, "unexpected Host header").into_response(),
    }
}
