//! Which nodes a DaemonSet's pod belongs on, as kube's `NodeShouldRunDaemonPod`: the
//! template's nodeSelector and required node affinity against the node's labels and name,
//! and the node's taints against the template's tolerations plus the default DaemonSet
//! tolerations; and the node-name affinity every DaemonSet pod is created with.

use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec,
    Taint, Toleration,
};

/// Where a DaemonSet pod stands on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// A pod should be created there (NoSchedule and NoExecute taints tolerated).
    pub should_run: bool,
    /// A pod already there may stay (NoExecute taints tolerated).
    pub should_continue: bool,
}

fn toleration(key: &str, effect: &str) -> Toleration {
    Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        ..Default::default()
    }
}

/// Adds the tolerations kube gives every DaemonSet pod to `spec` (those already present
/// are kept): not-ready and unreachable NoExecute; disk, memory and PID pressure and
/// unschedulable NoSchedule; network-unavailable NoSchedule for host-network pods.
pub fn add_default_tolerations(spec: &mut PodSpec) {
    let mut wanted = vec![
        toleration("node.kubernetes.io/not-ready", "NoExecute"),
        toleration("node.kubernetes.io/unreachable", "NoExecute"),
        toleration("node.kubernetes.io/disk-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/pid-pressure", "NoSchedule"),
        toleration("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if spec.host_network == Some(true) {
        wanted.push(toleration("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for t in wanted {
        let present = tolerations.iter().any(|have| {
            have.key == t.key && have.effect == t.effect && have.operator == t.operator
        });
        if !present {
            tolerations.push(t);
        }
    }
}

/// Whether `t` tolerates `taint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = t.effect.as_deref().filter(|e| !e.is_empty()) {
        if effect != taint.effect {
            return false;
        }
    }
    let key = t.key.as_deref().unwrap_or("");
    let exists = t.operator.as_deref() == Some("Exists");
    if key.is_empty() {
        return exists;
    }
    if key != taint.key {
        return false;
    }
    exists || t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| values.iter().all(|x| x != v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if r.operator == "Gt" { v > bound } else { v < bound }
        }
        _ => false,
    }
}

fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = node.metadata.labels.as_ref();
    exprs
        .iter()
        .all(|r| requirement_matches(r, labels.and_then(|l| l.get(&r.key)).map(String::as_str)))
        && fields.iter().all(|r| {
            r.key == "metadata.name" && requirement_matches(r, node.metadata.name.as_deref())
        })
}

/// Whether `node` satisfies the nodeSelector and required node affinity of `spec`.
pub fn node_matches(spec: &PodSpec, node: &Node) -> bool {
    let labels = node.metadata.labels.as_ref();
    let selected =
        spec.node_selector.iter().flatten().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref());
    selected && required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node)))
}

/// Where a pod of `spec` (default tolerations already added) stands on `node`.
pub fn placement(spec: &PodSpec, node: &Node) -> Placement {
    if !node_matches(spec, node) {
        return Placement { should_run: false, should_continue: false };
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or_default();
    let untolerated = |effect: &str| {
        taints
            .iter()
            .any(|taint| taint.effect == effect && !tolerations.iter().any(|t| tolerates(t, taint)))
    };
    let no_execute = untolerated("NoExecute");
    Placement {
        should_run: !no_execute && !untolerated("NoSchedule"),
        should_continue: !no_execute,
    }
}

/// Pins `spec` to `node` through required node affinity `metadata.name In [node]` (each
/// existing term gets that field requirement instead of its own), leaving the binding to
/// the scheduler.
pub fn pin_to_node(spec: &mut PodSpec, node: &str) {
    let field = NodeSelectorRequirement {
        key: "metadata.name".into(),
        operator: "In".into(),
        values: Some(vec![node.to_string()]),
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    let required = node_affinity
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(|| NodeSelector { node_selector_terms: vec![] });
    if required.node_selector_terms.is_empty() {
        required.node_selector_terms.push(NodeSelectorTerm::default());
    }
    for term in &mut required.node_selector_terms {
        term.match_fields = Some(vec![field.clone()]);
    }
}

/// The node a DaemonSet pod is on or pinned to: `spec.nodeName`, else the name in its
/// node-name affinity.
pub fn pod_node(spec: Option<&PodSpec>) -> Option<String> {
    let spec = spec?;
    if let Some(n) = spec.node_name.as_ref().filter(|n| !n.is_empty()) {
        return Some(n.clone());
    }
    let required = spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?;
    required.node_selector_terms.iter().find_map(|t| {
        t.match_fields.iter().flatten().find_map(|f| {
            (f.key == "metadata.name" && f.operator == "In")
                .then(|| f.values.as_ref().and_then(|v| v.first().cloned()))
                .flatten()
        })
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::NodeSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn node(name: &str, labels: &[(&str, &str)], taints: Vec<Taint>) -> Node {
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            },
            spec: Some(NodeSpec { taints: Some(taints), ..Default::default() }),
            status: None,
        }
    }

    fn taint(key: &str, effect: &str) -> Taint {
        Taint { key: key.into(), effect: effect.into(), ..Default::default() }
    }

    #[test]
    fn selectors_affinity_and_taints_decide_placement() {
        let mut spec = PodSpec {
            node_selector: Some(BTreeMap::from([("disk".to_string(), "ssd".to_string())])),
            ..Default::default()
        };
        add_default_tolerations(&mut spec);
        let ssd = node("a", &[("disk", "ssd")], vec![]);
        assert!(placement(&spec, &ssd).should_run);
        assert!(!placement(&spec, &node("b", &[], vec![])).should_run);
        // Default tolerations cover unschedulable and not-ready nodes.
        let cordoned = node(
            "c",
            &[("disk", "ssd")],
            vec![
                taint("node.kubernetes.io/unschedulable", "NoSchedule"),
                taint("node.kubernetes.io/not-ready", "NoExecute"),
            ],
        );
        assert!(placement(&spec, &cordoned).should_run);
        let tainted = node("d", &[("disk", "ssd")], vec![taint("dedicated", "NoSchedule")]);
        assert_eq!(
            placement(&spec, &tainted),
            Placement { should_run: false, should_continue: true }
        );
        let evicting = node("e", &[("disk", "ssd")], vec![taint("dedicated", "NoExecute")]);
        assert!(!placement(&spec, &evicting).should_continue);
        spec.tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration { operator: Some("Exists".into()), ..Default::default() });
        assert!(placement(&spec, &evicting).should_run);
        pin_to_node(&mut spec, "a");
        assert_eq!(pod_node(Some(&spec)).as_deref(), Some("a"));
        assert!(node_matches(&spec, &ssd));
        assert!(!node_matches(&spec, &node("x", &[("disk", "ssd")], vec![])));
    }
}
