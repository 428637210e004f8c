//! Who the MCP clients are: dynamic client registration (RFC 7591) and client ID metadata
//! documents (an HTTPS URL as `client_id`, whose JSON names the client's redirect URIs), and client
//! authentication at the token endpoint.
//!
//! Redirect URIs are the whole security of a public client: they must be HTTPS, or HTTP on a
//! loopback host (native apps, RFC 8252 §7.3), or a private-use scheme; they are matched exactly.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use super::store::{Client, hash_bytes, random_token};
use super::{Shared, oauth_error};
use crate::transport::oauth::discovery::get_json;

/// Most redirect URIs per client.
const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect URI / client name.
const MAX_URI_LEN: usize = 2048;
const MAX_NAME_LEN: usize = 200;

/// The registration request fields we act on (others are ignored, RFC 7591 §2).
#[derive(Debug, Deserialize)]
pub struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
    client_name: Option<String>,
}

/// POST /oauth/register.
pub async fn register(
    State(srv): State<Arc<Shared>>,
    Json(req): Json<RegistrationRequest>,
) -> Response {
    match validate_registration(&req) {
        Ok(confidential) => {
            let client_id = random_token();
            let secret = confidential.then(random_token);
            let client = Client {
                client_id: client_id.clone(),
                secret_hash: secret.as_deref().map(hash_bytes),
                redirect_uris: req.redirect_uris.clone(),
                client_name: req.client_name.clone(),
            };
            srv.store
                .clients
                .insert(client_id.clone(), Arc::new(client))
                .await;
            let method = req
                .token_endpoint_auth_method
                .as_deref()
                .unwrap_or("client_secret_basic");
            let mut body = json!({
                "client_id": client_id,
                "client_id_issued_at": chrono::Utc::now().timestamp(),
                "redirect_uris": req.redirect_uris,
                "token_endpoint_auth_method": method,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
            });
            if let Some(name) = &req.client_name {
                body["client_name"] = json!(name);
            }
            if let Some(s) = secret {
                body["client_secret"] = json!(s);
                body["client_secret_expires_at"] = json!(0);
            }
            (
                StatusCode::CREATED,
                [(header::CACHE_CONTROL, "no-store")],
                Json(body),
            )
                .into_response()
        }
        Err((code, msg)) => oauth_error(StatusCode::BAD_REQUEST, code, msg),
    }
}

/// Checks a registration; returns whether the client is confidential (gets a secret).
fn validate_registration(req: &RegistrationRequest) -> Result<bool, (&'static str, &'static str)> {
    if req.redirect_uris.is_empty() || req.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(("invalid_redirect_uri", "1 to 10 redirect_uris are required"));
    }
    if !req.redirect_uris.iter().all(|u| redirect_uri_allowed(u)) {
        return Err((
            "invalid_redirect_uri",
            "redirect URIs must be https, http on a loopback host, or a private-use scheme, without fragment",
        ));
    }
    if !req
        .grant_types
        .iter()
        .all(|g| g == "authorization_code" || g == "refresh_token")
    {
        return Err((
            "invalid_client_metadata",
            "only authorization_code and refresh_token are supported",
        ));
    }
    if !req.response_types.iter().all(|r| r == "code") {
        return Err((
            "invalid_client_metadata",
            "only the code response type is supported",
        ));
    }
    if req
        .client_name
        .as_ref()
        .is_some_and(|n| n.len() > MAX_NAME_LEN)
    {
        return Err(("invalid_client_metadata", "client_name is too long"));
    }
    match req.token_endpoint_auth_method.as_deref() {
        Some("none") => Ok(false),
        None | Some("client_secret_basic") | Some("client_secret_post") => Ok(true),
        Some(_) => Err((
            "invalid_client_metadata",
            "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
        )),
    }
}

/// Whether a redirect URI may be registered.
pub fn redirect_uri_allowed(raw: &str) -> bool {
    if raw.len() > MAX_URI_LEN {
        return false;
    }
    let Ok(u) = url::Url::parse(raw) else {
        return false;
    };
    if u.fragment().is_some() {
        return false;
    }
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
        // Private-use URI schemes of native apps (RFC 8252 §7.1) contain a dot; plain ones
        // such as javascript: or data: never may.
        s => s.contains('.'),
    }
}

/// A client ID metadata document (draft-ietf-oauth-client-id-metadata-document).
#[derive(Debug, Deserialize)]
struct MetadataDocument {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
}

/// Whether `client_id` is a URL to fetch as a client ID metadata document: HTTPS with a path.
/// (HTTP is accepted only on loopback and only when this server itself runs on loopback, for
/// tests and local set-ups.)
fn is_metadata_url(client_id: &str, local: bool) -> Option<url::Url> {
    let u = url::Url::parse(client_id).ok()?;
    let scheme_ok = u.scheme() == "https"
        || (local
            && u.scheme() == "http"
            && matches!(u.host_str(), Some("127.0.0.1" | "localhost")));
    (scheme_ok
        && u.path() != "/"
        && u.fragment().is_none()
        && u.username().is_empty()
        && client_id.len() <= MAX_URI_LEN)
        .then_some(u)
}

impl Shared {
    /// A known client: registered here, or described by its metadata document.
    pub(crate) async fn client(&self, client_id: &str) -> Option<Arc<Client>> {
        if client_id.is_empty() || client_id.len() > MAX_URI_LEN {
            return None;
        }
        if let Some(c) = self.store.clients.get(client_id).await {
            return Some(c);
        }
        let url = is_metadata_url(client_id, self.local)?;
        let doc: MetadataDocument = match get_json(&self.http, url.as_str()).await {
            Ok(d) => d,
            Err(e) => {
                tracing::info!(error = %e, "OAuth: client ID metadata document unavailable");
                return None;
            }
        };
        let public = matches!(
            doc.token_endpoint_auth_method.as_deref(),
            None | Some("none")
        );
        let valid = doc.client_id == client_id
            && public
            && !doc.redirect_uris.is_empty()
            && doc.redirect_uris.len() <= MAX_REDIRECT_URIS
            && doc.redirect_uris.iter().all(|u| redirect_uri_allowed(u))
            && doc
                .client_name
                .as_ref()
                .is_none_or(|n| n.len() <= MAX_NAME_LEN);
        if !valid {
            return None;
        }
        let client = Arc::new(Client {
            client_id: client_id.to_string(),
            secret_hash: None,
            redirect_uris: doc.redirect_uris,
            client_name: doc.client_name,
        });
        self.store
            .clients
            .insert(client_id.to_string(), client.clone())
            .await;
        Some(client)
    }

    /// Authenticates the client of a token or revocation request: HTTP Basic or `client_id` +
    /// `client_secret` in the form for confidential clients, `client_id` alone for public ones.
    pub(crate) async fn authenticate_client(
        &self,
        headers: &HeaderMap,
        form_id: Option<&str>,
        form_secret: Option<&str>,
    ) -> Option<Arc<Client>> {
        let basic = basic_credentials(headers);
        let (id, secret) = match (&basic, form_id) {
            (Some((id, secret)), _) => (id.as_str(), Some(secret.as_str())),
            (None, Some(id)) => (id, form_secret),
            (None, None) => return None,
        };
        let client = self.client(id).await?;
        match (&client.secret_hash, secret) {
            (None, _) => Some(client),
            (Some(want), Some(got)) => {
                let ok: bool =
                    subtle::ConstantTimeEq::ct_eq(&want[..], &hash_bytes(got)[..]).into();
                ok.then_some(client)
            }
            (Some(_), None) => None,
        }
    }
}

/// `Authorization: Basic` credentials (RFC 6749 §2.3.1: each part form-urlencoded).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || b64.len() > 4096 {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_safe() {
        assert!(redirect_uri_allowed(
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(redirect_uri_allowed("http://127.0.0.1:33418/callback"));
        assert!(redirect_uri_allowed("http://localhost/cb"));
        assert!(redirect_uri_allowed("com.example.app:/cb"));
        assert!(!redirect_uri_allowed("http://evil.example/cb"));
        assert!(!redirect_uri_allowed("https://a.example/cb#frag"));
        assert!(!redirect_uri_allowed("javascript:alert(1)"));
        assert!(!redirect_uri_allowed("not a url"));
    }

    #[test]
    fn metadata_urls_are_https_with_a_path() {
        assert!(is_metadata_url("https://app.example/oauth/client.json", false).is_some());
        assert!(is_metadata_url("https://app.example/", false).is_none());
        assert!(is_metadata_url("http://127.0.0.1:9/c.json", false).is_none());
        assert!(is_metadata_url("http://127.0.0.1:9/c.json", true).is_some());
        assert!(is_metadata_url("abc", true).is_none());
    }
}
