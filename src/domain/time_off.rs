//! Creating time off safely: resolve the type, validate like Personio would (before any write),
//! find an identical existing absence instead of booking twice, and route day and hour types to
//! their endpoints. Requests always go in *pending* (`skip_approval=false`): Personio's v1 default
//! would auto-approve them.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde_json::json;

use super::absences::{AbsenceFilter, list};
use super::calendar::working_days;
use super::normalize::plain_fold;
use crate::error::{Error, ErrorCode, Result};
use crate::personio::{
    Absence, Employee, NewHourAbsence, NewTimeOff, PersonioClient, TimeOffType, Unit,
};

/// Resolves a type reference: a numeric id, or a name (case- and accent-insensitive; a unique
/// prefix is accepted).
pub fn resolve_type<'a>(types: &'a [TimeOffType], reference: &str) -> Result<&'a TimeOffType> {
    let r = reference.trim();
    if let Ok(id) = r.parse::<i64>() {
        return types.iter().find(|t| t.id == id).ok_or_else(|| {
            Error::not_found(format!("no time-off type has id {id}"))
                .with_hint("Call list_time_off_types to see the valid types.")
        });
    }
    let q = plain_fold(r);
    let q = q.trim();
    if q.is_empty() {
        return Err(Error::validation("no time-off type given"));
    }
    let exact: Vec<&TimeOffType> = types
        .iter()
        .filter(|t| plain_fold(&t.name).trim() == q)
        .collect();
    let candidates = if exact.is_empty() {
        types
            .iter()
            .filter(|t| {
                let name = plain_fold(&t.name);
                name.starts_with(q) || name.split_whitespace().any(|w| w.starts_with(q))
            })
            .collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::not_found("no time-off type matches that name")
            .with_hint("Call list_time_off_types to see the valid types.")
            .with_details(json!({"available": types.iter().map(|t| &t.name).collect::<Vec<_>>()}))),
        many => Err(Error::new(
            ErrorCode::Ambiguous,
            format!("{} time-off types match that name", many.len()),
        )
        .with_hint("Pass the type id instead.")
        .with_details(json!({"candidates": many.iter().map(|t| json!({"id": t.id, "name": t.name, "unit": t.unit})).collect::<Vec<_>>()}))),
    }
}

/// A request to create time off, before validation.
#[derive(Debug, Clone)]
pub struct TimeOffRequest {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub start_time: Option<NaiveTime>,
    pub end_time: Option<NaiveTime>,
    pub comment: Option<String>,
}

/// The longest single request accepted.
pub const MAX_REQUEST_DAYS: i64 = 366;

/// Checks everything that can be checked without Personio. Returns the amount the request will
/// consume (working days, or hours).
pub fn validate(ty: &TimeOffType, req: &TimeOffRequest) -> Result<f64> {
    if req.end_date < req.start_date {
        return Err(Error::validation(format!(
            "end_date {} is before start_date {}",
            req.end_date, req.start_date
        ))
        .with_hint("Swap the dates; end_date is the last day of absence (inclusive)."));
    }
    if (req.end_date - req.start_date).num_days() + 1 > MAX_REQUEST_DAYS {
        return Err(Error::validation(format!(
            "a request may cover at most {MAX_REQUEST_DAYS} days"
        )));
    }
    if let Some(c) = &req.comment
        && c.chars().count() > 1000
    {
        return Err(Error::validation("comment is longer than 1000 characters"));
    }
    match ty.unit {
        Unit::Days => {
            if req.start_time.is_some() || req.end_time.is_some() {
                return Err(Error::validation(format!(
                    "\"{}\" is counted in days; start_time and end_time are only for hour-based types",
                    ty.name
                ))
                .with_hint("Drop the times, or use half_day_start / half_day_end for half days."));
            }
            if req.start_date == req.end_date && req.half_day_start && req.half_day_end {
                return Err(Error::validation(
                    "Invalid absence day. Reason: Both half day start and half day end are true for a single-day period",
                )
                .with_hint(
                    "For a single half day set only one flag: half_day_start = afternoon off, half_day_end = morning off.",
                ));
            }
            let days = working_days(
                req.start_date,
                req.end_date,
                req.half_day_start,
                req.half_day_end,
            );
            if days <= 0.0 {
                return Err(Error::validation(
                    "the requested dates contain no working day (Monday to Friday)",
                )
                .with_hint("Check the dates: weekends need no time off."));
            }
            Ok(days)
        }
        Unit::Hours => {
            if req.half_day_start || req.half_day_end {
                return Err(Error::validation(format!(
                    "\"{}\" is counted in hours; half-day flags are only for day-based types",
                    ty.name
                ))
                .with_hint("Give start_time and end_time instead."));
            }
            let (Some(start), Some(end)) = (req.start_time, req.end_time) else {
                return Err(Error::validation(format!(
                    "\"{}\" is counted in hours: start_time and end_time (HH:MM) are required",
                    ty.name
                )));
            };
            if req.start_date != req.end_date {
                return Err(Error::validation(
                    "hour-based absences must start and end on the same day",
                )
                .with_hint("Book one request per day."));
            }
            if end <= start {
                return Err(Error::validation("end_time must be after start_time"));
            }
            Ok(((end - start).num_minutes() as f64 / 60.0 * 100.0).round() / 100.0)
        }
    }
}

/// Local start and end time of an hour absence, in its own time zone (Berlin when unknown).
fn local_times(a: &Absence) -> Option<(NaiveTime, NaiveTime)> {
    let tz = a
        .timezone
        .as_deref()
        .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::Europe::Berlin);
    Some((
        a.start?.with_timezone(&tz).time(),
        a.end?.with_timezone(&tz).time(),
    ))
}

fn same_request(a: &Absence, ty: &TimeOffType, req: &TimeOffRequest) -> bool {
    a.time_off_type.id == Some(ty.id)
        && a.start_date == req.start_date
        && a.end_date == req.end_date
        && match ty.unit {
            Unit::Days => {
                a.half_day_start == req.half_day_start && a.half_day_end == req.half_day_end
            }
            Unit::Hours => local_times(a) == req.start_time.zip(req.end_time),
        }
}

fn overlaps(a: &Absence, ty: &TimeOffType, req: &TimeOffRequest) -> bool {
    if a.start_date > req.end_date || a.end_date < req.start_date {
        return false;
    }
    match (ty.unit, a.unit) {
        // An hour booking only clashes with another hour booking if the times intersect.
        (Unit::Hours, Unit::Hours) => match (local_times(a), req.start_time, req.end_time) {
            (Some((s, e)), Some(rs), Some(re)) => s < re && rs < e,
            _ => true,
        },
        _ => true,
    }
}

/// Everything known about a request before it is written: validated, checked against existing
/// absences and the balance. Building a plan never writes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub employee: Employee,
    pub time_off_type: TimeOffType,
    pub request: TimeOffRequest,
    /// Working days or hours the request consumes.
    pub amount: f64,
    /// An identical absence that already exists (then nothing must be written).
    pub existing: Option<Absence>,
    /// Available balance after the request (day types with a known balance).
    pub balance_after: Option<f64>,
    pub warnings: Vec<String>,
}

impl Plan {
    /// The request in canonical form: what a confirmation or idempotency key is bound to.
    pub fn canonical(&self) -> serde_json::Value {
        let r = &self.request;
        json!({
            "employee_id": self.employee.id,
            "time_off_type_id": self.time_off_type.id,
            "start_date": r.start_date.to_string(),
            "end_date": r.end_date.to_string(),
            "half_day_start": r.half_day_start,
            "half_day_end": r.half_day_end,
            "start_time": r.start_time.map(|t| t.format("%H:%M").to_string()),
            "end_time": r.end_time.map(|t| t.format("%H:%M").to_string()),
            "comment": r.comment,
        })
    }

    /// One sentence a human can confirm.
    pub fn summary(&self) -> String {
        let r = &self.request;
        let when = match (self.time_off_type.unit, r.start_time, r.end_time) {
            (Unit::Hours, Some(s), Some(e)) => format!(
                "on {} from {} to {}",
                r.start_date,
                s.format("%H:%M"),
                e.format("%H:%M")
            ),
            _ if r.start_date == r.end_date => {
                let half = match (r.half_day_start, r.half_day_end) {
                    (true, _) => " (afternoon only)",
                    (_, true) => " (morning only)",
                    _ => "",
                };
                format!("on {}{half}", r.start_date)
            }
            _ => {
                let mut s = format!("from {} to {}", r.start_date, r.end_date);
                if r.half_day_start {
                    s.push_str(", first day from midday");
                }
                if r.half_day_end {
                    s.push_str(", last day until midday");
                }
                s
            }
        };
        let unit = match (self.time_off_type.unit, self.amount == 1.0) {
            (Unit::Days, true) => "day",
            (Unit::Hours, true) => "hour",
            (u, false) => u.as_str(),
        };
        let mut text = format!(
            "Request \"{}\" for {} (id {}) {when}: {} {unit}.",
            self.time_off_type.name,
            self.employee.full_name(),
            self.employee.id,
            self.amount,
        );
        if let Some(after) = self.balance_after {
            text.push_str(&format!(" Available balance afterwards: {after} days."));
        }
        text
    }
}

/// Validates and checks a request against Personio's current data, without writing.
pub async fn prepare(
    client: &PersonioClient,
    employee: &Employee,
    ty: &TimeOffType,
    req: &TimeOffRequest,
    today: NaiveDate,
    allow_past: bool,
) -> Result<Plan> {
    let amount = validate(ty, req)?;
    if req.start_date < today && !allow_past {
        return Err(Error::validation(format!(
            "start_date {} is in the past",
            req.start_date
        ))
        .with_hint("Past absences are usually recorded by HR; if this is intended, call again with allow_past=true."));
    }
    let existing = list(
        client,
        &AbsenceFilter {
            employees: Some(vec![employee.id]),
            from: req.start_date,
            to: req.end_date,
            type_ids: None,
            statuses: None,
        },
    )
    .await?;
    let mut plan = Plan {
        employee: employee.clone(),
        time_off_type: ty.clone(),
        request: req.clone(),
        amount,
        existing: None,
        balance_after: None,
        warnings: Vec::new(),
    };
    if let Some(same) = existing.iter().find(|a| same_request(a, ty, req)) {
        plan.warnings.push(format!(
            "An identical absence (id {}) already exists; nothing new is booked.",
            same.id
        ));
        plan.existing = Some(same.clone());
        return Ok(plan);
    }
    if let Some(clash) = existing.iter().find(|a| overlaps(a, ty, req)) {
        return Err(Error::new(
            ErrorCode::Conflict,
            format!(
                "the request overlaps an existing absence (id {}, {} to {}, status {})",
                clash.id, clash.start_date, clash.end_date, clash.status
            ),
        )
        .with_hint("Choose other dates, or ask HR to change the existing absence first."));
    }
    // Personio's balance is this year's; a request for another year cannot be judged against it.
    if ty.unit == Unit::Days && req.start_date.year() != today.year() {
        plan.warnings.push(format!(
            "The balance for {} is not known yet, so it was not checked.",
            req.start_date.year()
        ));
    } else if ty.unit == Unit::Days {
        match client.balances(employee.id).await {
            Ok(balances) => {
                if let Some(b) = balances.iter().find(|b| b.time_off_type_id == ty.id) {
                    let left = b.available_balance.unwrap_or(b.balance);
                    plan.balance_after = Some(left - amount);
                    if left - amount < 0.0 {
                        plan.warnings.push(format!(
                            "This request ({amount} days) exceeds the available balance of {left} days; \
the balance would become {}.",
                            left - amount
                        ));
                    }
                }
            }
            Err(e) => plan
                .warnings
                .push(format!("The balance could not be checked ({}).", e.code)),
        }
    }
    if ty.approval_required == Some(true) {
        plan.warnings.push(
            "This type needs approval: the request stays pending until it is approved in Personio."
                .into(),
        );
    }
    Ok(plan)
}

/// Serialises writes per employee inside this process, so two identical concurrent calls cannot
/// both pass the duplicate check before either has written.
#[derive(Default)]
pub struct WriteLocks {
    locks: std::sync::Mutex<std::collections::HashMap<i64, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl WriteLocks {
    pub async fn lock(&self, employee_id: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(employee_id).or_default().clone()
        };
        lock.lock_owned().await
    }
}

async fn find_same(client: &PersonioClient, plan: &Plan) -> Result<Option<Absence>> {
    let existing = list(
        client,
        &AbsenceFilter {
            employees: Some(vec![plan.employee.id]),
            from: plan.request.start_date,
            to: plan.request.end_date,
            type_ids: None,
            statuses: None,
        },
    )
    .await?;
    Ok(existing
        .into_iter()
        .find(|a| same_request(a, &plan.time_off_type, &plan.request)))
}

async fn post(client: &PersonioClient, plan: &Plan, skip_approval: bool) -> Result<Absence> {
    let req = &plan.request;
    match plan.time_off_type.unit {
        Unit::Days => {
            client
                .create_time_off(&NewTimeOff {
                    employee_id: plan.employee.id,
                    time_off_type_id: plan.time_off_type.id,
                    start_date: req.start_date,
                    end_date: req.end_date,
                    half_day_start: req.half_day_start,
                    half_day_end: req.half_day_end,
                    comment: req.comment.clone(),
                    skip_approval,
                })
                .await
        }
        Unit::Hours => {
            let (Some(start_time), Some(end_time)) = (req.start_time, req.end_time) else {
                return Err(Error::validation("start_time and end_time are required"));
            };
            client
                .create_hour_absence(&NewHourAbsence {
                    employee_id: plan.employee.id,
                    time_off_type_id: plan.time_off_type.id,
                    date: req.start_date,
                    start_time,
                    end_time,
                    comment: req.comment.clone(),
                    skip_approval,
                })
                .await
        }
    }
}

/// Writes a plan. Never writes twice: when the POST fails in a way that may have stored it (a
/// timeout, a 5xx, a clash reported by Personio), the absence is looked up first; only if it is
/// not there is the POST sent once more. `skip_approval` is sent explicitly, always.
pub async fn commit(
    client: &PersonioClient,
    locks: &WriteLocks,
    plan: &Plan,
    skip_approval: bool,
) -> Result<(Absence, bool)> {
    let _guard = locks.lock(plan.employee.id).await;
    if let Some(same) = find_same(client, plan).await? {
        return Ok((same, false));
    }
    let mut last_error = None;
    for attempt in 0..2 {
        match post(client, plan, skip_approval).await {
            Ok(a) => return Ok((a, true)),
            Err(e)
                if matches!(
                    e.code,
                    ErrorCode::UpstreamUnavailable
                        | ErrorCode::UpstreamError
                        | ErrorCode::ValidationFailed
                        | ErrorCode::RateLimited
                ) =>
            {
                tracing::warn!(attempt, code = %e.code, "create failed; looking the absence up before deciding");
                match find_same(client, plan).await {
                    Ok(Some(same)) => return Ok((same, true)),
                    Ok(None) if e.code == ErrorCode::ValidationFailed => return Err(e),
                    Ok(None) => last_error = Some(e),
                    Err(lookup) => {
                        // Unknown state: do not risk a second write.
                        return Err(e.with_hint(format!(
                            "Personio could not be checked afterwards ({}); look the absence up with list_absences before trying again.",
                            lookup.code
                        )));
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| Error::unavailable("the absence could not be created")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(unit: Unit) -> TimeOffType {
        TimeOffType {
            id: 1,
            name: "Paid vacation".into(),
            category: Some("paid_vacation".into()),
            unit,
            approval_required: Some(true),
            id_v2: None,
        }
    }

    fn req(s: (i32, u32, u32), e: (i32, u32, u32)) -> TimeOffRequest {
        TimeOffRequest {
            start_date: NaiveDate::from_ymd_opt(s.0, s.1, s.2).unwrap(),
            end_date: NaiveDate::from_ymd_opt(e.0, e.1, e.2).unwrap(),
            half_day_start: false,
            half_day_end: false,
            start_time: None,
            end_time: None,
            comment: None,
        }
    }

    #[test]
    fn single_day_with_both_halves_gets_personios_message() {
        let mut r = req((2026, 12, 1), (2026, 12, 1));
        r.half_day_start = true;
        r.half_day_end = true;
        let e = validate(&ty(Unit::Days), &r).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert!(
            e.message
                .contains("Both half day start and half day end are true")
        );
    }

    #[test]
    fn reversed_dates_weekends_and_units() {
        assert!(
            validate(&ty(Unit::Days), &req((2026, 12, 4), (2026, 12, 1)))
                .unwrap_err()
                .message
                .contains("before")
        );
        // 2026-11-28/29 is a weekend.
        assert!(
            validate(&ty(Unit::Days), &req((2026, 11, 28), (2026, 11, 29)))
                .unwrap_err()
                .message
                .contains("no working day")
        );
        let mut r = req((2026, 12, 1), (2026, 12, 1));
        r.start_time = NaiveTime::from_hms_opt(9, 0, 0);
        assert!(
            validate(&ty(Unit::Days), &r)
                .unwrap_err()
                .message
                .contains("only for hour-based")
        );
        r.end_time = NaiveTime::from_hms_opt(10, 30, 0);
        assert_eq!(validate(&ty(Unit::Hours), &r).unwrap(), 1.5);
        let mut r2 = r.clone();
        r2.end_date = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert!(
            validate(&ty(Unit::Hours), &r2)
                .unwrap_err()
                .message
                .contains("same day")
        );
        let mut r3 = r.clone();
        r3.half_day_start = true;
        assert!(
            validate(&ty(Unit::Hours), &r3)
                .unwrap_err()
                .message
                .contains("half-day flags")
        );
        let mut r4 = req((2026, 12, 1), (2026, 12, 1));
        r4.start_time = NaiveTime::from_hms_opt(9, 0, 0);
        assert!(
            validate(&ty(Unit::Hours), &r4)
                .unwrap_err()
                .message
                .contains("required")
        );
    }

    #[test]
    fn type_resolution_by_id_name_and_prefix() {
        let types = vec![
            TimeOffType {
                id: 1,
                name: "Paid vacation".into(),
                category: None,
                unit: Unit::Days,
                approval_required: None,
                id_v2: None,
            },
            TimeOffType {
                id: 2,
                name: "Sick leave".into(),
                category: None,
                unit: Unit::Days,
                approval_required: None,
                id_v2: None,
            },
            TimeOffType {
                id: 3,
                name: "Doctor's appointment".into(),
                category: None,
                unit: Unit::Hours,
                approval_required: None,
                id_v2: None,
            },
        ];
        assert_eq!(resolve_type(&types, "2").unwrap().id, 2);
        assert_eq!(resolve_type(&types, "paid VACATION").unwrap().id, 1);
        assert_eq!(resolve_type(&types, "vacation").unwrap().id, 1);
        assert_eq!(resolve_type(&types, "doctor").unwrap().id, 3);
        assert_eq!(
            resolve_type(&types, "9").unwrap_err().code,
            ErrorCode::NotFound
        );
        assert_eq!(
            resolve_type(&types, "holiday").unwrap_err().code,
            ErrorCode::NotFound
        );
    }
}
