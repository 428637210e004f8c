//! The request executor: rate limit → token → send → classify → maybe retry.
//!
//! Every upstream failure is classified the way the AWS SDKs do it — *throttle*, *transient* or
//! *permanent* — and only the first two are retried, from a bounded budget, with exponential
//! backoff and jitter (never sooner than 1 s after a 429). Only idempotent requests (GET, DELETE
//! by id) are retried once they may have reached Personio: a POST that timed out might have been
//! written, so it is reported, never blindly repeated. A 401 (or Personio's 403 "Provided
//! authorization is not valid") re-authenticates once and replays, because a rejected token means
//! nothing was processed.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;

use super::auth::{CREDENTIALS_HINT, TokenCache};
use super::config::ClientConfig;
use super::limits::{Bucket, Limiter};
use super::model::envelope::{self, UpstreamMessage};
use crate::error::{Error, ErrorCode, Result};

/// A token younger than this is not replaced on a 403 (see `attempt`).
const FRESH_TOKEN: Duration = Duration::from_secs(60);

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
}

/// One logical request to Personio.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path below the base URL, e.g. `/v1/company/employees`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    /// What the credential must be allowed to do, for PERMISSION_MISSING messages
    /// (e.g. "read employees", "write absences").
    pub permission: &'static str,
    /// What a 404 means, e.g. "employee" (for NOT_FOUND messages).
    pub resource: &'static str,
}

impl Request {
    pub fn get(path: impl Into<String>, permission: &'static str, resource: &'static str) -> Self {
        Request {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            permission,
            resource,
        }
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    /// Safe to repeat after it may have reached Personio.
    fn idempotent(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD | Method::DELETE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Throttle,
    Transient,
    Permanent,
}

#[derive(Debug)]
struct Failure {
    error: Error,
    class: Class,
    /// Whether Personio may have received (and acted on) the request.
    maybe_processed: bool,
}

impl Failure {
    fn permanent(error: Error) -> Self {
        Failure {
            error,
            class: Class::Permanent,
            maybe_processed: true,
        }
    }
}

/// A short, secret-free description of a transport error (reqwest's Display can include URLs
/// with query strings, which may carry an email filter).
pub fn describe_transport_error(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "response body could not be read"
    } else if e.is_request() {
        "request could not be sent"
    } else {
        "transport error"
    }
}

/// The HTTP side of the client: shared by every operation, cheap to share behind an `Arc`.
pub struct Http {
    client: reqwest::Client,
    cfg: ClientConfig,
    limiter: Limiter,
    tokens: TokenCache,
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
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Fetches a token now (used by `doctor` to report auth separately from data access).
    pub async fn authenticate(&self) -> Result<()> {
        self.tokens
            .get(&self.client, &self.cfg, &self.limiter)
            .await
            .map(|_| ())
    }

    /// Executes a request with rate limiting, auth, retries and the operation deadline, and
    /// returns the body of a 2xx response.
    pub async fn execute(&self, req: &Request) -> Result<Bytes> {
        let idempotent = req.idempotent();
        let retry = &self.cfg.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(retry.min_delay)
            .with_max_delay(retry.max_delay)
            .with_max_times(retry.max_retries)
            .with_jitter();
        let throttle_floor = retry.throttle_min_delay;
        let attempt = || self.attempt(req);
        let retried = attempt
            .retry(backoff)
            .when(|f: &Failure| f.class != Class::Permanent && (idempotent || !f.maybe_processed))
            .adjust(|f: &Failure, delay: Option<Duration>| match f.class {
                Class::Throttle => delay.map(|d| d.max(throttle_floor)),
                _ => delay,
            })
            .notify(|f: &Failure, delay: Duration| {
                tracing::warn!(
                    path = %req.path,
                    code = %f.error.code,
                    ?delay,
                    "retrying Personio request"
                );
            });
        match tokio::time::timeout(self.cfg.operation_deadline, retried).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(f)) => Err(f.error),
            Err(_) => {
                let mut e = Error::unavailable(format!(
                    "Personio did not answer within {} s",
                    self.cfg.operation_deadline.as_secs()
                ));
                if !idempotent {
                    e = e.with_hint(
                        "The write may or may not have been stored. Look the record up before trying again.",
                    );
                } else {
                    e = e.with_hint("Try again in a moment.");
                }
                Err(e)
            }
        }
    }

    async fn attempt(&self, req: &Request) -> std::result::Result<Bytes, Failure> {
        let bucket = Bucket::for_path(&req.path);
        let mut reauthenticated = false;
        loop {
            let token = self
                .tokens
                .get(&self.client, &self.cfg, &self.limiter)
                .await
                .map_err(|error| Failure {
                    class: match error.code {
                        ErrorCode::RateLimited => Class::Throttle,
                        ErrorCode::UpstreamUnavailable => Class::Transient,
                        _ => Class::Permanent,
                    },
                    error,
                    maybe_processed: false,
                })?;
            self.limiter.acquire(bucket).await;
            let response = match self.send(req, token.value.expose_secret()).await {
                Ok(r) => r,
                Err(e) => {
                    let what = describe_transport_error(&e);
                    tracing::debug!(path = %req.path, what, "Personio request failed in transport");
                    return Err(Failure {
                        error: Error::unavailable(format!("Personio request {what}")),
                        class: Class::Transient,
                        maybe_processed: !e.is_connect(),
                    });
                }
            };
            let status = response.status();
            self.limiter.observe(bucket, response.headers());
            let bytes = response.bytes().await.map_err(|e| Failure {
                error: Error::unavailable(format!(
                    "Personio response {}",
                    describe_transport_error(&e)
                )),
                class: Class::Transient,
                maybe_processed: true,
            })?;
            tracing::debug!(method = %req.method, path = %req.path, status = status.as_u16(), "Personio response");
            if status.is_success() {
                return Ok(bytes);
            }
            let message = envelope::error_from_bytes(&bytes);
            let rejected = match status {
                StatusCode::UNAUTHORIZED => true,
                // Personio's 403 body ("Provided authorization is not valid") is the same for a
                // stale token and a missing permission. A token fetched moments ago cannot be
                // stale, so only an older one is worth replacing before calling it a permission gap.
                StatusCode::FORBIDDEN => {
                    is_token_rejection(status, &message) && token.age() > FRESH_TOKEN
                }
                _ => false,
            };
            if rejected && !reauthenticated {
                tracing::info!(path = %req.path, status = status.as_u16(), "token rejected; re-authenticating once");
                self.tokens.invalidate(token.generation).await;
                reauthenticated = true;
                continue;
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

/// 401, or the 403 Personio sends for an invalid/revoked token ("Provided authorization is not
/// valid"): both mean "get a new token", not "you lack a permission".
fn is_token_rejection(status: StatusCode, message: &UpstreamMessage) -> bool {
    match status {
        StatusCode::UNAUTHORIZED => true,
        StatusCode::FORBIDDEN => message.message.as_deref().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("authorization is not valid") || m.contains("token")
        }),
        _ => false,
    }
}

fn upstream_text(message: &UpstreamMessage) -> String {
    message
        .message
        .clone()
        .or_else(|| message.kind.clone())
        .unwrap_or_else(|| "no details".into())
}

fn classify_status(status: StatusCode, message: &UpstreamMessage, req: &Request) -> Failure {
    let code = status.as_u16();
    match status {
        StatusCode::TOO_MANY_REQUESTS => Failure {
            error: Error::new(
                ErrorCode::RateLimited,
                "Personio is throttling requests (HTTP 429)",
            )
            .with_hint("Wait a few seconds and try again; narrower queries need fewer requests."),
            class: Class::Throttle,
            maybe_processed: false,
        },
        StatusCode::FORBIDDEN => Failure::permanent(permission_missing(req.permission)),
        StatusCode::NOT_FOUND => Failure::permanent(Error::not_found(format!(
            "Personio has no such {} (HTTP 404)",
            req.resource
        ))),
        StatusCode::CONFLICT => Failure::permanent(Error::new(
            ErrorCode::Conflict,
            format!("Personio refused: {}", upstream_text(message)),
        )),
        s if s.is_server_error() => Failure {
            error: Error::new(
                if code == 500 {
                    ErrorCode::UpstreamError
                } else {
                    ErrorCode::UpstreamUnavailable
                },
                format!("Personio failed (HTTP {code})"),
            )
            .with_hint("This is on Personio's side; try again shortly."),
            class: Class::Transient,
            maybe_processed: true,
        },
        s if s.is_client_error() => Failure::permanent(Error::validation(format!(
            "Personio refused the request (HTTP {code}): {}",
            upstream_text(message)
        ))),
        _ => Failure::permanent(Error::upstream(format!(
            "unexpected HTTP status {code} from Personio"
        ))),
    }
}

/// The PERMISSION_MISSING error for a 403 on an endpoint.
pub fn permission_missing(permission: &str) -> Error {
    Error::new(
        ErrorCode::PermissionMissing,
        format!("the Personio API credential is not allowed to {permission} (HTTP 403)"),
    )
    .with_hint(format!(
        "A Personio admin can grant \"{permission}\" to this credential in Personio › Settings › \
Integrations › API credentials."
    ))
}

/// Maps `success:false` inside a 2xx body to an error, using `error.code` when it is an HTTP-like
/// code (Personio often sends 0).
pub fn unsuccessful_body(message: &UpstreamMessage, req: &Request) -> Error {
    match message.code {
        Some(404) => Error::not_found(format!("Personio has no such {}", req.resource)),
        Some(403) => permission_missing(req.permission),
        Some(c @ 400..=499) => Error::validation(format!(
            "Personio refused the request (code {c}): {}",
            upstream_text(message)
        )),
        _ => Error::upstream(format!(
            "Personio reported a failure: {}",
            upstream_text(message)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(m: &str) -> UpstreamMessage {
        UpstreamMessage {
            code: None,
            message: Some(m.into()),
            kind: None,
        }
    }

    #[test]
    fn invalid_token_403_means_reauthenticate_but_scope_403_does_not() {
        assert!(is_token_rejection(
            StatusCode::FORBIDDEN,
            &msg("Provided authorization is not valid")
        ));
        assert!(!is_token_rejection(
            StatusCode::FORBIDDEN,
            &msg("Forbidden: missing scope")
        ));
        assert!(is_token_rejection(StatusCode::UNAUTHORIZED, &msg("x")));
    }

    #[test]
    fn statuses_classify_like_the_smithy_model() {
        let req = Request::get("/v1/company/time-offs", "read absences", "time-off");
        let f = classify_status(StatusCode::TOO_MANY_REQUESTS, &msg(""), &req);
        assert_eq!(f.class, Class::Throttle);
        assert_eq!(f.error.code, ErrorCode::RateLimited);
        let f = classify_status(StatusCode::BAD_GATEWAY, &msg(""), &req);
        assert_eq!(f.class, Class::Transient);
        assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
        let f = classify_status(StatusCode::FORBIDDEN, &msg("nope"), &req);
        assert_eq!(f.class, Class::Permanent);
        assert_eq!(f.error.code, ErrorCode::PermissionMissing);
        assert!(f.error.message.contains("read absences"));
        let f = classify_status(
            StatusCode::NOT_FOUND,
            &msg("Es ist ein Problem aufgetreten "),
            &req,
        );
        assert_eq!(f.error.code, ErrorCode::NotFound);
        let f = classify_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &msg("The given data failed to pass validation."),
            &req,
        );
        assert_eq!(f.error.code, ErrorCode::ValidationFailed);
    }

    #[test]
    fn unsuccessful_bodies_use_http_like_codes() {
        let req = Request::get("/v1/company/employees/1", "read employees", "employee");
        let m = UpstreamMessage {
            code: Some(404),
            message: Some("Es ist ein Problem aufgetreten ".into()),
            kind: None,
        };
        assert_eq!(unsuccessful_body(&m, &req).code, ErrorCode::NotFound);
        let m = UpstreamMessage {
            code: Some(0),
            message: Some("weird".into()),
            kind: None,
        };
        assert_eq!(unsuccessful_body(&m, &req).code, ErrorCode::UpstreamError);
    }
}
