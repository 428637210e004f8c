//! v1 employee payloads → [`Employee`](crate::personio::types::Employee).
//!
//! Every field is an envelope `{label, value, type?, universal_id?, currency?}` (REFERENCE.md §7);
//! absent keys are attributes the credential may not read. `supervisor` nests envelopes; office,
//! department, team and subcompany are plain `{type, attributes{id, name}}` objects.

use serde_json::{Map, Value};

use super::envelope::attributes;
use super::lenient;
use crate::personio::types::{
    Attr, CostCenter, Employee, EmployeeStatus, Entitlement, ExtraAttribute, OrgUnit, PersonRef,
};

/// Why an employee could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeParseError(pub String);

/// The keys with typed fields on [`Employee`]; everything else lands in `extra`.
const TYPED_KEYS: &[&str] = &[
    "id", "first_name", "last_name", "preferred_name", "email", "status", "position", "department",
    "office", "team", "subcompany", "supervisor", "hire_date", "termination_date",
    "contract_end_date", "weekly_working_hours", "employment_type", "cost_centers",
    "absence_entitlement", "last_modified_at",
];

/// The value inside an envelope; tolerates a bare value (no envelope) too.
fn envelope_value(field: &Value) -> &Value {
    match field {
        Value::Object(m) if m.contains_key("value") => m.get("value").unwrap_or(&Value::Null),
        other => other,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Reads one attribute: absent → `Unreadable`; null/"" → `Empty`; else the reader's result
/// (a present value the reader cannot make sense of counts as `Empty`, never as a crash).
fn attr<T>(attrs: &Map<String, Value>, key: &str, read: impl Fn(&Value) -> Option<T>) -> Attr<T> {
    match attrs.get(key) {
        None => Attr::Unreadable,
        Some(field) => {
            let v = envelope_value(field);
            if is_empty(v) {
                Attr::Empty
            } else {
                read(v).map_or(Attr::Empty, Attr::Value)
            }
        }
    }
}

fn org_unit(v: &Value) -> Option<OrgUnit> {
    let a = attributes(v);
    let name = a.get("name").and_then(lenient::text)?;
    Some(OrgUnit {
        id: a.get("id").and_then(lenient::int_like),
        name,
    })
}

/// A wrapped person (`{type:"Employee", attributes:{id:{envelope}, first_name:{envelope}...}}`), as
/// used for supervisors and absence owners. Tolerates plain values instead of envelopes.
pub fn person_ref(v: &Value) -> Option<PersonRef> {
    let a = attributes(v);
    let field = |k: &str| a.get(k).map(envelope_value);
    Some(PersonRef {
        id: field("id").and_then(lenient::int_like)?,
        first_name: field("first_name").and_then(lenient::text),
        last_name: field("last_name").and_then(lenient::text),
        email: field("email").and_then(lenient::text),
    })
}

/// A list of wrapped objects (`[{type, attributes{...}}]`), each read from its attributes; an item
/// `read` cannot make sense of is dropped (one odd entry must not hide the others).
fn wrapped_list<T>(v: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let items = v.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|item| read(attributes(item)))
            .collect(),
    )
}

fn cost_centers(v: &Value) -> Option<Vec<CostCenter>> {
    wrapped_list(v, |a| {
        Some(CostCenter {
            id: a.get("id").and_then(lenient::int_like),
            name: a.get("name").and_then(lenient::text)?,
            percentage: a.get("percentage").and_then(lenient::number_like),
        })
    })
}

fn entitlements(v: &Value) -> Option<Vec<Entitlement>> {
    wrapped_list(v, |a| {
        Some(Entitlement {
            time_off_type_id: a.get("id").and_then(lenient::int_like)?,
            name: a.get("name").and_then(lenient::text),
            category: a.get("category").and_then(lenient::text),
            entitlement: a.get("entitlement").and_then(lenient::number_like),
        })
    })
}

/// Parses one employee item (`{type:"Employee", attributes:{...}}`).
pub fn parse_employee(item: &Value) -> Result<Employee, EmployeeParseError> {
    let attrs = attributes(item)
        .as_object()
        .ok_or_else(|| EmployeeParseError("employee is not an object".into()))?;
    let id = attrs
        .get("id")
        .map(envelope_value)
        .and_then(lenient::int_like)
        .ok_or_else(|| EmployeeParseError("employee has no readable integer id".into()))?;
    let string = |v: &Value| lenient::text(v);
    let mut extra = std::collections::BTreeMap::new();
    for (key, field) in attrs {
        if TYPED_KEYS.contains(&key.as_str()) {
            continue;
        }
        let label = field
            .get("label")
            .and_then(lenient::text)
            .unwrap_or_else(|| key.clone());
        extra.insert(
            key.clone(),
            ExtraAttribute {
                key: key.clone(),
                label,
                kind: field.get("type").and_then(lenient::text),
                universal_id: field.get("universal_id").and_then(lenient::text),
                value: envelope_value(field).clone(),
            },
        );
    }
    Ok(Employee {
        id,
        first_name: attr(attrs, "first_name", string),
        last_name: attr(attrs, "last_name", string),
        preferred_name: attr(attrs, "preferred_name", string),
        email: attr(attrs, "email", string),
        status: attr(attrs, "status", |v| v.as_str().map(EmployeeStatus::parse)),
        position: attr(attrs, "position", string),
        department: attr(attrs, "department", org_unit),
        office: attr(attrs, "office", org_unit),
        team: attr(attrs, "team", org_unit),
        subcompany: attr(attrs, "subcompany", org_unit),
        supervisor: attr(attrs, "supervisor", person_ref),
        hire_date: attr(attrs, "hire_date", lenient::date),
        termination_date: attr(attrs, "termination_date", lenient::date),
        contract_end_date: attr(attrs, "contract_end_date", lenient::date),
        weekly_working_hours: attr(attrs, "weekly_working_hours", lenient::number_like),
        employment_type: attr(attrs, "employment_type", string),
        cost_centers: match attr(attrs, "cost_centers", cost_centers) {
            Attr::Value(v) if v.is_empty() => Attr::Empty,
            other => other,
        },
        absence_entitlement: attr(attrs, "absence_entitlement", entitlements),
        last_modified_at: attr(attrs, "last_modified_at", |v| {
            v.as_str().and_then(lenient::timestamp)
        }),
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_is_unreadable_and_empty_is_empty() {
        let e = parse_employee(&json!({"type":"Employee","attributes":{
            "id":{"label":"ID","value":1,"type":"integer","universal_id":"id"},
            "position":{"label":"Position","value":"","type":"standard","universal_id":"position"},
            "team":{"label":"Team","value":null,"type":"standard","universal_id":"team"}
        }}))
        .unwrap();
        assert_eq!(e.position, Attr::Empty);
        assert_eq!(e.team, Attr::Empty);
        assert_eq!(e.office, Attr::Unreadable);
        assert_eq!(e.supervisor, Attr::Unreadable);
    }

    #[test]
    fn envelopes_without_type_or_universal_id() {
        let e = parse_employee(&json!({"type":"Employee","attributes":{
            "id":{"label":"ID","value":"42"},
            "first_name":{"label":"First name","value":"Ada"},
            "weekly_working_hours":{"label":"Weekly hours","value":"38.5"},
            "dynamic_1":{"label":"Languages","value":"English,German","type":"tags"}
        }}))
        .unwrap();
        assert_eq!(e.id, 42);
        assert_eq!(e.first_name.value().map(String::as_str), Some("Ada"));
        assert_eq!(e.weekly_working_hours, Attr::Value(38.5));
        let custom = e.custom_attributes();
        assert_eq!(
            custom["Languages"].tags(),
            Some(vec!["English".to_string(), "German".to_string()])
        );
    }

    #[test]
    fn nested_supervisor_and_org_objects() {
        let e = parse_employee(&json!({"type":"Employee","attributes":{
            "id":{"label":"ID","value":1},
            "supervisor":{"label":"Supervisor","value":{"type":"Employee","attributes":{
                "id":{"label":"ID","value":7,"type":"integer","universal_id":"id"},
                "first_name":{"label":"First name","value":"Mega"},
                "last_name":{"label":"Last name","value":"Hui"}}}},
            "department":{"label":"Department","value":{"type":"Department","attributes":{"id":3,"name":"Sales"}}},
            "cost_centers":{"label":"Cost center","value":[]}
        }}))
        .unwrap();
        let sup = e.supervisor.value().unwrap();
        assert_eq!(sup.id, 7);
        assert_eq!(sup.full_name(), "Mega Hui");
        assert_eq!(e.department.value().unwrap().name, "Sales");
        assert_eq!(e.cost_centers, Attr::Empty);
    }

    #[test]
    fn an_employee_without_id_is_an_error_not_a_panic() {
        assert!(parse_employee(&json!({"attributes":{}})).is_err());
        assert!(parse_employee(&json!("x")).is_err());
    }
}
