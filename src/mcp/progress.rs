//! Progress of long calls (a cold directory load) as `notifications/progress`.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;

use crate::domain::directory::Progress;

/// Forwards progress (employees loaded) as `notifications/progress`, in order, when the caller
/// asked for progress with a token. [`ProgressForwarder::finish`] waits until every notification
/// is sent, so none arrives after the tool's result.
pub struct ProgressForwarder {
    progress: Option<Progress>,
    sending: Option<tokio::task::JoinHandle<()>>,
}

impl ProgressForwarder {
    pub fn new(ctx: &RequestContext<RoleServer>) -> Self {
        let Some(token) = ctx.meta.get_progress_token() else {
            return ProgressForwarder {
                progress: None,
                sending: None,
            };
        };
        let peer = ctx.peer.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let sending = tokio::spawn(async move {
            while let Some(n) = rx.recv().await {
                let _ = peer
                    .notify_progress(
                        ProgressNotificationParam::new(token.clone(), n as f64)
                            .with_message(format!("{n} employees loaded from Personio")),
                    )
                    .await;
            }
        });
        ProgressForwarder {
            progress: Some(Arc::new(move |n| {
                let _ = tx.send(n);
            })),
            sending: Some(sending),
        }
    }

    pub fn progress(&self) -> Option<Progress> {
        self.progress.clone()
    }

    /// Closes the channel (once every clone of the callback is gone) and waits for the sender.
    pub async fn finish(mut self) {
        self.progress = None;
        if let Some(sending) = self.sending.take() {
            let _ = sending.await;
        }
    }
}
