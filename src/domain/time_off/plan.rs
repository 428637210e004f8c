//! Planning a time-off request: everything known before a write — validated, checked against
//! existing absences (one lookup, used both to find an identical request and to find a clash) and
//! against the balance. Building a plan never writes.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde_json::json;

use super::matching::{overlaps, same_request};
use super::validate::{TimeOffRequest, validate};
use crate::domain::absences::{AbsenceFilter, list};
use crate::error::{Error, ErrorCode, Result};
use crate::personio::{Absence, Employee, PersonioClient, TimeOffType, Unit};

/// A request bound to a person and a type, not yet checked: what a confirmation or an
/// idempotency key refers to. Building one needs no upstream request, so a retry can be matched
/// to its first result before anything (e.g. "start date in the past" the next day) is re-checked.
#[derive(Debug, Clone)]
pub struct Draft {
    pub employee: Employee,
    pub time_off_type: TimeOffType,
    pub request: TimeOffRequest,
}

impl Draft {
    /// The request in canonical form.
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
}

/// What the request does to the balance (day types with a known balance).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceEffect {
    /// Available before the request.
    pub before: f64,
    /// Available afterwards.
    pub after: f64,
}

/// Everything known about a request before it is written.
#[derive(Debug, Clone)]
pub struct Plan {
    pub employee: Employee,
    pub time_off_type: TimeOffType,
    pub request: TimeOffRequest,
    /// Working days or hours the request consumes.
    pub amount: f64,
    /// An identical absence that already exists (then nothing must be written).
    pub existing: Option<Absence>,
    /// The balance before and after (kept apart from `warnings`: for health-related types it is
    /// health data, which the policy shows only to the person and HR).
    pub balance: Option<BalanceEffect>,
    pub warnings: Vec<String>,
}

impl Plan {
    /// The request in canonical form (the same as its draft's).
    pub fn canonical(&self) -> serde_json::Value {
        self.draft().canonical()
    }

    fn draft(&self) -> Draft {
        Draft {
            employee: self.employee.clone(),
            time_off_type: self.time_off_type.clone(),
            request: self.request.clone(),
        }
    }

    /// The balance warning, if the request overdraws it.
    pub fn balance_warning(&self) -> Option<String> {
        let b = self.balance?;
        (b.after < 0.0).then(|| {
            format!(
                "This request ({} days) exceeds the available balance of {} days; the balance would become {}.",
                self.amount, b.before, b.after
            )
        })
    }

    /// One sentence a human can confirm. Names come from Personio: the caller that shows this to
    /// a person cleans it first (`policy::human_text`).
    pub fn summary(&self, show_balance: bool) -> String {
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
        // Names are quoted: they are untrusted text (cleaned where a person reads them).
        let mut text = format!(
            "Request \"{}\" for \"{}\" (id {}) {when}: {} {unit}.",
            self.time_off_type.name,
            self.employee.full_name(),
            self.employee.id,
            self.amount,
        );
        if show_balance && let Some(b) = self.balance {
            text.push_str(&format!(" Available balance afterwards: {} days.", b.after));
        }
        text
    }
}

/// The answer to a request that clashes with `clash`: its id, dates and status, never its type
/// (the policy also gives it for an identical absence whose type the caller may not learn).
pub fn overlap_error(clash: &Absence) -> Error {
    Error::new(
        ErrorCode::Conflict,
        format!(
            "the request overlaps an existing absence (id {}, {} to {}, status {})",
            clash.id, clash.start_date, clash.end_date, clash.status
        ),
    )
    .with_hint("Choose other dates, or ask HR to change the existing absence first.")
}

/// Validates a draft and checks it against Personio's current data, without writing. The
/// absence lookup and the balance are fetched concurrently.
pub async fn prepare(
    client: &PersonioClient,
    draft: Draft,
    today: NaiveDate,
    allow_past: bool,
    company: Tz,
) -> Result<Plan> {
    let Draft {
        employee,
        time_off_type: ty,
        request: req,
    } = draft;
    let amount = validate(&ty, &req)?;
    if req.start_date < today && !allow_past {
        return Err(Error::validation(format!(
            "start_date {} is in the past",
            req.start_date
        ))
        .with_hint("Past absences are usually recorded by HR; if this is intended, call again with allow_past=true."));
    }
    // Personio's balance is this year's; a request for another year cannot be judged against it.
    let wants_balance = ty.unit == Unit::Days && req.start_date.year() == today.year();
    let lookup = existing_absences(client, employee.id, &req);
    let balance = async {
        if wants_balance {
            Some(client.balances(employee.id).await)
        } else {
            None
        }
    };
    let (existing, balances) = futures::join!(lookup, balance);
    let existing = existing?;
    let mut plan = Plan {
        employee,
        time_off_type: ty,
        request: req,
        amount,
        existing: None,
        balance: None,
        warnings: Vec::new(),
    };
    let (ty, req) = (&plan.time_off_type, &plan.request);
    if let Some(same) = existing.iter().find(|a| same_request(a, ty, req, company)) {
        plan.warnings.push(format!(
            "An identical absence (id {}) already exists; nothing new is booked.",
            same.id
        ));
        plan.existing = Some(same.clone());
        return Ok(plan);
    }
    if let Some(clash) = existing.iter().find(|a| overlaps(a, ty, req, company)) {
        return Err(overlap_error(clash));
    }
    match balances {
        None if ty.unit == Unit::Days => plan.warnings.push(format!(
            "The balance for {} is not known yet, so it was not checked.",
            req.start_date.year()
        )),
        None => {}
        Some(Ok(balances)) => {
            if let Some(b) = balances.iter().find(|b| b.time_off_type_id == ty.id) {
                let before = b.available_balance.unwrap_or(b.balance);
                plan.balance = Some(BalanceEffect {
                    before,
                    after: before - plan.amount,
                });
            }
        }
        Some(Err(e)) => plan
            .warnings
            .push(format!("The balance could not be checked ({}).", e.code)),
    }
    if plan.time_off_type.approval_required == Some(true) {
        plan.warnings.push(
            "This type needs approval: the request stays pending until it is approved in Personio."
                .into(),
        );
    }
    Ok(plan)
}

/// The person's absences (both units) on the request's days.
pub(super) async fn existing_absences(
    client: &PersonioClient,
    employee_id: i64,
    req: &TimeOffRequest,
) -> Result<Vec<Absence>> {
    list(
        client,
        &AbsenceFilter {
            employees: Some(vec![employee_id]),
            from: req.start_date,
            to: req.end_date,
            type_ids: None,
            statuses: None,
            // Never kept: a write's checks always ask Personio.
            viewer: None,
        },
    )
    .await
}
