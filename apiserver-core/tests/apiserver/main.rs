//! Integration tests of the API server, driven in-process: `kube::Client` over the `tower::Service`, and raw `http::Request`s.

mod crud;
mod errors;
mod kubectl;
mod subresources;
mod support;
mod watch;
