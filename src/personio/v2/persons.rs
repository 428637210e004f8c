//! `/v2/persons` (+ `/v2/persons/{id}/employments`) → [`Employee`].
//!
//! A v2 person carries names, e-mail, status and custom attributes; position, status of the
//! employment, supervisor, dates and hours live on its employment (one more request per person,
//! REFERENCE.md §9.1). Org units (department, team, office, legal entity) come as ids only, so
//! those fields stay `Unreadable` here: v2 does not name them, and a guessed name would be wrong.
//! Supervisors come as ids; a listing fills in their names from the persons it read.

use std::collections::{BTreeMap, HashMap};

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::super::client::PersonioClient;
use super::super::employees::EmployeeQuery;
use super::super::http::Request;
use super::super::model::lenient;
use super::super::types::{Attr, Employee, EmployeeStatus, ExtraAttribute, PersonRef};
use super::{fetch_json, ref_id};
use crate::error::{Error, Result};

const READ_PERSONS: &str = "read employees (v2 scope personio:persons:read)";
/// Personio's maximum page size for persons and employments.
const PAGE_SIZE: u32 = 50;
/// Employment requests in flight during a listing: well inside the persons burst.
const EMPLOYMENTS_IN_FLIGHT: usize = 8;

fn unreadable(what: &str) -> Error {
    Error::upstream(format!("Personio sent an unreadable person ({what})"))
}

/// Present → `Value`/`Empty`; absent → `Unreadable` (the credential may not read it).
fn attr<T>(v: &Value, key: &str, read: impl Fn(&Value) -> Option<T>) -> Attr<T> {
    match v.get(key) {
        None => Attr::Unreadable,
        Some(Value::Null) => Attr::Empty,
        Some(x) => read(x).map_or(Attr::Empty, Attr::Value),
    }
}

fn custom_kind(t: &str) -> String {
    match t.to_ascii_uppercase().as_str() {
        "STRING_LIST" => "tags".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// Comma-joins list values, as v1 sends tags.
fn custom_value(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::String(
            items
                .iter()
                .filter_map(lenient::text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        other => other.clone(),
    }
}

/// Maps a person and (if readable) its employment.
pub(crate) fn parse_person(p: &Value, employment: Option<&Value>) -> Result<Employee> {
    let id = p
        .get("id")
        .and_then(lenient::int_like)
        .ok_or_else(|| unreadable("no integer id"))?;
    let text = |v: &Value| lenient::text(v);
    let none = Value::Null;
    let emp = employment.unwrap_or(&none);
    let date = |k: &str| attr(emp, k, lenient::date);
    let mut extra = BTreeMap::new();
    for c in p
        .get("custom_attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = c.get("id").and_then(lenient::text) else {
            continue;
        };
        extra.insert(
            key.clone(),
            ExtraAttribute {
                label: c
                    .get("label")
                    .and_then(lenient::text)
                    .unwrap_or_else(|| key.clone()),
                kind: c.get("type").and_then(Value::as_str).map(custom_kind),
                universal_id: c.get("global_id").and_then(lenient::text),
                value: c.get("value").map(custom_value).unwrap_or(Value::Null),
                key,
            },
        );
    }
    let status = match emp.get("status") {
        Some(_) => attr(emp, "status", |v| v.as_str().map(EmployeeStatus::parse)),
        None => attr(p, "status", |v| v.as_str().map(EmployeeStatus::parse)),
    };
    let updated = [p.get("updated_at"), emp.get("updated_at")]
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().and_then(lenient::timestamp))
        .max();
    Ok(Employee {
        id,
        first_name: attr(p, "first_name", text),
        last_name: attr(p, "last_name", text),
        preferred_name: attr(p, "preferred_name", text),
        email: attr(p, "email", text),
        status,
        position: attr(emp, "position", |v| v.get("title").and_then(lenient::text)),
        supervisor: attr(emp, "supervisor", |v| {
            ref_id(Some(v))
                .and_then(|s| s.trim().parse::<i64>().ok())
                .map(|id| PersonRef {
                    id,
                    ..PersonRef::default()
                })
        }),
        hire_date: date("employment_start_date"),
        termination_date: date("employment_end_date"),
        contract_end_date: date("contract_end_date"),
        weekly_working_hours: attr(emp, "weekly_working_hours", lenient::number_like),
        employment_type: attr(emp, "type", |v| v.as_str().map(|s| s.to_ascii_lowercase())),
        last_modified_at: updated.map_or(Attr::Unreadable, Attr::Value),
        extra,
        ..Employee::default()
    })
}

/// Fills supervisors' names from the people read in the same listing.
fn name_supervisors(employees: &mut [Employee]) {
    let names: HashMap<i64, PersonRef> = employees
        .iter()
        .map(|e| {
            let r = PersonRef {
                id: e.id,
                first_name: e.first_name.value().cloned(),
                last_name: e.last_name.value().cloned(),
                email: e.email.value().cloned(),
            };
            (e.id, r)
        })
        .collect();
    for e in employees.iter_mut() {
        if let Attr::Value(s) = &mut e.supervisor
            && let Some(named) = names.get(&s.id)
        {
            s.clone_from(named);
        }
    }
}

fn persons_request(query: &EmployeeQuery) -> Request {
    let mut req = Request::get("/v2/persons", READ_PERSONS, "employee").query("limit", PAGE_SIZE);
    if let Some(since) = &query.updated_since {
        let s = since.trim();
        let zoned = s.ends_with('Z') || s.get(10..).is_some_and(|t| t.contains(['+', '-']));
        let with_zone = if s.len() > 10 && !zoned {
            format!("{s}Z")
        } else {
            s.to_string()
        };
        req = req.query("updated_at.gt", with_zone);
    }
    if let Some(email) = &query.email {
        req = req.query("email", email.trim());
    }
    req
}

impl PersonioClient {
    /// The first employment of a person (`None` when the credential reads none).
    async fn v2_employment(&self, person_id: i64) -> Result<Option<Value>> {
        let req = Request::get(
            format!("/v2/persons/{person_id}/employments"),
            READ_PERSONS,
            "employee",
        )
        .query("limit", PAGE_SIZE);
        let body = fetch_json(self.http(), &req).await?;
        Ok(body
            .get("_data")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned())
    }

    async fn v2_with_employment(&self, person: Value) -> Result<Employee> {
        let id = person
            .get("id")
            .and_then(lenient::int_like)
            .ok_or_else(|| unreadable("no integer id"))?;
        let employment = self.v2_employment(id).await?;
        parse_person(&person, employment.as_ref())
    }

    /// Every person matching `query` with its employment, supervisors named.
    pub(crate) async fn v2_employees(&self, query: &EmployeeQuery) -> Result<Vec<Employee>> {
        let persons: Vec<Value> = super::paged(self.http(), persons_request(query))
            .try_collect()
            .await?;
        let mut employees: Vec<Employee> = futures::stream::iter(persons)
            .map(|p| self.v2_with_employment(p))
            .buffered(EMPLOYMENTS_IN_FLIGHT)
            .try_collect()
            .await?;
        name_supervisors(&mut employees);
        Ok(employees)
    }

    /// One person by id, with its employment.
    pub(crate) async fn v2_employee(&self, id: i64) -> Result<Employee> {
        let req = Request::get(format!("/v2/persons/{id}"), READ_PERSONS, "employee");
        let person = fetch_json(self.http(), &req).await?;
        let mut e = self.v2_with_employment(person).await?;
        if let Attr::Value(s) = &e.supervisor {
            let sup_req = Request::get(format!("/v2/persons/{}", s.id), READ_PERSONS, "employee");
            if let Ok(sup) = fetch_json(self.http(), &sup_req).await
                && let Ok(sup) = parse_person(&sup, None)
            {
                let mut pair = [e, sup];
                name_supervisors(&mut pair);
                let [first, _] = pair;
                e = first;
            }
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn persons_and_employments_map_onto_employee() {
        let p = json!({"id":"3003","email":"jen@x.de","first_name":"Jen","last_name":"Doe",
            "status":"ACTIVE","updated_at":"2017-07-21T17:32:28Z",
            "custom_attributes":[{"id":"dynamic_1","type":"STRING_LIST","label":"Languages","value":["English","German"]}]});
        let emp = json!({"status":"LEAVE","position":{"title":"Engineer"},"supervisor":{"id":"7"},
            "employment_start_date":"2020-01-01","employment_end_date":null,"org_units":[{"type":"department","id":"3"}]});
        let e = parse_person(&p, Some(&emp)).unwrap();
        assert_eq!(e.id, 3003);
        assert_eq!(e.status, Attr::Value(EmployeeStatus::Leave));
        assert_eq!(e.position.value().map(String::as_str), Some("Engineer"));
        assert_eq!(e.supervisor.value().map(|s| s.id), Some(7));
        assert_eq!(e.termination_date, Attr::Empty);
        assert_eq!(e.preferred_name, Attr::Unreadable);
        assert_eq!(e.department, Attr::Unreadable, "v2 names no org units");
        assert_eq!(
            e.custom_attributes()["Languages"].tags(),
            Some(vec!["English".to_string(), "German".to_string()])
        );
    }

    #[test]
    fn supervisors_get_names_from_the_listing() {
        let boss = parse_person(
            &json!({"id":"7","first_name":"Mega","last_name":"Hui"}),
            None,
        )
        .unwrap();
        let e = parse_person(&json!({"id":"1"}), Some(&json!({"supervisor":{"id":"7"}}))).unwrap();
        let mut all = [e, boss];
        name_supervisors(&mut all);
        assert_eq!(
            all[0].supervisor.value().map(|s| s.full_name()),
            Some("Mega Hui".into())
        );
    }

    #[test]
    fn updated_since_gains_a_zone() {
        let q = EmployeeQuery {
            updated_since: Some("2026-01-01T10:00:00".into()),
            ..EmployeeQuery::default()
        };
        assert!(
            persons_request(&q)
                .query
                .contains(&("updated_at.gt".into(), "2026-01-01T10:00:00Z".into()))
        );
    }
}
