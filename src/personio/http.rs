//! The request executor: pace → token → send → classify → maybe retry.
//!
//! Failures are classified in `failure` (throttle / transient / permanent) and only the first two
//! are retried, from a bounded budget, with exponential backoff and jitter (never sooner than 1 s
//! after a 429). Only reads are retried once they may have reached Personio: a write that timed
//! out might have been stored (or deleted), so it is reported as an unknown outcome for the caller
//! to look up, never blindly repeated. A 401 re-authenticates once and replays, because a rejected
//! token means nothing was processed; so does a 403 (see `attempt`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::StatusCode;
use secrecy::ExposeSecret;

use super::auth::{CREDENTIALS_HINT, Token, TokenCache};
use super::config::{AuthFlavor, ClientConfig};
use super::failure::{
    Class, Failure, classify_status, describe_transport_error, may_be_token_rejection,
    outcome_unknown,
};
use super::limits::Limiter;
use super::model::envelope;
pub use super::request::{Body, Request};
use crate::error::{Error, ErrorCode, Result};

/// The path with every segment that carries an id (digits or a UUID) replaced by `{id}`, so log
/// lines name the endpoint without naming the person or absence.
pub fn route_of(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let numeric = !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit());
            let uuid_like =
                seg.len() >= 8 && seg.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if numeric || uuid_like { "{id}" } else { seg }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The HTTP side of the client: shared by every operation, cheap to share behind an `Arc`.
pub struct Http {
    client: reqwest::Client,
    cfg: ClientConfig,
    limiter: Limiter,
    tokens: TokenCache,
    /// Tokens for `/v2/…` paths when `cfg.auth` is v1: v2 routes want a v2 token, whose answer
    /// also names the granted scopes (`api_choice` routes by them).
    tokens_v2: TokenCache,
    /// Permissions a token was refused even right after it was issued: permission → token
    /// generation. A later 403 for the same permission with the same token is then a missing
    /// permission, not a stale token, and costs no further auth request (the auth endpoint allows
    /// only 60 a minute). Bounded by the handful of static permission names.
    refused: Mutex<HashMap<&'static str, u64>>,
}

impl Http {
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        let provider = rustls::crypto::ring::default_provider();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(
                rustls::ClientConfig::builder_with_provider(provider.into())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| Error::upstream(format!("TLS setup failed: {e}")))?
                    .with_root_certificates(root_store())
                    .with_no_client_auth(),
            )
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("personio-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::upstream(format!("HTTP client setup failed: {e}")))?;
        Ok(Http {
            limiter: Limiter::new(&cfg.limits),
            client,
            cfg,
            tokens: TokenCache::default(),
            tokens_v2: TokenCache::default(),
            refused: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Fetches a token now (used by `doctor` to report auth separately from data access).
    pub async fn authenticate(&self) -> Result<()> {
        self.token().await.map(|_| ())
    }

    async fn token(&self) -> Result<Token> {
        self.token_for("/v1").await
    }

    /// The token cache serving `path`: v2 paths need a v2 token; everything else uses the
    /// configured flavour (one cache when that is v2 already).
    fn cache_for(&self, path: &str) -> (&TokenCache, AuthFlavor) {
        if path.starts_with("/v2/") && self.cfg.auth == AuthFlavor::V1 {
            (&self.tokens_v2, AuthFlavor::V2)
        } else {
            (&self.tokens, self.cfg.auth)
        }
    }

    async fn token_for(&self, path: &str) -> Result<Token> {
        let (cache, flavor) = self.cache_for(path);
        cache
            .get(&self.client, &self.cfg, flavor, &self.limiter)
            .await
    }

    /// The scopes of the v2 token (fetching one if needed): `None` when Personio's answer named
    /// none. Errors when no v2 token can be had.
    pub async fn v2_scope(&self) -> Result<Option<String>> {
        self.token_for("/v2/").await.map(|t| t.scope)
    }

    /// Executes a request with pacing, auth, retries and the operation deadline, and returns
    /// the body of a 2xx response. A write whose outcome is unknown fails with an error that
    /// [`super::failure::is_outcome_unknown`] recognises.
    pub async fn execute(&self, req: &Request) -> Result<Bytes> {
        let replayable = req.replayable();
        let retry = &self.cfg.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(retry.min_delay)
            .with_max_delay(retry.max_delay)
            .with_max_times(retry.max_retries)
            .with_jitter();
        let throttle_floor = retry.throttle_min_delay;
        let route = route_of(&req.path);
        let attempt = || self.attempt(req);
        let retried = attempt
            .retry(backoff)
            .when(|f: &Failure| f.class != Class::Permanent && (replayable || !f.maybe_processed))
            .adjust(|f: &Failure, delay: Option<Duration>| match f.class {
                Class::Throttle => delay.map(|d| d.max(throttle_floor)),
                _ => delay,
            })
            .notify(|f: &Failure, delay: Duration| {
                tracing::warn!(route = %route, code = %f.error.code, ?delay, "retrying Personio request");
            });
        match tokio::time::timeout(self.cfg.operation_deadline, retried).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(f)) if !replayable && f.maybe_processed && f.class != Class::Permanent => {
                Err(outcome_unknown(f.error))
            }
            Ok(Err(f)) => Err(f.error),
            Err(_) => {
                let e = Error::unavailable(format!(
                    "Personio did not answer within {} s",
                    self.cfg.operation_deadline.as_secs()
                ));
                Err(if replayable {
                    e.with_hint("Try again in a moment.")
                } else {
                    outcome_unknown(e)
                })
            }
        }
    }

    fn refused_with(&self, permission: &'static str, generation: u64) -> bool {
        self.refused
            .lock()
            .ok()
            .and_then(|r| r.get(permission).copied())
            == Some(generation)
    }

    fn remember_refusal(&self, permission: &'static str, generation: u64) {
        if let Ok(mut r) = self.refused.lock() {
            r.insert(permission, generation);
        }
    }

    async fn attempt(&self, req: &Request) -> std::result::Result<Bytes, Failure> {
        let route = route_of(&req.path);
        let mut reauthenticated = false;
        loop {
            let token = self.token_for(&req.path).await.map_err(|error| Failure {
                class: match error.code {
                    ErrorCode::RateLimited => Class::Throttle,
                    ErrorCode::UpstreamUnavailable => Class::Transient,
                    _ => Class::Permanent,
                },
                error,
                maybe_processed: false,
            })?;
            self.limiter.acquire(&req.path).await;
            let response = match self.send(req, token.value.expose_secret()).await {
                Ok(r) => r,
                Err(e) => {
                    let what = describe_transport_error(&e);
                    tracing::debug!(route = %route, what, "Personio request failed in transport");
                    return Err(Failure {
                        error: Error::unavailable(format!("Personio request {what}")),
                        class: Class::Transient,
                        maybe_processed: !e.is_connect(),
                    });
                }
            };
            let status = response.status();
            self.limiter.observe(
                &req.path,
                status == StatusCode::TOO_MANY_REQUESTS,
                response.headers(),
            );
            let bytes = response.bytes().await.map_err(|e| Failure {
                error: Error::unavailable(format!(
                    "Personio response {}",
                    describe_transport_error(&e)
                )),
                class: Class::Transient,
                maybe_processed: true,
            })?;
            tracing::debug!(method = %req.method, route = %route, status = status.as_u16(), "Personio response");
            if status.is_success() {
                return Ok(bytes);
            }
            // Personio answers a revoked token and a missing permission with the same 403 body
            // ("Provided authorization is not valid"), and a token can be revoked moments after
            // it was issued. So a 403 is a missing permission only once a token fetched after it
            // was refused as well; until then, re-authenticate once and replay.
            let known_refusal = status == StatusCode::FORBIDDEN
                && self.refused_with(req.permission, token.generation);
            if may_be_token_rejection(status) && !reauthenticated && !known_refusal {
                tracing::info!(route = %route, status = status.as_u16(), "token rejected; re-authenticating once");
                self.cache_for(&req.path)
                    .0
                    .invalidate(token.generation)
                    .await;
                reauthenticated = true;
                continue;
            }
            if status == StatusCode::FORBIDDEN {
                self.remember_refusal(req.permission, token.generation);
            }
            if status == StatusCode::UNAUTHORIZED {
                return Err(Failure {
                    error: Error::new(
                        ErrorCode::AuthInvalid,
                        "Personio rejected a freshly issued token",
                    )
                    .with_hint(CREDENTIALS_HINT),
                    class: Class::Permanent,
                    maybe_processed: false,
                });
            }
            let message = envelope::error_from_bytes(&bytes);
            return Err(classify_status(status, &message, req));
        }
    }

    async fn send(&self, req: &Request, token: &str) -> reqwest::Result<reqwest::Response> {
        let url = format!("{}{}", self.cfg.normalized_base(), req.path);
        let mut builder = self
            .client
            .request(req.method.clone(), url)
            .timeout(self.cfg.request_timeout)
            .bearer_auth(token)
            .header("accept", "application/json")
            .query(&req.query);
        if let Some(app) = &self.cfg.app_id {
            builder = builder.header("X-Personio-App-ID", app);
        }
        if let Some(partner) = &self.cfg.partner_id {
            builder = builder.header("X-Personio-Partner-ID", partner);
        }
        builder = match &req.body {
            Some(Body::Json(v)) => builder.json(v),
            Some(Body::Form(f)) => builder.form(f),
            None => builder,
        };
        builder.send().await
    }
}

fn root_store() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_in_logs_carry_no_ids() {
        assert_eq!(
            route_of("/v1/company/employees/123/absences/balance"),
            "/v1/company/employees/{id}/absences/balance"
        );
        assert_eq!(
            route_of("/v1/company/absence-periods/9bba303f-1d2e-4c5b-8a7e-0f1e2d3c4b5a"),
            "/v1/company/absence-periods/{id}"
        );
        assert_eq!(route_of("/v1/company/time-offs"), "/v1/company/time-offs");
    }
}
