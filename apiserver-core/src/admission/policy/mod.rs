//! ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (`admissionregistration.k8s.io/v1`): CEL validations over `object`, `oldObject`, `request`, `params`, `namespaceObject` and `variables`, matched by the policy's `matchConstraints` and the binding's `matchResources`, with `matchConditions`, `paramKind`/`paramRef`, `failurePolicy` and the binding's `validationActions` (Deny, Warn, Audit).
//!
//! `Audit` failures become the audit annotation
//! `validation.policy.admission.k8s.io/validation_failure`. Policies and bindings are
//! read from their watch caches on each request (no store read); compiled expressions
//! are cached by their text.

pub mod cel;

use async_trait::async_trait;
use capstan_api_types::catalogue;
use http::StatusCode;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};
use serde_json::{Value, json};

use self::cel::{Activation, CelError, ProgramCache, variables_value};
use super::lookup::Caches;
use super::matching::{labels_of, match_resources, operation_name, selector};
use super::util::{meta, object_name};
use crate::server::admission::{
    AdmissionAttributes, Operation, ValidatingAdmission, add_audit_annotation, add_warning,
};
use crate::status::{ApiError, StatusReason};

/// The API group of policies and bindings.
pub const GROUP: &str = "admissionregistration.k8s.io";

/// The ValidatingAdmissionPolicy plugin.
#[derive(Debug, Clone)]
pub struct PolicyAdmission {
    caches: Caches,
    programs: ProgramCache,
}

/// One failed validation or configuration problem of one binding.
#[derive(Debug, Clone, PartialEq)]
struct Failure {
    message: String,
    reason: StatusReason,
    /// The index of the failed validation (`None`: a configuration or evaluation error).
    index: Option<usize>,
}

fn str_list(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The `request` variable: Kubernetes' `AdmissionRequest` fields.
pub fn request_value(attrs: &AdmissionAttributes<'_>, object: &Value) -> Value {
    let info = attrs.info;
    let version = if info.api_version.is_empty() {
        attrs.kind.version.clone()
    } else {
        info.api_version.clone()
    };
    let kind =
        json!({"group": attrs.kind.group, "version": attrs.kind.version, "kind": attrs.kind.kind});
    let resource = json!({"group": info.api_group, "version": version, "resource": info.resource});
    json!({
        "kind": kind,
        "resource": resource,
        "subResource": info.subresource,
        "requestKind": kind,
        "requestResource": resource,
        "requestSubResource": info.subresource,
        "name": object_name(attrs, object),
        "namespace": if info.namespace.is_empty() { meta(object, "namespace") } else { info.namespace.as_str() },
        "operation": operation_name(attrs.operation),
        "userInfo": {
            "username": attrs.user.name,
            "uid": attrs.user.uid,
            "groups": attrs.user.groups,
            "extra": attrs.user.extra,
        },
        "dryRun": attrs.dry_run,
    })
}

fn reason_of(validation: &Value) -> StatusReason {
    match validation.get("reason").and_then(Value::as_str) {
        Some("Unauthorized") => StatusReason::Unauthorized,
        Some("Forbidden") => StatusReason::Forbidden,
        Some("RequestEntityTooLarge") => StatusReason::RequestEntityTooLarge,
        _ => StatusReason::Invalid,
    }
}

fn code_of(reason: StatusReason) -> StatusCode {
    match reason {
        StatusReason::Unauthorized => StatusCode::UNAUTHORIZED,
        StatusReason::Forbidden => StatusCode::FORBIDDEN,
        StatusReason::RequestEntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl PolicyAdmission {
    /// The plugin over `caches` (policies, bindings, params and namespaces come from
    /// their watch caches).
    pub fn new(caches: Caches) -> Self {
        PolicyAdmission { caches, programs: ProgramCache::default() }
    }

    /// The param objects a binding names (`None`: the policy has no `paramKind`).
    async fn params(
        &self,
        policy: &Value,
        binding: &Value,
        attrs: &AdmissionAttributes<'_>,
    ) -> Result<Option<Vec<Value>>, String> {
        let Some(kind) = policy.pointer("/spec/paramKind") else { return Ok(None) };
        let api_version = kind.get("apiVersion").and_then(Value::as_str).unwrap_or("v1");
        let kind_name = kind.get("kind").and_then(Value::as_str).unwrap_or("");
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let Some(info) = catalogue::by_group_kind(group, kind_name) else {
            return Err(format!(
                "failed to configure policy: failed to find resource referenced by paramKind: '{api_version}, Kind={kind_name}'"
            ));
        };
        let Some(param_ref) = binding.pointer("/spec/paramRef") else {
            return Err(
                "failed to configure binding: paramRef is required when paramKind is set".into()
            );
        };
        let namespace = match param_ref.get("namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() => ns.to_string(),
            _ if info.namespaced() => attrs.info.namespace.clone(),
            _ => String::new(),
        };
        if info.namespaced() && namespace.is_empty() {
            return Err("failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources".into());
        }
        let found: Vec<Value> = match param_ref.get("name").and_then(Value::as_str) {
            Some(name) if !name.is_empty() => {
                self.caches.get(info.group, info.plural, &namespace, name).into_iter().collect()
            }
            _ => {
                let sel = selector(param_ref.get("selector"));
                let ns = info.namespaced().then_some(namespace.as_str());
                let (items, _) = self.caches.list(info.group, info.plural, ns).await;
                items.iter().filter(|p| sel.matches(&labels_of(Some(p)))).cloned().collect()
            }
        };
        let action =
            param_ref.get("parameterNotFoundAction").and_then(Value::as_str).unwrap_or("Deny");
        if found.is_empty() && action != "Allow" {
            return Err("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction".into());
        }
        Ok(Some(found))
    }

    /// Evaluates one policy's validations for one param (or none): the failures.
    fn evaluate(
        &self,
        policy: &Value,
        base: &Activation,
        param: Option<&Value>,
    ) -> Result<Vec<Failure>, String> {
        let mut act = base.clone();
        act.set("params", param.unwrap_or(&Value::Null));
        // variables, in order, each seeing the earlier ones.
        let mut vars = Vec::new();
        for v in policy.pointer("/spec/variables").and_then(Value::as_array).into_iter().flatten() {
            let name = v.get("name").and_then(Value::as_str).unwrap_or("");
            let expr = v.get("expression").and_then(Value::as_str).unwrap_or("");
            act.set_cel("variables", variables_value(&vars));
            let program = self.programs.get(expr).map_err(|e| e.to_string())?;
            let value = act.eval(&program).map_err(|e| format!("variable '{name}': {e}"))?;
            vars.push((name.to_string(), value));
        }
        act.set_cel("variables", variables_value(&vars));
        for cond in
            policy.pointer("/spec/matchConditions").and_then(Value::as_array).into_iter().flatten()
        {
            let expr = cond.get("expression").and_then(Value::as_str).unwrap_or("");
            let program = self.programs.get(expr).map_err(|e| e.to_string())?;
            match act.eval_bool(&program) {
                Ok(true) => {}
                Ok(false) => return Ok(Vec::new()),
                Err(e) => {
                    return Err(format!(
                        "matchCondition '{}': {e}",
                        cond.get("name").and_then(Value::as_str).unwrap_or("")
                    ));
                }
            }
        }
        let mut failures = Vec::new();
        let validations = policy.pointer("/spec/validations").and_then(Value::as_array);
        for (index, validation) in validations.into_iter().flatten().enumerate() {
            let expr = validation.get("expression").and_then(Value::as_str).unwrap_or("");
            let result = self.programs.get(expr).and_then(|p| act.eval_bool(&p));
            match result {
                Ok(true) => {}
                Ok(false) => {
                    let from_expression = validation
                        .get("messageExpression")
                        .and_then(Value::as_str)
                        .and_then(|m| self.programs.get(m).ok())
                        .and_then(|p| act.eval_string(&p).ok())
                        .filter(|m| !m.trim().is_empty());
                    let message = from_expression
                        .or_else(|| {
                            validation
                                .get("message")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                                .filter(|m| !m.is_empty())
                        })
                        .unwrap_or_else(|| format!("failed expression: {expr}"));
                    failures.push(Failure {
                        message,
                        reason: reason_of(validation),
                        index: Some(index),
                    });
                }
                Err(CelError::Compile(e)) => return Err(format!("compilation error: {e}")),
                Err(e) => return Err(format!("expression '{expr}' resulted in error: {e}")),
            }
        }
        Ok(failures)
    }
}

#[async_trait]
impl ValidatingAdmission for PolicyAdmission {
    fn name(&self) -> &str {
        "ValidatingAdmissionPolicy"
    }

    async fn validate(
        &self,
        attrs: &AdmissionAttributes<'_>,
        object: &Value,
    ) -> Result<(), ApiError> {
        // Admission configuration itself is never subject to policies.
        if attrs.info.api_group == GROUP {
            return Ok(());
        }
        let (bindings, _) =
            self.caches.list(GROUP, "validatingadmissionpolicybindings", None).await;
        if bindings.is_empty() {
            return Ok(());
        }
        let (policies, _) = self.caches.list(GROUP, "validatingadmissionpolicies", None).await;
        let namespace = if attrs.info.namespace.is_empty() {
            meta(object, "namespace")
        } else {
            attrs.info.namespace.as_str()
        };
        let namespace_object = if namespace.is_empty() || attrs.info.resource == "namespaces" {
            None
        } else {
            self.caches.namespace(namespace).await
        };
        // A delete is admitted with the old object: `object` is null, `oldObject` is it.
        let (new, old) = match attrs.operation {
            Operation::Delete => (Value::Null, Some(object.clone())),
            _ => (object.clone(), attrs.old_object.cloned()),
        };
        let mut base = Activation::new();
        base.set("object", &new);
        base.set("oldObject", old.as_ref().unwrap_or(&Value::Null));
        base.set("request", &request_value(attrs, object));
        base.set("namespaceObject", namespace_object.as_ref().unwrap_or(&Value::Null));
        let mut audited = Vec::new();
        for binding in bindings.iter() {
            let policy_name =
                binding.pointer("/spec/policyName").and_then(Value::as_str).unwrap_or("");
            let Some(policy) = policies.iter().find(|p| meta(p, "name") == policy_name) else {
                continue;
            };
            let constraints =
                policy.pointer("/spec/matchConstraints").cloned().unwrap_or(json!({}));
            if !match_resources(&constraints, attrs, object, namespace_object.as_ref()) {
                continue;
            }
            if let Some(resources) = binding.pointer("/spec/matchResources")
                && !match_resources(resources, attrs, object, namespace_object.as_ref())
            {
                continue;
            }
            let binding_name = meta(binding, "name");
            let actions = str_list(
                &binding.pointer("/spec").cloned().unwrap_or(Value::Null),
                "validationActions",
            );
            let fail_closed =
                policy.pointer("/spec/failurePolicy").and_then(Value::as_str) != Some("Ignore");
            let outcome = match self.params(policy, binding, attrs).await {
                Ok(None) => self.evaluate(policy, &base, None),
                Ok(Some(params)) => {
                    let mut all = Vec::new();
                    let mut error = None;
                    for p in &params {
                        match self.evaluate(policy, &base, Some(p)) {
                            Ok(f) => all.extend(f),
                            Err(e) => {
                                error = Some(e);
                                break;
                            }
                        }
                    }
                    error.map_or(Ok(all), Err)
                }
                Err(e) => Err(e),
            };
            let failures = match outcome {
                Ok(f) => f,
                Err(_) if !fail_closed => continue,
                Err(e) => vec![Failure { message: e, reason: StatusReason::Invalid, index: None }],
            };
            for failure in failures {
                if actions.iter().any(|a| a == "Audit") {
                    let mut entry = json!({"message": failure.message, "policy": policy_name,
                        "binding": binding_name, "validationActions": actions});
                    if let Some(i) = failure.index {
                        entry["expressionIndex"] = json!(i);
                    }
                    audited.push(entry);
                    add_audit_annotation(
                        "validation.policy.admission.k8s.io/validation_failure",
                        Value::Array(audited.clone()).to_string(),
                    );
                }
                if actions.iter().any(|a| a == "Warn") {
                    add_warning(format!(
                        "Validation failed for ValidatingAdmissionPolicy '{policy_name}' with binding '{binding_name}': {}",
                        failure.message
                    ));
                }
                if actions.iter().any(|a| a == "Deny") {
                    let message = format!(
                        "ValidatingAdmissionPolicy '{policy_name}' with binding '{binding_name}' denied request: {}",
                        failure.message
                    );
                    let details = StatusDetails {
                        group: (!attrs.info.api_group.is_empty())
                            .then(|| attrs.info.api_group.clone()),
                        kind: Some(attrs.info.resource.clone()),
                        name: Some(object_name(attrs, object).to_string())
                            .filter(|n| !n.is_empty()),
                        causes: Some(vec![StatusCause {
                            message: Some(message.clone()),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    };
                    return Err(ApiError::new(
                        code_of(failure.reason),
                        failure.reason,
                        message,
                        Some(details),
                    ));
                }
            }
        }
        Ok(())
    }
}
