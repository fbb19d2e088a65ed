//! Mapping etcd and gRPC failures onto [`StoreError`].

use crate::error::StoreError;

/// What an etcd failure means for the store, before the caller adds the details it knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// "mvcc: required revision has been compacted".
    Compacted,
    /// "mvcc: required revision is a future revision".
    FutureRevision,
    /// "requested lease not found".
    LeaseNotFound,
    /// "request is too large" (or gRPC's message size limit).
    TooLarge,
    /// The cluster or the connection is unavailable; retrying may help.
    Unavailable,
    /// Anything else.
    Other,
}

/// Classifies an etcd client error.
pub(crate) fn classify(error: &etcd_client::Error) -> Failure {
    use etcd_client::Error as E;
    match error {
        E::GRpcStatus(status) => classify_status(i32::from(status.code()), status.message()),
        E::TransportError(_) | E::IoError(_) | E::WatchError(_) | E::EndpointError(_) => {
            Failure::Unavailable
        }
        _ => Failure::Other,
    }
}

/// Classifies a reason etcd gave in words (a canceled watch's `cancel_reason`).
pub(crate) fn classify_reason(reason: &str) -> Failure {
    const UNKNOWN: i32 = 2;
    classify_status(UNKNOWN, reason)
}

/// gRPC status codes (from the gRPC specification) that mean "try again".
mod code {
    pub const CANCELLED: i32 = 1;
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const ABORTED: i32 = 10;
    pub const UNAVAILABLE: i32 = 14;
}

fn classify_status(code: i32, message: &str) -> Failure {
    let message = message.to_ascii_lowercase();
    if message.contains("required revision has been compacted") {
        Failure::Compacted
    } else if message.contains("future revision") {
        Failure::FutureRevision
    } else if message.contains("requested lease not found") || message.contains("lease not found") {
        Failure::LeaseNotFound
    } else if message.contains("request is too large")
        || message.contains("message larger than max")
        || message.contains("message length too large")
    {
        Failure::TooLarge
    } else if matches!(
        code,
        code::UNAVAILABLE | code::DEADLINE_EXCEEDED | code::CANCELLED | code::ABORTED
    ) || (code == code::RESOURCE_EXHAUSTED && message.contains("too many requests"))
        || message.contains("no leader")
        || message.contains("leader changed")
        || message.contains("timed out")
        || message.contains("transport")
        || message.contains("connection")
        || message.contains("broken pipe")
        || message.contains("not capable")
        || message.contains("stopped")
    {
        Failure::Unavailable
    } else {
        Failure::Other
    }
}

/// Converts an etcd error whose meaning needs no further details.
///
/// Compaction, future revisions, leases and sizes need context (which revision, which lease,
/// which key) and are mapped by the callers that know it; here they become backend errors.
pub(crate) fn generic(what: &str, error: etcd_client::Error) -> StoreError {
    match classify(&error) {
        Failure::Unavailable => StoreError::unavailable(format!("etcd {what}: {error}"), error),
        _ => StoreError::backend(format!("etcd {what}: {error}"), error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_messages_are_classified() {
        const OUT_OF_RANGE: i32 = 11;
        const NOT_FOUND: i32 = 5;
        const INVALID_ARGUMENT: i32 = 3;
        let cases = [
            (
                OUT_OF_RANGE,
                "etcdserver: mvcc: required revision has been compacted",
                Failure::Compacted,
            ),
            (
                OUT_OF_RANGE,
                "etcdserver: mvcc: required revision is a future revision",
                Failure::FutureRevision,
            ),
            (NOT_FOUND, "etcdserver: requested lease not found", Failure::LeaseNotFound),
            (INVALID_ARGUMENT, "etcdserver: request is too large", Failure::TooLarge),
            (code::UNAVAILABLE, "etcdserver: no leader", Failure::Unavailable),
            (code::UNAVAILABLE, "etcdserver: leader changed", Failure::Unavailable),
            (code::DEADLINE_EXCEEDED, "context deadline exceeded", Failure::Unavailable),
            (INVALID_ARGUMENT, "etcdserver: key is not provided", Failure::Other),
        ];
        for (code, message, expected) in cases {
            assert_eq!(classify_status(code, message), expected, "{message}");
        }
        let transport = etcd_client::Error::WatchError("channel closed".into());
        assert!(generic("watch", transport).is_retryable());
        let other = etcd_client::Error::InvalidArgs("bad".into());
        assert!(!generic("get", other).is_retryable());
    }
}
