//! What the audit log records of a tool result: whose records it touched and which fields it
//! carried — read from the result's shape, never its values.

use std::collections::BTreeSet;

use serde_json::Value;

/// Employee ids a result concerns: `employees[].id`, `employee.id`, `absences[].employee.id`, or a
/// top-level `id` next to a `name` (get_employee).
pub fn target_ids(v: &Value) -> Vec<i64> {
    let mut ids = BTreeSet::new();
    if let Some(list) = v.get("employees").and_then(Value::as_array) {
        ids.extend(
            list.iter()
                .filter_map(|e| e.get("id").and_then(Value::as_i64)),
        );
    }
    if let Some(id) = v
        .get("employee")
        .and_then(|e| e.get("id"))
        .and_then(Value::as_i64)
    {
        ids.insert(id);
    }
    if let Some(list) = v.get("absences").and_then(Value::as_array) {
        ids.extend(list.iter().filter_map(|a| {
            a.get("employee")
                .and_then(|e| e.get("id"))
                .and_then(Value::as_i64)
        }));
    }
    if v.get("name").is_some()
        && let Some(id) = v.get("id").and_then(Value::as_i64)
    {
        ids.insert(id);
    }
    ids.into_iter().collect()
}

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
    fn targets_and_fields_from_each_result_shape() {
        let search = json!({"employees": [{"id": 1, "name": "A", "email": "a@x"}, {"id": 2, "name": "B"}], "total": 2});
        assert_eq!(target_ids(&search), vec![1, 2]);
        assert!(field_names(&search).contains(&"employees.email".to_string()));
        let absences = json!({"absences": [{"employee": {"id": 3, "name": "C"}, "comment": "x"}]});
        assert_eq!(target_ids(&absences), vec![3]);
        let one = json!({"id": 4, "name": "D", "custom_attributes": {"Languages": {}}});
        assert_eq!(target_ids(&one), vec![4]);
        assert!(field_names(&one).contains(&"custom_attributes[1]".to_string()));
        assert!(!field_names(&one).iter().any(|f| f.contains("Languages")));
    }
}
