//! Tool arguments checked against the tool's own input schema before the tool runs, so that a
//! mistyped argument is a VALIDATION_FAILED tool result naming the field and the accepted form —
//! something a model can fix — rather than a bare deserialisation message or a protocol error.
//!
//! Ids round-trip: results carry numeric ids, and an argument that takes an id (a string in the
//! schema: it also takes names and emails) accepts the same value as a JSON number. Numbers and
//! booleans sent as strings are accepted too, as models often do. Every string and list is
//! bounded (`maxLength`/`maxItems` of the schema, else [`MAX_STRING`]/[`MAX_ITEMS`]).
//!
//! The schemas are ours and flat (scalars and lists of strings), so this is a small check of
//! exactly what they say, plus the coercions no schema validator does.

use rmcp::model::{CallToolResponse, JsonObject, Tool};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Longest string argument unless the schema says otherwise.
pub const MAX_STRING: usize = 200;
/// Longest list argument unless the schema says otherwise.
pub const MAX_ITEMS: usize = 50;

/// A client-supplied name made safe to echo: printable, at most 64 characters.
pub fn printable(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

fn describe(prop: &Value) -> String {
    prop.get("description")
        .and_then(Value::as_str)
        .map(|d| format!(" Accepted: {d}"))
        .unwrap_or_default()
}

fn bad(name: &str, what: &str, prop: &Value) -> Error {
    Error::validation(format!("argument `{name}` {what}.{}", describe(prop)))
        .with_details(serde_json::json!({"field": name}))
}

fn range_text(prop: &Value) -> String {
    match (
        prop.get("minimum").and_then(Value::as_i64),
        prop.get("maximum").and_then(Value::as_i64),
    ) {
        (Some(lo), Some(hi)) => format!(" from {lo} to {hi}"),
        (Some(lo), None) => format!(" of at least {lo}"),
        (None, Some(hi)) => format!(" of at most {hi}"),
        (None, None) => String::new(),
    }
}

/// rmcp's own argument-decoding failure ("failed to deserialize parameters: …"), should one
/// get past [`prepare`], as a VALIDATION_FAILED result like every other argument error.
pub fn rephrase_decoding_error(response: CallToolResponse) -> CallToolResponse {
    let CallToolResponse::Complete(result) = &response else {
        return response;
    };
    // Only an error can be rmcp's: a successful result (possibly large) is not looked at.
    if result.is_error != Some(true) {
        return response;
    }
    let text = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.as_str())
        .unwrap_or_default();
    match text.strip_prefix("failed to deserialize parameters: ") {
        Some(why) => {
            let e = Error::validation(format!(
                "the arguments do not match the tool's input schema ({})",
                printable(why)
            ));
            crate::mcp::errors::error_result(&e).into()
        }
        _ => response,
    }
}

/// Checks and normalises one value against its property schema.
fn check(name: &str, value: Value, prop: &Value) -> Result<Value> {
    let ty = prop.get("type").and_then(Value::as_str).unwrap_or("");
    let value = match (ty, value) {
        ("string", Value::Number(n)) => Value::String(n.to_string()),
        ("string", v @ Value::String(_)) => v,
        ("string", _) => return Err(bad(name, "must be a string", prop)),
        ("integer", Value::String(s)) if s.trim().parse::<i64>().is_ok() => {
            Value::from(s.trim().parse::<i64>().unwrap_or_default())
        }
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n),
        ("integer", _) => {
            return Err(bad(
                name,
                &format!("must be an integer{}", range_text(prop)),
                prop,
            ));
        }
        ("number", Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
            serde_json::json!(s.trim().parse::<f64>().unwrap_or_default())
        }
        ("number", v @ Value::Number(_)) => v,
        ("number", _) => return Err(bad(name, "must be a number", prop)),
        ("boolean", Value::String(s)) if matches!(s.trim(), "true" | "false") => {
            Value::Bool(s.trim() == "true")
        }
        ("boolean", v @ Value::Bool(_)) => v,
        ("boolean", _) => return Err(bad(name, "must be true or false", prop)),
        ("array", Value::Array(items)) => {
            let max = prop
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(MAX_ITEMS, |m| m as usize);
            if items.len() > max {
                return Err(bad(name, &format!("may hold at most {max} values"), prop));
            }
            let item_schema = prop.get("items").cloned().unwrap_or(Value::Null);
            let items = items
                .into_iter()
                .map(|v| check(name, v, &item_schema))
                .collect::<Result<Vec<_>>>()?;
            Value::Array(items)
        }
        // A single value where a list is expected: a list of one.
        ("array", v @ (Value::String(_) | Value::Number(_))) => {
            let item_schema = prop.get("items").cloned().unwrap_or(Value::Null);
            Value::Array(vec![check(name, v, &item_schema)?])
        }
        ("array", _) => return Err(bad(name, "must be a list", prop)),
        (_, v) => v,
    };
    if let Value::String(s) = &value {
        let max = prop
            .get("maxLength")
            .and_then(Value::as_u64)
            .map_or(MAX_STRING, |m| m as usize);
        if s.chars().count() > max {
            return Err(bad(name, &format!("is longer than {max} characters"), prop));
        }
    }
    if let (Some(Value::Array(allowed)), Value::String(s)) = (prop.get("enum"), &value)
        && !allowed
            .iter()
            .any(|a| a.as_str().is_some_and(|a| a.eq_ignore_ascii_case(s.trim())))
    {
        let list: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        return Err(bad(
            name,
            &format!("must be one of {}", list.join(", ")),
            prop,
        ));
    }
    if let Value::Number(n) = &value
        && let Some(i) = n.as_i64()
    {
        let lo = prop.get("minimum").and_then(Value::as_i64);
        let hi = prop.get("maximum").and_then(Value::as_i64);
        if lo.is_some_and(|lo| i < lo) || hi.is_some_and(|hi| i > hi) {
            return Err(bad(
                name,
                &format!("must be an integer{}", range_text(prop)),
                prop,
            ));
        }
    }
    Ok(value)
}

/// Checks `arguments` against `tool`'s input schema and normalises them in place.
pub fn prepare(tool: &Tool, arguments: &mut Option<JsonObject>) -> Result<()> {
    let schema = &tool.input_schema;
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let given = arguments.take().unwrap_or_default();
    let mut out = JsonObject::new();
    for (name, value) in given {
        if value.is_null() {
            continue;
        }
        let Some(prop) = props.get(&name) else {
            let mut accepted: Vec<&str> = props.keys().map(String::as_str).collect();
            accepted.sort_unstable();
            return Err(Error::validation(format!(
                "unknown argument `{}`; this tool accepts: {}",
                printable(&name),
                accepted.join(", ")
            ))
            .with_details(serde_json::json!({"field": printable(&name)})));
        };
        let value = check(&name, value, prop)?;
        out.insert(name, value);
    }
    if let Some(Value::Array(required)) = schema.get("required") {
        for r in required.iter().filter_map(Value::as_str) {
            if !out.contains_key(r) {
                let prop = props.get(r).cloned().unwrap_or(Value::Null);
                return Err(bad(r, "is required", &prop));
            }
        }
    }
    *arguments = Some(out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn tool() -> Tool {
        let schema = json!({
            "type": "object",
            "properties": {
                "employee": {"type": "string", "description": "Employee id, email or name."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50},
                "dry_run": {"type": "boolean"},
                "types": {"type": "array", "items": {"type": "string"}},
                "status": {"type": "string", "enum": ["active", "inactive"]}
            },
            "required": ["employee"]
        });
        Tool::new("t", "d", Arc::new(schema.as_object().cloned().unwrap()))
    }

    fn run(v: Value) -> Result<JsonObject> {
        let mut a = v.as_object().cloned();
        prepare(&tool(), &mut a).map(|()| a.unwrap())
    }

    #[test]
    fn ids_round_trip_as_numbers_and_strings() {
        assert_eq!(
            run(json!({"employee": 1000685})).unwrap()["employee"],
            json!("1000685")
        );
        assert_eq!(
            run(json!({"employee": "1000685"})).unwrap()["employee"],
            json!("1000685")
        );
        assert_eq!(
            run(json!({"employee": "x", "types": [155627, "Sick leave"]})).unwrap()["types"],
            json!(["155627", "Sick leave"])
        );
    }

    #[test]
    fn mistyped_and_unknown_arguments_name_the_field() {
        let e = run(json!({"employee": "x", "limit": "ten"})).unwrap_err();
        assert!(
            e.message.contains("`limit`") && e.message.contains("from 1 to 50"),
            "{}",
            e.message
        );
        let e = run(json!({"employee": "x", "limit": 51})).unwrap_err();
        assert!(e.message.contains("`limit`"));
        let e = run(json!({"employee": "x", "bogus": 1})).unwrap_err();
        assert!(
            e.message.contains("unknown argument `bogus`"),
            "{}",
            e.message
        );
        let e = run(json!({})).unwrap_err();
        assert!(e.message.contains("`employee` is required"));
        let e = run(json!({"employee": "x", "status": "gone"})).unwrap_err();
        assert!(e.message.contains("active, inactive"));
        let e = run(json!({"employee": "x".repeat(201)})).unwrap_err();
        assert!(e.message.contains("longer than 200"));
        assert_eq!(
            run(json!({"employee": "x", "limit": "7", "dry_run": "true"})).unwrap()["limit"],
            json!(7)
        );
        assert!(
            run(json!({"employee": "x", "dry_run": null}))
                .unwrap()
                .get("dry_run")
                .is_none()
        );
    }
}
