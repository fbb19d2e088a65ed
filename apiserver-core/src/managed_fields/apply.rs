//! Server-side apply: merge the applied configuration into the live object, prune what the applier stopped applying, detect conflicts, record ownership.

use serde_json::Value;

use super::conflicts::Conflicts;
use super::fieldset::FieldSet;
use super::managers::{DecodeError, Entry, Identity, ManagedFields, Operation};
use super::merge::{merge, remove_items};
use super::schema::Node;
use super::update::{record, set_managed_fields, take_changed};
use super::walk::{WalkError, compare, to_field_set};
use super::{LAST_APPLIED_ANNOTATION, skeleton, strip_set};

/// The manager whose applies upgrade client-side apply's annotation.
const KUBECTL: &str = "kubectl";

/// The manager recorded for the fields of an untracked object at its first apply.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// One apply request.
#[derive(Debug, Clone, Copy)]
pub struct ApplyInput<'a> {
    /// The applied configuration, decoded, holding only the part of the object the
    /// endpoint writes (no `status` on the main resource, only `status` on `/status`).
    pub config: &'a Value,
    /// The configuration as sent (recorded in kubectl's last-applied annotation).
    pub raw_config: &'a Value,
    /// The field manager.
    pub manager: &'a str,
    /// The API version applied.
    pub api_version: &'a str,
    /// The subresource applied to, empty for the main resource.
    pub subresource: &'a str,
    /// `force=true`: take conflicting fields instead of failing.
    pub force: bool,
    /// The time of the apply (RFC 3339, seconds).
    pub now: &'a str,
}

/// Why an apply failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The apply would change fields other managers own (`409`).
    #[error("{}", .0.message())]
    Conflicts(Conflicts),
    /// The configuration sets `metadata.managedFields` (`400`).
    #[error("metadata.managedFields must be nil")]
    ManagedFieldsInConfig,
    /// The live object's managed fields are corrupt (`500`).
    #[error("failed to decode managed fields: {0}")]
    Decode(#[from] DecodeError),
    /// A list element of the configuration or the live object has no identity (`500`).
    #[error("{0}")]
    Walk(#[from] WalkError),
}

/// Applies `input` to `live` (for a create, an object with only `apiVersion` and
/// `kind`) and returns the new object with its `metadata.managedFields`.
pub fn apply(live: &Value, input: &ApplyInput<'_>, node: &Node) -> Result<Value, ApplyError> {
    let config_managed = input.raw_config.pointer("/metadata/managedFields");
    if config_managed.is_some_and(|v| !v.is_null()) {
        return Err(ApplyError::ManagedFieldsInConfig);
    }
    let mut managers = ManagedFields::decode(live.pointer("/metadata/managedFields"))?;
    if managers.is_empty() {
        // The fields of an untracked object belong to whoever set them before.
        let id = Identity::new(
            BEFORE_FIRST_APPLY,
            Operation::Update,
            input.api_version,
            input.subresource,
        );
        record(&mut managers, &skeleton(live), live, &id, input.api_version, input.now, node)?;
    }
    let id = Identity::new(input.manager, Operation::Apply, input.api_version, input.subresource);
    let (mut object, mut managers) =
        match apply_once(live, input, managers.clone(), &id, input.force, node)? {
            Ok(done) => done,
            Err(conflicts) if input.manager == KUBECTL && !input.force => {
                // Fields client-side apply set as the last-applied annotation says are
                // kubectl's own: taking them over is no conflict.
                let allowed = allowed_by_last_applied(live, input.api_version, node);
                let remaining = match &allowed {
                    Some(allowed) => conflicts.without(allowed),
                    None => conflicts,
                };
                if !remaining.is_empty() {
                    return Err(ApplyError::Conflicts(remaining));
                }
                match apply_once(live, input, managers, &id, true, node)? {
                    Ok(done) => done,
                    Err(conflicts) => return Err(ApplyError::Conflicts(conflicts)),
                }
            }
            Err(conflicts) => return Err(ApplyError::Conflicts(conflicts)),
        };
    if object != *live
        && let Some(entry) = managers.get_mut(&id)
    {
        entry.time = Some(input.now.to_string());
    }
    if input.manager == KUBECTL && has_last_applied(&object) {
        let text = last_applied_text(input.raw_config);
        if let Some(annotations) =
            object.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
        {
            annotations.insert(LAST_APPLIED_ANNOTATION.into(), Value::String(text));
        }
    }
    set_managed_fields(&mut object, managers.encode());
    Ok(object)
}

type Outcome = Result<(Value, ManagedFields), Conflicts>;

fn apply_once(
    live: &Value,
    input: &ApplyInput<'_>,
    mut managers: ManagedFields,
    id: &Identity,
    force: bool,
    node: &Node,
) -> Result<Outcome, ApplyError> {
    let mut merged = merge(live, input.config, node)?;
    let applied = to_field_set(input.config, node)?;
    let previous = managers.get(id).cloned();
    managers.put(Entry {
        manager: input.manager.to_string(),
        operation: Operation::Apply,
        api_version: input.api_version.to_string(),
        subresource: input.subresource.to_string(),
        time: previous.as_ref().and_then(|p| p.time.clone()),
        set: applied,
    });
    if let Some(last) = previous.map(|p| p.set).filter(|s| !s.is_empty()) {
        // What the applier applied last time and no longer does, unless someone (the
        // applier's new configuration included) still owns it. Only fields and list
        // elements go: an object the applier owned as a whole stays for the fields
        // others set in it, and goes only once emptied.
        let orphaned =
            to_field_set(&merged, node)?.intersection(&last).difference(&managers.all_fields());
        remove_items(&mut merged, &orphaned, node)?;
    }
    if let Err(conflicts) = take_changed(live, &merged, &mut managers, Some(id), force, node)? {
        return Ok(Err(conflicts));
    }
    if let Some(entry) = managers.get_mut(id) {
        entry.set = entry.set.difference(strip_set());
    }
    managers.drop_empty();
    Ok(Ok((merged, managers)))
}

fn last_applied(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn has_last_applied(obj: &Value) -> bool {
    last_applied(obj).is_some()
}

/// The fields client-side apply last applied whose values the live object still has.
fn allowed_by_last_applied(live: &Value, api_version: &str, node: &Node) -> Option<FieldSet> {
    let previous: Value = serde_json::from_str(last_applied(live)?).ok()?;
    if previous.get("apiVersion").and_then(Value::as_str) != Some(api_version) {
        return None;
    }
    let set = to_field_set(&previous, node).ok()?;
    let comparison = compare(&previous, live, node).ok()?;
    Some(
        set.difference(&comparison.modified)
            .difference(&comparison.added)
            .difference(&comparison.removed),
    )
}

/// The configuration as the last-applied annotation holds it: JSON without the
/// annotation itself, newline-terminated.
fn last_applied_text(config: &Value) -> String {
    let mut config = config.clone();
    if let Some(annotations) =
        config.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
    {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
    let mut text = config.to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::GroupVersionKind;
    use serde_json::json;

    const NOW: &str = "2024-05-06T07:08:09Z";

    fn node() -> Node {
        Node::for_kind(&GroupVersionKind::new("", "v1", "ConfigMap"))
    }

    fn input<'a>(config: &'a Value, manager: &'a str, force: bool) -> ApplyInput<'a> {
        ApplyInput {
            config,
            raw_config: config,
            manager,
            api_version: "v1",
            subresource: "",
            force,
            now: NOW,
        }
    }

    fn config(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "d"}, "data": data})
    }

    fn owners(obj: &Value) -> Vec<(String, String, Value)> {
        obj["metadata"]["managedFields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["manager"].as_str().unwrap().to_string(),
                            e["operation"].as_str().unwrap().to_string(),
                            e["fieldsV1"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn run(live: &Value, steps: &[(&str, Value, bool)]) -> Result<Value, ApplyError> {
        let mut obj = live.clone();
        for (manager, data, force) in steps {
            let c = config(data.clone());
            obj = apply(&obj, &input(&c, manager, *force), &node())?;
        }
        Ok(obj)
    }

    fn empty() -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap"})
    }

    #[test]
    fn apply_merges_prunes_and_shares() {
        struct Case {
            name: &'static str,
            steps: Vec<(&'static str, Value, bool)>,
            data: Value,
            owners: Vec<(&'static str, Value)>,
        }
        let cases = vec![
            Case {
                name: "create",
                steps: vec![("a", json!({"x": "1"}), false)],
                data: json!({"x": "1"}),
                owners: vec![("a", json!({"f:data": {"f:x": {}}}))],
            },
            Case {
                name: "disjoint managers",
                steps: vec![("a", json!({"x": "1"}), false), ("b", json!({"y": "2"}), false)],
                data: json!({"x": "1", "y": "2"}),
                owners: vec![
                    ("a", json!({"f:data": {"f:x": {}}})),
                    ("b", json!({"f:data": {"f:y": {}}})),
                ],
            },
            Case {
                name: "a field no longer applied is removed",
                steps: vec![
                    ("a", json!({"x": "1", "y": "2"}), false),
                    ("a", json!({"x": "1"}), false),
                ],
                data: json!({"x": "1"}),
                owners: vec![("a", json!({"f:data": {"f:x": {}}}))],
            },
            Case {
                name: "a field another applier shares stays",
                steps: vec![
                    ("a", json!({"x": "1", "y": "2"}), false),
                    ("b", json!({"y": "2"}), false),
                    ("a", json!({"x": "1"}), false),
                ],
                data: json!({"x": "1", "y": "2"}),
                owners: vec![
                    ("a", json!({"f:data": {"f:x": {}}})),
                    ("b", json!({"f:data": {"f:y": {}}})),
                ],
            },
            Case {
                name: "force takes a field over",
                steps: vec![("a", json!({"x": "1"}), false), ("b", json!({"x": "2"}), true)],
                data: json!({"x": "2"}),
                owners: vec![("b", json!({"f:data": {"f:x": {}}}))],
            },
        ];
        for case in cases {
            let obj = run(&empty(), &case.steps).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(obj["data"], case.data, "{}", case.name);
            let got: Vec<(String, Value)> =
                owners(&obj).into_iter().map(|(m, _, f)| (m, f)).collect();
            let mut got = got;
            got.sort_by(|a, b| a.0.cmp(&b.0));
            let want: Vec<(String, Value)> =
                case.owners.into_iter().map(|(m, f)| (m.to_string(), f)).collect();
            assert_eq!(got, want, "{}", case.name);
        }
    }

    #[test]
    fn conflicts_name_the_owner_and_field() {
        let err =
            run(&empty(), &[("a", json!({"x": "1"}), false), ("b", json!({"x": "2"}), false)])
                .unwrap_err();
        let ApplyError::Conflicts(conflicts) = err else { panic!("expected conflicts, got {err}") };
        assert_eq!(
            conflicts.message(),
            r#"Apply failed with 1 conflict: conflict with "a": .data.x"#
        );
        // The same value is no conflict: ownership is shared.
        let shared =
            run(&empty(), &[("a", json!({"x": "1"}), false), ("b", json!({"x": "1"}), false)]);
        assert_eq!(owners(&shared.unwrap()).len(), 2);
    }

    #[test]
    fn an_update_then_an_apply_of_the_same_field_conflicts() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": "d", "managedFields": [{"manager": "kubectl-client-side-apply",
            "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:a": {}}}}]}, "data": {"a": "1"}});
        let err = run(&live, &[("other", json!({"a": "2"}), false)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a"#
        );
    }

    #[test]
    fn kubectl_takes_over_what_client_side_apply_last_applied() {
        let last = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "d",
            "annotations": {}}, "data": {"a": "1"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": "d",
                "annotations": {LAST_APPLIED_ANNOTATION: format!("{last}\n")},
                "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
                "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}}}}]},
            "data": {"a": "1"}});
        let c = config(json!({"a": "2"}));
        let obj = apply(&live, &input(&c, KUBECTL, false), &node()).unwrap();
        assert_eq!(obj["data"]["a"], "2");
        let annotation = obj["metadata"]["annotations"][LAST_APPLIED_ANNOTATION].as_str().unwrap();
        let recorded: Value = serde_json::from_str(annotation).unwrap();
        assert_eq!(recorded["data"]["a"], "2");
        // Another manager still conflicts.
        let err = apply(&live, &input(&c, "someone", false), &node()).unwrap_err();
        assert!(matches!(err, ApplyError::Conflicts(_)), "{err}");
    }

    #[test]
    fn managed_fields_in_the_configuration_are_refused() {
        let c = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "managedFields": []}});
        let err = apply(&empty(), &input(&c, "a", false), &node()).unwrap_err();
        assert!(matches!(err, ApplyError::ManagedFieldsInConfig));
    }

    #[test]
    fn untracked_fields_go_to_before_first_apply() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "d", "uid": "u"},
            "data": {"old": "1"}});
        let obj = run(&live, &[("a", json!({"x": "1"}), false)]).unwrap();
        let got: Vec<(String, String)> = owners(&obj).into_iter().map(|(m, o, _)| (m, o)).collect();
        assert_eq!(
            got,
            vec![
                ("a".to_string(), "Apply".to_string()),
                (BEFORE_FIRST_APPLY.to_string(), "Update".to_string())
            ]
        );
    }
}
