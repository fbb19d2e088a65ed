//! Field tracking of non-apply writes (create, update, patch): the writer takes the fields it changed, from every other manager.

use serde_json::Value;

use super::conflicts::Conflicts;
use super::fieldset::FieldSet;
use super::managers::{Entry, Identity, ManagedFields, Operation};
use super::schema::Node;
use super::walk::{Comparison, WalkError, compare};
use super::{MAX_UPDATE_MANAGERS, skeleton, strip_set};

/// What a non-apply write records.
#[derive(Debug, Clone, Copy)]
pub struct UpdateInput<'a> {
    /// The field manager (`fieldManager`, else from the user agent).
    pub manager: &'a str,
    /// The API version written.
    pub api_version: &'a str,
    /// The subresource written (`status`, `scale`, …), empty for the main resource.
    pub subresource: &'a str,
    /// The time of the write (RFC 3339, seconds).
    pub now: &'a str,
    /// The `metadata.managedFields` the request carried (main-resource writes only: a
    /// subresource write keeps the live object's).
    pub requested: Option<&'a Value>,
}

/// Compares `old` with `new` and takes what changed away from every manager but `skip`;
/// fields removed by the change are dropped from them too. Unless `force`, a changed
/// field another manager owns is a conflict and nothing is modified. Returns what
/// changed (added or modified).
pub(crate) fn take_changed(
    old: &Value,
    new: &Value,
    managers: &mut ManagedFields,
    skip: Option<&Identity>,
    force: bool,
    node: &Node,
) -> Result<Result<FieldSet, Conflicts>, WalkError> {
    let Comparison { added: mut changed, modified, removed } = compare(old, new, node)?;
    changed.union_in_place(&modified);
    if managers.is_empty() {
        return Ok(Ok(changed));
    }
    let mut conflicts = Conflicts::default();
    for entry in managers.entries() {
        let id = entry.identity();
        if Some(&id) == skip {
            continue;
        }
        let owned = entry.set.intersection(&changed);
        if !owned.is_empty() {
            conflicts.push_set(&id, &owned);
        }
    }
    if !force && !conflicts.is_empty() {
        conflicts.sort();
        return Ok(Err(conflicts));
    }
    for entry in managers.entries_mut() {
        if Some(&entry.identity()) == skip {
            continue;
        }
        entry.set.subtract(&changed);
        if !removed.is_empty() {
            entry.set.subtract(&removed);
        }
    }
    managers.drop_empty();
    Ok(Ok(changed))
}

/// Records a non-apply write from `old` to `new` by `id` (an `Update` identity): the
/// fields it added or modified become its own (with the time of the write), and no
/// other manager's.
pub(crate) fn record(
    managers: &mut ManagedFields,
    old: &Value,
    new: &Value,
    id: &Identity,
    api_version: &str,
    now: &str,
    node: &Node,
) -> Result<(), WalkError> {
    let Ok(mut mine) = take_changed(old, new, managers, None, true, node)? else {
        unreachable!("forced changes have no conflicts")
    };
    mine.subtract(strip_set());
    if !mine.is_empty() {
        match managers.get_mut(id) {
            Some(entry) => {
                entry.set.union_in_place(&mine);
                entry.time = Some(now.to_string());
            }
            None => managers.put(Entry {
                manager: id.manager.clone(),
                operation: Operation::Update,
                api_version: api_version.to_string(),
                subresource: id.subresource.clone(),
                time: Some(now.to_string()),
                set: mine,
            }),
        }
    }
    managers.cap_updates(MAX_UPDATE_MANAGERS);
    Ok(())
}

/// Sets `new`'s `metadata.managedFields` after a non-apply write: from the request's
/// value when it is valid and non-empty (an empty list or `[{}]` clears them), else
/// from `old`; then the writer takes the fields it changed. `old` is `None` for a
/// create. An update of an object whose fields nobody manages stays untracked; if the
/// objects cannot be compared, `old`'s entries are kept.
pub fn track_update(old: Option<&Value>, new: &mut Value, input: &UpdateInput<'_>, node: &Node) {
    let live = old.and_then(|o| o.pointer("/metadata/managedFields"));
    let decode_live = || ManagedFields::decode(live).unwrap_or_default();
    let mut managers = if !input.subresource.is_empty() {
        decode_live()
    } else if ManagedFields::is_reset(input.requested) {
        ManagedFields::default()
    } else {
        match ManagedFields::decode(input.requested) {
            Ok(m) if !m.is_empty() => m,
            _ => decode_live(),
        }
    };
    set_managed_fields(new, None);
    if managers.is_empty() && old.is_some() {
        return;
    }
    let id = Identity::new(input.manager, Operation::Update, input.api_version, input.subresource);
    let created;
    let base = match old {
        Some(o) => o,
        None => {
            created = skeleton(new);
            &created
        }
    };
    match record(&mut managers, base, new, &id, input.api_version, input.now, node) {
        Ok(()) => set_managed_fields(new, managers.encode()),
        Err(_) => set_managed_fields(new, live.cloned()),
    }
}

/// Sets (or, with `None`, removes) `metadata.managedFields`.
pub(crate) fn set_managed_fields(obj: &mut Value, value: Option<Value>) {
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    match value {
        Some(v) => {
            meta.insert("managedFields".into(), v);
        }
        None => {
            meta.remove("managedFields");
        }
    }
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

    fn input<'a>(manager: &'a str, requested: Option<&'a Value>) -> UpdateInput<'a> {
        UpdateInput { manager, api_version: "v1", subresource: "", now: NOW, requested }
    }

    fn cm(data: Value, managed: Option<Value>) -> Value {
        let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": "d", "uid": "u", "resourceVersion": "3"}, "data": data});
        if let Some(m) = managed {
            obj["metadata"]["managedFields"] = m;
        }
        obj
    }

    fn fields_of(obj: &Value) -> Vec<(String, Value)> {
        obj["metadata"]["managedFields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| (e["manager"].as_str().unwrap().to_string(), e["fieldsV1"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn writes_take_the_fields_they_change() {
        struct Case {
            name: &'static str,
            old: Option<Value>,
            new: Value,
            manager: &'static str,
            want: Vec<(&'static str, Value)>,
        }
        let created = json!([{"manager": "a", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:x": {}, "f:y": {}}}}]);
        let cases = vec![
            Case {
                name: "create records every field set",
                old: None,
                new: cm(json!({"x": "1"}), None),
                manager: "a",
                want: vec![("a", json!({"f:data": {".": {}, "f:x": {}}}))],
            },
            Case {
                name: "another manager takes a modified field",
                old: Some(cm(json!({"x": "1", "y": "2"}), Some(created.clone()))),
                new: cm(json!({"x": "9", "y": "2"}), None),
                manager: "b",
                want: vec![
                    ("a", json!({"f:data": {".": {}, "f:y": {}}})),
                    ("b", json!({"f:data": {"f:x": {}}})),
                ],
            },
            Case {
                name: "a removed field leaves every set",
                old: Some(cm(json!({"x": "1", "y": "2"}), Some(created.clone()))),
                new: cm(json!({"x": "1"}), None),
                manager: "b",
                want: vec![("a", json!({"f:data": {".": {}, "f:x": {}}}))],
            },
            Case {
                name: "a no-op write records nothing",
                old: Some(cm(json!({"x": "1", "y": "2"}), Some(created.clone()))),
                new: cm(json!({"x": "1", "y": "2"}), None),
                manager: "b",
                want: vec![("a", json!({"f:data": {".": {}, "f:x": {}, "f:y": {}}}))],
            },
            Case {
                name: "an untracked object stays untracked",
                old: Some(cm(json!({"x": "1"}), None)),
                new: cm(json!({"x": "2"}), None),
                manager: "b",
                want: vec![],
            },
        ];
        for case in cases {
            let mut new = case.new.clone();
            let requested = new.pointer("/metadata/managedFields").cloned();
            track_update(
                case.old.as_ref(),
                &mut new,
                &input(case.manager, requested.as_ref()),
                &node(),
            );
            let want: Vec<(String, Value)> =
                case.want.into_iter().map(|(m, f)| (m.to_string(), f)).collect();
            assert_eq!(fields_of(&new), want, "{}", case.name);
        }
    }

    #[test]
    fn requested_managed_fields() {
        let live = json!([{"manager": "a", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:x": {}}}}]);
        let old = cm(json!({"x": "1"}), Some(live.clone()));
        let cases: Vec<(Value, Vec<&str>)> = vec![
            // Invalid: the live entries are kept.
            (json!([{"manager": "z", "operation": "Bogus"}]), vec!["a"]),
            // A single empty entry resets them.
            (json!([{}]), vec![]),
            // A valid value replaces them.
            (
                json!([{"manager": "z", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:x": {}}}}]),
                vec!["z"],
            ),
        ];
        for (requested, want) in cases {
            let mut new = cm(json!({"x": "1"}), Some(requested.clone()));
            track_update(Some(&old), &mut new, &input("w", Some(&requested)), &node());
            let got: Vec<String> = fields_of(&new).into_iter().map(|(m, _)| m).collect();
            assert_eq!(got, want, "{requested}");
        }
    }

    #[test]
    fn subresource_writes_record_the_subresource() {
        let node = Node::for_kind(&GroupVersionKind::new("apps", "v1", "Deployment"));
        let old = json!({"metadata": {"name": "d", "uid": "u", "managedFields": [{"manager": "a", "operation": "Update",
            "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
            "spec": {"replicas": 1}, "status": {}});
        let mut new = old.clone();
        new["status"]["replicas"] = json!(1);
        let input = UpdateInput {
            manager: "ctrl",
            api_version: "apps/v1",
            subresource: "status",
            now: NOW,
            requested: None,
        };
        track_update(Some(&old), &mut new, &input, &node);
        let entries = new["metadata"]["managedFields"].as_array().unwrap();
        let ctrl = entries.iter().find(|e| e["manager"] == "ctrl").unwrap();
        assert_eq!(ctrl["subresource"], "status");
        assert_eq!(ctrl["time"], NOW);
        assert_eq!(ctrl["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));
    }
}
