//! `capstan-kubelet-core` will own the node agent: CRI/CNI/CSI traits and backends
//! (simulated and containerd), pod workers, probes, status, the node lease and the
//! node-level service proxy. Nothing is implemented here yet.
