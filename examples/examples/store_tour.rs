//! A tour of the store API on any backend: create, conditional update, watch, paging,
//! guaranteed update and compaction. Run with
//! `cargo run -p capstan --example store_tour -- --store memory|sqlite|etcd=URL`.

use std::time::Duration;

use capstan::StoreChoice;
use capstan_store::{
    RangeRequest, StoreError, Update, WatchMessage, WatchRequest, guaranteed_update,
};
use futures::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let choice: StoreChoice = std::env::args()
        .skip_while(|arg| arg != "--store")
        .nth(1)
        .unwrap_or_else(|| "memory".into())
        .parse()?;
    let dir = std::env::temp_dir().join(format!("capstan-store-tour-{}", std::process::id()));
    let store = choice.open(&dir).await?;
    println!("backend: {}", store.backend_name());

    // Watch the prefix from the next revision on.
    let prefix = "/registry/configmaps/tour/";
    let mut watch = store.watch(WatchRequest::prefix(prefix).with_prev_kv()).await?;

    // Create, then update only if nobody changed it in between.
    let a = store.create(&format!("{prefix}a"), "one".into(), 0).await?;
    let a = store.update(&a.key, "two".into(), a.mod_revision, 0).await?;
    match store.update(&a.key, "stale".into(), a.mod_revision - 1, 0).await {
        Err(StoreError::Conflict { current, .. }) => {
            println!(
                "stale update refused; current revision {:?}",
                current.map(|kv| kv.mod_revision)
            )
        }
        other => println!("unexpected: {other:?}"),
    }

    // Read-modify-write without losing concurrent writers.
    guaranteed_update::<_, StoreError, _>(&*store, &format!("{prefix}counter"), 0, |current| {
        let n: u64 =
            current.map_or(0, |kv| String::from_utf8_lossy(&kv.value).parse().unwrap_or(0));
        Ok(Update::Put((n + 1).to_string().into()))
    })
    .await?;

    // Page through the prefix at one revision.
    let page = store.range(RangeRequest::prefix(prefix).with_limit(1)).await?;
    println!(
        "first page: {:?}, more: {}",
        page.kvs.iter().map(|kv| &kv.key).collect::<Vec<_>>(),
        page.more
    );

    // The watch saw every change, in order.
    for _ in 0..3 {
        match tokio::time::timeout(Duration::from_secs(5), watch.next()).await? {
            Some(Ok(WatchMessage::Event(event))) => {
                println!("{:?} {} at {}", event.event_type, event.kv.key, event.revision())
            }
            other => println!("watch: {other:?}"),
        }
    }

    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
