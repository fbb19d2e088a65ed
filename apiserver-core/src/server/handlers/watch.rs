//! Watch: a chunked JSON stream of `{"type":…,"object":…}` lines from the watch cache, with bookmarks, timeouts, `ERROR` events and clean shutdown.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::StreamExt;
use http::{Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::{ApiRequest, table_options};
use crate::request::{EndpointRestrictions, Target, negotiate_output_stream};
use crate::server::registry::Resource;
use crate::server::{Body, Inner};
use crate::status::ApiError;
use crate::table::{ListMeta, TableOptions};
use crate::watch_cache::CacheEvent;

/// Kubernetes' default watch length (`--min-request-timeout`).
const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(1800);

/// A body fed by a channel (`Sync`, as `BoxBody` needs, whatever feeds it).
struct ChannelBody(tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// How events are encoded.
enum Encoding {
    /// The objects themselves.
    Objects,
    /// `meta.k8s.io/v1` `Table`s (`kubectl get -w`); headers only in the first.
    Table(TableOptions),
}

pub(crate) async fn watch(
    inner: &Inner,
    req: &ApiRequest,
    res: &Resource,
) -> Result<Response<Body>, ApiError> {
    let opts = super::list::list_options(req, res, true)?;
    let accept = req.head.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok());
    let negotiated = negotiate_output_stream(accept, &EndpointRestrictions::resource())?;
    let encoding = match negotiated.target {
        Some(Target::Table(_)) => Encoding::Table(table_options(req)?),
        _ => Encoding::Objects,
    };
    let ns = (!req.info.namespace.is_empty()).then_some(req.info.namespace.as_str());
    let timeout = opts
        .timeout_seconds
        .filter(|s| *s > 0)
        .map_or(DEFAULT_WATCH_TIMEOUT, |s| Duration::from_secs(s.unsigned_abs()));
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    match res.cache.watch(ns, &opts) {
        Ok(events) => {
            let mut shutdown = inner.shutdown.subscribe();
            let kind = res.gvk.kind.clone();
            let api_version = res.api_version();
            let gr = res.gr.clone();
            tokio::spawn(async move {
                let mut chunks = events.ready_chunks(256);
                let deadline = tokio::time::sleep(timeout);
                tokio::pin!(deadline);
                let mut encoding = encoding;
                loop {
                    tokio::select! {
                        _ = &mut deadline => break,
                        () = async { drop(shutdown.wait_for(|v| *v).await) } => break,
                        batch = chunks.next() => {
                            let Some(batch) = batch else { break };
                            let mut sent = true;
                            for frame in frames(&batch) {
                                let mut out = BytesMut::with_capacity(frame_capacity(frame));
                                for event in frame {
                                    encode_event(&mut out, event, &kind, &api_version, &gr, &mut encoding);
                                }
                                if tx.send(out.freeze()).await.is_err() {
                                    sent = false;
                                    break;
                                }
                            }
                            if !sent {
                                break;
                            }
                        }
                    }
                }
            });
        }
        Err(e) if e.code() == StatusCode::GONE => {
            let line = json!({"type": "ERROR", "object": e.to_json()});
            let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
            bytes.push(b'\n');
            let _ = tx.try_send(Bytes::from(bytes));
            drop(tx);
        }
        Err(e) => return Err(e),
    }
    let mut r = Response::new(ChannelBody(rx).boxed());
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    Ok(r)
}

/// About how many bytes of events one frame of a watch body carries: a watcher that fell
/// behind gets its backlog in frames of this size rather than in one buffer as large as
/// the backlog (large buffers are fresh memory from the allocator every time; frames of
/// this size are reused).
const FRAME_BYTES: usize = 32 * 1024;

/// Room for an event's line besides the object (`{"type":"MODIFIED","object":` … `}\n`).
const LINE_OVERHEAD: usize = 32;
/// Room for the whole line of a bookmark.
const BOOKMARK_LINE: usize = 192;

/// The bytes `event`'s line takes, about (exact for objects as they are stored).
fn line_size(event: &CacheEvent) -> usize {
    event.object().map_or(BOOKMARK_LINE, |o| o.json.len() + LINE_OVERHEAD)
}

/// `batch` cut into runs of events whose lines add up to about [`FRAME_BYTES`] (at least
/// one event each).
fn frames(batch: &[CacheEvent]) -> impl Iterator<Item = &[CacheEvent]> {
    let mut rest = batch;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut size = 0;
        let mut end = 0;
        while end < rest.len() && (end == 0 || size + line_size(&rest[end]) <= FRAME_BYTES) {
            size += line_size(&rest[end]);
            end += 1;
        }
        let (frame, tail) = rest.split_at(end);
        rest = tail;
        Some(frame)
    })
}

/// The buffer size for one frame's lines (tables and bookmarks may still grow it).
fn frame_capacity(frame: &[CacheEvent]) -> usize {
    frame.iter().map(line_size).sum()
}

fn encode_event(
    out: &mut BytesMut,
    event: &CacheEvent,
    kind: &str,
    api_version: &str,
    gr: &capstan_api_types::GroupResource,
    encoding: &mut Encoding,
) {
    out.put_slice(b"{\"type\":\"");
    out.put_slice(event.type_name().as_bytes());
    out.put_slice(b"\",\"object\":");
    match event {
        CacheEvent::Bookmark(rv) | CacheEvent::InitialEventsEnd(rv) => {
            let mut metadata = json!({"resourceVersion": rv.to_string()});
            if matches!(event, CacheEvent::InitialEventsEnd(_)) {
                metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
            }
            let obj = json!({"kind": kind, "apiVersion": api_version, "metadata": metadata});
            out.put_slice(obj.to_string().as_bytes());
        }
        CacheEvent::Added(o) | CacheEvent::Modified(o) | CacheEvent::Deleted(o) => match encoding {
            Encoding::Objects => o.json.write_to(out),
            Encoding::Table(options) => {
                let obj: Value = o.json.to_value().unwrap_or(Value::Null);
                let meta = ListMeta {
                    resource_version: Some(o.revision.to_string()),
                    ..ListMeta::default()
                };
                let table = crate::table::to_table(
                    gr,
                    std::slice::from_ref(&obj),
                    &meta,
                    *options,
                    jiff::Timestamp::now(),
                );
                out.put_slice(table.to_string().as_bytes());
                options.no_headers = true;
            }
        },
    }
    out.put_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backlog_is_cut_into_frames_of_bounded_size_in_order() {
        let batch: Vec<CacheEvent> = (0..1000).map(CacheEvent::Bookmark).collect();
        let frames: Vec<&[CacheEvent]> = frames(&batch).collect();
        assert!(frames.len() > 1, "a backlog larger than a frame takes several");
        for frame in &frames {
            assert!(frame_capacity(frame) <= FRAME_BYTES);
        }
        let revisions: Vec<i64> =
            frames.iter().flat_map(|f| f.iter().map(CacheEvent::revision)).collect();
        assert_eq!(revisions, (0..1000).collect::<Vec<i64>>(), "every event once, in order");
        assert_eq!(super::frames(&[]).count(), 0);
    }
}
