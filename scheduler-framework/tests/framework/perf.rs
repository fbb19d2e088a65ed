//! The scheduler_perf harness on small sizes: every workload through the in-process
//! API server, and the framework-only mode, must schedule every measured pod.
//! Outcomes only — no timing is asserted.

use capstan_scheduler_framework::perf::{self, Mode, Sizes, Workload};

fn small(workload: Workload) -> Sizes {
    match workload {
        // Four low-priority pods fill each node; each measured pod evicts three.
        Workload::Preemption => Sizes { nodes: 4, init_pods: 16, measured_pods: 4 },
        _ => Sizes { nodes: 20, init_pods: 6, measured_pods: 10 },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_schedules_through_the_api_server() {
    for w in Workload::ALL {
        let sizes = small(w);
        let report = perf::run_api(w, sizes).await.unwrap_or_else(|e| panic!("{}: {e}", w.name()));
        assert_eq!(report.mode, Mode::Api);
        assert_eq!(report.scheduled, sizes.measured_pods, "{}", w.name());
        let binds = report
            .extension_points
            .iter()
            .find(|p| p.point.as_str() == "Bind")
            .map_or(0, |p| p.runs);
        assert!(binds >= sizes.measured_pods as u64, "{}: {binds} binds", w.name());
        if w == Workload::Preemption {
            let post_filters = report
                .extension_points
                .iter()
                .find(|p| p.point.as_str() == "PostFilter")
                .map_or(0, |p| p.runs);
            assert!(post_filters >= sizes.measured_pods as u64, "every measured pod preempted");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_only_mode_schedules_and_preempts() {
    for w in [Workload::SchedulingBasic, Workload::Preemption] {
        let sizes = small(w);
        let report = perf::run_framework_only(w, sizes, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", w.name()));
        assert_eq!(report.mode, Mode::FrameworkOnly);
        assert_eq!(report.scheduled, sizes.measured_pods, "{}", w.name());
    }
}

#[test]
fn workloads_have_kubernetes_shapes() {
    for w in Workload::ALL {
        assert_eq!(Workload::from_name(w.name()), Some(w));
        assert_eq!(w.default_sizes().nodes, 5000);
        let measured = w.pod(0, true);
        let ns = measured.metadata.namespace.as_deref().unwrap();
        assert_eq!(ns, *w.namespaces().last().unwrap(), "{}", w.name());
        let node = w.node(7);
        let alloc = node.status.unwrap().allocatable.unwrap();
        assert_eq!(alloc["cpu"].0, "4");
        assert_eq!(alloc["pods"].0, "110");
    }
    let high = Workload::Preemption.pod(0, true);
    let low = Workload::Preemption.pod(0, false);
    assert!(high.spec.unwrap().priority > low.spec.unwrap().priority);
    assert!(Workload::from_name("nope").is_none());
}
