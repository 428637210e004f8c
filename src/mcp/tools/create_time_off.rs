//! `create_time_off`: request time off for a person (pending approval), safely.
//!
//! Order of business: write gate → arguments → resolve person and type → plan (validation,
//! duplicates, overlaps, balance; no write) → dry run / idempotent replay → human confirmation
//! (the best channel the client offers) → write (never twice) → remember for the idempotency key.

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
    InputRequest, InputRequests, InputRequiredResult, InputResponses,
};
use rmcp::service::{ElicitationError, Peer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{AbsenceOut, PersonOut, parse_date, parse_time};
use crate::app::App;
use crate::domain::time_off::{Plan, TimeOffRequest, commit, prepare, resolve_type};
use crate::error::{Error, ErrorCode, Result};
use crate::policy::access::Caller;
use crate::policy::principal::Role;
use crate::policy::writes::digest;

pub const DESCRIPTION: &str = "Request time off in Personio for one employee. Day-based types take start_date, \
end_date (inclusive) and optional half-day flags; hour-based types take one date plus start_time and end_time. \
Everything is validated before Personio is called (dates, half-day rules, units, weekends, overlaps with \
existing absences; past dates need allow_past). An identical existing request is returned instead of booking \
twice, and idempotency_key makes retries safe. A human must confirm each request: through the client's \
confirmation dialog when it has one, otherwise the first call returns a preview with a confirmation_token and \
only a second call with the same arguments plus that token writes. Requests are created pending approval in \
Personio, never auto-approved. dry_run previews without writing. Returns the employee's id and name, the \
absence (type, dates, amount, status) and warnings, e.g. when the balance would go negative.";

/// Arguments of `create_time_off`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimeOffArgs {
    /// Employee id, work email, a name matching exactly one person, or "me".
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
    /// Allow a start date in the past (recording past absences). Default false.
    #[serde(default)]
    pub allow_past: Option<bool>,
    /// The confirmation_token returned by the preview, to confirm and write this exact request.
    #[serde(default)]
    pub confirmation_token: Option<String>,
    /// Any unique string for this request; repeating a call with the same key returns the first
    /// result instead of booking again (kept 24 hours).
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// HR only, and only when the server allows it: create the absence approved.
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
    pub status: String,
    pub employee: PersonOut,
    /// The stored absence (null unless stored or already existing).
    pub absence: Option<AbsenceOut>,
    /// Amount the request consumes, in `unit`.
    pub amount: f64,
    /// days or hours
    pub unit: String,
    /// The request in one sentence (what the human confirms).
    pub summary: String,
    /// When status is confirmation_required: pass this with the same arguments to write.
    pub confirmation_token: Option<String>,
    /// What to do next, if anything.
    pub next_step: Option<String>,
    pub warnings: Vec<String>,
}

/// How this call can reach a human for confirmation.
pub enum Confirmation {
    /// Trusted automation: the server is configured to skip confirmation.
    Skip,
    /// Preview + sealed token, confirmed by a second call (works with every client).
    Token,
    /// 2026-07-28 clients with elicitation: an `input_required` result, then a retry.
    Mrtr {
        request_state: Option<String>,
        responses: Option<InputResponses>,
    },
    /// Legacy sessions whose client supports form elicitation: `elicitation/create` now.
    Elicit(Peer<RoleServer>),
}

/// The answer: a result, or a request for input (MRTR).
pub enum Outcome {
    Done(Box<CreateTimeOffResult>),
    InputRequired(InputRequiredResult),
}

/// The form a human fills in to confirm.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ConfirmForm {
    /// Book this time-off request in Personio?
    pub confirm: bool,
}
rmcp::elicit_safe!(ConfirmForm);

const ELICIT_TIMEOUT: Duration = Duration::from_secs(300);

fn base_result(plan: &Plan, status: &str) -> CreateTimeOffResult {
    CreateTimeOffResult {
        created: false,
        dry_run: false,
        already_existed: false,
        status: status.to_string(),
        employee: PersonOut {
            id: plan.employee.id,
            name: plan.employee.full_name(),
        },
        absence: None,
        amount: plan.amount,
        unit: plan.time_off_type.unit.as_str().into(),
        summary: plan.summary(),
        confirmation_token: None,
        next_step: None,
        warnings: plan.warnings.clone(),
    }
}

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

fn elicitation_form(message: String) -> Result<InputRequests> {
    let schema = ElicitationSchema::from_type::<ConfirmForm>()
        .map_err(|e| Error::upstream(format!("confirmation form could not be built ({e})")))?;
    let mut requests = InputRequests::new();
    requests.insert(
        "confirm".into(),
        InputRequest::Elicitation(ElicitRequest::new(
            ElicitRequestParams::FormElicitationParams {
                meta: None,
                message,
                requested_schema: schema,
            },
        )),
    );
    Ok(requests)
}

fn accepted(responses: Option<&InputResponses>) -> bool {
    responses
        .and_then(|r| r.get("confirm"))
        .and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok())
        .is_some_and(|r| {
            r.action == ElicitationAction::Accept
                && r.content
                    .as_ref()
                    .and_then(|c| c.get("confirm"))
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
        })
}

/// Runs the tool for `caller` (who may only book for themself, or managers for their reports).
pub async fn run(
    app: &App,
    caller: &Caller,
    args: CreateTimeOffArgs,
    confirmation: Confirmation,
) -> Result<Outcome> {
    app.settings.writes.check_enabled()?;
    let principal = caller.principal.as_ref();
    let request = parse_request(&args)?;
    let types = app.client.time_off_types().await?;
    let ty = resolve_type(&types, &args.time_off_type)?.clone();
    let snapshot = app.directory.snapshot(None).await?;
    let who = caller.resolve_person(&snapshot, &args.employee)?;
    caller.require(who.id, "request time off for this person")?;
    let plan = prepare(
        &app.client,
        &who,
        &ty,
        &request,
        app.today(),
        args.allow_past.unwrap_or(false),
    )
    .await?;
    let bound_to = principal.map_or("local", |p| p.email.as_str());
    let request_digest = digest(&plan.canonical());

    let skip_approval = match args.auto_approve {
        Some(true) => {
            let hr = caller.role() == Role::Hr;
            if !(hr && app.settings.writes.allow_auto_approve) {
                return Err(Error::new(
                    ErrorCode::Forbidden,
                    "auto_approve is only for HR callers on servers started with --allow-auto-approve",
                )
                .with_hint("Leave auto_approve out: the request goes to Personio's approval flow."));
            }
            true
        }
        _ => false,
    };

    // A repeated idempotency key answers with the first result, whatever happened since.
    if let Some(key) = &args.idempotency_key
        && let Some(previous) = app.confirmations.replay(bound_to, key, &request_digest)?
        && let Ok(r) = serde_json::from_value::<CreateTimeOffResult>(previous)
    {
        return Ok(Outcome::Done(Box::new(r)));
    }
    if let Some(existing) = &plan.existing {
        let mut r = base_result(&plan, &existing.status);
        r.already_existed = true;
        let mut out = AbsenceOut::from_absence(existing);
        if out.time_off_type.category.is_none() {
            out.time_off_type.category = plan.time_off_type.category.clone();
        }
        r.absence = Some(out);
        return Ok(Outcome::Done(Box::new(r)));
    }
    if args.dry_run.unwrap_or(false) {
        let mut r = base_result(&plan, "preview");
        r.dry_run = true;
        r.next_step =
            Some("Call again without dry_run to request it (a confirmation follows).".into());
        return Ok(Outcome::Done(Box::new(r)));
    }

    // Human confirmation.
    if let Some(token) = &args.confirmation_token {
        app.confirmations.redeem(token, bound_to, &request_digest)?;
    } else {
        match confirmation {
            Confirmation::Skip => {}
            Confirmation::Token => {
                let mut r = base_result(&plan, "confirmation_required");
                r.confirmation_token = Some(app.confirmations.issue(bound_to, &request_digest)?);
                r.next_step = Some(
                    "Show the summary to the user. Only if they confirm, call create_time_off again with the \
same arguments plus this confirmation_token (valid 10 minutes, once)."
                        .into(),
                );
                return Ok(Outcome::Done(Box::new(r)));
            }
            Confirmation::Mrtr {
                request_state: None,
                ..
            } => {
                let state = app.confirmations.seal_state(bound_to, &request_digest)?;
                let form = elicitation_form(format!("{} Book it?", plan.summary()))?;
                return Ok(Outcome::InputRequired(InputRequiredResult::new(
                    Some(form),
                    Some(state),
                )));
            }
            Confirmation::Mrtr {
                request_state: Some(state),
                responses,
            } => {
                app.confirmations
                    .open_state(&state, bound_to, &request_digest)?;
                if !accepted(responses.as_ref()) {
                    let mut r = base_result(&plan, "declined");
                    r.next_step = Some("The user did not confirm; nothing was booked.".into());
                    return Ok(Outcome::Done(Box::new(r)));
                }
            }
            Confirmation::Elicit(peer) => {
                let answer = peer
                    .elicit_with_timeout::<ConfirmForm>(
                        format!("{} Book it?", plan.summary()),
                        Some(ELICIT_TIMEOUT),
                    )
                    .await;
                match answer {
                    Ok(Some(ConfirmForm { confirm: true })) => {}
                    Ok(_)
                    | Err(ElicitationError::UserDeclined)
                    | Err(ElicitationError::UserCancelled) => {
                        let mut r = base_result(&plan, "declined");
                        r.next_step = Some("The user did not confirm; nothing was booked.".into());
                        return Ok(Outcome::Done(Box::new(r)));
                    }
                    Err(e) => {
                        // The dialog failed (unsupported, timed out): fall back to the token path.
                        tracing::info!(error = %e, "elicitation unavailable; falling back to a confirmation token");
                        let mut r = base_result(&plan, "confirmation_required");
                        r.confirmation_token =
                            Some(app.confirmations.issue(bound_to, &request_digest)?);
                        r.next_step = Some(
                            "The confirmation dialog was not available. Show the summary to the user; only if they \
confirm, call again with the same arguments plus this confirmation_token."
                                .into(),
                        );
                        return Ok(Outcome::Done(Box::new(r)));
                    }
                }
            }
        }
    }

    let (absence, stored_now) = commit(&app.client, &app.write_locks, &plan, skip_approval).await?;
    let mut r = base_result(&plan, &absence.status);
    r.created = stored_now;
    r.already_existed = !stored_now;
    r.next_step = Some(if absence.status == "approved" {
        "Stored as approved in Personio.".into()
    } else {
        "Stored in Personio as a request; it is approved (or rejected) in Personio's approval flow."
            .into()
    });
    let mut out = AbsenceOut::from_absence(&absence);
    if out.time_off_type.category.is_none() {
        out.time_off_type.category = plan.time_off_type.category.clone();
    }
    r.absence = Some(out);
    if let Some(key) = &args.idempotency_key
        && let Ok(v) = serde_json::to_value(&r)
    {
        app.confirmations
            .remember(bound_to, key, &request_digest, v);
    }
    Ok(Outcome::Done(Box::new(r)))
}
