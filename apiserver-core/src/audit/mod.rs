//! Audit logging: one `audit.k8s.io/v1` `Event` per request, as a JSON line in a file, at the level the audit [`policy`] gives (`None`, `Metadata`, `Request`, `RequestResponse`), written at the `ResponseComplete` stage.
//!
//! [`AuditLog::service`] wraps the API server's `tower::Service` (it sees the request
//! and the response); [`AuditLog::authenticator`] wraps the authenticator so the event
//! names the authenticated user:
//!
//! ```text
//! let audit = AuditLog::open(path, Policy::from_yaml(&text)?)?;
//! let builder = ApiServer::builder().store(store).authenticator(audit.authenticator(authenticator));
//! let api = builder.build().await?;
//! serve(listener, audit.service(api.clone()), acceptor, shutdown).await?;
//! ```
//!
//! A watch is logged once its response starts (stage `ResponseStarted`), without its
//! response body.

pub mod policy;

use std::convert::Infallible;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::request::RequestInfo;
use crate::serve::ConnectionInfo;
use crate::server::admission::collect_audit_annotations;
use crate::server::auth::{Authenticator, UserInfo};
use crate::server::{Body, MAX_REQUEST_BODY_BYTES, ids};
use crate::status::ApiError;
pub use policy::{Level, Policy};

tokio::task_local! {
    /// The user the wrapped authenticator saw for the current request.
    static AUDIT_USER: Mutex<Option<UserInfo>>;
}

/// An audit log file and its policy. Cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    policy: Arc<Policy>,
    file: Arc<Mutex<File>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Appends events to the file at `path` (created when missing).
    pub fn open(path: impl AsRef<Path>, policy: Policy) -> std::io::Result<AuditLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog { policy: Arc::new(policy), file: Arc::new(Mutex::new(file)) })
    }

    /// Wraps `inner` so the events of its requests name the user it authenticated.
    pub fn authenticator(&self, inner: Arc<dyn Authenticator>) -> Arc<dyn Authenticator> {
        Arc::new(AuditingAuthenticator { inner })
    }

    /// Wraps `service` (the API server) so every request it serves is audited.
    pub fn service<S>(&self, service: S) -> Audited<S> {
        Audited { inner: service, log: self.clone() }
    }

    fn write(&self, event: &Value) {
        let mut line = event.to_string();
        line.push('\n');
        if let Err(e) = self.file.lock().write_all(line.as_bytes()) {
            tracing::warn!(error = %e, "cannot write the audit log");
        }
    }
}

struct AuditingAuthenticator {
    inner: Arc<dyn Authenticator>,
}

#[async_trait]
impl Authenticator for AuditingAuthenticator {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        let user = self.inner.authenticate(request).await?;
        if let Some(u) = &user {
            let _ = AUDIT_USER.try_with(|slot| *slot.lock() = Some(u.clone()));
        }
        Ok(user)
    }
}

/// The audited service (see [`AuditLog::service`]).
#[derive(Clone, Debug)]
pub struct Audited<S> {
    inner: S,
    log: AuditLog,
}

fn micro_time() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn body_json(bytes: &[u8]) -> Option<Value> {
    serde_json::from_slice(bytes).ok()
}

impl<S, B> tower::Service<http::Request<B>> for Audited<S>
where
    S: tower::Service<
            http::Request<Full<Bytes>>,
            Response = http::Response<Body>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut inner = self.inner.clone();
        let log = self.log.clone();
        Box::pin(AUDIT_USER.scope(Mutex::new(None), async move {
            let received = micro_time();
            let audit_id = ids::new_uid();
            let (parts, body) = request.into_parts();
            let bytes =
                match http_body_util::Limited::new(body, MAX_REQUEST_BODY_BYTES).collect().await {
                    Ok(c) => c.to_bytes(),
                    Err(_) => Bytes::new(),
                };
            let request = http::Request::from_parts(parts, Full::new(bytes.clone()));
            let info = RequestInfo::from_request(&request).ok();
            let uri = request.uri().to_string();
            let source = request
                .extensions()
                .get::<ConnectionInfo>()
                .map(|c| c.remote_addr.ip().to_string());
            let user_agent = request
                .headers()
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let (response, annotations) = collect_audit_annotations(inner.call(request)).await;
            let response = response?;
            let user = AUDIT_USER.with(|u| u.lock().clone());
            let (Some(info), Some(user)) = (info, user) else { return Ok(response) };
            let level = log.policy.level(&user, &info);
            if level == Level::None {
                return Ok(response);
            }
            let (mut head, body) = response.into_parts();
            head.headers.insert(
                "audit-id",
                http::HeaderValue::from_str(&audit_id)
                    .unwrap_or(http::HeaderValue::from_static("")),
            );
            let mut event = json!({
                "kind": "Event",
                "apiVersion": "audit.k8s.io/v1",
                "level": level.as_str(),
                "auditID": audit_id,
                "stage": "ResponseComplete",
                "requestURI": uri,
                "verb": info.verb,
                "user": {"username": user.name, "uid": user.uid, "groups": user.groups},
                "sourceIPs": source.into_iter().collect::<Vec<_>>(),
                "responseStatus": {"metadata": {}, "code": head.status.as_u16()},
                "requestReceivedTimestamp": received,
            });
            if !annotations.is_empty() {
                event["annotations"] = Value::Object(
                    annotations.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
                );
            }
            if let Some(ua) = user_agent {
                event["userAgent"] = json!(ua);
            }
            if info.is_resource_request {
                let mut object_ref =
                    json!({"resource": info.resource, "apiVersion": info.api_version});
                for (k, v) in [
                    ("namespace", &info.namespace),
                    ("name", &info.name),
                    ("apiGroup", &info.api_group),
                    ("subresource", &info.subresource),
                ] {
                    if !v.is_empty() {
                        object_ref[k] = json!(v);
                    }
                }
                event["objectRef"] = object_ref;
            }
            if level >= Level::Request
                && let Some(obj) = body_json(&bytes)
            {
                event["requestObject"] = obj;
            }
            let watch = info.verb == "watch";
            if watch {
                event["stage"] = json!("ResponseStarted");
            }
            let body = if level >= Level::RequestResponse && !watch {
                let collected = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                if let Some(obj) = body_json(&collected) {
                    event["responseObject"] = obj;
                }
                Full::new(collected).map_err(|never| match never {}).boxed()
            } else {
                body
            };
            if !head.status.is_success()
                && let Some(status) = event.get("responseObject").cloned()
            {
                event["responseStatus"]["message"] =
                    status.get("message").cloned().unwrap_or(Value::Null);
                event["responseStatus"]["reason"] =
                    status.get("reason").cloned().unwrap_or(Value::Null);
            }
            event["stageTimestamp"] = json!(micro_time());
            log.write(&event);
            Ok(http::Response::from_parts(head, body))
        }))
    }
}
