//! The built-in authorization server (issue 18 item 2), for identity providers without dynamic
//! client registration (Entra ID, Google Workspace, many Okta set-ups): towards MCP clients this
//! server is the OAuth 2.1 authorization server — RFC 8414 metadata, dynamic client registration
//! and client ID metadata documents, authorization code with PKCE S256, exact redirect URIs,
//! short-lived audience-bound access tokens, rotating refresh tokens, revocation — while the
//! person's login is delegated to the company's provider with an OIDC code flow.
//!
//! Routes (below the server's root; the advertised URLs are under `--public-url`):
//! `/.well-known/oauth-authorization-server{path}`, `/oauth/authorize`, `/oauth/callback`,
//! `/oauth/token`, `/oauth/register`, `/oauth/revoke`, `/oauth/jwks`.
//!
//! The upstream provider needs one registration for this server, with the redirect URI
//! `{public-url}/oauth/callback`.

mod authorize;
mod clients;
mod signing;
mod store;
mod token;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde_json::json;
use url::Url;

use super::config::join;
use super::discovery::discover;
use super::keys::{RemoteKeys, VerifyKey};
use super::{OAuthConfig, OAuthError, UpstreamConfig};

pub use clients::redirect_uri_allowed;
pub use store::Store;

/// Largest request body of the token, registration and revocation endpoints.
const MAX_BODY: usize = 16 * 1024;

/// The company's identity provider, as this server uses it.
struct Upstream {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    client_id: String,
    client_secret: Option<SecretString>,
    keys: RemoteKeys,
}

/// The authorization server: cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct AuthorizationServer {
    inner: Arc<Shared>,
}

/// Shared by the route handlers.
pub struct Shared {
    /// Our issuer identifier: the public URL.
    issuer: String,
    /// Accepted `resource` values; the first one is the default (`{public-url}/mcp`).
    resources: [String; 2],
    callback_url: String,
    upstream: Upstream,
    signing: signing::SigningKey,
    store: Store,
    http: reqwest::Client,
    /// The server runs on loopback (allows http client ID metadata URLs on loopback, for tests).
    local: bool,
    email_claim: String,
    roles_claim: String,
    hr_role: String,
    scopes: Vec<String>,
    path_prefix: String,
}

impl AuthorizationServer {
    /// Discovers the upstream provider, loads its keys and our signing key.
    pub async fn new(
        config: &OAuthConfig,
        up: &UpstreamConfig,
        http: reqwest::Client,
    ) -> Result<Self, OAuthError> {
        let meta = discover(&http, &up.issuer).await?;
        let endpoint = |name: &str, v: &Option<String>| -> Result<Url, OAuthError> {
            let raw = v.as_deref().ok_or_else(|| {
                OAuthError::unreachable(format!("{} publishes no {name}", meta.issuer))
            })?;
            Url::parse(raw).map_err(|e| OAuthError::unreachable(format!("{name} {raw:?}: {e}")))
        };
        let authorization_endpoint =
            endpoint("authorization_endpoint", &meta.authorization_endpoint)?;
        let token_endpoint = endpoint("token_endpoint", &meta.token_endpoint)?;
        let jwks_uri = endpoint("jwks_uri", &meta.jwks_uri)?;
        let keys = RemoteKeys::load(http.clone(), jwks_uri.to_string()).await?;
        let signing =
            signing::SigningKey::load(up.signing_key_file.as_deref(), up.key_dir.as_deref())?;
        let local = matches!(
            config.public_url.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]")
        );
        let state = Shared {
            issuer: config.base_resource(),
            resources: [config.mcp_resource(), config.base_resource()],
            callback_url: join(&config.public_url, "/oauth/callback"),
            upstream: Upstream {
                issuer: meta.issuer.clone(),
                authorization_endpoint,
                token_endpoint,
                client_id: up.client_id.clone(),
                client_secret: up.client_secret.clone(),
                keys,
            },
            signing,
            store: Store::new(),
            http,
            local,
            email_claim: config.email_claim.clone(),
            roles_claim: config.roles_claim.clone(),
            hr_role: config.hr_role.clone(),
            scopes: config.scopes.clone(),
            path_prefix: config.public_url.path().trim_end_matches('/').to_string(),
        };
        Ok(AuthorizationServer {
            inner: Arc::new(state),
        })
    }

    /// Our issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Keys to verify the access tokens we issue.
    pub fn verify_keys(&self) -> HashMap<String, Arc<VerifyKey>> {
        self.inner.signing.verify_keys()
    }

    /// Families of revoked grants (access tokens carry theirs in `fam`).
    pub fn revoked_families(&self) -> moka::future::Cache<String, ()> {
        self.inner.store.revoked_families.clone()
    }

    /// All routes of the authorization server.
    pub fn router(&self) -> Router {
        let state = self.inner.clone();
        let meta = metadata(&state);
        Router::new()
            .route(
                &format!(
                    "/.well-known/oauth-authorization-server{}",
                    state.path_prefix
                ),
                get(move || std::future::ready(public_json(meta.clone()))),
            )
            .route("/oauth/jwks", get(jwks))
            .route("/oauth/authorize", get(authorize::authorize))
            .route("/oauth/callback", get(authorize::callback))
            .route("/oauth/token", post(token::token))
            .route("/oauth/register", post(clients::register))
            .route("/oauth/revoke", post(token::revoke))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(state)
    }
}

/// RFC 8414 metadata.
fn metadata(s: &Shared) -> serde_json::Value {
    let base = &s.issuer;
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "jwks_uri": format!("{base}/oauth/jwks"),
        "scopes_supported": s.scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    })
}

async fn jwks(axum::extract::State(s): axum::extract::State<Arc<Shared>>) -> Response {
    public_json(s.signing.jwks())
}

fn public_json(v: serde_json::Value) -> Response {
    let mut resp = axum::Json(v).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=600"),
    );
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// An OAuth error response (RFC 6749 §5.2).
pub(crate) fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = json!({"error": code, "error_description": description});
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}
