//! MCP over HTTP: Streamable HTTP at `/mcp` (rmcp's service: 2026-07-28 stateless requests and
//! legacy `initialize` sessions), the legacy HTTP+SSE pair at `GET /sse` + `POST /message`
//! ([`super::legacy_sse`]), and the probes `GET /healthz` and `GET /readyz`.
//!
//! Every MCP route sits behind [`super::security`] (Host, Origin, body cap, bearer token,
//! per-principal rate limit). This module adds the session cap, binds each session to the
//! principal that opened it, counts in-flight calls and shuts down gracefully: on SIGINT/SIGTERM
//! it stops accepting connections, lets in-flight calls finish (bounded), then closes the sessions.
//!
//! The server is generic over the MCP handler: it knows nothing of Personio. The product's
//! wiring (handler, readiness check, start-up banner) lives in [`super::wiring`].

mod config;
pub(crate) mod json_errors;
mod listener;
mod probes;
mod server;
pub(crate) mod sessions;

pub use config::{HttpConfig, ReadinessCheck};
pub use probes::DegradedCheck;
pub use server::{BoundServer, HttpServer, shutdown_signal};
