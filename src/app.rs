//! The application context every tool call shares: the Personio client, the directory cache,
//! the write machinery and the server settings. Built once per process; cloned (cheaply) into
//! every MCP session.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::directory::{Directory, DirectoryConfig};
use crate::domain::time_off::WriteLocks;
use crate::error::Result;
use crate::personio::PersonioClient;
use crate::policy::audit::AuditLog;
use crate::policy::fields::FieldPolicy;
use crate::policy::principal::Principal;
use crate::policy::privacy::Privacy;
use crate::policy::writes::{Confirmations, WriteMode, WritePolicy};

/// Today's date in the company's time zone (`PERSONIO_MCP_TIMEZONE`, default Europe/Berlin): the
/// default month of `list_absences`, the "past date" check and the balance year all follow the
/// company's calendar, not the server's (often UTC) clock.
pub fn company_today() -> NaiveDate {
    let tz = std::env::var("PERSONIO_MCP_TIMEZONE")
        .ok()
        .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::Europe::Berlin);
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// Server-wide switches.
#[derive(Clone, Default)]
pub struct Settings {
    pub writes: WritePolicy,
    /// HMAC key for confirmation tokens (≥ 32 bytes). `None`: a random per-process key.
    pub signing_key: Option<Vec<u8>>,
    /// The caller when the transport does not say (stdio: `--as EMAIL --role ROLE`).
    pub default_principal: Option<Principal>,
    /// Which extra attributes may leave the server.
    pub fields: FieldPolicy,
    /// Health masking and result caps.
    pub privacy: Privacy,
    /// The audit log, when configured.
    pub audit: Option<Arc<AuditLog>>,
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
            .finish()
    }
}

impl Settings {
    /// Reads only, or reads and confirmed writes.
    pub fn with_writes(enabled: bool) -> Settings {
        Settings {
            writes: WritePolicy {
                mode: if enabled {
                    WriteMode::Enabled
                } else {
                    WriteMode::Disabled
                },
                ..WritePolicy::default()
            },
            ..Settings::default()
        }
    }
}

/// Shared state of the server.
#[derive(Clone)]
pub struct App {
    pub client: PersonioClient,
    pub directory: Arc<Directory>,
    pub settings: Arc<Settings>,
    pub confirmations: Arc<Confirmations>,
    pub write_locks: Arc<WriteLocks>,
    today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
}

impl App {
    pub fn try_new(client: PersonioClient, settings: Settings) -> Result<App> {
        Ok(App {
            directory: Arc::new(Directory::new(client.clone(), DirectoryConfig::default())),
            confirmations: Arc::new(match &settings.signing_key {
                Some(key) => Confirmations::with_key(key.clone())?,
                None => Confirmations::random(),
            }),
            write_locks: Arc::new(WriteLocks::default()),
            client,
            settings: Arc::new(settings),
            today: Arc::new(company_today),
        })
    }

    /// Like [`App::try_new`], for callers that validated the settings already (tests): an
    /// unusable signing key is logged and replaced by a random one.
    pub fn new(client: PersonioClient, settings: Settings) -> App {
        let confirmations = match &settings.signing_key {
            Some(key) => Confirmations::with_key(key.clone()).unwrap_or_else(|e| {
                tracing::error!(code = %e.code, "unusable signing key; using a random one");
                Confirmations::random()
            }),
            None => Confirmations::random(),
        };
        App {
            directory: Arc::new(Directory::new(client.clone(), DirectoryConfig::default())),
            confirmations: Arc::new(confirmations),
            write_locks: Arc::new(WriteLocks::default()),
            client,
            settings: Arc::new(settings),
            today: Arc::new(company_today),
        }
    }

    /// Uses other freshness settings for the directory cache (drops the current cache).
    pub fn with_directory_config(mut self, config: DirectoryConfig) -> App {
        self.directory = Arc::new(Directory::new(self.client.clone(), config));
        self
    }

    /// Replaces the confirmation machinery (tests use short validity periods).
    pub fn with_confirmations(mut self, confirmations: Confirmations) -> App {
        self.confirmations = Arc::new(confirmations);
        self
    }

    /// Replaces the clock (tests pin "today").
    pub fn with_today(mut self, today: NaiveDate) -> App {
        self.today = Arc::new(move || today);
        self
    }

    pub fn today(&self) -> NaiveDate {
        (self.today)()
    }
}
