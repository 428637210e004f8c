//! The `serve --http` flags and how they become an [`HttpConfig`].
//!
//! Secrets never come from flags (they would show in `ps` and shell history): bearer tokens are
//! read from a file (`--auth-tokens`) or the environment (`PERSONIO_MCP_AUTH_TOKENS`).

use std::net::{Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use super::http::HttpConfig;
use super::oauth::{OAuth, OAuthArgs};
use super::security::{ConfigError, HostPolicy, OriginPolicy, RateLimit, TokenStore};

/// `serve --http`: MCP over HTTP instead of stdio, and how it is secured. Everything but `--http`
/// is ignored in stdio mode.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpArgs {
    /// Serve over HTTP on this address (IP:PORT, or localhost:PORT) instead of stdio: Streamable
    /// HTTP at /mcp, legacy SSE at /sse + /message, probes at /healthz and /readyz. The first
    /// stdout line is the base URL. A non-loopback address requires auth tokens.
    #[arg(long, env = "PERSONIO_MCP_HTTP", value_name = "ADDR", value_parser = parse_http_addr)]
    pub http: Option<SocketAddr>,
    /// Bearer tokens file: one `TOKEN EMAIL ROLE` line per token (ROLE: employee, manager or hr;
    /// TOKEN may be `sha256:<hex>`). Tokens may also come from PERSONIO_MCP_AUTH_TOKENS.
    #[arg(long, env = "PERSONIO_MCP_AUTH_TOKENS_FILE", value_name = "FILE")]
    pub auth_tokens: Option<PathBuf>,
    /// Host header value clients may use, `host` or `host:port` (repeatable or comma-separated;
    /// `*` = any). Loopback names and the bound address are always accepted.
    #[rustfmt::skip]
    #[arg(long = "allowed-host", env = "PERSONIO_MCP_ALLOWED_HOSTS", value_name = "HOST", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Browser Origin allowed to call the server, `scheme://host[:port]`, `scheme://host:*` or
    /// `null` (repeatable or comma-separated; `*` = any). Default: loopback origins, any port.
    #[rustfmt::skip]
    #[arg(long = "allowed-origin", env = "PERSONIO_MCP_ALLOWED_ORIGINS", value_name = "ORIGIN", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, env = "PERSONIO_MCP_MAX_BODY_BYTES", value_name = "BYTES", default_value_t = HttpConfig::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Open sessions allowed at once, Streamable HTTP and SSE together (503 beyond).
    #[arg(long, env = "PERSONIO_MCP_MAX_SESSIONS", value_name = "N", default_value_t = HttpConfig::DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,
    /// Open sessions allowed per token principal (429 beyond), so one caller cannot take every
    /// slot.
    #[arg(long, env = "PERSONIO_MCP_MAX_SESSIONS_PER_PRINCIPAL", value_name = "N", default_value_t = HttpConfig::DEFAULT_MAX_SESSIONS_PER_PRINCIPAL)]
    pub max_sessions_per_principal: usize,
    /// Open connections allowed at once; at the cap the least busy connection (idle, or still
    /// sending its headers) is closed for the new one. Keep it below the file limit (ulimit -n).
    #[arg(long, env = "PERSONIO_MCP_MAX_CONNECTIONS", value_name = "N", default_value_t = HttpConfig::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers (also how long an idle
    /// keep-alive connection stays open).
    #[arg(long, env = "PERSONIO_MCP_HEADER_TIMEOUT", value_name = "SECS", default_value_t = HttpConfig::DEFAULT_HEADER_TIMEOUT.as_secs())]
    pub header_timeout: u64,
    /// Close a connection on which no byte moved for this many seconds.
    #[arg(long, env = "PERSONIO_MCP_CONNECTION_IDLE_TIMEOUT", value_name = "SECS", default_value_t = HttpConfig::DEFAULT_CONNECTION_IDLE_TIMEOUT.as_secs())]
    pub connection_idle_timeout: u64,
    /// Close a session after this many seconds without traffic in either direction.
    #[arg(long, env = "PERSONIO_MCP_SESSION_IDLE_TIMEOUT", value_name = "SECS", default_value_t = HttpConfig::DEFAULT_IDLE_TIMEOUT.as_secs())]
    pub session_idle_timeout: u64,
    /// Requests a minute per token principal (per token's email).
    #[arg(long, env = "PERSONIO_MCP_RATE_LIMIT", value_name = "PER_MINUTE", default_value_t = RateLimit::PER_PRINCIPAL.per_minute)]
    pub rate_limit: NonZeroU32,
    /// Requests a token principal may make at once before the per-minute rate applies.
    #[arg(long, env = "PERSONIO_MCP_RATE_LIMIT_BURST", value_name = "N", default_value_t = RateLimit::PER_PRINCIPAL.burst)]
    pub rate_limit_burst: NonZeroU32,
    /// Requests a minute shared by all callers without a token (loopback only).
    #[arg(long, env = "PERSONIO_MCP_RATE_LIMIT_ANONYMOUS", value_name = "PER_MINUTE", default_value_t = RateLimit::ANONYMOUS.per_minute)]
    pub rate_limit_anonymous: NonZeroU32,
    /// Requests callers without a token may make at once before their per-minute rate applies.
    #[arg(long, env = "PERSONIO_MCP_RATE_LIMIT_ANONYMOUS_BURST", value_name = "N", default_value_t = RateLimit::ANONYMOUS.burst)]
    pub rate_limit_anonymous_burst: NonZeroU32,
    /// On SIGINT/SIGTERM, seconds to let in-flight calls finish before closing sessions.
    #[arg(long, env = "PERSONIO_MCP_SHUTDOWN_TIMEOUT", value_name = "SECS", default_value_t = HttpConfig::DEFAULT_SHUTDOWN_TIMEOUT.as_secs())]
    pub shutdown_timeout: u64,
    /// OAuth 2.1 (issue 18): accept access tokens from the company's identity provider beside
    /// the static tokens.
    #[command(flatten, next_help_heading = "OAuth")]
    pub oauth: OAuthArgs,
    /// Tokens from the environment (PERSONIO_MCP_AUTH_TOKENS; environment only — a flag would show
    /// up in `ps`).
    #[arg(long = "auth-tokens-env", env = "PERSONIO_MCP_AUTH_TOKENS", hide = true, hide_env_values = true, value_parser = crate::config::parse_secret)]
    pub auth_tokens_env: Option<secrecy::SecretString>,
}

/// `IP:PORT`, or `localhost:PORT` (read as 127.0.0.1).
fn parse_http_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    if let Some(port) = s.strip_prefix("localhost:")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    Err(format!("`{s}` is not IP:PORT (e.g. 127.0.0.1:8000)"))
}

impl HttpArgs {
    /// The HTTP configuration, with tokens read from the file and/or PERSONIO_MCP_AUTH_TOKENS,
    /// and OAuth set up against its identity provider (which must answer: a server that would
    /// refuse every OAuth caller should not start). Refuses a non-loopback address without
    /// tokens or OAuth.
    ///
    /// `state_dir` (`--state-dir`): where the built-in authorization server keeps its signing key.
    pub async fn config(
        &self,
        bind: SocketAddr,
        state_dir: Option<PathBuf>,
    ) -> Result<HttpConfig, ConfigError> {
        let mut config = HttpConfig::new(bind);
        let mut tokens = match &self.auth_tokens {
            Some(path) => TokenStore::from_file(path)?,
            None => TokenStore::default(),
        };
        if let Some(text) = &self.auth_tokens_env {
            use secrecy::ExposeSecret;
            if !text.expose_secret().trim().is_empty() {
                tokens.extend_from(text.expose_secret(), "PERSONIO_MCP_AUTH_TOKENS", true)?;
            }
        }
        config.tokens = tokens;
        if !self.allowed_hosts.is_empty() {
            config.allowed_hosts = HostPolicy::parse(&self.allowed_hosts)?;
        }
        if !self.allowed_origins.is_empty() {
            config.allowed_origins = OriginPolicy::parse(&self.allowed_origins)?;
        }
        config.max_body_bytes = self.max_body_bytes;
        config.max_sessions = self.max_sessions;
        config.max_sessions_per_principal = self.max_sessions_per_principal;
        config.max_connections = self.max_connections;
        config.header_timeout = Duration::from_secs(self.header_timeout);
        config.connection_idle_timeout = Duration::from_secs(self.connection_idle_timeout);
        config.session_idle_timeout = Duration::from_secs(self.session_idle_timeout.max(1));
        config.rate_limit = RateLimit {
            per_minute: self.rate_limit,
            burst: self.rate_limit_burst,
        };
        config.anonymous_rate_limit = RateLimit {
            per_minute: self.rate_limit_anonymous,
            burst: self.rate_limit_anonymous_burst,
        };
        config.shutdown_timeout = Duration::from_secs(self.shutdown_timeout);
        let state_dir = state_dir.or_else(crate::policy::state::default_state_dir);
        let oauth = self
            .oauth
            .to_config(state_dir)
            .map_err(|e| ConfigError(e.to_string()))?;
        if let Some(oauth) = oauth {
            // Clients reach the server under its public name: that Host is not a rebinding attempt.
            if let Some(host) = oauth.public_url.host_str() {
                match oauth.public_url.port() {
                    Some(port) => config.allowed_hosts.allow(&format!("{host}:{port}")),
                    None => config.allowed_hosts.allow(host),
                }
            }
            // Cheap checks first: a refusal must not wait for the identity provider.
            config.oauth = Some(OAuth::new(oauth.clone()).await.map_err(|e| {
                ConfigError(format!(
                    "{e}. Check --oauth-issuer / --oauth-upstream-issuer ({}) and that this \
                     machine can reach it",
                    oauth.upstream.as_ref().map_or(&oauth.issuer, |u| &u.issuer)
                ))
            })?);
        }
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_ip_port_or_localhost_port() {
        assert_eq!(parse_http_addr("127.0.0.1:8000").unwrap().port(), 8000);
        assert_eq!(
            parse_http_addr("localhost:8000").unwrap(),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 8000))
        );
        assert!(parse_http_addr("[::1]:0").unwrap().ip().is_loopback());
        assert!(parse_http_addr("example.com:80").is_err());
        assert!(parse_http_addr("8000").is_err());
    }
}
