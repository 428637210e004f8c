//! The authorization endpoint and the return from the upstream login.
//!
//! `/oauth/authorize` checks the MCP client's request (known client, exactly registered redirect
//! URI, PKCE S256, our resource) and sends the person to the company's identity provider with an
//! OIDC code flow of our own (state, nonce, PKCE). `/oauth/callback` redeems the upstream code,
//! verifies the ID token (signature, issuer, audience, nonce, `email_verified`), and hands the MCP
//! client an authorization code bound to everything it asked with.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jsonwebtoken::{Validation, decode, decode_header};
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::store::{CodeGrant, Pending, Person, hash, pkce_challenge, random_token};
use super::{Shared, oauth_error};
use crate::transport::oauth::discovery::MAX_DOCUMENT_BYTES;
use crate::transport::oauth::keys::ALLOWED_ALGORITHMS;
use crate::transport::oauth::verify::{claim, normalize_email, strings};

/// Longest state / scope / challenge accepted from a client.
const MAX_PARAM: usize = 1024;

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    resource: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

/// GET /oauth/authorize.
pub async fn authorize(
    State(srv): State<Arc<Shared>>,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    // Until the redirect URI is trusted, errors are shown here, never redirected (RFC 6749 §4.1.2.1).
    let Some(client) = srv.client(q.client_id.as_deref().unwrap_or("")).await else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    };
    let redirect_uri = match (&q.redirect_uri, client.redirect_uris.as_slice()) {
        (Some(r), uris) if uris.iter().any(|u| u == r) => r.clone(),
        (None, [only]) => only.clone(),
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is not registered for this client",
            );
        }
    };
    let state = q.state.clone().filter(|s| s.len() <= MAX_PARAM);
    let fail =
        |code: &str, msg: &str| srv.redirect_error(&redirect_uri, state.as_deref(), code, msg);
    if q.response_type.as_deref() != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let challenge = match (
        q.code_challenge.as_deref(),
        q.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => c.to_string(),
        _ => {
            return fail(
                "invalid_request",
                "PKCE with code_challenge_method=S256 is required",
            );
        }
    };
    let resource = match q.resource.as_deref() {
        None => srv.resources[0].clone(),
        Some(r) if srv.resources.iter().any(|x| x == r) => r.to_string(),
        Some(_) => return fail("invalid_target", "resource is not this server"),
    };
    let scope = q.scope.clone().unwrap_or_default();
    if scope.len() > MAX_PARAM || q.state.as_ref().is_some_and(|s| s.len() > MAX_PARAM) {
        return fail("invalid_request", "scope or state too long");
    }
    let upstream_state = random_token();
    let pending = Pending {
        client_id: client.client_id.clone(),
        redirect_uri,
        state,
        code_challenge: challenge,
        scope,
        resource,
        upstream_verifier: random_token(),
        nonce: random_token(),
    };
    let mut url = srv.upstream.authorization_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &srv.upstream.client_id)
        .append_pair("redirect_uri", &srv.callback_url)
        .append_pair("scope", "openid email")
        .append_pair("state", &upstream_state)
        .append_pair("nonce", &pending.nonce)
        .append_pair(
            "code_challenge",
            &pkce_challenge(&pending.upstream_verifier),
        )
        .append_pair("code_challenge_method", "S256");
    if let Some(hint) = q.login_hint.as_deref().filter(|h| h.len() <= 256) {
        url.query_pairs_mut().append_pair("login_hint", hint);
    }
    srv.store
        .pending
        .insert(upstream_state, Arc::new(pending))
        .await;
    Redirect::to(url.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// GET /oauth/callback: the person is back from the upstream login.
pub async fn callback(State(srv): State<Arc<Shared>>, Query(q): Query<CallbackQuery>) -> Response {
    let key = q.state.clone().unwrap_or_default();
    let Some(pending) = srv.store.pending.remove(&key).await else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown or expired login; start again from the app",
        );
    };
    let fail = |code: &str, msg: &str| {
        srv.redirect_error(&pending.redirect_uri, pending.state.as_deref(), code, msg)
    };
    if q.error.is_some() {
        return fail(
            "access_denied",
            "the login at the identity provider did not succeed",
        );
    }
    let Some(code) = q.code.filter(|c| c.len() <= MAX_PARAM) else {
        return fail("access_denied", "the identity provider returned no code");
    };
    let person = match srv.redeem_upstream(&code, &pending).await {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(reason = why, "OAuth: upstream login refused");
            return fail("access_denied", why);
        }
    };
    let our_code = random_token();
    let grant = CodeGrant {
        client_id: pending.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        code_challenge: pending.code_challenge.clone(),
        scope: pending.scope.clone(),
        resource: pending.resource.clone(),
        person,
        family: random_token(),
    };
    srv.store
        .codes
        .insert(hash(&our_code), Arc::new(grant))
        .await;
    let mut url = match url::Url::parse(&pending.redirect_uri) {
        Ok(u) => u,
        Err(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "bad redirect_uri",
            );
        }
    };
    {
        let mut qp = url.query_pairs_mut();
        qp.append_pair("code", &our_code);
        if let Some(s) = &pending.state {
            qp.append_pair("state", s);
        }
        qp.append_pair("iss", &srv.issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

impl Shared {
    /// Redirects an error to the client (RFC 6749 §4.1.2.1, RFC 9207 `iss`).
    fn redirect_error(
        &self,
        redirect_uri: &str,
        state: Option<&str>,
        code: &str,
        msg: &str,
    ) -> Response {
        let Ok(mut url) = url::Url::parse(redirect_uri) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "bad redirect_uri",
            );
        };
        {
            let mut qp = url.query_pairs_mut();
            qp.append_pair("error", code)
                .append_pair("error_description", msg);
            if let Some(s) = state {
                qp.append_pair("state", s);
            }
            qp.append_pair("iss", &self.issuer);
        }
        Redirect::to(url.as_str()).into_response()
    }

    /// Exchanges the upstream code and verifies the ID token; the reasons are fixed strings.
    async fn redeem_upstream(&self, code: &str, pending: &Pending) -> Result<Person, &'static str> {
        let up = &self.upstream;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.callback_url.as_str()),
            ("code_verifier", pending.upstream_verifier.as_str()),
        ];
        let mut req = self.http.post(up.token_endpoint.as_str());
        match &up.client_secret {
            Some(secret) => {
                req = req.basic_auth(
                    form_encode(&up.client_id),
                    Some(form_encode(secret.expose_secret())),
                )
            }
            None => form.push(("client_id", up.client_id.as_str())),
        }
        let resp = req
            .form(&form)
            .send()
            .await
            .map_err(|_| "the identity provider is unreachable")?;
        if !resp.status().is_success() {
            return Err("the identity provider refused the code");
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|_| "the identity provider's answer was cut off")?;
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err("the identity provider's answer is too large");
        }
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|_| "the identity provider's answer is not JSON")?;
        let id_token = body["id_token"]
            .as_str()
            .ok_or("the identity provider sent no ID token")?;
        let claims = self.verify_id_token(id_token, &pending.nonce).await?;
        let verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
            || matches!(claims.get("email_verified"), Some(Value::String(s)) if s == "true");
        if !verified {
            return Err("the identity provider has not verified this email address");
        }
        let email = match claim(&claims, &self.email_claim) {
            Some(Value::String(s)) => {
                normalize_email(s).ok_or("the email claim is not an email address")?
            }
            _ => return Err("the ID token carries no email"),
        };
        let hr = strings(claim(&claims, &self.roles_claim))
            .iter()
            .any(|r| r == &self.hr_role);
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| s.len() <= 256)
            .ok_or("the ID token has no subject")?;
        Ok(Person {
            subject: subject.to_string(),
            email,
            hr,
        })
    }

    async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
    ) -> Result<Map<String, Value>, &'static str> {
        let header = decode_header(token).map_err(|_| "malformed ID token")?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err("ID token signature algorithm not allowed");
        }
        let key = self
            .upstream
            .keys
            .find(header.kid.as_deref().unwrap_or(""))
            .await
            .ok_or("ID token signed with an unknown key")?;
        if key.alg != header.alg {
            return Err("ID token algorithm does not match its key");
        }
        let mut v = Validation::new(key.alg);
        v.leeway = 30;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.set_issuer(&[self.upstream.issuer.as_str()]);
        v.set_audience(&[self.upstream.client_id.as_str()]);
        let data =
            decode::<Map<String, Value>>(token, &key.key, &v).map_err(|_| "invalid ID token")?;
        let sent: bool = subtle::ConstantTimeEq::ct_eq(
            data.claims
                .get("nonce")
                .and_then(Value::as_str)
                .unwrap_or("")
                .as_bytes(),
            nonce.as_bytes(),
        )
        .into();
        if !sent {
            return Err("ID token nonce mismatch");
        }
        Ok(data.claims)
    }
}

/// RFC 6749 §2.3.1: client credentials in HTTP Basic are form-urlencoded first.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
