//! `/v2/absence-periods`: absences of both units in one endpoint, mapped onto the same
//! [`Absence`] v1 produces.
//!
//! Shapes (REFERENCE.md §9.3): `starts_from`/`ends_at` are `{date_time, type?}` with a local
//! date-time in `timezone_id` (no offset). A day period ends at the midnight after its last day
//! (exclusive); `type` marks half days (`SECOND_HALF` at the start = from mid-day, `FIRST_HALF` at
//! the end = until mid-day). Periods carry v2 ids only (UUIDs, for day absences too), no names of
//! the person and no amount: hours are computed from the times; working days need a breakdown
//! request per period, which a listing does not make (`amount` stays empty for day periods).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{Value, json};

use super::super::absences::{AbsenceQuery, NewHourAbsence, NewTimeOff};
use super::super::client::PersonioClient;
use super::super::http::{Body, Request};
use super::super::model::lenient;
use super::super::types::{Absence, PersonRef, TimeOffType, TypeRef, Unit};
use super::absence_types::READ_ABSENCES;
use super::{fetch_json, ref_id};
use crate::error::{Error, Result};

const PATH: &str = "/v2/absence-periods";
const WRITE_ABSENCES: &str = "write absences (v2 scope personio:absences:write)";
/// Personio's maximum page size for absence periods.
const PAGE_SIZE: u32 = 100;
/// Breakdown requests in flight while mapping a listing.
const BREAKDOWNS_IN_FLIGHT: usize = 4;
/// Person ids per listing request (they travel in the query string, like v1's batches).
const PERSON_BATCH: usize = 50;

/// Why a period could not be read; names the field, never a value.
fn unreadable(what: &str) -> Error {
    Error::upstream(format!(
        "Personio sent an unreadable absence period ({what})"
    ))
}

fn local_time(v: Option<&Value>) -> Option<NaiveDateTime> {
    let s = v?.get("date_time")?.as_str()?.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| lenient::timestamp(s).map(|t| t.naive_local()))
}

fn half(v: Option<&Value>, marker: &str) -> bool {
    v.and_then(|b| b.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(marker))
}

fn instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// Last absent day of a period ending at `end` (exclusive): midnight belongs to the day before.
fn last_day(start: NaiveDate, end: NaiveDateTime) -> NaiveDate {
    let d = end.date();
    if end.time() == NaiveTime::MIN && d > start {
        d.pred_opt().unwrap_or(d)
    } else {
        d
    }
}

/// v2 `approval.status` in v1's words (`APPROVED` → `approved`).
fn status(v: &Value) -> String {
    v.pointer("/approval/status")
        .or_else(|| v.get("status"))
        .and_then(lenient::text)
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_else(|| "unknown".into())
}

/// Maps one period. `ty` is the v1 type its `absence_type.id` stands for, when known. Local times
/// of a period that names no zone are read in `company`, the zone they are shown in.
pub(crate) fn parse_period(v: &Value, ty: Option<&TimeOffType>, company: Tz) -> Result<Absence> {
    let id = v
        .get("id")
        .and_then(lenient::text)
        .ok_or_else(|| unreadable("no id"))?;
    let person = ref_id(v.get("person"))
        .and_then(|p| p.trim().parse::<i64>().ok())
        .ok_or_else(|| unreadable("no person id"))?;
    let start = local_time(v.get("starts_from")).ok_or_else(|| unreadable("no start"))?;
    let end = local_time(v.get("ends_at"));
    let zone_name = v.get("timezone_id").and_then(lenient::text);
    let tz: Tz = zone_name
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(company);
    // A type we cannot place is read by the shape of its times: `type` markers only come on days.
    let unit = ty.map(|t| t.unit).unwrap_or_else(|| {
        let marked = v.pointer("/starts_from/type").is_some();
        if marked { Unit::Days } else { Unit::Hours }
    });
    let start_date = start.date();
    let end_date = end.map_or(start_date, |e| last_day(start_date, e));
    let (half_day_start, half_day_end, start_at, end_at, timezone, amount) = match unit {
        Unit::Days => (
            half(v.get("starts_from"), "SECOND_HALF"),
            half(v.get("ends_at"), "FIRST_HALF"),
            None,
            None,
            None,
            None,
        ),
        Unit::Hours => {
            let minutes = end.map(|e| (e - start).num_minutes() as f64);
            (
                false,
                false,
                Some(instant(start, tz)),
                end.map(|e| instant(e, tz)),
                zone_name,
                minutes.map(|m| (m / 60.0 * 100.0).round() / 100.0),
            )
        }
    };
    let stamp = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .and_then(lenient::timestamp)
    };
    Ok(Absence {
        id,
        unit,
        employee: PersonRef {
            id: person,
            ..PersonRef::default()
        },
        time_off_type: TypeRef {
            id: ty.map(|t| t.id),
            name: ty.map(|t| t.name.clone()),
            category: ty.and_then(|t| t.category.clone()),
        },
        start_date,
        end_date,
        half_day_start,
        half_day_end,
        start: start_at,
        end: end_at,
        timezone,
        amount,
        status: status(v),
        comment: v.get("comment").and_then(lenient::text),
        created_at: stamp("created_at"),
        updated_at: stamp("updated_at"),
    })
}

fn listing_requests(query: &AbsenceQuery) -> Vec<Request> {
    let mut base = Request::get(PATH, READ_ABSENCES, "absence").query("limit", PAGE_SIZE);
    // Overlap window: v2 intersects `ends_at ≥ from` with `starts_from ≤ to` (ends_at exclusive).
    if let Some(d) = query.start_date {
        base = base.query("ends_at.date_time.gte", d.format("%Y-%m-%dT00:00:00"));
    }
    if let Some(d) = query.end_date {
        base = base.query("starts_from.date_time.lte", d.format("%Y-%m-%dT23:59:59"));
    }
    if let Some(u) = &query.updated_from {
        base = base.query("updated_at.gte", u);
    }
    if let Some(u) = &query.updated_to {
        base = base.query("updated_at.lte", u);
    }
    if query.employees.is_empty() {
        return vec![base];
    }
    query
        .employees
        .chunks(PERSON_BATCH)
        .map(|chunk| {
            let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
            base.clone().query("person.id", ids.join(","))
        })
        .collect()
}

impl PersonioClient {
    /// The v1 types for the v2 type ids in `items` (v1's list, plus the by-name fallback).
    async fn v2_type_map(&self, items: &[Value]) -> Result<HashMap<String, TimeOffType>> {
        let mut map = HashMap::new();
        for item in items {
            if let Some(uuid) = ref_id(item.get("absence_type"))
                && !map.contains_key(&uuid)
                && let Some(t) = self.type_for_v2_id(&uuid).await?
            {
                map.insert(uuid, t);
            }
        }
        Ok(map)
    }

    async fn map_periods(&self, items: Vec<Value>) -> Result<Vec<Absence>> {
        let types = self.v2_type_map(&items).await?;
        let mut all: Vec<Absence> = items
            .iter()
            .map(|v| {
                let ty = ref_id(v.get("absence_type")).and_then(|u| types.get(&u));
                parse_period(v, ty, self.zone)
            })
            .collect::<Result<_>>()?;
        // Hours over several days count working time only, which the times do not tell: those
        // (rare) periods cost one breakdown request each.
        let spanning: Vec<usize> = (0..all.len())
            .filter(|i| all[*i].unit == Unit::Hours && all[*i].end_date > all[*i].start_date)
            .collect();
        let ids: Vec<String> = spanning.iter().map(|i| all[*i].id.clone()).collect();
        let totals: Vec<Option<f64>> = futures::stream::iter(ids)
            .map(|id| async move { self.v2_breakdown_hours(&id).await })
            .buffered(BREAKDOWNS_IN_FLIGHT)
            .try_collect()
            .await?;
        for (i, total) in spanning.into_iter().zip(totals) {
            all[i].amount = total;
        }
        Ok(all)
    }

    /// The hours a period consumes, from its breakdowns (one entry per calendar day).
    async fn v2_breakdown_hours(&self, id: &str) -> Result<Option<f64>> {
        let id = well_formed(id)?;
        let req = Request::get(
            format!("{PATH}/{id}/breakdowns"),
            READ_ABSENCES,
            "absence period",
        )
        .query("limit", 28);
        let days: Vec<Value> = super::paged(self.http(), req).try_collect().await?;
        let hours: f64 = days
            .iter()
            .filter_map(|d| {
                d.pointer("/effective_duration/value")
                    .and_then(lenient::number_like)
            })
            .sum();
        Ok((!days.is_empty()).then_some((hours * 100.0).round() / 100.0))
    }

    /// Absences of both units overlapping the query's window: one request per page (≤ 100).
    pub(crate) async fn v2_absences(&self, query: &AbsenceQuery) -> Result<Vec<Absence>> {
        let mut items = Vec::new();
        for req in listing_requests(query) {
            let mut page: Vec<Value> = super::paged(self.http(), req).try_collect().await?;
            items.append(&mut page);
        }
        self.map_periods(items).await
    }

    /// One period by id (`NOT_FOUND` when Personio has none).
    pub async fn v2_absence(&self, id: &str) -> Result<Absence> {
        let id = well_formed(id)?;
        let req = Request::get(format!("{PATH}/{id}"), READ_ABSENCES, "absence period");
        let item = fetch_json(self.http(), &req).await?;
        // A single period may come bare or wrapped in `_data`.
        let item = match item.get("_data") {
            Some(inner) if inner.is_object() => inner.clone(),
            _ => item,
        };
        let mut mapped = self.map_periods(vec![item]).await?;
        mapped.pop().ok_or_else(|| unreadable("empty answer"))
    }

    /// Creates a period (JSON) and reads it back: the create answer carries only its id.
    async fn v2_create(&self, body: Value, skip_approval: bool) -> Result<Absence> {
        let req = Request::new(Method::POST, PATH, WRITE_ABSENCES, "person or absence type")
            .query("skip_approval", skip_approval)
            .body(Body::Json(body));
        let created = fetch_json(self.http(), &req).await?;
        let id = created
            .get("id")
            .or_else(|| created.pointer("/_data/id"))
            .and_then(lenient::text)
            .ok_or_else(|| unreadable("the create answer has no id"))?;
        self.v2_absence(&id).await
    }

    async fn v2_type_id(&self, type_id: i64) -> Result<String> {
        let types = self.time_off_types().await?;
        types
            .iter()
            .find(|t| t.id == type_id)
            .and_then(|t| t.id_v2.clone())
            .ok_or_else(|| {
                Error::not_found("Personio names no v2 id for this time-off type")
                    .with_hint("Use --personio-api v1 for this account.")
            })
    }

    /// A day-unit absence through v2: whole days, the end as the exclusive midnight after it.
    pub(crate) async fn v2_create_days(&self, new: &NewTimeOff) -> Result<Absence> {
        let type_id = self.v2_type_id(new.time_off_type_id).await?;
        let after = new.end_date.succ_opt().unwrap_or(new.end_date);
        let mut body = json!({
            "person": {"id": new.employee_id.to_string()},
            "absence_type": {"id": type_id},
            "starts_from": {
                "date_time": new.start_date.format("%Y-%m-%dT00:00:00").to_string(),
                "type": if new.half_day_start { "SECOND_HALF" } else { "FIRST_HALF" },
            },
            "ends_at": {
                "date_time": after.format("%Y-%m-%dT00:00:00").to_string(),
                "type": if new.half_day_end { "FIRST_HALF" } else { "SECOND_HALF" },
            },
        });
        if let (Some(c), Some(m)) = (&new.comment, body.as_object_mut()) {
            m.insert("comment".into(), Value::String(c.clone()));
        }
        self.v2_create(body, new.skip_approval).await
    }

    /// An hour-unit absence through v2: local wall-clock times of one day.
    pub(crate) async fn v2_create_hours(&self, new: &NewHourAbsence) -> Result<Absence> {
        let type_id = self.v2_type_id(new.time_off_type_id).await?;
        let at = |t: NaiveTime| new.date.and_time(t).format("%Y-%m-%dT%H:%M:%S").to_string();
        let mut body = json!({
            "person": {"id": new.employee_id.to_string()},
            "absence_type": {"id": type_id},
            "starts_from": {"date_time": at(new.start_time)},
            "ends_at": {"date_time": at(new.end_time)},
        });
        if let (Some(c), Some(m)) = (&new.comment, body.as_object_mut()) {
            m.insert("comment".into(), Value::String(c.clone()));
        }
        self.v2_create(body, new.skip_approval).await
    }

    /// `DELETE /v2/absence-periods/{id}`: sent once, never replayed (see `delete_time_off`).
    pub(crate) async fn v2_delete(&self, id: &str) -> Result<()> {
        let id = well_formed(id)?;
        let req = Request::new(
            Method::DELETE,
            format!("{PATH}/{id}"),
            WRITE_ABSENCES,
            "absence period",
        );
        fetch_json(self.http(), &req).await.map(|_| ())
    }
}

fn well_formed(id: &str) -> Result<&str> {
    let id = id.trim();
    let ok = (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if ok {
        Ok(id)
    } else {
        Err(Error::validation("an absence period id is a UUID"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vacation() -> TimeOffType {
        TimeOffType {
            id: 1,
            name: "Vacation".into(),
            category: Some("paid_vacation".into()),
            unit: Unit::Days,
            approval_required: Some(true),
            id_v2: Some("abc".into()),
        }
    }

    #[test]
    fn day_periods_end_the_day_before_their_exclusive_midnight() {
        let v = json!({"id":"fd19","person":{"id":"3003"},"absence_type":{"id":"abc"},
            "starts_from":{"date_time":"2026-06-10T00:00:00","type":"SECOND_HALF"},
            "ends_at":{"date_time":"2026-06-13T00:00:00","type":"FIRST_HALF"},
            "timezone_id":"Europe/Berlin","comment":"","approval":{"status":"APPROVED"}});
        let a = parse_period(&v, Some(&vacation()), Tz::UTC).unwrap();
        assert_eq!(a.employee.id, 3003);
        assert_eq!(a.start_date.to_string(), "2026-06-10");
        assert_eq!(a.end_date.to_string(), "2026-06-12");
        assert!(a.half_day_start && a.half_day_end);
        assert_eq!(a.status, "approved");
        assert_eq!(a.time_off_type.id, Some(1));
        assert_eq!(a.comment, None);
        assert_eq!(a.amount, None);
    }

    #[test]
    fn hour_periods_carry_instants_and_hours() {
        let mut t = vacation();
        t.unit = Unit::Hours;
        let v = json!({"id":"ab12","person":{"id":"7"},"absence_type":{"id":"abc"},
            "starts_from":{"date_time":"2026-01-15T09:00:00"},
            "ends_at":{"date_time":"2026-01-15T11:30:00"},
            "timezone_id":"Europe/Berlin","approval":{"status":"PENDING"}});
        let a = parse_period(&v, Some(&t), Tz::UTC).unwrap();
        assert_eq!(a.amount, Some(2.5));
        assert_eq!(a.start.unwrap().to_rfc3339(), "2026-01-15T08:00:00+00:00");
        assert_eq!(a.end_date, a.start_date);
        assert_eq!(a.status, "pending");
    }

    #[test]
    fn a_period_without_person_is_an_error() {
        assert!(
            parse_period(
                &json!({"id":"x","starts_from":{"date_time":"2026-01-01T00:00:00"}}),
                None,
                Tz::UTC
            )
            .is_err()
        );
    }
}
