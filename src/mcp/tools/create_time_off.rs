//! `create_time_off`: request time off for a person (pending approval), safely.
//!
//! The order of business (gate, draft, replay, plan, confirmation, commit) is the shared write
//! flow of `mcp::confirm`; this file says what a time-off request is at each step.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, PersonOut, parse_date, parse_time};
use crate::error::Result;
use crate::mcp::confirm::{Stage, Step, WriteControls, WriteOp, quantity_unit, requested_by};
use crate::mcp::write_tool::{GoOn, write_tool};
use crate::policy::guarded::Guarded;
use crate::policy::guarded::writes::{Draft, Planned, TimeOffRequest};
use crate::policy::human_text;
use crate::policy::state::{ApprovalAction, ApprovalView, BalanceEffect};

pub const DESCRIPTION: &str = "Request time off for one employee. Day types: start_date, end_date (inclusive), \
half-day flags; hour types: one date with start_time and end_time. Validated first (dates, half days, weekends, \
overlaps; past dates need allow_past); an identical request is returned, not booked twice. A person confirms in \
the client's dialog, or a preview returns confirmation_token to pass back with the same arguments (first show the \
user confirmation_url if set). Created pending approval; dry_run only previews.";

/// Arguments of `create_time_off`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeOffArgs {
    /// Employee: id, work email, unique name, or "me".
    pub employee: String,
    /// Time-off type id or name.
    pub time_off_type: String,
    /// First day, YYYY-MM-DD.
    pub start_date: String,
    /// Last day (inclusive), YYYY-MM-DD. Default: start_date.
    #[serde(default)]
    pub end_date: Option<String>,
    /// Day types: first day off from midday only.
    #[serde(default)]
    pub half_day_start: Option<bool>,
    /// Day types: last day off until midday only.
    #[serde(default)]
    pub half_day_end: Option<bool>,
    /// Hour types: start time HH:MM (local).
    #[serde(default)]
    pub start_time: Option<String>,
    /// Hour types: end time HH:MM, same day.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Comment for the approver (≤ 1000 characters).
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub comment: Option<String>,
    /// Preview only; write nothing.
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// Allow a start date in the past.
    #[serde(default)]
    pub allow_past: Option<bool>,
    /// From the preview: writes this exact request.
    #[serde(default)]
    #[schemars(length(max = 4096))]
    pub confirmation_token: Option<String>,
    /// Unique string; a repeated call with it returns the first result (24 h).
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// HR only, if the server allows: create it approved.
    #[serde(default)]
    pub auto_approve: Option<bool>,
}

/// Result of `create_time_off`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreateTimeOffResult {
    /// True when this call stored a new absence in Personio.
    pub created: bool,
    pub dry_run: bool,
    /// True when an identical absence already existed and was returned instead.
    pub already_existed: bool,
    /// pending or approved (stored); preview (dry run); confirmation_required; declined.
    #[schemars(extend("enum" = ["pending", "approved", "requested", "preview", "confirmation_required", "declined"]))]
    pub status: String,
    pub employee: PersonOut,
    /// The stored absence (null unless stored or already existing).
    pub absence: Option<AbsenceOut>,
    /// Amount the request consumes, in `unit`.
    pub amount: f64,
    /// days or hours
    #[schemars(extend("enum" = ["days", "hours"]))]
    pub unit: String,
    /// The request in one sentence (what the human confirms).
    pub summary: String,
    #[serde(flatten)]
    pub go_on: GoOn,
    pub warnings: Vec<String>,
}

write_tool!(
    create_time_off,
    router: create_time_off_router,
    op: CreateTimeOff(CreateTimeOffArgs) -> CreateTimeOffResult,
    title: "Request time off",
    description: DESCRIPTION,
    destructive: false,
    idempotent: false,
);

/// A time-off request as a write of the shared flow.
pub struct CreateTimeOff(pub CreateTimeOffArgs);

fn parse_request(args: &CreateTimeOffArgs) -> Result<TimeOffRequest> {
    let start_date = parse_date("start_date", &args.start_date)?;
    let end_date = match &args.end_date {
        Some(e) => parse_date("end_date", e)?,
        None => start_date,
    };
    Ok(TimeOffRequest {
        start_date,
        end_date,
        half_day_start: args.half_day_start.unwrap_or(false),
        half_day_end: args.half_day_end.unwrap_or(false),
        start_time: args
            .start_time
            .as_deref()
            .map(|t| parse_time("start_time", t))
            .transpose()?,
        end_time: args
            .end_time
            .as_deref()
            .map(|t| parse_time("end_time", t))
            .transpose()?,
        comment: args.comment.clone().filter(|c| !c.trim().is_empty()),
    })
}

fn base_result(planned: &Planned, stage: Stage) -> CreateTimeOffResult {
    CreateTimeOffResult {
        created: false,
        dry_run: stage.dry_run,
        already_existed: false,
        status: stage.status,
        employee: PersonOut {
            id: planned.employee().id,
            name: planned.employee().full_name(),
        },
        absence: None,
        amount: planned.amount(),
        unit: planned.time_off_type().unit.as_str().into(),
        summary: planned.summary(),
        go_on: stage.go_on,
        warnings: planned.warnings(),
    }
}

impl WriteOp for CreateTimeOff {
    type Draft = Draft;
    type Plan = Planned;
    type Output = CreateTimeOffResult;

    fn controls(&self) -> WriteControls {
        WriteControls::new(
            self.0.dry_run,
            self.0.confirmation_token.as_ref(),
            self.0.idempotency_key.as_ref(),
        )
    }

    fn audit_request(&self) -> serde_json::Value {
        serde_json::json!({
            "employee": self.0.employee,
            "time_off_type": self.0.time_off_type,
            "start_date": self.0.start_date,
            "end_date": self.0.end_date,
            "half_day_start": self.0.half_day_start,
            "half_day_end": self.0.half_day_end,
            "start_time": self.0.start_time,
            "end_time": self.0.end_time,
        })
    }

    async fn draft(&self, g: &Guarded) -> Result<Draft> {
        let request = parse_request(&self.0)?;
        g.draft_time_off(&self.0.employee, &self.0.time_off_type, request)
            .await
    }

    fn canonical(&self, draft: &Draft) -> serde_json::Value {
        draft.canonical()
    }

    async fn plan(&self, g: &Guarded, draft: Draft, for_write: bool) -> Result<Planned> {
        // Refused before anything is looked up: auto-approval is not for this caller.
        g.auto_approval(self.0.auto_approve.unwrap_or(false))?;
        g.plan_time_off(draft, self.0.allow_past.unwrap_or(false), for_write)
            .await
    }

    fn settled(&self, g: &Guarded, planned: &Planned) -> Option<CreateTimeOffResult> {
        let existing = planned.existing()?;
        let mut r = base_result(planned, Stage::status(existing.status.clone()));
        r.already_existed = true;
        r.absence = Some(AbsenceOut::from_absence(existing, g.zone()));
        Some(r)
    }

    fn preview(&self, _g: &Guarded, planned: &Planned, step: Step) -> CreateTimeOffResult {
        base_result(
            planned,
            step.stage(
                "Call again without dry_run to request it (a confirmation follows).",
                "The user did not confirm; nothing was booked.",
            ),
        )
    }

    fn question(&self, _g: &Guarded, planned: &Planned) -> String {
        format!("{} Book it?", human_text::clean_default(&planned.summary()))
    }

    fn approval_view(&self, g: &Guarded, planned: &Planned) -> ApprovalView {
        let r = planned.request();
        let ty = planned.time_off_type();
        let balance = planned.balance();
        ApprovalView {
            action: ApprovalAction::Create,
            employee: planned.employee().full_name(),
            requested_by: requested_by(g, planned.employee().id),
            time_off_type: ty.name.clone(),
            start_date: r.start_date,
            end_date: r.end_date,
            start_time: r.start_time,
            end_time: r.end_time,
            // The times as requested: Personio books them in the person's own zone.
            zone: None,
            half_day_start: r.half_day_start,
            half_day_end: r.half_day_end,
            balance: planned.shows_balance().then(|| BalanceEffect {
                unit: quantity_unit(ty.unit),
                amount: planned.amount(),
                before: balance.map(|b| b.before),
                after: balance.map(|b| b.after),
            }),
            comment: r.comment.clone(),
        }
    }

    async fn commit(&self, g: &Guarded, planned: Planned) -> Result<CreateTimeOffResult> {
        let skip_approval = g.auto_approval(self.0.auto_approve.unwrap_or(false))?;
        let mut r = base_result(&planned, Stage::status("pending"));
        let (absence, stored_now) = g.commit_time_off(planned, skip_approval).await?;
        r.status = absence.status.clone();
        r.created = stored_now;
        r.already_existed = !stored_now;
        r.go_on.next_step = Some(if absence.status == "approved" {
            "Stored as approved in Personio.".into()
        } else {
            "Stored in Personio as a request; it is approved (or rejected) in Personio's approval flow."
                .into()
        });
        r.absence = Some(AbsenceOut::from_absence(&absence, g.zone()));
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: serde_json::Value) -> CreateTimeOffArgs {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn requests_parse_with_errors_that_name_the_field() {
        let r = parse_request(&args(serde_json::json!({"employee": "me", "time_off_type": "x", "start_date": "2031-06-03", "half_day_end": true}))).unwrap();
        assert_eq!(r.end_date, r.start_date, "end_date defaults to start_date");
        assert!(r.half_day_end && !r.half_day_start);
        let e = parse_request(&args(
            serde_json::json!({"employee": "me", "time_off_type": "x", "start_date": "2031-02-30"}),
        ))
        .unwrap_err();
        assert!(e.message.contains("start_date"), "{}", e.message);
        let e = parse_request(&args(serde_json::json!({"employee": "me", "time_off_type": "x", "start_date": "2031-06-03", "start_time": "9h"}))).unwrap_err();
        assert!(e.message.contains("start_time"), "{}", e.message);
        let blank = parse_request(&args(serde_json::json!({"employee": "me", "time_off_type": "x", "start_date": "2031-06-03", "comment": "  "}))).unwrap();
        assert!(blank.comment.is_none(), "a blank comment is no comment");
    }
}
