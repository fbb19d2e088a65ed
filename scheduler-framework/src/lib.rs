//! `capstan-scheduler-framework`: kube-scheduler's scheduling framework in Rust — plugin
//! traits for every extension point, the scheduling queue, the cache and its
//! snapshots, the default plugins and the scheduling cycle as a library.
//!
//! # Where to start
//!
//! - **Writing a plugin**: implement [`framework::Plugin`] (a name) and the extension
//!   traits you need — [`framework::PreEnqueuePlugin`], [`framework::QueueSortPlugin`],
//!   [`framework::PreFilterPlugin`] (with [`framework::PreFilterExtensions`]),
//!   [`framework::FilterPlugin`], [`framework::PostFilterPlugin`],
//!   [`framework::PreScorePlugin`], [`framework::ScorePlugin`] (with
//!   [`framework::ScoreExtensions`]), [`framework::ReservePlugin`],
//!   [`framework::PermitPlugin`], [`framework::PreBindPlugin`],
//!   [`framework::BindPlugin`], [`framework::PostBindPlugin`] — returning `Some(self)`
//!   from the matching `as_*` accessors of `Plugin`. Declare the cluster events that can
//!   make the pods you reject schedulable with [`framework::EnqueueExtensions`]
//!   (optionally with queueing hints). Plugins read [`framework::types::NodeInfo`]
//!   (precomputed resources, ports, images, affinity pods) and share per-cycle data
//!   through [`framework::CycleState`]; they answer with a [`framework::Status`].
//! - **Registering it**: add a factory to a [`framework::Registry`] and merge it into
//!   [`plugins::in_tree_registry`]; enable it in a profile of a
//!   [`framework::KubeSchedulerConfiguration`] (YAML, kube-scheduler's shape).
//! - **Running a scheduler**: [`scheduler::Scheduler::builder`] builds the profiles'
//!   [`framework::Framework`]s, the [`cache::Cache`] and the
//!   [`queue::SchedulingQueue`]. Feed it cluster events with `on_pod_add`,
//!   `on_node_add`, … and call [`scheduler::Scheduler::schedule_one`]. Binding goes
//!   through the [`framework::Binder`] trait (the API-backed implementation posts
//!   `pods/binding`; tests use [`framework::RecordingBinder`]).
//! - **Running it against an API server**: [`api::SchedulerRunner`] wires informers in
//!   and bindings, `PodScheduled` conditions and Events out, optionally behind leader
//!   election.
//!
//! - **Measuring it**: [`perf`] runs Kubernetes' scheduler_perf workloads through the
//!   in-process API server or on the framework alone.
//!
//! The default plugins live one per folder in [`plugins`], each with its args and
//! table-driven tests.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Arc;
//! use capstan_api_types::core::v1::{Node, NodeStatus, Pod, PodSpec};
//! use capstan_scheduler_framework::framework::{Handle, RecordingBinder};
//! use capstan_scheduler_framework::scheduler::{BindOutcome, ScheduleOutcome, Scheduler};
//! use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let binder = Arc::new(RecordingBinder::new());
//! let scheduler = Scheduler::builder().handle(Handle::new(binder.clone())).build()?;
//!
//! let mut node = Node::default();
//! node.metadata.name = Some("node-1".into());
//! node.status = Some(NodeStatus {
//!     allocatable: Some(BTreeMap::from([
//!         ("cpu".to_string(), Quantity("4".into())),
//!         ("pods".to_string(), Quantity("110".into())),
//!     ])),
//!     ..Default::default()
//! });
//! scheduler.on_node_add(Arc::new(node));
//!
//! let mut pod = Pod { spec: Some(PodSpec::default()), ..Default::default() };
//! pod.metadata.name = Some("web".into());
//! pod.metadata.namespace = Some("default".into());
//! scheduler.on_pod_add(Arc::new(pod));
//!
//! let Some(ScheduleOutcome::Scheduled { node, binding, .. }) = scheduler.schedule_one().await else {
//!     panic!("not scheduled");
//! };
//! assert_eq!(node, "node-1");
//! assert!(matches!(binding.await?, BindOutcome::Bound { .. }));
//! assert_eq!(binder.node_of("default/web").as_deref(), Some("node-1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod api;
pub mod cache;
pub mod clock;
pub mod framework;
pub mod perf;
pub mod plugins;
pub mod queue;
pub mod scheduler;

pub use framework::{Framework, Plugin, Registry, Status};
pub use scheduler::{Scheduler, SchedulerBuilder};
