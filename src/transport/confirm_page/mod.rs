//! The confirmation page: where a person says yes or no to one write (issue 17).
//!
//! `GET /confirm/{id}` shows the pending request (who, type, dates and times, half days, balance
//! effect, comment) with Confirm and Decline buttons in a POST form; `POST /confirm/{id}` records
//! the answer once and redirects back (303), so that a reload never re-submits. The page works
//! without JavaScript and has none: its CSP allows no script, only its own stylesheet by hash.
//!
//! Protections: the id is 256 random bits (the URL is the capability); the form carries the
//! approval's own CSRF secret, compared in constant time — a POST without it is 403 and changes
//! nothing; a POST marked cross-site by the browser (`Sec-Fetch-Site`) is refused as well; answers
//! are compare-and-set in the store, so the first one wins and later ones only see the outcome;
//! expired approvals answer 410. Every response carries strict headers ([`security_headers`]):
//! nothing is cached, no referrer leaks the URL, the page cannot be framed.
//!
//! The router is mounted by `serve --http` on its own listener, or served by [`LoopbackHost`] on a
//! loopback port started on first need (stdio mode). It must sit outside MCP bearer-token
//! authentication: the person's browser has no token, the id is the credential.

pub mod i18n;
pub mod listener;
pub mod render;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub use listener::{FixedHost, LoopbackHost};

use self::i18n::Lang;
use self::render::{Banner, STYLE_HASH, banner_page, pending_page};
use crate::policy::state::{
    ApprovalId, ApprovalState, Approvals, Decision, DecisionOutcome, LoadedApproval,
};

/// The route of the page, in axum's path syntax.
pub const ROUTE: &str = "/confirm/{id}";
/// The largest form body accepted (the real one is ~120 bytes).
pub const MAX_FORM_BYTES: usize = 2048;

#[derive(Clone)]
struct PageState {
    approvals: Approvals,
}

/// The confirmation page's router (`/confirm/{id}`, GET and POST), with its security headers.
pub fn router(approvals: Approvals) -> Router {
    Router::new()
        .route(ROUTE, get(show).post(answer))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(map_response(security_headers))
        .with_state(Arc::new(PageState { approvals }))
}

/// The Content-Security-Policy of every response: nothing but the page's own stylesheet (by
/// hash), forms only to this origin, no framing, no `<base>` tricks.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'",
        STYLE_HASH.as_str()
    )
}

/// Adds the strict headers to a response of the page.
pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy()) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    let fixed: [(header::HeaderName, &'static str); 7] = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

fn banner(status: StatusCode, b: Banner, lang: Lang) -> Response {
    page(status, banner_page(b, lang, None, false))
}

fn unavailable(lang: Lang, what: &crate::error::Error) -> Response {
    tracing::warn!(code = %what.code, "confirmation page: state store failed");
    banner(StatusCode::SERVICE_UNAVAILABLE, Banner::Unavailable, lang)
}

/// The page for an approval in any state.
fn render_loaded(id: &ApprovalId, loaded: &LoadedApproval, lang: Lang, again: bool) -> Response {
    match loaded.state {
        ApprovalState::Pending => page(
            StatusCode::OK,
            pending_page(
                &loaded.view,
                lang,
                &id.path(),
                &loaded.csrf_secret,
                loaded.expires_at,
            ),
        ),
        ApprovalState::Expired => banner(StatusCode::GONE, Banner::Expired, lang),
        ApprovalState::Unknown => banner(StatusCode::NOT_FOUND, Banner::Unknown, lang),
        state => page(
            if again {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            },
            banner_page(Banner::for_state(state), lang, Some(&loaded.view), again),
        ),
    }
}

async fn show(
    State(s): State<Arc<PageState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(id) = ApprovalId::parse(&id) else {
        return banner(StatusCode::NOT_FOUND, Banner::Unknown, lang);
    };
    match s.approvals.load(&id).await {
        Ok(Some(loaded)) => render_loaded(&id, &loaded, lang, false),
        Ok(None) => banner(StatusCode::NOT_FOUND, Banner::Unknown, lang),
        Err(e) => unavailable(lang, &e),
    }
}

/// The form the page posts. Both fields optional, so that a forged POST without them reaches
/// the handler and gets 403 (not axum's 422).
#[derive(Debug, Deserialize)]
struct AnswerForm {
    csrf: Option<String>,
    decision: Option<String>,
}

async fn answer(
    State(s): State<Arc<PageState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<AnswerForm>, FormRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let Some(id) = ApprovalId::parse(&id) else {
        return banner(StatusCode::NOT_FOUND, Banner::Unknown, lang);
    };
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    let form = match form {
        Ok(Form(f)) if !cross_site => f,
        _ => return banner(StatusCode::FORBIDDEN, Banner::Forbidden, lang),
    };
    let decision = match form.decision.as_deref() {
        Some("confirm") => Decision::Confirm,
        Some("decline") => Decision::Decline,
        _ => return banner(StatusCode::FORBIDDEN, Banner::Forbidden, lang),
    };
    match s
        .approvals
        .decide(&id, form.csrf.as_deref(), decision)
        .await
    {
        Ok(DecisionOutcome::Recorded(_)) => Redirect::to(&id.path()).into_response(),
        Ok(DecisionOutcome::AlreadyDecided(_)) => match s.approvals.load(&id).await {
            Ok(Some(loaded)) => render_loaded(&id, &loaded, lang, true),
            Ok(None) => banner(StatusCode::NOT_FOUND, Banner::Unknown, lang),
            Err(e) => unavailable(lang, &e),
        },
        Ok(DecisionOutcome::Forbidden) => banner(StatusCode::FORBIDDEN, Banner::Forbidden, lang),
        Ok(DecisionOutcome::Expired) => banner(StatusCode::GONE, Banner::Expired, lang),
        Ok(DecisionOutcome::Unknown) => banner(StatusCode::NOT_FOUND, Banner::Unknown, lang),
        Err(e) => unavailable(lang, &e),
    }
}
