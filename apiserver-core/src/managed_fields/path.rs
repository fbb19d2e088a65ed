//! Field paths as structured-merge-diff names them: field names, list-map keys, set values and list indices.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

/// One step of a field path.
///
/// Elements order as structured-merge-diff orders them: field names first, then keys,
/// then set values, then indices; that order is the order of a field set's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// A field of an object (`f:name` in FieldsV1, `.name` in a path).
    Field(String),
    /// An element of an associative list, by its key fields sorted by name
    /// (`k:{"name":"nginx"}`, `[name="nginx"]`).
    Key(Vec<(String, Value)>),
    /// An element of a set-like list of scalars, by value (`v:"a"`, `[="a"]`).
    Value(Value),
    /// An element of a list by position (`i:0`, `[0]`).
    Index(usize),
}

impl PathElement {
    /// A field element.
    pub fn field(name: &str) -> PathElement {
        PathElement::Field(name.to_string())
    }

    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for ((an, av), (bn, bv)) in a.iter().zip(b) {
                    let o = an.cmp(bn).then_with(|| compare_values(av, bv));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                f.write_str("[")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}={value}")?;
                }
                f.write_str("]")
            }
            PathElement::Value(value) => write!(f, "[={value}]"),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A path from the object's root, printed as Kubernetes prints conflicting fields
/// (`.spec.template.spec.containers[name="nginx"].image`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Path(pub Vec<PathElement>);

impl Path {
    /// A path of field names (`["data", "a"]` is `.data.a`).
    pub fn fields(names: &[&str]) -> Path {
        Path(names.iter().map(|n| PathElement::field(n)).collect())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for element in &self.0 {
            write!(f, "{element}")?;
        }
        Ok(())
    }
}

/// Orders JSON values: numbers, strings, booleans, lists, objects, then null.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) => 3,
            Value::Object(_) => 4,
            Value::Null => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = compare_values(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((pk, pv), (qk, qv)) in x.iter().zip(y) {
                let o = pk.cmp(qk).then_with(|| compare_values(pv, qv));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_print_as_kubernetes_prints_them() {
        let cases: Vec<(Path, &str)> = vec![
            (Path::fields(&["data", "a"]), ".data.a"),
            (
                Path(vec![
                    PathElement::field("spec"),
                    PathElement::field("containers"),
                    PathElement::Key(vec![("name".into(), json!("nginx"))]),
                    PathElement::field("image"),
                ]),
                r#".spec.containers[name="nginx"].image"#,
            ),
            (
                Path(vec![
                    PathElement::field("ports"),
                    PathElement::Key(vec![
                        ("containerPort".into(), json!(80)),
                        ("protocol".into(), json!("TCP")),
                    ]),
                ]),
                r#".ports[containerPort=80,protocol="TCP"]"#,
            ),
            (
                Path(vec![PathElement::field("finalizers"), PathElement::Value(json!("a"))]),
                r#".finalizers[="a"]"#,
            ),
            (Path(vec![PathElement::field("args"), PathElement::Index(2)]), ".args[2]"),
        ];
        for (path, want) in cases {
            assert_eq!(path.to_string(), want);
        }
    }

    #[test]
    fn elements_order_by_kind_then_content() {
        let mut elements = vec![
            PathElement::Index(0),
            PathElement::Value(json!("b")),
            PathElement::Key(vec![("name".into(), json!("b"))]),
            PathElement::field("z"),
            PathElement::Key(vec![("name".into(), json!("a"))]),
            PathElement::field("a"),
            PathElement::Value(json!(10)),
        ];
        elements.sort();
        assert_eq!(
            elements,
            vec![
                PathElement::field("a"),
                PathElement::field("z"),
                PathElement::Key(vec![("name".into(), json!("a"))]),
                PathElement::Key(vec![("name".into(), json!("b"))]),
                PathElement::Value(json!(10)),
                PathElement::Value(json!("b")),
                PathElement::Index(0),
            ]
        );
        assert_eq!(compare_values(&json!(9), &json!(10)), Ordering::Less);
    }
}
