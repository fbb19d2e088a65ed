//! Integration tests of the API server, driven in-process: `kube::Client` over the `tower::Service`, and raw `http::Request`s.

mod apply;
mod crud;
mod errors;
mod kubectl;
mod kubectl_apply;
mod subresources;
mod support;
mod watch;
