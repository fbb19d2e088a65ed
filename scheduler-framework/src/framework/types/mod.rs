//! The data types plugins see: pods and nodes with precomputed aggregates, queue entries, resources.

mod host_ports;
pub mod label_ids;
mod node_info;
mod pod_info;
mod queued_pod_info;
mod resource;

pub use host_ports::{DEFAULT_BIND_ALL_HOST_IP, HostPort, HostPortInfo};
pub use label_ids::{IdMap, LabelId, LabelIds};
pub use node_info::{ImageStateSummary, NodeInfo, NodeInfoError, NodeRecord, next_generation};
pub use pod_info::{AffinityTerm, PodInfo, WeightedAffinityTerm, pod_key, pod_requests};
pub use queued_pod_info::QueuedPodInfo;
pub use resource::{
    CPU, DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, EPHEMERAL_STORAGE, MEMORY, PODS,
    Resource, ResourceName, quantity_value,
};
