//! Admission stages: the [`MutatingAdmission`] and [`ValidatingAdmission`] traits and the chain the write handlers run.

use std::sync::Arc;

use async_trait::async_trait;
use capstan_api_types::GroupVersionKind;
use serde_json::Value;

use super::auth::UserInfo;
use crate::request::RequestInfo;
use crate::status::ApiError;

tokio::task_local! {
    /// The warnings admission plugins added during the current request.
    static WARNINGS: parking_lot::Mutex<Vec<String>>;
}

/// Adds a warning to the current request's response (a `Warning: 299` header), as
/// Kubernetes' admission plugins do (PodSecurity `warn`, policies with `Warn`,
/// webhook warnings). Outside a request the warning is dropped; repeats are kept once.
pub fn add_warning(message: impl Into<String>) {
    let message = message.into();
    let _ = WARNINGS.try_with(|w| {
        let mut w = w.lock();
        if !w.contains(&message) {
            w.push(message);
        }
    });
}

/// Runs `future` (one request) and returns what it answered with the warnings added by
/// [`add_warning`] while it ran.
pub async fn collect_warnings<F: std::future::Future>(future: F) -> (F::Output, Vec<String>) {
    WARNINGS
        .scope(parking_lot::Mutex::new(Vec::new()), async move {
            let out = future.await;
            let warnings = WARNINGS.with(|w| std::mem::take(&mut *w.lock()));
            (out, warnings)
        })
        .await
}

tokio::task_local! {
    /// The audit annotations admission plugins added during the current request.
    static AUDIT_ANNOTATIONS: parking_lot::Mutex<Vec<(String, String)>>;
}

/// Adds an annotation to the current request's audit event (PodSecurity `audit`,
/// policies with `Audit`). Dropped when the request is not audited.
pub fn add_audit_annotation(key: impl Into<String>, value: impl Into<String>) {
    let _ = AUDIT_ANNOTATIONS.try_with(|a| {
        // Converted only when audited: unaudited requests allocate nothing here.
        let (key, value) = (key.into(), value.into());
        let mut a = a.lock();
        a.retain(|(k, _)| *k != key);
        a.push((key, value));
    });
}

/// Runs `future` (one request) and returns what it answered with the audit annotations
/// added by [`add_audit_annotation`] while it ran.
pub async fn collect_audit_annotations<F: std::future::Future>(
    future: F,
) -> (F::Output, Vec<(String, String)>) {
    AUDIT_ANNOTATIONS
        .scope(parking_lot::Mutex::new(Vec::new()), async move {
            let out = future.await;
            let annotations = AUDIT_ANNOTATIONS.with(|a| std::mem::take(&mut *a.lock()));
            (out, annotations)
        })
        .await
}

/// The operation being admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A create (including subresource creates such as `pods/binding`).
    Create,
    /// An update or patch.
    Update,
    /// A delete.
    Delete,
}

/// What admission plugins see of a request.
#[derive(Debug, Clone, Copy)]
pub struct AdmissionAttributes<'a> {
    /// The operation.
    pub operation: Operation,
    /// The parsed request (resource, subresource, namespace, name).
    pub info: &'a RequestInfo,
    /// The requesting user.
    pub user: &'a UserInfo,
    /// The kind of the object being admitted.
    pub kind: &'a GroupVersionKind,
    /// The object before the change (updates and deletes).
    pub old_object: Option<&'a Value>,
    /// Whether the request is a dry run.
    pub dry_run: bool,
}

/// An admission plugin that may change the object.
#[async_trait]
pub trait MutatingAdmission: Send + Sync {
    /// The plugin's name (for errors and logs).
    fn name(&self) -> &str;
    /// Whether the plugin has anything to do for a request like this one (Kubernetes'
    /// `Handles`): the chain calls [`MutatingAdmission::admit`] only when it does, so a
    /// plugin for pods costs other requests nothing. Every request by default.
    fn handles(&self, _attrs: &AdmissionAttributes<'_>) -> bool {
        true
    }
    /// Admits (and possibly changes) `object`; an error refuses the request.
    async fn admit(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &mut Value,
    ) -> Result<(), ApiError>;
}

/// An admission plugin that only accepts or refuses.
#[async_trait]
pub trait ValidatingAdmission: Send + Sync {
    /// The plugin's name (for errors and logs).
    fn name(&self) -> &str;
    /// Whether the plugin has anything to do for a request like this one: the chain
    /// calls [`ValidatingAdmission::validate`] only when it does. Every request by
    /// default.
    fn handles(&self, _attrs: &AdmissionAttributes<'_>) -> bool {
        true
    }
    /// Accepts or refuses `object`.
    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError>;
}

/// The admission chain: mutating plugins in order, then validating plugins in order.
/// Empty by default.
#[derive(Clone, Default)]
pub struct AdmissionChain {
    mutating: Vec<Arc<dyn MutatingAdmission>>,
    validating: Vec<Arc<dyn ValidatingAdmission>>,
}

impl std::fmt::Debug for AdmissionChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionChain")
            .field(
                "mutating",
                &self.mutating.iter().map(|p| p.name().to_string()).collect::<Vec<_>>(),
            )
            .field(
                "validating",
                &self.validating.iter().map(|p| p.name().to_string()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl AdmissionChain {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a mutating plugin.
    pub fn with_mutating(mut self, plugin: Arc<dyn MutatingAdmission>) -> Self {
        self.mutating.push(plugin);
        self
    }

    /// Appends a validating plugin.
    pub fn with_validating(mut self, plugin: Arc<dyn ValidatingAdmission>) -> Self {
        self.validating.push(plugin);
        self
    }

    /// The mutating plugins, in order.
    pub fn mutating(&self) -> &[Arc<dyn MutatingAdmission>] {
        &self.mutating
    }

    /// The validating plugins, in order.
    pub fn validating(&self) -> &[Arc<dyn ValidatingAdmission>] {
        &self.validating
    }

    /// Whether the chain has no plugins.
    pub fn is_empty(&self) -> bool {
        self.mutating.is_empty() && self.validating.is_empty()
    }

    /// Runs every mutating plugin that [handles](MutatingAdmission::handles) the request
    /// over `object`.
    pub async fn admit(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        for plugin in self.mutating.iter().filter(|p| p.handles(attrs)) {
            plugin.admit(attrs, object).await?;
        }
        Ok(())
    }

    /// Runs every validating plugin that [handles](ValidatingAdmission::handles) the
    /// request over `object`.
    pub async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        for plugin in self.validating.iter().filter(|p| p.handles(attrs)) {
            plugin.validate(attrs, object).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::request::Query;

    /// Counts its calls; handles pods only.
    #[derive(Default)]
    struct PodsOnly {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl MutatingAdmission for PodsOnly {
        fn name(&self) -> &str {
            "PodsOnly"
        }

        fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
            attrs.info.resource == "pods"
        }

        async fn admit(&self, _: &AdmissionAttributes<'_>, _: &mut Value) -> Result<(), ApiError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    #[async_trait]
    impl ValidatingAdmission for PodsOnly {
        fn name(&self) -> &str {
            "PodsOnly"
        }

        fn handles(&self, attrs: &AdmissionAttributes<'_>) -> bool {
            attrs.info.resource == "pods"
        }

        async fn validate(&self, _: &AdmissionAttributes<'_>, _: &Value) -> Result<(), ApiError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_chain_calls_only_plugins_that_handle_the_request() {
        let plugin = Arc::new(PodsOnly::default());
        let chain =
            AdmissionChain::new().with_mutating(plugin.clone()).with_validating(plugin.clone());
        let user = UserInfo::new("someone", Vec::<String>::new());
        let kind = GroupVersionKind::new("", "v1", "ConfigMap");
        for (path, calls) in
            [("/api/v1/namespaces/a/configmaps", 0), ("/api/v1/namespaces/a/pods", 2)]
        {
            let info = RequestInfo::parse(&http::Method::POST, path, &Query::default())
                .expect("a resource path");
            let attrs = AdmissionAttributes {
                operation: Operation::Create,
                info: &info,
                user: &user,
                kind: &kind,
                old_object: None,
                dry_run: false,
            };
            let mut object = Value::Null;
            chain.admit(&attrs, &mut object).await.expect("admitted");
            chain.validate(&attrs, &object).await.expect("valid");
            assert_eq!(plugin.calls.load(Ordering::Relaxed), calls, "{path}");
        }
    }
}
