//! `Registry`: plugin name → factory; in-tree and out-of-tree plugins merge into one.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::handle::Handle;
use super::interface::Plugin;

/// Errors from building plugins and frameworks.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// Two factories share a name.
    #[error("a plugin named {0} already exists")]
    Duplicate(String),
    /// A profile names a plugin no factory provides.
    #[error("plugin {0:?} does not exist")]
    NotFound(String),
    /// The plugin's arguments do not decode.
    #[error("decoding args for plugin {plugin}: {source}")]
    Args {
        /// The plugin.
        plugin: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// The arguments decode but are invalid.
    #[error("invalid args for plugin {plugin}: {message}")]
    InvalidArgs {
        /// The plugin.
        plugin: String,
        /// What is wrong.
        message: String,
    },
    /// The profile is not usable (no queue sort, no bind plugin, …).
    #[error("profile {profile}: {message}")]
    Profile {
        /// The profile's scheduler name.
        profile: String,
        /// What is wrong.
        message: String,
    },
}

/// Builds one plugin from its (optional) JSON arguments and the scheduler's [`Handle`].
pub type PluginFactory = Arc<
    dyn Fn(Option<&serde_json::Value>, &Handle) -> Result<Arc<dyn Plugin>, PluginError>
        + Send
        + Sync,
>;

/// Decodes a plugin's arguments into `T`, using `T::default()` when none are given.
pub fn decode_args<T: DeserializeOwned + Default>(
    plugin: &str,
    args: Option<&serde_json::Value>,
) -> Result<T, PluginError> {
    match args {
        None | Some(serde_json::Value::Null) => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|source| PluginError::Args { plugin: plugin.to_string(), source }),
    }
}

/// Plugin factories by name. Start from
/// [`crate::plugins::in_tree_registry`] and [`merge`](Self::merge) your own.
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<String, PluginFactory>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a factory; fails if the name is taken.
    pub fn register<F>(&mut self, name: &str, factory: F) -> Result<(), PluginError>
    where
        F: Fn(Option<&serde_json::Value>, &Handle) -> Result<Arc<dyn Plugin>, PluginError>
            + Send
            + Sync
            + 'static,
    {
        if self.factories.contains_key(name) {
            return Err(PluginError::Duplicate(name.to_string()));
        }
        self.factories.insert(name.to_string(), Arc::new(factory));
        Ok(())
    }

    /// Adds every factory of `other`; fails on the first duplicate name.
    pub fn merge(&mut self, other: Registry) -> Result<(), PluginError> {
        for (name, f) in other.factories {
            if self.factories.contains_key(&name) {
                return Err(PluginError::Duplicate(name));
            }
            self.factories.insert(name, f);
        }
        Ok(())
    }

    /// Removes a factory.
    pub fn unregister(&mut self, name: &str) -> Option<PluginFactory> {
        self.factories.remove(name)
    }

    /// The factory for `name`.
    pub fn get(&self, name: &str) -> Option<&PluginFactory> {
        self.factories.get(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// Builds the plugin `name`.
    pub fn build(
        &self,
        name: &str,
        args: Option<&serde_json::Value>,
        handle: &Handle,
    ) -> Result<Arc<dyn Plugin>, PluginError> {
        let f = self.get(name).ok_or_else(|| PluginError::NotFound(name.to_string()))?;
        f(args, handle)
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);
    impl Plugin for Named {
        fn name(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn merge_rejects_duplicates_and_builds() {
        let mut a = Registry::new();
        a.register("A", |_, _| Ok(Arc::new(Named("A")) as Arc<dyn Plugin>)).expect("new");
        let mut b = Registry::new();
        b.register("B", |_, _| Ok(Arc::new(Named("B")) as Arc<dyn Plugin>)).expect("new");
        a.merge(b).expect("disjoint");
        assert_eq!(a.names().collect::<Vec<_>>(), ["A", "B"]);
        let mut dup = Registry::new();
        dup.register("A", |_, _| Ok(Arc::new(Named("A")) as Arc<dyn Plugin>)).expect("new");
        assert!(matches!(a.merge(dup), Err(PluginError::Duplicate(n)) if n == "A"));
        let p = a.build("B", None, &Handle::default()).expect("built");
        assert_eq!(p.name(), "B");
        assert!(matches!(a.build("C", None, &Handle::default()), Err(PluginError::NotFound(_))));
    }

    #[derive(serde::Deserialize, Default, Debug, PartialEq)]
    struct Args {
        x: i32,
    }

    #[test]
    fn decode_args_defaults_and_reports_errors() {
        assert_eq!(decode_args::<Args>("P", None).expect("default"), Args { x: 0 });
        let v = serde_json::json!({"x": 3});
        assert_eq!(decode_args::<Args>("P", Some(&v)).expect("decodes"), Args { x: 3 });
        let bad = serde_json::json!({"x": "no"});
        assert!(matches!(decode_args::<Args>("P", Some(&bad)), Err(PluginError::Args { .. })));
    }
}
