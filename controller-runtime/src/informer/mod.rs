//! Informers: a [`Reflector`] lists and watches a resource into a [`Store`] (a cache of
//! `Arc<K>` with indexers); a [`SharedInformer`] adds event handlers on top; a
//! [`SharedInformerFactory`] shares one informer (one watch) per resource among every
//! consumer; an [`ObjectPool`] shares decoded objects among the reflectors of a process.

mod decode;
mod factory;
mod pool;
mod reflector;
mod shared;
mod store;
mod watch_line;

pub use decode::WithoutManagedFields;
pub use factory::SharedInformerFactory;
pub use pool::{ObjectPool, PoolSpace, PoolStats};
pub use reflector::{Reflector, ReflectorConfig, ReflectorError, ReflectorStats, Sink, Update};
pub use shared::{EventHandler, FnHandler, SharedInformer};
pub use store::{
    Change, IndexError, IndexFn, NAMESPACE_INDEX, NODE_NAME_INDEX, ORPHAN_NAMESPACE_INDEX,
    OWNER_UID_INDEX, Store, namespace_index, orphan_namespace_index, owner_uid_index,
    pod_node_name_index,
};
