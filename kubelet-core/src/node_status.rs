//! Node status: capacity and allocatable, conditions, addresses, images, daemon endpoints
//! and system info, as a k8s-openapi `NodeStatus`.

use crate::clock::meta_time;
use capstan_api_types::quantity::{Format, Quantity};
use k8s_openapi::api::core::v1::{
    ContainerImage, DaemonEndpoint, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use k8s_openapi::jiff::Timestamp;
use std::collections::BTreeMap;

/// Static description of a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Node name.
    pub name: String,
    /// Internal IP.
    pub internal_ip: String,
    /// Pod CIDR.
    pub pod_cidr: String,
    /// CPU capacity in millicores.
    pub cpu_millis: i64,
    /// Memory capacity in bytes.
    pub memory_bytes: i64,
    /// Ephemeral storage capacity in bytes.
    pub ephemeral_storage_bytes: i64,
    /// Maximum pods.
    pub max_pods: i64,
    /// CPU reserved for system and kube daemons, millicores.
    pub reserved_cpu_millis: i64,
    /// Memory reserved for system and kube daemons, bytes.
    pub reserved_memory_bytes: i64,
    /// Hard eviction threshold `memory.available`, bytes: below it the node reports
    /// MemoryPressure; it is also kept out of allocatable.
    pub eviction_memory_bytes: i64,
    /// Kubelet port (daemonEndpoints).
    pub kubelet_port: i32,
    /// Kubelet version reported in nodeInfo.
    pub kubelet_version: String,
}

impl NodeConfig {
    /// A node with 4 CPUs, 16 GiB, 110 pods; 100 m CPU and 100 MiB reserved, eviction
    /// below 100 MiB available.
    pub fn new(
        name: impl Into<String>,
        internal_ip: impl Into<String>,
        pod_cidr: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            internal_ip: internal_ip.into(),
            pod_cidr: pod_cidr.into(),
            cpu_millis: 4000,
            memory_bytes: 16 << 30,
            ephemeral_storage_bytes: 100 << 30,
            max_pods: 110,
            reserved_cpu_millis: 100,
            reserved_memory_bytes: 100 << 20,
            eviction_memory_bytes: 100 << 20,
            kubelet_port: 10250,
            kubelet_version: "v1.33.0".into(),
        }
    }
}

impl Pressure {
    /// Memory pressure from the memory in use: available below the eviction threshold.
    pub fn from_memory_use(config: &NodeConfig, used_bytes: i64) -> Self {
        Self {
            memory: config.memory_bytes - used_bytes < config.eviction_memory_bytes,
            ..Self::default()
        }
    }
}

/// Pressure signals measured on the node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pressure {
    /// Memory below the eviction threshold.
    pub memory: bool,
    /// Disk below the eviction threshold.
    pub disk: bool,
    /// PIDs below the eviction threshold.
    pub pid: bool,
}

fn q(v: Quantity) -> ApiQuantity {
    ApiQuantity::from(v)
}

/// The resource lists: (capacity, allocatable).
pub fn resources(
    config: &NodeConfig,
) -> (BTreeMap<String, ApiQuantity>, BTreeMap<String, ApiQuantity>) {
    let list = |cpu: i64, mem: i64, storage: i64| {
        BTreeMap::from([
            ("cpu".to_owned(), q(Quantity::from_millis(cpu, Format::DecimalSI))),
            ("memory".to_owned(), q(Quantity::from_i64(mem, Format::BinarySI))),
            ("ephemeral-storage".to_owned(), q(Quantity::from_i64(storage, Format::BinarySI))),
            ("pods".to_owned(), q(Quantity::from_i64(config.max_pods, Format::DecimalSI))),
        ])
    };
    (
        list(config.cpu_millis, config.memory_bytes, config.ephemeral_storage_bytes),
        list(
            (config.cpu_millis - config.reserved_cpu_millis).max(0),
            (config.memory_bytes - config.reserved_memory_bytes - config.eviction_memory_bytes)
                .max(0),
            config.ephemeral_storage_bytes,
        ),
    )
}

fn condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
    now: Timestamp,
    previous: Option<&NodeStatus>,
) -> NodeCondition {
    let status = if status { "True" } else { "False" };
    let since = previous
        .and_then(|p| p.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == type_ && c.status == status))
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| meta_time(now));
    NodeCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message.to_owned()),
        last_heartbeat_time: Some(meta_time(now)),
        last_transition_time: Some(since),
    }
}

/// Inputs that change at run time.
#[derive(Debug, Clone, Default)]
pub struct NodeRuntimeInfo {
    /// Runtime readiness (CRI `Status`).
    pub runtime_ready: bool,
    /// `<runtime_name>://<runtime_version>`.
    pub runtime_version: String,
    /// Images on the node: (names, size in bytes).
    pub images: Vec<(Vec<String>, i64)>,
    /// Pressure signals.
    pub pressure: Pressure,
}

/// The node's status. `previous` keeps condition transition times stable.
pub fn node_status(
    config: &NodeConfig,
    info: &NodeRuntimeInfo,
    previous: Option<&NodeStatus>,
    now: Timestamp,
) -> NodeStatus {
    let (capacity, allocatable) = resources(config);
    let p = info.pressure;
    let conditions = vec![
        if p.memory {
            condition(
                "MemoryPressure",
                true,
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available",
                now,
                previous,
            )
        } else {
            condition(
                "MemoryPressure",
                false,
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
                now,
                previous,
            )
        },
        if p.disk {
            condition(
                "DiskPressure",
                true,
                "KubeletHasDiskPressure",
                "kubelet has disk pressure",
                now,
                previous,
            )
        } else {
            condition(
                "DiskPressure",
                false,
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
                now,
                previous,
            )
        },
        if p.pid {
            condition(
                "PIDPressure",
                true,
                "KubeletHasInsufficientPID",
                "kubelet has insufficient PID available",
                now,
                previous,
            )
        } else {
            condition(
                "PIDPressure",
                false,
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
                now,
                previous,
            )
        },
        if info.runtime_ready {
            condition(
                "Ready",
                true,
                "KubeletReady",
                "kubelet is posting ready status",
                now,
                previous,
            )
        } else {
            condition("Ready", false, "KubeletNotReady", "container runtime is down", now, previous)
        },
    ];
    let mut images: Vec<ContainerImage> = info
        .images
        .iter()
        .map(|(names, size)| ContainerImage { names: Some(names.clone()), size_bytes: Some(*size) })
        .collect();
    images.sort_by_key(|i| std::cmp::Reverse(i.size_bytes));
    images.truncate(50);
    NodeStatus {
        capacity: Some(capacity),
        allocatable: Some(allocatable),
        conditions: Some(conditions),
        addresses: Some(vec![
            NodeAddress { type_: "InternalIP".into(), address: config.internal_ip.clone() },
            NodeAddress { type_: "Hostname".into(), address: config.name.clone() },
        ]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint { port: config.kubelet_port }),
        }),
        images: Some(images),
        node_info: Some(NodeSystemInfo {
            architecture: std::env::consts::ARCH
                .replace("x86_64", "amd64")
                .replace("aarch64", "arm64"),
            operating_system: std::env::consts::OS.to_owned(),
            os_image: "Capstan".into(),
            kernel_version: String::new(),
            container_runtime_version: info.runtime_version.clone(),
            kubelet_version: config.kubelet_version.clone(),
            kube_proxy_version: String::new(),
            machine_id: format!("{:032x}", fnv(&config.name)),
            system_uuid: format!("{:032x}", fnv(&config.internal_ip)),
            boot_id: format!("{:032x}", fnv(&(config.name.clone() + "/boot"))),
            swap: None,
        }),
        ..Default::default()
    }
}

fn fnv(s: &str) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in s.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}
