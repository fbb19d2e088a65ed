//! Pod failure policy: the first rule matching a failed pod (its containers' exit codes
//! or its conditions) decides whether the failure fails the Job, is ignored or counts.

use k8s_openapi::api::batch::v1::{PodFailurePolicy, PodFailurePolicyRule};
use k8s_openapi::api::core::v1::Pod;

/// What a failed pod does to its Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureAction {
    /// Fail the Job at once; the message names the rule.
    FailJob(String),
    /// Do not count the failure toward `backoffLimit`.
    Ignore,
    /// Count it (the default when no rule matches).
    Count,
}

/// The action for the failed `pod` under `policy`.
pub fn evaluate(policy: Option<&PodFailurePolicy>, pod: &Pod) -> FailureAction {
    let Some(policy) = policy else { return FailureAction::Count };
    for (i, rule) in policy.rules.iter().enumerate() {
        if let Some(why) = matches(rule, pod) {
            return match rule.action.as_str() {
                "FailJob" => FailureAction::FailJob(format!(
                    "Pod {} has {why} matching FailJob rule at index {i}",
                    pod.metadata.name.as_deref().unwrap_or_default()
                )),
                "Ignore" => FailureAction::Ignore,
                _ => FailureAction::Count,
            };
        }
    }
    FailureAction::Count
}

fn matches(rule: &PodFailurePolicyRule, pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    if let Some(req) = &rule.on_exit_codes {
        let containers = status
            .container_statuses
            .iter()
            .flatten()
            .chain(status.init_container_statuses.iter().flatten());
        for c in containers {
            if req.container_name.as_deref().is_some_and(|n| n != c.name) {
                continue;
            }
            let Some(code) =
                c.state.as_ref().and_then(|s| s.terminated.as_ref()).map(|t| t.exit_code)
            else {
                continue;
            };
            let hit = match req.operator.as_str() {
                "In" => req.values.contains(&code),
                "NotIn" => code != 0 && !req.values.contains(&code),
                _ => false,
            };
            if hit {
                return Some(format!("container {} failed with exit code {code}", c.name));
            }
        }
    }
    for pattern in rule.on_pod_conditions.iter().flatten() {
        let hit = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == pattern.type_ && c.status == pattern.status);
        if hit {
            return Some(format!("condition {}", pattern.type_));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::{
        PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyOnPodConditionsPattern,
    };
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStatus, PodCondition, PodStatus,
    };

    fn failed(code: i32, condition: Option<&str>) -> Pod {
        Pod {
            status: Some(PodStatus {
                phase: Some("Failed".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "main".into(),
                    state: Some(ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            exit_code: code,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                conditions: condition.map(|t| {
                    vec![PodCondition {
                        type_: t.into(),
                        status: "True".into(),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn policy() -> PodFailurePolicy {
        PodFailurePolicy {
            rules: vec![
                PodFailurePolicyRule {
                    action: "Ignore".into(),
                    on_pod_conditions: Some(vec![PodFailurePolicyOnPodConditionsPattern {
                        type_: "DisruptionTarget".into(),
                        status: "True".into(),
                    }]),
                    ..Default::default()
                },
                PodFailurePolicyRule {
                    action: "FailJob".into(),
                    on_exit_codes: Some(PodFailurePolicyOnExitCodesRequirement {
                        container_name: Some("main".into()),
                        operator: "In".into(),
                        values: vec![42],
                    }),
                    ..Default::default()
                },
                PodFailurePolicyRule {
                    action: "Count".into(),
                    on_exit_codes: Some(PodFailurePolicyOnExitCodesRequirement {
                        container_name: None,
                        operator: "NotIn".into(),
                        values: vec![1],
                    }),
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn first_matching_rule_wins() {
        let p = policy();
        assert!(
            matches!(evaluate(Some(&p), &failed(42, None)), FailureAction::FailJob(m) if m.contains("exit code 42"))
        );
        assert_eq!(
            evaluate(Some(&p), &failed(42, Some("DisruptionTarget"))),
            FailureAction::Ignore
        );
        assert_eq!(evaluate(Some(&p), &failed(1, None)), FailureAction::Count);
        assert_eq!(evaluate(None, &failed(42, None)), FailureAction::Count);
    }
}
