//! How an upstream failure is classified, in the manner of the AWS SDKs' retry classifiers:
//! *throttle*, *transient* or *permanent*, plus whether Personio may have acted on the request.
//! The executor (`http`) retries from this; the operations map bodies with it.

use reqwest::StatusCode;

use super::model::envelope::UpstreamMessage;
use super::request::Request;
use crate::error::{Error, ErrorCode};

/// Key in [`Error::details`] marking a write whose outcome is unknown.
const OUTCOME_KEY: &str = "write_outcome";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Throttle,
    Transient,
    Permanent,
}

#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) class: Class,
    /// Whether Personio may have received (and acted on) the request.
    pub(crate) maybe_processed: bool,
}

impl Failure {
    pub(crate) fn permanent(error: Error) -> Self {
        Failure {
            error,
            class: Class::Permanent,
            maybe_processed: true,
        }
    }
}

/// Marks the error of a write that may or may not have taken effect (a timeout, a cut connection,
/// a 5xx after sending): the caller must look the record up before deciding to write again.
pub fn outcome_unknown(e: Error) -> Error {
    e.with_hint(
        "The write may or may not have reached Personio. Look the record up before trying again.",
    )
    .with_details(serde_json::json!({ OUTCOME_KEY: "unknown" }))
}

/// Whether `e` came from a write whose outcome is unknown (see [`outcome_unknown`]).
pub fn is_outcome_unknown(e: &Error) -> bool {
    e.details
        .as_ref()
        .and_then(|d| d.get(OUTCOME_KEY))
        .and_then(serde_json::Value::as_str)
        == Some("unknown")
}

/// A short, secret-free description of a transport error (reqwest's Display can include URLs
/// with query strings, which may carry an email filter).
pub fn describe_transport_error(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "response body could not be read"
    } else if e.is_request() {
        "request could not be sent"
    } else {
        "transport error"
    }
}

/// Whether a rejection may mean "this token is no good" rather than "this credential lacks a
/// permission". A 401 always does. Personio's 403 body ("Provided authorization is not valid") is
/// the same for a revoked token and for a missing permission, and a token can be revoked seconds
/// after it was issued, so every 403 is ambiguous until a fresh token has been refused too.
pub(crate) fn may_be_token_rejection(status: StatusCode) -> bool {
    matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
}

fn upstream_text(message: &UpstreamMessage) -> String {
    message
        .message
        .clone()
        .or_else(|| message.kind.clone())
        .unwrap_or_else(|| "no details".into())
}

pub(crate) fn classify_status(
    status: StatusCode,
    message: &UpstreamMessage,
    req: &Request,
) -> Failure {
    let code = status.as_u16();
    match status {
        StatusCode::TOO_MANY_REQUESTS => Failure {
            error: Error::new(
                ErrorCode::RateLimited,
                "Personio is throttling requests (HTTP 429)",
            )
            .with_hint("Wait a few seconds and try again; narrower queries need fewer requests."),
            class: Class::Throttle,
            maybe_processed: false,
        },
        StatusCode::FORBIDDEN => Failure::permanent(permission_missing(req.permission)),
        StatusCode::NOT_FOUND => Failure::permanent(Error::not_found(format!(
            "Personio has no such {} (HTTP 404)",
            req.resource
        ))),
        StatusCode::CONFLICT => Failure::permanent(Error::new(
            ErrorCode::Conflict,
            format!("Personio refused: {}", upstream_text(message)),
        )),
        s if s.is_server_error() => Failure {
            error: Error::new(
                if code == 500 {
                    ErrorCode::UpstreamError
                } else {
                    ErrorCode::UpstreamUnavailable
                },
                format!("Personio failed (HTTP {code})"),
            )
            .with_hint("This is on Personio's side; try again shortly."),
            class: Class::Transient,
            maybe_processed: true,
        },
        s if s.is_client_error() => Failure::permanent(Error::validation(format!(
            "Personio refused the request (HTTP {code}): {}",
            upstream_text(message)
        ))),
        _ => Failure::permanent(Error::upstream(format!(
            "unexpected HTTP status {code} from Personio"
        ))),
    }
}

/// The PERMISSION_MISSING error for a 403 on an endpoint.
pub fn permission_missing(permission: &str) -> Error {
    Error::new(
        ErrorCode::PermissionMissing,
        format!("the Personio API credential is not allowed to {permission} (HTTP 403)"),
    )
    .with_hint(format!(
        "A Personio admin can grant \"{permission}\" to this credential in Personio › Settings › \
Integrations › API credentials."
    ))
}

/// Maps `success:false` inside a 2xx body to an error, using `error.code` when it is an HTTP-like
/// code (Personio often sends 0).
pub fn unsuccessful_body(message: &UpstreamMessage, req: &Request) -> Error {
    match message.code {
        Some(404) => Error::not_found(format!("Personio has no such {}", req.resource)),
        Some(403) => permission_missing(req.permission),
        Some(c @ 400..=499) => Error::validation(format!(
            "Personio refused the request (code {c}): {}",
            upstream_text(message)
        )),
        _ => Error::upstream(format!(
            "Personio reported a failure: {}",
            upstream_text(message)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(m: &str) -> UpstreamMessage {
        UpstreamMessage {
            code: None,
            message: Some(m.into()),
            kind: None,
        }
    }

    #[test]
    fn every_401_and_403_may_be_a_stale_token_but_nothing_else_is() {
        assert!(may_be_token_rejection(StatusCode::FORBIDDEN));
        assert!(may_be_token_rejection(StatusCode::UNAUTHORIZED));
        assert!(!may_be_token_rejection(StatusCode::NOT_FOUND));
        assert!(!may_be_token_rejection(StatusCode::TOO_MANY_REQUESTS));
    }

    #[test]
    fn statuses_classify_like_the_smithy_model() {
        let req = Request::get("/v1/company/time-offs", "read absences", "time-off");
        let f = classify_status(StatusCode::TOO_MANY_REQUESTS, &msg(""), &req);
        assert_eq!(f.class, Class::Throttle);
        assert_eq!(f.error.code, ErrorCode::RateLimited);
        let f = classify_status(StatusCode::BAD_GATEWAY, &msg(""), &req);
        assert_eq!(f.class, Class::Transient);
        assert_eq!(f.error.code, ErrorCode::UpstreamUnavailable);
        let f = classify_status(StatusCode::FORBIDDEN, &msg("nope"), &req);
        assert_eq!(f.class, Class::Permanent);
        assert_eq!(f.error.code, ErrorCode::PermissionMissing);
        assert!(f.error.message.contains("read absences"));
        let f = classify_status(
            StatusCode::NOT_FOUND,
            &msg("Es ist ein Problem aufgetreten "),
            &req,
        );
        assert_eq!(f.error.code, ErrorCode::NotFound);
        let f = classify_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &msg("The given data failed to pass validation."),
            &req,
        );
        assert_eq!(f.error.code, ErrorCode::ValidationFailed);
    }

    #[test]
    fn unsuccessful_bodies_use_http_like_codes() {
        let req = Request::get("/v1/company/employees/1", "read employees", "employee");
        let m = UpstreamMessage {
            code: Some(404),
            message: Some("Es ist ein Problem aufgetreten ".into()),
            kind: None,
        };
        assert_eq!(unsuccessful_body(&m, &req).code, ErrorCode::NotFound);
        let m = UpstreamMessage {
            code: Some(0),
            message: Some("weird".into()),
            kind: None,
        };
        assert_eq!(unsuccessful_body(&m, &req).code, ErrorCode::UpstreamError);
    }

    #[test]
    fn unknown_outcomes_are_recognisable_and_others_are_not() {
        let e = outcome_unknown(Error::unavailable("timed out"));
        assert!(is_outcome_unknown(&e));
        assert_eq!(e.code, ErrorCode::UpstreamUnavailable);
        assert!(!is_outcome_unknown(&Error::unavailable("timed out")));
    }
}
