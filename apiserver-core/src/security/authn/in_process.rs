//! In-process identities: [`InProcessUser`], a request extension naming the caller of an in-process client, and [`AsUser`], the service wrapper that sets it.
//!
//! Requests from the network can only carry the extensions the server's acceptor sets,
//! never this one, so an in-process client (controllers, the scheduler, a kubelet run in
//! the same process) gets exactly the identity its owner gave it — and RBAC applies to it
//! like to any other user.

use std::task::{Context, Poll};

use crate::server::auth::UserInfo;

/// The user an in-process request is made by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProcessUser(pub UserInfo);

/// The in-process identity of a request, if it has one.
pub fn identity(request: &http::request::Parts) -> Option<&UserInfo> {
    request.extensions.get::<InProcessUser>().map(|u| &u.0)
}

/// The in-process loopback identity of the API server itself (`system:apiserver` in
/// `system:masters`), used for bootstrap writes.
pub fn loopback_user() -> UserInfo {
    UserInfo::new("system:apiserver", ["system:masters", super::AUTHENTICATED_GROUP])
}

/// The identity of the scheduler (`system:kube-scheduler`, bound to the
/// `system:kube-scheduler` and `system:volume-scheduler` ClusterRoles).
pub fn scheduler_user() -> UserInfo {
    UserInfo::new("system:kube-scheduler", [super::AUTHENTICATED_GROUP])
}

/// The identity of a kubelet (`system:node:<name>` in `system:nodes`), which the Node
/// authorizer scopes to its own node.
pub fn node_user(node: &str) -> UserInfo {
    UserInfo::new(format!("system:node:{node}"), ["system:nodes", super::AUTHENTICATED_GROUP])
}

/// A `tower::Service` that makes every request as one user: wrap the `ApiServer` before
/// `kube::Client::new` to give an in-process client its identity.
#[derive(Debug, Clone)]
pub struct AsUser<S> {
    inner: S,
    user: InProcessUser,
}

impl<S> AsUser<S> {
    /// Requests through `inner` are made by `user`.
    pub fn new(inner: S, user: UserInfo) -> Self {
        AsUser { inner, user: InProcessUser(super::with_authenticated_group(user)) }
    }
}

impl<S, B> tower::Service<http::Request<B>> for AsUser<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> S::Future {
        request.extensions_mut().insert(self.user.clone());
        self.inner.call(request)
    }
}
