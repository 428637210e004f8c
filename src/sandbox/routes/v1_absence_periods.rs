//! Hour-unit absences: `GET|POST /v1/company/absence-periods`, `DELETE /v1/company/absence-periods/{id}`.
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

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::NaiveDate;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use uuid::Uuid;

use super::v1_employees::paging;
use super::v1_time_offs::{Certificate, Filters, MAX_PERIOD_DAYS, NOT_REQUIRED, page_index};
use crate::sandbox::absences::{AbsenceStatus, HourAbsence, Origin};
use crate::sandbox::auth::{self, Caller, Need};
use crate::sandbox::calendar::is_working_day;
use crate::sandbox::clock::{self, ACCOUNT_TIME_ZONE, berlin_to_utc};
use crate::sandbox::data::{Company, Unit};
use crate::sandbox::envelope::{
    self, Data, ListPage, Metadata, ShortEmployee, json_response, short_employee,
};
use crate::sandbox::params::{self, Query, Validation};
use crate::sandbox::state::AppState;

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
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, Response> {
    auth::require(&caller, Need::AbsencesRead)?;
    let query = Query::parse(query.as_deref());
    let mut v = Validation::default();
    let (limit, offset) = paging(&query, &mut v, 200, 200);
    let filters = Filters::parse(&query, &mut v);
    v.finish()?;
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
    let matching: Vec<&HourAbsence> = absences
        .hour()
        .iter()
        .filter(|a| {
            filters.accepts(a.employee_id, a.first_day(), a.last_day(), a.updated_at)
                && type_filter.as_ref().is_none_or(|s| s.contains(&a.type_id))
                && period_filter.as_ref().is_none_or(|s| s.contains(&a.id))
        })
        .collect();
    let (skip, page) = page_index(offset, limit);
    let data: Vec<AbsencePeriod> = matching
        .iter()
        .skip(skip)
        .take(usize::try_from(limit).unwrap_or(0))
        .filter_map(|a| render(&company, a))
        .collect();
    Ok(json_response(
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
    let start_date = v.required_date(&fields, "start_date");
    let end_date = v.required_date(&fields, "end_date");
    let half_day_start = v.optional_bool(&fields, "half_day_start", false);
    let half_day_end = v.optional_bool(&fields, "half_day_end", false);
    let skip_approval = v.optional_bool(&fields, "skip_approval", true);
    let comment = fields.text("comment").unwrap_or_default();
    let mut times = None;
    if let (Some(s), Some(e)) = (start_date, end_date) {
        if e < s {
            v.add(
                "end_date",
                "The end date must be a date after or equal to start date.",
            );
        } else if (e - s).num_days() > MAX_PERIOD_DAYS {
            v.add("end_date", "The period must not be longer than ten years.");
        } else if s == e {
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
                Some(t) => {
                    let parsed = params::parse_hhmm(&t);
                    if parsed.is_none() {
                        v.add(
                            key,
                            format!(
                                "The {} does not match the format H:i.",
                                key.replace('_', " ")
                            ),
                        );
                    }
                    parsed
                }
            };
            let from = time("start_time");
            let to = time("end_time");
            if let (Some(from), Some(to)) = (from, to) {
                if to <= from {
                    v.add("end_time", "The end time must be a time after start time.");
                }
                times = Some((from, to));
            }
        }
    }
    v.finish()?;
    let (Some(employee_id), Some(type_id), Some(start_date), Some(end_date)) =
        (employee_id, type_id, start_date, end_date)
    else {
        return Err(envelope::v1_malformed_body());
    };

    let company = state.company();
    let t = u64::try_from(type_id)
        .ok()
        .and_then(|id| company.time_off_type(id))
        .ok_or_else(|| envelope::v1_error(StatusCode::NOT_FOUND, 0, "Absence type not found."))?;
    if t.unit == Unit::Day {
        return Err(envelope::v1_error(
            StatusCode::BAD_REQUEST,
            400,
            DAILY_NOT_SUPPORTED,
        ));
    }
    let employee = u64::try_from(employee_id)
        .ok()
        .and_then(|id| company.get(id))
        .ok_or_else(|| envelope::v1_error(StatusCode::NOT_FOUND, 0, "Employee not found."))?;

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
    let status = if !skip_approval && t.approval_required {
        AbsenceStatus::Pending
    } else {
        AbsenceStatus::Approved
    };
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
        comment,
        origin: Origin::Api,
        created_by: employee.id,
        created_at: now,
        updated_at: now,
        approved_at: (status == AbsenceStatus::Approved).then_some(now),
        breakdown,
    };
    {
        let mut absences = state.absences_mut();
        if absences.hour_clash(employee.id, start, end) {
            return Err(envelope::v1_insert_failed());
        }
        absences.insert_hour(record.clone());
    }
    let period = render(&company, &record).ok_or_else(envelope::v1_server_error)?;
    Ok(json_response(
        StatusCode::CREATED,
        &Data {
            success: true,
            data: vec![period],
        },
    ))
}

pub async fn delete(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    // An undecodable path segment is just an unknown id.
    let id = id.map(|Path(s)| s).unwrap_or_default();
    auth::require(&caller, Need::AbsencesWrite)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| envelope::v1_absence_id_invalid())?;
    match state.absences_mut().remove_hour(id) {
        Some(_) => Ok(envelope::v1_deleted()),
        None => Err(envelope::v1_absence_not_found()),
    }
}
