//! `cancel_time_off`: withdraw a booked absence ("cancel my Friday off"), safely: the same write
//! flow as create_time_off (gate, confirmation by a person, idempotency keys, dry run), deleting
//! in Personio at the absence's own endpoint, never blindly twice.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, PersonOut};
use crate::error::Result;
use crate::mcp::confirm::{Stage, Step, WriteControls, WriteOp, quantity_unit, requested_by};
use crate::mcp::write_tool::{GoOn, write_tool};
use crate::personio::Absence;
use crate::policy::guarded::Guarded;
use crate::policy::guarded::writes::{AbsenceId, CancelPlan};
use crate::policy::human_text;
use crate::policy::state::{ApprovalAction, ApprovalView, BalanceEffect};

pub const DESCRIPTION: &str = "Cancel (delete) a booked absence by the id list_absences returns (number: day \
absence; UUID: hourly). Employees cancel their own, HR anyone's. A person confirms as with create_time_off; dry_run \
previews; idempotency_key makes retries safe. An absence \
already gone is NOT_FOUND.";

/// Arguments of `cancel_time_off`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelTimeOffArgs {
    /// The absence id from list_absences (number or string).
    pub absence_id: String,
    /// Preview only; change nothing.
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// The preview's confirmation_token.
    #[serde(default)]
    #[schemars(length(max = 4096))]
    pub confirmation_token: Option<String>,
    /// Unique string; a repeated call returns the first result (24 h).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// Result of `cancel_time_off`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CancelTimeOffResult {
    /// True when this call deleted the absence in Personio.
    pub cancelled: bool,
    pub dry_run: bool,
    /// cancelled; preview (dry run); confirmation_required; declined.
    #[schemars(extend("enum" = ["cancelled", "preview", "confirmation_required", "declined"]))]
    pub status: String,
    pub employee: PersonOut,
    /// The absence concerned (as it was).
    pub absence: AbsenceOut,
    /// The cancellation in one sentence (what the human confirms).
    pub summary: String,
    #[serde(flatten)]
    pub go_on: GoOn,
}

write_tool!(
    cancel_time_off,
    router: cancel_time_off_router,
    op: CancelTimeOff(CancelTimeOffArgs) -> CancelTimeOffResult,
    title: "Cancel time off",
    description: DESCRIPTION,
    destructive: true,
    idempotent: true,
);

/// A cancellation as a write of the shared flow.
pub struct CancelTimeOff(pub CancelTimeOffArgs);

/// The cancellation in one sentence (what the person confirms).
fn summary(g: &Guarded, plan: &CancelPlan) -> String {
    summary_of(plan.absence(), g.zone())
}

/// An hourly absence's times are given in its own zone (the company's when it names none), with
/// the zone's name, as everywhere else.
fn summary_of(a: &Absence, company: chrono_tz::Tz) -> String {
    let tz = a.zone_or(company);
    let when = match (a.start, a.end) {
        (Some(s), Some(e)) => format!(
            "on {} ({}–{} {tz})",
            a.start_date,
            s.with_timezone(&tz).format("%H:%M"),
            e.with_timezone(&tz).format("%H:%M")
        ),
        _ if a.start_date == a.end_date => format!("on {}", a.start_date),
        _ => format!("from {} to {}", a.start_date, a.end_date),
    };
    format!(
        "Cancel \"{}\" of \"{}\" (id {}) {when}, absence {}.",
        a.time_off_type.name.as_deref().unwrap_or("absence"),
        a.employee.full_name(),
        a.employee.id,
        a.id
    )
}

fn result(g: &Guarded, plan: &CancelPlan, stage: Stage) -> CancelTimeOffResult {
    let a = plan.absence();
    CancelTimeOffResult {
        cancelled: false,
        dry_run: stage.dry_run,
        status: stage.status,
        employee: PersonOut {
            id: a.employee.id,
            name: a.employee.full_name(),
        },
        absence: AbsenceOut::from_absence(a, g.zone()),
        summary: summary(g, plan),
        go_on: stage.go_on,
    }
}

impl WriteOp for CancelTimeOff {
    type Draft = AbsenceId;
    type Plan = CancelPlan;
    type Output = CancelTimeOffResult;

    fn controls(&self) -> WriteControls {
        WriteControls::new(
            self.0.dry_run,
            self.0.confirmation_token.as_ref(),
            self.0.idempotency_key.as_ref(),
        )
    }

    fn audit_request(&self) -> serde_json::Value {
        serde_json::json!({"cancel": self.0.absence_id})
    }

    async fn draft(&self, g: &Guarded) -> Result<AbsenceId> {
        g.absence_id(&self.0.absence_id)
    }

    fn canonical(&self, id: &AbsenceId) -> serde_json::Value {
        serde_json::json!({"cancel_absence": id.as_string()})
    }

    async fn plan(&self, g: &Guarded, id: AbsenceId, for_write: bool) -> Result<CancelPlan> {
        g.plan_cancel(id, for_write).await
    }

    fn settled(&self, _g: &Guarded, _plan: &CancelPlan) -> Option<CancelTimeOffResult> {
        None
    }

    fn preview(&self, g: &Guarded, plan: &CancelPlan, step: Step) -> CancelTimeOffResult {
        result(
            g,
            plan,
            step.stage(
                "Call again without dry_run to cancel it (a confirmation follows).",
                "The user did not confirm; nothing was cancelled.",
            ),
        )
    }

    fn question(&self, g: &Guarded, plan: &CancelPlan) -> String {
        format!(
            "{} Cancel it?",
            human_text::clean_default(&summary(g, plan))
        )
    }

    fn approval_view(&self, g: &Guarded, plan: &CancelPlan) -> ApprovalView {
        let a = plan.absence();
        let tz = a.zone_or(g.zone());
        let local =
            |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.with_timezone(&tz).time());
        ApprovalView {
            action: ApprovalAction::Cancel,
            employee: a.employee.full_name(),
            requested_by: requested_by(g, a.employee.id),
            time_off_type: a.time_off_type.name.clone().unwrap_or_default(),
            start_date: a.start_date,
            end_date: a.end_date,
            start_time: local(a.start),
            end_time: local(a.end),
            zone: a.start.map(|_| tz.name().to_string()),
            half_day_start: a.half_day_start,
            half_day_end: a.half_day_end,
            balance: a.amount.map(|amount| BalanceEffect {
                unit: quantity_unit(a.unit),
                amount,
                before: None,
                after: None,
            }),
            comment: a.comment.clone(),
        }
    }

    async fn commit(&self, g: &Guarded, plan: CancelPlan) -> Result<CancelTimeOffResult> {
        let mut r = result(g, &plan, Stage::status("cancelled"));
        g.commit_cancel(plan).await?;
        r.cancelled = true;
        r.go_on.next_step = Some("Cancelled in Personio.".into());
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::handler::PersonioServer;
    use crate::personio::{PersonRef, TypeRef, Unit};

    fn doctor(zone: Option<&str>) -> Absence {
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2031, 1, 15)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
        };
        Absence {
            id: "9bba303f-0000-0000-0000-000000000009".into(),
            unit: Unit::Hours,
            employee: PersonRef {
                id: 7,
                first_name: Some("Ada".into()),
                ..PersonRef::default()
            },
            time_off_type: TypeRef {
                id: Some(3),
                name: Some("Doctor".into()),
                category: None,
            },
            start_date: chrono::NaiveDate::from_ymd_opt(2031, 1, 15).unwrap(),
            end_date: chrono::NaiveDate::from_ymd_opt(2031, 1, 15).unwrap(),
            half_day_start: false,
            half_day_end: false,
            start: Some(at(8)),
            end: Some(at(10)),
            timezone: zone.map(String::from),
            amount: Some(2.0),
            status: "approved".into(),
            comment: None,
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn summaries_give_times_in_the_absences_zone_with_its_name() {
        let berlin = chrono_tz::Europe::Berlin;
        let own = summary_of(&doctor(Some("Europe/London")), berlin);
        assert!(own.contains("(08:00–10:00 Europe/London)"), "{own}");
        let none = summary_of(&doctor(None), berlin);
        assert!(none.contains("(09:00–11:00 Europe/Berlin)"), "{none}");
    }

    #[test]
    fn cancelling_is_declared_destructive_and_not_read_only() {
        let router = PersonioServer::cancel_time_off_router();
        let tool = router.get("cancel_time_off").unwrap();
        let a = tool.annotations.as_ref().unwrap();
        assert_eq!(a.destructive_hint, Some(true));
        assert_eq!(a.read_only_hint, Some(false));
        assert!(tool.output_schema.is_some());
    }
}
