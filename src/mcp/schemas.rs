//! Tool schemas every client accepts. schemars writes JSON Schema 2020-12 with Rust-flavoured
//! formats (`uint32`, `double`), `type` arrays for optional values and `$ref`s into `$defs`;
//! strict validators (the MCP Inspector's `--strict`), OpenAI- and Gemini-style function calling
//! reject or warn about some of these. So each schema is rewritten once, at start-up:
//! - non-standard `format`s are dropped (the type and the bounds say it all);
//! - `$ref`s are inlined (our types have no cycles) and `$defs` removed;
//! - in inputs, an optional value is simply not required: `["string", "null"]` becomes `"string"`;
//! - in outputs, a value that may be null is `anyOf: [{"type": "null"}, {…}]` (not a `type` array,
//!   which Ajv's strict mode flags); null first, because such fields are null in most answers and
//!   a validator that tries the branches in order (Python's `jsonschema`) then stops at the first;
//! - output schemas keep their top level (each field and its type) but not their prose nor the
//!   inner structure of nested objects and lists: the model reads results, not schemas, and the
//!   descriptions of inputs are what it needs to fill arguments (context economy: `tools/list`
//!   stays near 12 KB for every tool together). Clients still validate results against them.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool};
use serde_json::{Map, Value};

/// Formats JSON Schema defines (kept); anything else (`uint32`, `int64`, `double`...) is dropped.
const STANDARD_FORMATS: &[&str] = &[
    "date-time", "date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname",
    "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template",
    "json-pointer", "relative-json-pointer", "regex",
];

/// Rewrites a tool's input and output schemas in place.
pub fn make_portable(tool: &mut Tool) {
    // The title is the tool's own; a copy in the annotations only costs context.
    if let Some(a) = tool.annotations.as_mut() {
        a.title = None;
    }
    tool.input_schema = Arc::new(rewrite(&tool.input_schema, false));
    if let Some(out) = &tool.output_schema {
        tool.output_schema = Some(Arc::new(rewrite(out, true)));
    }
}

/// Below the top-level fields of an output, only the kind of value is kept.
fn shallow(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let mut out = Map::new();
    if let Some(t) = map.get("type") {
        out.insert("type".into(), t.clone());
    }
    if let Some(Value::Array(any)) = map.get("anyOf") {
        out.insert(
            "anyOf".into(),
            Value::Array(any.iter().cloned().map(shallow).collect()),
        );
    }
    if let Some(e) = map.get("enum") {
        out.insert("enum".into(), e.clone());
    }
    Value::Object(out)
}

fn rewrite(schema: &JsonObject, output: bool) -> JsonObject {
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut root = Value::Object(schema.clone());
    if let Value::Object(map) = &mut root {
        map.remove("$defs");
        map.remove("$schema");
        map.remove("title");
    }
    let root = walk(root, &defs, output, 0, true);
    let root = match (output, root) {
        (true, Value::Object(mut map)) => {
            map.remove("description");
            if let Some(Value::Object(props)) = map.remove("properties") {
                let props = props.into_iter().map(|(k, v)| (k, shallow(v))).collect();
                map.insert("properties".into(), Value::Object(props));
            }
            Value::Object(map)
        }
        (_, other) => other,
    };
    match root {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

/// Deep enough for our types; a deeper (cyclic) `$ref` is left as an open object.
const MAX_DEPTH: usize = 16;

fn walk(value: Value, defs: &Map<String, Value>, output: bool, depth: usize, top: bool) -> Value {
    let Value::Object(mut map) = value else {
        return value;
    };
    if let Some(Value::String(r)) = map.remove("$ref") {
        let target = r
            .strip_prefix("#/$defs/")
            .and_then(|name| defs.get(name))
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        if depth >= MAX_DEPTH {
            return Value::Object(Map::new());
        }
        let mut inlined = walk(target, defs, output, depth + 1, false);
        // Keep a description written next to the $ref.
        if let (Value::Object(m), Some(d)) = (&mut inlined, map.remove("description")) {
            m.insert("description".into(), d);
        }
        return clean_prose(inlined, output, top);
    }
    if let Some(Value::String(f)) = map.get("format")
        && !STANDARD_FORMATS.contains(&f.as_str())
    {
        map.remove("format");
    }
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let non_null: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        let nullable = non_null.len() == 1
            && map
                .get("type")
                .is_some_and(|t| t.as_array().is_some_and(|a| a.len() == 2));
        if let [only] = non_null.as_slice() {
            map.insert("type".into(), only.clone());
            if output && nullable {
                let desc = map.remove("description");
                let inner = walk(Value::Object(map), defs, output, depth + 1, false);
                let mut wrapper = Map::new();
                if let Some(d) = desc {
                    wrapper.insert("description".into(), d);
                }
                wrapper.insert(
                    "anyOf".into(),
                    Value::Array(vec![serde_json::json!({"type": "null"}), inner]),
                );
                return clean_prose(Value::Object(wrapper), output, top);
            }
        }
    }
    // An optional struct in inputs: anyOf [{…}, {"type": "null"}] → the struct alone.
    if !output
        && let Some(Value::Array(any)) = map.get("anyOf").cloned()
        && any.len() == 2
        && any
            .iter()
            .any(|v| v.get("type") == Some(&Value::String("null".into())))
    {
        map.remove("anyOf");
        if let Some(other) = any
            .into_iter()
            .find(|v| v.get("type") != Some(&Value::String("null".into())))
        {
            let inner = walk(other, defs, output, depth + 1, false);
            if let Value::Object(inner) = inner {
                for (k, v) in inner {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        let Some(v) = map.remove(&k) else { continue };
        let v = match k.as_str() {
            "properties" | "patternProperties" => match v {
                Value::Object(props) => Value::Object(
                    props
                        .into_iter()
                        .map(|(name, p)| (name, walk(p, defs, output, depth + 1, false)))
                        .collect(),
                ),
                other => other,
            },
            "items" | "additionalProperties" | "not" => walk(v, defs, output, depth + 1, false),
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => match v {
                Value::Array(list) => Value::Array(
                    list.into_iter()
                        .map(|s| walk(s, defs, output, depth + 1, false))
                        .collect(),
                ),
                other => other,
            },
            _ => v,
        };
        map.insert(k, v);
    }
    clean_prose(Value::Object(map), output, top)
}

/// Output schemas lose their descriptions and titles below the top (see the module docs).
fn clean_prose(value: Value, output: bool, top: bool) -> Value {
    match value {
        Value::Object(mut map) if output && !top => {
            map.remove("description");
            map.remove("title");
            Value::Object(map)
        }
        Value::Object(mut map) => {
            map.remove("title");
            Value::Object(map)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn inputs_lose_null_types_formats_and_refs() {
        let s = obj(json!({
            "type": "object",
            "properties": {
                "limit": {"type": ["integer", "null"], "format": "uint32", "minimum": 0},
                "when": {"type": "string", "format": "date"},
                "who": {"$ref": "#/$defs/Who"}
            },
            "$defs": {"Who": {"type": "object", "title": "Who", "properties": {"id": {"type": "integer", "format": "int64"}}}}
        }));
        let out = Value::Object(rewrite(&s, false));
        assert_eq!(
            out["properties"]["limit"],
            json!({"type": "integer", "minimum": 0})
        );
        assert_eq!(out["properties"]["when"]["format"], json!("date"));
        assert_eq!(
            out["properties"]["who"]["properties"]["id"],
            json!({"type": "integer"})
        );
        assert!(out.get("$defs").is_none());
        assert!(!out.to_string().contains("\"null\""));
    }

    #[test]
    fn outputs_admit_null_without_type_arrays() {
        let s = obj(json!({
            "type": "object",
            "properties": {"email": {"type": ["string", "null"], "description": "work email"}}
        }));
        let out = Value::Object(rewrite(&s, true));
        assert_eq!(
            out["properties"]["email"],
            json!({"anyOf": [{"type": "null"}, {"type": "string"}]})
        );
    }
}
