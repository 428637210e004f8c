//! `POST /__sandbox/employees` (add) and `POST /__sandbox/employees/{id}` (patch, terminate): the
//! admin side of "the company changed", which `updated_since` listings and webhooks report.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use http::StatusCode;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::{admin_error, from_object};
use crate::sandbox::attributes;
use crate::sandbox::clock;
use crate::sandbox::data::{Company, Employee, Status};
use crate::sandbox::envelope::json_response;
use crate::sandbox::names;
use crate::sandbox::org;
use crate::sandbox::state::{AppState, patch_events};
use crate::sandbox::webhooks::events;

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn explicit_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Fields an admin may set on an employee. Absent fields stay unchanged; `null` clears nullable ones.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmployeePatch {
    first_name: Option<String>,
    last_name: Option<String>,
    preferred_name: Option<String>,
    email: Option<String>,
    gender: Option<String>,
    status: Option<String>,
    position: Option<String>,
    employment_type: Option<String>,
    #[serde(default, deserialize_with = "explicit_null")]
    supervisor_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "explicit_null")]
    department_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "explicit_null")]
    office_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "explicit_null")]
    team_id: Option<Option<u64>>,
    weekly_working_hours: Option<Value>,
    hire_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "explicit_null")]
    termination_date: Option<Option<NaiveDate>>,
    termination_type: Option<String>,
    termination_reason: Option<String>,
    fix_salary: Option<f64>,
    vacation_entitlement: Option<f64>,
    #[serde(rename = "dynamic_24407")]
    title: Option<String>,
    #[serde(rename = "dynamic_7124045")]
    languages: Option<String>,
    #[serde(rename = "dynamic_2")]
    marital_status: Option<String>,
    #[serde(rename = "dynamic_21827")]
    iban: Option<String>,
    #[serde(rename = "dynamic_501")]
    home_address: Option<String>,
    #[serde(rename = "dynamic_502")]
    nationality: Option<String>,
}

/// Sets an organisation reference when the patch names it (`null` clears it); `Ok(true)` when it
/// was set, `Err` for an id the organisation does not have.
fn set_ref(
    slot: &mut Option<u64>,
    value: Option<Option<u64>>,
    name: &str,
    exists: fn(u64) -> bool,
) -> Result<bool, String> {
    let Some(value) = value else {
        return Ok(false);
    };
    if value.is_some_and(|id| !exists(id)) {
        return Err(format!("unknown {name} {value:?}"));
    }
    *slot = value;
    Ok(true)
}

/// Applies `patch` to `e` (a copy); returns the attribute keys that changed.
fn apply(
    company: &Company,
    e: &mut Employee,
    patch: EmployeePatch,
    today: NaiveDate,
) -> Result<Vec<&'static str>, (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let mut changed: Vec<&'static str> = Vec::new();
    // The plain text attributes: set when the patch names them, reported when the value changed.
    let text_fields = [
        (&mut e.first_name, patch.first_name, "first_name"),
        (&mut e.last_name, patch.last_name, "last_name"),
        (
            &mut e.preferred_name, patch.preferred_name, "preferred_name",
        ),
        (&mut e.gender, patch.gender, "gender"),
        (&mut e.position, patch.position, "position"),
        (
            &mut e.employment_type, patch.employment_type, "employment_type",
        ),
        (
            &mut e.termination_type, patch.termination_type, "termination_type",
        ),
        (
            &mut e.termination_reason,
            patch.termination_reason,
            "termination_reason",
        ),
        (&mut e.title, patch.title, attributes::KEY_TITLE),
        (&mut e.languages, patch.languages, attributes::KEY_LANGUAGES),
        (
            &mut e.marital_status,
            patch.marital_status,
            attributes::KEY_MARITAL,
        ),
        (&mut e.iban, patch.iban, attributes::KEY_IBAN),
        (
            &mut e.home_address,
            patch.home_address,
            attributes::KEY_ADDRESS,
        ),
        (
            &mut e.nationality,
            patch.nationality,
            attributes::KEY_NATIONALITY,
        ),
    ];
    for (field, value, key) in text_fields {
        if let Some(v) = value
            && *field != v
        {
            *field = v;
            changed.push(key);
        }
    }
    if let Some(email) = patch.email {
        if !email.contains('@') {
            return Err(bad(format!("not an e-mail address: {email}")));
        }
        if company
            .by_email(&email)
            .is_some_and(|other| other.id != e.id)
        {
            return Err((
                StatusCode::CONFLICT,
                format!("e-mail already in use: {email}"),
            ));
        }
        if e.email != email {
            e.email = email;
            changed.push("email");
        }
    }
    if let Some(hours) = patch.weekly_working_hours {
        let text = match hours {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => {
                return Err(bad(format!(
                    "weekly_working_hours must be a string or number, got {other}"
                )));
            }
        };
        if text
            .trim()
            .parse::<f64>()
            .map_or(true, |h| !(0.0..=80.0).contains(&h))
        {
            return Err(bad(format!("weekly_working_hours out of range: {text}")));
        }
        e.weekly_working_hours = text;
        changed.extend(["weekly_working_hours", "work_schedule"]);
    }
    if set_ref(
        &mut e.department_id,
        patch.department_id,
        "department_id",
        |id| org::department(id).is_some(),
    )
    .map_err(bad)?
    {
        changed.push("department");
    }
    if set_ref(&mut e.office_id, patch.office_id, "office_id", |id| {
        org::office(id).is_some()
    })
    .map_err(bad)?
    {
        changed.extend(["office", "holiday_calendar", "subcompany"]);
    }
    if set_ref(&mut e.team_id, patch.team_id, "team_id", |id| {
        org::team(id).is_some()
    })
    .map_err(bad)?
    {
        changed.push("team");
    }
    if let Some(supervisor) = patch.supervisor_id {
        if let Some(id) = supervisor {
            // Walk up from the new supervisor: reaching `e` would close a cycle.
            let mut cursor = Some(id);
            let mut steps = 0usize;
            while let Some(current) = cursor {
                if current == e.id {
                    return Err(bad("supervisor_id would create a cycle".to_string()));
                }
                let Some(s) = company.get(current) else {
                    return Err(bad(format!("unknown supervisor_id {current}")));
                };
                cursor = s.supervisor_id;
                steps += 1;
                if steps > company.len() {
                    return Err(bad("supervisor chain is cyclic".to_string()));
                }
            }
        }
        e.supervisor_id = supervisor;
        changed.push("supervisor");
    }
    if let Some(hire) = patch.hire_date {
        e.hire_date = hire;
        changed.push("hire_date");
    }
    if let Some(status) = patch.status {
        let parsed =
            Status::parse(&status).ok_or_else(|| bad(format!("unknown status {status}")))?;
        e.status = parsed;
        changed.push("status");
        if parsed == Status::Inactive
            && e.termination_date.is_none()
            && patch.termination_date.is_none()
        {
            e.termination_date = Some(today);
            e.last_working_day = Some(today);
            changed.extend(["termination_date", "last_working_day"]);
        }
    }
    if let Some(termination) = patch.termination_date {
        e.termination_date = termination;
        e.last_working_day = termination;
        changed.extend(["termination_date", "last_working_day"]);
    }
    if let Some(salary) = patch.fix_salary {
        if !salary.is_finite() || salary < 0.0 {
            return Err(bad("fix_salary must be a non-negative number".to_string()));
        }
        e.fix_salary_cents = (salary * 100.0).round() as i64;
        changed.push("fix_salary");
    }
    if let Some(days) = patch.vacation_entitlement {
        if !days.is_finite() || !(0.0..=366.0).contains(&days) {
            return Err(bad("vacation_entitlement out of range".to_string()));
        }
        e.vacation_entitlement = days;
        changed.push("absence_entitlement");
    }
    Ok(changed)
}

fn mark_modified(e: &mut Employee, changed: &[&'static str], now: DateTime<Utc>) {
    e.last_modified_at = now;
    for key in changed {
        e.field_modified.push(((*key).to_string(), now));
    }
}

fn parse_patch(body: &[u8]) -> Result<EmployeePatch, Response> {
    if body.trim_ascii().is_empty() {
        return Ok(EmployeePatch::default());
    }
    from_object(body).map_err(|e| {
        admin_error(
            StatusCode::BAD_REQUEST,
            format!("invalid employee JSON: {e}"),
        )
    })
}

/// `POST /__sandbox/employees/{id}` — change fields; bumps `last_modified_at` (and the changed
/// attributes' change times, for `updated_since` + `attributes[]`).
pub(super) async fn patch(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, Response> {
    // An undecodable path segment is just an unknown id.
    let id = id.map(|Path(s)| s).unwrap_or_default();
    let patch = parse_patch(&body)?;
    let id: u64 = id
        .trim()
        .parse()
        .map_err(|_| admin_error(StatusCode::NOT_FOUND, "no such employee"))?;
    let now = state.clock.now();
    let today = state.clock.today();
    let mut company = state.company_mut();
    let mut copy = company
        .get(id)
        .cloned()
        .ok_or_else(|| admin_error(StatusCode::NOT_FOUND, "no such employee"))?;
    let old_email = copy.email.clone();
    let changed = apply(&company, &mut copy, patch, today).map_err(|(s, m)| admin_error(s, m))?;
    mark_modified(&mut copy, &changed, now);
    let new_email = copy.email.clone();
    let last_modified_at = clock::v1_timestamp(copy.last_modified_at);
    if let Some(slot) = company.get_mut(id) {
        *slot = copy;
    }
    if old_email != new_email {
        company.reindex_email(&old_email, &new_email, id);
    }
    drop(company);
    let (person_event, employment_event) = patch_events(&changed);
    state.person_changed(id, person_event, employment_event);
    Ok(json_response(
        StatusCode::OK,
        &json!({"id": id, "changed": changed, "last_modified_at": last_modified_at}),
    ))
}

/// `POST /__sandbox/employees` — adds an employee (`first_name` and `last_name` required).
pub(super) async fn add(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, Response> {
    let patch = parse_patch(&body)?;
    let (Some(first), Some(last)) = (patch.first_name.clone(), patch.last_name.clone()) else {
        return Err(admin_error(
            StatusCode::BAD_REQUEST,
            "first_name and last_name are required",
        ));
    };
    let now = state.clock.now();
    let today = state.clock.today();
    let mut company = state.company_mut();
    let id = company.next_id();
    let base = format!("{}.{}", names::fold_ascii(&first), names::fold_ascii(&last));
    let mut email = format!("{base}@{}", org::EMAIL_DOMAIN);
    let mut n = 2;
    while company.by_email(&email).is_some() {
        email = format!("{base}{n}@{}", org::EMAIL_DOMAIN);
        n += 1;
    }
    let engineering = org::DEPARTMENTS.get(1);
    let mut employee = Employee {
        id,
        first_name: first,
        last_name: last,
        preferred_name: String::new(),
        email,
        gender: String::new(),
        status: Status::Active,
        position: String::new(),
        supervisor_id: None,
        employment_type: "internal".to_string(),
        weekly_working_hours: "40".to_string(),
        hire_date: today,
        contract_end_date: None,
        termination_date: None,
        termination_type: String::new(),
        termination_reason: String::new(),
        probation_period_end: today.checked_add_months(chrono::Months::new(6)),
        created_at: now,
        last_modified_at: now,
        office_id: org::OFFICES.first().map(|o| o.id),
        department_id: engineering.map(|d| d.id),
        team_id: None,
        cost_centers: engineering
            .map(|d| vec![(d.cost_center_id, 100)])
            .unwrap_or_default(),
        vacation_entitlement: 28.0,
        fix_salary_cents: 400_000,
        last_working_day: None,
        title: String::new(),
        languages: "German,English".to_string(),
        marital_status: String::new(),
        next_review: None,
        iban: String::new(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(today),
        home_address: String::new(),
        nationality: String::new(),
        personnel_number: format!("NL-{:05}", company.len() + 1),
        field_modified: Vec::new(),
    };
    apply(&company, &mut employee, patch, today).map_err(|(s, m)| admin_error(s, m))?;
    employee.last_modified_at = now;
    let email = employee.email.clone();
    company.push(employee);
    drop(company);
    state.person_changed(
        id,
        Some(events::PERSON_CREATED),
        Some(events::EMPLOYMENT_CREATED),
    );
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"id": id, "email": email}),
    ))
}
