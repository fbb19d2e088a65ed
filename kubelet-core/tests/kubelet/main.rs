//! Integration tests of the node agent core over the simulated runtime, in tokio's paused
//! time (no real sleeps).

mod api;
mod backoff;
mod completion;
mod cri_grpc;
mod csi;
mod init_containers;
mod ipam;
mod lifecycle;
mod logs;
mod node_status;
mod probes;
mod qos;
mod real_probes;
mod scale;
mod static_pods;
mod support;
mod termination;
mod volumes;
