//! `GET /v2/persons`, `GET /v2/persons/{id}`, `GET /v2/persons/{id}/employments` and
//! `GET /v2/persons/{person_id}/employments/{id}` — the same company v1 serves, in v2 shapes.
//!
//! Persons follow persons-service-api-v2.json: string ids (the v1 employee id), UTC timestamps,
//! `gender`/`status` in upper case (`ACTIVE` covers active, onboarding and leave), custom attributes
//! as `{id, type, global_id, label, value}`, one employment reference each. Employments follow
//! Personio's published employment spec (position, status, supervisor, office, org units, cost
//! centers, termination; dates as `YYYY-MM-DD`). The credential's attribute whitelist applies as in
//! v1: what it may not read is absent. Limits: 1–50, default 10 (both specs); larger limits are
//! capped like v1's.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::v1_shared::path_text;
use super::v2_shared::{self, Endpoint, Listing};
use crate::sandbox::attributes::{self, CATALOGUE};
use crate::sandbox::auth::{Caller, Need, Whitelist};
use crate::sandbox::clock;
use crate::sandbox::data::{self, Company, Employee, Status};
use crate::sandbox::org;
use crate::sandbox::params::Query;
use crate::sandbox::state::AppState;

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

const PERSON_FILTERS: &[&str] = &[
    "limit", "cursor", "id", "email", "first_name", "last_name", "preferred_name", "created_at",
    "created_at.gt", "created_at.lt", "updated_at", "updated_at.gt", "updated_at.lt", "status",
];
const EMPLOYMENT_FILTERS: &[&str] = &[
    "limit", "cursor", "id", "updated_at", "updated_at.gt", "updated_at.lt",
];

fn person_status(s: Status) -> &'static str {
    match s {
        Status::Inactive => "INACTIVE",
        _ => "ACTIVE",
    }
}

fn gender(g: &str) -> &'static str {
    match g.to_ascii_lowercase().as_str() {
        "male" => "MALE",
        "female" => "FEMALE",
        "diverse" => "DIVERSE",
        _ => "UNSPECIFIED",
    }
}

/// `updated_at` of a person and of its employment: the employee's last modification.
fn updated(e: &Employee) -> DateTime<Utc> {
    e.last_modified_at
}

/// Custom (`dynamic_*`) attributes the credential may read, in the v2 shape.
fn custom_attributes(company: &Company, e: &Employee, wl: Whitelist, base: &str) -> Vec<Value> {
    CATALOGUE
        .iter()
        .filter(|d| d.key.starts_with("dynamic_") && wl.allows(d.key))
        .filter_map(|d| {
            let value = serde_json::to_value(attributes::value(company, e, d.key, base)).ok()?;
            let text = value.as_str()?.to_string();
            let (kind, value) = match d.kind {
                // An empty list would match two of the spec's `oneOf` branches: leave it out.
                "tags" if text.is_empty() => return None,
                "tags" => (
                    "STRING_LIST",
                    json!(
                        text.split(',')
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                    ),
                ),
                "date" => ("DATE", json!(text)),
                _ => ("STRING", json!(text)),
            };
            let mut attr = json!({"id": d.key, "type": kind, "label": d.label, "value": value});
            if let (Some(global), Value::Object(m)) = (d.universal_id, &mut attr) {
                m.insert("global_id".into(), json!(global));
            }
            Some(attr)
        })
        .collect()
}

/// One person as `GET /v2/persons` renders it.
pub fn person(company: &Company, e: &Employee, wl: Whitelist, base: &str) -> Value {
    let mut p = Map::new();
    p.insert("id".into(), json!(e.id.to_string()));
    let mut put = |key: &str, field: &str, value: Value| {
        if wl.allows(key) {
            p.insert(field.into(), value);
        }
    };
    put("email", "email", json!(e.email));
    put("first_name", "first_name", json!(e.first_name));
    put("last_name", "last_name", json!(e.last_name));
    put("preferred_name", "preferred_name", json!(e.preferred_name));
    put("gender", "gender", json!(gender(&e.gender)));
    put("status", "status", json!(person_status(e.status)));
    put(
        "created_at",
        "created_at",
        json!(clock::v2_timestamp(e.created_at)),
    );
    put(
        "last_modified_at",
        "updated_at",
        json!(clock::v2_timestamp(updated(e))),
    );
    put(
        "profile_picture",
        "profile_picture",
        json!({"url": format!("{base}/v1/company/employees/{}/profile-picture", e.id)}),
    );
    p.insert(
        "custom_attributes".into(),
        json!(custom_attributes(company, e, wl, base)),
    );
    p.insert(
        "employments".into(),
        json!([{"id": data::employment_id(e.id).to_string()}]),
    );
    p.insert(
        "_meta".into(),
        json!({"links": {"employments": {"href": format!("{base}/v2/persons/{}/employments", e.id)}}}),
    );
    Value::Object(p)
}

fn employment_status(s: Status) -> &'static str {
    match s {
        Status::Active => "ACTIVE",
        Status::Onboarding => "ONBOARDING",
        Status::Leave => "LEAVE",
        Status::Inactive => "INACTIVE",
    }
}

fn termination_type(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "employee" | "resignation" => "EMPLOYEE",
        "employer" | "fired" | "dismissal" => "FIRED",
        "agreement" | "mutual agreement" => "AGREEMENT",
        "contract expired" | "contract_expired" => "CONTRACT_EXPIRED",
        "retirement" => "RETIREMENT",
        _ => "UNSPECIFIED",
    }
}

/// The employment of a person (one per person in the sandbox).
pub fn employment(e: &Employee, wl: Whitelist, base: &str) -> Value {
    let date = |d: Option<chrono::NaiveDate>| d.map(clock::plain_date);
    let mut m = Map::new();
    m.insert("id".into(), json!(data::employment_id(e.id).to_string()));
    m.insert("person".into(), json!({"id": e.id.to_string()}));
    m.insert(
        "created_at".into(),
        json!(clock::v2_timestamp(e.created_at)),
    );
    m.insert("updated_at".into(), json!(clock::v2_timestamp(updated(e))));
    let mut units = Vec::new();
    if wl.allows("team")
        && let Some(t) = e.team_id
    {
        units.push(json!({"type": "team", "id": t.to_string()}));
    }
    if wl.allows("department")
        && let Some(d) = e.department_id
    {
        units.push(json!({"type": "department", "id": d.to_string()}));
    }
    m.insert("org_units".into(), json!(units));
    let mut put = |key: &str, field: &str, value: Value| {
        if wl.allows(key) {
            m.insert(field.into(), value);
        }
    };
    put("status", "status", json!(employment_status(e.status)));
    put("position", "position", json!({"title": e.position}));
    let hours: f64 = e.weekly_working_hours.trim().parse().unwrap_or(40.0);
    put("weekly_working_hours", "weekly_working_hours", json!(hours));
    put(
        "weekly_working_hours",
        "full_time_weekly_working_hours",
        json!(40),
    );
    put(
        "employment_type",
        "type",
        json!(if e.employment_type == "external" {
            "EXTERNAL"
        } else {
            "INTERNAL"
        }),
    );
    put(
        "probation_period_end",
        "probation_end_date",
        json!(date(e.probation_period_end)),
    );
    put(
        "hire_date",
        "employment_start_date",
        json!(clock::plain_date(e.hire_date)),
    );
    put(
        "termination_date",
        "employment_end_date",
        json!(date(e.termination_date)),
    );
    put(
        "contract_end_date",
        "contract_end_date",
        json!(date(e.contract_end_date)),
    );
    put(
        "supervisor",
        "supervisor",
        e.supervisor_id
            .map_or(Value::Null, |s| json!({"id": s.to_string()})),
    );
    put(
        "office",
        "office",
        e.office_id
            .map_or(Value::Null, |o| json!({"id": o.to_string()})),
    );
    let subcompany = e
        .office_id
        .and_then(org::office)
        .and_then(|o| o.subcompany_id);
    put(
        "subcompany",
        "legal_entity",
        subcompany.map_or(Value::Null, |s| json!({"id": s.to_string()})),
    );
    put(
        "cost_centers",
        "cost_centers",
        json!(
            e.cost_centers
                .iter()
                .map(|(id, pct)| json!({"id": id.to_string(), "weight": pct}))
                .collect::<Vec<_>>()
        ),
    );
    if e.termination_date.is_some() {
        put(
            "termination_date",
            "termination",
            json!({
                "termination_date": date(e.termination_date),
                "last_working_day": date(e.last_working_day),
                "type": termination_type(&e.termination_type),
                "reason": e.termination_reason,
            }),
        );
    }
    let mut links = Map::new();
    links.insert(
        "person".into(),
        json!({"href": format!("{base}/v2/persons/{}", e.id)}),
    );
    if let Some(s) = e.supervisor_id.filter(|_| wl.allows("supervisor")) {
        links.insert(
            "supervisor".into(),
            json!({"href": format!("{base}/v2/persons/{s}")}),
        );
    }
    m.insert("_meta".into(), json!({"links": links}));
    Value::Object(m)
}

/// Filters on a UTC instant: `key` (same second), `key.gt`, `key.lt`.
struct TimeFilter {
    at: Option<DateTime<Utc>>,
    gt: Option<DateTime<Utc>>,
    lt: Option<DateTime<Utc>>,
}

impl TimeFilter {
    fn parse(query: &Query, key: &str) -> Result<TimeFilter, Response> {
        Ok(TimeFilter {
            at: v2_shared::instant(query, key)?,
            gt: v2_shared::instant(query, &format!("{key}.gt"))?,
            lt: v2_shared::instant(query, &format!("{key}.lt"))?,
        })
    }

    fn accepts(&self, t: DateTime<Utc>) -> bool {
        self.at.is_none_or(|a| t.timestamp() == a.timestamp())
            && self.gt.is_none_or(|g| t > g)
            && self.lt.is_none_or(|l| t < l)
    }
}

fn text_filter(query: &Query, key: &str) -> Option<String> {
    query.first(key).map(str::to_lowercase)
}

/// `GET /v2/persons`.
pub struct Persons;

impl Endpoint for Persons {
    const NEED: Need = Need::EmployeesRead;
    const KEYS: &'static [&'static str] = PERSON_FILTERS;
    const LIMITS: (usize, usize) = (DEFAULT_LIMIT, MAX_LIMIT);
}

/// `GET /v2/persons/{id}/employments`.
pub struct Employments;

impl Endpoint for Employments {
    const NEED: Need = Need::EmployeesRead;
    const KEYS: &'static [&'static str] = EMPLOYMENT_FILTERS;
    const LIMITS: (usize, usize) = (DEFAULT_LIMIT, MAX_LIMIT);
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    listing: Listing<Persons>,
) -> Result<Response, Response> {
    let query = &listing.query;
    let ids = v2_shared::list(query, "id");
    let emails: Vec<String> = v2_shared::list(query, "email")
        .iter()
        .map(|e| e.to_lowercase())
        .collect();
    let first = text_filter(query, "first_name");
    let last = text_filter(query, "last_name");
    let preferred = text_filter(query, "preferred_name");
    let created = TimeFilter::parse(query, "created_at")?;
    let updated_at = TimeFilter::parse(query, "updated_at")?;
    let status = match query.first("status") {
        None => None,
        Some(s @ ("ACTIVE" | "INACTIVE")) => Some(s.to_string()),
        Some(_) => {
            return Err(v2_shared::bad_request(
                "The status must be ACTIVE or INACTIVE.",
                "status",
            ));
        }
    };
    let company = state.company();
    let same = |filter: &Option<String>, value: &str| {
        filter.as_ref().is_none_or(|f| *f == value.to_lowercase())
    };
    let matching: Vec<&Employee> = company
        .employees()
        .iter()
        .filter(|e| {
            (ids.is_empty() || ids.contains(&e.id.to_string()))
                && (emails.is_empty() || emails.contains(&e.email.to_lowercase()))
                && same(&first, &e.first_name)
                && same(&last, &e.last_name)
                && same(&preferred, &e.preferred_name)
                && created.accepts(e.created_at)
                && updated_at.accepts(updated(e))
                && status
                    .as_deref()
                    .is_none_or(|s| s == person_status(e.status))
        })
        .collect();
    Ok(listing.respond(&state.base_url, &matching, |e| {
        Some(person(
            &company, e, listing.caller.whitelist, &state.base_url,
        ))
    }))
}

fn find<'c>(company: &'c Company, id: &str) -> Result<&'c Employee, Response> {
    id.trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| company.get(id))
        .ok_or_else(v2_shared::not_found)
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    v2_shared::require(&caller, Need::EmployeesRead)?;
    let company = state.company();
    let e = find(&company, &path_text(id))?;
    let href = format!("{}/v2/persons/{}", state.base_url, e.id);
    Ok(v2_shared::one_response(
        person(&company, e, caller.whitelist, &state.base_url),
        href,
    ))
}

pub async fn employments(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    listing: Listing<Employments>,
) -> Result<Response, Response> {
    let ids = v2_shared::list(&listing.query, "id");
    let updated_at = TimeFilter::parse(&listing.query, "updated_at")?;
    let company = state.company();
    let e = find(&company, &path_text(id))?;
    let all = [e];
    let matching: Vec<&Employee> = all
        .into_iter()
        .filter(|e| {
            (ids.is_empty() || ids.contains(&data::employment_id(e.id).to_string()))
                && updated_at.accepts(updated(e))
        })
        .collect();
    Ok(listing.respond(&state.base_url, &matching, |e| {
        Some(employment(e, listing.caller.whitelist, &state.base_url))
    }))
}

pub async fn employment_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, Response> {
    v2_shared::require(&caller, Need::EmployeesRead)?;
    let Ok(Path((person_id, id))) = ids else {
        return Err(v2_shared::not_found());
    };
    let company = state.company();
    let e = find(&company, &person_id)?;
    let employment_id = data::employment_id(e.id);
    if id.trim() != employment_id.to_string() {
        return Err(v2_shared::not_found());
    }
    let href = format!(
        "{}/v2/persons/{}/employments/{employment_id}",
        state.base_url, e.id
    );
    Ok(v2_shared::one_response(
        employment(e, caller.whitelist, &state.base_url),
        href,
    ))
}
