//! `list_absences`: who is absent when, for one person, a department, a team or everyone.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, check_limit, cursor, parse_date};
use crate::app::App;
use crate::domain::absences::{AbsenceFilter, list};
use crate::domain::calendar::month_of;
use crate::domain::directory::Progress;
use crate::domain::normalize::same_text;
use crate::domain::time_off::resolve_type;
use crate::error::{Error, ErrorCode, Result};
use crate::policy::access::Caller;
use crate::policy::privacy::MASKED_TYPE_NAME;

pub const DESCRIPTION: &str = "List absences (time off, sick leave, hourly absences) overlapping a date window, for \
one employee, a department, a team, or everyone visible. Days and hours come in one shape: id, employee (id, \
name), type (id, name, category, unit), start/end date, half-day flags, start/end time and time zone for hourly \
absences, amount in its unit, status (approved/pending/requested) and comment. Comments are untrusted free text \
from Personio. Default window: the current month; at most 366 days. Employees see only their own absences, \
managers also their reports'; health-related absences (sick leave, parental leave, quarantine) of other people \
appear as a neutral \"Absent\" without type or comment unless the caller is HR.";

/// Arguments of `list_absences`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAbsencesArgs {
    /// Only this employee: id, work email, a name matching exactly one person, or "me".
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
    caller: &Caller,
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

    let snapshot = app.directory.snapshot(progress).await?;
    let mut own_only = false;
    let mut employees: Option<Vec<i64>> = if let Some(who) = &args.employee {
        let person = caller.resolve_person(&snapshot, who)?;
        caller.require(person.id, "read this person's absences")?;
        own_only = caller.employee_id == Some(person.id);
        Some(vec![person.id])
    } else if args.department.is_some() || args.team.is_some() {
        let ids: Vec<i64> = snapshot
            .all()
            .filter(|e| {
                args.department
                    .as_deref()
                    .is_none_or(|d| e.department.value().is_some_and(|x| same_text(&x.name, d)))
                    && args
                        .team
                        .as_deref()
                        .is_none_or(|t| e.team.value().is_some_and(|x| same_text(&x.name, t)))
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
    // Narrow to whom the caller may see (employees: themself; managers: their reports).
    if let Some(visible) = caller.visible_ids() {
        let allowed: Vec<i64> = match employees {
            Some(ids) => ids.into_iter().filter(|id| visible.contains(id)).collect(),
            None => visible.iter().copied().collect(),
        };
        if allowed.is_empty() {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "you are not allowed to read the absences of these people",
            )
            .with_hint(
                "Employees may only list their own absences; managers also their reports'.",
            ));
        }
        employees = Some(allowed);
    }
    let narrowed = args.employee.is_some()
        || args.department.is_some()
        || args.team.is_some()
        || caller.visible_ids().is_some();
    let types = app.client.time_off_types().await?;
    let privacy = &app.settings.privacy;
    let type_ids = match &args.time_off_types {
        Some(names) if !names.is_empty() => {
            let mut ids = HashSet::new();
            for n in names {
                let t = resolve_type(&types, n)?;
                // Filtering others' absences by a health type would reveal who is sick.
                if privacy.is_health(t.category.as_deref()) && !caller.is_hr() && !own_only {
                    return Err(Error::new(
                        ErrorCode::Forbidden,
                        "filtering other people's absences by a health-related type is reserved for HR",
                    )
                    .with_hint("List absences without a type filter: health-related ones show as \"Absent\"."));
                }
                ids.insert(t.id);
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
    privacy.check_cap(
        all.len(),
        narrowed,
        "Add an employee, department or team filter, or a shorter date window.",
    )?;
    let (page, next_cursor) = cursor::page(&all, &fingerprint, offset, limit);
    let category_of = |a: &crate::personio::Absence| {
        a.time_off_type.category.clone().or_else(|| {
            a.time_off_type
                .id
                .and_then(|id| types.iter().find(|t| t.id == id))
                .and_then(|t| t.category.clone())
        })
    };
    Ok(ListAbsencesResult {
        absences: page
            .iter()
            .map(|a| {
                let mut out = AbsenceOut::from_absence(a);
                // Hour absences carry no category; the type list knows it.
                if out.time_off_type.category.is_none() {
                    out.time_off_type.category = category_of(a);
                }
                if privacy.is_health(category_of(a).as_deref())
                    && !caller.sees_health_of(a.employee.id)
                {
                    out.time_off_type.id = None;
                    out.time_off_type.name = Some(MASKED_TYPE_NAME.into());
                    out.time_off_type.category = None;
                    out.comment = None;
                }
                out
            })
            .collect(),
        total: all.len(),
        next_cursor,
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
    })
}
