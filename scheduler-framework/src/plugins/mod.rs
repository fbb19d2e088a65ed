//! The in-tree plugins, one folder each with its args and tests, the registry that
//! builds them and the default plugin set with Kubernetes' weights.

pub mod defaultbinder;
pub mod defaultpreemption;
pub mod helper;
pub mod imagelocality;
pub mod interpodaffinity;
pub mod names;
pub mod node_memo;
pub mod nodeaffinity;
pub mod nodename;
pub mod nodeports;
pub mod noderesources;
pub mod nodeunschedulable;
pub mod podtopologyspread;
pub mod queuesort;
pub mod schedulinggates;
pub mod tainttoleration;
pub mod volumebinding;

use crate::framework::config::PluginRef;
use crate::framework::registry::Registry;

/// Every in-tree plugin's factory. Merge out-of-tree plugins into it.
pub fn in_tree_registry() -> Registry {
    let mut r = Registry::new();
    let all: [(&str, crate::framework::registry::PluginFactory); 15] = [
        (names::PRIORITY_SORT, std::sync::Arc::new(queuesort::factory)),
        (names::SCHEDULING_GATES, std::sync::Arc::new(schedulinggates::factory)),
        (names::NODE_UNSCHEDULABLE, std::sync::Arc::new(nodeunschedulable::factory)),
        (names::NODE_NAME, std::sync::Arc::new(nodename::factory)),
        (names::TAINT_TOLERATION, std::sync::Arc::new(tainttoleration::factory)),
        (names::NODE_AFFINITY, std::sync::Arc::new(nodeaffinity::factory)),
        (names::NODE_PORTS, std::sync::Arc::new(nodeports::factory)),
        (names::NODE_RESOURCES_FIT, std::sync::Arc::new(noderesources::fit::factory)),
        (
            names::NODE_RESOURCES_BALANCED_ALLOCATION,
            std::sync::Arc::new(noderesources::balanced_allocation::factory),
        ),
        (names::VOLUME_BINDING, std::sync::Arc::new(volumebinding::factory)),
        (names::IMAGE_LOCALITY, std::sync::Arc::new(imagelocality::factory)),
        (names::POD_TOPOLOGY_SPREAD, std::sync::Arc::new(podtopologyspread::factory)),
        (names::INTER_POD_AFFINITY, std::sync::Arc::new(interpodaffinity::factory)),
        (names::DEFAULT_PREEMPTION, std::sync::Arc::new(defaultpreemption::factory)),
        (names::DEFAULT_BINDER, std::sync::Arc::new(defaultbinder::factory)),
    ];
    for (name, f) in all {
        r.register(name, move |args, handle| f(args, handle))
            .expect("in-tree plugin names are unique");
    }
    r
}

/// The default multi-point plugins in Kubernetes' order, with its score weights
/// (TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2,
/// InterPodAffinity 2, NodeResourcesBalancedAllocation 1, ImageLocality 1);
/// VolumeBinding has no score; DefaultPreemption is the PostFilter plugin.
pub fn default_plugins() -> Vec<PluginRef> {
    vec![
        PluginRef::new(names::SCHEDULING_GATES),
        PluginRef::new(names::PRIORITY_SORT),
        PluginRef::new(names::NODE_UNSCHEDULABLE),
        PluginRef::new(names::NODE_NAME),
        PluginRef::weighted(names::TAINT_TOLERATION, 3),
        PluginRef::weighted(names::NODE_AFFINITY, 2),
        PluginRef::new(names::NODE_PORTS),
        PluginRef::weighted(names::NODE_RESOURCES_FIT, 1),
        PluginRef::new(names::VOLUME_BINDING),
        PluginRef::weighted(names::POD_TOPOLOGY_SPREAD, 2),
        PluginRef::weighted(names::INTER_POD_AFFINITY, 2),
        PluginRef::new(names::DEFAULT_PREEMPTION),
        PluginRef::weighted(names::NODE_RESOURCES_BALANCED_ALLOCATION, 1),
        PluginRef::weighted(names::IMAGE_LOCALITY, 1),
        PluginRef::new(names::DEFAULT_BINDER),
    ]
}
