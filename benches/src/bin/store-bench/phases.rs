//! The measured phases: writes with 1 and 64 clients, reads with 64, watch latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::target::{BoxError, Target, stamped_value};

/// Size of every written value.
pub const VALUE_BYTES: usize = 500;

/// How long each throughput phase runs and how many watch events are sent.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Duration of each throughput phase.
    pub phase: Duration,
    /// Events written during the watch phase.
    pub watch_events: usize,
    /// Pause between two watch-phase writes.
    pub watch_interval: Duration,
}

/// Creates distinct keys from `clients` concurrent tasks for `budget` and returns writes/s
/// and the keys each task wrote (`<prefix><task>/<i>` for `i` below the count).
pub async fn writes(
    target: &Target,
    prefix: &str,
    clients: usize,
    budget: Duration,
) -> Result<(f64, Vec<usize>), BoxError> {
    let value = Bytes::from(vec![b'v'; VALUE_BYTES]);
    let started = Instant::now();
    let deadline = started + budget;
    let mut tasks = Vec::new();
    for task in 0..clients {
        let (target, value, prefix) = (target.clone(), value.clone(), prefix.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut written = 0usize;
            while Instant::now() < deadline {
                target.write(&format!("{prefix}{task}/{written}"), value.clone()).await?;
                written += 1;
            }
            Ok::<usize, BoxError>(written)
        }));
    }
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await??);
    }
    let total: usize = counts.iter().sum();
    Ok((total as f64 / started.elapsed().as_secs_f64(), counts))
}

/// Reads keys written by [`writes`] from `clients` concurrent tasks for `budget`; reads/s.
pub async fn reads(
    target: &Target,
    prefix: &str,
    written: &[usize],
    clients: usize,
    budget: Duration,
) -> Result<f64, BoxError> {
    let keys: Arc<Vec<String>> = Arc::new(
        written
            .iter()
            .enumerate()
            .flat_map(|(task, count)| (0..*count).map(move |i| format!("{prefix}{task}/{i}")))
            .collect(),
    );
    if keys.is_empty() {
        return Err("no keys to read".into());
    }
    let started = Instant::now();
    let deadline = started + budget;
    let mut tasks = Vec::new();
    for task in 0..clients {
        let (target, keys) = (target.clone(), Arc::clone(&keys));
        tasks.push(tokio::spawn(async move {
            let mut read = 0usize;
            // Each task walks the keys from its own offset with a stride co-prime to most sizes.
            let mut index = task * 7919;
            while Instant::now() < deadline {
                target.read(&keys[index % keys.len()]).await?;
                index += 104_729;
                read += 1;
            }
            Ok::<usize, BoxError>(read)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Watch delivery latency (send → receive) percentiles p50 and p99, in milliseconds, of
/// `budget.watch_events` writes at a steady pace.
pub async fn watch_latency(
    target: &Target,
    prefix: &str,
    budget: Budget,
) -> Result<(f64, f64), BoxError> {
    let epoch = Instant::now();
    let mut latencies = target.watch_latencies(prefix, epoch).await?;
    let mut next = tokio::time::Instant::now();
    for i in 0..budget.watch_events {
        tokio::time::sleep_until(next).await;
        next += budget.watch_interval;
        let value = stamped_value(epoch.elapsed(), VALUE_BYTES);
        target.write(&format!("{prefix}{i}"), value).await?;
    }
    let mut samples = Vec::with_capacity(budget.watch_events);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while samples.len() < budget.watch_events {
        match tokio::time::timeout_at(deadline, latencies.recv()).await {
            Ok(Some(latency)) => samples.push(latency),
            Ok(None) => return Err("the watch ended early".into()),
            Err(_) => {
                return Err(format!(
                    "the watch delivered {} of {} events",
                    samples.len(),
                    budget.watch_events
                )
                .into());
            }
        }
    }
    samples.sort();
    Ok((percentile(&samples, 0.50), percentile(&samples, 0.99)))
}

fn percentile(sorted: &[Duration], quantile: f64) -> f64 {
    let rank = ((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}
