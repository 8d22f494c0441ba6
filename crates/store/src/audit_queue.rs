//! Stand-alone audit entries (reads, logins, refusals) written in groups, for both backends.
//!
//! Every read is audited, and every append takes the audit head's lock, so one transaction per
//! read would make the audit head the bottleneck of the whole system. The entries that arrive
//! while one transaction commits share the next; each caller is still answered only once its
//! own entry is committed, so a read is never answered before it is on the record.

use std::future::Future;

use haven_domain::audit::AuditEvent;
use tokio::sync::{mpsc, oneshot};

use crate::error::{StoreError, StoreResult};

/// Most entries written in one transaction.
const BATCH: usize = 256;

type Pending = (AuditEvent, oneshot::Sender<Result<(), String>>);

pub(crate) struct AuditQueue(mpsc::UnboundedSender<Pending>);

impl AuditQueue {
    /// Starts the writer task; `write` appends a group of entries in one transaction.
    pub fn start<F, Fut>(write: F) -> Self
    where
        F: Fn(Vec<AuditEvent>) -> Fut + Send + 'static,
        Fut: Future<Output = StoreResult<()>> + Send,
    {
        let (sender, mut queue) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                let mut waiting = vec![first];
                while waiting.len() < BATCH {
                    match queue.try_recv() {
                        Ok(next) => waiting.push(next),
                        Err(_) => break,
                    }
                }
                let (events, answers): (Vec<_>, Vec<_>) = waiting.into_iter().unzip();
                let written = write(events).await.map_err(|e| e.to_string());
                if let Err(e) = &written {
                    tracing::error!(error = %e, "cannot append to the audit log");
                }
                for answer in answers {
                    let _ = answer.send(written.clone());
                }
            }
        });
        Self(sender)
    }

    /// Appends `event`, returning once it is committed.
    pub async fn append(&self, event: AuditEvent) -> StoreResult<()> {
        let stopped = || StoreError::Audit("the audit writer has stopped".into());
        let (done, result) = oneshot::channel();
        self.0.send((event, done)).map_err(|_| stopped())?;
        result
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::Audit)
    }
}
