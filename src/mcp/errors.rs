//! Turning a crate [`Error`] into an MCP tool result with `isError: true`.
//!
//! The assistant reads these, so each carries the stable code, what happened and what to do
//! next, both as structured content and as one line of text. Messages are built from ids, field
//! names and statuses only (see `error.rs`), so they leak neither personal data nor secrets.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::json;

use crate::error::Error;

pub fn error_result(e: &Error) -> CallToolResult {
    let mut text = format!("{}: {}", e.code, e.message);
    if let Some(h) = &e.hint {
        text.push_str(". ");
        text.push_str(h);
    }
    let body = json!({
        "error": {
            "code": e.code,
            "message": e.message,
            "hint": e.hint,
            "details": e.details,
        }
    });
    let mut result = CallToolResult::structured_error(body);
    result.content = vec![ContentBlock::text(text)];
    result
}
