//! `pods/log` for the API server: [`NodeLogProxy`] finds the pod's node among the nodes
//! running in this process ([`NodeRegistry`]) and serves the container's CRI log (from the
//! node's [`ContainerLogs`]) as the kubelet does (`container`, `follow`, `tailLines`,
//! `limitBytes`, `timestamps`, `previous`, `sinceSeconds`).

use crate::container_logs::ContainerLogs;
use crate::cri::{RuntimeService, labels, v1};
use crate::pod_worker::config::pod_log_dir;
use async_trait::async_trait;
use bytes::Bytes;
use capstan_apiserver_core::server::Body;
use capstan_apiserver_core::server::proxy::{NodeProxy, NodeProxyRequest};
use capstan_apiserver_core::status::ApiError;
use http_body_util::{BodyExt, Full, StreamBody};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

/// How often a followed log is checked for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

/// What the log proxy needs of a running node.
#[derive(Clone)]
pub struct NodeLogs {
    /// The node's container log root (`/var/log/pods`).
    pub log_root: PathBuf,
    /// Its runtime, asked whether a followed container has exited.
    pub runtime: Arc<dyn RuntimeService>,
    /// Where its container logs are.
    pub logs: Arc<dyn ContainerLogs>,
}

impl std::fmt::Debug for NodeLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeLogs")
            .field("log_root", &self.log_root)
            .field("logs", &self.logs)
            .finish_non_exhaustive()
    }
}

/// The nodes running in this process, by name.
#[derive(Debug, Clone, Default)]
pub struct NodeRegistry {
    nodes: Arc<RwLock<HashMap<String, NodeLogs>>>,
}

impl NodeRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a node.
    pub fn insert(&self, name: &str, logs: NodeLogs) {
        self.nodes.write().insert(name.to_owned(), logs);
    }

    /// Removes a node.
    pub fn remove(&self, name: &str) {
        self.nodes.write().remove(name);
    }

    /// A node by name.
    pub fn get(&self, name: &str) -> Option<NodeLogs> {
        self.nodes.read().get(name).cloned()
    }
}

/// The query of a `pods/log` request (`PodLogOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Container name.
    pub container: Option<String>,
    /// Stream new lines until the container ends.
    pub follow: bool,
    /// The previous terminated attempt.
    pub previous: bool,
    /// Only lines newer than this many seconds.
    pub since_seconds: Option<i64>,
    /// Prefix each line with its RFC 3339 timestamp.
    pub timestamps: bool,
    /// Only the last N lines.
    pub tail_lines: Option<usize>,
    /// At most this many bytes.
    pub limit_bytes: Option<usize>,
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request(message)
}

impl LogOptions {
    /// Parses a request query.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut o = LogOptions::default();
        let flag = |v: &str| v.is_empty() || v == "true" || v == "1";
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let num = |v: &str| v.parse::<i64>().map_err(|_| bad(format!("invalid {k}: {v:?}")));
            match k {
                "container" => o.container = Some(v.to_owned()).filter(|c| !c.is_empty()),
                "follow" => o.follow = flag(v),
                "previous" => o.previous = flag(v),
                "timestamps" => o.timestamps = flag(v),
                "sinceSeconds" => {
                    let n = num(v)?;
                    if n < 1 {
                        return Err(bad("sinceSeconds must be greater than 0".into()));
                    }
                    o.since_seconds = Some(n);
                }
                "tailLines" => {
                    let n = num(v)?;
                    if n < 0 {
                        return Err(bad("tailLines must be greater than or equal to 0".into()));
                    }
                    o.tail_lines = Some(n as usize);
                }
                "limitBytes" => {
                    let n = num(v)?;
                    if n < 1 {
                        return Err(bad("limitBytes must be greater than 0".into()));
                    }
                    o.limit_bytes = Some(n as usize);
                }
                _ => {}
            }
        }
        Ok(o)
    }
}

/// One line of a CRI log file (`<time> <stream> <P|F> <content>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriLine<'a> {
    /// The timestamp as written.
    pub time: &'a str,
    /// The content without the trailing newline.
    pub content: &'a str,
    /// `P`: a partial line continued by the next.
    pub partial: bool,
}

/// Parses a CRI log line (`None`: malformed).
pub fn parse_cri_line(line: &str) -> Option<CriLine<'_>> {
    let (time, rest) = line.split_once(' ')?;
    let (_stream, rest) = rest.split_once(' ')?;
    let (tag, content) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(CriLine { time, content, partial: tag == "P" })
}

/// Formats complete CRI lines of `text` for output; returns the bytes consumed (up to the
/// last newline).
fn format_lines(text: &str, opts: &LogOptions, since: Option<Timestamp>) -> (Vec<String>, usize) {
    let consumed = text.rfind('\n').map_or(0, |i| i + 1);
    let mut out = Vec::new();
    for raw in text[..consumed].lines() {
        let Some(l) = parse_cri_line(raw) else { continue };
        if let Some(since) = since {
            if l.time.parse::<Timestamp>().is_ok_and(|t| t < since) {
                continue;
            }
        }
        let mut s = String::new();
        if opts.timestamps {
            s.push_str(l.time);
            s.push(' ');
        }
        s.push_str(l.content);
        if !l.partial {
            s.push('\n');
        }
        out.push(s);
    }
    (out, consumed)
}

/// The longest prefix of `s` at most `limit` bytes long ending on a character boundary.
fn prefix_len(s: &str, limit: usize) -> usize {
    let mut n = s.len().min(limit);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// Serves `pods/log` from the nodes of a [`NodeRegistry`]; `nodes/proxy` is not served
/// (503).
#[derive(Debug, Clone)]
pub struct NodeLogProxy {
    registry: NodeRegistry,
}

impl NodeLogProxy {
    /// A proxy over `registry`.
    pub fn new(registry: NodeRegistry) -> Self {
        Self { registry }
    }
}

fn text_response(body: Body) -> http::Response<Body> {
    let mut resp = http::Response::new(body);
    resp.headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    resp
}

/// Whether the container attempt has exited (or is gone) on the runtime.
async fn exited(runtime: &dyn RuntimeService, uid: &str, container: &str, attempt: u32) -> bool {
    let filter = v1::ContainerFilter {
        label_selector: HashMap::from([
            (labels::POD_UID.to_owned(), uid.to_owned()),
            (labels::CONTAINER_NAME.to_owned(), container.to_owned()),
        ]),
        ..Default::default()
    };
    let Ok(list) =
        runtime.list_containers(v1::ListContainersRequest { filter: Some(filter) }).await
    else {
        return true;
    };
    !list.containers.iter().any(|c| {
        c.metadata.as_ref().is_some_and(|m| m.attempt == attempt)
            && c.state != v1::ContainerState::ContainerExited as i32
    })
}

#[async_trait]
impl NodeProxy for NodeLogProxy {
    async fn proxy(&self, request: NodeProxyRequest) -> Result<http::Response<Body>, ApiError> {
        if request.info.resource != "pods" || request.info.subresource != "log" {
            return Err(ApiError::service_unavailable(format!(
                "{}/{} is not served by in-process nodes",
                request.info.resource, request.info.subresource
            )));
        }
        let pod: Pod = serde_json::from_value(request.object).map_err(ApiError::internal)?;
        let name = pod.metadata.name.clone().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        let opts = LogOptions::parse(request.head.uri.query().unwrap_or(""))?;
        let container = match &opts.container {
            Some(c) => {
                let known = spec
                    .containers
                    .iter()
                    .chain(spec.init_containers.iter().flatten())
                    .any(|k| &k.name == c);
                if !known {
                    return Err(bad(format!("container {c} is not valid for pod {name}")));
                }
                c.clone()
            }
            None if spec.containers.len() == 1 => spec.containers[0].name.clone(),
            None => {
                let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
                return Err(bad(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    names.join(" ")
                )));
            }
        };
        let node_name = spec.node_name.clone().unwrap_or_default();
        if node_name.is_empty() {
            return Err(bad(format!("pod {name} does not have a host assigned")));
        }
        let Some(node) = self.registry.get(&node_name) else {
            return Err(ApiError::service_unavailable(format!(
                "node {node_name} is not connected"
            )));
        };
        let dir = pod_log_dir(&node.log_root, &pod).join(&container);
        let all = node.logs.attempts(&dir);
        let attempt = if opts.previous {
            all.iter().rev().nth(1).copied().ok_or_else(|| {
                bad(format!(
                    "previous terminated container \"{container}\" in pod \"{name}\" not found"
                ))
            })?
        } else {
            all.last().copied().ok_or_else(|| {
                bad(format!(
                    "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
                ))
            })?
        };
        let path = dir.join(format!("{attempt}.log"));
        let since = opts
            .since_seconds
            .map(|s| Timestamp::now() - k8s_openapi::jiff::SignedDuration::from_secs(s));
        let text = node.logs.read_from(&path, 0).map_err(ApiError::internal)?;
        let (mut lines, consumed) = format_lines(&text, &opts, since);
        if let Some(n) = opts.tail_lines {
            lines.drain(..lines.len().saturating_sub(n));
        }
        let mut remaining = opts.limit_bytes.unwrap_or(usize::MAX);
        let mut first = String::new();
        for l in lines {
            let take = prefix_len(&l, remaining);
            first.push_str(&l[..take]);
            remaining -= take;
        }
        if !opts.follow || opts.previous || remaining == 0 {
            return Ok(text_response(Full::new(Bytes::from(first)).boxed()));
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let mut offset = consumed as u64;
        tokio::spawn(async move {
            if !first.is_empty() && tx.send(Bytes::from(first)).await.is_err() {
                return;
            }
            loop {
                let done = exited(node.runtime.as_ref(), &uid, &container, attempt).await;
                let Ok(chunk) = node.logs.read_from(&path, offset) else {
                    return;
                };
                let (lines, consumed) = format_lines(&chunk, &opts, since);
                offset += consumed as u64;
                let mut out = String::new();
                for l in lines {
                    let take = prefix_len(&l, remaining);
                    out.push_str(&l[..take]);
                    remaining -= take;
                }
                if !out.is_empty() && tx.send(Bytes::from(out)).await.is_err() {
                    return;
                }
                if done || remaining == 0 || tx.is_closed() {
                    return;
                }
                tokio::time::sleep(FOLLOW_POLL).await;
            }
        });
        let stream =
            ReceiverStream::new(rx).map(|b| Ok::<_, Infallible>(http_body::Frame::data(b)));
        Ok(text_response(BodyExt::boxed(StreamBody::new(stream))))
    }
}
