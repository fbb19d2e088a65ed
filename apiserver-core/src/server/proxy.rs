//! The node-side connection behind `pods/log`, `pods/exec`-style and `nodes/proxy` requests: the [`NodeProxy`] trait.

use async_trait::async_trait;
use bytes::Bytes;

use super::Body;
use crate::request::RequestInfo;
use crate::status::ApiError;

/// A request the API server forwards to a node (implemented by the node agent).
#[derive(Debug)]
pub struct NodeProxyRequest {
    /// The parsed request (`pods`/`log`, `nodes`/`proxy`, namespace, name, the rest of the
    /// path in `parts`).
    pub info: RequestInfo,
    /// The request head.
    pub head: http::request::Parts,
    /// The request body.
    pub body: Bytes,
    /// The pod or node object (with `spec.nodeName` for pods), as JSON.
    pub object: serde_json::Value,
}

/// Connects API requests to the node that can answer them.
#[async_trait]
pub trait NodeProxy: Send + Sync {
    /// Answers `request` (a log stream, a proxied response, …).
    async fn proxy(&self, request: NodeProxyRequest) -> Result<http::Response<Body>, ApiError>;
}

/// The default: no node is connected, every request is `503 ServiceUnavailable`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNodeConnection;

#[async_trait]
impl NodeProxy for NoNodeConnection {
    async fn proxy(&self, request: NodeProxyRequest) -> Result<http::Response<Body>, ApiError> {
        Err(ApiError::service_unavailable(format!(
            "no node connection: {}/{} {:?} cannot be served because this API server has no node proxy configured",
            request.info.resource, request.info.subresource, request.info.name
        )))
    }
}
