//! Shared cell formatting: labels, label selectors, container lists, access modes, "+ N more".

use serde_json::{Map, Value};

use super::value::{arr_at, obj_at, str_at};

/// Labels as `k1=v1,k2=v2` sorted by key (`labels.FormatLabels`); `"<none>"` when empty.
pub(crate) fn format_labels(labels: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<String> = labels
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    if pairs.is_empty() {
        return "<none>".to_string();
    }
    pairs.sort();
    pairs.join(",")
}

/// A `metav1.LabelSelector` as `labels.Selector.String()` prints it: requirements sorted
/// by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. `Err` where Kubernetes'
/// `LabelSelectorAsSelector` fails. A missing or empty selector is `""`.
pub(crate) fn selector_string(selector: Option<&Value>) -> Result<String, ()> {
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        return Ok(String::new());
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in obj_at(selector, &["matchLabels"]).into_iter().flatten() {
        reqs.push((k.clone(), format!("{k}={}", v.as_str().ok_or(())?)));
    }
    for expr in arr_at(selector, &["matchExpressions"]) {
        let key = str_at(expr, &["key"]);
        let mut values: Vec<&str> =
            arr_at(expr, &["values"]).iter().map(|v| v.as_str().unwrap_or_default()).collect();
        values.sort_unstable();
        let text = match str_at(expr, &["operator"]) {
            "In" | "NotIn" if values.is_empty() => return Err(()),
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" if values.is_empty() => key.to_string(),
            "DoesNotExist" if values.is_empty() => format!("!{key}"),
            _ => return Err(()),
        };
        reqs.push((key.to_string(), text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(","))
}

/// `metav1.FormatLabelSelector`: `"<none>"` when empty, `"<error>"` when invalid.
pub(crate) fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        Err(()) => "<error>".to_string(),
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
    }
}

/// Container names and images, each comma-joined (`layoutContainerCells`).
pub(crate) fn layout_containers(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

/// Access modes abbreviated in Kubernetes' fixed order: `RWO,ROX,RWX,RWOP`.
pub(crate) fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// `listWithMoreString`: the shown items, `" + N more..."` past `max`, `"<unset>"` if empty.
pub(crate) fn list_with_more(list: &[String], count: usize, max: usize) -> String {
    let joined = list.join(",");
    if count > max {
        return format!("{joined} + {} more...", count - max);
    }
    if joined.is_empty() {
        return "<unset>".to_string();
    }
    joined
}

/// `"True"`, `"False"`, or `"<unset>"` for an absent boolean (`printBoolPtr`).
pub(crate) fn bool_ptr(value: Option<bool>) -> String {
    match value {
        Some(true) => "True".to_string(),
        Some(false) => "False".to_string(),
        None => "<unset>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_sorted_or_none() {
        let l = json!({"b": "2", "a": "1"});
        assert_eq!(format_labels(l.as_object()), "a=1,b=2");
        assert_eq!(format_labels(None), "<none>");
        assert_eq!(format_labels(json!({}).as_object()), "<none>");
    }

    #[test]
    fn selectors_format_like_apimachinery() {
        let cases = [
            (json!(null), "<none>"),
            (json!({}), "<none>"),
            (json!({"matchLabels": {"app": "web", "tier": "fe"}}), "app=web,tier=fe"),
            (
                json!({"matchLabels": {"z": "1"}, "matchExpressions": [
                    {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                    {"key": "gone", "operator": "DoesNotExist"},
                    {"key": "has", "operator": "Exists"},
                    {"key": "x", "operator": "NotIn", "values": ["a"]}
                ]}),
                "env in (dev,prod),!gone,has,x notin (a),z=1",
            ),
            (
                json!({"matchExpressions": [{"key": "k", "operator": "In", "values": []}]}),
                "<error>",
            ),
            (json!({"matchExpressions": [{"key": "k", "operator": "Bogus"}]}), "<error>"),
        ];
        for (sel, want) in cases {
            assert_eq!(format_label_selector(Some(&sel)), want, "{sel}");
        }
    }

    #[test]
    fn access_modes_in_fixed_order() {
        let modes = json!(["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"]);
        assert_eq!(
            access_modes(modes.as_array().map(Vec::as_slice).unwrap_or_default()),
            "RWO,RWX"
        );
        assert_eq!(access_modes(&[]), "");
    }

    #[test]
    fn list_with_more_truncates() {
        let l: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(list_with_more(&l, 5, 3), "a,b,c + 2 more...");
        assert_eq!(list_with_more(&l, 3, 3), "a,b,c");
        assert_eq!(list_with_more(&[], 0, 3), "<unset>");
    }

    #[test]
    fn containers_and_bools() {
        let c = json!([{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]);
        let (n, i) = layout_containers(c.as_array().map(Vec::as_slice).unwrap_or_default());
        assert_eq!((n.as_str(), i.as_str()), ("a,b", "x:1,y"));
        assert_eq!(bool_ptr(None), "<unset>");
        assert_eq!(bool_ptr(Some(true)), "True");
    }
}
