//! [`ChangeFeed`] over Redis pub/sub: `PUBLISH personio-mcp:changes "<replica> person <id>"`,
//! `"<replica> absences <id>"` or `"<replica> absences *"` (someone's, unknown whose). A replica
//! of an older version ignores the kinds it does not know. Each replica tags its messages with a random id and ignores its own. Pub/sub keeps nothing:
//! a replica that is down or reconnecting misses messages and catches up at its next refresh,
//! which is the behaviour without a feed, never worse.

use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use redis::Client;
use redis::aio::ConnectionManager;
use tokio::sync::mpsc;

use super::changes::{Change, ChangeFeed};

const CHANNEL: &str = "personio-mcp:changes";
/// Pause before re-subscribing after the subscription connection failed.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// Changes waiting to be applied; beyond it, new ones are dropped (a burst of webhooks).
const BACKLOG: usize = 1024;

pub struct RedisFeed {
    client: Client,
    conn: ConnectionManager,
    replica: String,
}

impl RedisFeed {
    pub fn new(client: Client, conn: ConnectionManager) -> RedisFeed {
        RedisFeed {
            client,
            conn,
            replica: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

/// The change a message from another replica announces; `None` for our own or a malformed one.
fn foreign_change(payload: &str, me: &str) -> Option<Change> {
    let mut parts = payload.split(' ');
    let (Some(from), Some(kind), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if from == me {
        return None;
    }
    match (kind, id) {
        ("person", id) => id.parse().ok().map(Change::Person),
        ("absences", "*") => Some(Change::Absences(None)),
        ("absences", id) => id.parse().ok().map(|id| Change::Absences(Some(id))),
        _ => None,
    }
}

/// The message announcing `change`.
fn message(replica: &str, change: Change) -> String {
    match change {
        Change::Person(id) => format!("{replica} person {id}"),
        Change::Absences(Some(id)) => format!("{replica} absences {id}"),
        Change::Absences(None) => format!("{replica} absences *"),
    }
}

impl ChangeFeed for RedisFeed {
    fn publish(&self, change: Change) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let message = message(&self.replica, change);
            let sent = tokio::time::timeout(
                Duration::from_secs(2),
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(message)
                    .query_async::<i64>(&mut conn),
            )
            .await;
            if !matches!(sent, Ok(Ok(_))) {
                tracing::warn!(
                    "a change could not be passed to the other replicas; they catch up at their next directory refresh, or when their kept absence listings expire"
                );
            }
        })
    }

    fn subscribe(&self) -> mpsc::Receiver<Change> {
        let (tx, rx) = mpsc::channel(BACKLOG);
        let client = self.client.clone();
        let me = self.replica.clone();
        tokio::spawn(async move {
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(CHANNEL).await.is_ok() {
                            // Messages sent while this replica was not listening are lost: the
                            // absence listings kept meanwhile may be stale, so they all go.
                            // (People catch up at the directory's next refresh.)
                            if tx.send(Change::Absences(None)).await.is_err() {
                                return;
                            }
                            let mut messages = pubsub.on_message();
                            while let Some(msg) = messages.next().await {
                                let Ok(payload) = msg.get_payload::<String>() else {
                                    continue;
                                };
                                if let Some(change) = foreign_change(&payload, &me)
                                    && tx.try_send(change).is_err()
                                {
                                    if tx.is_closed() {
                                        return;
                                    }
                                    tracing::warn!(
                                        "too many changes from other replicas at once; some are lost (the directory catches up at its next refresh, kept absence listings within their life)"
                                    );
                                }
                            }
                        }
                        tracing::warn!(
                            "the change feed from other replicas was interrupted; reconnecting"
                        );
                    }
                    Err(_) => tracing::debug!("the change feed cannot reach Redis yet"),
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        });
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_other_replicas_messages_announce_a_change() {
        assert_eq!(
            foreign_change("abc person 42", "me"),
            Some(Change::Person(42))
        );
        assert_eq!(foreign_change("me person 42", "me"), None, "our own");
        assert_eq!(foreign_change("abc person x", "me"), None);
        assert_eq!(foreign_change("abc absence 42", "me"), None);
        assert_eq!(foreign_change("abc person 42 extra", "me"), None);
        assert_eq!(foreign_change("", "me"), None);
        assert_eq!(
            foreign_change("abc absences 42", "me"),
            Some(Change::Absences(Some(42)))
        );
        assert_eq!(
            foreign_change("abc absences *", "me"),
            Some(Change::Absences(None))
        );
        assert_eq!(foreign_change("me absences 42", "me"), None, "our own");
        assert_eq!(foreign_change("abc person *", "me"), None);
    }

    #[test]
    fn every_change_reads_back_as_itself() {
        for change in [
            Change::Person(7),
            Change::Absences(Some(8)),
            Change::Absences(None),
        ] {
            assert_eq!(foreign_change(&message("abc", change), "me"), Some(change));
        }
    }
}
