//! The run through the in-process API server: `TestEnv`, objects created through the API, the `SchedulerRunner` on its informers.

use std::sync::Arc;
use std::time::Instant;

use capstan_api_types::core::v1::{Namespace, Node, Pod};
use capstan_controller_runtime::informer::{Change, FnHandler};
use capstan_controller_runtime::{Shutdown, TestEnv};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use tokio::task::JoinSet;

use super::progress::{Progress, Sampler, assigned};
use super::{Mode, PerfError, Report, Sizes, Workload};
use crate::api::SchedulerRunner;

/// Requests in flight while creating objects.
const CONCURRENCY: usize = 32;

/// Runs `make(i)` for `0..n` with at most [`CONCURRENCY`] in flight.
async fn for_all<F, Fut>(n: usize, make: F) -> Result<(), PerfError>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), PerfError>> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..n {
        if set.len() >= CONCURRENCY {
            if let Some(r) = set.join_next().await {
                r.expect("create task")?;
            }
        }
        set.spawn(make(i));
    }
    while let Some(r) = set.join_next().await {
        r.expect("create task")?;
    }
    Ok(())
}

async fn create_node(client: kube::Client, node: Node) -> Result<(), PerfError> {
    let api: Api<Node> = Api::all(client);
    let created = api.create(&PostParams::default(), &node).await?;
    let has_allocatable =
        created.status.as_ref().and_then(|s| s.allocatable.as_ref()).is_some_and(|a| !a.is_empty());
    if !has_allocatable {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let patch = serde_json::json!({ "status": node.status });
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    Ok(())
}

/// Creates `pod` as a client would, but passes over the created object in the answer
/// instead of decoding it (the load generator's own decoding is no part of what is
/// measured); a failure still comes back as the API's `Status`.
async fn create_pod(client: kube::Client, pod: Pod) -> Result<(), PerfError> {
    let ns = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let body = serde_json::to_vec(&pod).map_err(kube::Error::SerdeError)?;
    let request = kube::core::Request::new(<Pod as kube::Resource>::url_path(&(), Some(&ns)))
        .create(&PostParams::default(), body)
        .map_err(kube::Error::BuildRequest)?;
    client.request::<serde::de::IgnoredAny>(request).await?;
    Ok(())
}

/// Runs `workload` with `sizes` through a fresh in-process API server on the memory
/// store and returns the measured phase's figures. Every node and pod is created
/// through the API; the scheduler learns of them through its informers and binds
/// through `pods/binding`; preemption victims are deleted through the API.
pub async fn run_api(workload: Workload, sizes: Sizes) -> Result<Report, PerfError> {
    let env = TestEnv::start().await?;
    let client = env.client();
    for ns in workload.namespaces().iter().filter(|n| **n != "default") {
        let mut namespace = Namespace::default();
        namespace.metadata.name = Some(ns.to_string());
        Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &namespace).await?;
    }
    for_all(sizes.nodes, |i| create_node(client.clone(), workload.node(i))).await?;

    let runner = SchedulerRunner::builder(client.clone()).build()?;
    let scheduler = runner.scheduler().clone();
    let progress = Arc::new(Progress::default());
    let p = progress.clone();
    runner.factory().informer::<Pod>().add_event_handler(Arc::new(FnHandler(
        move |change: Change<Pod>| {
            if let Change::Updated { old, new } = change {
                if !assigned(&old) && assigned(&new) {
                    p.scheduled(&new);
                }
            }
        },
    )));
    let shutdown = Shutdown::new();
    let task = runner.spawn(shutdown.clone());

    for_all(sizes.init_pods, |i| create_pod(client.clone(), workload.pod(i, false))).await?;
    progress.wait_for("init", sizes.init_pods, Progress::init).await?;

    scheduler.extension_point_times().reset();
    let cpu_before = super::process_cpu_seconds();
    let start = Instant::now();
    let sampler = Sampler::start(progress.clone());
    let c = client.clone();
    let creator = tokio::spawn(async move {
        for_all(sizes.measured_pods, |i| create_pod(c.clone(), workload.pod(i, true))).await
    });
    let waited = progress.wait_for("measured", sizes.measured_pods, Progress::measured).await;
    let elapsed = start.elapsed();
    let cpu_seconds = super::process_cpu_seconds() - cpu_before;
    if std::env::var_os("SCHEDULER_PERF_WINDOW").is_some() {
        // For profiles: on Linux an `Instant` prints its CLOCK_MONOTONIC reading, the
        // clock `perf record -k CLOCK_MONOTONIC` stamps samples with.
        eprintln!("measured phase: {start:?} .. {:?}", Instant::now());
    }
    let samples = sampler.finish().await;
    let created = creator.await.expect("creator task");
    // The informers can see a binding before its binding cycle has recorded the Bind
    // (the API server's answer is still on its way): let the last ones finish.
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let bound = |s: &crate::scheduler::Scheduler| {
        s.extension_point_times()
            .totals()
            .iter()
            .find(|p| p.point == crate::scheduler::ExtensionPoint::Bind)
            .map_or(0, |p| p.runs)
    };
    while waited.is_ok()
        && bound(&scheduler) < progress.measured() as u64
        && Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let extension_points = scheduler.extension_point_times().totals();
    shutdown.trigger();
    let stopped = task.await.expect("runner task");
    waited?;
    created?;
    stopped?;
    Ok(Report {
        workload,
        mode: Mode::Api,
        sizes,
        scheduled: progress.measured(),
        elapsed,
        samples,
        extension_points,
        cpu_seconds,
    })
}
