//! Watch through `kube::Client`: events, resume from a resourceVersion, and 410 after compaction.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;

use crate::support::client;

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}),
    )
    .unwrap()
}

/// The next non-bookmark event (kube asks for bookmarks by default).
async fn next(
    stream: &mut (impl futures::Stream<Item = Result<WatchEvent<ConfigMap>, kube::Error>> + Unpin),
) -> WatchEvent<ConfigMap> {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an event within the deadline")
            .expect("stream open")
            .expect("event decodes");
        if !matches!(event, WatchEvent::Bookmark(_)) {
            return event;
        }
    }
}

#[tokio::test]
async fn watch_events_and_resume() {
    let (_s, c) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(c, "default");
    let first = api.create(&PostParams::default(), &cm("w1")).await.unwrap();
    let rv = first.metadata.resource_version.clone().unwrap();
    let mut stream = api.watch(&WatchParams::default().timeout(30), "0").await.unwrap().boxed();
    match next(&mut stream).await {
        WatchEvent::Added(o) => assert_eq!(o.metadata.name.as_deref(), Some("w1")),
        other => panic!("expected ADDED w1, got {other:?}"),
    }
    api.create(&PostParams::default(), &cm("w2")).await.unwrap();
    match next(&mut stream).await {
        WatchEvent::Added(o) => assert_eq!(o.metadata.name.as_deref(), Some("w2")),
        other => panic!("expected ADDED w2, got {other:?}"),
    }
    api.delete("w1", &DeleteParams::default()).await.unwrap();
    match next(&mut stream).await {
        WatchEvent::Deleted(o) => assert_eq!(o.metadata.name.as_deref(), Some("w1")),
        other => panic!("expected DELETED w1, got {other:?}"),
    }
    // Resume after the first create: w2's creation and w1's deletion again.
    let mut resumed = api.watch(&WatchParams::default().timeout(30), &rv).await.unwrap().boxed();
    let names: Vec<String> = [next(&mut resumed).await, next(&mut resumed).await]
        .into_iter()
        .map(|e| match e {
            WatchEvent::Added(o) => format!("ADDED {}", o.metadata.name.unwrap()),
            WatchEvent::Deleted(o) => format!("DELETED {}", o.metadata.name.unwrap()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["ADDED w2", "DELETED w1"]);
}

#[tokio::test]
async fn watch_times_out_and_shutdown_ends_watches() {
    let (s, c) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(c, "default");
    let stream = api.watch(&WatchParams::default().timeout(1), "0").await.unwrap();
    let all: Vec<_> = tokio::time::timeout(Duration::from_secs(10), stream.try_collect::<Vec<_>>())
        .await
        .expect("ends")
        .unwrap();
    assert!(all.iter().all(|e| matches!(e, WatchEvent::Bookmark(_))), "{all:?}");
    let open = api.watch(&WatchParams::default().timeout(300), "0").await.unwrap().boxed();
    s.shutdown();
    let rest: Vec<_> = tokio::time::timeout(Duration::from_secs(10), open.try_collect::<Vec<_>>())
        .await
        .expect("shutdown ends the watch")
        .unwrap();
    assert!(rest.iter().all(|e| matches!(e, WatchEvent::Bookmark(_))), "{rest:?}");
}

#[tokio::test]
async fn too_old_resource_version_is_410() {
    let (s, c) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(c, "default");
    let first = api.create(&PostParams::default(), &cm("old")).await.unwrap();
    let old_rv: i64 = first.metadata.resource_version.unwrap().parse().unwrap();
    for i in 0..3 {
        api.create(&PostParams::default(), &cm(&format!("n{i}"))).await.unwrap();
    }
    let current = s.store().current_revision().await.unwrap();
    s.store().compact(current).await.unwrap();
    // A server started after the compaction has no history before it: 410 Expired.
    let restarted = capstan_apiserver_core::server::ApiServer::builder()
        .store(s.store().clone())
        .build()
        .await
        .unwrap();
    let api: Api<ConfigMap> = Api::namespaced(kube::Client::new(restarted, "default"), "default");
    let mut stream =
        api.watch(&WatchParams::default().timeout(5), &old_rv.to_string()).await.unwrap().boxed();
    match tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("an answer") {
        Some(Err(kube::Error::Api(e))) => assert_eq!(e.code, 410, "{e:?}"),
        Some(Ok(WatchEvent::Error(e))) => {
            assert_eq!((e.code, e.reason.as_str()), (410, "Expired"), "{e:?}")
        }
        other => panic!("expected a 410, got {other:?}"),
    }
    // Listing still works and shows every object.
    assert_eq!(api.list(&Default::default()).await.unwrap().items.len(), 4);
}
