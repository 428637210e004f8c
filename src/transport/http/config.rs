//! The HTTP server's settings and their safe defaults.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::transport::oauth::OAuth;
use crate::transport::security::{ConfigError, HostPolicy, OriginPolicy, RateLimit, TokenStore};

/// HTTP server settings (the `serve --http` flags).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub bind: SocketAddr,
    /// Empty and no `oauth`: no authentication (refused unless `bind` is a loopback address).
    pub tokens: TokenStore,
    pub allowed_hosts: HostPolicy,
    pub allowed_origins: OriginPolicy,
    /// Largest accepted request body (413 beyond).
    pub max_body_bytes: usize,
    /// Open sessions (Streamable HTTP and legacy SSE together); new ones get 503 beyond.
    pub max_sessions: usize,
    /// Open sessions per token principal, so that one caller cannot take every slot; 429 beyond.
    pub max_sessions_per_principal: usize,
    /// Open connections; at the cap the least busy one is closed for a new one.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (also ends idle keep-alive
    /// connections).
    pub header_timeout: Duration,
    /// A connection on which no byte moves for this long is closed.
    pub connection_idle_timeout: Duration,
    /// A session without traffic for this long is closed.
    pub session_idle_timeout: Duration,
    /// Per token principal.
    pub rate_limit: RateLimit,
    /// Shared by all callers without a token (loopback only).
    pub anonymous_rate_limit: RateLimit,
    /// How long shutdown waits for in-flight calls before closing sessions anyway.
    pub shutdown_timeout: Duration,
    /// OAuth access tokens accepted beside the static tokens (issue 18); `None`: static tokens
    /// only.
    pub oauth: Option<OAuth>,
}

impl HttpConfig {
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
    pub const DEFAULT_MAX_SESSIONS: usize = 1000;
    /// A person rarely has more than a few clients open; a bot token serving many users needs
    /// its own, higher setting.
    pub const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL: usize = 50;
    /// Well under the usual file limit of 1024, leaving room for upstream connections.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
    /// A real client sends its headers in one packet; 10 s forgives a slow network.
    pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
    /// Streams send a keep-alive every 15 s, so only a dead or stuck connection stays this quiet.
    pub const DEFAULT_CONNECTION_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
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
            max_sessions_per_principal: Self::DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            header_timeout: Self::DEFAULT_HEADER_TIMEOUT,
            connection_idle_timeout: Self::DEFAULT_CONNECTION_IDLE_TIMEOUT,
            session_idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            rate_limit: RateLimit::PER_PRINCIPAL,
            anonymous_rate_limit: RateLimit::ANONYMOUS,
            shutdown_timeout: Self::DEFAULT_SHUTDOWN_TIMEOUT,
            oauth: None,
        }
    }

    /// Callers must prove who they are: static tokens or OAuth (or both) are configured.
    pub fn authenticated(&self) -> bool {
        !self.tokens.is_empty() || self.oauth.is_some()
    }

    /// Refuses a configuration that would expose the tools without authentication.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.authenticated() && !self.bind.ip().is_loopback() {
            return Err(ConfigError(format!(
                "refusing to serve MCP on {} without authentication: that address is reachable from \
                 other machines. Configure bearer tokens with --auth-tokens FILE (or the environment \
                 variables PERSONIO_MCP_AUTH_TOKENS_FILE / PERSONIO_MCP_AUTH_TOKENS), or OAuth with \
                 --oauth-issuer and --public-url, or bind to a loopback address such as 127.0.0.1:8000",
                self.bind
            )));
        }
        if self.max_sessions == 0 {
            return Err(ConfigError("--max-sessions must be at least 1".into()));
        }
        if self.max_sessions_per_principal == 0 {
            return Err(ConfigError(
                "--max-sessions-per-principal must be at least 1".into(),
            ));
        }
        if self.max_connections == 0 {
            return Err(ConfigError("--max-connections must be at least 1".into()));
        }
        if self.header_timeout.is_zero() || self.connection_idle_timeout.is_zero() {
            return Err(ConfigError(
                "--header-timeout and --connection-idle-timeout must be at least 1 s".into(),
            ));
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
