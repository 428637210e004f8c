//! What graceful shutdown needs to know: how many MCP calls are in flight, and whether the server
//! is draining.
//!
//! On SIGINT/SIGTERM the HTTP server stops accepting connections, lets in-flight calls finish
//! (bounded by `--shutdown-timeout`), and only then closes the sessions. Closing sessions first
//! would cut the very streams the pending results travel on: a legacy SSE result is sent on the
//! session's `GET /sse` stream, and a Streamable HTTP result on its POST's SSE response.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    count: AtomicUsize,
    idle: Notify,
}

/// A counter of in-flight MCP calls. Cheap to clone; clones share the count.
#[derive(Clone, Default)]
pub struct InFlight {
    inner: Arc<Inner>,
}

/// Marks one call as in flight until dropped.
#[must_use = "the call counts as in flight only while the guard lives"]
pub struct InFlightGuard {
    inner: Arc<Inner>,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.inner.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}

impl InFlight {
    pub fn enter(&self) -> InFlightGuard {
        self.inner.count.fetch_add(1, Ordering::AcqRel);
        InFlightGuard {
            inner: self.inner.clone(),
        }
    }

    pub fn count(&self) -> usize {
        self.inner.count.load(Ordering::Acquire)
    }

    /// Resolves once no call is in flight.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            // Register before checking, so a drop between the check and the await is not missed.
            notified.as_mut().enable();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wait_idle_returns_when_the_last_guard_drops() {
        let inflight = InFlight::default();
        inflight.wait_idle().await;
        let a = inflight.enter();
        let b = inflight.enter();
        assert_eq!(inflight.count(), 2);
        let waiter = tokio::spawn({
            let inflight = inflight.clone();
            async move { inflight.wait_idle().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(b);
        waiter.await.unwrap();
        assert_eq!(inflight.count(), 0);
    }
}
