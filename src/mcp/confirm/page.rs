//! The confirmation page as a channel of the write flow (issue 17).
//!
//! The preview creates a page approval showing the validated request and hands the model two
//! things: the page's URL (to show the person) and a token that names the approval
//! (`page.<approval id>.<sealed token>`). A call with that token writes only after the person
//! pressed Confirm: before, it is refused with CONFLICT ("wait"), after Decline with FORBIDDEN
//! (for good). Writing spends both the sealed token (bound to the caller and the exact request,
//! single use) and the approval (compare-and-set Approved → Consumed), so it happens once.
//!
//! Error codes: a pending approval is CONFLICT, not VALIDATION_FAILED, because nothing is wrong
//! with the call — the state it needs is not there yet, and the same call succeeds once the person
//! confirmed. A declined one is FORBIDDEN: the person refused this write, retrying cannot change
//! that. Expired, used and unknown approvals are VALIDATION_FAILED like every other refused token
//! (the model needs a fresh preview).

use super::Step;
use crate::app::App;
use crate::error::{Error, ErrorCode, Result};
use crate::policy::state::approvals::SECRET_CHARS;
use crate::policy::state::{ApprovalId, ApprovalState, ApprovalView, ConsumeOutcome};

/// The prefix of a token that names a page approval.
const PREFIX: &str = "page.";

/// What a page token binds to: the caller and the exact request.
fn binding(bound_to: &str, digest: &str) -> String {
    format!("{bound_to}|{digest}")
}

/// A page token: the approval id (already in the URL the model holds) and the sealed token.
fn join(id: &ApprovalId, sealed: &str) -> String {
    format!("{PREFIX}{}.{sealed}", id.as_str())
}

/// Splits a page token; `None` for a plain token.
pub(super) fn split(token: &str) -> Option<(Option<ApprovalId>, &str)> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let (id, sealed) = match (rest.get(..SECRET_CHARS), rest.get(SECRET_CHARS..)) {
        (Some(id), Some(tail)) => (ApprovalId::parse(id), tail.strip_prefix('.')),
        _ => (None, None),
    };
    Some((id, sealed.unwrap_or_default()))
}

/// Creates the approval and the step the preview shows: the link and the token.
pub(super) async fn offer(
    app: &App,
    view: &ApprovalView,
    bound_to: &str,
    digest: &str,
) -> Result<Step> {
    let host = app.page_host().ok_or_else(|| {
        Error::validation("this server is configured to confirm writes on its confirmation page, but it cannot serve one here")
            .with_hint("Run it as a server (serve, or serve --http) rather than a one-shot `tools call`, or use --confirm-via token for trusted automation.")
    })?;
    let base = host.base_url().await?;
    // The link expires with the token, so that an open page never outlives what it approves.
    let ttl = app.confirmations().ttl();
    let sealed = app.confirmations().issue(bound_to, digest)?;
    let created = app
        .approvals()
        .create(view, &binding(bound_to, digest), ttl)
        .await?;
    let url = format!("{base}{}", created.path);
    let minutes = ttl.as_secs().div_ceil(60);
    let next_step = format!(
        "Show the user this link and ask them to confirm or decline there: {url} (valid {minutes} min). \
Only after they say they confirmed, call the tool again with the same arguments plus this confirmation_token; \
before that the call is refused and nothing is written."
    );
    Ok(Step::ConfirmationRequired {
        token: join(&created.id, &sealed),
        next_step,
        url: Some(url),
    })
}

fn refusal(state: ApprovalState) -> Error {
    let fresh = "Call the tool again without confirmation_token for a new link, if the user still wants this.";
    match state {
        ApprovalState::Pending => Error::new(
            ErrorCode::Conflict,
            "the user has not confirmed this on the confirmation page yet; nothing was written",
        )
        .with_hint("Wait until the user says they pressed Confirm on the page, then call again with the same arguments and token. Do not open the link yourself."),
        ApprovalState::Declined => Error::new(
            ErrorCode::Forbidden,
            "the user declined this on the confirmation page; nothing was written",
        )
        .with_hint("Do not retry this request; ask the user what they want instead."),
        ApprovalState::Expired => {
            Error::validation("the confirmation link has expired; nothing was written").with_hint(fresh)
        }
        ApprovalState::Consumed => {
            Error::validation("this confirmation was already used for its write").with_hint(fresh)
        }
        ApprovalState::Approved | ApprovalState::Unknown => Error::validation(
            "the confirmation token was refused: it does not belong to this request and caller, or was altered",
        )
        .with_hint(fresh),
    }
}

/// Before anything is looked up in Personio: only an approved approval goes on.
pub(super) async fn check(
    app: &App,
    id: Option<&ApprovalId>,
    bound_to: &str,
    digest: &str,
) -> Result<()> {
    let Some(id) = id else {
        return Err(refusal(ApprovalState::Unknown));
    };
    match app
        .approvals()
        .state_for(id, &binding(bound_to, digest))
        .await?
    {
        ApprovalState::Approved => Ok(()),
        other => Err(refusal(other)),
    }
}

/// Spends the sealed token and the approval, right before the write.
pub(super) async fn redeem(
    app: &App,
    id: Option<&ApprovalId>,
    sealed: &str,
    bound_to: &str,
    digest: &str,
) -> Result<()> {
    let Some(id) = id else {
        return Err(refusal(ApprovalState::Unknown));
    };
    app.confirmations().redeem(sealed, bound_to, digest).await?;
    match app
        .approvals()
        .consume(id, &binding(bound_to, digest))
        .await?
    {
        ConsumeOutcome::Consumed => Ok(()),
        ConsumeOutcome::NotApproved(state) => Err(refusal(state)),
    }
}

/// A plain token on a server that confirms on the page only: refused, so that a token from
/// elsewhere cannot stand in for the person's click.
pub(super) fn plain_token_refused() -> Error {
    Error::validation(
        "this server confirms writes on its confirmation page; a plain confirmation token is not accepted",
    )
    .with_hint("Call the tool again without confirmation_token to get the link for the user.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_split_into_approval_and_sealed_token() {
        let id = ApprovalId::parse(&"a".repeat(SECRET_CHARS)).unwrap();
        let t = join(&id, "sealed.part");
        let (got, sealed) = split(&t).unwrap();
        assert_eq!(got, Some(id));
        assert_eq!(sealed, "sealed.part");
        assert!(split("plain-token").is_none(), "a plain token");
        let (bad, _) = split("page.short").unwrap();
        assert!(bad.is_none(), "a malformed page token names no approval");
        let (bad, _) = split(&format!("page.{}x", "a".repeat(SECRET_CHARS))).unwrap();
        assert!(bad.is_some(), "the id parses");
        assert_eq!(
            split(&format!("page.{}", "a".repeat(SECRET_CHARS)))
                .unwrap()
                .1,
            ""
        );
    }

    #[test]
    fn a_pending_approval_says_wait_and_a_declined_one_is_final() {
        assert_eq!(refusal(ApprovalState::Pending).code, ErrorCode::Conflict);
        assert!(
            refusal(ApprovalState::Pending)
                .message
                .contains("not confirmed")
        );
        assert_eq!(refusal(ApprovalState::Declined).code, ErrorCode::Forbidden);
        for s in [
            ApprovalState::Expired,
            ApprovalState::Consumed,
            ApprovalState::Unknown,
        ] {
            assert_eq!(refusal(s).code, ErrorCode::ValidationFailed);
        }
    }
}
