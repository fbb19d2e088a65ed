//! `Resource`: precomputed resource amounts (CPU millicores, bytes, pod counts, scalar resources).

use std::collections::BTreeMap;

use capstan_api_types::Quantity;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as OpenApiQuantity;

/// `cpu`.
pub const CPU: &str = "cpu";
/// `memory`.
pub const MEMORY: &str = "memory";
/// `ephemeral-storage`.
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
/// `pods`.
pub const PODS: &str = "pods";

/// CPU request assumed for scoring a container that requests none (100m), as kube-scheduler.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory request assumed for scoring a container that requests none (200 MiB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A resource name resolved once, so hot paths compare an enum instead of strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceName {
    /// `cpu`.
    Cpu,
    /// `memory`.
    Memory,
    /// `ephemeral-storage`.
    EphemeralStorage,
    /// `pods`.
    Pods,
    /// Any other (extended, hugepages, …).
    Scalar(String),
}

impl ResourceName {
    /// Resolves a name.
    pub fn new(name: &str) -> Self {
        match name {
            CPU => ResourceName::Cpu,
            MEMORY => ResourceName::Memory,
            EPHEMERAL_STORAGE => ResourceName::EphemeralStorage,
            PODS => ResourceName::Pods,
            other => ResourceName::Scalar(other.to_string()),
        }
    }
}

/// Resource amounts as plain integers, computed once from `Quantity` maps so the
/// scheduling hot path never parses quantities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    /// CPU in millicores.
    pub milli_cpu: i64,
    /// Memory in bytes.
    pub memory: i64,
    /// Ephemeral storage in bytes.
    pub ephemeral_storage: i64,
    /// Number of pods (only meaningful for allocatable).
    pub allowed_pod_number: i64,
    /// Extended and other scalar resources (`example.com/gpu`, `hugepages-2Mi`, …),
    /// sorted by name; amounts in units (or millis for none: scalar resources are integers).
    pub scalar_resources: Vec<(String, i64)>,
}

/// Converts an API quantity to an integer amount of `name` (millicores for CPU, units
/// otherwise). Unparsable quantities count as zero.
pub fn quantity_value(name: &str, q: &OpenApiQuantity) -> i64 {
    match Quantity::try_from(q) {
        Ok(q) if name == CPU => q.as_millis(),
        Ok(q) => q.as_i64_value(),
        Err(_) => 0,
    }
}

impl Resource {
    /// Builds a resource from a `ResourceList` (`requests`, `allocatable`, `overhead`).
    pub fn from_list(list: &BTreeMap<String, OpenApiQuantity>) -> Self {
        let mut r = Resource::default();
        for (name, q) in list {
            r.add_named(name, quantity_value(name, q));
        }
        r
    }

    /// Adds `amount` of the resource `name`.
    pub fn add_named(&mut self, name: &str, amount: i64) {
        match name {
            CPU => self.milli_cpu += amount,
            MEMORY => self.memory += amount,
            EPHEMERAL_STORAGE => self.ephemeral_storage += amount,
            PODS => self.allowed_pod_number += amount,
            _ => self.add_scalar(name, amount),
        }
    }

    /// The amount of resource `name` (millicores for CPU).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            CPU => self.milli_cpu,
            MEMORY => self.memory,
            EPHEMERAL_STORAGE => self.ephemeral_storage,
            PODS => self.allowed_pod_number,
            _ => self.scalar(name),
        }
    }

    /// The amount of a resolved resource.
    pub fn get_resolved(&self, name: &ResourceName) -> i64 {
        match name {
            ResourceName::Cpu => self.milli_cpu,
            ResourceName::Memory => self.memory,
            ResourceName::EphemeralStorage => self.ephemeral_storage,
            ResourceName::Pods => self.allowed_pod_number,
            ResourceName::Scalar(s) => self.scalar(s),
        }
    }

    /// The amount of scalar resource `name` (0 if absent).
    pub fn scalar(&self, name: &str) -> i64 {
        match self.scalar_resources.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => self.scalar_resources[i].1,
            Err(_) => 0,
        }
    }

    /// Adds `amount` to scalar resource `name`.
    pub fn add_scalar(&mut self, name: &str, amount: i64) {
        match self.scalar_resources.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => self.scalar_resources[i].1 += amount,
            Err(i) => self.scalar_resources.insert(i, (name.to_string(), amount)),
        }
    }

    /// Sets scalar resource `name` to `amount`.
    pub fn set_scalar(&mut self, name: &str, amount: i64) {
        match self.scalar_resources.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => self.scalar_resources[i].1 = amount,
            Err(i) => self.scalar_resources.insert(i, (name.to_string(), amount)),
        }
    }

    /// Adds every amount of `other`.
    pub fn add(&mut self, other: &Resource) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.allowed_pod_number += other.allowed_pod_number;
        for (n, v) in &other.scalar_resources {
            self.add_scalar(n, *v);
        }
    }

    /// Subtracts every amount of `other`.
    pub fn sub(&mut self, other: &Resource) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.allowed_pod_number -= other.allowed_pod_number;
        for (n, v) in &other.scalar_resources {
            self.add_scalar(n, -*v);
        }
    }

    /// Raises each amount to at least the one in `other` (the init-container rule).
    pub fn set_max(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        self.allowed_pod_number = self.allowed_pod_number.max(other.allowed_pod_number);
        for (n, v) in &other.scalar_resources {
            if *v > self.scalar(n) {
                self.set_scalar(n, *v);
            }
        }
    }

    /// `true` when every amount is zero.
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.allowed_pod_number == 0
            && self.scalar_resources.iter().all(|(_, v)| *v == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, &str)]) -> BTreeMap<String, OpenApiQuantity> {
        items.iter().map(|(k, v)| (k.to_string(), OpenApiQuantity(v.to_string()))).collect()
    }

    #[test]
    fn parses_cpu_as_millis_and_others_as_units() {
        let r = Resource::from_list(&list(&[
            ("cpu", "1500m"),
            ("memory", "1Gi"),
            ("pods", "110"),
            ("example.com/gpu", "2"),
        ]));
        assert_eq!(r.milli_cpu, 1500);
        assert_eq!(r.memory, 1 << 30);
        assert_eq!(r.allowed_pod_number, 110);
        assert_eq!(r.scalar("example.com/gpu"), 2);
        assert_eq!(r.get("example.com/gpu"), 2);
    }

    #[test]
    fn add_sub_and_max() {
        let mut a = Resource::from_list(&list(&[("cpu", "1"), ("x/y", "1")]));
        let b = Resource::from_list(&list(&[("cpu", "2"), ("x/y", "3"), ("memory", "5")]));
        a.set_max(&b);
        assert_eq!((a.milli_cpu, a.memory, a.scalar("x/y")), (2000, 5, 3));
        a.add(&b);
        a.sub(&b);
        assert_eq!((a.milli_cpu, a.memory, a.scalar("x/y")), (2000, 5, 3));
        assert!(!a.is_zero());
    }
}
