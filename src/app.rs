//! The application context every tool call shares: the Personio client, the directory cache and
//! the server settings. Built once per process; cloned (cheaply) into every MCP session.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::directory::{Directory, DirectoryConfig};
use crate::personio::PersonioClient;

/// Server-wide switches.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `create_time_off` is listed and may write (`--enable-writes` / `PERSONIO_MCP_ENABLE_WRITES`).
    pub writes_enabled: bool,
}

/// Shared state of the server.
#[derive(Clone)]
pub struct App {
    pub client: PersonioClient,
    pub directory: Arc<Directory>,
    pub settings: Arc<Settings>,
    today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
}

impl App {
    pub fn new(client: PersonioClient, settings: Settings) -> App {
        App {
            directory: Arc::new(Directory::new(client.clone(), DirectoryConfig::default())),
            client,
            settings: Arc::new(settings),
            today: Arc::new(|| chrono::Local::now().date_naive()),
        }
    }

    /// Uses other freshness settings for the directory cache (drops the current cache).
    pub fn with_directory_config(mut self, config: DirectoryConfig) -> App {
        self.directory = Arc::new(Directory::new(self.client.clone(), config));
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
