//! The framework: `Status`, `CycleState`, the plugin traits of every extension point,
//! cluster events, the `Registry`, configuration and the `Framework` that runs a profile.

pub mod binder;
pub mod config;
pub mod cycle_state;
pub mod events;
pub mod handle;
pub mod interface;
pub mod parallelize;
pub mod preemptor;
pub mod registry;
pub mod runtime;
pub mod status;
pub mod types;
pub mod volumes;
pub mod waiting_pods;

pub use binder::{BindError, Binder, Binding, RecordingBinder};
pub use config::{
    KubeSchedulerConfiguration, PluginConfig, PluginRef, PluginSet, Plugins, Profile,
};
pub use cycle_state::CycleState;
pub use events::{
    ActionType, ClusterEvent, ClusterEventWithHint, EventObject, EventResource, QueueingHint,
    QueueingHintFn,
};
pub use handle::{
    Handle, InMemoryNamespaces, InMemoryPdbs, NamespaceLister, PdbLister, WorkloadSelectorLister,
};
pub use interface::*;
pub use parallelize::Parallelizer;
pub use preemptor::{Preemption, Preemptor, RecordingPreemptor};
pub use registry::{PluginError, PluginFactory, Registry, decode_args};
pub use runtime::{ActiveFilters, Framework, PermitOutcome, PluginEntry};
pub use status::{Code, Status};
pub use volumes::{
    InMemoryVolumes, RecordingVolumeBinder, VolumeBinder, VolumeDecision, VolumeLister,
};
pub use waiting_pods::{WaitingPod, WaitingPods};
