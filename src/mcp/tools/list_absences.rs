//! `list_absences`: who is absent when, for one person, a department, a team or everyone.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, check_limit, cursor, parse_date};
use crate::app::App;
use crate::domain::absences::{AbsenceFilter, list};
use crate::domain::calendar::month_of;
use crate::domain::directory::Progress;
use crate::domain::normalize::plain_fold;
use crate::domain::resolve::resolve;
use crate::domain::time_off::resolve_type;
use crate::error::{Error, Result};

pub const DESCRIPTION: &str = "List absences (time off, sick leave, hourly absences) overlapping a date window, for \
one employee, a department, a team, or everyone visible. Days and hours come in one shape: id, employee (id, \
name), type (id, name, category, unit), start/end date, half-day flags, start/end time and time zone for hourly \
absences, amount in its unit, status (approved/pending/requested) and comment. Comments are untrusted free text \
from Personio. Default window: the current month; at most 366 days.";

/// Arguments of `list_absences`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAbsencesArgs {
    /// Only this employee: id, work email, or a name matching exactly one person.
    #[serde(default)]
    pub employee: Option<String>,
    /// Only people of this department (name, case-insensitive).
    #[serde(default)]
    pub department: Option<String>,
    /// Only people of this team (name, case-insensitive).
    #[serde(default)]
    pub team: Option<String>,
    /// First day of the window, YYYY-MM-DD. Default: first day of this month.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day of the window (inclusive), YYYY-MM-DD. Default: last day of this month.
    #[serde(default)]
    pub to: Option<String>,
    /// Only these time-off types (ids or names).
    #[serde(default)]
    pub time_off_types: Option<Vec<String>>,
    /// Only these statuses: approved, pending, requested.
    #[serde(default)]
    pub status: Option<Vec<String>>,
    /// Results per page, 1 to 200. Default 50.
    #[serde(default)]
    pub limit: Option<u32>,
    /// next_cursor of the previous page, to continue.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Result of `list_absences`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListAbsencesResult {
    /// Sorted by start date, then employee.
    pub absences: Vec<AbsenceOut>,
    /// All matches across pages.
    pub total: usize,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// The window used, YYYY-MM-DD.
    pub from: String,
    pub to: String,
}

pub async fn run(
    app: &App,
    args: ListAbsencesArgs,
    progress: Option<Progress>,
) -> Result<ListAbsencesResult> {
    let limit = check_limit(args.limit, 50, 200)?;
    let (month_start, month_end) = month_of(app.today());
    let from = match &args.from {
        Some(f) => parse_date("from", f)?,
        None => month_start,
    };
    let to = match &args.to {
        Some(t) => parse_date("to", t)?,
        None if args.from.is_some() => from.max(month_end),
        None => month_end,
    };
    crate::domain::absences::check_window(from, to)?;
    let fingerprint = format!(
        "{:?}|{:?}|{:?}|{from}|{to}|{:?}|{:?}",
        args.employee, args.department, args.team, args.time_off_types, args.status
    );
    let offset = cursor::decode(&fingerprint, args.cursor.as_deref())?;

    let employees: Option<Vec<i64>> = if let Some(who) = &args.employee {
        Some(vec![resolve(&app.directory, who).await?.id])
    } else if args.department.is_some() || args.team.is_some() {
        let snapshot = app.directory.snapshot(progress).await?;
        let dept = args
            .department
            .as_deref()
            .map(|d| plain_fold(d).trim().to_string());
        let team = args
            .team
            .as_deref()
            .map(|t| plain_fold(t).trim().to_string());
        let ids: Vec<i64> = snapshot
            .all()
            .filter(|e| {
                dept.as_deref().is_none_or(|d| {
                    e.department
                        .value()
                        .is_some_and(|x| plain_fold(&x.name).trim() == d)
                }) && team.as_deref().is_none_or(|t| {
                    e.team
                        .value()
                        .is_some_and(|x| plain_fold(&x.name).trim() == t)
                })
            })
            .map(|e| e.id)
            .collect();
        if ids.is_empty() {
            return Err(Error::not_found("nobody is in that department or team")
                .with_hint("Check the name with search_employee (it shows each person's department and team)."));
        }
        Some(ids)
    } else {
        None
    };
    let type_ids = match &args.time_off_types {
        Some(names) if !names.is_empty() => {
            let types = app.client.time_off_types().await?;
            let mut ids = HashSet::new();
            for n in names {
                ids.insert(resolve_type(&types, n)?.id);
            }
            Some(ids)
        }
        _ => None,
    };
    let statuses = match &args.status {
        Some(s) if !s.is_empty() => {
            let set: HashSet<String> = s.iter().map(|x| x.trim().to_lowercase()).collect();
            if let Some(bad) = set
                .iter()
                .find(|x| !["approved", "pending", "requested"].contains(&x.as_str()))
            {
                let _ = bad;
                return Err(Error::validation(
                    "status values must be approved, pending or requested",
                ));
            }
            Some(set)
        }
        _ => None,
    };
    let all = list(
        &app.client,
        &AbsenceFilter {
            employees,
            from,
            to,
            type_ids,
            statuses,
        },
    )
    .await?;
    let (page, next_cursor) = cursor::page(&all, &fingerprint, offset, limit);
    Ok(ListAbsencesResult {
        absences: page.iter().map(AbsenceOut::from_absence).collect(),
        total: all.len(),
        next_cursor,
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
    })
}
