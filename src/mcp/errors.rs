//! Turning a crate [`Error`] into an MCP tool result with `isError: true`.
//!
//! Many clients show the model only a result's text, and the TypeScript SDK (Claude Desktop,
//! VS Code, Cursor, the Inspector) validates `structuredContent` against the tool's output schema
//! even on errors — an `{"error": …}` object would make the client throw and the model would see
//! nothing. So an error result carries no structured content, and its text carries everything
//! the model needs: the stable code, what happened, what to do next, and the data to act on
//! (candidates of an ambiguous name, the valid type names, the field of a bad argument).
//! Messages are built from ids, field names, statuses and what the caller may see anyway (see
//! `error.rs`), so they leak neither personal data beyond that nor secrets.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

use crate::error::{Error, ErrorCode};

/// How many candidates an AMBIGUOUS text lists.
const SHOWN_CANDIDATES: usize = 10;

fn text_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn candidate_line(c: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(n) = text_of(c.get("name")) {
        parts.push(n.to_string());
    }
    for key in ["department", "email", "status", "unit"] {
        if let Some(v) = text_of(c.get(key)) {
            parts.push(v.to_string());
        }
    }
    let id = c.get("id").map(|v| v.to_string()).unwrap_or_default();
    format!("- id {id}: {}", parts.join(", "))
}

/// The data of an error, as lines of text.
fn details_text(e: &Error) -> Vec<String> {
    let Some(d) = &e.details else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(list) = d.get("candidates").and_then(Value::as_array) {
        let total = d
            .get("total_candidates")
            .and_then(Value::as_u64)
            .map_or(list.len(), |t| t as usize);
        let shown = list.len().min(SHOWN_CANDIDATES);
        lines.push(if total > shown {
            format!("Candidates (first {shown} of {total}):")
        } else {
            "Candidates:".to_string()
        });
        lines.extend(list.iter().take(shown).map(candidate_line));
        if total > shown {
            lines.push(format!(
                "… and {} more: narrow by department (search_employee with a department filter), or use an id or email.",
                total - shown
            ));
        }
    }
    if let Some(list) = d.get("available").and_then(Value::as_array) {
        let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        lines.push(format!("Valid values: {}.", names.join(", ")));
    }
    lines
}

/// The full text of an error for the model.
pub fn error_text(e: &Error) -> String {
    let mut text = format!("{}: {}", e.code, e.message.trim_end_matches('.'));
    text.push('.');
    let details = details_text(e);
    if !details.is_empty() {
        text.push('\n');
        text.push_str(&details.join("\n"));
    }
    if let Some(h) = &e.hint {
        text.push_str("\nNext: ");
        text.push_str(h);
    } else if e.code == ErrorCode::UpstreamUnavailable || e.code == ErrorCode::RateLimited {
        text.push_str("\nNext: try again in a minute.");
    }
    text
}

pub fn error_result(e: &Error) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(error_text(e))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ambiguous_text_lists_candidates_and_how_to_narrow() {
        let candidates: Vec<Value> = (0..10)
            .map(|i| json!({"id": 1000 + i, "name": format!("Anna Müller {i}"), "department": "Sales", "email": format!("a{i}@x.de"), "status": "active"}))
            .collect();
        let e = Error::new(ErrorCode::Ambiguous, "74 employees match that name")
            .with_hint("Call the tool again with the chosen person's id or email.")
            .with_details(json!({"candidates": candidates, "total_candidates": 74}));
        let r = error_result(&e);
        assert_eq!(r.is_error, Some(true));
        assert!(r.structured_content.is_none());
        let t = error_text(&e);
        assert!(t.starts_with("AMBIGUOUS: 74 employees"), "{t}");
        assert!(
            t.contains("- id 1000: Anna Müller 0, Sales, a0@x.de, active"),
            "{t}"
        );
        assert!(
            t.contains("first 10 of 74") && t.contains("and 64 more"),
            "{t}"
        );
        assert!(t.contains("Next: Call the tool again"));
    }

    #[test]
    fn unknown_type_lists_valid_names() {
        let e = Error::not_found("no time-off type matches that name")
            .with_details(json!({"available": ["Paid vacation", "Sick leave"]}));
        let t = error_text(&e);
        assert!(t.starts_with("NOT_FOUND: "));
        assert!(t.contains("Valid values: Paid vacation, Sick leave."));
    }
}
