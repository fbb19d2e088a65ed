//! `capstan-apiserver-core` will own the Kubernetes REST API as a `tower::Service`:
//! authentication, authorization, admission, validation, registry strategies, the watch
//! cache, discovery, OpenAPI and HTTPS serving. It is the only component that talks to
//! [`capstan-store`](https://docs.rs/capstan-store). Nothing is implemented here yet.
