//! The contract tests' spec machinery, shared by `sandbox_contract.rs` (v1) and
//! `sandbox_contract_v2.rs`: load Personio's OpenAPI files from `tests/fixtures/personio/`, inline
//! `$ref`s, turn OpenAPI 3.0 `nullable` into JSON Schema, and validate instances (draft 4, formats on).
//! Included with `#[path]` by those two files only, so other sandbox tests do not compile it.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{Map, Value, json};

fn spec_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/personio"
    ));
    if !dir.join("personio-personnel-data-api-oa3.yaml").is_file() {
        panic!(
            "CONTRACT TEST CANNOT RUN: the official Personio specs are missing from {} \
             (expected personio-personnel-data-api-oa3.yaml, personio-auth-api.yaml and \
             credentials-service-api-v2.json). They are part of the repository (see SOURCE.md there).",
            dir.display()
        );
    }
    dir
}

pub struct Spec {
    pub doc: Value,
}

impl Spec {
    pub fn yaml(file: &str) -> Spec {
        let path = spec_dir().join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Spec {
            doc: serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display())),
        }
    }

    pub fn json(file: &str) -> Spec {
        let path = spec_dir().join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Spec {
            doc: serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
        }
    }

    /// Inlines every `$ref` (`#/...` pointers into this document).
    pub fn resolve(&self, v: &Value) -> Value {
        self.resolve_depth(v, 0)
    }

    fn resolve_depth(&self, v: &Value, depth: usize) -> Value {
        assert!(depth < 64, "$ref cycle");
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let target = r
                        .strip_prefix('#')
                        .and_then(|p| self.doc.pointer(p))
                        .unwrap_or_else(|| panic!("unresolvable $ref {r}"));
                    return self.resolve_depth(target, depth + 1);
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), self.resolve_depth(v, depth + 1)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.resolve_depth(i, depth + 1))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    pub fn component(&self, name: &str) -> Value {
        let schema = self
            .doc
            .pointer(&format!("/components/schemas/{name}"))
            .unwrap_or_else(|| panic!("no component {name}"));
        self.resolve(schema)
    }

    /// The response schema of an operation (first content type), `$ref`s inlined.
    pub fn response(&self, path: &str, method: &str, status: &str) -> Value {
        let op = self
            .doc
            .get("paths")
            .and_then(|p| p.get(path))
            .and_then(|p| p.get(method))
            .unwrap_or_else(|| panic!("no operation {method} {path}"));
        let response = self.resolve(
            op.pointer(&format!("/responses/{status}"))
                .unwrap_or_else(|| panic!("no {status} response for {method} {path}")),
        );
        response["content"]
            .as_object()
            .and_then(|c| c.values().next())
            .and_then(|media| media.get("schema"))
            .cloned()
            .unwrap_or_else(|| panic!("no schema for {status} of {method} {path}"))
    }
}

/// OpenAPI 3.0 → JSON Schema: `nullable: true` adds `null` to `type` (and to `enum`).
pub fn openapi_to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "nullable")
                .map(|(k, v)| (k.clone(), openapi_to_json_schema(v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(openapi_to_json_schema).collect()),
        other => other.clone(),
    }
}

/// Every schema violation of `instance`, as readable lines.
pub fn violations(schema: &Value, instance: &Value, what: &str) -> Vec<String> {
    let schema = openapi_to_json_schema(schema);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{what}: schema does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect()
}

#[track_caller]
pub fn validate(schema: &Value, instance: &Value, what: &str) {
    let errors = violations(schema, instance, what);
    assert!(
        errors.is_empty(),
        "{what}: {} schema violation(s):\n{}\ninstance: {}",
        errors.len(),
        errors.join("\n"),
        serde_json::to_string(instance)
            .unwrap()
            .chars()
            .take(2000)
            .collect::<String>()
    );
}
