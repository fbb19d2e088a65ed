//! Informers: list and watch, resume, relist on 410, pagination, bookmarks, indexers,
//! and the shared factory.

use std::sync::Arc;

use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::TestEnv;
use capstan_controller_runtime::informer::{
    Change, EventHandler, FnHandler, NAMESPACE_INDEX, NODE_NAME_INDEX, OWNER_UID_INDEX, ObjectPool,
    ReflectorConfig, SharedInformer, SharedInformerFactory, namespace_index, owner_uid_index,
    pod_node_name_index,
};
use capstan_store::KvWrite;
use capstan_store::memory::MemoryStore;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, PostParams};
use parking_lot::Mutex;
use serde_json::json;

use crate::support::{create_cm, env, namespace, wait_for};

fn in_namespace(ns: &str) -> ReflectorConfig {
    ReflectorConfig { namespace: Some(ns.into()), ..Default::default() }
}

/// A handler recording "add/update/delete name" lines.
/// Lines recorded by a handler.
type Lines = Arc<Mutex<Vec<String>>>;

fn recorder() -> (Lines, Arc<dyn EventHandler<ConfigMap>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let handler = FnHandler(move |change: Change<ConfigMap>| {
        let line = match change {
            Change::Added(o) => format!("add {}", o.metadata.name.clone().unwrap_or_default()),
            Change::Updated { new, .. } => {
                format!("update {}", new.metadata.name.clone().unwrap_or_default())
            }
            Change::Deleted(o) => format!("delete {}", o.metadata.name.clone().unwrap_or_default()),
        };
        sink.lock().push(line);
    });
    (log, Arc::new(handler))
}

#[tokio::test]
async fn list_then_watch_sees_creates_updates_and_deletes() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "inf1").await;
    create_cm(&client, "inf1", "before", "1").await;
    let informer = SharedInformer::<ConfigMap>::new(client.clone(), (), in_namespace("inf1"));
    let (log, handler) = recorder();
    informer.add_event_handler(handler);
    let shutdown = Shutdown::new();
    informer.start(&shutdown);
    informer.wait_for_sync().await;
    assert!(informer.has_synced());
    assert!(informer.store().get_named(Some("inf1"), "before").is_some());

    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "inf1");
    create_cm(&client, "inf1", "after", "1").await;
    let mut before = api.get("before").await.unwrap();
    before.data.as_mut().unwrap().insert("key".into(), "2".into());
    api.replace("before", &PostParams::default(), &before).await.unwrap();
    api.delete("after", &DeleteParams::default()).await.unwrap();
    wait_for("the informer to see every change", || {
        let log = log.clone();
        async move { log.lock().iter().any(|l| l == "delete after") }
    })
    .await;
    assert_eq!(*log.lock(), vec!["add before", "add after", "update before", "delete after"]);
    let cached = informer.store().get_named(Some("inf1"), "before").unwrap();
    assert_eq!(cached.data.as_ref().unwrap()["key"], "2");
    assert!(informer.store().get_named(Some("inf1"), "after").is_none());
    shutdown.trigger();
}

#[tokio::test]
async fn the_initial_list_is_paginated() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "pages").await;
    for i in 0..7 {
        create_cm(&client, "pages", &format!("cm-{i}"), "x").await;
    }
    let config = ReflectorConfig { page_size: 2, ..in_namespace("pages") };
    let informer = SharedInformer::<ConfigMap>::new(client, (), config);
    let shutdown = Shutdown::new();
    informer.start(&shutdown);
    informer.wait_for_sync().await;
    assert_eq!(informer.store().len(), 7, "every page was read");
    assert_eq!(informer.stats().unwrap().lists(), 1);
    shutdown.trigger();
}

#[tokio::test]
async fn the_watch_resumes_from_the_last_resource_version_when_it_ends() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "resume").await;
    let config = ReflectorConfig {
        watch_timeout: std::time::Duration::from_secs(1),
        ..in_namespace("resume")
    };
    let informer = SharedInformer::<ConfigMap>::new(client.clone(), (), config);
    let shutdown = Shutdown::new();
    informer.start(&shutdown);
    informer.wait_for_sync().await;
    let stats = informer.stats().unwrap();
    wait_for("the server to end two watches", || {
        let stats = stats.clone();
        async move { stats.watches() >= 3 }
    })
    .await;
    create_cm(&client, "resume", "late", "1").await;
    let store = informer.store();
    wait_for("the resumed watch to deliver", || {
        let store = store.clone();
        async move { store.get_named(Some("resume"), "late").is_some() }
    })
    .await;
    assert_eq!(stats.lists(), 1, "resumed without relisting");
    assert_eq!(stats.expired(), 0);
    shutdown.trigger();
}

#[tokio::test]
async fn bookmarks_advance_the_resume_point() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "marks").await;
    let informer = SharedInformer::<ConfigMap>::new(client.clone(), (), in_namespace("marks"));
    let shutdown = Shutdown::new();
    informer.start(&shutdown);
    informer.wait_for_sync().await;
    let stats = informer.stats().unwrap();
    let listed_at: i64 = stats.resource_version().unwrap().parse().unwrap();
    // Changes elsewhere move the revision; bookmarks carry it to this watcher.
    create_cm(&client, "default", "elsewhere", "1").await;
    wait_for("a bookmark past the list's resourceVersion", || {
        let stats = stats.clone();
        async move {
            stats.bookmarks() >= 1
                && stats
                    .resource_version()
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > listed_at)
        }
    })
    .await;
    assert_eq!(stats.events(), 0, "nothing in the namespace changed");
    shutdown.trigger();
}

#[tokio::test]
async fn an_expired_resource_version_makes_the_reflector_relist() {
    // Revisions the API server's caches never saw: a watch from revision 1 is too old.
    let store = Arc::new(MemoryStore::new());
    for i in 0..5 {
        store.create(&format!("/unrelated/{i}"), bytes::Bytes::from_static(b"x"), 0).await.unwrap();
    }
    let env = TestEnv::with_store(store).await.unwrap();
    let client = env.client();
    create_cm(&client, "default", "present", "1").await;
    let config = ReflectorConfig {
        initial_resource_version: Some("1".into()),
        namespace: Some("default".into()),
        ..Default::default()
    };
    let informer = SharedInformer::<ConfigMap>::new(client, (), config);
    let shutdown = Shutdown::new();
    informer.start(&shutdown);
    informer.wait_for_sync().await;
    let stats = informer.stats().unwrap();
    assert_eq!(stats.expired(), 1, "410 Gone from the first watch");
    assert_eq!(stats.lists(), 1, "then one list");
    assert!(informer.store().get_named(Some("default"), "present").is_some());
    shutdown.trigger();
}

fn pod(ns: &str, name: &str, node: Option<&str>) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}
    }))
    .unwrap()
}

#[tokio::test]
async fn indexers_answer_by_namespace_owner_node_and_custom_keys() {
    let env = env().await;
    let client = env.client();
    for ns in ["idx-a", "idx-b"] {
        namespace(&client, ns).await;
    }
    let pods = |ns: &str| Api::<Pod>::namespaced(client.clone(), ns);
    pods("idx-a")
        .create(&PostParams::default(), &pod("idx-a", "p1", Some("node-1")))
        .await
        .unwrap();
    pods("idx-a")
        .create(&PostParams::default(), &pod("idx-a", "p2", Some("node-2")))
        .await
        .unwrap();
    pods("idx-b")
        .create(&PostParams::default(), &pod("idx-b", "p3", Some("node-1")))
        .await
        .unwrap();
    pods("idx-b").create(&PostParams::default(), &pod("idx-b", "p4", None)).await.unwrap();

    let informer = SharedInformer::<Pod>::new(client.clone(), (), ReflectorConfig::default());
    informer.add_indexer(NODE_NAME_INDEX, pod_node_name_index());
    let shutdown = Shutdown::new();
    informer.start(&shutdown);
    informer.wait_for_sync().await;
    // Indexers added after sync index what is cached.
    informer.add_indexer(NAMESPACE_INDEX, namespace_index());
    informer.add_indexer(
        "container-image",
        Arc::new(|p: &Pod| {
            p.spec
                .iter()
                .flat_map(|s| s.containers.iter().filter_map(|c| c.image.clone()))
                .collect()
        }),
    );
    let store = informer.store();
    let names = |mut v: Vec<Arc<Pod>>| {
        v.sort_by_key(|p| p.metadata.name.clone());
        v.iter().map(|p| p.metadata.name.clone().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(names(store.by_index(NODE_NAME_INDEX, "node-1").unwrap()), vec!["p1", "p3"]);
    assert_eq!(names(store.by_index(NAMESPACE_INDEX, "idx-b").unwrap()), vec!["p3", "p4"]);
    assert_eq!(store.by_index("container-image", "busybox").unwrap().len(), 4);

    // Index entries follow changes.
    pods("idx-a").delete("p1", &DeleteParams::default().grace_period(0)).await.unwrap();
    wait_for("p1 to leave the node index", || {
        let store = store.clone();
        async move { store.by_index(NODE_NAME_INDEX, "node-1").unwrap().len() == 1 }
    })
    .await;

    // Owner uid index on ConfigMaps.
    let owner = create_cm(&client, "idx-a", "owner", "x").await;
    let uid = owner.metadata.uid.clone().unwrap();
    let mut owned = crate::support::config_map("idx-a", "owned", "y");
    owned.metadata.owner_references = Some(vec![OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: "owner".into(),
        uid: uid.clone(),
        ..Default::default()
    }]);
    Api::<ConfigMap>::namespaced(client.clone(), "idx-a")
        .create(&PostParams::default(), &owned)
        .await
        .unwrap();
    let cms = SharedInformer::<ConfigMap>::new(client, (), in_namespace("idx-a"));
    cms.add_indexer(OWNER_UID_INDEX, owner_uid_index());
    cms.start(&shutdown);
    cms.wait_for_sync().await;
    let by_owner = cms.store().by_index(OWNER_UID_INDEX, &uid).unwrap();
    assert_eq!(by_owner.len(), 1);
    assert_eq!(by_owner[0].metadata.name.as_deref(), Some("owned"));
    shutdown.trigger();
}

#[tokio::test]
async fn the_factory_shares_one_watch_and_replays_to_late_handlers() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "shared").await;
    create_cm(&client, "shared", "first", "1").await;
    let factory = SharedInformerFactory::with_config(client.clone(), in_namespace("shared"));
    let a = factory.informer::<ConfigMap>();
    let b = factory.informer::<ConfigMap>();
    assert!(Arc::ptr_eq(&a, &b), "one informer per kind");
    let (early, early_handler) = recorder();
    a.add_event_handler(early_handler);
    let shutdown = Shutdown::new();
    factory.start(&shutdown);
    factory.wait_for_cache_sync().await;
    assert!(factory.has_synced());

    let (late, late_handler) = recorder();
    b.add_event_handler(late_handler);
    assert_eq!(*late.lock(), vec!["add first"], "a late handler gets the cache replayed");

    // An informer asked for after start starts at once.
    let pods = factory.informer::<Pod>();
    pods.wait_for_sync().await;
    assert_eq!(factory.len(), 2);

    create_cm(&client, "shared", "second", "2").await;
    wait_for("both handlers to see the new object", || {
        let (early, late) = (early.clone(), late.clone());
        async move {
            early.lock().iter().any(|l| l == "add second")
                && late.lock().iter().any(|l| l == "add second")
        }
    })
    .await;
    let stats = a.stats().unwrap();
    assert_eq!(stats.watches(), 1, "one watch serves every consumer");
    assert_eq!(stats.lists(), 1);
    assert_eq!(*early.lock(), vec!["add first", "add second"]);
    shutdown.trigger();
}

#[tokio::test]
async fn dynamic_objects_are_informed_too() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "dyn").await;
    create_cm(&client, "dyn", "one", "1").await;
    let resource = ApiResource::erase::<ConfigMap>(&());
    let factory = SharedInformerFactory::with_config(client.clone(), in_namespace("dyn"));
    let informer = factory.informer_with::<DynamicObject>(resource.clone());
    assert!(Arc::ptr_eq(&informer, &factory.informer_with::<DynamicObject>(resource)));
    let shutdown = Shutdown::new();
    factory.start(&shutdown);
    informer.wait_for_sync().await;
    let one = informer.store().get_named(Some("dyn"), "one").expect("cached");
    assert_eq!(one.data["data"]["key"], "1");
    create_cm(&client, "dyn", "two", "2").await;
    let store = informer.store();
    wait_for("the dynamic informer to see the new object", || {
        let store = store.clone();
        async move { store.get_named(Some("dyn"), "two").is_some() }
    })
    .await;
    shutdown.trigger();
}

#[tokio::test]
async fn stripping_managed_fields_keeps_them_out_of_the_cache_only() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "strip").await;
    create_cm(&client, "strip", "listed", "1").await;
    let stripped = SharedInformer::<ConfigMap>::new(
        client.clone(),
        (),
        in_namespace("strip").stripping_managed_fields(),
    );
    let kept = SharedInformer::<ConfigMap>::new(client.clone(), (), in_namespace("strip"));
    let shutdown = Shutdown::new();
    stripped.start(&shutdown);
    kept.start(&shutdown);
    stripped.wait_for_sync().await;
    kept.wait_for_sync().await;
    create_cm(&client, "strip", "watched", "1").await;
    wait_for("both informers to see the watched object", || {
        let found = stripped.store().get_named(Some("strip"), "watched").is_some()
            && kept.store().get_named(Some("strip"), "watched").is_some();
        async move { found }
    })
    .await;
    for name in ["listed", "watched"] {
        let server = Api::<ConfigMap>::namespaced(client.clone(), "strip").get(name).await.unwrap();
        assert!(server.metadata.managed_fields.is_some(), "the server tracks {name}'s fields");
        let cached = kept.store().get_named(Some("strip"), name).unwrap();
        assert_eq!(cached.metadata.managed_fields, server.metadata.managed_fields);
        let cached = stripped.store().get_named(Some("strip"), name).unwrap();
        assert_eq!(cached.metadata.managed_fields, None, "{name} is cached without them");
        assert_eq!(cached.data, server.data);
    }
    shutdown.trigger();
}

/// The cached copy of `name` in `informer`, if any.
fn cached(informer: &SharedInformer<ConfigMap>, name: &str) -> Option<Arc<ConfigMap>> {
    informer.store().get_named(Some("pool"), name)
}

#[tokio::test]
async fn informers_on_one_pool_share_each_object_version() {
    let env = env().await;
    let client = env.client();
    namespace(&client, "pool").await;
    create_cm(&client, "pool", "listed", "1").await;
    let pool = ObjectPool::new();
    let sharing = in_namespace("pool").stripping_managed_fields().sharing_objects(&pool);
    // One informer of the namespace, one of every namespace (another watch), one that
    // keeps managedFields (another transformation: never shared with the first two).
    let a = SharedInformer::<ConfigMap>::new(client.clone(), (), sharing.clone());
    let b = SharedInformer::<ConfigMap>::new(
        client.clone(),
        (),
        ReflectorConfig { namespace: None, ..sharing },
    );
    let whole = SharedInformer::<ConfigMap>::new(
        client.clone(),
        (),
        in_namespace("pool").sharing_objects(&pool),
    );
    let shutdown = Shutdown::new();
    for informer in [&a, &b, &whole] {
        informer.start(&shutdown);
        informer.wait_for_sync().await;
    }
    create_cm(&client, "pool", "watched", "1").await;
    wait_for("every informer to see the watched object", || {
        let found = [&a, &b, &whole].iter().all(|i| cached(i, "watched").is_some());
        async move { found }
    })
    .await;
    for name in ["listed", "watched"] {
        let (from_a, from_b) = (cached(&a, name).unwrap(), cached(&b, name).unwrap());
        assert!(Arc::ptr_eq(&from_a, &from_b), "{name}: one copy for both");
        assert!(from_a.metadata.managed_fields.is_none());
        let from_whole = cached(&whole, name).unwrap();
        assert!(!Arc::ptr_eq(&from_a, &from_whole), "{name}: not shared across transformations");
        assert!(from_whole.metadata.managed_fields.is_some());
    }

    // A new version is a new shared copy; the old one is left to whoever still holds it.
    let old = cached(&a, "watched").unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "pool");
    let mut changed = api.get("watched").await.unwrap();
    changed.data = Some([("key".to_string(), "2".to_string())].into());
    let changed = api.replace("watched", &PostParams::default(), &changed).await.unwrap();
    let rv = changed.metadata.resource_version.clone();
    wait_for("both sharing informers to see the update", || {
        let seen = [&a, &b]
            .iter()
            .all(|i| cached(i, "watched").is_some_and(|o| o.metadata.resource_version == rv));
        async move { seen }
    })
    .await;
    let (new_a, new_b) = (cached(&a, "watched").unwrap(), cached(&b, "watched").unwrap());
    assert!(Arc::ptr_eq(&new_a, &new_b));
    assert!(!Arc::ptr_eq(&new_a, &old));
    assert_eq!(new_a.data.as_ref().unwrap()["key"], "2");
    assert!(pool.stats().hits >= 3, "{:?}", pool.stats());
    // The two sharing informers' reflectors run on this one thread: of each watch event
    // (the creation and the update of `watched`), the second to read it finds the
    // version in the pool and does not decode it. The third decodes for its own space.
    let stats = |i: &SharedInformer<ConfigMap>| i.stats().expect("started");
    let (sa, sb, sw) = (stats(&a), stats(&b), stats(&whole));
    assert!(sa.undecoded() + sb.undecoded() >= 2, "a {sa:?}, b {sb:?}");
    assert!(sa.decoded() + sb.decoded() >= 2, "a {sa:?}, b {sb:?}");
    assert_eq!(sw.undecoded(), 0, "{sw:?}");
    assert!(sw.decoded() >= 2, "{sw:?}");
    assert_eq!(pool.stats().undecoded, sa.undecoded() + sb.undecoded(), "{:?}", pool.stats());

    // Once no cache holds them, the pool holds nothing either.
    drop((old, new_a, new_b));
    shutdown.trigger();
    drop((a, b, whole));
    wait_for("the pool's objects to be dropped with the informers", || {
        let empty = pool.is_empty();
        async move { empty }
    })
    .await;
    assert!(pool.purge() > 0);
    assert_eq!(pool.stats().entries, 0);
}
