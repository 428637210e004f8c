//! `POST /v1/auth`: client id and secret as JSON, form fields or query parameters (the pre-2023 way,
//! still used by older clients). Answers `{"success":true,"data":{"token":"papi-…","expires_in":86400,
//! "scope":"…"}}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::sandbox::auth::{self, CredentialCheck, Grants, TOKEN_LIFETIME_SECS};
use crate::sandbox::envelope;
use crate::sandbox::params::{self, Query, Validation};
use crate::sandbox::state::AppState;

pub async fn auth(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let query = Query::parse(query.as_deref());
    let mut fields =
        params::parse_body(&headers, &body).map_err(|_| envelope::v1_malformed_body())?;
    fields.fill_from_query(&query);
    let mut v = Validation::default();
    let client_id = fields.text("client_id");
    let client_secret = fields.text("client_secret");
    if client_id.is_none() {
        v.add("client_id", "The client id field is required.");
    }
    if client_secret.is_none() {
        v.add("client_secret", "The client secret field is required.");
    }
    v.finish()?;
    let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
        return Err(envelope::v1_malformed_body());
    };
    match auth::check_credentials(&client_id, &client_secret) {
        CredentialCheck::Valid(credential) => {
            let grants = Grants::from_v2_scopes(credential.v2_scopes.iter().copied());
            let token = state.tokens.issue(credential, grants);
            Ok(envelope::json_response(
                StatusCode::OK,
                &json!({"success": true, "data": {
                    "token": token,
                    "expires_in": TOKEN_LIFETIME_SECS,
                    "scope": credential.v1_scope,
                }}),
            ))
        }
        CredentialCheck::UnknownClient | CredentialCheck::WrongSecret => Err(envelope::v1_error(
            StatusCode::UNAUTHORIZED,
            401,
            "The client credentials are invalid.",
        )),
    }
}
