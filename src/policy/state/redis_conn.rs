//! [`RedisConn`]: one Redis server as the state store, the leases and the budget all reach it —
//! the URL and password checked, a multiplexed connection, a deadline on every command, and a
//! health verdict kept current by a background ping.
//!
//! It sits below everything that talks to Redis ([`super::redis::RedisStore`], the write leases,
//! the shared rate budget), so those share one connection and one verdict without importing each
//! other.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, IntoConnectionInfo};
use secrecy::{ExposeSecret, SecretString};

use super::internal;
use crate::error::{Error, Result};

/// The deadline of one Redis command (connecting included).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the background task pings Redis to keep the health verdict current.
const PING_EVERY: Duration = Duration::from_secs(1);
/// The prefix of every key this program writes, so one Redis can serve other programs too.
pub const KEY_PREFIX: &str = "personio-mcp:";

/// The setting named in errors.
pub const STATE_URL_SETTING: &str = "--state / PERSONIO_MCP_STATE_URL";

/// A key of this program: the prefix, the kind of entry, the entry's own key.
pub(super) fn key(kind: &str, key: &str) -> String {
    format!("{KEY_PREFIX}{kind}:{key}")
}

/// Where the store points, for logs and `/readyz`: scheme, host, port and database, never the
/// password.
fn describe(url: &url::Url) -> String {
    format!(
        "{}://{}:{}{}",
        url.scheme(),
        url.host_str().unwrap_or("?"),
        url.port().unwrap_or(6379),
        url.path()
    )
}

/// What the last command (or ping) said.
#[derive(Debug, Default)]
struct Health {
    /// `None`: Redis answered; `Some(why)`: it did not.
    down: Option<String>,
}

struct Inner {
    conn: ConnectionManager,
    /// For the pub/sub connection of the change feed (a subscribed connection can do nothing else).
    client: Client,
    target: String,
    health: Mutex<Health>,
}

/// One Redis server, shared; cheap to clone. The ping stops when the last clone is gone.
#[derive(Clone)]
pub struct RedisConn {
    inner: Arc<Inner>,
}

fn bad_url(why: impl std::fmt::Display) -> Error {
    Error::validation(format!("the state URL is not usable: {why}")).with_hint(format!(
        "Give {STATE_URL_SETTING} as redis://HOST:PORT/DB or rediss://HOST:PORT/DB; put the password \
in PERSONIO_MCP_STATE_PASSWORD."
    ))
}

/// A Redis error as a store error: its kind only (a message could carry the address), as
/// UPSTREAM_UNAVAILABLE so that the write is refused and may be retried later.
fn redis_err(e: &redis::RedisError) -> Error {
    let what = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connection_refusal() || e.is_io_error() || e.is_connection_dropped() {
        "unreachable".to_string()
    } else {
        format!("refused the command ({:?})", e.kind())
    };
    internal(format!("Redis {what}")).with_hint(
        "Writes are refused while the shared state is unavailable; reads go on. Try again shortly.",
    )
}

impl RedisConn {
    /// Connects lazily: the server starts while Redis is still down (writes are refused until it
    /// answers). `password`, when given, replaces one in the URL.
    pub fn connect(url: &SecretString, password: Option<&SecretString>) -> Result<RedisConn> {
        let parsed = url::Url::parse(url.expose_secret()).map_err(bad_url)?;
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(bad_url(format!(
                "scheme `{}` (expected redis or rediss)",
                parsed.scheme()
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad_url("no host"));
        }
        // redis-rs' TLS uses rustls' process default; the rest of the program uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut info = url
            .expose_secret()
            .into_connection_info()
            .map_err(|e| bad_url(format!("{:?}", e.kind())))?;
        if let Some(pw) = password.filter(|p| !p.expose_secret().is_empty()) {
            let settings = info
                .redis_settings()
                .clone()
                .set_password(pw.expose_secret());
            info = info.set_redis_settings(settings);
        }
        let client = Client::open(info).map_err(|e| bad_url(format!("{:?}", e.kind())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = client
            .get_connection_manager_lazy(config)
            .map_err(|e| bad_url(format!("{:?}", e.kind())))?;
        let inner = Arc::new(Inner {
            conn,
            client,
            target: describe(&parsed),
            health: Mutex::new(Health {
                down: Some("not connected yet".into()),
            }),
        });
        tokio::spawn(ping_forever(Arc::downgrade(&inner)));
        Ok(RedisConn { inner })
    }

    /// Where the store points (no password), for logs.
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// A connection handle (multiplexed; cloning is cheap).
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.inner.conn.clone()
    }

    /// The client, for connections of their own (pub/sub).
    pub(crate) fn client(&self) -> Client {
        self.inner.client.clone()
    }

    /// Why Redis is not usable now, if it is not.
    pub fn down_reason(&self) -> Option<String> {
        self.inner.health.lock().ok().and_then(|h| h.down.clone())
    }

    /// Runs one command under [`COMMAND_TIMEOUT`] and records the verdict.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        self.inner.run(f).await
    }

    /// Answers a ping now (tests and start-up checks).
    pub async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

impl Inner {
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let out = match tokio::time::timeout(COMMAND_TIMEOUT, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "command deadline",
            ))),
        };
        match out {
            Ok(v) => {
                self.mark(None);
                Ok(v)
            }
            Err(e) => {
                let err = redis_err(&e);
                // A script or type error says nothing about reachability.
                if e.is_timeout()
                    || e.is_io_error()
                    || e.is_connection_refusal()
                    || e.is_connection_dropped()
                {
                    self.mark(Some(err.message.clone()));
                }
                Err(err)
            }
        }
    }

    async fn ping(&self) -> Result<()> {
        let mut c = self.conn.clone();
        self.run(async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(|_| ())
    }

    fn mark(&self, down: Option<String>) {
        let Ok(mut h) = self.health.lock() else {
            return;
        };
        match (&h.down, &down) {
            (None, Some(why)) => tracing::warn!(target_store = %self.target, %why,
                "the shared state (Redis) is unavailable: writes are refused until it answers"),
            (Some(_), None) => {
                tracing::info!(target_store = %self.target, "the shared state (Redis) answers again")
            }
            _ => {}
        }
        h.down = down;
    }
}

/// Keeps the health verdict current while the store lives.
async fn ping_forever(inner: Weak<Inner>) {
    loop {
        match inner.upgrade() {
            Some(inner) => {
                let _ = inner.ping().await;
            }
            None => return,
        }
        tokio::time::sleep(PING_EVERY).await;
    }
}
