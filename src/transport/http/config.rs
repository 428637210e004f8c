//! The HTTP server's settings and their safe defaults.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::transport::security::{ConfigError, HostPolicy, OriginPolicy, RateLimit, TokenStore};

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
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.tokens.is_empty() && !self.bind.ip().is_loopback() {
            return Err(ConfigError(format!(
                "refusing to serve MCP on {} without authentication: that address is reachable from \
                 other machines. Configure bearer tokens with --auth-tokens FILE (or the environment \
                 variables PERSONIO_MCP_AUTH_TOKENS_FILE / PERSONIO_MCP_AUTH_TOKENS), or bind to a \
                 loopback address such as 127.0.0.1:8000",
                self.bind
            )));
        }
        if self.max_sessions == 0 {
            return Err(ConfigError("--max-sessions must be at least 1".into()));
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError("--max-body-bytes must be at least 1".into()));
        }
        Ok(())
    }
}

/// An asynchronous readiness check: `Err(reason)` makes `/readyz` answer 503 with that reason
/// (a stable error code, never details).
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;
