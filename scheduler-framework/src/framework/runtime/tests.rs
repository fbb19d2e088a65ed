//! Tests of the framework's extension point semantics with small fake plugins.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::framework::interface::{
    FilterPlugin, PreFilterPlugin, QueueSortPlugin, ScoreExtensions, ScorePlugin,
};
use crate::framework::types::NodeInfo;
use capstan_api_types::core::v1::{Node, Pod};

/// A configurable fake: filter verdict, raw score, optional normalization, PreFilter result.
#[derive(Debug)]
struct Fake {
    name: &'static str,
    filter_ok: bool,
    score: i64,
    /// Score each node by the length of its name times `score` instead.
    by_name: bool,
    normalize_to: Option<i64>,
    pre_filter: Option<(Option<PreFilterResult>, Status)>,
    filter_calls: AtomicUsize,
}

impl Fake {
    fn new(name: &'static str) -> Self {
        Fake {
            name,
            filter_ok: true,
            score: 0,
            by_name: false,
            normalize_to: None,
            pre_filter: None,
            filter_calls: AtomicUsize::new(0),
        }
    }
}

impl Plugin for Fake {
    fn name(&self) -> &str {
        self.name
    }
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        (self.name == "Sort").then_some(self as &dyn QueueSortPlugin)
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        self.pre_filter.as_ref().map(|_| self as &dyn PreFilterPlugin)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        (self.name != "Sort").then_some(self as &dyn FilterPlugin)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        (self.name != "Sort").then_some(self as &dyn ScorePlugin)
    }
    fn as_bind(&self) -> Option<&dyn crate::framework::interface::BindPlugin> {
        None
    }
}

impl QueueSortPlugin for Fake {
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        a.timestamp < b.timestamp
    }
}

impl PreFilterPlugin for Fake {
    fn pre_filter(
        &self,
        _: &mut CycleState,
        _: &PodInfo,
        _: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        self.pre_filter.clone().expect("configured")
    }
}

impl FilterPlugin for Fake {
    fn filter(&self, _: &CycleState, _: &PodInfo, _: &NodeInfo) -> Status {
        self.filter_calls.fetch_add(1, Ordering::Relaxed);
        if self.filter_ok {
            Status::success()
        } else {
            Status::unschedulable(format!("{} says no", self.name))
        }
    }
}

impl ScorePlugin for Fake {
    fn score(&self, _: &CycleState, _: &PodInfo, node: &NodeInfo) -> Result<i64, Status> {
        if self.by_name {
            return Ok(self.score * node.name().len() as i64);
        }
        Ok(self.score)
    }
    fn score_extensions(&self) -> Option<&dyn ScoreExtensions> {
        self.normalize_to.map(|_| self as &dyn ScoreExtensions)
    }
}

impl ScoreExtensions for Fake {
    fn normalize_score(&self, _: &CycleState, _: &PodInfo, scores: &mut [NodeScore]) -> Status {
        for s in scores {
            s.score = self.normalize_to.expect("configured");
        }
        Status::success()
    }
}

fn build(plugins: Vec<Fake>, profile: Profile) -> Result<(Framework, Vec<Arc<Fake>>), PluginError> {
    let plugins: Vec<Arc<Fake>> = plugins.into_iter().map(Arc::new).collect();
    let mut registry = Registry::new();
    for p in &plugins {
        let p2 = p.clone();
        registry.register(p.name, move |_, _| Ok(p2.clone() as Arc<dyn Plugin>))?;
    }
    let defaults: Vec<PluginRef> = plugins.iter().map(|p| PluginRef::new(p.name)).collect();
    // A profile needs a bind plugin: use the in-tree DefaultBinder.
    registry.merge({
        let mut r = Registry::new();
        r.register("DefaultBinder", crate::plugins::defaultbinder::factory)?;
        r
    })?;
    let mut defaults = defaults;
    defaults.push(PluginRef::new("DefaultBinder"));
    let fw = Framework::new(
        &registry,
        &profile,
        &defaults,
        Handle::default(),
        Arc::new(Parallelizer::sequential()),
    )?;
    Ok((fw, plugins))
}

fn node(name: &str) -> Arc<NodeInfo> {
    let mut n = Node::default();
    n.metadata.name = Some(name.into());
    Arc::new(NodeInfo::new(Arc::new(n)))
}

fn pod() -> PodInfo {
    PodInfo::new(Arc::new(Pod::default()))
}

#[test]
fn filter_stops_at_the_first_failure_and_names_the_plugin() {
    let mut no = Fake::new("No");
    no.filter_ok = false;
    let (fw, plugins) = build(
        vec![Fake::new("Sort"), Fake::new("Yes"), no, Fake::new("Later")],
        Profile::default(),
    )
    .expect("builds");
    let s = fw.run_filter_plugins(&CycleState::new(), &pod(), &node("n"));
    assert_eq!(s.code(), Code::Unschedulable);
    assert_eq!(s.plugin(), Some("No"));
    assert_eq!(plugins[1].filter_calls.load(Ordering::Relaxed), 1);
    assert_eq!(plugins[3].filter_calls.load(Ordering::Relaxed), 0);
}

#[test]
fn raw_filter_rejection_attributes_like_the_plain_run() {
    let mut no = Fake::new("No");
    no.filter_ok = false;
    let (fw, plugins) = build(
        vec![Fake::new("Sort"), Fake::new("Yes"), no, Fake::new("Never")],
        Profile::default(),
    )
    .expect("builds");
    let state = CycleState::new();
    let (p, n) = (pod(), node("n"));
    let active = fw.active_filters(&state);
    let (i, raw) = fw.run_active_filters_raw(&active, &state, &p, &n).expect_err("rejected");
    assert_eq!(raw.plugin(), None, "not attributed yet");
    let plain = fw.run_active_filters(&active, &state, &p, &n);
    let attributed = active.attribute(i, raw);
    assert_eq!(attributed, plain);
    assert_eq!(attributed.plugin(), Some("No"));
    assert_eq!(plugins[2].filter_calls.load(Ordering::Relaxed), 2, "raw and plain");
    assert_eq!(plugins[3].filter_calls.load(Ordering::Relaxed), 0);
}

#[test]
fn score_normalizes_checks_range_and_weights() {
    let mut a = Fake::new("A");
    a.score = 7;
    let mut b = Fake::new("B");
    b.score = 500;
    b.normalize_to = Some(10);
    let mut profile = Profile::default();
    profile.plugins.multi_point.enabled =
        vec![PluginRef::weighted("A", 3), PluginRef::weighted("B", 2)];
    let (fw, _) = build(vec![Fake::new("Sort"), a, b], profile).expect("builds");
    let scores =
        fw.run_score_plugins(&CycleState::new(), &pod(), &[node("x"), node("y")]).expect("scores");
    assert_eq!(scores.iter().map(|s| s.score).collect::<Vec<_>>(), vec![7 * 3 + 10 * 2, 41]);

    let mut bad = Fake::new("Bad");
    bad.score = 101;
    let (fw, _) = build(vec![Fake::new("Sort"), bad], Profile::default()).expect("builds");
    let err =
        fw.run_score_plugins(&CycleState::new(), &pod(), &[node("x")]).expect_err("out of range");
    assert!(err.message().contains("invalid score 101"), "{err:?}");
}

#[test]
fn score_runs_of_different_sizes_do_not_see_each_others_scores() {
    let mut a = Fake::new("A");
    a.score = 1;
    a.by_name = true;
    let mut b = Fake::new("B");
    b.score = 10;
    b.by_name = true;
    let mut profile = Profile::default();
    profile.plugins.multi_point.enabled =
        vec![PluginRef::weighted("A", 1), PluginRef::weighted("B", 2)];
    let (fw, _) = build(vec![Fake::new("Sort"), a, b], profile).expect("builds");
    let run = |state: &CycleState, names: &[&str]| -> Vec<(String, i64)> {
        let nodes: Vec<Arc<NodeInfo>> = names.iter().map(|n| node(n)).collect();
        let scores = fw.run_score_plugins(state, &pod(), &nodes).expect("scores");
        scores.iter().map(|s| (s.name.to_string(), s.score)).collect()
    };
    let expect = |names: &[&str], per_char: i64| -> Vec<(String, i64)> {
        names.iter().map(|n| (n.to_string(), per_char * n.len() as i64)).collect()
    };
    let all = CycleState::new();
    for names in [&["aaaa", "b", "ccc"][..], &["dd"], &["e", "ffffff", "gg", "h"], &["ii"]] {
        assert_eq!(run(&all, names), expect(names, 1 + 10 * 2));
    }
    // With one plugin skipped the layout of the raw scores changes.
    let mut only_a = CycleState::new();
    only_a.skip_score(Arc::from("B"));
    assert_eq!(run(&only_a, &["jjj", "k"]), expect(&["jjj", "k"], 1));
    assert_eq!(run(&all, &["l", "mm", "nnn"]), expect(&["l", "mm", "nnn"], 21));
}

#[test]
fn pre_filter_results_intersect_and_skip_disables_filter() {
    let mut a = Fake::new("A");
    a.pre_filter = Some((Some(PreFilterResult::only(["n1", "n2"])), Status::success()));
    let mut b = Fake::new("B");
    b.pre_filter = Some((Some(PreFilterResult::only(["n2", "n3"])), Status::success()));
    let mut skip = Fake::new("Skipper");
    skip.pre_filter = Some((None, Status::skip()));
    skip.filter_ok = false;
    let (fw, _) = build(vec![Fake::new("Sort"), a, b, skip], Profile::default()).expect("builds");
    let mut state = CycleState::new();
    let (r, s, _) = fw.run_pre_filter_plugins(&mut state, &pod(), &Snapshot::new());
    assert!(s.is_success());
    assert_eq!(r, Some(PreFilterResult::only(["n2"])));
    assert!(
        fw.run_filter_plugins(&state, &pod(), &node("n2")).is_success(),
        "the skipped plugin's Filter did not run"
    );

    let mut c = Fake::new("C");
    c.pre_filter = Some((Some(PreFilterResult::only(["n9"])), Status::success()));
    let mut a = Fake::new("A");
    a.pre_filter = Some((Some(PreFilterResult::only(["n1"])), Status::success()));
    let (fw, _) = build(vec![Fake::new("Sort"), a, c], Profile::default()).expect("builds");
    let (_, s, rejectors) =
        fw.run_pre_filter_plugins(&mut CycleState::new(), &pod(), &Snapshot::new());
    assert_eq!(s.code(), Code::UnschedulableAndUnresolvable);
    assert_eq!(s.message(), "node(s) didn't satisfy plugin(s) [A C] simultaneously");
    assert_eq!(rejectors.len(), 2);
}

#[test]
fn profile_enable_disable_and_ordering() {
    let mut profile = Profile::default();
    profile.plugins.filter.disabled = vec![PluginRef::new("A")];
    profile.plugins.filter.enabled = vec![PluginRef::new("C")];
    let (fw, _) =
        build(vec![Fake::new("Sort"), Fake::new("A"), Fake::new("B"), Fake::new("C")], profile)
            .expect("builds");
    let filters: Vec<String> = fw
        .list_plugins()
        .into_iter()
        .find(|(p, _)| *p == "Filter")
        .expect("filter")
        .1
        .iter()
        .map(|e| e.name.to_string())
        .collect();
    assert_eq!(filters, vec!["C", "B"]);
    assert_eq!(fw.queue_sort_name(), "Sort");

    let mut profile = Profile::default();
    profile.plugins.multi_point.disabled = vec![PluginRef::new("*")];
    let Err(err) = build(vec![Fake::new("Sort")], profile) else {
        panic!("no queue sort, no binder")
    };
    assert!(err.to_string().contains("queue sort"), "{err}");
}
