//! Bearer tokens: fetched once, cached until shortly before expiry, refreshed single-flight.
//!
//! Personio tokens (`papi-…`) live 24 h and may be used in parallel (REFERENCE.md §2), while the
//! auth endpoint allows only 60 requests a minute. So one token serves every caller; when it must
//! be (re)fetched, the cache lock is held across the fetch and every concurrent caller waits for
//! that one request instead of starting its own.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::Mutex;

use super::config::{AuthFlavor, ClientConfig};
use super::failure::describe_transport_error;
use super::limits::Limiter;
use super::model::envelope;
use crate::error::{Error, ErrorCode, Result};

/// Where a Personio admin creates or fixes credentials; part of every auth error.
pub const CREDENTIALS_HINT: &str = "Check PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET. Credentials are created in \
Personio › Settings › Integrations › API credentials (an admin can generate a new secret there).";

/// Refresh this long before the advertised expiry, so no request races the deadline.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// A cached token. `generation` tells invalidations apart, so a 401 seen with an old token does
/// not throw away a newer one another caller already fetched.
#[derive(Clone)]
pub struct Token {
    pub value: SecretString,
    pub generation: u64,
    /// The `scope` of a v2 token answer (space-delimited), `None` for v1 tokens and v2 answers
    /// without one. Read by `api_choice` to route per endpoint.
    pub scope: Option<String>,
    issued_at: Instant,
    expires_at: Instant,
}

impl Token {
    /// How long ago the token was fetched.
    pub fn age(&self) -> Duration {
        self.issued_at.elapsed()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("value", &"[REDACTED]")
            .field("generation", &self.generation)
            .finish()
    }
}

struct Slot {
    token: Option<Token>,
    generation: u64,
}

/// The token cache of one client.
pub struct TokenCache {
    slot: Mutex<Slot>,
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache {
            slot: Mutex::new(Slot {
                token: None,
                generation: 0,
            }),
        }
    }
}

impl TokenCache {
    /// A valid token, fetching one if needed (single-flight: concurrent callers share one fetch).
    pub async fn get(
        &self,
        http: &reqwest::Client,
        cfg: &ClientConfig,
        flavor: AuthFlavor,
        limiter: &Limiter,
    ) -> Result<Token> {
        let mut slot = self.slot.lock().await;
        if let Some(t) = &slot.token
            && t.expires_at > Instant::now() + EXPIRY_MARGIN
        {
            return Ok(t.clone());
        }
        let (value, lifetime, scope) = fetch_token(http, cfg, flavor, limiter).await?;
        slot.generation += 1;
        let now = Instant::now();
        let token = Token {
            value,
            generation: slot.generation,
            scope,
            issued_at: now,
            expires_at: now + lifetime,
        };
        slot.token = Some(token.clone());
        Ok(token)
    }

    /// Forgets the token of `generation` (after a 401 with it). A newer token is kept.
    pub async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if slot.token.as_ref().map(|t| t.generation) == Some(generation) {
            slot.token = None;
        }
    }
}

fn auth_error(status: Option<reqwest::StatusCode>, detail: Option<String>) -> Error {
    let mut message = match status {
        Some(s) => format!(
            "Personio rejected the API credentials (HTTP {})",
            s.as_u16()
        ),
        None => "Personio rejected the API credentials".to_string(),
    };
    if let Some(d) = detail {
        message.push_str(&format!(": {d}"));
    }
    Error::new(ErrorCode::AuthInvalid, message).with_hint(CREDENTIALS_HINT)
}

/// One auth request. Returns the token, its lifetime and (v2) its granted scopes.
async fn fetch_token(
    http: &reqwest::Client,
    cfg: &ClientConfig,
    flavor: AuthFlavor,
    limiter: &Limiter,
) -> Result<(SecretString, Duration, Option<String>)> {
    let path = match flavor {
        AuthFlavor::V1 => "/v1/auth",
        AuthFlavor::V2 => "/v2/auth/token",
    };
    limiter.acquire(path).await;
    let base = cfg.normalized_base();
    let id = cfg.client_id.as_str();
    let secret = cfg.client_secret.expose_secret();
    let request = match flavor {
        AuthFlavor::V1 => http
            .post(format!("{base}{path}"))
            .json(&serde_json::json!({"client_id": id, "client_secret": secret})),
        AuthFlavor::V2 => http.post(format!("{base}{path}")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]),
    };
    tracing::debug!(?flavor, "requesting a Personio token");
    let response = request
        .header("accept", "application/json")
        .timeout(cfg.request_timeout)
        .send()
        .await
        .map_err(|e| {
            Error::unavailable(format!(
                "could not reach Personio's auth endpoint ({})",
                describe_transport_error(&e)
            ))
        })?;
    let status = response.status();
    limiter.observe(
        path,
        status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        response.headers(),
    );
    let bytes = response.bytes().await.map_err(|e| {
        Error::unavailable(format!(
            "auth response was cut off ({})",
            describe_transport_error(&e)
        ))
    })?;
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::new(
            ErrorCode::RateLimited,
            "Personio's auth endpoint is throttling (60 requests/minute)",
        )
        .with_hint("Wait a minute and try again."));
    }
    if status.is_server_error() {
        return Err(Error::unavailable(format!(
            "Personio's auth endpoint failed (HTTP {})",
            status.as_u16()
        )));
    }
    if !status.is_success() {
        let msg = envelope::error_from_bytes(&bytes);
        return Err(auth_error(Some(status), msg.kind.or(msg.message)));
    }
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|_| Error::upstream("auth response is not valid JSON"))?;
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .map(str::to_string);
    let (token, expires) = match flavor {
        AuthFlavor::V1 => {
            if body.get("success").and_then(Value::as_bool) == Some(false) {
                let msg = envelope::error_message(&body);
                return Err(auth_error(None, msg.message));
            }
            let data = body.get("data").unwrap_or(&Value::Null);
            (
                data.get("token").and_then(Value::as_str),
                data.get("expires_in").and_then(Value::as_u64),
            )
        }
        AuthFlavor::V2 => (
            body.get("access_token").and_then(Value::as_str),
            body.get("expires_in").and_then(Value::as_u64),
        ),
    };
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::upstream("auth response carries no token"))?;
    let lifetime = Duration::from_secs(expires.unwrap_or(86_400));
    Ok((SecretString::from(token.to_string()), lifetime, scope))
}
