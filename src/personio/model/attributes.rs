//! `GET /v1/company/employees/attributes`: what this credential may read (REFERENCE.md §7).

use serde::Serialize;
use serde_json::Value;

use super::lenient;

/// One readable attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeInfo {
    pub key: String,
    pub label: String,
    pub kind: Option<String>,
    pub universal_id: Option<String>,
}

/// Parses the `data` array; items without a key are skipped rather than failing the whole list.
pub fn parse_attributes(data: &Value) -> Vec<AttributeInfo> {
    data.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let a = super::envelope::attributes(item);
                    let key = a.get("key").and_then(lenient::text)?;
                    Some(AttributeInfo {
                        label: a
                            .get("label")
                            .and_then(lenient::text)
                            .unwrap_or_else(|| key.clone()),
                        kind: a.get("type").and_then(lenient::text),
                        universal_id: a.get("universal_id").and_then(lenient::text),
                        key,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
