//! `POST /v2/absence-periods` — one create for day and hour absence types.
//!
//! Body (JSON only): `person.id`, `absence_type.id`, `starts_from{date_time, type?}`,
//! `ends_at{date_time, type?}`, `comment`; query `skip_approval` (**default false**, the opposite of
//! v1, REFERENCE.md §11.11). `date_time` is local time in the account's zone (no `timezone_id` in
//! the body); an offset or `Z` is converted to Berlin time. Day types take whole days:
//! `ends_at` is the exclusive midnight after the last day (a non-midnight `ends_at` counts its own
//! day), `starts_from.type: SECOND_HALF` / `ends_at.type: FIRST_HALF` make half days. Hour types take
//! the exact times. Answers 201 `{id, _meta.links.self}`; 400 unreadable JSON, 403 without
//! `personio:absences:write`, 409 overlap, 422 anything else the sandbox cannot book (listed in
//! docs/sandbox.md).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::v1_shared::MAX_PERIOD_DAYS;
use super::v2_absences::created;
use super::v2_shared::{self, unprocessable};
use crate::sandbox::absences::{AbsenceStatus, CreatedBy, DayAbsence, HourAbsence, Origin};
use crate::sandbox::auth::{Caller, Need};
use crate::sandbox::data::{Employee, TimeOffType, Unit};
use crate::sandbox::envelope;
use crate::sandbox::params::{self, Query};
use crate::sandbox::state::AppState;
use crate::sandbox::webhooks::events;

/// Longest accepted comment (the sandbox's bound).
const MAX_COMMENT: usize = 2000;

fn overlap() -> Response {
    v2_shared::error(
        StatusCode::CONFLICT,
        "Conflict",
        "The absence period overlaps with an existing absence period of this person.",
        "absence.overlap",
        json!({}),
    )
}

/// `{"id": "..."}` (string or number) at `body[key]`.
fn id_of(body: &Value, key: &str) -> Option<String> {
    match body.get(key)?.get("id")? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `{date_time, type}` boundary as a Berlin wall-clock time plus its half-day marker.
fn boundary(body: &Value, key: &str) -> Result<Option<(NaiveDateTime, Option<String>)>, Response> {
    let Some(b) = body.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let raw = b
        .get("date_time")
        .and_then(Value::as_str)
        .ok_or_else(|| unprocessable(&format!("{key}.date_time is required.")))?;
    let local = params::parse_date(raw)
        .map(|d| d.and_time(NaiveTime::MIN))
        .or_else(|| {
            params::parse_instant(raw)
                .map(|t| t.with_timezone(&chrono_tz::Europe::Berlin).naive_local())
        })
        .ok_or_else(|| unprocessable(&format!("{key}.date_time is not a valid date-time.")))?;
    let half = match b.get("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "FIRST_HALF" || s == "SECOND_HALF" => Some(s.clone()),
        Some(_) => {
            return Err(unprocessable(&format!(
                "{key}.type must be FIRST_HALF or SECOND_HALF."
            )));
        }
    };
    Ok(Some((local, half)))
}

/// The validated request.
struct Request {
    employee_id: u64,
    type_id: Uuid,
    start: (NaiveDateTime, Option<String>),
    end: (NaiveDateTime, Option<String>),
    comment: String,
    skip_approval: bool,
}

fn parse(body: &[u8], raw_query: Option<&str>) -> Result<Request, Response> {
    let body: Value = serde_json::from_slice(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| v2_shared::bad_request("The request body is not a JSON object.", "body"))?;
    let query = Query::parse(raw_query);
    let skip_approval = match query.first("skip_approval") {
        None => false,
        Some(s) => params::as_bool(&Value::String(s.to_string())).ok_or_else(|| {
            v2_shared::bad_request("skip_approval must be true or false.", "skip_approval")
        })?,
    };
    let employee_id = id_of(&body, "person")
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| unprocessable("person.id is required."))?;
    let type_id = id_of(&body, "absence_type")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| unprocessable("absence_type.id must be an absence type id."))?;
    let start =
        boundary(&body, "starts_from")?.ok_or_else(|| unprocessable("starts_from is required."))?;
    let end = boundary(&body, "ends_at")?.ok_or_else(|| {
        unprocessable("ends_at is required (the sandbox books no open-ended absence periods).")
    })?;
    let comment = match body.get("comment") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= MAX_COMMENT => s.clone(),
        Some(_) => {
            return Err(unprocessable(&format!(
                "comment must be a text of at most {MAX_COMMENT} characters."
            )));
        }
    };
    if end.0 - start.0 > Duration::days(MAX_PERIOD_DAYS) {
        return Err(unprocessable(
            "The period must not be longer than ten years.",
        ));
    }
    Ok(Request {
        employee_id,
        type_id,
        start,
        end,
        comment,
        skip_approval,
    })
}

/// A day absence from the request: whole days, half-day markers, exclusive end.
fn day_absence(
    r: &Request,
    e: &Employee,
    t: &TimeOffType,
    status: AbsenceStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<DayAbsence, Response> {
    let start: NaiveDate = r.start.0.date();
    let end = if r.end.0.time() == NaiveTime::MIN {
        r.end.0.date().pred_opt().unwrap_or(start)
    } else {
        r.end.0.date()
    };
    if end < start {
        return Err(unprocessable("ends_at must lie after starts_from."));
    }
    let half_day_start = r.start.1.as_deref() == Some("SECOND_HALF");
    let half_day_end = r.end.1.as_deref() == Some("FIRST_HALF");
    if start == end && half_day_start && half_day_end {
        return Err(unprocessable(
            "A single-day absence cannot start in the second half and end in the first half.",
        ));
    }
    if (half_day_start || half_day_end) && !t.half_days_allowed {
        return Err(unprocessable(
            "Half-day requests are not enabled for this absence type.",
        ));
    }
    Ok(DayAbsence {
        id: 0,
        id_v2: Uuid::new_v4(),
        employee_id: e.id,
        type_id: t.id,
        start,
        end,
        half_day_start,
        half_day_end,
        status,
        comment: r.comment.clone(),
        created_by: CreatedBy::Api,
        created_at: now,
        updated_at: now,
    })
}

/// An hour absence from the request: exact times, minutes per calendar day.
fn hour_absence(
    r: &Request,
    e: &Employee,
    t: &TimeOffType,
    status: AbsenceStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HourAbsence, Response> {
    let (start, end) = (r.start.0, r.end.0);
    if end <= start {
        return Err(unprocessable("ends_at must lie after starts_from."));
    }
    let breakdown = start
        .date()
        .iter_days()
        .take_while(|d| d.and_time(NaiveTime::MIN) < end)
        .filter_map(|d| {
            let from = start.max(d.and_time(NaiveTime::MIN));
            let to = end.min(d.succ_opt()?.and_time(NaiveTime::MIN));
            u32::try_from((to - from).num_minutes())
                .ok()
                .filter(|m| *m > 0)
                .map(|m| (d, m))
        })
        .collect();
    Ok(HourAbsence {
        id: Uuid::new_v4(),
        employee_id: e.id,
        type_id: t.id,
        start,
        end,
        half_day_start: false,
        half_day_end: false,
        status,
        comment: r.comment.clone(),
        origin: Origin::Api,
        created_by: e.id,
        created_at: now,
        updated_at: now,
        approved_at: (status == AbsenceStatus::Approved).then_some(now),
        breakdown,
    })
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, Response> {
    v2_shared::require(&caller, Need::AbsencesWrite)?;
    let r = parse(&body, raw.as_deref())?;
    let company = state.company();
    let e = company
        .get(r.employee_id)
        .ok_or_else(|| unprocessable("There is no person with this person.id."))?;
    let t = company
        .time_off_type_by_uuid(r.type_id)
        .ok_or_else(|| unprocessable("There is no absence type with this absence_type.id."))?;
    let status = if !r.skip_approval && t.approval_required {
        AbsenceStatus::Pending
    } else {
        AbsenceStatus::Approved
    };
    let now = state.clock.now();
    let id = match t.unit {
        Unit::Day => {
            let draft = day_absence(&r, e, t, status, now)?;
            state
                .absences_mut()
                .book_day(draft)
                .ok_or_else(overlap)?
                .id_v2
        }
        Unit::Hour => {
            let record = hour_absence(&r, e, t, status, now)?;
            let id = record.id;
            if !state.absences_mut().book_hour(record) {
                return Err(overlap());
            }
            id
        }
    };
    state.absence_changed(events::ABSENCE_CREATED, id, e.id);
    Ok(envelope::json_response(
        StatusCode::CREATED,
        &created(&state.base_url, id),
    ))
}
