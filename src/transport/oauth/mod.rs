//! OAuth 2.1 for the HTTP transport (issue 18): this server as a protected resource, and
//! optionally as an authorization server in front of the company's identity provider.
//!
//! Why: the policy engine (employee / manager / HR) is only as good as the caller's identity, and
//! remote MCP clients (Claude's custom connectors) speak OAuth with dynamic client registration,
//! not pasted bearer tokens. The MCP authorization specification makes an HTTP MCP server an OAuth
//! protected resource:
//!
//! - [`metadata`]: RFC 9728 documents that tell a client where to get a token;
//! - [`verify`]: JWT access tokens checked against the issuer's keys ([`keys`], found through
//!   [`discovery`]): RS256/ES256/EdDSA only, `iss`, `aud` bound to this resource (RFC 8707),
//!   `exp`/`nbf`; the email and roles claims become an [`Identity`];
//! - [`challenge`]: the 401/403 answers pointing clients at the metadata;
//! - [`server`]: the built-in authorization server for providers without dynamic registration;
//! - [`doctor`]: what `personio-mcp doctor` reports about all this.
//!
//! Wiring (done by the HTTP transport): merge [`OAuth::metadata_router`] outside the token check,
//! and call [`OAuth::authenticate`] for every MCP request that no static token matched.

pub mod challenge;
pub mod config;
pub mod discovery;
pub mod doctor;
pub mod keys;
pub mod metadata;
pub mod server;
pub mod verify;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};

pub use challenge::{Challenge, ChallengeKind};
pub use config::{OAuthArgs, OAuthConfig, UpstreamConfig};

use keys::{KeySource, RemoteKeys};
use verify::{Refusal, Verifier};

/// What a valid access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The work email (lower-cased) from the email claim; the caller is the Personio employee
    /// with this work email.
    pub email: String,
    /// The roles claim holds the HR role.
    pub hr: bool,
    /// Granted scopes (`scope` or `scp`).
    pub scopes: Vec<String>,
    /// The token's subject, for audit correlation (not personal data by itself).
    pub subject: Option<String>,
    /// The OAuth client the token was issued to (`client_id` or `azp`), when stated.
    pub client_id: Option<String>,
}

/// Why OAuth could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The settings are wrong (fix the flags).
    #[error("OAuth configuration: {0}")]
    Config(String),
    /// The identity provider could not be reached or answered nonsense.
    #[error("OAuth identity provider: {0}")]
    Unreachable(String),
    /// A local resource (key file, TLS) failed.
    #[error("OAuth set-up: {0}")]
    Setup(String),
}

impl OAuthError {
    pub(crate) fn config(msg: impl Into<String>) -> Self {
        OAuthError::Config(msg.into())
    }
    pub(crate) fn unreachable(msg: impl Into<String>) -> Self {
        OAuthError::Unreachable(msg.into())
    }
    pub(crate) fn setup(msg: impl Into<String>) -> Self {
        OAuthError::Setup(msg.into())
    }
}

/// OAuth for one server: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct OAuth {
    inner: Arc<Inner>,
}

/// Names the issuer only: the configuration may hold the upstream client secret (kept secret by
/// its type, but there is nothing else worth printing).
impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("issuer", &self.issuer())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: OAuthConfig,
    verifier: Verifier,
    resource_metadata: String,
    server: Option<server::AuthorizationServer>,
}

impl OAuth {
    /// Discovers the issuer and loads its keys (or, with an upstream issuer, sets up the built-in
    /// authorization server). Fails when the provider cannot be reached: a server that would
    /// refuse every caller should not start.
    pub async fn new(config: OAuthConfig) -> Result<Self, OAuthError> {
        let http = discovery::http_client()?;
        let (verifier, server) = match &config.upstream {
            None => {
                let meta = discovery::discover(&http, &config.issuer).await?;
                let jwks_uri = meta.jwks_uri.clone().ok_or_else(|| {
                    OAuthError::unreachable(format!("{} publishes no jwks_uri", meta.issuer))
                })?;
                let keys = RemoteKeys::load(http, jwks_uri).await?;
                (
                    Verifier::new(&config, meta.issuer, KeySource::Remote(keys)),
                    None,
                )
            }
            Some(up) => {
                let srv = server::AuthorizationServer::new(&config, up, http).await?;
                let issuer = srv.issuer().to_string();
                let keys = KeySource::Local(srv.verify_keys());
                (
                    Verifier::for_builtin(&config, issuer, keys, srv.revoked_families()),
                    Some(srv),
                )
            }
        };
        let resource_metadata = config.resource_metadata_url();
        Ok(OAuth {
            inner: Arc::new(Inner {
                config,
                verifier,
                resource_metadata,
                server,
            }),
        })
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.inner.config
    }

    /// The issuer whose tokens are accepted, as it spells itself.
    pub fn issuer(&self) -> &str {
        self.inner.verifier.issuer()
    }

    /// How many verification keys are loaded.
    pub fn key_count(&self) -> usize {
        self.inner.verifier.keys().len()
    }

    /// Public routes (no token): the RFC 9728 documents, and with an upstream issuer the built-in
    /// authorization server's routes. Mount them beside `/mcp`, outside the token check.
    pub fn metadata_router(&self) -> Router {
        let router = metadata::router(&self.inner.config, self.issuer());
        match &self.inner.server {
            Some(s) => router.merge(s.router()),
            None => router,
        }
    }

    /// The caller a request's `Authorization: Bearer` token proves, or the challenge to answer
    /// with. Only the header is read: tokens in query strings leak into logs.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, Challenge> {
        let token = match bearer_token(headers) {
            Bearer::Missing => return Err(self.challenge(ChallengeKind::MissingToken)),
            Bearer::Malformed => {
                return Err(self.challenge(ChallengeKind::InvalidToken(
                    "malformed Authorization header",
                )));
            }
            Bearer::Token(t) => t,
        };
        self.inner
            .verifier
            .verify(token)
            .await
            .map_err(|r| match r {
                Refusal::Invalid(d) => self.challenge(ChallengeKind::InvalidToken(d)),
                Refusal::Insufficient(d) => self.challenge(ChallengeKind::InsufficientScope(d)),
            })
    }

    /// A challenge of the given kind (e.g. the plain 401 when neither a static token nor OAuth
    /// accepted a request).
    pub fn challenge(&self, kind: ChallengeKind) -> Challenge {
        let cfg = &self.inner.config;
        let wanted: Vec<&str> = match kind {
            ChallengeKind::InsufficientScope(_) if !cfg.required_scopes.is_empty() => cfg
                .scopes
                .iter()
                .chain(cfg.required_scopes.iter())
                .map(String::as_str)
                .collect(),
            _ => cfg.scopes.iter().map(String::as_str).collect(),
        };
        let mut seen = Vec::new();
        for s in wanted {
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        Challenge {
            kind,
            resource_metadata: self.inner.resource_metadata.clone(),
            scope: (!seen.is_empty()).then(|| seen.join(" ")),
        }
    }
}

enum Bearer<'a> {
    Missing,
    Malformed,
    Token(&'a str),
}

/// The bearer token of the single Authorization header (RFC 6750 §2.1; scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Bearer<'_> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Bearer::Missing;
    };
    if values.next().is_some() {
        return Bearer::Malformed;
    }
    let Ok(value) = value.to_str() else {
        return Bearer::Malformed;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return Bearer::Malformed;
    };
    let token = token.trim();
    // b64token (RFC 6750 §2.1).
    let b64token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
    };
    if !scheme.eq_ignore_ascii_case("bearer") || !b64token(token) {
        return Bearer::Malformed;
    }
    Bearer::Token(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_tokens_come_from_one_authorization_header() {
        assert!(matches!(bearer_token(&headers(&[])), Bearer::Missing));
        assert!(matches!(
            bearer_token(&headers(&["bearer abc.def-_"])),
            Bearer::Token("abc.def-_")
        ));
        assert!(matches!(
            bearer_token(&headers(&["Basic abc"])),
            Bearer::Malformed
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer a b"])),
            Bearer::Malformed
        ));
        assert!(matches!(
            bearer_token(&headers(&["Bearer a", "Bearer b"])),
            Bearer::Malformed
        ));
    }
}
