//! The QoS class of a pod, by Kubernetes' rules.

use capstan_api_types::quantity::Quantity;
use k8s_openapi::api::core::v1::{Container, Pod};
use std::collections::BTreeMap;

/// `Guaranteed`, `Burstable` or `BestEffort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosClass {
    /// Every container has cpu and memory limits equal to its requests.
    Guaranteed,
    /// Some requests or limits, not Guaranteed.
    Burstable,
    /// No cpu or memory requests or limits at all.
    BestEffort,
}

impl QosClass {
    /// The name used in `status.qosClass`.
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

const COMPUTE: [&str; 2] = ["cpu", "memory"];

fn compute(
    list: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
) -> BTreeMap<&'static str, Quantity> {
    let mut out = BTreeMap::new();
    for name in COMPUTE {
        if let Some(q) = list.and_then(|l| l.get(name)).and_then(|q| Quantity::try_from(q).ok()) {
            if !q.is_zero() {
                out.insert(name, q);
            }
        }
    }
    out
}

/// The QoS class of a pod (init and regular containers; pod-level resources when set).
pub fn qos_class(pod: &Pod) -> QosClass {
    let Some(spec) = pod.spec.as_ref() else {
        return QosClass::BestEffort;
    };
    let containers: Vec<&Container> =
        spec.init_containers.iter().flatten().chain(spec.containers.iter()).collect();
    let mut requests: BTreeMap<&str, Quantity> = BTreeMap::new();
    let mut limits: BTreeMap<&str, Quantity> = BTreeMap::new();
    let mut complete_limits = true;
    if let Some(res) =
        spec.resources.as_ref().filter(|r| r.limits.is_some() || r.requests.is_some())
    {
        requests = compute(res.requests.as_ref());
        limits = compute(res.limits.as_ref());
        complete_limits = COMPUTE.iter().all(|n| limits.contains_key(n));
    } else {
        for c in containers {
            let res = c.resources.as_ref();
            let lim = compute(res.and_then(|r| r.limits.as_ref()));
            // API defaulting: a limit without a request makes the request equal to it.
            let mut req = compute(res.and_then(|r| r.requests.as_ref()));
            for (k, v) in &lim {
                req.entry(k).or_insert_with(|| v.clone());
            }
            for (k, v) in req {
                *requests.entry(k).or_insert_with(Quantity::zero) += &v;
            }
            if !COMPUTE.iter().all(|n| lim.contains_key(n)) {
                complete_limits = false;
            }
            for (k, v) in lim {
                *limits.entry(k).or_insert_with(Quantity::zero) += &v;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return QosClass::BestEffort;
    }
    if complete_limits && requests.iter().all(|(k, v)| limits.get(k) == Some(v)) {
        return QosClass::Guaranteed;
    }
    QosClass::Burstable
}
