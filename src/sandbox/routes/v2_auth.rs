//! `POST /v2/auth/token` (OAuth 2.0 client credentials) and `POST /v2/auth/revoke`.
//!
//! Form-encoded only: any other content type is `invalid_request`. Errors are OAuth problem bodies
//! (`application/problem+json`) with status 400 as the credentials spec documents for every error:
//! missing parameters → `invalid_request` (+ `meta.missing_parameters`), a grant type other than
//! `client_credentials` → `unsupported_grant_type`, unknown client id or wrong secret →
//! `invalid_client`, a scope the credential does not hold → `invalid_scope`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use crate::sandbox::auth::{self, CredentialCheck, Grants, TOKEN_LIFETIME_SECS};
use crate::sandbox::clock;
use crate::sandbox::envelope;
use crate::sandbox::params::{self, Fields};
use crate::sandbox::state::AppState;

fn oauth_error(error: &str, description: &str, anchor: &str, meta: Value) -> Response {
    envelope::problem_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "error": error,
            "error_description": description,
            "error_uri": format!("https://developer.personio.de/reference/errors#credentials.oauth2.{anchor}"),
            "timestamp": clock::v2_timestamp(chrono::Utc::now()),
            "trace_id": uuid::Uuid::new_v4().to_string(),
            "meta": meta,
        }),
    )
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// A form-encoded OAuth request body; any other content type is `invalid_request`.
pub struct OAuthForm(Fields);

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        if !is_form(req.headers()) {
            return Err(content_type_error());
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(OAuthForm(params::form_fields(&body)))
    }
}

fn content_type_error() -> Response {
    oauth_error(
        "invalid_request",
        "The content type of the request must be \"application/x-www-form-urlencoded\".",
        "invalid_request.invalid_request_content_type",
        json!({}),
    )
}

pub async fn token(State(state): State<Arc<AppState>>, OAuthForm(fields): OAuthForm) -> Response {
    let missing: Vec<&str> = ["grant_type", "client_id", "client_secret"]
        .into_iter()
        .filter(|k| fields.text(k).is_none())
        .collect();
    if let Some(grant_type) = fields
        .text("grant_type")
        .filter(|g| g != "client_credentials")
    {
        return oauth_error(
            "unsupported_grant_type",
            "The requested authorization grant type is not supported by the server.",
            "unsupported_grant_type",
            json!({"grant_type": grant_type}),
        );
    }
    if !missing.is_empty() {
        return oauth_error(
            "invalid_request",
            "The request has missing or invalid required parameters.",
            "invalid_request.required_parameters_missing",
            json!({"missing_parameters": missing}),
        );
    }
    let client_id = fields.text("client_id").unwrap_or_default();
    let client_secret = fields.text("client_secret").unwrap_or_default();
    let credential = match auth::check_credentials(&client_id, &client_secret) {
        CredentialCheck::Valid(c) => c,
        CredentialCheck::UnknownClient | CredentialCheck::WrongSecret => {
            return oauth_error(
                "invalid_client",
                "Client authentication failed (e.g., unknown client, wrong secret, no client authentication included, or unsupported authentication method).",
                "invalid_client",
                json!({}),
            );
        }
    };
    let requested: Vec<String> = fields
        .text("scope")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let granted: Vec<&str> = if requested.is_empty() {
        credential.v2_scopes.to_vec()
    } else {
        let mut granted = Vec::new();
        for s in &requested {
            match credential.v2_scopes.iter().find(|c| **c == s.as_str()) {
                Some(c) => granted.push(*c),
                None => {
                    return oauth_error(
                        "invalid_scope",
                        "One of the requested scopes is invalid.",
                        "invalid_scope",
                        json!({"scope": s}),
                    );
                }
            }
        }
        granted
    };
    let token = state
        .tokens
        .issue(credential, Grants::from_v2_scopes(granted.iter().copied()));
    envelope::json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "expires_in": TOKEN_LIFETIME_SECS,
            "token_type": "Bearer",
            "scope": granted.join(" "),
        }),
    )
}

/// Revokes one token; 200 with an empty body whether or not it existed (RFC 7009).
pub async fn revoke(State(state): State<Arc<AppState>>, OAuthForm(fields): OAuthForm) -> Response {
    match fields.text("token") {
        Some(token) => {
            state.tokens.revoke(&token);
            StatusCode::OK.into_response()
        }
        None => oauth_error(
            "invalid_request",
            "The request has missing or invalid required parameters.",
            "invalid_request.required_parameters_missing",
            json!({"missing_parameters": ["token"]}),
        ),
    }
}
