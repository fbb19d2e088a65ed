//! Lenient accessors over stored JSON objects: a missing or mistyped field reads as absent.

use jiff::Timestamp;
use serde_json::{Map, Value};

const NO_VALUES: &[Value] = &[];

/// The value at `path` below `v`, if every step is an object holding the key.
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.as_object()?.get(*key))
}

/// The string at `path`, or `""` (Go's zero string) when absent or not a string.
pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    opt_str_at(v, path).unwrap_or("")
}

/// The string at `path`, if present and a string.
pub(crate) fn opt_str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The integer at `path`, or 0 when absent or not an integer.
pub(crate) fn int_at(v: &Value, path: &[&str]) -> i64 {
    opt_int_at(v, path).unwrap_or(0)
}

/// The integer at `path`, if present and integral.
pub(crate) fn opt_int_at(v: &Value, path: &[&str]) -> Option<i64> {
    let value = at(v, path)?;
    value.as_i64().or_else(|| value.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
}

/// The boolean at `path`, if present and a boolean.
pub(crate) fn opt_bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    at(v, path).and_then(Value::as_bool)
}

/// The boolean at `path`, or `false`.
pub(crate) fn bool_at(v: &Value, path: &[&str]) -> bool {
    opt_bool_at(v, path).unwrap_or(false)
}

/// The array at `path`, or an empty slice.
pub(crate) fn arr_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(NO_VALUES)
}

/// The object at `path`, if present and an object.
pub(crate) fn obj_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    at(v, path).and_then(Value::as_object)
}

/// The number of keys of the object at `path` (0 when absent).
pub(crate) fn len_obj_at(v: &Value, path: &[&str]) -> usize {
    obj_at(v, path).map_or(0, Map::len)
}

/// The timestamp at `path`; `None` stands for Go's zero time (absent, null, unparsable
/// or `0001-01-01T00:00:00Z`).
pub(crate) fn time_at(v: &Value, path: &[&str]) -> Option<Timestamp> {
    let ts: Timestamp = opt_str_at(v, path)?.parse().ok()?;
    // Go's zero time.Time, which metav1.Time serialises only when set explicitly.
    (ts.as_second() != -62_135_596_800).then_some(ts)
}

/// `metadata.name`.
pub(crate) fn name(v: &Value) -> &str {
    str_at(v, &["metadata", "name"])
}

/// `metadata.creationTimestamp`.
pub(crate) fn created(v: &Value) -> Option<Timestamp> {
    time_at(v, &["metadata", "creationTimestamp"])
}

/// Whether `metadata.deletionTimestamp` is set.
pub(crate) fn is_deleting(v: &Value) -> bool {
    at(v, &["metadata", "deletionTimestamp"]).is_some_and(|d| !d.is_null())
}

/// An IntOrString rendered as Go's `IntOrString.String()`.
pub(crate) fn int_or_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors_are_lenient() {
        let v = json!({"a": {"b": "x", "n": 3, "t": true, "l": [1, 2], "m": {"k": 1}}});
        assert_eq!(str_at(&v, &["a", "b"]), "x");
        assert_eq!(str_at(&v, &["a", "n"]), "");
        assert_eq!(int_at(&v, &["a", "n"]), 3);
        assert_eq!(int_at(&v, &["a", "b"]), 0);
        assert!(bool_at(&v, &["a", "t"]));
        assert_eq!(arr_at(&v, &["a", "l"]).len(), 2);
        assert!(arr_at(&v, &["a", "b", "c"]).is_empty());
        assert_eq!(len_obj_at(&v, &["a", "m"]), 1);
    }

    #[test]
    fn zero_and_bad_times_read_as_none() {
        let v =
            json!({"z": "0001-01-01T00:00:00Z", "bad": "yesterday", "ok": "2024-01-01T00:00:00Z"});
        assert_eq!(time_at(&v, &["z"]), None);
        assert_eq!(time_at(&v, &["bad"]), None);
        assert_eq!(time_at(&v, &["missing"]), None);
        assert!(time_at(&v, &["ok"]).is_some());
    }
}
