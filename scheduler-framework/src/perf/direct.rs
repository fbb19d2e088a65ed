//! The framework-only run: the scheduler fed directly (no API server), binding into an in-memory binder, preemption victims deleted directly.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Instant;

use capstan_api_types::core::v1::Pod;
use parking_lot::Mutex;

use super::progress::{Progress, Sampler};
use super::{Mode, PerfError, Report, Sizes, Workload};
use crate::framework::binder::RecordingBinder;
use crate::framework::handle::Handle;
use crate::framework::preemptor::{Preemption, Preemptor};
use crate::framework::types::pod_key;
use crate::scheduler::{BindOutcome, ScheduleOutcome, Scheduler};

/// Deletes victims from the scheduler directly, on a task, as an informer would
/// deliver their deletion.
#[derive(Default)]
struct DirectPreemptor {
    scheduler: OnceLock<Weak<Scheduler>>,
}

impl Preemptor for DirectPreemptor {
    fn preempt(&self, preemption: Preemption) {
        let Some(s) = self.scheduler.get().and_then(Weak::upgrade) else { return };
        tokio::spawn(async move {
            for v in preemption.victims {
                s.on_pod_delete(v.pod.clone());
            }
        });
    }
}

/// Runs `workload` on the framework alone: nodes and pods fed to the scheduler's
/// handlers, bindings recorded in memory and confirmed back as an informer would.
pub async fn run_framework_only(
    workload: Workload,
    sizes: Sizes,
    threads: Option<usize>,
) -> Result<Report, PerfError> {
    let preemptor = Arc::new(DirectPreemptor::default());
    let handle = Handle::new(Arc::new(RecordingBinder::new())).with_preemptor(preemptor.clone());
    let mut builder = Scheduler::builder().handle(handle);
    if let Some(t) = threads {
        builder = builder.threads(t);
    }
    let sched = Arc::new(builder.build()?);
    let _ = preemptor.scheduler.set(Arc::downgrade(&sched));
    for i in 0..sizes.nodes {
        sched.on_node_add(Arc::new(workload.node(i)));
    }
    let pods: Arc<Mutex<HashMap<String, Arc<Pod>>>> = Arc::default();
    let progress = Arc::new(Progress::default());
    let (s, p, map) = (sched.clone(), progress.clone(), pods.clone());
    let task = sched.run_with(move |outcome| {
        if let ScheduleOutcome::Scheduled { pod, binding, .. } = outcome {
            let (s, p, map) = (s.clone(), p.clone(), map.clone());
            tokio::spawn(async move {
                let Ok(BindOutcome::Bound { node }) = binding.await else { return };
                let Some(old) = map.lock().get(&pod).cloned() else { return };
                let mut new = (*old).clone();
                if let Some(spec) = new.spec.as_mut() {
                    spec.node_name = Some(node);
                }
                let new = Arc::new(new);
                map.lock().insert(pod, new.clone());
                s.on_pod_update(old, new.clone());
                p.scheduled(&new);
            });
        }
    });
    let add = |measured: bool, n: usize| {
        for i in 0..n {
            let pod = Arc::new(workload.pod(i, measured));
            pods.lock().insert(pod_key(&pod), pod.clone());
            sched.on_pod_add(pod);
        }
    };
    add(false, sizes.init_pods);
    progress.wait_for("init", sizes.init_pods, Progress::init).await?;

    sched.extension_point_times().reset();
    let cpu_before = super::process_cpu_seconds();
    let start = Instant::now();
    let sampler = Sampler::start(progress.clone());
    add(true, sizes.measured_pods);
    let waited = progress.wait_for("measured", sizes.measured_pods, Progress::measured).await;
    let elapsed = start.elapsed();
    let cpu_seconds = super::process_cpu_seconds() - cpu_before;
    let samples = sampler.finish().await;
    let extension_points = sched.extension_point_times().totals();
    sched.queue().close();
    let _ = task.await;
    waited?;
    Ok(Report {
        workload,
        mode: Mode::FrameworkOnly,
        sizes,
        scheduled: progress.measured(),
        elapsed,
        samples,
        extension_points,
        cpu_seconds,
    })
}
