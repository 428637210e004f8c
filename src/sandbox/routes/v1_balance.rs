//! `GET /v1/company/employees/{employee_id}/absences/balance`.
//!
//! One entry per time-off type of the account (every employee has an entitlement for each: their
//! paid-vacation days, 0 for the others), computed for the calendar year of `today`:
//! - `balance` = entitlement − approved absences taken up to and including `today` (an ongoing
//!   period counts only its days so far);
//! - `available_balance` = entitlement − all approved **and pending** absences of the year.
//!
//! Day-unit types count working days (Mon–Fri, half days 0.5); hour-unit types report **hours**
//! (minutes / 60, rounded to two decimals). Types without entitlement go negative as absences are
//! taken — the sandbox's choice, since Personio does not document it.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Number;

use super::v1_shared::{employee_in_path, path_text};
use crate::sandbox::absences::AbsenceStatus;
use crate::sandbox::attributes;
use crate::sandbox::auth::{self, Caller, Need};
use crate::sandbox::data::Unit;
use crate::sandbox::envelope::{self, number};
use crate::sandbox::state::AppState;

#[derive(Serialize)]
struct BalanceEntry {
    id: u64,
    name: &'static str,
    category: &'static str,
    balance: Number,
    available_balance: Number,
}

pub async fn balance(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    employee_id: Result<Path<String>, PathRejection>,
) -> Result<Response, Response> {
    auth::require(&caller, Need::AbsencesRead)?;
    let company = state.company();
    let employee = employee_in_path(&company, &path_text(employee_id))?;
    let today = state.clock.today();
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let absences = state.absences();

    let data: Vec<BalanceEntry> = company
        .time_off_types
        .iter()
        .map(|t| {
            let entitlement = attributes::entitlement(employee, t.id);
            let (taken, planned) = match t.unit {
                Unit::Day => absences
                    .day()
                    .iter()
                    .filter(|a| a.employee_id == employee.id && a.type_id == t.id)
                    .fold((0.0, 0.0), |(taken, planned), a| {
                        let year = a.days_within(year_start, year_end);
                        let so_far = if a.status == AbsenceStatus::Approved {
                            a.days_within(year_start, today.min(year_end))
                        } else {
                            0.0
                        };
                        (taken + so_far, planned + year)
                    }),
                Unit::Hour => {
                    let (taken, planned) = absences
                        .hour()
                        .iter()
                        .filter(|a| a.employee_id == employee.id && a.type_id == t.id)
                        .fold((0u64, 0u64), |(taken, planned), a| {
                            let in_year: u32 = a
                                .breakdown
                                .iter()
                                .filter(|(d, _)| *d >= year_start && *d <= year_end)
                                .map(|(_, m)| m)
                                .sum();
                            let so_far = if a.status == AbsenceStatus::Approved {
                                a.breakdown
                                    .iter()
                                    .filter(|(d, _)| *d >= year_start && *d <= today)
                                    .map(|(_, m)| u64::from(*m))
                                    .sum()
                            } else {
                                0
                            };
                            (taken + so_far, planned + u64::from(in_year))
                        });
                    (taken as f64 / 60.0, planned as f64 / 60.0)
                }
            };
            BalanceEntry {
                id: t.id,
                name: t.name,
                category: t.category,
                balance: number(entitlement - taken),
                available_balance: number(entitlement - planned),
            }
        })
        .collect();
    Ok(envelope::ok_data(data))
}
