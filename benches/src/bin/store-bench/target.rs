//! What the benchmark drives: a `Storage` backend, or the raw etcd client for reference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_store::{Storage, WatchMessage, WatchRequest};
use etcd_client::{GetOptions, KvClient, WatchOptions};
use futures::StreamExt;
use tokio::sync::mpsc;

/// The error type of the benchmark.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One system under test.
#[derive(Clone)]
pub enum Target {
    /// A store backend through the `Storage` trait.
    Store(Arc<dyn Storage>),
    /// `etcd-client` used directly: plain puts and gets, no transactions.
    Raw(Box<etcd_client::Client>),
}

impl Target {
    /// Writes a new key (a create through the store; a plain put for raw etcd).
    pub async fn write(&self, key: &str, value: Bytes) -> Result<(), BoxError> {
        match self {
            Target::Store(store) => {
                store.create(key, value, 0).await?;
            }
            Target::Raw(client) => {
                client.kv_client().put(key, value.to_vec(), None).await?;
            }
        }
        Ok(())
    }

    /// Reads one key, failing when it is missing.
    pub async fn read(&self, key: &str) -> Result<(), BoxError> {
        let found = match self {
            Target::Store(store) => store.get(key, 0).await?.kv.is_some(),
            Target::Raw(client) => {
                let mut kv: KvClient = client.kv_client();
                !kv.get(key, Some(GetOptions::new())).await?.kvs().is_empty()
            }
        };
        if found { Ok(()) } else { Err(format!("key {key} is missing").into()) }
    }

    /// Watches `prefix` and reports, for every event, how long after `epoch` the value
    /// says it was sent and when it arrived (both as offsets from `epoch`).
    pub async fn watch_latencies(
        &self,
        prefix: &str,
        epoch: Instant,
    ) -> Result<mpsc::UnboundedReceiver<Duration>, BoxError> {
        let (sender, receiver) = mpsc::unbounded_channel();
        match self {
            Target::Store(store) => {
                let mut stream = store.watch(WatchRequest::prefix(prefix)).await?;
                tokio::spawn(async move {
                    while let Some(Ok(message)) = stream.next().await {
                        if let WatchMessage::Event(event) = message {
                            let received = epoch.elapsed();
                            if !report(&sender, &event.kv.value, received) {
                                return;
                            }
                        }
                    }
                });
            }
            Target::Raw(client) => {
                let options = WatchOptions::new().with_prefix();
                let mut stream = client.watch_client().watch(prefix, Some(options)).await?;
                tokio::spawn(async move {
                    while let Ok(Some(response)) = stream.message().await {
                        let received = epoch.elapsed();
                        for event in response.events() {
                            let value = event.kv().map_or(&[][..], |kv| kv.value());
                            if !report(&sender, value, received) {
                                return;
                            }
                        }
                    }
                });
            }
        }
        Ok(receiver)
    }
}

/// A value of `size` bytes that starts with `sent` in nanoseconds.
pub fn stamped_value(sent: Duration, size: usize) -> Bytes {
    let mut value = format!("{:020}", sent.as_nanos()).into_bytes();
    value.resize(size.max(value.len()), b'x');
    Bytes::from(value)
}

fn report(sender: &mpsc::UnboundedSender<Duration>, value: &[u8], received: Duration) -> bool {
    let sent = value
        .get(..20)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse::<u64>().ok())
        .map_or(received, Duration::from_nanos);
    sender.send(received.saturating_sub(sent)).is_ok()
}
