//! `list_absences`: who is absent when, for one person, a department, a team or everyone.

use std::collections::{BTreeMap, HashSet};

use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, check_limit, cursor, parse_date};
use crate::error::{Error, Result};
use crate::mcp::dispatch::ToolOutput;
use crate::mcp::handler::PersonioServer;
use crate::policy::guarded::Guarded;
use crate::policy::guarded::absences::AbsenceQuery;

pub const DESCRIPTION: &str = "List absences (time off, sick leave, hourly absences) overlapping a date window \
(default: this month; at most 366 days) for one employee, a department, a team, or everyone visible. Days and hours \
in one shape: id, employee, type, dates, half days, times, amount, status, comment (untrusted text). Broad queries \
return the total, a summary by department and type, and pages up to the record cap. Employees see their own \
absences, managers also their reports'; other people's health-related absences show as \"Absent\", their comments \
only to HR.";

/// Arguments of `list_absences`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAbsencesArgs {
    /// Only this employee: id, email, unique name, or "me".
    #[serde(default)]
    pub employee: Option<String>,
    /// Only this department.
    #[serde(default)]
    pub department: Option<String>,
    /// Only this team.
    #[serde(default)]
    pub team: Option<String>,
    /// First day, YYYY-MM-DD (default: start of this month).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: end of this month).
    #[serde(default)]
    pub to: Option<String>,
    /// Only these types (ids or names).
    #[serde(default)]
    pub time_off_types: Option<Vec<String>>,
    /// Only these statuses.
    #[serde(default)]
    #[schemars(extend("items" = {"type": "string", "enum": ["approved", "pending", "requested"]}))]
    pub status: Option<Vec<String>>,
    /// Results per page (default 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 200))]
    pub limit: Option<u32>,
    /// next_cursor of the previous page.
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
    /// Counts over ALL matches (not just this page): by department and by type (health-related
    /// absences of others count as "Absent").
    pub summary: AbsenceSummary,
    /// Set when the matches are more than one query may page through, with how to narrow.
    pub note: Option<String>,
}

/// Counts over all matches of a query.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AbsenceSummary {
    pub by_department: BTreeMap<String, usize>,
    pub by_type: BTreeMap<String, usize>,
}

impl ToolOutput for ListAbsencesResult {
    fn targets(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.absences.iter().map(|a| a.employee.id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[tool_router(router = list_absences_router, vis = "pub(crate)")]
impl PersonioServer {
    #[tool(
        title = "List absences",
        description = DESCRIPTION,
        output_schema = schema_for_output::<ListAbsencesResult>(),
        annotations(title = "List absences", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn list_absences(
        &self,
        Parameters(args): Parameters<ListAbsencesArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResult, ErrorData> {
        self.run_tool(&ctx, |g| run(g, args)).await
    }
}

pub async fn run(g: Guarded, args: ListAbsencesArgs) -> Result<ListAbsencesResult> {
    let limit = check_limit(args.limit, 50, 200)?;
    let (month_start, month_end) = g.this_month();
    let from = match &args.from {
        Some(f) => parse_date("from", f)?,
        None => month_start,
    };
    let to = match &args.to {
        Some(t) => parse_date("to", t)?,
        None if args.from.is_some() => from.max(month_end),
        None => month_end,
    };
    let fingerprint = format!(
        "{:?}|{:?}|{:?}|{from}|{to}|{:?}|{:?}",
        args.employee, args.department, args.team, args.time_off_types, args.status
    );
    let offset = cursor::decode(&fingerprint, args.cursor.as_deref())?;
    let statuses = match &args.status {
        Some(s) if !s.is_empty() => {
            let set: HashSet<String> = s.iter().map(|x| x.trim().to_lowercase()).collect();
            if set
                .iter()
                .any(|x| !["approved", "pending", "requested"].contains(&x.as_str()))
            {
                return Err(Error::validation(
                    "status values must be approved, pending or requested",
                ));
            }
            Some(set)
        }
        _ => None,
    };
    let query = AbsenceQuery {
        employee: args.employee,
        department: args.department,
        team: args.team,
        from,
        to,
        types: args.time_off_types.unwrap_or_default(),
        statuses,
    };
    let page = g.absences(&query, offset, limit).await?;
    let zone = g.zone();
    Ok(ListAbsencesResult {
        absences: page
            .absences
            .iter()
            .map(|a| AbsenceOut::from_absence(a, zone))
            .collect(),
        total: page.total,
        next_cursor: page.next.map(|end| cursor::encode(&fingerprint, end)),
        from: from.to_string(),
        to: to.to_string(),
        note: page.capped.then(|| {
            format!(
                "{} absences match; the summary counts all of them, but only the first {} can be paged. \
Narrow by employee, department or team, or a shorter window, to list the others.",
                page.total,
                g.rules().privacy.record_cap
            )
        }),
        summary: AbsenceSummary {
            by_department: page.by_department,
            by_type: page.by_type,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_statuses_are_bounded_in_the_schema() {
        let router = PersonioServer::list_absences_router();
        let mut tool = router.get("list_absences").unwrap().clone();
        crate::mcp::schemas::make_portable(&mut tool);
        let props = &tool.input_schema["properties"];
        assert_eq!(props["limit"]["maximum"], 200);
        assert_eq!(props["status"]["items"]["enum"][0], "approved");
    }
}
