//! Personio's JSON shapes: v1 success/error envelopes, attribute envelopes, the wrapped short employee
//! used inside time-offs, v2 problem bodies, and JSON responses that never panic.
//!
//! Error messages are Personio's own where REFERENCE.md §5 records them (including the German employee
//! 404 with its trailing space); the few the sandbox had to invent are listed in docs/sandbox.md.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::{Number, Value, json};

use super::clock;
use super::data::Employee;

/// Serialises `body` as `application/json` with `status`. Serialisation of our own types cannot fail
/// in practice; if it ever did, the client gets a 500 rather than the server a panic.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    typed_json(status, body, "application/json")
}

/// Like [`json_response`] with `application/problem+json` (v2 errors, OAuth errors).
pub fn problem_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    typed_json(status, body, "application/problem+json")
}

fn typed_json<T: Serialize + ?Sized>(
    status: StatusCode,
    body: &T,
    content_type: &'static str,
) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "sandbox: failed to serialise a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `{"success":false,"error":{"code":<code>,"message":<message>}}` — `code` is often 0, not the status.
pub fn v1_error(status: StatusCode, code: i64, message: &str) -> Response {
    json_response(
        status,
        &json!({"success": false, "error": {"code": code, "message": message}}),
    )
}

/// 422 with Laravel-style `error_data` (`{"field": ["message", ...]}`).
pub fn v1_validation(errors: &[(String, String)]) -> Response {
    let mut data = serde_json::Map::new();
    for (field, message) in errors {
        let entry = data
            .entry(field.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.clone()));
        }
    }
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"success": false, "error": {
            "code": 0,
            "message": "The given data failed to pass validation.",
            "error_data": data,
        }}),
    )
}

/// 400 for bodies that are neither JSON nor a form (or JSON that does not parse).
pub fn v1_malformed_body() -> Response {
    v1_error(
        StatusCode::BAD_REQUEST,
        400,
        "The request body could not be parsed.",
    )
}

/// No `Authorization: Bearer` header (spec example, REFERENCE.md §5.1).
pub fn v1_unauthorized() -> Response {
    v1_error(
        StatusCode::UNAUTHORIZED,
        401,
        "Authorization is not provided",
    )
}

/// Unknown, expired or revoked token: 401 so that clients re-authenticate.
pub fn v1_token_invalid() -> Response {
    v1_error(
        StatusCode::UNAUTHORIZED,
        401,
        "Provided authorization is not valid",
    )
}

/// The credential lacks the permission (spec's 403 body).
pub fn v1_forbidden() -> Response {
    v1_error(
        StatusCode::FORBIDDEN,
        403,
        "Provided authorization is not valid",
    )
}

/// Employee 404: German, with Personio's trailing space.
pub fn v1_employee_not_found() -> Response {
    v1_error(
        StatusCode::NOT_FOUND,
        404,
        "Es ist ein Problem aufgetreten ",
    )
}

pub fn v1_absence_not_found() -> Response {
    v1_error(
        StatusCode::NOT_FOUND,
        404,
        "The absence period was not found.",
    )
}

pub fn v1_absence_id_invalid() -> Response {
    v1_error(
        StatusCode::BAD_REQUEST,
        400,
        "The absence period id is invalid.",
    )
}

pub fn v1_insert_failed() -> Response {
    v1_error(
        StatusCode::BAD_REQUEST,
        400,
        "Error when trying to insert absence period",
    )
}

pub fn v1_too_many_requests() -> Response {
    v1_error(StatusCode::TOO_MANY_REQUESTS, 429, "Too Many Requests")
}

pub fn v1_server_error() -> Response {
    v1_error(StatusCode::INTERNAL_SERVER_ERROR, 0, "Something went wrong")
}

/// `{"success":true,"data":{"message":"The absence period was deleted."}}`
pub fn v1_deleted() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"success": true, "data": {"message": "The absence period was deleted."}}),
    )
}

/// v2 error body (REFERENCE.md §5.2), `application/problem+json`.
pub fn v2_error(status: StatusCode, title: &str, detail: &str, type_suffix: &str) -> Response {
    problem_response(
        status,
        &json!({
            "personio_trace_id": uuid::Uuid::new_v4().to_string(),
            "timestamp": clock::v2_timestamp(chrono::Utc::now()),
            "errors": [{
                "title": title,
                "detail": detail,
                "type": format!("https://developer.personio.de/reference/errors#{type_suffix}"),
                "_meta": {},
            }],
        }),
    )
}

/// Personio renders whole decimals as integers (`5`, `0`) and others as floats (`0.5`, `7042.42`).
pub fn number(x: f64) -> Number {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 {
        Number::from(x as i64)
    } else {
        Number::from_f64((x * 100.0).round() / 100.0).unwrap_or_else(|| Number::from(0))
    }
}

/// `metadata` of v1 list responses.
#[derive(Debug, Serialize)]
pub struct Metadata {
    pub total_elements: usize,
    pub current_page: i64,
    pub total_pages: i64,
}

/// `{"success":true,"metadata":{…},"offset":o,"limit":l,"data":[…]}`
#[derive(Debug, Serialize)]
pub struct ListPage<T: Serialize> {
    pub success: bool,
    pub metadata: Metadata,
    pub offset: i64,
    pub limit: i64,
    pub data: Vec<T>,
}

/// `ceil(total / limit)` for page counts.
pub fn pages(total: usize, limit: i64) -> i64 {
    let limit = limit.max(1) as usize;
    total.div_ceil(limit) as i64
}

/// `{"success": true, "data": …}`
#[derive(Debug, Serialize)]
pub struct Data<T: Serialize> {
    pub success: bool,
    pub data: T,
}

pub fn ok_data<T: Serialize>(data: T) -> Response {
    json_response(
        StatusCode::OK,
        &Data {
            success: true,
            data,
        },
    )
}

/// `{"label": ..., "value": ..., "type": ..., "universal_id": ...}` (+ `currency` on salaries).
#[derive(Debug, Serialize)]
pub struct Envelope<'a, V: Serialize> {
    pub label: &'a str,
    pub value: V,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub universal_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<&'a str>,
}

impl<'a, V: Serialize> Envelope<'a, V> {
    pub fn new(label: &'a str, value: V, kind: &'a str, universal_id: Option<&'a str>) -> Self {
        Envelope {
            label,
            value,
            kind,
            universal_id,
            currency: None,
        }
    }
}

/// `{"type":"Employee","attributes":{"id":{…},"first_name":{…},"last_name":{…},"email":{…}}}` — the
/// wrapped employee inside time-offs, absence periods and `supervisor` (REFERENCE.md §11.5).
#[derive(Debug, Serialize)]
pub struct ShortEmployee<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub attributes: ShortEmployeeAttributes<'a>,
}

#[derive(Debug, Serialize)]
pub struct ShortEmployeeAttributes<'a> {
    pub id: Envelope<'static, u64>,
    pub first_name: Envelope<'static, &'a str>,
    pub last_name: Envelope<'static, &'a str>,
    pub email: Envelope<'static, &'a str>,
}

pub fn short_employee(e: &Employee) -> ShortEmployee<'_> {
    ShortEmployee {
        kind: "Employee",
        attributes: ShortEmployeeAttributes {
            id: Envelope::new("ID", e.id, "integer", Some("id")),
            first_name: Envelope::new("First name", &e.first_name, "standard", Some("first_name")),
            last_name: Envelope::new("Last name", &e.last_name, "standard", Some("last_name")),
            email: Envelope::new("Email", &e.email, "standard", Some("email")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_like_personio() {
        assert_eq!(serde_json::to_string(&number(5.0)).unwrap(), "5");
        assert_eq!(serde_json::to_string(&number(0.5)).unwrap(), "0.5");
        assert_eq!(serde_json::to_string(&number(7042.42)).unwrap(), "7042.42");
        assert_eq!(serde_json::to_string(&number(f64::NAN)).unwrap(), "0");
    }
}
