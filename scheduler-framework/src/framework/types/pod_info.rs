//! `PodInfo`: a pod with everything the scheduler derives from it computed once (requests, affinity terms, host ports).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use capstan_api_types::core::v1::{Container, Pod, PodAffinityTerm, WeightedPodAffinityTerm};
use capstan_api_types::labels::{LabelSelectorError, Labels, Operator, Requirement, Selector};

use super::host_ports::HostPort;
use super::resource::{
    CPU, DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, MEMORY, Resource, quantity_value,
};

/// One pod (anti-)affinity term, with its selectors parsed and namespaces resolved.
#[derive(Debug, Clone)]
pub struct AffinityTerm {
    /// Namespaces the term applies to (the pod's own when neither `namespaces` nor
    /// `namespaceSelector` is given).
    pub namespaces: HashSet<String>,
    /// The label selector, with `matchLabelKeys`/`mismatchLabelKeys` merged in.
    pub selector: Selector,
    /// The topology key (`kubernetes.io/hostname`, `topology.kubernetes.io/zone`, …).
    pub topology_key: String,
    /// Namespaces selected by labels ([`Selector::nothing`] when not given).
    pub namespace_selector: Selector,
}

impl AffinityTerm {
    /// Builds a term for a pod in `namespace` with `labels`.
    pub fn new(
        term: &PodAffinityTerm,
        namespace: &str,
        labels: &Option<BTreeMap<String, String>>,
    ) -> Result<Self, LabelSelectorError> {
        let mut selector = Selector::from_label_selector(term.label_selector.as_ref())?;
        if term.label_selector.is_some() {
            for key in term.match_label_keys.iter().flatten() {
                if let Some(v) = labels.get_label(key) {
                    selector = selector.with_requirement(Requirement::new(key, Operator::In, [v])?);
                }
            }
            for key in term.mismatch_label_keys.iter().flatten() {
                if let Some(v) = labels.get_label(key) {
                    selector =
                        selector.with_requirement(Requirement::new(key, Operator::NotIn, [v])?);
                }
            }
        }
        let namespace_selector = Selector::from_label_selector(term.namespace_selector.as_ref())?;
        let mut namespaces: HashSet<String> = term.namespaces.iter().flatten().cloned().collect();
        if namespaces.is_empty() && term.namespace_selector.is_none() {
            namespaces.insert(namespace.to_string());
        }
        Ok(AffinityTerm {
            namespaces,
            selector,
            topology_key: term.topology_key.clone(),
            namespace_selector,
        })
    }

    /// Whether `pod` (whose namespace has `namespace_labels`) is selected by the term.
    pub fn matches(
        &self,
        pod: &PodInfo,
        namespace_labels: Option<&BTreeMap<String, String>>,
    ) -> bool {
        let ns_ok = self.namespaces.contains(pod.namespace())
            || (!self.namespace_selector.is_nothing()
                && (self.namespace_selector.is_empty()
                    || namespace_labels.is_some_and(|l| self.namespace_selector.matches(l))));
        ns_ok && self.selector.matches(&pod.pod.metadata.labels)
    }
}

/// An [`AffinityTerm`] with its preference weight.
#[derive(Debug, Clone)]
pub struct WeightedAffinityTerm {
    /// The term.
    pub term: AffinityTerm,
    /// The weight (1–100).
    pub weight: i32,
}

/// A pod together with what the scheduler derives from it, computed once when the pod
/// enters the queue or the cache and shared as `Arc<PodInfo>`.
#[derive(Debug, Clone)]
pub struct PodInfo {
    /// The pod.
    pub pod: Arc<Pod>,
    key: String,
    /// Effective requests: containers + sidecars, the init-container max rule, overhead.
    pub requests: Resource,
    /// CPU request for scoring, with 100m for each container requesting none.
    pub non_zero_milli_cpu: i64,
    /// Memory request for scoring, with 200 MiB for each container requesting none.
    pub non_zero_memory: i64,
    /// Required pod affinity terms.
    pub required_affinity_terms: Vec<AffinityTerm>,
    /// Required pod anti-affinity terms.
    pub required_anti_affinity_terms: Vec<AffinityTerm>,
    /// Preferred pod affinity terms.
    pub preferred_affinity_terms: Vec<WeightedAffinityTerm>,
    /// Preferred pod anti-affinity terms.
    pub preferred_anti_affinity_terms: Vec<WeightedAffinityTerm>,
    /// Host ports the pod's containers claim.
    pub host_ports: Vec<HostPort>,
    /// An error from parsing the pod's selectors; plugins report it as an `Error` status.
    pub parse_error: Option<String>,
}

/// `namespace/name` of a pod, the key the queue and cache use.
pub fn pod_key(pod: &Pod) -> String {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let mut k = String::with_capacity(ns.len() + name.len() + 1);
    k.push_str(ns);
    k.push('/');
    k.push_str(name);
    k
}

fn is_restartable(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn container_requests(c: &Container, non_zero: bool) -> Resource {
    let mut r = Resource::default();
    if let Some(reqs) = c.resources.as_ref().and_then(|r| r.requests.as_ref()) {
        for (name, q) in reqs {
            r.add_named(name, quantity_value(name, q));
        }
    }
    if non_zero {
        let has = |n: &str| {
            c.resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .is_some_and(|m| m.contains_key(n))
        };
        if !has(CPU) {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has(MEMORY) {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    r
}

/// The pod's effective requests as kube-scheduler computes them: the sum of regular
/// containers and restartable (sidecar) init containers, raised to the largest
/// init-container step, plus the pod overhead. With `non_zero`, containers without a
/// CPU or memory request count as 100m / 200 MiB.
pub fn pod_requests(pod: &Pod, non_zero: bool) -> Resource {
    let Some(spec) = pod.spec.as_ref() else {
        return Resource::default();
    };
    let mut reqs = Resource::default();
    for c in &spec.containers {
        reqs.add(&container_requests(c, non_zero));
    }
    let mut sidecars = Resource::default();
    let mut init_max = Resource::default();
    for c in spec.init_containers.iter().flatten() {
        let mut step = container_requests(c, non_zero);
        if is_restartable(c) {
            reqs.add(&step);
            sidecars.add(&step);
            step = sidecars.clone();
        } else {
            step.add(&sidecars);
        }
        init_max.set_max(&step);
    }
    reqs.set_max(&init_max);
    if let Some(overhead) = spec.overhead.as_ref() {
        reqs.add(&Resource::from_list(overhead));
    }
    reqs
}

fn weighted_terms(
    terms: Option<&Vec<WeightedPodAffinityTerm>>,
    ns: &str,
    labels: &Option<BTreeMap<String, String>>,
) -> Result<Vec<WeightedAffinityTerm>, LabelSelectorError> {
    terms
        .into_iter()
        .flatten()
        .map(|w| {
            Ok(WeightedAffinityTerm {
                term: AffinityTerm::new(&w.pod_affinity_term, ns, labels)?,
                weight: w.weight,
            })
        })
        .collect()
}

fn required_terms(
    terms: Option<&Vec<PodAffinityTerm>>,
    ns: &str,
    labels: &Option<BTreeMap<String, String>>,
) -> Result<Vec<AffinityTerm>, LabelSelectorError> {
    terms.into_iter().flatten().map(|t| AffinityTerm::new(t, ns, labels)).collect()
}

impl PodInfo {
    /// Computes everything the scheduler needs from `pod`.
    pub fn new(pod: Arc<Pod>) -> Self {
        let key = pod_key(&pod);
        let requests = pod_requests(&pod, false);
        let nz = pod_requests(&pod, true);
        let ns = pod.metadata.namespace.as_deref().unwrap_or("");
        let labels = &pod.metadata.labels;
        let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        let pa = affinity.and_then(|a| a.pod_affinity.as_ref());
        let paa = affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let mut parse_error = None;
        fn ok<T>(r: Result<Vec<T>, LabelSelectorError>, err: &mut Option<String>) -> Vec<T> {
            r.unwrap_or_else(|e| {
                *err = Some(e.to_string());
                Vec::new()
            })
        }
        let required_affinity_terms = ok(
            required_terms(
                pa.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref()),
                ns,
                labels,
            ),
            &mut parse_error,
        );
        let required_anti_affinity_terms = ok(
            required_terms(
                paa.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref()),
                ns,
                labels,
            ),
            &mut parse_error,
        );
        let preferred_affinity_terms = ok(
            weighted_terms(
                pa.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref()),
                ns,
                labels,
            ),
            &mut parse_error,
        );
        let preferred_anti_affinity_terms = ok(
            weighted_terms(
                paa.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref()),
                ns,
                labels,
            ),
            &mut parse_error,
        );
        let host_ports = HostPort::of_pod(&pod);
        PodInfo {
            key,
            requests,
            non_zero_milli_cpu: nz.milli_cpu,
            non_zero_memory: nz.memory,
            required_affinity_terms,
            required_anti_affinity_terms,
            preferred_affinity_terms,
            preferred_anti_affinity_terms,
            host_ports,
            parse_error,
            pod,
        }
    }

    /// `namespace/name`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The pod's namespace.
    pub fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or("")
    }

    /// The pod's name.
    pub fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or("")
    }

    /// The pod's uid (empty when unset).
    pub fn uid(&self) -> &str {
        self.pod.metadata.uid.as_deref().unwrap_or("")
    }

    /// The pod's priority (`spec.priority`, 0 when unset).
    pub fn priority(&self) -> i32 {
        self.pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
    }

    /// `spec.nodeName`, when the pod is bound or nominated by name.
    pub fn node_name(&self) -> Option<&str> {
        self.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).filter(|n| !n.is_empty())
    }

    /// `spec.schedulerName` (`default-scheduler` when unset).
    pub fn scheduler_name(&self) -> &str {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or("default-scheduler")
    }

    /// Whether the pod has any pod affinity or anti-affinity term (required or preferred).
    pub fn has_affinity(&self) -> bool {
        !self.required_affinity_terms.is_empty()
            || !self.required_anti_affinity_terms.is_empty()
            || !self.preferred_affinity_terms.is_empty()
            || !self.preferred_anti_affinity_terms.is_empty()
    }

    /// Whether the pod has required anti-affinity terms.
    pub fn has_required_anti_affinity(&self) -> bool {
        !self.required_anti_affinity_terms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::core::v1::{PodSpec, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Q;

    fn container(cpu: Option<&str>, mem: Option<&str>, restart: Option<&str>) -> Container {
        let mut req = BTreeMap::new();
        if let Some(c) = cpu {
            req.insert("cpu".to_string(), Q(c.to_string()));
        }
        if let Some(m) = mem {
            req.insert("memory".to_string(), Q(m.to_string()));
        }
        Container {
            name: "c".into(),
            restart_policy: restart.map(str::to_string),
            resources: Some(ResourceRequirements { requests: Some(req), ..Default::default() }),
            ..Default::default()
        }
    }

    fn pod(containers: Vec<Container>, init: Vec<Container>, overhead: Option<&str>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers,
                init_containers: Some(init),
                overhead: overhead.map(|o| BTreeMap::from([("cpu".to_string(), Q(o.to_string()))])),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn requests_follow_the_init_container_and_sidecar_rules() {
        struct Case {
            name: &'static str,
            pod: Pod,
            cpu: i64,
            non_zero_cpu: i64,
        }
        let cases = [
            Case {
                name: "containers sum",
                pod: pod(
                    vec![container(Some("1"), None, None), container(Some("500m"), None, None)],
                    vec![],
                    None,
                ),
                cpu: 1500,
                non_zero_cpu: 1500,
            },
            Case {
                name: "init container larger than sum",
                pod: pod(
                    vec![container(Some("1"), None, None)],
                    vec![container(Some("3"), None, None)],
                    None,
                ),
                cpu: 3000,
                non_zero_cpu: 3000,
            },
            Case {
                name: "sidecar adds to containers and to later init steps",
                pod: pod(
                    vec![container(Some("1"), None, None)],
                    vec![
                        container(Some("1"), None, Some("Always")),
                        container(Some("2500m"), None, None),
                    ],
                    None,
                ),
                cpu: 3500,
                non_zero_cpu: 3500,
            },
            Case {
                name: "overhead added; no request counts 100m for scoring",
                pod: pod(vec![container(None, None, None)], vec![], Some("250m")),
                cpu: 250,
                non_zero_cpu: 350,
            },
        ];
        for c in cases {
            let info = PodInfo::new(Arc::new(c.pod));
            assert_eq!(info.requests.milli_cpu, c.cpu, "{}", c.name);
            assert_eq!(info.non_zero_milli_cpu, c.non_zero_cpu, "{}", c.name);
        }
    }

    #[test]
    fn affinity_term_defaults_to_own_namespace() {
        let term = PodAffinityTerm {
            label_selector: Some(Default::default()),
            topology_key: "zone".into(),
            ..Default::default()
        };
        let t = AffinityTerm::new(&term, "ns1", &None).expect("valid");
        assert!(t.namespaces.contains("ns1"));
        assert!(t.namespace_selector.is_nothing());
        let mut p = Pod::default();
        p.metadata.namespace = Some("ns1".into());
        assert!(t.matches(&PodInfo::new(Arc::new(p.clone())), None));
        p.metadata.namespace = Some("ns2".into());
        assert!(!t.matches(&PodInfo::new(Arc::new(p)), None));
    }
}
