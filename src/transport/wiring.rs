//! The product on the generic HTTP server: the Personio handler, the Personio readiness check,
//! the URL line on stdout and the start-up log. Kept apart so that the HTTP server stays
//! independent of [`App`] and of the MCP handler.

use std::io::Write;
use std::sync::Arc;

use super::confirm_page::{self, FixedHost};
use super::http::{HttpConfig, HttpServer, ReadinessCheck, shutdown_signal};
use super::security::{self, HostPolicy};
use crate::app::App;
use crate::mcp::PersonioServer;

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
/// until SIGINT/SIGTERM, shuts down gracefully. With a webhook secret, Personio's signed change
/// notifications are received at `POST /webhooks/personio` and the directory stops polling.
pub async fn serve(
    app: App,
    config: HttpConfig,
    webhook_secret: Option<secrecy::SecretString>,
) -> std::io::Result<()> {
    let (app, webhooks) = match webhook_secret {
        Some(secret) => {
            let app = app.with_directory_config(super::webhooks::push_directory_config());
            let receiver = super::webhooks::Receiver::start(secret, app.clone());
            (app, Some(super::webhooks::router(receiver)))
        }
        None => (app, None),
    };
    let authenticated = !config.tokens.is_empty();
    let oauth_issuer = config.oauth.as_ref().map(|o| o.issuer().to_string());
    let principals = security::principal_count(&config.tokens);
    let unspecified = config.bind.ip().is_unspecified();
    let custom_hosts = config.allowed_hosts != HostPolicy::loopback();
    let readiness = personio_readiness(&app);
    // Confirmation pages on this listener under /confirm/ (outside bearer auth: the URL is the
    // credential); their base URL is known once bound.
    let page_host = FixedHost::default();
    let public_url = config.oauth.as_ref().map(|o| {
        o.config()
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_string()
    });
    let app = app.with_page_host(Some(Arc::new(page_host.clone())));
    // Replicas sharing a Redis store pass directory changes (webhooks reach one of them) along.
    app.follow_changes();
    let pages = confirm_page::router(app.approvals().clone());
    let state_app = app.clone();
    let degraded: super::http::DegradedCheck = Arc::new(move || state_app.state_degraded());
    // One handler, cloned per session: rebuilding its routers per request would be wasted work.
    let prototype =
        PersonioServer::new(app).with_caller_source(super::caller::http_caller_source());
    let mut server = HttpServer::new(config, move || prototype.clone())
        .with_readiness(readiness)
        .with_public_routes(pages)
        .with_degraded(degraded);
    if let Some(routes) = webhooks {
        tracing::info!(
            path = super::webhooks::PATH,
            "Personio webhooks on: signed deliveries update the directory; periodic polling is off (safety refresh every 6 h)"
        );
        server = server.with_routes(routes);
    }
    let bound = server.bind().await?;
    let addr = bound.local_addr();
    match (public_url, unspecified) {
        (Some(url), _) => page_host.set(&url),
        (None, false) => page_host.set(&format!("http://{addr}")),
        (None, true) => tracing::warn!(
            "no confirmation page: listening on all interfaces without --public-url, so no address for a \
             person's browser is known (--confirm-via auto falls back to tokens)"
        ),
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(
        "MCP over HTTP on http://{addr}: Streamable HTTP at /mcp, legacy SSE at /sse + /message, probes at /healthz and /readyz"
    );
    if let Some(issuer) = &oauth_issuer {
        tracing::info!(issuer = %issuer, "OAuth on: access tokens of this issuer are accepted");
    }
    if authenticated {
        tracing::info!(principals, "bearer authentication on");
    } else if oauth_issuer.is_none() {
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
