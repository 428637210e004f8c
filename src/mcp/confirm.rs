//! The write flow every write tool shares: write gate → draft (person, type, access) →
//! idempotent replay → plan (validation, duplicates, balance; no write) → dry run → a human "yes"
//! over the best channel the client offers → commit (never twice) → remember the result under its
//! idempotency key.
//!
//! A write tool implements [`WriteOp`] (its own drafting, planning, previews and commit) and calls
//! [`PersonioServer::run_write`]; the confirmation channels, token checks, idempotency and audit
//! live here once.
//!
//! Channels (`--confirm-via`): the client's dialog (MRTR or legacy form elicitation), the
//! confirmation page this server serves ([`page`]), or a token the model passes back. `auto`
//! takes the first the client and server can offer; `page` always the page; `token` never the page.

mod page;

use std::future::Future;
use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
    InputRequest, InputRequests, InputRequiredResult, InputResponses, ProtocolVersion,
};
use rmcp::service::{ElicitationError, Peer, RequestContext};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::dispatch::{Audited, ToolOutput, success};
use super::errors::error_result;
use super::handler::PersonioServer;
use super::progress::ProgressForwarder;
use super::write_tool::GoOn;
use crate::error::{Error, Result};
use crate::policy::confirmations::digest;
use crate::policy::guarded::Guarded;
use crate::policy::state::ApprovalView;
use crate::policy::state::approvals::ConfirmVia;

/// How long a legacy elicitation dialog may stay open.
const ELICIT_TIMEOUT: Duration = Duration::from_secs(300);

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
    /// The confirmation page: a link for the person, a token that writes only after they
    /// confirmed there.
    Page,
}

/// The answer of a write: a result, or a request for input (MRTR).
pub enum Outcome<T> {
    Done(Box<T>),
    InputRequired(InputRequiredResult),
}

/// The controls every write tool takes besides its own arguments.
#[derive(Debug, Clone, Default)]
pub struct WriteControls {
    pub dry_run: bool,
    pub confirmation_token: Option<String>,
    pub idempotency_key: Option<String>,
}

impl WriteControls {
    /// The controls as a tool's arguments carry them (`dry_run` absent = a real write).
    pub fn new(
        dry_run: Option<bool>,
        confirmation_token: Option<&String>,
        idempotency_key: Option<&String>,
    ) -> Self {
        WriteControls {
            dry_run: dry_run.unwrap_or(false),
            confirmation_token: confirmation_token.cloned(),
            idempotency_key: idempotency_key.cloned(),
        }
    }
}

/// What the flow asks a write tool to show instead of writing.
pub enum Step {
    /// `dry_run`: what would happen.
    Preview,
    /// A human must confirm (on the page at `url`, when set); pass `token` back with the same
    /// arguments.
    ConfirmationRequired {
        token: String,
        next_step: String,
        url: Option<String>,
    },
    /// The human said no.
    Declined,
}

/// Where a write stands, in the fields every write tool's result reports it with.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub status: String,
    pub dry_run: bool,
    pub go_on: GoOn,
}

impl Stage {
    /// A write that waits for no one (stored, or found already done): its status alone.
    pub fn status(status: impl Into<String>) -> Self {
        Stage {
            status: status.into(),
            dry_run: false,
            go_on: GoOn::default(),
        }
    }
}

impl Step {
    /// The result fields of this step; `preview_next` and `declined_next` say, in the tool's own
    /// words, what a dry run would do and what a refusal left undone.
    pub fn stage(self, preview_next: &str, declined_next: &str) -> Stage {
        match self {
            Step::Preview => Stage {
                dry_run: true,
                go_on: GoOn {
                    next_step: Some(preview_next.to_string()),
                    ..GoOn::default()
                },
                ..Stage::status("preview")
            },
            Step::ConfirmationRequired {
                token,
                next_step,
                url,
            } => Stage {
                go_on: GoOn {
                    confirmation_token: Some(token),
                    confirmation_url: url,
                    next_step: Some(next_step),
                },
                ..Stage::status("confirmation_required")
            },
            Step::Declined => Stage {
                go_on: GoOn {
                    next_step: Some(declined_next.to_string()),
                    ..GoOn::default()
                },
                ..Stage::status("declined")
            },
        }
    }
}

/// One write tool's part of the flow.
pub trait WriteOp: Send + Sync {
    /// The request bound to its target (person, type, absence), before any check upstream.
    type Draft: Send + Sync;
    /// Everything known before writing.
    type Plan: Send;
    type Output: ToolOutput + DeserializeOwned + Send;

    /// The flow's controls among the tool's arguments.
    fn controls(&self) -> WriteControls;
    /// What the audit record keeps of the request (hashed there, never stored in the clear).
    fn audit_request(&self) -> serde_json::Value;
    /// Resolves the request's target, with the access check.
    fn draft(&self, g: &Guarded) -> impl Future<Output = Result<Self::Draft>> + Send;
    /// The request's identity (what tokens and idempotency keys bind to).
    fn canonical(&self, draft: &Self::Draft) -> serde_json::Value;
    /// Checks the draft upstream; with `for_write` under the target's write lock.
    fn plan(
        &self,
        g: &Guarded,
        draft: Self::Draft,
        for_write: bool,
    ) -> impl Future<Output = Result<Self::Plan>> + Send;
    /// Already done (an identical absence exists, or the absence is already gone): the answer.
    fn settled(&self, g: &Guarded, plan: &Self::Plan) -> Option<Self::Output>;
    /// The result shown instead of a write.
    fn preview(&self, g: &Guarded, plan: &Self::Plan, step: Step) -> Self::Output;
    /// The question a person answers in a confirmation dialog (cleaned for display).
    fn question(&self, g: &Guarded, plan: &Self::Plan) -> String;
    /// What the confirmation page shows (raw values: the page cleans and escapes them).
    fn approval_view(&self, g: &Guarded, plan: &Self::Plan) -> ApprovalView;
    /// Writes the plan (never twice).
    fn commit(
        &self,
        g: &Guarded,
        plan: Self::Plan,
    ) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Whom tokens and idempotency keys are bound to: the caller's email, or "local" for the
/// operator of a stdio server without `--as`.
fn bound_to(principal: Option<&crate::policy::principal::Principal>) -> String {
    principal.map_or("local".to_string(), |p| p.email.clone())
}

/// The page's "requested by": the caller, when they are not the employee concerned.
pub fn requested_by(g: &Guarded, employee_id: i64) -> Option<String> {
    let caller = g.caller();
    (caller.employee_id != Some(employee_id))
        .then(|| caller.principal.as_ref().map(|p| p.email.clone()))
        .flatten()
}

/// Days or hours, as the page says it.
pub fn quantity_unit(unit: crate::personio::Unit) -> crate::policy::state::QuantityUnit {
    match unit {
        crate::personio::Unit::Days => crate::policy::state::QuantityUnit::Days,
        crate::personio::Unit::Hours => crate::policy::state::QuantityUnit::Hours,
    }
}

/// Runs a write for a resolved caller outside an MCP request (tests, the command line).
pub async fn run_for<W: WriteOp>(
    g: &Guarded,
    op: W,
    confirmation: Confirmation,
    app: &crate::app::App,
) -> Result<Outcome<W::Output>> {
    let controls = op.controls();
    let page = app.page_host().is_some();
    write(
        g,
        &op,
        &controls,
        resolve(confirmation, app.confirm_via(), page),
        app,
    )
    .await
}

/// The channel `--confirm-via` leaves of what the client offers: `page` replaces every channel
/// (but a configured skip), `auto` replaces the token by the page where one can be served.
fn resolve(offered: Confirmation, via: ConfirmVia, page_host: bool) -> Confirmation {
    match (offered, via) {
        (Confirmation::Skip, _) => Confirmation::Skip,
        (_, ConfirmVia::Page) => Confirmation::Page,
        (Confirmation::Token, ConfirmVia::Auto) if page_host => Confirmation::Page,
        (offered, _) => offered,
    }
}

const TOKEN_NEXT_STEP: &str = "Show the summary to the user. Only if they confirm, call the tool again with the \
same arguments plus this confirmation_token (valid 10 minutes, once).";

/// A plain token step.
fn token_step(app: &crate::app::App, bound_to: &str, digest: &str, next: &str) -> Result<Step> {
    Ok(Step::ConfirmationRequired {
        token: app.confirmations().issue(bound_to, digest)?,
        next_step: next.to_string(),
        url: None,
    })
}

/// The page, or (in `auto`, when it cannot be served) a plain token.
async fn page_or_token(
    app: &crate::app::App,
    view: &ApprovalView,
    bound_to: &str,
    digest: &str,
    token_next: &str,
) -> Result<Step> {
    if app.page_host().is_none() && app.confirm_via() == ConfirmVia::Auto {
        return token_step(app, bound_to, digest, token_next);
    }
    match page::offer(app, view, bound_to, digest).await {
        Ok(step) => Ok(step),
        Err(e) if app.confirm_via() == ConfirmVia::Auto => {
            tracing::warn!(code = %e.code, "confirmation page unavailable; falling back to a confirmation token");
            token_step(app, bound_to, digest, token_next)
        }
        Err(e) => Err(e),
    }
}

/// The form a human fills in to confirm.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ConfirmForm {
    /// Make this change in Personio?
    pub confirm: bool,
}
rmcp::elicit_safe!(ConfirmForm);

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

/// The best way this client offers to ask its human for confirmation.
pub fn channel(
    ctx: &RequestContext<RoleServer>,
    skip_confirmation: bool,
    request_state: Option<String>,
    responses: Option<InputResponses>,
) -> Confirmation {
    if skip_confirmation {
        return Confirmation::Skip;
    }
    let modern = ctx
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
    let form = ctx
        .client_capabilities()
        .and_then(|c| c.elicitation)
        .is_some_and(|e| e.form.is_some() || e.url.is_none());
    if modern && (form || request_state.is_some()) {
        Confirmation::Mrtr {
            request_state,
            responses,
        }
    } else if !modern
        && ctx
            .peer
            .supported_elicitation_modes()
            .contains(&rmcp::service::ElicitationMode::Form)
    {
        Confirmation::Elicit(ctx.peer.clone())
    } else {
        Confirmation::Token
    }
}

/// Runs one write for the caller `g` (see the module docs for the order of business).
pub async fn write<W: WriteOp>(
    g: &Guarded,
    op: &W,
    controls: &WriteControls,
    confirmation: Confirmation,
    app: &crate::app::App,
) -> Result<Outcome<W::Output>> {
    let bound = bound_to(g.caller().principal.as_ref());
    let bound_to = bound.as_str();
    let (idempotency, confirmations) = (app.idempotency(), app.confirmations());
    g.rules().writes.check_enabled()?;
    let draft = op.draft(g).await?;
    let request_digest = digest(&op.canonical(&draft));

    // A repeated idempotency key answers with the first result, whatever happened since (also
    // when the request's date has passed in between): before anything is checked again.
    if let Some(key) = &controls.idempotency_key
        && let Some(previous) = idempotency.replay(bound_to, key, &request_digest).await?
    {
        match serde_json::from_value::<W::Output>(previous) {
            Ok(r) => return Ok(Outcome::Done(Box::new(r))),
            // A result stored by another version that this one cannot read: the request is
            // checked again, and the duplicate check finds what the first call wrote.
            Err(_) => tracing::warn!(
                "a stored idempotent result could not be read; the request is checked again"
            ),
        }
    }
    // A page token goes on only once the person confirmed: checked before Personio is asked.
    let page_token = controls.confirmation_token.as_deref().and_then(page::split);
    if !controls.dry_run {
        match &page_token {
            Some((id, _)) => page::check(app, id.as_ref(), bound_to, &request_digest).await?,
            None if controls.confirmation_token.is_some()
                && app.confirm_via() == ConfirmVia::Page =>
            {
                return Err(page::plain_token_refused());
            }
            None => {}
        }
    }
    let writes_now = !controls.dry_run
        && (controls.confirmation_token.is_some()
            || matches!(
                confirmation,
                Confirmation::Skip
                    | Confirmation::Mrtr {
                        request_state: Some(_),
                        ..
                    }
            ));
    let plan = op.plan(g, draft, writes_now).await?;
    if let Some(done) = op.settled(g, &plan) {
        return Ok(Outcome::Done(Box::new(done)));
    }
    if controls.dry_run {
        return Ok(Outcome::Done(Box::new(op.preview(g, &plan, Step::Preview))));
    }

    // Human confirmation.
    if let Some((id, sealed)) = &page_token {
        page::redeem(app, id.as_ref(), sealed, bound_to, &request_digest).await?;
    } else if let Some(token) = &controls.confirmation_token {
        confirmations
            .redeem(token, bound_to, &request_digest)
            .await?;
    } else {
        match confirmation {
            Confirmation::Skip => {}
            Confirmation::Token => {
                let step = token_step(app, bound_to, &request_digest, TOKEN_NEXT_STEP)?;
                return Ok(Outcome::Done(Box::new(op.preview(g, &plan, step))));
            }
            Confirmation::Page => {
                let view = op.approval_view(g, &plan);
                let step =
                    page_or_token(app, &view, bound_to, &request_digest, TOKEN_NEXT_STEP).await?;
                return Ok(Outcome::Done(Box::new(op.preview(g, &plan, step))));
            }
            Confirmation::Mrtr {
                request_state: None,
                ..
            } => {
                let state = confirmations.seal_state(bound_to, &request_digest)?;
                let form = elicitation_form(op.question(g, &plan))?;
                return Ok(Outcome::InputRequired(InputRequiredResult::new(
                    Some(form),
                    Some(state),
                )));
            }
            Confirmation::Mrtr {
                request_state: Some(state),
                responses,
            } => {
                confirmations
                    .open_state(&state, bound_to, &request_digest)
                    .await?;
                if !accepted(responses.as_ref()) {
                    return Ok(Outcome::Done(Box::new(op.preview(
                        g,
                        &plan,
                        Step::Declined,
                    ))));
                }
            }
            Confirmation::Elicit(peer) => {
                let answer = peer
                    .elicit_with_timeout::<ConfirmForm>(op.question(g, &plan), Some(ELICIT_TIMEOUT))
                    .await;
                match answer {
                    Ok(Some(ConfirmForm { confirm: true })) => {}
                    Ok(_)
                    | Err(ElicitationError::UserDeclined)
                    | Err(ElicitationError::UserCancelled) => {
                        return Ok(Outcome::Done(Box::new(op.preview(
                            g,
                            &plan,
                            Step::Declined,
                        ))));
                    }
                    Err(e) => {
                        // The dialog failed (unsupported, timed out): fall back to the page
                        // where one can be served, else to the token path.
                        tracing::info!(error = %e, "elicitation unavailable; falling back");
                        let next = "The confirmation dialog was not available. Show the summary to the user; only if \
they confirm, call again with the same arguments plus this confirmation_token.";
                        let view = op.approval_view(g, &plan);
                        let step =
                            page_or_token(app, &view, bound_to, &request_digest, next).await?;
                        return Ok(Outcome::Done(Box::new(op.preview(g, &plan, step))));
                    }
                }
            }
        }
    }

    let result = op.commit(g, plan).await?;
    if let Some(key) = &controls.idempotency_key
        && let Ok(v) = serde_json::to_value(&result)
    {
        // The write happened: a store failure here must not turn it into an error (the retry
        // would then find the absence by its natural key anyway).
        if let Err(e) = idempotency
            .remember(bound_to, key, &request_digest, v)
            .await
        {
            tracing::warn!(code = %e.code, "could not remember the idempotency key");
        }
    }
    Ok(Outcome::Done(Box::new(result)))
}

impl PersonioServer {
    /// Runs one write tool call over the best confirmation channel the client offers (given the
    /// MRTR `request_state` and `responses` it sent back, if any), and audits it (with a digest
    /// of the request, never its values).
    pub(crate) async fn run_write<W: WriteOp>(
        &self,
        ctx: &RequestContext<RoleServer>,
        op: W,
        request_state: Option<String>,
        responses: Option<InputResponses>,
    ) -> std::result::Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        let skip = self.app().rules().writes.skip_confirmation;
        let confirmation = channel(ctx, skip, request_state, responses);
        let audit_request = op.audit_request();
        let forwarder = ProgressForwarder::new(ctx);
        let (principal, guarded) = self.guarded(ctx, &forwarder).await;
        forwarder.finish().await;
        let outcome = match &guarded {
            Ok(g) => run_for(g, op, confirmation, self.app()).await,
            Err(e) => Err(e.clone()),
        };
        let tool = Self::tool_name(ctx);
        let audited = |targets, fields, outcome, status| Audited {
            caller: &principal,
            targets,
            fields,
            outcome,
            write_request: Some(&audit_request),
            write_status: status,
        };
        match outcome {
            Ok(Outcome::InputRequired(input)) => {
                self.audit(
                    &tool,
                    audited(
                        Vec::new(),
                        Vec::new(),
                        Ok(()),
                        Some("input_required".into()),
                    ),
                );
                Ok(input.into())
            }
            Ok(Outcome::Done(result)) => match serde_json::to_value(&*result) {
                Ok(value) => {
                    self.audit(
                        &tool,
                        audited(
                            result.targets(),
                            self.audited_fields(&value),
                            Ok(()),
                            result.write_status().map(str::to_string),
                        ),
                    );
                    Ok(success(value).into())
                }
                Err(e) => {
                    let e = Error::upstream(format!("result could not be encoded: {e}"));
                    self.audit(&tool, audited(Vec::new(), Vec::new(), Err(&e), None));
                    Ok(error_result(&e).into())
                }
            },
            Err(e) => {
                let targets = e.target.into_iter().collect();
                self.audit(&tool, audited(targets, Vec::new(), Err(&e), None));
                Ok(error_result(&e).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(c: &Confirmation) -> &'static str {
        match c {
            Confirmation::Skip => "skip",
            Confirmation::Token => "token",
            Confirmation::Mrtr { .. } => "mrtr",
            Confirmation::Elicit(_) => "elicit",
            Confirmation::Page => "page",
        }
    }

    fn mrtr() -> Confirmation {
        Confirmation::Mrtr {
            request_state: None,
            responses: None,
        }
    }

    #[test]
    fn each_step_fills_the_fields_a_write_result_reports() {
        let preview = Step::Preview.stage("would do", "left undone");
        assert_eq!(
            (preview.status.as_str(), preview.dry_run),
            ("preview", true)
        );
        assert_eq!(preview.go_on.next_step.as_deref(), Some("would do"));
        assert!(preview.go_on.confirmation_token.is_none());
        let asked = Step::ConfirmationRequired {
            token: "t".into(),
            next_step: "confirm".into(),
            url: Some("http://127.0.0.1/c/1".into()),
        }
        .stage("would do", "left undone");
        assert_eq!(asked.status, "confirmation_required");
        assert!(!asked.dry_run);
        assert_eq!(asked.go_on.confirmation_token.as_deref(), Some("t"));
        assert_eq!(
            asked.go_on.confirmation_url.as_deref(),
            Some("http://127.0.0.1/c/1")
        );
        assert_eq!(asked.go_on.next_step.as_deref(), Some("confirm"));
        let declined = Step::Declined.stage("would do", "left undone");
        assert_eq!(declined.status, "declined");
        assert_eq!(declined.go_on.next_step.as_deref(), Some("left undone"));
        assert_eq!(Stage::status("pending").go_on.next_step, None);
    }

    #[test]
    fn the_setting_picks_the_channel_from_what_client_and_server_offer() {
        use ConfirmVia::{Auto, Page, Token};
        let cases = [
            // auto: the client's dialog first, else the page where one can be served, else a token.
            (mrtr(), Auto, true, "mrtr"),
            (Confirmation::Token, Auto, true, "page"),
            (Confirmation::Token, Auto, false, "token"),
            // page: always the page (also where it cannot be served: then the write is refused).
            (mrtr(), Page, true, "page"),
            (Confirmation::Token, Page, false, "page"),
            // token: today's behaviour, never the page.
            (Confirmation::Token, Token, true, "token"),
            (mrtr(), Token, true, "mrtr"),
            // A configured skip is never overridden.
            (Confirmation::Skip, Page, true, "skip"),
        ];
        for (offered, via, host, expected) in cases {
            let got = resolve(offered, via, host);
            assert_eq!(name(&got), expected, "{via:?} host={host}");
        }
    }
}
