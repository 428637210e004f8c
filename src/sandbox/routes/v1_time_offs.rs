//! Day-unit absences: `GET /v1/company/time-off-types`, `GET|POST /v1/company/time-offs`,
//! `GET /v1/company/time-offs/{id}` (the delete is `v1_shared::delete::<DayAbsence>`).
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

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use serde::Serialize;
use serde_json::Number;

use super::v1_shared::{AbsenceListing, AbsenceRequest, WriteBody, paged, path_text};
use crate::sandbox::absences::{CreatedBy, DayAbsence};
use crate::sandbox::auth::{self, Caller, Need};
use crate::sandbox::clock;
use crate::sandbox::data::{Company, TimeOffType, Unit};
use crate::sandbox::envelope::{self, ShortEmployee, number, short_employee};
use crate::sandbox::state::AppState;
use crate::sandbox::webhooks::events;

/// `limit` default and cap of the types listing.
const DEFAULT_LIMIT: i64 = 200;
const MAX_LIMIT: i64 = 200;

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
    let (_, v, limit, offset) = paged(
        &caller,
        Need::EmployeesRead,
        query.as_deref(),
        (DEFAULT_LIMIT, MAX_LIMIT),
    )?;
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

pub async fn list(
    State(state): State<Arc<AppState>>,
    listing: AbsenceListing,
) -> Result<Response, Response> {
    let company = state.company();
    let absences = state.absences();
    let matching = listing.select(absences.day_of(listing.employees()), |a| {
        company
            .time_off_type(a.type_id)
            .is_some_and(|t| t.unit == Unit::Day)
    });
    Ok(listing.respond(&matching, |a| render(&company, a)))
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
    auth::require(&caller, Need::AbsencesRead)?;
    let id = parse_id(&path_text(id))?;
    let company = state.company();
    let absences = state.absences();
    let period = absences
        .day_by_id(id)
        .and_then(|a| render(&company, a))
        .ok_or_else(envelope::v1_absence_not_found)?;
    Ok(envelope::ok_data(period))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    body: WriteBody,
) -> Result<Response, Response> {
    let request = AbsenceRequest::parse(body, true, |_, _, _, _| {})?;
    let company = state.company();
    let (employee, time_off_type) = request.resolve(
        &company,
        Unit::Day,
        "Time-off type not found.",
        "This API doesn´t support Hourly Absences. Please see the documentation for the right API to use",
    )?;
    let (start, end) = (request.start, request.end);
    let (half_day_start, half_day_end) = (request.half_day_start, request.half_day_end);
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
    let status = request.status(time_off_type);
    let now = state.clock.now();
    let draft = DayAbsence {
        id: 0,
        id_v2: uuid::Uuid::new_v4(),
        employee_id: employee.id,
        type_id: time_off_type.id,
        start,
        end,
        half_day_start,
        half_day_end,
        status,
        comment: request.comment,
        created_by: CreatedBy::Api,
        created_at: now,
        updated_at: now,
    };
    let record = state
        .absences_mut()
        .book_day(draft)
        .ok_or_else(envelope::v1_insert_failed)?;
    state.absence_changed(events::ABSENCE_CREATED, record.id_v2, employee.id);
    let period = render(&company, &record).ok_or_else(envelope::v1_server_error)?;
    Ok(envelope::ok_data(period))
}

#[cfg(test)]
mod tests {
    use super::super::v1_shared::page_index;

    #[test]
    fn page_zero_and_one_are_the_first_page() {
        assert_eq!(page_index(0, 200), (0, 1));
        assert_eq!(page_index(1, 200), (0, 1));
        assert_eq!(page_index(2, 200), (200, 2));
        assert_eq!(page_index(3, 10), (20, 3));
    }
}
