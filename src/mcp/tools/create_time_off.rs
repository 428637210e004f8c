//! `create_time_off`: request time off for a person (pending approval), safely.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, PersonOut, parse_date, parse_time};
use crate::app::App;
use crate::domain::resolve::resolve;
use crate::domain::time_off::{TimeOffRequest, create, resolve_type};
use crate::error::{Error, ErrorCode, Result};

pub const DESCRIPTION: &str = "Request time off in Personio for one employee. Day-based types take start_date, \
end_date (inclusive) and optional half-day flags; hour-based types take one date plus start_time and end_time. \
Everything is validated before Personio is called (dates, half-day rules, units, weekends, overlaps with \
existing absences). An identical existing request is returned instead of booking twice. Requests are created \
pending approval, never auto-approved. Use dry_run to preview without writing. Returns the created absence \
(employee id and name, type, dates, amount, status) and warnings, e.g. when the balance would go negative.";

/// Arguments of `create_time_off`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeOffArgs {
    /// Employee id, work email, or a name matching exactly one person.
    pub employee: String,
    /// Time-off type id or name (see list_time_off_types).
    pub time_off_type: String,
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD. Default: start_date. Hour types: must equal start_date.
    #[serde(default)]
    pub end_date: Option<String>,
    /// Day types: the first day is only a half day (off from midday).
    #[serde(default)]
    pub half_day_start: Option<bool>,
    /// Day types: the last day is only a half day (off until midday).
    #[serde(default)]
    pub half_day_end: Option<bool>,
    /// Hour types: start time HH:MM (24 h, the employee's local time).
    #[serde(default)]
    pub start_time: Option<String>,
    /// Hour types: end time HH:MM, same day.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Optional comment for the approver (max 1000 characters).
    #[serde(default)]
    pub comment: Option<String>,
    /// Only validate and preview; write nothing. Default false.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Result of `create_time_off`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreateTimeOffResult {
    /// True when a new absence was stored by this call.
    pub created: bool,
    pub dry_run: bool,
    /// True when an identical absence already existed and was returned instead.
    pub already_existed: bool,
    pub employee: PersonOut,
    /// The stored absence (null on dry runs).
    pub absence: Option<AbsenceOut>,
    /// Amount the request consumes, in `unit`.
    pub amount: f64,
    /// days or hours
    pub unit: String,
    /// approved, pending, requested, or "preview" on dry runs.
    pub status: String,
    pub warnings: Vec<String>,
}

pub async fn run(app: &App, args: CreateTimeOffArgs) -> Result<CreateTimeOffResult> {
    if !app.settings.writes_enabled {
        return Err(Error::new(
            ErrorCode::WritesDisabled,
            "writes are disabled on this server",
        )
        .with_hint("Start the server with --enable-writes or PERSONIO_MCP_ENABLE_WRITES=true."));
    }
    let start_date = parse_date("start_date", &args.start_date)?;
    let end_date = match &args.end_date {
        Some(e) => parse_date("end_date", e)?,
        None => start_date,
    };
    let start_time = args
        .start_time
        .as_deref()
        .map(|t| parse_time("start_time", t))
        .transpose()?;
    let end_time = args
        .end_time
        .as_deref()
        .map(|t| parse_time("end_time", t))
        .transpose()?;
    let types = app.client.time_off_types().await?;
    let ty = resolve_type(&types, &args.time_off_type)?.clone();
    let who = resolve(&app.directory, &args.employee).await?;
    let dry_run = args.dry_run.unwrap_or(false);
    let request = TimeOffRequest {
        start_date,
        end_date,
        half_day_start: args.half_day_start.unwrap_or(false),
        half_day_end: args.half_day_end.unwrap_or(false),
        start_time,
        end_time,
        comment: args.comment.clone().filter(|c| !c.trim().is_empty()),
    };
    let outcome = create(&app.client, &who, &ty, &request, dry_run).await?;
    let status = match &outcome.absence {
        Some(a) => a.status.clone(),
        None => "preview".into(),
    };
    Ok(CreateTimeOffResult {
        created: outcome.created,
        dry_run,
        already_existed: outcome.duplicate_of_existing,
        employee: PersonOut {
            id: who.id,
            name: who.full_name(),
        },
        absence: outcome.absence.as_ref().map(AbsenceOut::from_absence),
        amount: outcome.amount,
        unit: outcome.unit.as_str().into(),
        status,
        warnings: outcome.warnings,
    })
}
