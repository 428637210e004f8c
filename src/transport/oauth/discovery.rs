//! Authorization server discovery: where the issuer publishes its keys and endpoints.
//!
//! OIDC providers publish `{issuer}/.well-known/openid-configuration`; plain OAuth servers publish
//! RFC 8414 metadata at `/.well-known/oauth-authorization-server` (inserted before the issuer's
//! path). The document must name the configured issuer, or a spoofed document could make us
//! trust someone else's keys.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::OAuthError;

/// Largest metadata or JWKS document read (a real one is a few KiB).
pub(crate) const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The parts of the issuer's metadata this server uses.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuerMetadata {
    /// The issuer exactly as the provider spells it (tokens carry this string in `iss`).
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// The HTTP client for the identity provider: TLS with the bundled web roots (like the Personio
/// client), short timeouts, no redirects (a metadata or key URL that redirects is a misconfiguration
/// we would rather report than follow).
pub(crate) fn http_client() -> Result<reqwest::Client, OAuthError> {
    let provider = rustls::crypto::ring::default_provider();
    let tls = rustls::ClientConfig::builder_with_provider(provider.into())
        .with_safe_default_protocol_versions()
        .map_err(|e| OAuthError::setup(format!("TLS setup failed: {e}")))?
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("personio-mcp/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OAuthError::setup(format!("HTTP client setup failed: {e}")))
}

/// GETs a JSON document of bounded size.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, OAuthError> {
    let mut resp = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| OAuthError::unreachable(format!("{url}: {e}")))?;
    if !resp.status().is_success() {
        return Err(OAuthError::unreachable(format!(
            "{url}: HTTP {}",
            resp.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| OAuthError::unreachable(format!("{url}: {e}")))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(OAuthError::unreachable(format!(
                "{url}: document larger than {MAX_DOCUMENT_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| OAuthError::unreachable(format!("{url}: not the expected JSON: {e}")))
}

/// Fetches the issuer's metadata: OIDC discovery first, RFC 8414 second.
pub async fn discover(http: &reqwest::Client, issuer: &Url) -> Result<IssuerMetadata, OAuthError> {
    let base = issuer.as_str().trim_end_matches('/');
    let oidc = format!("{base}/.well-known/openid-configuration");
    let origin = issuer.origin().ascii_serialization();
    let path = issuer.path().trim_end_matches('/');
    let rfc8414 = format!("{origin}/.well-known/oauth-authorization-server{path}");
    let meta: IssuerMetadata = match get_json(http, &oidc).await {
        Ok(m) => m,
        Err(first) => get_json(http, &rfc8414).await.map_err(|second| {
            OAuthError::unreachable(format!("issuer metadata not found: {first}; {second}"))
        })?,
    };
    if meta.issuer.trim_end_matches('/') != base {
        return Err(OAuthError::unreachable(format!(
            "the metadata of {base} names another issuer ({:?}); refusing it",
            meta.issuer
        )));
    }
    Ok(meta)
}
