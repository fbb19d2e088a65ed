//! `capstan-kubelet-core`: the node agent as a library.
//!
//! Extension traits, shaped after the real interfaces so real backends drop in:
//! [`cri::RuntimeService`] and [`cri::ImageService`] (CRI v1, with the `k8s-cri` messages),
//! [`cni::NetworkPlugin`] (CNI ADD/DEL/CHECK), [`volumes::VolumePlugin`] and
//! [`volumes::csi::CsiNode`] (CSI node operations), and [`probe::ProbeNetwork`]; where volume
//! files and container logs live is [`volumes::VolumeFiles`] and
//! [`container_logs::ContainerLogs`] (real files, or memory on simulated nodes).
//! [`cri::remote::RemoteRuntime`] is the gRPC CRI client (containerd, CRI-O);
//! [`cri::server::CriService`] serves any runtime over gRPC.
//! The API boundary is [`source`]: a [`source::PodSource`] feeds pods, a
//! [`source::StatusSink`] receives status, a [`source::ConfigSource`] and a
//! [`source::TokenSource`] serve volume contents; [`api`] implements them over a
//! Kubernetes API server (pod informer, status patches, node registration and Lease,
//! `pods/log`).
//!
//! Where to start: [`agent::NodeAgent`] runs one node — a pod worker per pod
//! ([`pod_worker`]), the lifecycle event generator ([`pleg`]), status ([`status`],
//! [`node_status`]) and static pods ([`static_pods`]). [`sim`] is a simulated runtime,
//! network and probe target, cheap enough to run thousands of nodes in one process.

pub mod agent;
pub mod api;
pub mod clock;
pub mod cni;
pub mod container_logs;
pub mod cri;
pub mod ipam;
pub mod node_status;
pub mod pleg;
pub mod pod_worker;
pub mod probe;
pub mod qos;
pub mod sim;
pub mod source;
pub mod static_pods;
pub mod status;
pub mod volumes;
