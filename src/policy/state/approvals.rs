//! Page approvals: a person says yes (or no) to one write on a web page the server serves.
//!
//! In clients without elicitation the confirmation token travels through the model, so the token
//! alone proves nothing about a person. With a page approval, the preview creates an approval
//! (its id is the unguessable part of the URL the person opens), the page moves it from Pending to
//! Approved or Declined exactly once (compare-and-set in the [`StateStore`]), and the write path
//! consumes an Approved one exactly once before it writes.
//!
//! This module is the API both sides use: the write path (`create`, `state`, `consume`) and the
//! page (`load`, `decide`). It lives in `policy` so that the tools never import `transport`; the
//! page's URL comes from a [`ConfirmPageHost`] the transport layer provides.
//!
//! What the page can prove: that someone who could open the URL and read the page pressed a
//! button. The URL is a bearer secret (≥ 256 bits), sent with `Referrer-Policy: no-referrer` and
//! never logged; a model that can itself fetch the URL (e.g. an agent with shell access on the
//! same machine) could press the button too. The CSRF secret stops other web pages from doing so.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, NaiveTime};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::{
    ApprovalRecord, ApprovalStatus, StateStore, Transition, UnixMillis, expiry_after, internal,
    now_millis,
};
use crate::error::Result;

/// The path prefix of confirmation pages: `/confirm/{id}`.
pub const CONFIRM_PATH_PREFIX: &str = "/confirm/";
/// Random bytes in an approval id and in a CSRF secret (256 bits).
pub const SECRET_BYTES: usize = 32;
/// The length of an id or CSRF secret in base64url without padding.
pub const SECRET_CHARS: usize = 43;

/// What kind of write the person approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    /// Book new time off.
    Create,
    /// Cancel (delete) existing time off.
    Cancel,
}

/// Days or hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantityUnit {
    Days,
    Hours,
}

/// How the write changes the employee's balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceEffect {
    pub unit: QuantityUnit,
    /// How much the request takes (create) or gives back (cancel); positive.
    pub amount: f64,
    /// The balance before, when known.
    pub before: Option<f64>,
    /// The balance after, when known.
    pub after: Option<f64>,
}

/// What the confirmation page shows: plain display fields, set by the write path from the
/// validated request. Free text (names, type, comment) is untrusted: the page sanitises and
/// escapes it, the write path need not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub action: ApprovalAction,
    /// Whose time off (display name).
    pub employee: String,
    /// Who asked, when not the employee themself (display name or e-mail).
    pub requested_by: Option<String>,
    /// The time-off type's name.
    pub time_off_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Hour-unit types: the times on the first and last day.
    pub start_time: Option<NaiveTime>,
    pub end_time: Option<NaiveTime>,
    /// The IANA zone of the times (None without times; views stored before it have none).
    #[serde(default)]
    pub zone: Option<String>,
    /// Day-unit types: the first / last day is a half day.
    pub half_day_start: bool,
    pub half_day_end: bool,
    pub balance: Option<BalanceEffect>,
    pub comment: Option<String>,
}

/// An approval id: 32 random bytes, base64url (43 characters). Unguessable, so it is also the
/// capability to open the page.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ApprovalId(String);

impl std::fmt::Debug for ApprovalId {
    /// Redacted: the id is a bearer secret and must not reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApprovalId(..)")
    }
}

impl ApprovalId {
    /// Accepts only the exact shape of a generated id (bounded input, no store look-up otherwise).
    pub fn parse(text: &str) -> Option<ApprovalId> {
        is_secret_shaped(text).then(|| ApprovalId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The page's path, `/confirm/{id}`.
    pub fn path(&self) -> String {
        format!("{CONFIRM_PATH_PREFIX}{}", self.0)
    }
}

fn is_secret_shaped(text: &str) -> bool {
    text.len() == SECRET_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 32 bytes from the thread-local CSPRNG (ChaCha, seeded and reseeded from the OS), base64url.
fn random_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A freshly created approval.
#[derive(Debug, Clone)]
pub struct CreatedApproval {
    pub id: ApprovalId,
    /// `/confirm/{id}`: join it to a [`ConfirmPageHost::base_url`].
    pub path: String,
    pub expires_at: UnixMillis,
}

/// Where an approval stands, as the write path sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalState {
    /// The person has not answered yet: tell the model to wait.
    Pending,
    /// The person confirmed; [`Approvals::consume`] it and write.
    Approved,
    /// The person declined: refuse for good.
    Declined,
    /// Already used for its write.
    Consumed,
    /// Its time is up.
    Expired,
    /// No such approval.
    Unknown,
}

/// The person's answer on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Decline,
}

/// What the page's POST achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// Recorded (the new state is Approved or Declined).
    Recorded(ApprovalState),
    /// Already decided earlier; nothing changed.
    AlreadyDecided(ApprovalState),
    /// The CSRF value was missing or wrong; nothing changed.
    Forbidden,
    Expired,
    Unknown,
}

/// What [`Approvals::consume`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// Approved and now spent: write, once.
    Consumed,
    /// Not approved (pending, declined, already consumed, expired, unknown, or bound to another
    /// request): write nothing.
    NotApproved(ApprovalState),
}

fn state_of(status: ApprovalStatus) -> ApprovalState {
    match status {
        ApprovalStatus::Pending => ApprovalState::Pending,
        ApprovalStatus::Approved => ApprovalState::Approved,
        ApprovalStatus::Declined => ApprovalState::Declined,
        ApprovalStatus::Consumed => ApprovalState::Consumed,
    }
}

/// Where the confirmation pages are served: the HTTP server's public URL, or a loopback listener
/// started on first need (stdio mode). Implemented in `transport::confirm_page`.
pub trait ConfirmPageHost: Send + Sync {
    /// The absolute base URL (`scheme://host[:port]`, no trailing slash) the page paths join to.
    fn base_url(&self) -> BoxFuture<'_, Result<String>>;
}

/// How a person confirms a write (`--confirm-via`, `PERSONIO_MCP_CONFIRM_VIA`).
///
/// Only the page and the client's own dialog put a person between the model and the write: a
/// token travels through the model, which can pass it back by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ConfirmVia {
    /// The client's dialog (elicitation) where it has one, else the confirmation page where the
    /// server can serve one, else a token.
    #[default]
    Auto,
    /// Always the confirmation page: no write without a person's click there.
    Page,
    /// The client's dialog where it has one, else a token the model passes back (nothing proves
    /// that a person said yes): trusted automation only.
    Token,
}

/// Makes the page host for an app's approvals. The transport layer provides it (a loopback
/// listener for stdio), so that `policy` and `app` never import `transport`.
pub type PageHostFactory = Arc<dyn Fn(Approvals) -> Arc<dyn ConfirmPageHost> + Send + Sync>;

/// The confirmation settings of a server.
#[derive(Clone, Default)]
pub struct ConfirmSettings {
    pub via: ConfirmVia,
    /// Where pages can be served; `None`: nowhere (`auto` then falls back to tokens).
    pub page_host: Option<PageHostFactory>,
}

impl std::fmt::Debug for ConfirmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmSettings")
            .field("via", &self.via)
            .field("page_host", &self.page_host.is_some())
            .finish()
    }
}

/// The approvals API over a [`StateStore`].
#[derive(Clone, Debug)]
pub struct Approvals {
    store: Arc<dyn StateStore>,
}

impl Approvals {
    pub fn new(store: Arc<dyn StateStore>) -> Self {
        Approvals { store }
    }

    /// Creates a pending approval showing `view`, valid for `ttl` (use the token's validity, so
    /// that both expire together). `binding` says what it approves (e.g. principal and request
    /// digest); [`Approvals::consume`] checks it.
    pub async fn create(
        &self,
        view: &ApprovalView,
        binding: &str,
        ttl: Duration,
    ) -> Result<CreatedApproval> {
        let id = ApprovalId(random_secret());
        let view = serde_json::to_value(view)
            .map_err(|e| internal(format!("could not encode an approval view ({e})")))?;
        let record = ApprovalRecord {
            view,
            csrf_secret: random_secret(),
            binding: binding.to_string(),
            expires_at: expiry_after(ttl),
            status: ApprovalStatus::Pending,
        };
        let expires_at = record.expires_at;
        self.store.create_approval(id.as_str(), record).await?;
        Ok(CreatedApproval {
            path: id.path(),
            id,
            expires_at,
        })
    }

    /// Where the approval stands now.
    pub async fn state(&self, id: &ApprovalId) -> Result<ApprovalState> {
        Ok(match self.store.get_approval(id.as_str()).await? {
            None => ApprovalState::Unknown,
            Some(r) if r.is_expired_at(now_millis()) => ApprovalState::Expired,
            Some(r) => state_of(r.status),
        })
    }

    /// Where the approval stands for the request `binding` describes: an approval bound to
    /// another request (or caller) is [`ApprovalState::Unknown`] (compared in constant time).
    pub async fn state_for(&self, id: &ApprovalId, binding: &str) -> Result<ApprovalState> {
        Ok(match self.store.get_approval(id.as_str()).await? {
            None => ApprovalState::Unknown,
            Some(r) if !bool::from(r.binding.as_bytes().ct_eq(binding.as_bytes())) => {
                ApprovalState::Unknown
            }
            Some(r) if r.is_expired_at(now_millis()) => ApprovalState::Expired,
            Some(r) => state_of(r.status),
        })
    }

    /// Spends an approved approval for its write, exactly once, if it is bound to `binding`.
    pub async fn consume(&self, id: &ApprovalId, binding: &str) -> Result<ConsumeOutcome> {
        match self.store.get_approval(id.as_str()).await? {
            None => return Ok(ConsumeOutcome::NotApproved(ApprovalState::Unknown)),
            Some(r) if !bool::from(r.binding.as_bytes().ct_eq(binding.as_bytes())) => {
                return Ok(ConsumeOutcome::NotApproved(ApprovalState::Unknown));
            }
            Some(_) => {}
        }
        let t = self
            .store
            .transition_approval(
                id.as_str(),
                ApprovalStatus::Approved,
                ApprovalStatus::Consumed,
            )
            .await?;
        Ok(match t {
            Transition::Done(_) => ConsumeOutcome::Consumed,
            Transition::Refused(s) => ConsumeOutcome::NotApproved(state_of(s)),
            Transition::Expired => ConsumeOutcome::NotApproved(ApprovalState::Expired),
            Transition::Missing => ConsumeOutcome::NotApproved(ApprovalState::Unknown),
        })
    }

    /// What the page shows: the view, the CSRF secret for its form, the state and expiry.
    pub async fn load(&self, id: &ApprovalId) -> Result<Option<LoadedApproval>> {
        let Some(record) = self.store.get_approval(id.as_str()).await? else {
            return Ok(None);
        };
        let view: ApprovalView = serde_json::from_value(record.view.clone())
            .map_err(|e| internal(format!("a stored approval view is unreadable ({e})")))?;
        let now = now_millis();
        let state = if record.is_expired_at(now) {
            ApprovalState::Expired
        } else {
            state_of(record.status)
        };
        Ok(Some(LoadedApproval {
            view,
            csrf_secret: record.csrf_secret,
            state,
            expires_at: record.expires_at,
        }))
    }

    /// Records the person's answer, if `csrf` matches the approval's secret (constant time) and it
    /// is still pending. Anything else changes nothing.
    pub async fn decide(
        &self,
        id: &ApprovalId,
        csrf: Option<&str>,
        decision: Decision,
    ) -> Result<DecisionOutcome> {
        let Some(record) = self.store.get_approval(id.as_str()).await? else {
            return Ok(DecisionOutcome::Unknown);
        };
        let presented = csrf.unwrap_or_default().as_bytes();
        if presented.is_empty() || !bool::from(presented.ct_eq(record.csrf_secret.as_bytes())) {
            return Ok(DecisionOutcome::Forbidden);
        }
        let to = match decision {
            Decision::Confirm => ApprovalStatus::Approved,
            Decision::Decline => ApprovalStatus::Declined,
        };
        let t = self
            .store
            .transition_approval(id.as_str(), ApprovalStatus::Pending, to)
            .await?;
        Ok(match t {
            Transition::Done(r) => DecisionOutcome::Recorded(state_of(r.status)),
            Transition::Refused(s) => DecisionOutcome::AlreadyDecided(state_of(s)),
            Transition::Expired => DecisionOutcome::Expired,
            Transition::Missing => DecisionOutcome::Unknown,
        })
    }
}

/// An approval as the page needs it.
#[derive(Debug, Clone)]
pub struct LoadedApproval {
    pub view: ApprovalView,
    pub csrf_secret: String,
    pub state: ApprovalState,
    pub expires_at: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::state::MemoryStore;

    fn view() -> ApprovalView {
        ApprovalView {
            action: ApprovalAction::Create,
            employee: "Anna".into(),
            requested_by: None,
            time_off_type: "Vacation".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap(),
            start_time: None,
            zone: None,
            end_time: None,
            half_day_start: false,
            half_day_end: true,
            balance: None,
            comment: None,
        }
    }

    #[tokio::test]
    async fn a_confirmed_approval_is_consumed_once_and_only_with_its_binding() {
        let a = Approvals::new(Arc::new(MemoryStore::default()));
        let c = a
            .create(&view(), "alice|d1", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(c.id.as_str().len(), SECRET_CHARS);
        assert_eq!(c.path, format!("/confirm/{}", c.id.as_str()));
        assert_eq!(
            a.consume(&c.id, "alice|d1").await.unwrap(),
            ConsumeOutcome::NotApproved(ApprovalState::Pending)
        );
        let loaded = a.load(&c.id).await.unwrap().unwrap();
        assert_eq!(loaded.view, view());
        assert_eq!(
            a.decide(&c.id, None, Decision::Confirm).await.unwrap(),
            DecisionOutcome::Forbidden
        );
        assert_eq!(
            a.decide(&c.id, Some("x"), Decision::Confirm).await.unwrap(),
            DecisionOutcome::Forbidden
        );
        assert_eq!(a.state(&c.id).await.unwrap(), ApprovalState::Pending);
        let csrf = Some(loaded.csrf_secret.as_str());
        assert_eq!(
            a.decide(&c.id, csrf, Decision::Confirm).await.unwrap(),
            DecisionOutcome::Recorded(ApprovalState::Approved)
        );
        assert_eq!(
            a.decide(&c.id, csrf, Decision::Decline).await.unwrap(),
            DecisionOutcome::AlreadyDecided(ApprovalState::Approved)
        );
        assert_eq!(
            a.state_for(&c.id, "mallory|d1").await.unwrap(),
            ApprovalState::Unknown,
            "another request's binding sees nothing"
        );
        assert_eq!(
            a.state_for(&c.id, "alice|d1").await.unwrap(),
            ApprovalState::Approved
        );
        assert_eq!(
            a.consume(&c.id, "mallory|d1").await.unwrap(),
            ConsumeOutcome::NotApproved(ApprovalState::Unknown)
        );
        assert_eq!(
            a.consume(&c.id, "alice|d1").await.unwrap(),
            ConsumeOutcome::Consumed
        );
        assert_eq!(
            a.consume(&c.id, "alice|d1").await.unwrap(),
            ConsumeOutcome::NotApproved(ApprovalState::Consumed)
        );
    }

    #[tokio::test]
    async fn a_declined_approval_is_refused_for_good() {
        let a = Approvals::new(Arc::new(MemoryStore::default()));
        let c = a
            .create(&view(), "b", Duration::from_secs(60))
            .await
            .unwrap();
        let csrf = a.load(&c.id).await.unwrap().unwrap().csrf_secret;
        a.decide(&c.id, Some(&csrf), Decision::Decline)
            .await
            .unwrap();
        assert_eq!(a.state(&c.id).await.unwrap(), ApprovalState::Declined);
        assert_eq!(
            a.consume(&c.id, "b").await.unwrap(),
            ConsumeOutcome::NotApproved(ApprovalState::Declined)
        );
    }

    #[test]
    fn ids_are_parsed_only_in_their_exact_shape() {
        let id = random_secret();
        assert!(ApprovalId::parse(&id).is_some());
        assert!(ApprovalId::parse(&id[1..]).is_none());
        assert!(ApprovalId::parse(&format!("{}/", &id[1..])).is_none());
        assert!(ApprovalId::parse("").is_none());
        assert_ne!(random_secret(), random_secret());
        assert!(!format!("{:?}", ApprovalId(id.clone())).contains(&id));
    }
}
