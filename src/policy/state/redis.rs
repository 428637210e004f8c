//! [`RedisStore`]: the state store shared by several replicas (`--state redis://…`).
//!
//! Behind a load balancer, a retried write can land on another replica and a confirmation token
//! can be replayed there; only one truth, outside every replica, makes "single use" and
//! "idempotent" mean the same on all of them. Every operation is one Redis command or one Lua
//! script, so it is atomic on the server: `SET NX PX` for one-time claims and new approvals, a
//! script for "store unless present, else return what is there" and for the approval
//! compare-and-set. Nothing reads, decides in Rust and writes back.
//!
//! Approvals are hashes (`body`, `status`, `exp`): the status moves by a script that compares a
//! plain field, so the script never re-encodes the JSON the page shows (Redis' cjson would turn
//! an empty array into `{}`).
//!
//! Bounds: every key carries a TTL (the claim's, the idempotency window, the approval's purge
//! time), keys and values are capped as in every store, and the server's `maxmemory` with the
//! `noeviction` policy is the entry cap: a full Redis refuses writes (fail closed) instead of
//! evicting a used token. Every command has a deadline ([`COMMAND_TIMEOUT`]); a Redis that does
//! not answer in time fails the write with UPSTREAM_UNAVAILABLE — refusing is safe, guessing is
//! not. A background ping keeps [`RedisStore::degraded`] current for `/readyz`.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, IntoConnectionInfo, Script};
use secrecy::{ExposeSecret, SecretString};

use super::{
    ApprovalRecord, ApprovalStatus, IdempotencyRecord, PutOutcome, StateStore, Transition,
    check_key, encode, internal, now_millis,
};
use crate::error::{Error, ErrorCode, Result};

/// The deadline of one Redis command (connecting included).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the background task pings Redis to keep the health verdict current.
const PING_EVERY: Duration = Duration::from_secs(1);
/// The prefix of every key this program writes, so one Redis can serve other programs too.
pub const KEY_PREFIX: &str = "personio-mcp:";

/// "Store unless a record is there; return the one that is."
const PUT_IF_ABSENT: &str = r"
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
";

/// A new approval: CONFLICT (0) if the id exists.
const CREATE_APPROVAL: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'body', ARGV[1], 'status', ARGV[2], 'exp', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
";

/// Compare-and-set of an approval's status. ARGV: from, to, now (ms).
const TRANSITION: &str = r"
local f = redis.call('HMGET', KEYS[1], 'status', 'exp')
if not f[1] then return {'missing'} end
if tonumber(ARGV[3]) >= tonumber(f[2]) then return {'expired'} end
if f[1] ~= ARGV[1] then return {'refused', f[1]} end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
return {'done'}
";

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
    put_if_absent: Script,
    create_approval: Script,
    transition: Script,
}

/// The Redis-backed [`StateStore`]; cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

/// The setting named in errors.
pub const STATE_URL_SETTING: &str = "--state / PERSONIO_MCP_STATE_URL";

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

impl RedisStore {
    /// Connects lazily: the server starts while Redis is still down (writes are refused until it
    /// answers). `password`, when given, replaces one in the URL.
    pub fn connect(url: &SecretString, password: Option<&SecretString>) -> Result<RedisStore> {
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
            put_if_absent: Script::new(PUT_IF_ABSENT),
            create_approval: Script::new(CREATE_APPROVAL),
            transition: Script::new(TRANSITION),
        });
        tokio::spawn(ping_forever(Arc::downgrade(&inner)));
        Ok(RedisStore { inner })
    }

    /// Where the store points (no password), for logs.
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// A connection handle (multiplexed; cloning is cheap) for the budget and the leases.
    pub(crate) fn connection(&self) -> ConnectionManager {
        self.inner.conn.clone()
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

fn key(kind: &str, key: &str) -> String {
    format!("{KEY_PREFIX}{kind}:{key}")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| internal(format!("an entry could not be decoded ({e})")))
}

fn status_name(s: ApprovalStatus) -> Result<String> {
    match serde_json::to_value(s) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err(internal("an approval status could not be encoded")),
    }
}

fn status_of(name: &str) -> Result<ApprovalStatus> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|_| internal("an approval holds an unknown status"))
}

#[async_trait::async_trait]
impl StateStore for RedisStore {
    async fn claim_once(&self, key_: &str, ttl: Duration) -> Result<bool> {
        check_key(key_)?;
        let mut c = self.connection();
        let k = key("o", key_);
        let set: Option<String> = self
            .run(async move {
                redis::cmd("SET")
                    .arg(&k)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(ttl))
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(set.is_some())
    }

    async fn put_idempotent(
        &self,
        key_: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<PutOutcome> {
        check_key(key_)?;
        let bytes = encode(&record)?;
        let mut c = self.connection();
        let k = key("i", key_);
        let script = &self.inner.put_if_absent;
        let existing: Option<Vec<u8>> = self
            .run(async move {
                script
                    .key(&k)
                    .arg(bytes)
                    .arg(millis(ttl))
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        match existing {
            None => Ok(PutOutcome::Stored),
            Some(b) => Ok(PutOutcome::Existing(decode(&b)?)),
        }
    }

    async fn replace_idempotent(
        &self,
        key_: &str,
        record: IdempotencyRecord,
        ttl: Duration,
    ) -> Result<()> {
        check_key(key_)?;
        let bytes = encode(&record)?;
        let mut c = self.connection();
        let k = key("i", key_);
        self.run(async move {
            redis::cmd("SET")
                .arg(&k)
                .arg(bytes)
                .arg("PX")
                .arg(millis(ttl))
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    async fn get_idempotent(&self, key_: &str) -> Result<Option<IdempotencyRecord>> {
        check_key(key_)?;
        let mut c = self.connection();
        let k = key("i", key_);
        let got: Option<Vec<u8>> = self
            .run(async move { redis::cmd("GET").arg(&k).query_async(&mut c).await })
            .await?;
        got.map(|b| decode(&b)).transpose()
    }

    async fn create_approval(&self, id: &str, record: ApprovalRecord) -> Result<()> {
        check_key(id)?;
        let status = status_name(record.status)?;
        let exp = record.expires_at;
        let purge_at = record.purge_at();
        let body = encode(&record)?;
        let mut c = self.connection();
        let k = key("a", id);
        let script = &self.inner.create_approval;
        let created: i64 = self
            .run(async move {
                script
                    .key(&k)
                    .arg(body)
                    .arg(status)
                    .arg(exp)
                    .arg(purge_at)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if created == 1 {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::Conflict,
                "an approval with this id already exists",
            ))
        }
    }

    async fn get_approval(&self, id: &str) -> Result<Option<ApprovalRecord>> {
        check_key(id)?;
        let mut c = self.connection();
        let k = key("a", id);
        let (body, status): (Option<Vec<u8>>, Option<String>) = self
            .run(async move {
                redis::cmd("HMGET")
                    .arg(&k)
                    .arg("body")
                    .arg("status")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        match (body, status) {
            (Some(body), Some(status)) => {
                let mut record: ApprovalRecord = decode(&body)?;
                record.status = status_of(&status)?;
                Ok(Some(record))
            }
            _ => Ok(None),
        }
    }

    async fn transition_approval(
        &self,
        id: &str,
        from: ApprovalStatus,
        to: ApprovalStatus,
    ) -> Result<Transition> {
        check_key(id)?;
        let (from_s, to_s) = (status_name(from)?, status_name(to)?);
        let mut c = self.connection();
        let k = key("a", id);
        let script = &self.inner.transition;
        let answer: Vec<String> = self
            .run(async move {
                script
                    .key(&k)
                    .arg(from_s)
                    .arg(to_s)
                    .arg(now_millis())
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        match answer.first().map(String::as_str) {
            Some("done") => match self.get_approval(id).await? {
                Some(record) => Ok(Transition::Done(ApprovalRecord {
                    status: to,
                    ..record
                })),
                None => Ok(Transition::Missing),
            },
            Some("expired") => Ok(Transition::Expired),
            Some("refused") => Ok(Transition::Refused(status_of(
                answer.get(1).map(String::as_str).unwrap_or_default(),
            )?)),
            _ => Ok(Transition::Missing),
        }
    }

    fn write_leases(&self) -> Option<Arc<dyn crate::domain::time_off::WriteLeases>> {
        Some(Arc::new(super::redis_lease::RedisLeases::new(self.clone())))
    }

    fn change_feed(&self) -> Option<Arc<dyn super::changes::ChangeFeed>> {
        Some(Arc::new(super::redis_feed::RedisFeed::new(
            self.inner.client.clone(),
            self.inner.conn.clone(),
        )))
    }

    fn degraded(&self) -> Option<String> {
        self.down_reason().map(|why| {
            format!(
                "shared state {} unavailable ({why}): writes are refused, reads go on",
                self.inner.target
            )
        })
    }
}
