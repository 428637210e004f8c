//! The v1 plumbing that the employee, time-off and absence-period routes share: path ids, `limit`/
//! `offset` parsing, the absence listing filters and page-index paging, the `ListPage` answer, and
//! the request fields, look-ups and approval rule common to both absence creates.
//!
//! One home for it keeps the three resources' quirks identical where Personio's are identical (the
//! 422 messages, the overlap window, the page-index offsets), and makes the differences visible in the
//! route files: which unit they accept, which messages they answer with, which fields are required.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use http::StatusCode;
use http::request::Parts;
use serde::Serialize;
use uuid::Uuid;

use crate::sandbox::absences::{AbsenceStatus, AbsenceStore, DayAbsence, HourAbsence};
use crate::sandbox::auth::{self, Caller, Need, caller_of};
use crate::sandbox::clock;
use crate::sandbox::data::{Company, Employee, TimeOffType, Unit};
use crate::sandbox::envelope::{self, ListPage, Metadata};
use crate::sandbox::params::{self, Fields, Query, Validation};
use crate::sandbox::state::AppState;
use crate::sandbox::webhooks::events;

/// Longest accepted period (the sandbox's own bound; it keeps day-by-day arithmetic cheap).
pub const MAX_PERIOD_DAYS: i64 = 3660;

/// The raw text of a `{id}` path segment; an undecodable segment is just an unknown id (`""`).
pub fn path_text(id: Result<Path<String>, PathRejection>) -> String {
    id.map(|Path(s)| s).unwrap_or_default()
}

/// The employee a `{employee_id}` segment names, or Personio's (German) employee 404.
pub fn employee_in_path<'c>(company: &'c Company, raw: &str) -> Result<&'c Employee, Response> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| company.get(id))
        .ok_or_else(envelope::v1_employee_not_found)
}

/// Parses a positive `limit` (default `default`, capped at `max`) and a non-negative `offset`.
pub fn paging(query: &Query, v: &mut Validation, default: i64, max: i64) -> (i64, i64) {
    let limit = match query.first("limit") {
        None => default,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(max),
            _ => {
                v.add("limit", "The limit must be an integer of at least 1.");
                default
            }
        },
    };
    let offset = match query.first("offset") {
        None => 0,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                v.add("offset", "The offset must be an integer of at least 0.");
                0
            }
        },
    };
    (limit, offset)
}

/// The head of a v1 paged read: the permission, the query and `limit`/`offset` (default and cap as
/// given). More checks may be added to the returned [`Validation`] before `finish`.
pub fn paged(
    caller: &Caller,
    need: Need,
    raw: Option<&str>,
    (default, max): (i64, i64),
) -> Result<(Query, Validation, i64, i64), Response> {
    auth::require(caller, need)?;
    let query = Query::parse(raw);
    let mut v = Validation::default();
    let (limit, offset) = paging(&query, &mut v, default, max);
    Ok((query, v, limit, offset))
}

/// `{"success":true,"metadata":{…},"offset":o,"limit":l,"data":[…]}` with status 200.
pub fn list_response<T: Serialize>(
    total: usize,
    current_page: i64,
    offset: i64,
    limit: i64,
    data: Vec<T>,
) -> Response {
    envelope::json_response(
        StatusCode::OK,
        &ListPage {
            success: true,
            metadata: Metadata {
                total_elements: total,
                current_page,
                total_pages: envelope::pages(total, limit),
            },
            offset,
            limit,
            data,
        },
    )
}

/// Filters shared by the daily and hourly listings.
pub struct Filters {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub updated_from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub updated_to: Option<DateTime<Utc>>,
    /// Sorted and without repeats; the store's per-employee index picks the candidates.
    pub employees: Option<Vec<u64>>,
}

impl Filters {
    pub fn parse(query: &Query, v: &mut Validation) -> Filters {
        let mut date = |key: &str| {
            query
                .first(key)
                .and_then(|s| v.formatted(key, s, "Y-m-d", params::parse_date))
        };
        let start = date("start_date");
        let end = date("end_date");
        let updated_from = query.first("updated_from").and_then(|s| {
            v.checked(
                "updated_from",
                params::parse_instant(s),
                "is not a valid date",
            )
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
            v.checked("updated_to", parsed, "is not a valid date")
        });
        let ids = query.list("employees");
        let employees = if ids.is_empty() {
            None
        } else {
            let mut set = Vec::with_capacity(ids.len());
            for id in ids {
                match id.parse::<u64>() {
                    Ok(n) => set.push(n),
                    Err(_) => v.add("employees", "The employees must be a list of integers."),
                }
            }
            set.sort_unstable();
            set.dedup();
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

    /// Whether a period touching `[first, last]`, updated at `updated`, passes the other filters.
    pub fn accepts(&self, first: NaiveDate, last: NaiveDate, updated: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| last >= s)
            && self.end.is_none_or(|e| first <= e)
            && self.updated_from.is_none_or(|f| updated >= f)
            && self.updated_to.is_none_or(|t| updated < t)
    }
}

/// What the shared filters look at: first and last day touched, and last update.
pub trait Span {
    fn span(&self) -> (NaiveDate, NaiveDate, DateTime<Utc>);
}

impl Span for DayAbsence {
    fn span(&self) -> (NaiveDate, NaiveDate, DateTime<Utc>) {
        (self.start, self.end, self.updated_at)
    }
}

impl Span for HourAbsence {
    fn span(&self) -> (NaiveDate, NaiveDate, DateTime<Utc>) {
        (self.first_day(), self.last_day(), self.updated_at)
    }
}

/// Page-index paging: 0 and 1 are both the first page. Returns (records to skip, 1-based page).
pub fn page_index(offset: i64, limit: i64) -> (usize, i64) {
    let page = offset.max(1);
    let skip = (page - 1).saturating_mul(limit);
    (usize::try_from(skip).unwrap_or(usize::MAX), page)
}

/// The head of a v1 absence listing (time-offs and absence-periods alike): the read permission, the
/// query, `limit`/`offset` (default and cap 200) and the shared filters, validated together.
pub struct AbsenceListing {
    pub query: Query,
    pub limit: i64,
    pub offset: i64,
    pub filters: Filters,
}

impl AbsenceListing {
    pub const LIMIT: i64 = 200;

    pub fn parse(caller: &Caller, raw: Option<&str>) -> Result<AbsenceListing, Response> {
        let (query, mut v, limit, offset) =
            paged(caller, Need::AbsencesRead, raw, (Self::LIMIT, Self::LIMIT))?;
        let filters = Filters::parse(&query, &mut v);
        v.finish()?;
        Ok(AbsenceListing {
            query,
            limit,
            offset,
            filters,
        })
    }

    /// The people the listing names, if it names any (sorted, without repeats).
    pub fn employees(&self) -> Option<&[u64]> {
        self.filters.employees.as_deref()
    }

    /// The records of `candidates` (already those of the people named, see
    /// [`Self::employees`]) the shared filters and `also` accept, in their order.
    pub fn select<'a, A: Span>(
        &self,
        candidates: Vec<&'a A>,
        also: impl Fn(&A) -> bool,
    ) -> Vec<&'a A> {
        candidates
            .into_iter()
            .filter(|a| {
                let (first, last, updated) = a.span();
                self.filters.accepts(first, last, updated) && also(a)
            })
            .collect()
    }

    /// The page of `matching` that `offset` (a page index) selects, rendered; records whose
    /// employee vanished render as nothing.
    pub fn respond<'a, A, T: Serialize>(
        &self,
        matching: &[&'a A],
        render: impl Fn(&'a A) -> Option<T>,
    ) -> Response {
        let (skip, page) = page_index(self.offset, self.limit);
        let data: Vec<T> = matching
            .iter()
            .skip(skip)
            .take(usize::try_from(self.limit).unwrap_or(0))
            .filter_map(|a| render(*a))
            .collect();
        list_response(matching.len(), page, self.offset, self.limit, data)
    }
}

/// Handlers take the listing as an extractor: the caller (set by the Bearer check) and the raw query.
impl<S: Send + Sync> FromRequestParts<S> for AbsenceListing {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let caller = caller_of(parts, envelope::v1_unauthorized)?;
        AbsenceListing::parse(&caller, parts.uri.query())
    }
}

/// The body of a v1 absence write, taken by handlers as an extractor: the caller holds the absence
/// write permission (else 403), and the body is JSON or a form (else Personio's 400).
pub struct WriteBody(pub Fields);

impl<S: Send + Sync> FromRequest<S> for WriteBody {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let caller = req
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(envelope::v1_unauthorized)?;
        auth::require(&caller, Need::AbsencesWrite)?;
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        params::parse_body(&headers, &body)
            .map(WriteBody)
            .map_err(|_| envelope::v1_malformed_body())
    }
}

/// The fields both absence creates take, validated (Personio's 422 on any problem).
pub struct AbsenceRequest {
    pub employee_id: i64,
    pub type_id: i64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub skip_approval: bool,
    pub comment: String,
}

impl AbsenceRequest {
    /// Validates a write body. Half days are required by time-offs and optional (false) for
    /// absence periods; `extra` validates resource-specific fields once the date range is sound.
    pub fn parse(
        WriteBody(fields): WriteBody,
        half_days_required: bool,
        extra: impl FnOnce(&Fields, &mut Validation, NaiveDate, NaiveDate),
    ) -> Result<AbsenceRequest, Response> {
        let mut v = Validation::default();
        let employee_id = v.required_int(&fields, "employee_id");
        let type_id = v.required_int(&fields, "time_off_type_id");
        let start = v.required_date(&fields, "start_date");
        let end = v.required_date(&fields, "end_date");
        let (half_day_start, half_day_end) = if half_days_required {
            (
                v.required_bool(&fields, "half_day_start"),
                v.required_bool(&fields, "half_day_end"),
            )
        } else {
            (
                Some(v.optional_bool(&fields, "half_day_start", false)),
                Some(v.optional_bool(&fields, "half_day_end", false)),
            )
        };
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
            } else {
                extra(&fields, &mut v, s, e);
            }
        }
        v.finish()?;
        match (
            employee_id, type_id, start, end, half_day_start, half_day_end,
        ) {
            (Some(employee_id), Some(type_id), Some(start), Some(end), Some(hs), Some(he)) => {
                Ok(AbsenceRequest {
                    employee_id,
                    type_id,
                    start,
                    end,
                    half_day_start: hs,
                    half_day_end: he,
                    skip_approval,
                    comment,
                })
            }
            _ => Err(envelope::v1_malformed_body()),
        }
    }

    /// The requested type (of unit `unit`) and employee, or the resource's own 404/400 answers.
    pub fn resolve<'c>(
        &self,
        company: &'c Company,
        unit: Unit,
        type_missing: &str,
        wrong_unit: &str,
    ) -> Result<(&'c Employee, &'c TimeOffType), Response> {
        let t = u64::try_from(self.type_id)
            .ok()
            .and_then(|id| company.time_off_type(id))
            .ok_or_else(|| envelope::v1_error(StatusCode::NOT_FOUND, 0, type_missing))?;
        if t.unit != unit {
            return Err(envelope::v1_error(StatusCode::BAD_REQUEST, 400, wrong_unit));
        }
        let employee = u64::try_from(self.employee_id)
            .ok()
            .and_then(|id| company.get(id))
            .ok_or_else(|| envelope::v1_error(StatusCode::NOT_FOUND, 0, "Employee not found."))?;
        Ok((employee, t))
    }

    /// v1's approval rule: `skip_approval` defaults to true; only `false` on a type that requires
    /// approval yields `pending` (REFERENCE.md §11.11).
    pub fn status(&self, t: &TimeOffType) -> AbsenceStatus {
        if !self.skip_approval && t.approval_required {
            AbsenceStatus::Pending
        } else {
            AbsenceStatus::Approved
        }
    }
}

/// What a v1 delete route needs to know about its unit: how its ids are spelled and how a record
/// leaves the store.
pub trait Deletable {
    type Id;
    fn parse_id(raw: &str) -> Option<Self::Id>;
    /// Removes the record; its v2 id and employee (for the webhook) if it existed.
    fn remove(store: &mut AbsenceStore, id: Self::Id) -> Option<(Uuid, u64)>;
}

impl Deletable for DayAbsence {
    type Id = u64;

    fn parse_id(raw: &str) -> Option<u64> {
        raw.parse().ok()
    }

    fn remove(store: &mut AbsenceStore, id: u64) -> Option<(Uuid, u64)> {
        store.remove_day(id).map(|a| (a.id_v2, a.employee_id))
    }
}

impl Deletable for HourAbsence {
    type Id = Uuid;

    fn parse_id(raw: &str) -> Option<Uuid> {
        Uuid::parse_str(raw).ok()
    }

    fn remove(store: &mut AbsenceStore, id: Uuid) -> Option<(Uuid, u64)> {
        store.remove_hour(id).map(|a| (a.id, a.employee_id))
    }
}

/// `DELETE /v1/company/time-offs/{id}` (`A` = [`DayAbsence`]) and
/// `DELETE /v1/company/absence-periods/{id}` (`A` = [`HourAbsence`]): the write permission (403), a
/// well-formed id (400 "The absence period id is invalid."), then Personio's success body, or its 404
/// for an unknown or already deleted id. A removal is announced to webhooks.
pub async fn delete<A: Deletable>(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    auth::require(&caller, Need::AbsencesWrite)?;
    let id = A::parse_id(path_text(id).trim()).ok_or_else(envelope::v1_absence_id_invalid)?;
    let removed = A::remove(&mut state.absences_mut(), id);
    match removed {
        Some((v2_id, employee)) => {
            state.absence_changed(events::ABSENCE_DELETED, v2_id, employee);
            Ok(envelope::v1_deleted())
        }
        None => Err(envelope::v1_absence_not_found()),
    }
}
