//! Helpers shared by plugins: score normalization, taint toleration and required node affinity.

use std::collections::BTreeMap;

use capstan_api_types::core::v1::{
    NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration,
};

use crate::framework::interface::NodeScore;
use crate::framework::types::NodeInfo;

/// Scales scores so the highest becomes `max_priority`; with `reverse`, higher raw
/// scores end up lower (kube's `DefaultNormalizeScore`).
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [NodeScore]) {
    let max = scores.iter().map(|s| s.score).max().unwrap_or(0);
    if max == 0 {
        if reverse {
            for s in scores.iter_mut() {
                s.score = max_priority;
            }
        }
        return;
    }
    for s in scores.iter_mut() {
        s.score = max_priority * s.score / max;
        if reverse {
            s.score = max_priority - s.score;
        }
    }
}

/// Whether one toleration tolerates `taint`.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if let Some(e) = t.effect.as_deref().filter(|e| !e.is_empty()) {
        if e != taint.effect {
            return false;
        }
    }
    if let Some(k) = t.key.as_deref().filter(|k| !k.is_empty()) {
        if k != taint.key {
            return false;
        }
    }
    match t.operator.as_deref() {
        None | Some("") | Some("Equal") => {
            t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        Some("Exists") => true,
        Some(_) => false,
    }
}

/// The first taint passing `filter` that no toleration tolerates.
pub fn find_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    filter: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| filter(t))
        .find(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
}

/// The pod's tolerations.
pub fn pod_tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec.as_ref().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[])
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => !value.is_some_and(|v| values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (value, values.first()) else { return false };
            let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else { return false };
            if r.operator == "Gt" { v > bound } else { v < bound }
        }
        _ => false,
    }
}

/// Whether a node selector term matches a node's labels and name. A term with no
/// expressions and no fields matches nothing; `matchFields` supports `metadata.name`.
pub fn term_matches(
    term: &NodeSelectorTerm,
    labels: &BTreeMap<String, String>,
    name: &str,
) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs.iter().all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            r.key == "metadata.name"
                && matches!(r.operator.as_str(), "In" | "NotIn")
                && requirement_matches(r, Some(name))
        })
}

/// A pod's hard node constraints: `nodeSelector` and required node affinity.
#[derive(Debug, Clone, Default)]
pub struct RequiredNodeAffinity {
    selector: Option<BTreeMap<String, String>>,
    terms: Option<Vec<NodeSelectorTerm>>,
}

impl RequiredNodeAffinity {
    /// The constraints of `pod`.
    pub fn from_pod(pod: &Pod) -> Self {
        let spec = pod.spec.as_ref();
        RequiredNodeAffinity {
            selector: spec.and_then(|s| s.node_selector.clone()).filter(|m| !m.is_empty()),
            terms: spec
                .and_then(|s| s.affinity.as_ref())
                .and_then(|a| a.node_affinity.as_ref())
                .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref())
                .map(|ns| ns.node_selector_terms.clone()),
        }
    }

    /// Whether the pod has no hard node constraint.
    pub fn is_empty(&self) -> bool {
        self.selector.is_none() && self.terms.is_none()
    }

    /// Whether the node satisfies the selector and at least one term.
    pub fn matches(&self, node: &NodeInfo) -> bool {
        self.matches_labels(node.labels(), node.name())
    }

    /// As [`matches`](Self::matches), from labels and name.
    pub fn matches_labels(&self, labels: &BTreeMap<String, String>, name: &str) -> bool {
        if let Some(sel) = &self.selector {
            if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                return false;
            }
        }
        match &self.terms {
            None => true,
            Some(terms) => terms.iter().any(|t| term_matches(t, labels, name)),
        }
    }

    /// The required terms, if any.
    pub fn terms(&self) -> Option<&[NodeSelectorTerm]> {
        self.terms.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: Some(value.into()),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn tol(
        key: Option<&str>,
        op: Option<&str>,
        value: Option<&str>,
        effect: Option<&str>,
    ) -> Toleration {
        Toleration {
            key: key.map(Into::into),
            operator: op.map(Into::into),
            value: value.map(Into::into),
            effect: effect.map(Into::into),
            toleration_seconds: None,
        }
    }

    #[test]
    fn toleration_table() {
        let t = taint("k", "v", "NoSchedule");
        let cases = [
            (tol(Some("k"), None, Some("v"), None), true),
            (tol(Some("k"), Some("Equal"), Some("w"), None), false),
            (tol(Some("k"), Some("Exists"), None, Some("NoSchedule")), true),
            (tol(Some("k"), Some("Exists"), None, Some("NoExecute")), false),
            (tol(None, Some("Exists"), None, None), true),
            (tol(Some("other"), Some("Exists"), None, None), false),
        ];
        for (i, (tl, want)) in cases.iter().enumerate() {
            assert_eq!(tolerates(tl, &t), *want, "case {i}");
        }
    }

    #[test]
    fn normalize_table() {
        let mk = |v: &[i64]| -> Vec<NodeScore> {
            v.iter()
                .enumerate()
                .map(|(i, s)| NodeScore { name: i.to_string().into(), score: *s })
                .collect()
        };
        let cases: [(&[i64], bool, &[i64]); 4] = [
            (&[1, 2, 4], false, &[25, 50, 100]),
            (&[1, 2, 4], true, &[75, 50, 0]),
            (&[0, 0], true, &[100, 100]),
            (&[0, 0], false, &[0, 0]),
        ];
        for (input, reverse, want) in cases {
            let mut s = mk(input);
            default_normalize_score(100, reverse, &mut s);
            assert_eq!(s.iter().map(|x| x.score).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn selector_operators() {
        let labels = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("n".to_string(), "5".to_string()),
        ]);
        let req = |k: &str, op: &str, v: &[&str]| NodeSelectorRequirement {
            key: k.into(),
            operator: op.into(),
            values: Some(v.iter().map(|s| s.to_string()).collect()),
        };
        let term = |r: NodeSelectorRequirement| NodeSelectorTerm {
            match_expressions: Some(vec![r]),
            match_fields: None,
        };
        let cases = [
            (req("a", "In", &["1", "2"]), true),
            (req("a", "NotIn", &["1"]), false),
            (req("b", "NotIn", &["1"]), true),
            (req("a", "Exists", &[]), true),
            (req("b", "DoesNotExist", &[]), true),
            (req("n", "Gt", &["4"]), true),
            (req("n", "Lt", &["4"]), false),
            (req("a", "Bogus", &[]), false),
        ];
        for (r, want) in cases {
            assert_eq!(term_matches(&term(r.clone()), &labels, "node"), want, "{r:?}");
        }
        let fields = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req("metadata.name", "In", &["node"])]),
        };
        assert!(term_matches(&fields, &labels, "node"));
        assert!(!term_matches(&fields, &labels, "other"));
        assert!(!term_matches(&NodeSelectorTerm::default(), &labels, "node"));
    }
}
