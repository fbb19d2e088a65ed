//! An event recorder writing `events.k8s.io/v1` Events. An event identical to one
//! recorded within the series window (same object, type, reason, action, note and
//! reporter) updates that Event's `series` (count, lastObservedTime) instead of creating
//! another object, as Kubernetes' event broadcaster does.

use std::collections::HashMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use parking_lot::Mutex;
use serde::de::IgnoredAny;
use serde_json::json;
use tokio::time::Instant;

/// An event's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Normal operation.
    Normal,
    /// Something may need attention.
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// One occurrence to record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventInfo {
    /// Normal or Warning.
    pub type_: EventType,
    /// Why (UpperCamelCase, machine-readable).
    pub reason: String,
    /// What was done or failed (UpperCamelCase).
    pub action: String,
    /// Human-readable detail.
    pub note: Option<String>,
}

/// Why recording failed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The regarding object has no name.
    #[error("the regarding object reference has no name")]
    Unnamed,
    /// The API request failed.
    #[error("writing the event: {0}")]
    Api(#[from] kube::Error),
}

/// apiVersion, kind, namespace, name and uid of the regarding object.
type RegardingKey = [Option<String>; 5];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SeriesKey {
    regarding: RegardingKey,
    info: EventInfo,
}

#[derive(Debug)]
struct SeriesEntry {
    namespace: String,
    name: String,
    count: i32,
    last: Instant,
}

/// The open series, and when expired ones were last dropped.
#[derive(Debug)]
struct Series {
    entries: HashMap<SeriesKey, SeriesEntry>,
    pruned: Instant,
}

/// Records events on behalf of one controller instance. Cheap to share behind an `Arc`.
pub struct Recorder {
    client: kube::Client,
    reporting_controller: String,
    reporting_instance: String,
    window: Duration,
    series: Mutex<Series>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("reporting_controller", &self.reporting_controller)
            .field("reporting_instance", &self.reporting_instance)
            .finish()
    }
}

fn now() -> MicroTime {
    MicroTime(Timestamp::now())
}

impl Recorder {
    /// A recorder reporting as `reporting_controller` (e.g. `example.com/mirror`) from
    /// `reporting_instance` (e.g. the pod name). Series window: 6 minutes.
    pub fn new(client: kube::Client, reporting_controller: &str, reporting_instance: &str) -> Self {
        Recorder {
            client,
            reporting_controller: reporting_controller.to_string(),
            reporting_instance: reporting_instance.to_string(),
            window: Duration::from_secs(6 * 60),
            series: Mutex::new(Series { entries: HashMap::new(), pruned: Instant::now() }),
        }
    }

    /// Changes how long an identical event extends a series.
    pub fn with_series_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Records `info` about `regarding`; returns the Event written (created, or its
    /// series updated).
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        info: EventInfo,
    ) -> Result<Event, EventError> {
        Ok(self.write(regarding, info, true).await?.unwrap_or_default())
    }

    /// Records `info` about `regarding` as [`publish`](Self::publish) does, without
    /// decoding the Event the API server answers with (for callers that do not read it:
    /// a busy controller records an Event per object it handles).
    pub async fn record(
        &self,
        regarding: &ObjectReference,
        info: EventInfo,
    ) -> Result<(), EventError> {
        self.write(regarding, info, false).await.map(|_| ())
    }

    /// Creates the Event or updates its series; decodes the answer when `decode` asks.
    async fn write(
        &self,
        regarding: &ObjectReference,
        info: EventInfo,
        decode: bool,
    ) -> Result<Option<Event>, EventError> {
        let object_name = regarding.name.clone().ok_or(EventError::Unnamed)?;
        let key = SeriesKey {
            regarding: [
                regarding.api_version.clone(),
                regarding.kind.clone(),
                regarding.namespace.clone(),
                regarding.name.clone(),
                regarding.uid.clone(),
            ],
            info: info.clone(),
        };
        let existing = {
            let mut series = self.series.lock();
            let at = Instant::now();
            let window = self.window;
            // Expired series are dropped once per window, not on every event (a busy
            // recorder holds thousands).
            if at.duration_since(series.pruned) >= window {
                series.entries.retain(|_, e| at.duration_since(e.last) < window);
                series.pruned = at;
            }
            match series.entries.get_mut(&key) {
                Some(e) if at.duration_since(e.last) < window => {
                    e.count += 1;
                    e.last = at;
                    Some((e.namespace.clone(), e.name.clone(), e.count))
                }
                _ => None,
            }
        };
        if let Some((namespace, name, count)) = existing {
            let patch = json!({"series": {"count": count, "lastObservedTime": now()}});
            let params = PatchParams::default();
            let written = if decode {
                let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
                api.patch(&name, &params, &Patch::Merge(&patch)).await.map(Some)
            } else {
                let url = <Event as kube::Resource>::url_path(&(), Some(&namespace));
                let request = kube::core::Request::new(url)
                    .patch(&name, &params, &Patch::Merge(&patch))
                    .map_err(kube::Error::BuildRequest)?;
                self.client.request::<IgnoredAny>(request).await.map(|_| None)
            };
            match written {
                Ok(event) => return Ok(event),
                // The Event expired (events have a TTL): start a new one.
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        let namespace = regarding
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into());
        let stamp = Timestamp::now();
        let name = format!("{object_name}.{:x}", stamp.as_nanosecond());
        let event = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            event_time: Some(MicroTime(stamp)),
            type_: Some(info.type_.as_str().to_string()),
            reason: Some(info.reason.clone()),
            action: Some(info.action.clone()),
            note: info.note.clone(),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.reporting_controller.clone()),
            reporting_instance: Some(self.reporting_instance.clone()),
            ..Default::default()
        };
        let (created, name) = if decode {
            let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
            let created = api.create(&PostParams::default(), &event).await?;
            let name = created.metadata.name.clone().unwrap_or_default();
            (Some(created), name)
        } else {
            let url = <Event as kube::Resource>::url_path(&(), Some(&namespace));
            let body = serde_json::to_vec(&event).map_err(kube::Error::SerdeError)?;
            let request = kube::core::Request::new(url)
                .create(&PostParams::default(), body)
                .map_err(kube::Error::BuildRequest)?;
            self.client.request::<IgnoredAny>(request).await?;
            (None, name)
        };
        self.series
            .lock()
            .entries
            .insert(key, SeriesEntry { namespace, name, count: 1, last: Instant::now() });
        Ok(created)
    }
}
