//! `GET /v2/absence-types[/{id}]`, `GET /v2/absence-periods[/{id}]`, `DELETE /v2/absence-periods/{id}`
//! and `GET /v2/absence-periods/{id}/breakdowns` — day and hour absences in one endpoint, over the
//! same store as v1 (a period created in v2 shows in v1's time-offs or absence-periods, and back).
//!
//! Shapes (REFERENCE.md §9.2–9.3, from Personio's reference pages and live-verified clients; every
//! assumption is listed in docs/sandbox.md): `starts_from`/`ends_at` are `{date_time, type}` with a
//! **local** date-time in `timezone_id` (no offset); a day absence ends at the midnight **after** its
//! last day (exclusive); `type` marks half days (`SECOND_HALF` start = from mid-day, `FIRST_HALF` end
//! = until mid-day) and is absent on hour absences; amounts live only in the breakdowns (`DAY` or
//! `HOUR` per calendar day).
//!
//! List filters (AND-combined): `id`, `person.id`, `absence_type.id` (comma lists), the date-time
//! bounds `starts_from.date_time.gte|lte` and `ends_at.date_time.gte|lte` with **overlap** semantics
//! (the lower bounds and the upper bounds each form one window, and a period matches when it overlaps
//! it; `ends_at` is exclusive, so a period ending exactly at the window's start does not match), and
//! `updated_at.gte|lte` (inclusive). Limits 1–100, default 100; breakdowns 1–28, default 28.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::v1_shared::path_text;
use super::v2_shared::{self, Endpoint, Listing};
use crate::sandbox::absences::{AbsenceRef, AbsenceStatus};
use crate::sandbox::auth::{Caller, Need};
use crate::sandbox::calendar::is_working_day;
use crate::sandbox::clock::{self, ACCOUNT_TIME_ZONE, berlin_to_utc};
use crate::sandbox::data::{Company, TimeOffType, Unit};
use crate::sandbox::envelope::number;
use crate::sandbox::params::Query;
use crate::sandbox::state::AppState;
use crate::sandbox::webhooks::events;

const PERIOD_LIMIT: usize = 100;
const TYPE_LIMIT: usize = 100;
const BREAKDOWN_LIMIT: usize = 28;

const PAGE_ONLY: &[&str] = &["limit", "cursor"];
const PERIOD_FILTERS: &[&str] = &[
    "limit",
    "cursor",
    "id",
    "person.id",
    "absence_type.id",
    "starts_from.date_time.gte",
    "starts_from.date_time.lte",
    "ends_at.date_time.gte",
    "ends_at.date_time.lte",
    "updated_at.gte",
    "updated_at.lte",
];

/// `PAID_VACATION` from `paid_vacation`.
fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

fn unit(t: &TimeOffType) -> &'static str {
    match t.unit {
        Unit::Day => "DAY",
        Unit::Hour => "HOUR",
    }
}

fn absence_type(t: &TimeOffType) -> Value {
    json!({"id": t.id_v2.to_string(), "name": t.name, "category": upper(t.category), "unit": unit(t)})
}

/// `GET /v2/absence-types`.
pub struct Types;

impl Endpoint for Types {
    const NEED: Need = Need::AbsencesRead;
    const KEYS: &'static [&'static str] = PAGE_ONLY;
    const LIMITS: (usize, usize) = (TYPE_LIMIT, TYPE_LIMIT);
}

/// `GET /v2/absence-periods`.
pub struct Periods;

impl Endpoint for Periods {
    const NEED: Need = Need::AbsencesRead;
    const KEYS: &'static [&'static str] = PERIOD_FILTERS;
    const LIMITS: (usize, usize) = (PERIOD_LIMIT, PERIOD_LIMIT);
}

/// `GET /v2/absence-periods/{id}/breakdowns`.
pub struct Breakdowns;

impl Endpoint for Breakdowns {
    const NEED: Need = Need::AbsencesRead;
    const KEYS: &'static [&'static str] = PAGE_ONLY;
    const LIMITS: (usize, usize) = (BREAKDOWN_LIMIT, BREAKDOWN_LIMIT);
}

pub async fn types(
    State(state): State<Arc<AppState>>,
    listing: Listing<Types>,
) -> Result<Response, Response> {
    let company = state.company();
    Ok(
        listing.respond(&state.base_url, &company.time_off_types, |t| {
            Some(absence_type(t))
        }),
    )
}

pub async fn type_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    v2_shared::require(&caller, Need::AbsencesRead)?;
    let id = path_text(id);
    let company = state.company();
    let t = Uuid::parse_str(id.trim())
        .ok()
        .and_then(|u| company.time_off_type_by_uuid(u))
        .ok_or_else(v2_shared::not_found)?;
    Ok(v2_shared::one_response(
        absence_type(t),
        format!("{}/v2/absence-types/{}", state.base_url, t.id_v2),
    ))
}

fn local(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// One period as v2 renders it; `None` if its type is unknown.
pub fn render(company: &Company, a: AbsenceRef<'_>, base: &str) -> Option<Value> {
    let t = company.time_off_type(a.type_id())?;
    let (start, end) = a.bounds();
    let (starts_from, ends_at) = match a {
        AbsenceRef::Day(d) => (
            json!({"date_time": local(start), "type": if d.half_day_start { "SECOND_HALF" } else { "FIRST_HALF" }}),
            json!({"date_time": local(end), "type": if d.half_day_end { "FIRST_HALF" } else { "SECOND_HALF" }}),
        ),
        AbsenceRef::Hour(_) => (
            json!({"date_time": local(start)}),
            json!({"date_time": local(end)}),
        ),
    };
    let id = a.v2_id();
    Some(json!({
        "id": id.to_string(),
        "person": {"id": a.employee_id().to_string()},
        "absence_type": {"id": t.id_v2.to_string()},
        "starts_from": starts_from,
        "ends_at": ends_at,
        "timezone_id": ACCOUNT_TIME_ZONE,
        "comment": a.comment(),
        "approval": {"status": match a.status() {
            AbsenceStatus::Approved => "APPROVED",
            AbsenceStatus::Pending => "PENDING",
        }},
        "created_at": clock::v2_timestamp(a.created_at()),
        "updated_at": clock::v2_timestamp(a.updated_at()),
        "_meta": {"links": {
            "self": {"href": format!("{base}/v2/absence-periods/{id}")},
            "breakdowns": {"href": format!("{base}/v2/absence-periods/{id}/breakdowns")},
        }},
    }))
}

/// The parsed list filters.
struct PeriodFilters {
    ids: Vec<String>,
    persons: Vec<String>,
    types: Vec<String>,
    /// The window the period must overlap: `[from, to]`.
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    updated_from: Option<DateTime<Utc>>,
    updated_to: Option<DateTime<Utc>>,
}

impl PeriodFilters {
    fn parse(query: &Query) -> Result<PeriodFilters, Response> {
        let instant = |k: &str| v2_shared::instant(query, k);
        let from = [
            instant("starts_from.date_time.gte")?,
            instant("ends_at.date_time.gte")?,
        ]
        .into_iter()
        .flatten()
        .max();
        let to = [
            instant("starts_from.date_time.lte")?,
            instant("ends_at.date_time.lte")?,
        ]
        .into_iter()
        .flatten()
        .min();
        Ok(PeriodFilters {
            ids: v2_shared::list(query, "id"),
            persons: v2_shared::list(query, "person.id"),
            types: v2_shared::list(query, "absence_type.id"),
            from,
            to,
            updated_from: instant("updated_at.gte")?,
            updated_to: instant("updated_at.lte")?,
        })
    }

    fn accepts(&self, company: &Company, a: AbsenceRef<'_>) -> bool {
        let (start, end) = a.bounds();
        let (start, end) = (berlin_to_utc(start), berlin_to_utc(end));
        let type_id = company
            .time_off_type(a.type_id())
            .map(|t| t.id_v2.to_string())
            .unwrap_or_default();
        (self.ids.is_empty() || self.ids.contains(&a.v2_id().to_string()))
            && (self.persons.is_empty() || self.persons.contains(&a.employee_id().to_string()))
            && (self.types.is_empty() || self.types.contains(&type_id))
            && self.from.is_none_or(|f| end > f)
            && self.to.is_none_or(|t| start <= t)
            && self.updated_from.is_none_or(|f| a.updated_at() >= f)
            && self.updated_to.is_none_or(|t| a.updated_at() <= t)
    }
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    listing: Listing<Periods>,
) -> Result<Response, Response> {
    let filters = PeriodFilters::parse(&listing.query)?;
    let company = state.company();
    let absences = state.absences();
    let mut matching: Vec<AbsenceRef> = absences
        .all()
        .filter(|a| company.get(a.employee_id()).is_some() && filters.accepts(&company, *a))
        .collect();
    matching.sort_by_key(|a| (berlin_to_utc(a.bounds().0), a.v2_id()));
    Ok(listing.respond(&state.base_url, &matching, |a| {
        render(&company, *a, &state.base_url)
    }))
}

fn parse_id(id: Result<Path<String>, PathRejection>) -> Result<Uuid, Response> {
    Uuid::parse_str(path_text(id).trim()).map_err(|_| v2_shared::not_found())
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    v2_shared::require(&caller, Need::AbsencesRead)?;
    let id = parse_id(id)?;
    let company = state.company();
    let absences = state.absences();
    let a = absences.by_v2_id(id).ok_or_else(v2_shared::not_found)?;
    let value = render(&company, a, &state.base_url).ok_or_else(v2_shared::not_found)?;
    Ok(v2_shared::one_response(
        value,
        format!("{}/v2/absence-periods/{id}", state.base_url),
    ))
}

/// 204 No Content; 404 for an unknown or already deleted id.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    v2_shared::require(&caller, Need::AbsencesWrite)?;
    let id = parse_id(id)?;
    let employee = state
        .absences_mut()
        .remove_v2(id)
        .ok_or_else(v2_shared::not_found)?;
    state.absence_changed(events::ABSENCE_DELETED, id, employee);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `(date, unit, amount)` for every calendar day the period touches.
fn breakdown(a: AbsenceRef<'_>) -> Vec<(NaiveDate, &'static str, f64)> {
    match a {
        AbsenceRef::Day(d) => d
            .start
            .iter_days()
            .take_while(|day| *day <= d.end)
            .map(|day| {
                let half = (day == d.start && d.half_day_start) || (day == d.end && d.half_day_end);
                let amount = if !is_working_day(day) {
                    0.0
                } else if half {
                    0.5
                } else {
                    1.0
                };
                (day, "DAY", amount)
            })
            .collect(),
        AbsenceRef::Hour(h) => h
            .breakdown
            .iter()
            .map(|(day, minutes)| (*day, "HOUR", f64::from(*minutes) / 60.0))
            .collect(),
    }
}

pub async fn breakdowns(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    listing: Listing<Breakdowns>,
) -> Result<Response, Response> {
    let id = parse_id(id)?;
    let absences = state.absences();
    let all = breakdown(absences.by_v2_id(id).ok_or_else(v2_shared::not_found)?);
    Ok(listing.respond(&state.base_url, &all, |(day, unit, amount)| {
        Some(json!({"date": clock::plain_date(*day), "effective_duration": {"unit": unit, "value": number(*amount)}}))
    }))
}

/// The absolute `self` link of a created period (also used by the create route).
pub fn period_href(base: &str, id: Uuid) -> String {
    format!("{base}/v2/absence-periods/{id}")
}

/// `_meta.links` of a created resource.
pub fn created(uri_base: &str, id: Uuid) -> Value {
    json!({"id": id.to_string(), "_meta": {"links": {"self": {"href": period_href(uri_base, id)}}}})
}
