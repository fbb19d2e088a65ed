//! RFC 7386 JSON merge patch (`application/merge-patch+json`): applying one and creating one from two documents.

use serde_json::{Map, Value};

/// Applies the merge patch `patch` to `original` and returns the result (RFC 7386):
/// an object patch merges key by key into an object (a non-object target is treated as
/// `{}`), `null` values delete keys, nested objects merge recursively, and every other
/// patch value — arrays included — replaces the target whole. A non-object patch replaces
/// the whole document.
pub fn merge_patch(original: &Value, patch: &Value) -> Value {
    let Value::Object(patch_map) = patch else {
        return patch.clone();
    };
    let mut target = match original {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    for (key, value) in patch_map {
        if value.is_null() {
            target.remove(key);
            continue;
        }
        let merged = match target.get(key) {
            Some(existing) => merge_patch(existing, value),
            None => merge_patch(&Value::Null, value),
        };
        target.insert(key.clone(), merged);
    }
    Value::Object(target)
}

/// Creates the merge patch that turns `original` into `modified`, so that
/// `merge_patch(original, &create_merge_patch(original, modified)) == modified` whenever
/// `modified` holds no `null` values (merge patch cannot express setting a value to `null`).
///
/// Keys missing from `modified` become `null`, changed objects are diffed recursively, and
/// every other change (arrays included) carries the new value whole. Identical documents
/// give `{}`. When either side is not an object, the patch is `modified` itself.
pub fn create_merge_patch(original: &Value, modified: &Value) -> Value {
    match (original, modified) {
        (Value::Object(orig), Value::Object(modi)) => Value::Object(diff_maps(orig, modi)),
        _ => modified.clone(),
    }
}

fn diff_maps(original: &Map<String, Value>, modified: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    for key in original.keys() {
        if !modified.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    for (key, new) in modified {
        match original.get(key) {
            Some(old) if old == new => {}
            Some(Value::Object(old)) if new.is_object() => {
                if let Value::Object(new) = new {
                    let sub = diff_maps(old, new);
                    if !sub.is_empty() {
                        patch.insert(key.clone(), Value::Object(sub));
                    }
                }
            }
            _ => {
                patch.insert(key.clone(), new.clone());
            }
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7386_examples() {
        // The test table of RFC 7386, appendix A.
        let cases = vec![
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (original, patch, want) in cases {
            assert_eq!(merge_patch(&original, &patch), want, "{original} + {patch}");
        }
    }

    #[test]
    fn null_deletes_nested_label() {
        let obj = json!({"metadata": {"labels": {"app": "a", "tier": "b"}}, "spec": {"x": 1}});
        let out = merge_patch(&obj, &json!({"metadata": {"labels": {"tier": null}}}));
        assert_eq!(out, json!({"metadata": {"labels": {"app": "a"}}, "spec": {"x": 1}}));
    }

    #[test]
    fn lists_replace_whole() {
        let obj = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let out =
            merge_patch(&obj, &json!({"spec": {"containers": [{"name": "b", "image": "x"}]}}));
        assert_eq!(out["spec"]["containers"], json!([{"name": "b", "image": "x"}]));
    }

    #[test]
    fn create_then_apply_round_trips() {
        let cases = vec![
            (json!({"a": 1, "b": {"c": 2, "d": 3}}), json!({"a": 1, "b": {"c": 5}, "e": [1]})),
            (json!({"a": [1, 2]}), json!({"a": [2]})),
            (json!({"a": {"b": 1}}), json!({"a": "scalar"})),
            (json!({"a": 1}), json!({"a": 1})),
            (json!({}), json!({"x": {"y": {"z": true}}})),
        ];
        for (original, modified) in cases {
            let patch = create_merge_patch(&original, &modified);
            assert_eq!(merge_patch(&original, &patch), modified, "patch {patch}");
        }
    }

    #[test]
    fn created_patch_is_minimal() {
        let original = json!({"a": 1, "b": {"c": 2, "d": 3}, "gone": true});
        let modified = json!({"a": 1, "b": {"c": 2, "d": 4}});
        assert_eq!(create_merge_patch(&original, &modified), json!({"b": {"d": 4}, "gone": null}));
        assert_eq!(create_merge_patch(&original, &original), json!({}));
    }
}
