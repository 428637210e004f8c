//! Client settings. Secrets are `SecretString`: they never appear in `Debug`, logs or errors.

use std::time::Duration;

use secrecy::SecretString;

/// Which Personio auth endpoint issues the bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthFlavor {
    /// `POST /v1/auth` — the default for v1 paths (balances and types exist only there). Requests
    /// to `/v2/…` paths always carry a v2 token, fetched separately (see `http.rs`), because its
    /// answer names the granted scopes that `api_choice` routes by.
    #[default]
    V1,
    /// `POST /v2/auth/token` (OAuth2 client credentials, form-encoded).
    V2,
}

impl AuthFlavor {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthFlavor::V1 => "v1",
            AuthFlavor::V2 => "v2",
        }
    }
}

impl std::fmt::Display for AuthFlavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `v1` / `v2` (any case), so a command line can name the flavour without this layer
/// knowing about the command line.
impl std::str::FromStr for AuthFlavor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v1" => Ok(AuthFlavor::V1),
            "v2" => Ok(AuthFlavor::V2),
            other => Err(format!("unknown auth flavour {other:?}; use v1 or v2")),
        }
    }
}

/// Client-side token buckets, set to Personio's documented limits (REFERENCE.md §6).
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// `GET /v1/company/employees`: 300 per minute...
    pub employees_per_minute: u32,
    /// ...with bursts of at most 15 per second.
    pub employees_burst: u32,
    /// `POST /v1/auth`: 60 per minute (v2 allows 150; we use the stricter figure for both)...
    pub auth_per_minute: u32,
    /// ...of which this many may go at once.
    pub auth_burst: u32,
    /// Every v1 endpoint together: Personio allows 2,000 per minute per caller address. Like
    /// `auth_per_minute`, this is the total in any minute: the bucket refills at this figure
    /// minus the burst, so that burst and refill together stay within it...
    pub v1_per_minute: u32,
    /// ...of which this many may go at once (the rest is spread over the minute; at most half of
    /// `v1_per_minute`, so that the refill never collapses to nothing).
    pub v1_burst: u32,
    /// Follow Personio's `X-RateLimit-*` answers (pause when spent, shrink to a lower limit).
    pub follow_headers: bool,
}

impl LimitsConfig {
    /// No client-side throttling: only for load tests against the sandbox
    /// (`PERSONIO_MCP_UPSTREAM_LIMITS=relaxed`), never for a real Personio account.
    pub fn relaxed() -> Self {
        LimitsConfig {
            employees_per_minute: 6_000_000,
            employees_burst: 100_000,
            auth_per_minute: 600_000,
            auth_burst: 100_000,
            v1_per_minute: 6_000_000,
            v1_burst: 100_000,
            follow_headers: false,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            employees_per_minute: 300,
            employees_burst: 15,
            auth_per_minute: 60,
            auth_burst: 10,
            // Personio allows 2,000 v1 requests a minute per address. A bucket of 1,000 refilled at
            // 2,000 − 1,000 = 1,000 a minute never sends more than 2,000 in any rolling minute
            // (burst + refill), and a chat's bursts — hundreds of calls back to back — never wait:
            // pacing starts only after 1,000 requests in quick succession (then one every 60 ms),
            // or when Personio's `X-RateLimit-Remaining` says its budget is spent (`follow_headers`).
            v1_per_minute: 2_000,
            v1_burst: 1_000,
            follow_headers: true,
        }
    }
}

/// Bounds on retries of idempotent requests.
#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// Attempts after the first one.
    pub max_retries: usize,
    /// First backoff for transient failures (5xx, timeouts).
    pub min_delay: Duration,
    /// Floor after a 429: Personio asks for at least one second (REFERENCE.md §5.1).
    pub throttle_min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            throttle_min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// Everything the client needs to talk to one Personio account.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://api.personio.de` (a trailing `/v1` is tolerated and stripped).
    pub base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Sent as `X-Personio-App-ID` (UPPER_SNAKE_CASE, e.g. `PERSONIO_MCP`).
    pub app_id: Option<String>,
    /// Sent as `X-Personio-Partner-ID`.
    pub partner_id: Option<String>,
    pub auth: AuthFlavor,
    /// Which API generation serves which endpoint (see `api_choice`).
    pub api: super::api_choice::ApiMode,
    /// Bound on one HTTP exchange.
    pub request_timeout: Duration,
    /// Bound on a whole operation, retries and rate-limit waits included.
    pub operation_deadline: Duration,
    pub limits: LimitsConfig,
    pub retry: RetryConfig,
}

impl ClientConfig {
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            client_id: client_id.into(),
            client_secret,
            app_id: Some("PERSONIO_MCP".to_string()),
            partner_id: None,
            auth: AuthFlavor::default(),
            api: super::api_choice::ApiMode::default(),
            request_timeout: Duration::from_secs(15),
            operation_deadline: Duration::from_secs(60),
            limits: LimitsConfig::default(),
            retry: RetryConfig::default(),
        }
    }

    /// The base URL without trailing slashes or a trailing `/v1`.
    pub fn normalized_base(&self) -> String {
        let mut base = self.base_url.trim().trim_end_matches('/').to_string();
        if let Some(stripped) = base.strip_suffix("/v1") {
            base = stripped.to_string();
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = ClientConfig::new("http://x", "id", SecretString::from("s3cr3t-value"));
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn base_url_is_normalised() {
        let mut c = ClientConfig::new("https://api.personio.de/v1/", "id", SecretString::from("s"));
        assert_eq!(c.normalized_base(), "https://api.personio.de");
        c.base_url = "http://127.0.0.1:9".into();
        assert_eq!(c.normalized_base(), "http://127.0.0.1:9");
    }
}
