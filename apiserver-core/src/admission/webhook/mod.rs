//! MutatingAdmissionWebhook and ValidatingAdmissionWebhook: the webhooks of every `MutatingWebhookConfiguration` / `ValidatingWebhookConfiguration` (read from their watch caches, configurations in name order) whose `rules`, `namespaceSelector`, `objectSelector` and `matchConditions` match are called with an AdmissionReview v1 over HTTPS.
//!
//! Mutating webhooks run in order and their JSON patches are applied; a webhook with
//! `reinvocationPolicy: IfNeeded` is called once more when a later webhook changed the
//! object. Validating webhooks run concurrently. `failurePolicy` (default `Fail`)
//! decides about unreachable, slow (`timeoutSeconds`, default 10) or invalid webhooks;
//! a dry run is refused by webhooks whose `sideEffects` are not `None`/`NoneOnDryRun`.
//! Warnings reach the client. Objects of `admissionregistration.k8s.io` are never sent
//! to webhooks.

pub mod client;
pub mod review;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use self::client::{CallError, ServiceResolver, call};
use self::review::{denied, review_request, verdict};
use super::lookup::Caches;
use super::matching::{namespace_selector_matches, object_selector_matches, rule_matches};
use super::policy::cel::{Activation, ProgramCache};
use super::policy::{GROUP, request_value};
use super::util::meta;
use crate::server::admission::{
    AdmissionAttributes, MutatingAdmission, Operation, ValidatingAdmission, add_warning,
};
use crate::server::ids;
use crate::status::ApiError;

/// Which configurations a dispatcher follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// `mutatingwebhookconfigurations`.
    Mutating,
    /// `validatingwebhookconfigurations`.
    Validating,
}

impl WebhookKind {
    fn plural(self) -> &'static str {
        match self {
            WebhookKind::Mutating => "mutatingwebhookconfigurations",
            WebhookKind::Validating => "validatingwebhookconfigurations",
        }
    }
}

/// The webhook plugin of one kind.
#[derive(Clone)]
pub struct Webhooks {
    kind: WebhookKind,
    caches: Caches,
    resolver: Arc<dyn ServiceResolver>,
    programs: ProgramCache,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").field("kind", &self.kind).finish_non_exhaustive()
    }
}

fn fails_closed(hook: &Value) -> bool {
    hook.get("failurePolicy").and_then(Value::as_str) != Some("Ignore")
}

fn hook_name(hook: &Value) -> &str {
    hook.get("name").and_then(Value::as_str).unwrap_or("")
}

impl Webhooks {
    /// The plugin following configurations of `kind` through `caches`; `service`
    /// references are reached through `resolver`.
    pub fn new(kind: WebhookKind, caches: Caches, resolver: Arc<dyn ServiceResolver>) -> Self {
        Webhooks { kind, caches, resolver, programs: ProgramCache::default() }
    }

    /// Every webhook of every configuration, configurations in name order (the cache
    /// lists cluster-scoped objects by name).
    async fn hooks(&self) -> Vec<Value> {
        let (configs, _) = self.caches.list(GROUP, self.kind.plural(), None).await;
        configs
            .iter()
            .flat_map(|c| c.get("webhooks").and_then(Value::as_array).cloned().unwrap_or_default())
            .collect()
    }

    /// Whether `hook` applies to the request (an error: a matchCondition failed to
    /// evaluate under `failurePolicy: Fail`).
    async fn matches(
        &self,
        hook: &Value,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<bool, ApiError> {
        let rules = hook.get("rules").and_then(Value::as_array);
        if !rules.into_iter().flatten().any(|r| rule_matches(r, attrs)) {
            return Ok(false);
        }
        let namespace = if attrs.info.namespace.is_empty() {
            meta(object, "namespace")
        } else {
            &attrs.info.namespace
        };
        let ns_object =
            if namespace.is_empty() { None } else { self.caches.namespace(namespace).await };
        if !namespace_selector_matches(
            hook.get("namespaceSelector"),
            attrs,
            object,
            ns_object.as_ref(),
        ) {
            return Ok(false);
        }
        let (new, old) = match attrs.operation {
            Operation::Delete => (&Value::Null, Some(object)),
            _ => (object, attrs.old_object),
        };
        if !object_selector_matches(hook.get("objectSelector"), new, old) {
            return Ok(false);
        }
        let conditions = hook.get("matchConditions").and_then(Value::as_array);
        let Some(conditions) = conditions.filter(|c| !c.is_empty()) else { return Ok(true) };
        let mut act = Activation::new();
        act.set("object", new);
        act.set("oldObject", old.unwrap_or(&Value::Null));
        act.set("request", &request_value(attrs, object));
        for cond in conditions {
            let expr = cond.get("expression").and_then(Value::as_str).unwrap_or("");
            match self.programs.get(expr).and_then(|p| act.eval_bool(&p)) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(_) if !fails_closed(hook) => return Ok(false),
                Err(e) => {
                    return Err(ApiError::internal(format!(
                        "failed calling webhook {:?}: matchCondition {:?}: {e}",
                        hook_name(hook),
                        cond.get("name").and_then(Value::as_str).unwrap_or("")
                    )));
                }
            }
        }
        Ok(true)
    }

    /// Calls one webhook. `Ok(None)`: ignored after a failure (`failurePolicy: Ignore`).
    async fn invoke(
        &self,
        hook: &Value,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<Option<review::Verdict>, ApiError> {
        let name = hook_name(hook);
        if attrs.dry_run {
            let side_effects = hook.get("sideEffects").and_then(Value::as_str).unwrap_or("Unknown");
            if !matches!(side_effects, "None" | "NoneOnDryRun") {
                return Err(ApiError::bad_request(format!(
                    "admission webhook {name:?} does not support dry run"
                )));
            }
        }
        let uid = ids::new_uid();
        let body = review_request(&uid, attrs, object);
        let timeout = hook.get("timeoutSeconds").and_then(Value::as_u64).unwrap_or(10).clamp(1, 30);
        let client_config = hook.get("clientConfig").cloned().unwrap_or(Value::Null);
        let answer =
            call(&client_config, self.resolver.as_ref(), &body, Duration::from_secs(timeout))
                .await
                .and_then(|r| verdict(&uid, &r).map_err(CallError::Response));
        match answer {
            Ok(v) => {
                for w in &v.warnings {
                    add_warning(w.clone());
                }
                if !v.allowed {
                    return Err(denied(name, &v.status));
                }
                Ok(Some(v))
            }
            Err(e) if fails_closed(hook) => {
                Err(ApiError::internal(format!("failed calling webhook {name:?}: {e}")))
            }
            Err(e) => {
                tracing::warn!(webhook = name, error = %e, "webhook failed; ignored (failurePolicy Ignore)");
                Ok(None)
            }
        }
    }
}

fn exempt(attrs: &AdmissionAttributes<'_>) -> bool {
    attrs.info.api_group == GROUP
}

#[async_trait]
impl MutatingAdmission for Webhooks {
    fn name(&self) -> &str {
        "MutatingAdmissionWebhook"
    }

    async fn admit(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        if self.kind != WebhookKind::Mutating || exempt(attrs) {
            return Ok(());
        }
        let hooks = self.hooks().await;
        // Index of each invoked IfNeeded webhook, and of the last webhook that changed
        // the object.
        let mut reinvocable = Vec::new();
        let mut last_change = None;
        for (i, hook) in hooks.iter().enumerate() {
            if !self.matches(hook, attrs, object).await? {
                continue;
            }
            if hook.get("reinvocationPolicy").and_then(Value::as_str) == Some("IfNeeded") {
                reinvocable.push(i);
            }
            if self.apply(hook, attrs, object).await? {
                last_change = Some(i);
            }
        }
        if let Some(changed) = last_change {
            for i in reinvocable.into_iter().filter(|i| *i < changed) {
                if self.matches(&hooks[i], attrs, object).await? {
                    self.apply(&hooks[i], attrs, object).await?;
                }
            }
        }
        Ok(())
    }
}

impl Webhooks {
    /// Calls a mutating webhook and applies its patch; whether the object changed.
    async fn apply(
        &self,
        hook: &Value,
        attrs: &AdmissionAttributes<'_>,
        object: &mut Value,
    ) -> Result<bool, ApiError> {
        let Some(verdict) = self.invoke(hook, attrs, object).await? else { return Ok(false) };
        let Some(patch) = verdict.patch else { return Ok(false) };
        let mut patched = object.clone();
        json_patch::patch(&mut patched, &patch).map_err(|e| {
            ApiError::internal(format!(
                "failed calling webhook {:?}: the JSON patch does not apply: {e}",
                hook_name(hook)
            ))
        })?;
        if patched == *object {
            return Ok(false);
        }
        *object = patched;
        Ok(true)
    }
}

#[async_trait]
impl ValidatingAdmission for Webhooks {
    fn name(&self) -> &str {
        "ValidatingAdmissionWebhook"
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        if self.kind != WebhookKind::Validating || exempt(attrs) {
            return Ok(());
        }
        let mut matching = Vec::new();
        for hook in self.hooks().await {
            if self.matches(&hook, attrs, object).await? {
                matching.push(hook);
            }
        }
        let results =
            futures::future::join_all(matching.iter().map(|h| self.invoke(h, attrs, object))).await;
        for r in results {
            r?;
        }
        Ok(())
    }
}
