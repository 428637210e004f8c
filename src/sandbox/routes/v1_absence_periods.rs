//! Hour-unit absences: `GET|POST /v1/company/absence-periods` (the delete is
//! `v1_shared::delete::<HourAbsence>`).
//!
//! Periods have UUID ids, durations in **minutes** (`effective_duration`, `breakdowns`,
//! `measurement_unit: "minutes"`), `start`/`end` as UTC instants like `2022-05-31T22:00:00.0Z` and
//! `timezone: "Europe/Berlin"`. Listing uses intersection semantics for `start_date`/`end_date`,
//! page-index offsets (0 and 1 = first page, `current_page` 1-based) and a default/maximum limit of 200.
//! Creating takes `start_time`/`end_time` (`HH:mm`) for a same-day period; multi-day periods cover
//! whole working days (the employee's daily hours), halved on the first/last day by `half_day_*`.
//! A day-unit type is refused with Personio's "doesn´t support Daily Absences" 400. The 201 answer
//! carries `data` as an array, as in the spec's example.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use super::v1_shared::{AbsenceListing, AbsenceRequest, WriteBody};
use super::v1_time_offs::{Certificate, NOT_REQUIRED};
use crate::sandbox::absences::{AbsenceStatus, HourAbsence, Origin};
use crate::sandbox::calendar::is_working_day;
use crate::sandbox::clock::{self, ACCOUNT_TIME_ZONE, berlin_to_utc};
use crate::sandbox::data::{Company, Unit};
use crate::sandbox::envelope::{self, Data, ShortEmployee, json_response, short_employee};
use crate::sandbox::params::{self, Fields, Validation};
use crate::sandbox::state::AppState;
use crate::sandbox::webhooks::events;

const DAILY_NOT_SUPPORTED: &str = "This API doesn´t support Daily Absences. Please see the documentation for the right API to use";

#[derive(Serialize)]
pub struct AbsencePeriod<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: HourlyAttributes<'a>,
}

#[derive(Serialize)]
struct HourlyAttributes<'a> {
    id: String,
    measurement_unit: &'static str,
    effective_duration: u32,
    employee: ShortEmployee<'a>,
    absence_type: AbsenceTypeRef,
    certificate: Certificate,
    start: String,
    end: String,
    half_day_start: bool,
    half_day_end: bool,
    comment: &'a str,
    origin: &'static str,
    status: &'static str,
    timezone: &'static str,
    created_by: u64,
    created_at: String,
    updated_at: String,
    approved_at: Option<String>,
    breakdowns: Vec<Breakdown>,
}

#[derive(Serialize)]
struct AbsenceTypeRef {
    #[serde(rename = "type")]
    kind: &'static str,
    attributes: AbsenceTypeAttributes,
}

#[derive(Serialize)]
struct AbsenceTypeAttributes {
    id: String,
    name: &'static str,
    time_off_type_id: u64,
}

#[derive(Serialize)]
struct Breakdown {
    date: String,
    effective_duration: u32,
}

fn render<'a>(company: &'a Company, a: &'a HourAbsence) -> Option<AbsencePeriod<'a>> {
    let employee = company.get(a.employee_id)?;
    let t = company.time_off_type(a.type_id)?;
    Some(AbsencePeriod {
        kind: "AbsencePeriod",
        attributes: HourlyAttributes {
            id: a.id.to_string(),
            measurement_unit: "minutes",
            effective_duration: a.minutes(),
            employee: short_employee(employee),
            absence_type: AbsenceTypeRef {
                kind: "AbsenceType",
                attributes: AbsenceTypeAttributes {
                    id: t.id_v2.to_string(),
                    name: t.name,
                    time_off_type_id: t.id,
                },
            },
            certificate: NOT_REQUIRED,
            start: clock::v1_hourly_instant(berlin_to_utc(a.start)),
            end: clock::v1_hourly_instant(berlin_to_utc(a.end)),
            half_day_start: a.half_day_start,
            half_day_end: a.half_day_end,
            comment: &a.comment,
            origin: a.origin.as_str(),
            status: a.status.as_str(),
            timezone: ACCOUNT_TIME_ZONE,
            created_by: a.created_by,
            created_at: clock::v1_hourly_bookkeeping(a.created_at),
            updated_at: clock::v1_hourly_bookkeeping(a.updated_at),
            approved_at: a.approved_at.map(clock::v1_hourly_bookkeeping),
            breakdowns: a
                .breakdown
                .iter()
                .map(|(d, m)| Breakdown {
                    date: clock::plain_date(*d),
                    effective_duration: *m,
                })
                .collect(),
        },
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    listing: AbsenceListing,
) -> Result<Response, Response> {
    let query = &listing.query;
    let company = state.company();

    let mut type_filter: Option<HashSet<u64>> = None;
    for raw in query.list("absence_types") {
        let t = Uuid::parse_str(&raw)
            .ok()
            .and_then(|id| company.time_off_type_by_uuid(id))
            .ok_or_else(|| {
                envelope::v1_error(StatusCode::NOT_FOUND, 404, "models.absence-types.not-found")
            })?;
        if t.unit == Unit::Day {
            return Err(envelope::v1_error(
                StatusCode::BAD_REQUEST,
                400,
                DAILY_NOT_SUPPORTED,
            ));
        }
        type_filter.get_or_insert_with(HashSet::new).insert(t.id);
    }
    let mut period_filter: Option<HashSet<Uuid>> = None;
    for raw in query.list("absence_periods") {
        let id = Uuid::parse_str(&raw).map_err(|_| envelope::v1_absence_id_invalid())?;
        period_filter.get_or_insert_with(HashSet::new).insert(id);
    }

    let absences = state.absences();
    let matching = listing.select(absences.hour_of(listing.employees()), |a| {
        type_filter.as_ref().is_none_or(|s| s.contains(&a.type_id))
            && period_filter.as_ref().is_none_or(|s| s.contains(&a.id))
    });
    Ok(listing.respond(&matching, |a| render(&company, a)))
}

/// `start_time`/`end_time` (`HH:mm`, required on a same-day period).
fn same_day_times(
    fields: &Fields,
    v: &mut Validation,
    start: NaiveDate,
    end: NaiveDate,
) -> Option<(NaiveTime, NaiveTime)> {
    if start != end {
        return None;
    }
    let mut time = |key: &str| match fields.text(key) {
        None => {
            v.add(
                key,
                format!(
                    "The {} field is required when start date is equal to end date.",
                    key.replace('_', " ")
                ),
            );
            None
        }
        Some(t) => v.formatted(key, &t, "H:i", params::parse_hhmm),
    };
    let from = time("start_time");
    let to = time("end_time");
    let (from, to) = (from?, to?);
    if to <= from {
        v.add("end_time", "The end time must be a time after start time.");
    }
    Some((from, to))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    body: WriteBody,
) -> Result<Response, Response> {
    let mut times = None;
    let request = AbsenceRequest::parse(body, false, |f, v, s, e| {
        times = same_day_times(f, v, s, e);
    })?;
    let company = state.company();
    let (employee, t) = request.resolve(
        &company,
        Unit::Hour,
        "Absence type not found.",
        DAILY_NOT_SUPPORTED,
    )?;
    let (start_date, end_date) = (request.start, request.end);
    let (half_day_start, half_day_end) = (request.half_day_start, request.half_day_end);
    let (start, end, breakdown, hs, he) = match times {
        Some((from, to)) => {
            let minutes = u32::try_from((to - from).num_minutes()).unwrap_or(0);
            (
                start_date.and_time(from),
                start_date.and_time(to),
                vec![(start_date, minutes)],
                false,
                false,
            )
        }
        None => {
            let daily = employee.daily_minutes();
            let breakdown: Vec<(NaiveDate, u32)> = start_date
                .iter_days()
                .take_while(|d| *d <= end_date)
                .filter(|d| is_working_day(*d))
                .map(|d| {
                    let half =
                        (d == start_date && half_day_start) || (d == end_date && half_day_end);
                    (d, if half { daily / 2 } else { daily })
                })
                .collect();
            let end = end_date
                .succ_opt()
                .unwrap_or(end_date)
                .and_time(chrono::NaiveTime::MIN);
            (
                start_date.and_time(chrono::NaiveTime::MIN),
                end,
                breakdown,
                half_day_start,
                half_day_end,
            )
        }
    };
    let status = request.status(t);
    let now = state.clock.now();
    let record = HourAbsence {
        id: Uuid::new_v4(),
        employee_id: employee.id,
        type_id: t.id,
        start,
        end,
        half_day_start: hs,
        half_day_end: he,
        status,
        comment: request.comment,
        origin: Origin::Api,
        created_by: employee.id,
        created_at: now,
        updated_at: now,
        approved_at: (status == AbsenceStatus::Approved).then_some(now),
        breakdown,
    };
    if !state.absences_mut().book_hour(record.clone()) {
        return Err(envelope::v1_insert_failed());
    }
    state.absence_changed(events::ABSENCE_CREATED, record.id, employee.id);
    let period = render(&company, &record).ok_or_else(envelope::v1_server_error)?;
    Ok(json_response(
        StatusCode::CREATED,
        &Data {
            success: true,
            data: vec![period],
        },
    ))
}
