//! Which fields a tool result carried, for the audit log — read from the result's shape, never
//! its values. Whose records it touched comes typed from the result itself
//! ([`crate::mcp::dispatch::ToolOutput::targets`]).

use std::collections::BTreeSet;

use serde_json::Value;

/// Field names of the result, as dotted paths two levels deep (`employees.email`), plus custom
/// attribute labels' count only (labels could be descriptive; they are not listed).
pub fn field_names(v: &Value) -> Vec<String> {
    let mut names = BTreeSet::new();
    if let Some(obj) = v.as_object() {
        for (k, child) in obj {
            if k == "custom_attributes" {
                if let Some(m) = child.as_object() {
                    names.insert(format!("custom_attributes[{}]", m.len()));
                }
                continue;
            }
            names.insert(k.clone());
            let first = match child {
                Value::Array(items) => items.first(),
                other => Some(other),
            };
            if let Some(Value::Object(inner)) = first {
                for k2 in inner.keys() {
                    names.insert(format!("{k}.{k2}"));
                }
            }
        }
    }
    names.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_from_each_result_shape() {
        let search = json!({"employees": [{"id": 1, "name": "A", "email": "a@x"}, {"id": 2, "name": "B"}], "total": 2});
        assert!(field_names(&search).contains(&"employees.email".to_string()));
        let absences = json!({"absences": [{"employee": {"id": 3, "name": "C"}, "comment": "x"}]});
        assert!(field_names(&absences).contains(&"absences.comment".to_string()));
        let one = json!({"id": 4, "name": "D", "custom_attributes": {"Languages": {}}});
        assert!(field_names(&one).contains(&"custom_attributes[1]".to_string()));
        assert!(!field_names(&one).iter().any(|f| f.contains("Languages")));
    }
}
