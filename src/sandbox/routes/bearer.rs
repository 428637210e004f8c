//! The Bearer check in front of `/v1/company/*` and the v2 resource routes: 401 without a valid
//! token, the [`Caller`](crate::sandbox::auth::Caller) in the request extensions otherwise, and the token echoed in the
//! `Authorization` header of 2xx v1 responses (REFERENCE.md §2, §11.10).
//!
//! It lives here rather than in `auth.rs` because it needs the application state, and the state holds
//! the token store: keeping it out of `auth.rs` keeps the import graph free of circles.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

use crate::sandbox::auth::bearer_token;
use crate::sandbox::envelope;
use crate::sandbox::state::AppState;

/// Middleware for `/v1/company/*`.
pub async fn require_bearer(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return envelope::v1_unauthorized();
    };
    let Some(token) = bearer_token(value).map(str::to_owned) else {
        return envelope::v1_unauthorized();
    };
    let Some(caller) = state.tokens.lookup(&token) else {
        return envelope::v1_token_invalid();
    };
    req.extensions_mut().insert(caller);
    let mut response = next.run(req).await;
    if response.status().is_success()
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}"))
    {
        response.headers_mut().insert(header::AUTHORIZATION, v);
    }
    response
}

/// Middleware for the v2 resource routes: the same token check, answered with v2 error bodies, and
/// no token echo (v2 does not echo it).
pub async fn require_bearer_v2(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(bearer_token)
        .and_then(|token| state.tokens.lookup(token));
    let Some(caller) = caller else {
        return super::v2_shared::unauthorized();
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}
