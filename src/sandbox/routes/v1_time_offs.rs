//! Day-unit absences: `GET /v1/company/time-off-types`, `GET|POST /v1/company/time-offs`,
//! `GET|DELETE /v1/company/time-offs/{id}`.
//!
//! Quirks reproduced (REFERENCE.md §4, §8.5–8.8, §10, §11):
//! - `offset` is a **page index** and 0 and 1 both mean the first page; `metadata.current_page` is
//!   1-based; `limit` defaults to 200 and is capped at 200.
//! - `half_day_start`/`half_day_end` are integers 0/1 in responses; requests accept booleans, 0/1 and
//!   `"true"`/`"false"`/`"1"`/`"0"`, as JSON or form.
//! - `start_date`/`end_date` are midnight timestamps with the Berlin offset; `end_date` is the last
//!   absent day (inclusive); `days_count` counts working days.
//! - the window filter returns every period **overlapping** `[start_date, end_date]`.
//! - `skip_approval` defaults to true (created `approved`); `false` yields `pending` when the type
//!   requires approval. `created_by` is `"API"` for periods created here.
//! - Only day-unit types are listed or accepted here; hour-unit periods live in absence-periods.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Number;

use super::v1_employees::paging;
use crate::sandbox::absences::{AbsenceStatus, CreatedBy, DayAbsence};
use crate::sandbox::auth::{self, Caller, Need};
use crate::sandbox::clock;
use crate::sandbox::data::{Company, TimeOffType, Unit};
use crate::sandbox::envelope::{self, ListPage, Metadata, ShortEmployee, number, short_employee};
use crate::sandbox::params::{self, Query, Validation};
use crate::sandbox::state::AppState;

pub const DEFAULT_LIMIT: i64 = 200;
/// Longest accepted period (the sandbox's own bound; it keeps day-by-day arithmetic cheap).
pub const MAX_PERIOD_DAYS: i64 = 3660;
pub const MAX_LIMIT: i64 = 200;

#[derive(Serialize)]
struct TypeResource {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: TypeAttributes,
}

#[derive(Serialize)]
struct TypeAttributes {
    id: u64,
    name: &'static str,
    category: &'static str,
    unit: &'static str,
    approval_required: bool,
    id_v2: String,
}

/// `GET /v1/company/time-off-types` — both units, record offset, default limit 200.
pub async fn types(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    auth::require(&caller, Need::EmployeesRead)?;
    let query = Query::parse(query.as_deref());
    let mut v = Validation::default();
    let (limit, offset) = paging(&query, &mut v, 200, 200);
    v.finish()?;
    let company = state.company();
    let data: Vec<TypeResource> = company
        .time_off_types
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|t| TypeResource {
            kind: "TimeOffType",
            attributes: TypeAttributes {
                id: t.id,
                name: t.name,
                category: t.category,
                unit: t.unit.as_str(),
                approval_required: t.approval_required,
                id_v2: t.id_v2.to_string(),
            },
        })
        .collect();
    Ok(envelope::ok_data(data))
}

#[derive(Serialize)]
pub struct TypeRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: TypeRefAttributes,
}

#[derive(Serialize)]
struct TypeRefAttributes {
    id: u64,
    name: &'static str,
    category: &'static str,
}

#[derive(Serialize)]
pub struct Certificate {
    status: &'static str,
}

pub const NOT_REQUIRED: Certificate = Certificate {
    status: "not-required",
};

#[derive(Serialize)]
pub struct TimeOffPeriod<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: TimeOffAttributes<'a>,
}

#[derive(Serialize)]
struct TimeOffAttributes<'a> {
    id: u64,
    status: &'static str,
    comment: &'a str,
    start_date: String,
    end_date: String,
    days_count: Number,
    half_day_start: u8,
    half_day_end: u8,
    time_off_type: TypeRef,
    employee: ShortEmployee<'a>,
    created_by: String,
    certificate: Certificate,
    created_at: String,
    updated_at: String,
    id_v2: String,
}

fn type_ref(t: Option<&TimeOffType>) -> TypeRef {
    TypeRef {
        kind: "TimeOffType",
        attributes: TypeRefAttributes {
            id: t.map_or(0, |t| t.id),
            name: t.map_or("", |t| t.name),
            category: t.map_or("undefined", |t| t.category),
        },
    }
}

/// Renders one period; `None` if its employee no longer exists.
pub fn render<'a>(company: &'a Company, a: &'a DayAbsence) -> Option<TimeOffPeriod<'a>> {
    let employee = company.get(a.employee_id)?;
    let created_by = match a.created_by {
        CreatedBy::Api => "API".to_string(),
        CreatedBy::Employee(id) => company
            .get(id)
            .map_or_else(|| "API".to_string(), |e| e.full_name()),
    };
    Some(TimeOffPeriod {
        kind: "TimeOffPeriod",
        attributes: TimeOffAttributes {
            id: a.id,
            status: a.status.as_str(),
            comment: &a.comment,
            start_date: clock::v1_date(a.start),
            end_date: clock::v1_date(a.end),
            days_count: number(a.days(None)),
            half_day_start: u8::from(a.half_day_start),
            half_day_end: u8::from(a.half_day_end),
            time_off_type: type_ref(company.time_off_type(a.type_id)),
            employee: short_employee(employee),
            created_by,
            certificate: NOT_REQUIRED,
            created_at: clock::v1_timestamp(a.created_at),
            updated_at: clock::v1_timestamp(a.updated_at),
            id_v2: a.id_v2.to_string(),
        },
    })
}

/// Filters shared by the daily and hourly listings.
pub struct Filters {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub updated_from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub updated_to: Option<DateTime<Utc>>,
    pub employees: Option<HashSet<u64>>,
}

impl Filters {
    pub fn parse(query: &Query, v: &mut Validation) -> Filters {
        let mut date = |key: &str| {
            let s = query.first(key)?;
            let parsed = params::parse_date(s);
            if parsed.is_none() {
                v.add(
                    key,
                    format!(
                        "The {} does not match the format Y-m-d.",
                        key.replace('_', " ")
                    ),
                );
            }
            parsed
        };
        let start = date("start_date");
        let end = date("end_date");
        let updated_from = query.first("updated_from").and_then(|s| {
            let parsed = params::parse_instant(s);
            if parsed.is_none() {
                v.add("updated_from", "The updated from is not a valid date.");
            }
            parsed
        });
        // A plain date as upper bound includes that whole day.
        let updated_to = query.first("updated_to").and_then(|s| {
            let parsed = match params::parse_date(s) {
                Some(d) => d.succ_opt().map(clock::berlin_midnight),
                None => params::parse_instant(s).map(|t| {
                    t.checked_add_signed(chrono::Duration::seconds(1))
                        .unwrap_or(t)
                }),
            };
            if parsed.is_none() {
                v.add("updated_to", "The updated to is not a valid date.");
            }
            parsed
        });
        let ids = query.list("employees");
        let employees = if ids.is_empty() {
            None
        } else {
            let mut set = HashSet::new();
            for id in ids {
                match id.parse::<u64>() {
                    Ok(n) => {
                        set.insert(n);
                    }
                    Err(_) => v.add("employees", "The employees must be a list of integers."),
                }
            }
            Some(set)
        };
        Filters {
            start,
            end,
            updated_from,
            updated_to,
            employees,
        }
    }

    /// Whether a period touching `[first, last]`, updated at `updated`, of `employee` passes.
    pub fn accepts(
        &self,
        employee: u64,
        first: NaiveDate,
        last: NaiveDate,
        updated: DateTime<Utc>,
    ) -> bool {
        self.start.is_none_or(|s| last >= s)
            && self.end.is_none_or(|e| first <= e)
            && self.updated_from.is_none_or(|f| updated >= f)
            && self.updated_to.is_none_or(|t| updated < t)
            && self
                .employees
                .as_ref()
                .is_none_or(|set| set.contains(&employee))
    }
}

/// Page-index paging: 0 and 1 are both the first page. Returns (records to skip, 1-based page).
pub fn page_index(offset: i64, limit: i64) -> (usize, i64) {
    let page = offset.max(1);
    let skip = (page - 1).saturating_mul(limit);
    (usize::try_from(skip).unwrap_or(usize::MAX), page)
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    auth::require(&caller, Need::AbsencesRead)?;
    let query = Query::parse(query.as_deref());
    let mut v = Validation::default();
    let (limit, offset) = paging(&query, &mut v, DEFAULT_LIMIT, MAX_LIMIT);
    let filters = Filters::parse(&query, &mut v);
    v.finish()?;
    let company = state.company();
    let absences = state.absences();
    let matching: Vec<&DayAbsence> = absences
        .day()
        .iter()
        .filter(|a| {
            company
                .time_off_type(a.type_id)
                .is_some_and(|t| t.unit == Unit::Day)
                && filters.accepts(a.employee_id, a.start, a.end, a.updated_at)
        })
        .collect();
    let (skip, page) = page_index(offset, limit);
    let data: Vec<TimeOffPeriod> = matching
        .iter()
        .skip(skip)
        .take(usize::try_from(limit).unwrap_or(0))
        .filter_map(|a| render(&company, a))
        .collect();
    Ok(envelope::json_response(
        StatusCode::OK,
        &ListPage {
            success: true,
            metadata: Metadata {
                total_elements: matching.len(),
                current_page: page,
                total_pages: envelope::pages(matching.len(), limit),
            },
            offset,
            limit,
            data,
        },
    ))
}

fn parse_id(id: &str) -> Result<u64, Response> {
    id.trim()
        .parse::<u64>()
        .map_err(|_| envelope::v1_absence_id_invalid())
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    // An undecodable path segment is just an unknown id.
    let id = id.map(|Path(s)| s).unwrap_or_default();
    auth::require(&caller, Need::AbsencesRead)?;
    let id = parse_id(&id)?;
    let company = state.company();
    let absences = state.absences();
    let period = absences
        .day_by_id(id)
        .and_then(|a| render(&company, a))
        .ok_or_else(envelope::v1_absence_not_found)?;
    Ok(envelope::ok_data(period))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    // An undecodable path segment is just an unknown id.
    let id = id.map(|Path(s)| s).unwrap_or_default();
    auth::require(&caller, Need::AbsencesWrite)?;
    let id = parse_id(&id)?;
    match state.absences_mut().remove_day(id) {
        Some(_) => Ok(envelope::v1_deleted()),
        None => Err(envelope::v1_absence_not_found()),
    }
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    auth::require(&caller, Need::AbsencesWrite)?;
    let fields = params::parse_body(&headers, &body).map_err(|_| envelope::v1_malformed_body())?;
    let mut v = Validation::default();
    let employee_id = v.required_int(&fields, "employee_id");
    let type_id = v.required_int(&fields, "time_off_type_id");
    let start = v.required_date(&fields, "start_date");
    let end = v.required_date(&fields, "end_date");
    let half_day_start = v.required_bool(&fields, "half_day_start");
    let half_day_end = v.required_bool(&fields, "half_day_end");
    let skip_approval = v.optional_bool(&fields, "skip_approval", true);
    let comment = fields.text("comment").unwrap_or_default();
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            v.add(
                "end_date",
                "The end date must be a date after or equal to start date.",
            );
        } else if (e - s).num_days() > MAX_PERIOD_DAYS {
            v.add("end_date", "The period must not be longer than ten years.");
        }
    }
    v.finish()?;
    let (
        Some(employee_id),
        Some(type_id),
        Some(start),
        Some(end),
        Some(half_day_start),
        Some(half_day_end),
    ) = (
        employee_id,
        type_id,
        start,
        end,
        half_day_start,
        half_day_end,
    )
    else {
        return Err(envelope::v1_malformed_body());
    };

    let company = state.company();
    let time_off_type = u64::try_from(type_id)
        .ok()
        .and_then(|id| company.time_off_type(id))
        .ok_or_else(|| envelope::v1_error(StatusCode::NOT_FOUND, 0, "Time-off type not found."))?;
    if time_off_type.unit != Unit::Day {
        return Err(envelope::v1_error(
            StatusCode::BAD_REQUEST,
            400,
            "This API doesn´t support Hourly Absences. Please see the documentation for the right API to use",
        ));
    }
    let employee = u64::try_from(employee_id)
        .ok()
        .and_then(|id| company.get(id))
        .ok_or_else(|| envelope::v1_error(StatusCode::NOT_FOUND, 0, "Employee not found."))?;
    if start == end && half_day_start && half_day_end {
        return Err(envelope::v1_error(
            StatusCode::BAD_REQUEST,
            400,
            "Invalid absence day. Reason: Both half day start and half day end are true for a single-day period",
        ));
    }
    if (half_day_start || half_day_end) && !time_off_type.half_days_allowed {
        return Err(envelope::v1_error(
            StatusCode::BAD_REQUEST,
            400,
            "Half-day requests are not enabled for this time-off type.",
        ));
    }
    let status = if !skip_approval && time_off_type.approval_required {
        AbsenceStatus::Pending
    } else {
        AbsenceStatus::Approved
    };
    let now = state.clock.now();
    let mut absences = state.absences_mut();
    if absences.day_clash(employee.id, start, end, half_day_start, half_day_end) {
        return Err(envelope::v1_insert_failed());
    }
    let id = absences.allocate_day_id();
    let record = DayAbsence {
        id,
        id_v2: uuid::Uuid::new_v4(),
        employee_id: employee.id,
        type_id: time_off_type.id,
        start,
        end,
        half_day_start,
        half_day_end,
        status,
        comment,
        created_by: CreatedBy::Api,
        created_at: now,
        updated_at: now,
    };
    absences.insert_day(record.clone());
    drop(absences);
    let period = render(&company, &record).ok_or_else(envelope::v1_server_error)?;
    Ok(envelope::ok_data(period))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_zero_and_one_are_the_first_page() {
        assert_eq!(page_index(0, 200), (0, 1));
        assert_eq!(page_index(1, 200), (0, 1));
        assert_eq!(page_index(2, 200), (200, 2));
        assert_eq!(page_index(3, 10), (20, 3));
    }
}
