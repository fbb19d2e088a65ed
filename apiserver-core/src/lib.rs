//! `capstan-apiserver-core`: the Kubernetes REST API as a `tower::Service` — authentication,
//! authorization, admission, validation, registry strategies, the watch cache, discovery,
//! OpenAPI and HTTPS serving. It is the only component that talks to
//! [`capstan_store`].
//!
//! Built so far, the request-independent building blocks the handlers use:
//!
//! - [`status`]: [`status::ApiError`], every error as a Kubernetes `Status` with its code
//!   and reason;
//! - [`request`]: what a request asks for — [`request::RequestInfo`] from the path and
//!   verb, the query options of each verb, and content negotiation;
//! - [`patch`]: JSON patch, JSON merge patch and strategic merge patch;
//! - [`table`]: server-side `Table` output with the columns `kubectl get` prints per kind;
//! - [`security`]: HTTPS, authentication (x509, tokens, ServiceAccount and OIDC JWTs),
//!   authorization (RBAC, Node) and the cluster credentials — [`security::Security`]
//!   turns a plain [`server::ApiServer`] into a secure one;
//! - [`admission`]: the admission plugins (NamespaceLifecycle, LimitRanger,
//!   ServiceAccount, NodeRestriction, PodSecurity, DefaultStorageClass,
//!   ValidatingAdmissionPolicy, admission webhooks, ResourceQuota) —
//!   [`admission::Admission`] enables them; [`audit`]: the audit log.

pub mod admission;
pub mod audit;
pub mod discovery;
mod json_bytes;
pub mod managed_fields;
pub mod patch;
pub mod request;
pub mod security;
pub mod serve;
pub mod server;
pub mod status;
pub mod table;
pub mod watch_cache;
