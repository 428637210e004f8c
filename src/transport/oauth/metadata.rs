//! RFC 9728 protected resource metadata: tells an MCP client which authorization server issues
//! tokens for this server, and which resource identifier to ask for (RFC 8707 `resource`).
//!
//! Two documents: the path form for the `/mcp` endpoint (RFC 9728 §3.1 inserts the well-known
//! segment before the resource's path, so `{public-url}/mcp` is described at
//! `/.well-known/oauth-protected-resource/mcp`), and the root form describing `{public-url}`
//! itself, for clients that probe the origin.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::OAuthConfig;

/// One metadata document (RFC 9728 §2).
#[derive(Debug, Clone, Serialize)]
pub struct ProtectedResourceMetadata {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub bearer_methods_supported: Vec<&'static str>,
    pub resource_name: &'static str,
}

impl ProtectedResourceMetadata {
    pub fn new(config: &OAuthConfig, issuer: &str, resource: String) -> Self {
        ProtectedResourceMetadata {
            resource,
            authorization_servers: vec![issuer.to_string()],
            scopes_supported: config.scopes.clone(),
            // Tokens are read from the Authorization header only: query-string tokens end up in
            // access logs and browser history (RFC 6750 §5.3).
            bearer_methods_supported: vec!["header"],
            resource_name: "Personio MCP",
        }
    }
}

/// The paths the two documents are served at, below the origin.
pub fn paths(config: &OAuthConfig) -> (String, String) {
    let prefix = config.public_url.path().trim_end_matches('/');
    (
        format!("/.well-known/oauth-protected-resource{prefix}/mcp"),
        format!("/.well-known/oauth-protected-resource{prefix}"),
    )
}

/// Routes serving both documents (public: no token needed, nothing secret in them).
pub fn router(config: &OAuthConfig, issuer: &str) -> Router {
    let (mcp_path, root_path) = paths(config);
    let mcp = ProtectedResourceMetadata::new(config, issuer, config.mcp_resource());
    let root = ProtectedResourceMetadata::new(config, issuer, config.base_resource());
    Router::new()
        .route(&mcp_path, get(move || std::future::ready(document(&mcp))))
        .route(&root_path, get(move || std::future::ready(document(&root))))
}

fn document(doc: &ProtectedResourceMetadata) -> Response {
    let mut resp = axum::Json(doc).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    // Browser-based MCP clients read this cross-origin before they have any credential.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}
