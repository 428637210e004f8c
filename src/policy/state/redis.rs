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
//! evicting a used token. The connection, the deadline of every command and the health verdict
//! for `/readyz` ([`RedisStore::degraded`]) are [`RedisConn`]'s, shared with the write leases and
//! the rate budget: a Redis that does not answer in time fails the write with
//! UPSTREAM_UNAVAILABLE — refusing is safe, guessing is not.

use std::sync::Arc;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use secrecy::SecretString;

use super::redis_conn::{RedisConn, key};
use super::{
    ApprovalRecord, ApprovalStatus, IdempotencyRecord, PutOutcome, StateStore, Transition,
    check_key, encode, internal, now_millis,
};
use crate::error::{Error, ErrorCode, Result};

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

/// The Redis-backed [`StateStore`]; cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConn,
    scripts: Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.conn.target())
            .finish_non_exhaustive()
    }
}

struct Scripts {
    put_if_absent: Script,
    create_approval: Script,
    transition: Script,
}

impl RedisStore {
    /// Connects lazily: the server starts while Redis is still down (writes are refused until it
    /// answers). `password`, when given, replaces one in the URL.
    pub fn connect(url: &SecretString, password: Option<&SecretString>) -> Result<RedisStore> {
        Ok(RedisStore {
            conn: RedisConn::connect(url, password)?,
            scripts: Arc::new(Scripts {
                put_if_absent: Script::new(PUT_IF_ABSENT),
                create_approval: Script::new(CREATE_APPROVAL),
                transition: Script::new(TRANSITION),
            }),
        })
    }

    /// Where the store points (no password), for logs.
    pub fn target(&self) -> &str {
        self.conn.target()
    }

    /// The server this store talks to, shared with the leases and the budget.
    pub(crate) fn conn(&self) -> &RedisConn {
        &self.conn
    }

    fn connection(&self) -> ConnectionManager {
        self.conn.connection()
    }

    /// Why Redis is not usable now, if it is not.
    pub fn down_reason(&self) -> Option<String> {
        self.conn.down_reason()
    }

    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        self.conn.run(f).await
    }

    /// Answers a ping now (tests and start-up checks).
    pub async fn ping(&self) -> Result<()> {
        self.conn.ping().await
    }
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
        let script = &self.scripts.put_if_absent;
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
        let script = &self.scripts.create_approval;
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
        let script = &self.scripts.transition;
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
        Some(Arc::new(super::redis_lease::RedisLeases::new(
            self.conn.clone(),
        )))
    }

    fn change_feed(&self) -> Option<Arc<dyn super::changes::ChangeFeed>> {
        Some(Arc::new(super::redis_feed::RedisFeed::new(
            self.conn.client(),
            self.conn.connection(),
        )))
    }

    fn degraded(&self) -> Option<String> {
        self.down_reason().map(|why| {
            format!(
                "shared state {} unavailable ({why}): writes are refused, reads go on",
                self.conn.target()
            )
        })
    }
}
