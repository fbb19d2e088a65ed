//! Connection and behaviour settings of the etcd backend.

use std::time::Duration;

/// How [`EtcdStore`](super::EtcdStore) connects to etcd and behaves on failures.
#[derive(Clone, Debug)]
pub struct EtcdOptions {
    /// How many independent gRPC connections (each balanced over every endpoint) requests
    /// are spread over, round robin. One HTTP/2 connection multiplexes many concurrent
    /// requests; a few help when a single connection becomes the bottleneck.
    pub connections: usize,
    /// Timeout of one connection attempt.
    pub connect_timeout: Duration,
    /// Timeout of one unary request (not of watch streams).
    pub request_timeout: Duration,
    /// How long a watch keeps trying to re-establish itself after its stream broke (a
    /// member died, a leader election) before it ends with
    /// [`StoreError::Unavailable`](crate::StoreError::Unavailable).
    pub watch_resume_timeout: Duration,
    /// For watches that asked for progress notifications: how long a watch may be idle
    /// before it asks etcd for its progress.
    pub progress_interval: Duration,
    /// Whether [`compact`](crate::Compactor::compact) waits until etcd has physically
    /// removed the compacted revisions (etcd's `physical` option).
    pub physical_compaction: bool,
}

impl Default for EtcdOptions {
    fn default() -> Self {
        EtcdOptions {
            connections: 2,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            watch_resume_timeout: Duration::from_secs(60),
            progress_interval: Duration::from_millis(500),
            physical_compaction: true,
        }
    }
}
