//! The Job controller against the in-process API server; the tests play the kubelet by
//! writing pod phases through the status subresource.

use std::collections::BTreeMap;

use capstan_controller_runtime::TestEnv;
use capstan_controller_runtime::controllers::job::{
    self, COMPLETION_INDEX, CONTROLLER_UID, JOB_NAME, JobConfig, TRACKING_FINALIZER,
};
use capstan_controller_runtime::testenv::RunningManager;
use k8s_openapi::api::batch::v1::{
    Job, JobSpec, PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyRule,
};
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{env, wait_for};

/// The Job controller's tunables in tests: a fast re-creation backoff.
pub const JOB_CONFIG: JobConfig = JobConfig {
    backoff_base: std::time::Duration::from_millis(20),
    backoff_max: std::time::Duration::from_millis(200),
};

/// Runs the Job controller in a manager.
pub async fn run_jobs(env: &TestEnv) -> RunningManager {
    let mut manager = env.manager().build().await.unwrap();
    let controller = job::controller_with(&manager, JOB_CONFIG).unwrap();
    manager.add(controller);
    env.spawn_manager(manager)
}

/// A Job running one busybox container.
pub fn job(name: &str, completions: Option<i32>, parallelism: i32) -> Job {
    Job {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        spec: Some(JobSpec {
            completions,
            parallelism: Some(parallelism),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(BTreeMap::from([("app".to_string(), name.to_string())])),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "main".into(),
                        image: Some("busybox".into()),
                        ..Default::default()
                    }],
                    restart_policy: Some("Never".into()),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    }
}

/// Creates `job` in `default`.
pub async fn create_job(client: &kube::Client, job: &Job) -> Job {
    Api::<Job>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), job)
        .await
        .expect("job created")
}

/// The pods of the Job named `name` (by the job-name label).
pub async fn pods_of(client: &kube::Client, name: &str) -> Vec<Pod> {
    let api = Api::<Pod>::namespaced(client.clone(), "default");
    let params = ListParams::default().labels(&format!("{JOB_NAME}={name}")).match_any();
    list_retrying(&api, &params).await
}

/// Lists, retrying the server's `504` (its cache not yet at the latest revision) as
/// clients do.
pub async fn list_retrying<K>(api: &Api<K>, params: &ListParams) -> Vec<K>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut attempts = 0;
    loop {
        match api.list(params).await {
            Ok(list) => return list.items,
            Err(kube::Error::Api(s)) if s.code == 504 && attempts < 5 => attempts += 1,
            Err(e) => panic!("list failed: {e}"),
        }
    }
}

/// Waits until the Job named `name` has exactly `count` pods (lists may lag a little
/// behind reads of single objects).
pub async fn wait_pod_count(client: &kube::Client, name: &str, count: usize) {
    wait_for(&format!("{count} pods of {name}"), || async move {
        pods_of(client, name).await.len() == count
    })
    .await;
}

/// Whether a pod is still running as far as the test kubelet is concerned.
pub fn running(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
    pod.metadata.deletion_timestamp.is_none() && phase != "Succeeded" && phase != "Failed"
}

/// Ends `pod` with `phase`, its container exiting with `code`.
pub async fn finish(client: &kube::Client, pod: &Pod, phase: &str, code: i32) {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let status = json!({"status": {
        "phase": phase,
        "containerStatuses": [{
            "name": "main", "image": "busybox", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" }}},
        }],
    }});
    api.patch_status(
        pod.metadata.name.as_deref().unwrap(),
        &PatchParams::default(),
        &Patch::Merge(&status),
    )
    .await
    .expect("pod status written");
}

/// The Job's condition `type_` (status, reason) if present.
pub fn condition(job: &Job, type_: &str) -> Option<(String, String)> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone().unwrap_or_default()))
}

async fn get_job(client: &kube::Client, name: &str) -> Job {
    Api::<Job>::namespaced(client.clone(), "default").get(name).await.unwrap()
}

/// Plays the kubelet until the Job has condition `until`: every running pod ends with
/// `phase`/`code`; returns the most pods seen running at once.
pub async fn drive(
    client: &kube::Client,
    name: &str,
    phase: &str,
    code: i32,
    until: &str,
) -> usize {
    let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    wait_for(&format!("job {name} to reach {until}"), || {
        let client = client.clone();
        let most = most.clone();
        async move {
            let pods = pods_of(&client, name).await;
            let live: Vec<&Pod> = pods.iter().filter(|p| running(p)).collect();
            most.fetch_max(live.len(), std::sync::atomic::Ordering::SeqCst);
            if let Some(pod) = live.first() {
                finish(&client, pod, phase, code).await;
            }
            condition(&get_job(&client, name).await, until).is_some_and(|c| c.0 == "True")
        }
    })
    .await;
    most.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_three_parallelism_two_completes_with_at_most_two_active() {
    let env = env().await;
    let client = env.client();
    let running_manager = run_jobs(&env).await;
    let created = create_job(&client, &job("pi", Some(3), 2)).await;

    wait_for("two pods", || {
        let client = client.clone();
        async move { pods_of(&client, "pi").await.iter().filter(|p| running(p)).count() == 2 }
    })
    .await;
    let most = drive(&client, "pi", "Succeeded", 0, "Complete").await;
    assert!(most <= 2, "at most parallelism pods run at once, saw {most}");

    let done = get_job(&client, "pi").await;
    let status = done.status.clone().unwrap();
    assert_eq!(status.succeeded, Some(3));
    assert_eq!(status.failed.unwrap_or(0), 0);
    assert_eq!(status.active, Some(0));
    assert!(status.start_time.is_some() && status.completion_time.is_some());
    assert_eq!(condition(&done, "SuccessCriteriaMet").map(|c| c.0), Some("True".into()));
    let uncounted = status.uncounted_terminated_pods.unwrap_or_default();
    assert!(uncounted.succeeded.unwrap_or_default().is_empty());

    // Selector generated from the uid; pods labelled and released by the finalizer.
    let uid = created.metadata.uid.clone().unwrap();
    let selector = done.spec.unwrap().selector.unwrap().match_labels.unwrap();
    assert_eq!(selector.get(CONTROLLER_UID), Some(&uid));
    // Exactly completions pods were created, all released by the finalizer.
    wait_pod_count(&client, "pi", 3).await;
    wait_for("finalizers removed", || async {
        pods_of(&client, "pi")
            .await
            .iter()
            .all(|p| !p.metadata.finalizers.iter().flatten().any(|f| f == TRACKING_FINALIZER))
    })
    .await;
    let pods = pods_of(&client, "pi").await;
    assert_eq!(pods.len(), 3);
    for pod in &pods {
        let labels = pod.metadata.labels.clone().unwrap();
        assert_eq!(labels.get("controller-uid"), Some(&uid));
        assert_eq!(labels.get("job-name").map(String::as_str), Some("pi"));
        assert_eq!(labels.get("app").map(String::as_str), Some("pi"));
        assert!(!pod.metadata.finalizers.iter().flatten().any(|f| f == TRACKING_FINALIZER));
    }
    running_manager.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_beyond_the_backoff_limit_fail_the_job() {
    let env = env().await;
    let client = env.client();
    let running_manager = run_jobs(&env).await;
    let mut j = job("flaky", Some(1), 1);
    j.spec.as_mut().unwrap().backoff_limit = Some(2);
    create_job(&client, &j).await;

    drive(&client, "flaky", "Failed", 1, "Failed").await;
    let failed = get_job(&client, "flaky").await;
    assert_eq!(condition(&failed, "Failed").unwrap().1, "BackoffLimitExceeded");
    assert_eq!(condition(&failed, "FailureTarget").unwrap().1, "BackoffLimitExceeded");
    let status = failed.status.unwrap();
    assert_eq!(status.failed, Some(3), "backoffLimit 2 allows three attempts");
    assert_eq!(status.succeeded.unwrap_or(0), 0);
    wait_pod_count(&client, "flaky", 3).await;
    running_manager.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_indexed_job_completes_every_index() {
    let env = env().await;
    let client = env.client();
    let running_manager = run_jobs(&env).await;
    let mut j = job("idx", Some(4), 2);
    j.spec.as_mut().unwrap().completion_mode = Some("Indexed".into());
    create_job(&client, &j).await;

    wait_for("two indexed pods", || {
        let client = client.clone();
        async move { pods_of(&client, "idx").await.len() == 2 }
    })
    .await;
    for pod in pods_of(&client, "idx").await {
        let index = pod.metadata.annotations.as_ref().unwrap().get(COMPLETION_INDEX).unwrap();
        assert_eq!(pod.metadata.labels.as_ref().unwrap().get(COMPLETION_INDEX), Some(index));
        let spec = pod.spec.unwrap();
        assert_eq!(spec.hostname, Some(format!("idx-{index}")));
        assert!(spec.containers[0].env.iter().flatten().any(|e| e.name == "JOB_COMPLETION_INDEX"));
    }
    let most = drive(&client, "idx", "Succeeded", 0, "Complete").await;
    assert!(most <= 2);
    let done = get_job(&client, "idx").await;
    let status = done.status.unwrap();
    assert_eq!(status.completed_indexes.as_deref(), Some("0-3"));
    assert_eq!(status.succeeded, Some(4));
    let mut indexes: Vec<String> = pods_of(&client, "idx")
        .await
        .iter()
        .map(|p| p.metadata.annotations.as_ref().unwrap()[COMPLETION_INDEX].clone())
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["0", "1", "2", "3"], "one pod per index");
    running_manager.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail_job_rule_on_an_exit_code_fails_the_job_at_once() {
    let env = env().await;
    let client = env.client();
    let running_manager = run_jobs(&env).await;
    let mut j = job("policy", Some(2), 1);
    j.spec.as_mut().unwrap().pod_failure_policy = Some(PodFailurePolicy {
        rules: vec![PodFailurePolicyRule {
            action: "FailJob".into(),
            on_exit_codes: Some(PodFailurePolicyOnExitCodesRequirement {
                container_name: Some("main".into()),
                operator: "In".into(),
                values: vec![42],
            }),
            ..Default::default()
        }],
    });
    create_job(&client, &j).await;
    drive(&client, "policy", "Failed", 42, "Failed").await;
    let failed = get_job(&client, "policy").await;
    let (_, reason) = condition(&failed, "Failed").unwrap();
    assert_eq!(reason, "PodFailurePolicy");
    assert_eq!(failed.status.unwrap().failed, Some(1));
    // No retry after FailJob.
    wait_pod_count(&client, "policy", 1).await;
    running_manager.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_deletes_active_pods_and_resume_recreates_them() {
    let env = env().await;
    let client = env.client();
    let running_manager = run_jobs(&env).await;
    let mut j = job("paused", Some(2), 2);
    j.spec.as_mut().unwrap().suspend = Some(true);
    create_job(&client, &j).await;
    wait_for("the Suspended condition", || {
        let client = client.clone();
        async move {
            condition(&get_job(&client, "paused").await, "Suspended").is_some_and(|c| c.0 == "True")
        }
    })
    .await;
    assert!(pods_of(&client, "paused").await.is_empty(), "a suspended job runs nothing");

    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let resume = json!({"spec": {"suspend": false}});
    jobs.patch("paused", &PatchParams::default(), &Patch::Merge(&resume)).await.unwrap();
    wait_for("two pods after resume", || {
        let client = client.clone();
        async move { pods_of(&client, "paused").await.iter().filter(|p| running(p)).count() == 2 }
    })
    .await;
    let suspend = json!({"spec": {"suspend": true}});
    jobs.patch("paused", &PatchParams::default(), &Patch::Merge(&suspend)).await.unwrap();
    wait_for("pods gone and the job suspended", || {
        let client = client.clone();
        async move {
            let j = get_job(&client, "paused").await;
            pods_of(&client, "paused").await.is_empty()
                && condition(&j, "Suspended").is_some_and(|c| c.0 == "True")
                && j.status.as_ref().and_then(|s| s.active) == Some(0)
        }
    })
    .await;
    let status = get_job(&client, "paused").await.status.unwrap();
    assert_eq!(status.failed.unwrap_or(0), 0, "pods deleted by suspension are not failures");
    assert!(status.start_time.is_none());
    running_manager.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_deleted_under_the_controller_counts_as_failed_and_is_replaced() {
    let env = env().await;
    let client = env.client();
    let running_manager = run_jobs(&env).await;
    create_job(&client, &job("victim", Some(1), 1)).await;
    wait_for("a pod", || {
        let client = client.clone();
        async move { pods_of(&client, "victim").await.len() == 1 }
    })
    .await;
    let first = pods_of(&client, "victim").await.remove(0);
    Api::<Pod>::namespaced(client.clone(), "default")
        .delete(first.metadata.name.as_deref().unwrap(), &DeleteParams::default())
        .await
        .unwrap();
    wait_for("a replacement", || {
        let client = client.clone();
        let old = first.metadata.uid.clone();
        async move {
            let pods = pods_of(&client, "victim").await;
            pods.len() == 1 && pods[0].metadata.uid != old
        }
    })
    .await;
    drive(&client, "victim", "Succeeded", 0, "Complete").await;
    let status = get_job(&client, "victim").await.status.unwrap();
    assert_eq!((status.succeeded, status.failed), (Some(1), Some(1)));
    running_manager.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_stay_exact_through_conflicts_and_a_controller_restart() {
    let env = env().await;
    let client = env.client();
    let first = run_jobs(&env).await;
    create_job(&client, &job("steady", Some(4), 2)).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");

    // Finish two pods while someone else keeps changing the Job (409s for the controller).
    let mut finished = 0;
    while finished < 2 {
        let bump = json!({"metadata": {"labels": {"bump": finished.to_string()}}});
        jobs.patch("steady", &PatchParams::default(), &Patch::Merge(&bump)).await.unwrap();
        let live: Vec<Pod> = pods_of(&client, "steady").await.into_iter().filter(running).collect();
        if let Some(pod) = live.first() {
            finish(&client, pod, "Succeeded", 0).await;
            finished += 1;
        } else {
            wait_for("a running pod", || {
                let client = client.clone();
                async move { pods_of(&client, "steady").await.iter().any(running) }
            })
            .await;
        }
    }
    // A new controller process: fresh informers, no memory of the old one.
    first.stop().await.unwrap();
    let second = run_jobs(&env).await;
    drive(&client, "steady", "Succeeded", 0, "Complete").await;
    let status = get_job(&client, "steady").await.status.unwrap();
    assert_eq!(status.succeeded, Some(4));
    assert_eq!(status.failed.unwrap_or(0), 0);
    // No pod created twice.
    wait_pod_count(&client, "steady", 4).await;
    second.stop().await.unwrap();
}
