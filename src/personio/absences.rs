//! Absences of both units, time-off types, balances, and the two write endpoints.

use chrono::{NaiveDate, NaiveTime};
use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{Value, json};

use super::api_choice::Endpoint;
use super::client::PersonioClient;
use super::http::{Body, Request};
use super::model::absence::{
    AbsenceParseError, parse_absence_period, parse_balance, parse_time_off, parse_time_off_type,
};
use super::pagination::{Listing, Paging, fetch_v1};
use super::types::{Absence, Balance, TimeOffType};
use crate::error::{Error, Result};

/// Personio's maximum page size for time-offs and absence-periods.
pub const ABSENCE_PAGE_SIZE: u32 = 200;

/// Personio-side filter of absences. `employees` go in the query string, so they are sent in
/// batches of 50 to keep URLs short (REFERENCE.md §4).
#[derive(Debug, Clone, Default)]
pub struct AbsenceQuery {
    /// Absences overlapping `[start_date, end_date]` (inclusive).
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub employees: Vec<i64>,
    pub updated_from: Option<String>,
    pub updated_to: Option<String>,
}

const EMPLOYEE_BATCH: usize = 50;

impl AbsenceQuery {
    fn requests(&self, path: &str, permission: &'static str) -> Vec<Request> {
        let mut base = Request::get(path, permission, "absence");
        if let Some(d) = self.start_date {
            base = base.query("start_date", d.format("%Y-%m-%d"));
        }
        if let Some(d) = self.end_date {
            base = base.query("end_date", d.format("%Y-%m-%d"));
        }
        if let Some(u) = &self.updated_from {
            base = base.query("updated_from", u);
        }
        if let Some(u) = &self.updated_to {
            base = base.query("updated_to", u);
        }
        if self.employees.is_empty() {
            return vec![base];
        }
        self.employees
            .chunks(EMPLOYEE_BATCH)
            .map(|chunk| {
                chunk
                    .iter()
                    .fold(base.clone(), |r, id| r.query("employees[]", id))
            })
            .collect()
    }
}

/// A day-unit time-off to create (`POST /v1/company/time-offs`).
#[derive(Debug, Clone)]
pub struct NewTimeOff {
    pub employee_id: i64,
    pub time_off_type_id: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub comment: Option<String>,
    /// Sent explicitly, always: Personio's v1 default is `true` (auto-approve).
    pub skip_approval: bool,
}

/// An hour-unit absence to create (`POST /v1/company/absence-periods`), same day only.
#[derive(Debug, Clone)]
pub struct NewHourAbsence {
    pub employee_id: i64,
    pub time_off_type_id: i64,
    pub date: NaiveDate,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub comment: Option<String>,
    pub skip_approval: bool,
}

fn unreadable(what: &str, why: String) -> Error {
    Error::upstream(format!("Personio sent an unreadable {what} ({why})"))
}

impl PersonioClient {
    /// Day-unit absences (`/v1/company/time-offs`), de-duplicated across page-index quirks.
    pub fn time_offs(&self, query: &AbsenceQuery) -> impl Stream<Item = Result<Absence>> + '_ {
        self.absence_listing(query, "/v1/company/time-offs", "time-off", parse_time_off)
    }

    /// Hour-unit absences (`/v1/company/absence-periods`).
    pub fn hour_absences(&self, query: &AbsenceQuery) -> impl Stream<Item = Result<Absence>> + '_ {
        let zone = self.zone;
        self.absence_listing(
            query,
            "/v1/company/absence-periods",
            "absence period",
            move |v| parse_absence_period(v, zone),
        )
    }

    /// One v1 absence listing: the query's batches, each paged by page index, items parsed.
    fn absence_listing(
        &self,
        query: &AbsenceQuery,
        path: &'static str,
        what: &'static str,
        parse: impl Fn(&Value) -> std::result::Result<Absence, AbsenceParseError> + Copy + 'static,
    ) -> impl Stream<Item = Result<Absence>> + '_ {
        let requests = query.requests(path, "read absences");
        futures::stream::iter(requests)
            .flat_map(move |req| {
                Listing::new(self.http(), req, ABSENCE_PAGE_SIZE).paged(Paging::PageIndex)
            })
            .map(move |item| item.and_then(|v| parse(&v).map_err(|e| unreadable(what, e.0))))
    }

    /// Both units, day absences first. The two lists are fetched concurrently (v1), or come
    /// from one listing (v2).
    pub async fn all_absences(&self, query: &AbsenceQuery) -> Result<Vec<Absence>> {
        if self.uses_v2(Endpoint::AbsenceReads).await {
            let mut all = self.v2_absences(query).await?;
            all.sort_by_key(|a| a.unit == super::types::Unit::Hours);
            return Ok(all);
        }
        let (mut all, hours): (Vec<Absence>, Vec<Absence>) = futures::try_join!(
            self.time_offs(query).try_collect(),
            self.hour_absences(query).try_collect()
        )?;
        all.extend(hours);
        Ok(all)
    }

    /// One day-unit time-off by id.
    pub async fn time_off(&self, id: i64) -> Result<Absence> {
        let req = Request::get(
            format!("/v1/company/time-offs/{id}"),
            "read absences",
            "time-off",
        );
        let body = fetch_v1(self.http(), &req).await?;
        parse_time_off(&body.data).map_err(|e| unreadable("time-off", e.0))
    }

    /// All time-off types of the account (cached for a few minutes).
    pub async fn time_off_types(&self) -> Result<std::sync::Arc<Vec<TimeOffType>>> {
        self.inner
            .time_off_types
            .get_or_load(async {
                let req = Request::get(
                    "/v1/company/time-off-types",
                    "read absence types",
                    "time-off type",
                )
                .query("limit", 200)
                .query("offset", 0);
                let body = fetch_v1(self.http(), &req).await?;
                let items = body.data.as_array().cloned().unwrap_or_default();
                items
                    .iter()
                    .map(|v| parse_time_off_type(v).map_err(|e| unreadable("time-off type", e.0)))
                    .collect()
            })
            .await
    }

    /// Balances of one employee, each with the unit of its type.
    pub async fn balances(&self, employee_id: i64) -> Result<Vec<Balance>> {
        let req = Request::get(
            format!("/v1/company/employees/{employee_id}/absences/balance"),
            "read absence balances",
            "employee",
        );
        let body = fetch_v1(self.http(), &req).await?;
        let types = self.time_off_types().await?;
        let items = match body.data {
            Value::Array(items) => items,
            _ => return Err(Error::upstream("Personio sent a non-list balance")),
        };
        items
            .iter()
            .map(|v| {
                let mut b = parse_balance(v).map_err(|e| unreadable("balance", e.0))?;
                b.unit = types
                    .iter()
                    .find(|t| t.id == b.time_off_type_id)
                    .map(|t| t.unit);
                Ok(b)
            })
            .collect()
    }

    /// Creates a day-unit time-off. Never retried once sent (see `http`).
    pub async fn create_time_off(&self, new: &NewTimeOff) -> Result<Absence> {
        if self.uses_v2(Endpoint::AbsenceWrites).await {
            return self.v2_create_days(new).await;
        }
        let mut body = json!({
            "employee_id": new.employee_id,
            "time_off_type_id": new.time_off_type_id,
            "start_date": new.start_date.format("%Y-%m-%d").to_string(),
            "end_date": new.end_date.format("%Y-%m-%d").to_string(),
            "half_day_start": new.half_day_start,
            "half_day_end": new.half_day_end,
            "skip_approval": new.skip_approval,
        });
        if let (Some(c), Some(map)) = (&new.comment, body.as_object_mut()) {
            map.insert("comment".into(), Value::String(c.clone()));
        }
        let req = Request::new(
            Method::POST,
            "/v1/company/time-offs",
            "write absences",
            "employee or time-off type",
        )
        .body(Body::Json(body));
        let body = fetch_v1(self.http(), &req).await?;
        // The spec's schema double-wraps `{success, data}` inside `data`; accept both.
        let data = match body.data.get("data") {
            Some(inner) if body.data.get("success").is_some() => inner.clone(),
            _ => body.data,
        };
        parse_time_off(&data).map_err(|e| unreadable("created time-off", e.0))
    }

    /// Creates an hour-unit absence (same-day start and end time).
    pub async fn create_hour_absence(&self, new: &NewHourAbsence) -> Result<Absence> {
        if self.uses_v2(Endpoint::AbsenceWrites).await {
            return self.v2_create_hours(new).await;
        }
        let date = new.date.format("%Y-%m-%d").to_string();
        let mut form = vec![
            ("employee_id".to_string(), new.employee_id.to_string()),
            (
                "time_off_type_id".to_string(),
                new.time_off_type_id.to_string(),
            ),
            ("start_date".to_string(), date.clone()),
            ("end_date".to_string(), date),
            (
                "start_time".to_string(),
                new.start_time.format("%H:%M").to_string(),
            ),
            (
                "end_time".to_string(),
                new.end_time.format("%H:%M").to_string(),
            ),
            ("skip_approval".to_string(), new.skip_approval.to_string()),
        ];
        if let Some(c) = &new.comment {
            form.push(("comment".to_string(), c.clone()));
        }
        let req = Request::new(
            Method::POST,
            "/v1/company/absence-periods",
            "write absences",
            "employee or time-off type",
        )
        .body(Body::Form(form));
        let body = fetch_v1(self.http(), &req).await?;
        // The spec's example returns `data` as an array of one period.
        let item = match body.data {
            Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
            other => other,
        };
        parse_absence_period(&item, self.zone)
            .map_err(|e| unreadable("created absence period", e.0))
    }

    /// Deletes a day-unit time-off (`DELETE /v1/company/time-offs/{id}`).
    ///
    /// Sent once, never replayed: a 404 is `NOT_FOUND` (no such time-off, or already deleted);
    /// a timeout, cut connection or 5xx after sending is an unknown outcome
    /// ([`super::failure::is_outcome_unknown`]) — the caller looks the absence up before anything
    /// else, because a blind second DELETE would report "not found" for a deletion that worked.
    pub async fn delete_time_off(&self, id: i64) -> Result<()> {
        self.delete(format!("/v1/company/time-offs/{id}"), "time-off")
            .await
    }

    /// Deletes an hour-unit absence period (`DELETE /v1/company/absence-periods/{uuid}`), with
    /// the same outcome rules as [`delete_time_off`](Self::delete_time_off).
    pub async fn delete_hour_absence(&self, id: &str) -> Result<()> {
        let well_formed =
            (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if !well_formed {
            return Err(Error::validation("an absence period id is a UUID"));
        }
        if self.uses_v2(Endpoint::AbsenceWrites).await {
            return self.v2_delete(id).await;
        }
        self.delete(
            format!("/v1/company/absence-periods/{id}"),
            "absence period",
        )
        .await
    }

    async fn delete(&self, path: String, resource: &'static str) -> Result<()> {
        let req = Request::new(Method::DELETE, path, "write absences", resource);
        fetch_v1(self.http(), &req).await.map(|_| ())
    }
}
