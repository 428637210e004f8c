//! The application: the Personio records, the policy rules and the write machinery, built once
//! per process and cloned (cheaply) into every MCP session. Its fields are private: the MCP layer
//! gets a policy facade ([`App::guard`]) for each call, never the client or the domain.

use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::domain::absence_cache::WriteNotice;
use crate::domain::directory::{DirectoryConfig, Progress};
use crate::domain::records::Records;
use crate::error::Result;
use crate::personio::PersonioClient;
use crate::policy::audit::AuditLog;
use crate::policy::confirmations::Confirmations;
use crate::policy::fields::FieldPolicy;
use crate::policy::guarded::{Guarded, Rules};
use crate::policy::idempotency::Idempotency;
use crate::policy::principal::Principal;
use crate::policy::privacy::Privacy;
use crate::policy::state::approvals::{ConfirmSettings, ConfirmVia};
use crate::policy::state::changes::{Change, ChangeFeed};
use crate::policy::state::{Approvals, ConfirmPageHost, MemoryStore, StateStore, StoreLimits};
use crate::policy::write_gate::WritePolicy;

/// A key for sealing confirmation tokens: at least 32 bytes, checked when it is made, so a
/// misconfigured key stops the server at start-up instead of being replaced silently.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    pub fn new(key: Vec<u8>) -> Result<SigningKey> {
        Confirmations::with_key(key.clone())?;
        Ok(SigningKey(key))
    }
}

/// Server-wide switches.
#[derive(Clone, Default)]
pub struct Settings {
    pub writes: WritePolicy,
    /// HMAC key for confirmation tokens. `None`: a random per-process key.
    pub signing_key: Option<SigningKey>,
    /// The caller when the transport does not say (stdio: `--as EMAIL --role ROLE`).
    pub default_principal: Option<Principal>,
    /// Which extra attributes may leave the server.
    pub fields: FieldPolicy,
    /// Health masking and result caps.
    pub privacy: Privacy,
    /// The audit log, when configured.
    pub audit: Option<Arc<AuditLog>>,
    /// The company's time zone ("today", hour absences). Default Europe/Berlin.
    pub zone: Option<Tz>,
    /// Only these tools are exposed (`--tools`); empty: all.
    pub tools: Vec<String>,
    /// Where used tokens, approvals and idempotency keys live (`--state-dir`). `None`: in memory.
    pub state: Option<Arc<dyn StateStore>>,
    /// How a person confirms writes (`--confirm-via`) and where confirmation pages are served.
    pub confirm: ConfirmSettings,
    /// How long a listing of absences is kept for reads (`--absence-cache-secs`). Zero (the
    /// library's default): every read asks Personio.
    pub absence_cache: std::time::Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("writes", &self.writes)
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("default_principal", &self.default_principal)
            .field("fields", &self.fields)
            .field("privacy", &self.privacy)
            .field("audit", &self.audit)
            .field("zone", &self.zone)
            .field("tools", &self.tools)
            .field("state", &self.state)
            .field("confirm", &self.confirm)
            .field("absence_cache", &self.absence_cache)
            .finish()
    }
}

impl Settings {
    /// Reads only, or reads and confirmed writes.
    pub fn with_writes(enabled: bool) -> Settings {
        Settings {
            writes: WritePolicy::enabled(enabled),
            ..Settings::default()
        }
    }
}

/// People other replicas announced, waiting to be re-read (beyond it: the next refresh).
const PEOPLE_BACKLOG: usize = 1024;

/// The records of a new app: write locks with the store's leases, kept absence listings, and
/// (with a shared store) every write announced to the other replicas.
fn records_for(
    client: PersonioClient,
    zone: Tz,
    state: &Arc<dyn StateStore>,
    changes: Option<Arc<dyn ChangeFeed>>,
    absence_cache: std::time::Duration,
) -> Records {
    // Called from a write's drop guard.
    let notice = changes.map(|feed| -> WriteNotice {
        Arc::new(move |person| announce(Some(feed.clone()), Change::Absences(Some(person))))
    });
    Records::new(client, zone)
        .with_write_locks(crate::domain::time_off::WriteLocks::with_leases(
            state.write_leases(),
        ))
        .with_absence_cache(absence_cache)
        .with_write_notice(notice)
}

/// Tells the other replicas, without waiting: with Redis slow or down (each publish may take up
/// to its 2 s deadline) neither a write nor the webhook worker may wait on it. Outside a runtime
/// (a shutdown's very end) nothing is sent.
fn announce(feed: Option<Arc<dyn ChangeFeed>>, change: Change) {
    if let (Some(feed), Ok(runtime)) = (feed, tokio::runtime::Handle::try_current()) {
        runtime.spawn(async move { feed.publish(change).await });
    }
}

/// Shared state of the server.
#[derive(Clone)]
pub struct App {
    records: Arc<Records>,
    rules: Arc<Rules>,
    default_principal: Option<Principal>,
    audit: Option<Arc<AuditLog>>,
    confirmations: Arc<Confirmations>,
    idempotency: Arc<Idempotency>,
    tools: Arc<Vec<String>>,
    approvals: Approvals,
    confirm_via: ConfirmVia,
    page_host: Option<Arc<dyn ConfirmPageHost>>,
    state: Arc<dyn StateStore>,
    /// The other replicas sharing the store (Redis), told of directory changes seen here.
    changes: Option<Arc<dyn ChangeFeed>>,
    /// The life of kept absence listings, for rebuilding the records ([`App::map_records`]).
    absence_cache: std::time::Duration,
}

impl App {
    pub fn new(client: PersonioClient, settings: Settings) -> App {
        let zone = settings.zone.unwrap_or(chrono_tz::Europe::Berlin);
        let state: Arc<dyn StateStore> = settings
            .state
            .unwrap_or_else(|| Arc::new(MemoryStore::new(StoreLimits::default())));
        let confirmations = match settings
            .signing_key
            .and_then(|k| Confirmations::with_key(k.0).ok())
        {
            Some(c) => c,
            None => Confirmations::random(),
        }
        .with_store(state.clone());
        let approvals = Approvals::new(state.clone());
        // One feed for the app: its replica id tells this replica's messages from the others'.
        let changes = state.change_feed();
        let page_host = settings
            .confirm
            .page_host
            .map(|make| make(approvals.clone()));
        App {
            records: Arc::new(records_for(
                client,
                zone,
                &state,
                changes.clone(),
                settings.absence_cache,
            )),
            absence_cache: settings.absence_cache,
            rules: Arc::new(Rules {
                fields: settings.fields,
                privacy: settings.privacy,
                writes: settings.writes,
            }),
            default_principal: settings.default_principal,
            audit: settings.audit,
            confirmations: Arc::new(confirmations),
            idempotency: Arc::new(Idempotency::with_store(state.clone())),
            tools: Arc::new(settings.tools),
            approvals,
            confirm_via: settings.confirm.via,
            page_host,
            changes,
            state,
        }
    }

    /// A person changed in Personio (a webhook said so): re-read them into this replica's
    /// directory and tell the other replicas sharing the state store to do the same.
    pub async fn person_changed(&self, id: i64) -> crate::error::Result<()> {
        announce(self.changes.clone(), Change::Person(id));
        self.records.refresh_person(id).await
    }

    /// Someone's absences changed in Personio (a webhook said so; `None`: it did not say whose):
    /// the listings this replica keeps of them are dropped, and the other replicas told.
    pub fn absences_changed(&self, person: Option<i64>) {
        match person {
            Some(id) => self.records.absences_changed(id),
            None => self.records.all_absences_changed(),
        }
        announce(self.changes.clone(), Change::Absences(person));
    }

    /// Applies the changes other replicas announce ([`App::person_changed`],
    /// [`App::absences_changed`], writes) to this replica's directory and kept absence listings,
    /// in the background, for as long as the process runs. Absence changes apply at once (they
    /// only drop entries); people are re-read one after the other, queued apart, so that a burst
    /// of directory changes never holds an absence change back. Nothing to do without a shared
    /// store. Call once, on the final app (after its builders).
    pub fn follow_changes(&self) {
        let Some(feed) = &self.changes else {
            return;
        };
        let mut changes = feed.subscribe();
        let (people, mut to_refresh) = tokio::sync::mpsc::channel::<i64>(PEOPLE_BACKLOG);
        let records = self.records.clone();
        tokio::spawn(async move {
            while let Some(id) = to_refresh.recv().await {
                if let Err(e) = records.refresh_person(id).await {
                    tracing::warn!(code = %e.code, "a change announced by another replica could not be applied; the next refresh catches up");
                }
            }
        });
        let records = self.records.clone();
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                match change {
                    Change::Person(id) => match people.try_send(id) {
                        Ok(()) => {}
                        Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(
                                "too many directory changes from other replicas at once; some wait for the next refresh"
                            );
                        }
                        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
                    },
                    Change::Absences(Some(id)) => records.absences_changed_elsewhere(id),
                    Change::Absences(None) => records.all_absences_changed(),
                }
            }
        });
    }

    /// Serves confirmation pages from `host` (`serve --http`: its own listener), or nowhere
    /// (`tools call`: a one-shot process cannot wait for a person).
    pub fn with_page_host(mut self, host: Option<Arc<dyn ConfirmPageHost>>) -> App {
        self.page_host = host;
        self
    }

    /// Page approvals (the write flow creates and consumes them, the page answers them).
    pub fn approvals(&self) -> &Approvals {
        &self.approvals
    }

    /// How a person confirms writes.
    pub fn confirm_via(&self) -> ConfirmVia {
        self.confirm_via
    }

    /// Where confirmation pages are served, if anywhere.
    pub fn page_host(&self) -> Option<&dyn ConfirmPageHost> {
        self.page_host.as_deref()
    }

    fn map_records(mut self, f: impl FnOnce(Records) -> Records) -> App {
        let records = Arc::try_unwrap(self.records).unwrap_or_else(|shared| {
            // Builders run before the app is shared; a shared one starts over from its client.
            records_for(
                shared.client().clone(),
                shared.zone(),
                &self.state,
                self.changes.clone(),
                self.absence_cache,
            )
        });
        self.records = Arc::new(f(records));
        self
    }

    /// Uses other freshness settings for the directory cache (drops the current cache).
    pub fn with_directory_config(self, config: DirectoryConfig) -> App {
        self.map_records(|r| r.with_directory_config(config))
    }

    /// Replaces the confirmation machinery (tests use short validity periods).
    pub fn with_confirmations(mut self, confirmations: Confirmations) -> App {
        self.confirmations = Arc::new(confirmations);
        self
    }

    /// Pins "today" (tests).
    pub fn with_today(self, today: NaiveDate) -> App {
        self.map_records(|r| r.with_today(today))
    }

    pub fn today(&self) -> NaiveDate {
        self.records.today()
    }

    /// The policy facade for one call: resolves `principal` (or the configured default caller).
    pub async fn guard(
        &self,
        principal: Option<&Principal>,
        progress: Option<Progress>,
    ) -> Result<Guarded> {
        let principal = principal.or(self.default_principal.as_ref());
        Guarded::resolve(
            self.records.clone(),
            self.rules.clone(),
            principal,
            progress,
        )
        .await
    }

    /// The facade for a caller resolved elsewhere (tests).
    pub fn guard_as(&self, caller: crate::policy::access::Caller) -> Guarded {
        Guarded::for_caller(self.records.clone(), self.rules.clone(), caller)
    }

    /// Whether any principal is configured for this process (stdio `--as`).
    pub fn default_principal(&self) -> Option<&Principal> {
        self.default_principal.as_ref()
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn audit(&self) -> Option<&AuditLog> {
        self.audit.as_deref()
    }

    pub fn confirmations(&self) -> &Confirmations {
        &self.confirmations
    }

    pub fn idempotency(&self) -> &Idempotency {
        &self.idempotency
    }

    /// Why the state store cannot take writes now (`/readyz`); `None` when it can.
    pub fn state_degraded(&self) -> Option<String> {
        self.state.degraded()
    }

    /// The tools this server exposes (`--tools`); empty: all.
    pub fn tool_selection(&self) -> &[String] {
        &self.tools
    }

    /// The records, for the doctor, readiness probes, benchmarks and tests. Tools never see them.
    pub fn records(&self) -> &Records {
        &self.records
    }
}
