//! Integration tests of the API server, driven in-process: `kube::Client` over the `tower::Service`, raw `http::Request`s, kubectl over loopback HTTP, and the secure server over loopback HTTPS.

mod admission;
mod apply;
mod crud;
mod errors;
mod kubectl;
mod kubectl_apply;
mod security;
mod subresources;
mod support;
mod watch;
