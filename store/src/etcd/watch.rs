//! Watches: [`Watchable`] for [`EtcdStore`], resuming transparently when a stream breaks.
//!
//! Each watch is one etcd watch stream. The store remembers the next revision it owes the
//! caller; when the stream fails (its member died, lost its leader, the connection broke)
//! it opens a new one from that revision, on whichever member answers, and drops anything
//! it already delivered. Progress notifications come from two sources: etcd's own, sent
//! on the watch's channel (ordered with its events, trusted as they come), and answers to
//! progress requests the store sends when the watch is idle. etcd 3.4 can send the latter
//! ahead of events still queued for the watch, so the store passes one on only when the
//! next answer arrives with no event of a lower revision in between.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use etcd_client::{WatchOptions, WatchRequestSender, WatchResponse, WatchResponseStream};
use futures::StreamExt;

use super::convert::{prefix_end, watch_event};
use super::errors::{self, Failure};
use super::store::{EtcdStore, Inner};
use crate::error::{Result, StoreError};
use crate::limits;
use crate::traits::{WatchStream, Watchable};
use crate::types::{Revision, WatchMessage, WatchRequest};

#[async_trait]
impl Watchable for EtcdStore {
    async fn watch(&self, request: WatchRequest) -> Result<WatchStream> {
        limits::check_prefix(&request.prefix)?;
        let mut watcher = Watcher {
            inner: Arc::clone(&self.inner),
            key: request.prefix.as_bytes().to_vec(),
            end: prefix_end(request.prefix.as_bytes()),
            next: request.start_revision.max(0),
            request,
            stream: None,
            pending: VecDeque::new(),
            last_progress: 0,
            candidate: None,
            finished: false,
        };
        // Open before returning, so that every write after `watch` returns is seen.
        if let Err(outcome) = watcher.open().await {
            match outcome {
                Outcome::Fatal(error) => {
                    watcher.finished = true;
                    watcher.pending.clear();
                    return Ok(Box::pin(futures::stream::once(async move { Err(error) })));
                }
                Outcome::Broken(error) => return Err(errors::generic("watch", error)),
                Outcome::Continue => {}
            }
        }
        Ok(Box::pin(futures::stream::unfold(watcher, |mut watcher| async move {
            let item = watcher.next_message().await?;
            Some((item, watcher))
        })))
    }
}

/// What handling a response (or a failure) means for the watch.
enum Outcome {
    /// Keep reading.
    Continue,
    /// The stream broke; resume from the next revision.
    Broken(etcd_client::Error),
    /// The watch is over; deliver this error last.
    Fatal(StoreError),
}

struct Watcher {
    inner: Arc<Inner>,
    request: WatchRequest,
    key: Vec<u8>,
    end: Vec<u8>,
    /// The lowest revision not yet delivered (0 before the first stream is open when the
    /// watch starts "now").
    next: Revision,
    stream: Option<(WatchRequestSender, WatchResponseStream)>,
    pending: VecDeque<WatchMessage>,
    last_progress: Revision,
    /// A progress revision from a progress request, waiting for confirmation.
    candidate: Option<Revision>,
    finished: bool,
}

impl Watcher {
    async fn next_message(&mut self) -> Option<Result<WatchMessage>> {
        loop {
            if let Some(message) = self.pending.pop_front() {
                return Some(Ok(message));
            }
            if self.finished {
                return None;
            }
            let outcome = match self.stream.as_mut() {
                None => self.resume().await,
                Some((sender, responses)) => {
                    let received = if self.request.progress_notify {
                        match tokio::time::timeout(
                            self.inner.options.progress_interval,
                            responses.next(),
                        )
                        .await
                        {
                            Ok(received) => received,
                            Err(_idle) => match sender.request_progress().await {
                                Ok(()) => continue,
                                Err(error) => Some(Err(error)),
                            },
                        }
                    } else {
                        responses.next().await
                    };
                    match received {
                        Some(Ok(response)) => self.handle(response),
                        Some(Err(error)) => classify_stream_error(error),
                        None => Outcome::Broken(etcd_client::Error::WatchError(
                            "etcd closed the watch stream".to_owned(),
                        )),
                    }
                }
            };
            match outcome {
                Outcome::Continue => {}
                Outcome::Broken(error) => {
                    self.inner.resumptions.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(prefix = %self.request.prefix, next = self.next, %error, "etcd watch broke; resuming");
                    self.stream = None;
                    self.candidate = None;
                }
                Outcome::Fatal(error) => {
                    self.finished = true;
                    self.stream = None;
                    self.pending.clear();
                    return Some(Err(error));
                }
            }
        }
    }

    /// Re-opens the watch from the next revision, retrying until the resume timeout.
    async fn resume(&mut self) -> Outcome {
        let started = Instant::now();
        let mut backoff = Duration::from_millis(50);
        loop {
            match self.open().await {
                Ok(()) => return Outcome::Continue,
                Err(Outcome::Broken(error)) => {
                    if started.elapsed() + backoff > self.inner.options.watch_resume_timeout {
                        return Outcome::Fatal(StoreError::unavailable(
                            format!(
                                "etcd watch of {:?} could not be resumed from revision {} within {:?}: {error}",
                                self.request.prefix,
                                self.next,
                                self.inner.options.watch_resume_timeout
                            ),
                            error,
                        ));
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                Err(outcome) => return outcome,
            }
        }
    }

    /// Opens an etcd watch from `self.next` (or now, when 0) and waits until it is created.
    async fn open(&mut self) -> std::result::Result<(), Outcome> {
        let mut options =
            WatchOptions::new().with_range(self.end.clone()).with_start_revision(self.next);
        if self.request.prev_kv {
            options = options.with_prev_key();
        }
        if self.request.progress_notify {
            options = options.with_progress_notify();
        }
        let timeout = self.inner.options.request_timeout;
        let mut client = self.inner.connection().watch.clone();
        let stream = match tokio::time::timeout(
            timeout,
            client.watch(self.key.clone(), Some(options)),
        )
        .await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err(classify_stream_error(error)),
            Err(_) => return Err(Outcome::Broken(timed_out("creating the watch"))),
        };
        let (sender, mut responses) = stream.split();
        let created = match tokio::time::timeout(timeout, responses.next()).await {
            Ok(Some(Ok(created))) => created,
            Ok(Some(Err(error))) => return Err(classify_stream_error(error)),
            Ok(None) => {
                return Err(Outcome::Broken(etcd_client::Error::WatchError(
                    "etcd closed the watch stream before creating the watch".to_owned(),
                )));
            }
            Err(_) => {
                return Err(Outcome::Broken(timed_out("waiting for the watch to be created")));
            }
        };
        if self.next == 0 {
            self.next = created.header().map_or(0, |header| header.revision()) + 1;
        }
        self.stream = Some((sender, responses));
        match self.handle(created) {
            Outcome::Continue => Ok(()),
            outcome => {
                self.stream = None;
                Err(outcome)
            }
        }
    }

    fn handle(&mut self, response: WatchResponse) -> Outcome {
        if response.compact_revision() != 0 {
            return Outcome::Fatal(StoreError::Compacted {
                requested: self.next,
                compacted: response.compact_revision(),
            });
        }
        if response.canceled() {
            let reason = response.cancel_reason().to_owned();
            let error =
                etcd_client::Error::WatchError(format!("etcd canceled the watch: {reason}"));
            return match errors::classify_reason(&reason) {
                Failure::Unavailable => Outcome::Broken(error),
                _ => Outcome::Fatal(errors::generic("watch", error)),
            };
        }
        if response.created() {
            return Outcome::Continue;
        }
        let header_revision = response.header().map_or(0, |header| header.revision());
        if response.events().is_empty() {
            self.progress(header_revision, response.watch_id() < 0);
            return Outcome::Continue;
        }
        let mut last = None;
        for event in response.events() {
            let event = match watch_event(event, self.request.prev_kv) {
                Ok(event) => event,
                Err(error) => return Outcome::Fatal(error),
            };
            if event.revision() < self.next {
                continue; // delivered before the stream was resumed
            }
            last = Some(event.revision());
            self.pending.push_back(WatchMessage::Event(event));
        }
        if let Some(last) = last {
            self.next = self.next.max(last + 1);
            self.candidate = None;
        }
        Outcome::Continue
    }

    /// A progress notification at `revision`; `requested` when it answers a progress
    /// request rather than coming from the watch's own channel.
    fn progress(&mut self, revision: Revision, requested: bool) {
        if !self.request.progress_notify {
            return;
        }
        let confirmed = if requested {
            let confirmed = self.candidate.take();
            self.candidate = Some(revision);
            confirmed
        } else {
            self.next = self.next.max(revision + 1);
            if self.candidate.is_some_and(|candidate| candidate <= revision) {
                self.candidate = None;
            }
            Some(revision)
        };
        if let Some(revision) = confirmed {
            if revision > self.last_progress && revision >= self.next - 1 {
                self.last_progress = revision;
                self.pending.push_back(WatchMessage::Progress { revision });
            }
        }
    }
}

/// A failed watch stream is resumed whatever the failure (a dying member's connection
/// fails in many ways); a failure that persists ends the watch after the resume timeout.
fn classify_stream_error(error: etcd_client::Error) -> Outcome {
    Outcome::Broken(error)
}

fn timed_out(what: &str) -> etcd_client::Error {
    etcd_client::Error::WatchError(format!("timed out {what}"))
}
