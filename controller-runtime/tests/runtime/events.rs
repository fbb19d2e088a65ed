//! The event recorder: one Event per distinct occurrence, series for repeats.

use capstan_controller_runtime::events::{EventInfo, EventType, Recorder};
use k8s_openapi::api::events::v1::Event;
use kube::{Api, Resource};

use crate::support::{create_cm, env, namespace};

#[tokio::test]
async fn repeated_events_update_the_series_instead_of_creating_objects() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ev").await;
    let cm = create_cm(&client, "ev", "subject", "1").await;
    let regarding = cm.object_ref(&());
    let recorder = Recorder::new(client.clone(), "example.com/tester", "tester-0");
    let info = EventInfo {
        type_: EventType::Warning,
        reason: "Unhealthy".into(),
        action: "Probe".into(),
        note: Some("probe failed".into()),
    };
    let first = recorder.publish(&regarding, info.clone()).await.unwrap();
    assert!(first.series.is_none());
    recorder.publish(&regarding, info.clone()).await.unwrap();
    let third = recorder.publish(&regarding, info.clone()).await.unwrap();
    assert_eq!(third.metadata.name, first.metadata.name, "the same Event");
    assert_eq!(third.series.as_ref().map(|s| s.count), Some(3));

    let other = EventInfo { type_: EventType::Normal, reason: "Synced".into(), ..info };
    recorder.publish(&regarding, other).await.unwrap();

    let events: Api<Event> = Api::namespaced(client, "ev");
    let list = events.list(&Default::default()).await.unwrap().items;
    assert_eq!(list.len(), 2, "one Event per distinct occurrence");
    let stored = list.iter().find(|e| e.reason.as_deref() == Some("Unhealthy")).unwrap();
    assert_eq!(stored.series.as_ref().unwrap().count, 3);
    assert_eq!(stored.type_.as_deref(), Some("Warning"));
    assert_eq!(stored.reporting_controller.as_deref(), Some("example.com/tester"));
    assert_eq!(stored.regarding.as_ref().and_then(|r| r.uid.clone()), cm.metadata.uid);
    assert!(stored.event_time.is_some());
}

#[tokio::test]
async fn an_identical_event_after_the_series_window_starts_a_new_event() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ev-window").await;
    let cm = create_cm(&client, "ev-window", "subject", "1").await;
    let regarding = cm.object_ref(&());
    // A zero window: every series has expired by the next event.
    let recorder = Recorder::new(client.clone(), "example.com/tester", "tester-0")
        .with_series_window(std::time::Duration::ZERO);
    let info = EventInfo {
        type_: EventType::Normal,
        reason: "Synced".into(),
        action: "Sync".into(),
        note: None,
    };
    let first = recorder.publish(&regarding, info.clone()).await.unwrap();
    let second = recorder.publish(&regarding, info).await.unwrap();
    assert_ne!(second.metadata.name, first.metadata.name, "a new Event, not a series");
    assert!(second.series.is_none());
    let events: Api<Event> = Api::namespaced(client, "ev-window");
    assert_eq!(events.list(&Default::default()).await.unwrap().items.len(), 2);
}

#[tokio::test]
async fn record_writes_events_and_series_without_reading_the_answer() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "ev-record").await;
    let cm = create_cm(&client, "ev-record", "subject", "1").await;
    let regarding = cm.object_ref(&());
    let recorder = Recorder::new(client.clone(), "example.com/tester", "tester-0");
    let info = EventInfo {
        type_: EventType::Normal,
        reason: "Scheduled".into(),
        action: "Binding".into(),
        note: Some("assigned".into()),
    };
    recorder.record(&regarding, info.clone()).await.unwrap();
    recorder.record(&regarding, info.clone()).await.unwrap();
    let other = EventInfo { reason: "Pulled".into(), ..info };
    recorder.record(&regarding, other).await.unwrap();
    let events: Api<Event> = Api::namespaced(client, "ev-record");
    let list = events.list(&Default::default()).await.unwrap().items;
    assert_eq!(list.len(), 2, "one Event per distinct occurrence");
    let scheduled = list.iter().find(|e| e.reason.as_deref() == Some("Scheduled")).unwrap();
    assert_eq!(scheduled.series.as_ref().map(|s| s.count), Some(2), "the repeat is a series");
    assert_eq!(scheduled.note.as_deref(), Some("assigned"));
    assert_eq!(scheduled.regarding.as_ref().and_then(|r| r.uid.clone()), cm.metadata.uid);
    let pulled = list.iter().find(|e| e.reason.as_deref() == Some("Pulled")).unwrap();
    assert!(pulled.series.is_none());
}
