//! The TTL-after-finished controller on a fake clock: a finished Job is deleted once its
//! TTL has passed, not before.

use std::sync::Arc;
use std::time::Duration;

use capstan_controller_runtime::controllers::clock::{Clock, FakeClock};
use capstan_controller_runtime::controllers::{job, ttl_after_finished};
use k8s_openapi::api::batch::v1::Job;
use kube::Api;

use crate::job::{JOB_CONFIG, condition, create_job, drive, job as job_object};
use crate::support::{env, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_job_is_deleted_after_its_ttl() {
    let env = env().await;
    let client = env.client();
    let clock = FakeClock::new(jiff::Timestamp::now());
    let mut manager = env.manager().build().await.unwrap();
    let jobs = job::controller_with(&manager, JOB_CONFIG).unwrap();
    let ttl = ttl_after_finished::controller_with(&manager, Arc::new(clock.clone())).unwrap();
    manager.add(jobs);
    manager.add(ttl);
    let running = env.spawn_manager(manager);

    let mut short = job_object("short", Some(1), 1);
    short.spec.as_mut().unwrap().ttl_seconds_after_finished = Some(100);
    create_job(&client, &short).await;
    let mut kept = job_object("kept", Some(1), 1);
    kept.spec.as_mut().unwrap().ttl_seconds_after_finished = None;
    create_job(&client, &kept).await;
    drive(&client, "short", "Succeeded", 0, "Complete").await;
    drive(&client, "kept", "Succeeded", 0, "Complete").await;

    let api: Api<Job> = Api::namespaced(client.clone(), "default");
    let finished = api.get("short").await.unwrap();
    let expiry = ttl_after_finished::expires_at(&finished).expect("expiry known");
    assert!(condition(&finished, "Complete").is_some());
    // Before the TTL: still there after the controller has looked many times.
    clock.advance(Duration::from_secs(50));
    assert!(clock.now() < expiry);
    wait_for("a few controller passes", || {
        let api = api.clone();
        async move { api.get("short").await.unwrap().metadata.resource_version.is_some() }
    })
    .await;
    assert!(api.get_opt("short").await.unwrap().is_some(), "not deleted before its TTL");

    clock.advance(Duration::from_secs(51));
    wait_for("the expired job to be deleted", || {
        let api = api.clone();
        async move { api.get_opt("short").await.unwrap().is_none() }
    })
    .await;
    assert!(api.get_opt("kept").await.unwrap().is_some(), "no TTL, kept");
    running.stop().await.unwrap();
}
