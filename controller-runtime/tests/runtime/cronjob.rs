//! The CronJob controller on a fake clock: Jobs at scheduled times, Forbid and Replace,
//! history limits, suspend.

use std::sync::Arc;
use std::time::Duration;

use capstan_controller_runtime::TestEnv;
use capstan_controller_runtime::controllers::clock::FakeClock;
use capstan_controller_runtime::controllers::cronjob::schedule::Schedule;
use capstan_controller_runtime::controllers::cronjob::{self, SCHEDULED_TIMESTAMP, job_name};
use capstan_controller_runtime::testenv::RunningManager;
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::job::{job as job_object, list_retrying};
use crate::support::{env, wait_for};

struct Fixture {
    client: kube::Client,
    clock: FakeClock,
    running: RunningManager,
    schedule: Schedule,
    created: jiff::Timestamp,
}

/// A CronJob running every minute, and the controller on a clock at its creation time.
async fn fixture(env: &TestEnv, name: &str, tweak: impl FnOnce(&mut CronJobSpec)) -> Fixture {
    let client = env.client();
    let mut spec = CronJobSpec {
        schedule: "* * * * *".into(),
        job_template: JobTemplateSpec { metadata: None, spec: job_object("t", Some(1), 1).spec },
        ..Default::default()
    };
    tweak(&mut spec);
    let cj = CronJob {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    };
    let created = Api::<CronJob>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &cj)
        .await
        .unwrap();
    let created = created.metadata.creation_timestamp.unwrap().0;
    let clock = FakeClock::new(created);
    let mut manager = env.manager().build().await.unwrap();
    manager.add(cronjob::controller_with(&manager, Arc::new(clock.clone())).unwrap());
    let running = env.spawn_manager(manager);
    Fixture {
        client,
        clock,
        running,
        schedule: Schedule::parse("* * * * *", None).unwrap(),
        created,
    }
}

impl Fixture {
    /// Moves the clock just past the `n`th scheduled time after creation; returns it.
    fn tick(&self, n: usize) -> jiff::Timestamp {
        let mut at = self.created;
        for _ in 0..n {
            at = self.schedule.next_after(at).unwrap();
        }
        self.clock.set(at.checked_add(jiff::SignedDuration::from_secs(1)).unwrap());
        at
    }

    async fn jobs(&self) -> Vec<Job> {
        let api: Api<Job> = Api::namespaced(self.client.clone(), "default");
        let mut jobs = list_retrying(&api, &ListParams::default().match_any()).await;
        jobs.retain(|j| j.metadata.deletion_timestamp.is_none());
        jobs.sort_by_key(|j| j.metadata.name.clone());
        jobs
    }

    async fn wait_jobs(&self, what: &str, names: &[String]) {
        wait_for(what, || async move {
            let have: Vec<String> =
                self.jobs().await.into_iter().filter_map(|j| j.metadata.name).collect();
            let mut want = names.to_vec();
            want.sort();
            have == want
        })
        .await;
    }

    async fn cronjob(&self, name: &str) -> CronJob {
        Api::<CronJob>::namespaced(self.client.clone(), "default").get(name).await.unwrap()
    }
}

/// Marks a Job finished as the Job controller would.
async fn finish_job(client: &kube::Client, name: &str, condition: &str) {
    let now = jiff::Timestamp::now().to_string();
    let mut status = json!({"status": {
        "startTime": now,
        "conditions": [{"type": condition, "status": "True", "lastTransitionTime": now}],
    }});
    if condition == "Complete" {
        status["status"]["completionTime"] = json!(now);
        status["status"]["succeeded"] = json!(1);
    }
    Api::<Job>::namespaced(client.clone(), "default")
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_created_at_each_scheduled_time() {
    let env = env().await;
    let f = fixture(&env, "tick", |_| {}).await;
    // Nothing before the first scheduled time.
    assert!(f.jobs().await.is_empty());
    let first = f.tick(1);
    let name = job_name("tick", first);
    f.wait_jobs("the first job", std::slice::from_ref(&name)).await;
    let job = f.jobs().await.remove(0);
    assert_eq!(name, format!("tick-{}", first.as_second() / 60));
    let stamp = job.metadata.annotations.unwrap()[SCHEDULED_TIMESTAMP].clone();
    assert_eq!(stamp.parse::<jiff::Timestamp>().unwrap(), first);
    assert_eq!(job.metadata.owner_references.unwrap()[0].kind, "CronJob");
    wait_for("lastScheduleTime and active", || async {
        let status = f.cronjob("tick").await.status.unwrap_or_default();
        status.last_schedule_time.map(|t| t.0) == Some(first)
            && status.active.is_some_and(|a| a.len() == 1)
    })
    .await;

    // Allow: the next time runs alongside.
    let second = f.tick(2);
    f.wait_jobs("two jobs", &[name.clone(), job_name("tick", second)]).await;
    finish_job(&f.client, &name, "Complete").await;
    wait_for("lastSuccessfulTime", || async {
        let status = f.cronjob("tick").await.status.unwrap_or_default();
        status.last_successful_time.is_some() && status.active.is_some_and(|a| a.len() == 1)
    })
    .await;
    f.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_skips_while_a_job_runs_and_replace_replaces_it() {
    let env = env().await;
    let forbid = fixture(&env, "forbid", |s| s.concurrency_policy = Some("Forbid".into())).await;
    let first = forbid.tick(1);
    let first_name = job_name("forbid", first);
    forbid.wait_jobs("the first job", std::slice::from_ref(&first_name)).await;
    forbid.tick(2);
    // The controller has seen the second time: lastScheduleTime stays at the first.
    wait_for("a pass at the second time", || async {
        let status = forbid.cronjob("forbid").await.status.unwrap_or_default();
        status.last_schedule_time.map(|t| t.0) == Some(first)
    })
    .await;
    assert_eq!(forbid.jobs().await.len(), 1, "Forbid: no second job while one runs");
    // Move the clock first: a pass woken by the finished job must already see the third
    // time, or it would rightly run the second time, which Forbid only postponed.
    let third = forbid.tick(3);
    finish_job(&forbid.client, &first_name, "Complete").await;
    forbid
        .wait_jobs(
            "a job after the first finished",
            &[first_name.clone(), job_name("forbid", third)],
        )
        .await;
    forbid.running.stop().await.unwrap();

    let env = crate::support::env().await;
    let replace = fixture(&env, "swap", |s| s.concurrency_policy = Some("Replace".into())).await;
    let first = replace.tick(1);
    replace.wait_jobs("the first job", &[job_name("swap", first)]).await;
    let second = replace.tick(2);
    replace.wait_jobs("the replacement only", &[job_name("swap", second)]).await;
    wait_for("active names the replacement", || async {
        let status = replace.cronjob("swap").await.status.unwrap_or_default();
        status.active.is_some_and(|a| {
            a.len() == 1 && a[0].name.as_deref() == Some(job_name("swap", second).as_str())
        })
    })
    .await;
    replace.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_limits_delete_the_oldest_finished_jobs_and_suspend_stops_runs() {
    let env = env().await;
    let f = fixture(&env, "hist", |s| {
        s.successful_jobs_history_limit = Some(1);
        s.failed_jobs_history_limit = Some(0);
    })
    .await;
    let mut names = Vec::new();
    for n in 1..=3 {
        let at = f.tick(n);
        let name = job_name("hist", at);
        wait_for("the job", || async {
            f.jobs().await.iter().any(|j| j.metadata.name.as_deref() == Some(name.as_str()))
        })
        .await;
        finish_job(&f.client, &name, if n == 2 { "Failed" } else { "Complete" }).await;
        names.push(name);
    }
    // Kept: the newest successful one; the failed one and the older success are gone.
    f.wait_jobs("history trimmed", &[names[2].clone()]).await;

    let suspend = json!({"spec": {"suspend": true}});
    Api::<CronJob>::namespaced(f.client.clone(), "default")
        .patch("hist", &PatchParams::default(), &Patch::Merge(&suspend))
        .await
        .unwrap();
    wait_for("the suspension seen", || async {
        f.cronjob("hist").await.spec.unwrap().suspend == Some(true)
    })
    .await;
    let later = f.tick(5);
    // Give the controller passes at the later time, then check nothing ran.
    let resync = json!({"metadata": {"labels": {"poke": "1"}}});
    Api::<CronJob>::namespaced(f.client.clone(), "default")
        .patch("hist", &PatchParams::default(), &Patch::Merge(&resync))
        .await
        .unwrap();
    wait_for("the poke seen", || async { f.cronjob("hist").await.metadata.labels.is_some() }).await;
    assert!(
        !f.jobs()
            .await
            .iter()
            .any(|j| j.metadata.name.as_deref() == Some(job_name("hist", later).as_str())),
        "a suspended CronJob creates nothing"
    );
    let _ = Duration::ZERO;
    f.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_missed_by_more_than_the_starting_deadline_is_skipped() {
    let env = env().await;
    let f = fixture(&env, "late", |s| s.starting_deadline_seconds = Some(10)).await;
    let first = f.schedule.next_after(f.created).unwrap();
    // The controller wakes up 30 s after the first time: too late for it.
    f.clock.set(first.checked_add(jiff::SignedDuration::from_secs(30)).unwrap());
    let poke = json!({"metadata": {"labels": {"poke": "1"}}});
    Api::<CronJob>::namespaced(f.client.clone(), "default")
        .patch("late", &PatchParams::default(), &Patch::Merge(&poke))
        .await
        .unwrap();
    // Within the deadline of the second time, it runs.
    let second = f.tick(2);
    f.wait_jobs("only the second run", &[job_name("late", second)]).await;
    wait_for("lastScheduleTime at the second time", || async {
        let status = f.cronjob("late").await.status.unwrap_or_default();
        status.last_schedule_time.map(|t| t.0) == Some(second)
    })
    .await;
    f.running.stop().await.unwrap();
}
