//! Every HTTP error answer carries a JSON body, and a message that is not JSON-RPC gets a JSON-RPC
//! error.
//!
//! rmcp answers a body it cannot read as one JSON-RPC message with `415 fail to deserialize…`
//! text, its other refusals (406, 415, 404 for an ended session) are plain text, and axum's own
//! 404/405 have no body at all. A JSON-RPC client expects a JSON-RPC error for a message it got
//! wrong (`-32700` parse error, `-32600` invalid request), and everything else (a proxy, an
//! operator's `curl`) gets the same small `{"error": code, "message": text}` as our own refusals.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::ClientJsonRpcMessage;
use serde_json::{Value, json};

/// Plain-text error bodies are read up to this size to become the JSON message.
const MAX_TEXT: usize = 4096;
/// JSON-RPC: the body is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the JSON is not a valid request object (or is a batch).
const INVALID_REQUEST: i64 = -32600;

/// A message that cannot be processed at all; answered as a JSON-RPC error with HTTP 400.
#[derive(Debug)]
pub(crate) struct JsonRpcRejection {
    id: Value,
    code: i64,
    message: String,
}

impl IntoResponse for JsonRpcRejection {
    fn into_response(self) -> Response {
        let body = json!({"jsonrpc": "2.0", "id": self.id,
                          "error": {"code": self.code, "message": self.message}});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    }
}

fn jsonrpc_error(id: Value, code: i64, message: String) -> JsonRpcRejection {
    JsonRpcRejection { id, code, message }
}

/// Reads `bytes` as one JSON-RPC message, or answers why not: `-32700` when it is not JSON,
/// `-32600` for a batch (MCP removed batches in 2025-06-18; one message per POST) or for JSON that
/// is no JSON-RPC message. The error's `id` is the message's own when it has a usable one.
pub(crate) fn parse_message(bytes: &[u8]) -> Result<ClientJsonRpcMessage, JsonRpcRejection> {
    let error = match serde_json::from_slice::<ClientJsonRpcMessage>(bytes) {
        Ok(message) => return Ok(message),
        Err(e) => e,
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Err(jsonrpc_error(
                Value::Null,
                PARSE_ERROR,
                format!("Parse error: the body is not valid JSON ({e})."),
            ));
        }
    };
    if value.is_array() {
        return Err(jsonrpc_error(
            Value::Null,
            INVALID_REQUEST,
            "Invalid Request: JSON-RPC batches are not supported; send one message per request."
                .into(),
        ));
    }
    let id = value
        .get("id")
        .filter(|id| id.is_string() || id.is_i64() || id.is_u64())
        .cloned()
        .unwrap_or(Value::Null);
    Err(jsonrpc_error(
        id,
        INVALID_REQUEST,
        format!(
            "Invalid Request: expected one JSON-RPC 2.0 request, notification or response \
             ({error})."
        ),
    ))
}

/// The stable error code for an HTTP status, in the `{"error": …}` body.
fn code_for(status: StatusCode, text: &str) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 if text.contains("Session") || text.contains("session") => "session_not_found",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        500 => "internal_error",
        503 => "unavailable",
        _ if status.is_server_error() => "server_error",
        _ => "client_error",
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// What a request for a session this process does not hold is told. Behind a load balancer the
/// likely cause is routing (sessions live in the replica that opened them), so it says so.
pub(crate) const SESSION_NOT_FOUND: &str = "No such session on this server: it ended, the server \
restarted, or a load balancer sent it to another replica (a session lives in the replica that \
opened it: route by the Mcp-Session-Id header). Initialize a new one, or use 2026-07-28 stateless \
requests, which any replica serves.";

/// Gives every 4xx/5xx response without a JSON body one, keeping its status and headers
/// (`Allow`, `WWW-Authenticate`, `Retry-After`…); the plain text, if any, becomes the message.
pub(crate) async fn json_error_bodies(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = code_for(status, &text);
    let message = if code == "session_not_found" {
        SESSION_NOT_FOUND.to_string()
    } else if text.is_empty() {
        format!("{}.", status.canonical_reason().unwrap_or("Error"))
    } else {
        text
    };
    let body = json!({"error": code, "message": message}).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(r: Response) -> Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn not_json_is_a_parse_error_and_a_batch_an_invalid_request() {
        for (input, code, id) in [
            (
                &br#"{"jsonrpc":"2.0","id":1,"method":"initia"#[..],
                PARSE_ERROR,
                Value::Null,
            ),
            (b"\xff\xfe", PARSE_ERROR, Value::Null),
            (b"[1,2,3]", INVALID_REQUEST, Value::Null),
            (
                br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
                INVALID_REQUEST,
                Value::Null,
            ),
            (br#"{"id":7,"hello":"world"}"#, INVALID_REQUEST, json!(7)),
            (b"42", INVALID_REQUEST, Value::Null),
        ] {
            let r = parse_message(input).unwrap_err().into_response();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            let b = body(r).await;
            assert_eq!(b["jsonrpc"], "2.0");
            assert_eq!(b["error"]["code"], code, "{b}");
            assert_eq!(b["id"], id, "{b}");
        }
        assert!(parse_message(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).is_ok());
    }

    #[test]
    fn codes_follow_the_status() {
        assert_eq!(
            code_for(StatusCode::NOT_FOUND, "Not Found: Session not found"),
            "session_not_found"
        );
        assert_eq!(code_for(StatusCode::NOT_FOUND, ""), "not_found");
        assert_eq!(
            code_for(StatusCode::UNSUPPORTED_MEDIA_TYPE, "x"),
            "unsupported_media_type"
        );
        assert_eq!(code_for(StatusCode::BAD_GATEWAY, ""), "server_error");
    }
}
