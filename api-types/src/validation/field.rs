//! Field paths and field errors, modelled on apimachinery's `util/validation/field` package.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::StatusCause;

/// A path to a field, e.g. `metadata.name` or `spec.containers[0].image`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldPath(String);

impl FieldPath {
    /// A root path element, e.g. `FieldPath::new("metadata")`.
    pub fn new(root: &str) -> Self {
        FieldPath(root.to_string())
    }

    /// Appends `.name`.
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            FieldPath(name.to_string())
        } else {
            FieldPath(format!("{}.{}", self.0, name))
        }
    }

    /// Appends `[index]`.
    pub fn index(&self, index: usize) -> Self {
        FieldPath(format!("{}[{}]", self.0, index))
    }

    /// Appends `[key]` (map keys are not quoted, as in apimachinery).
    pub fn key(&self, key: &str) -> Self {
        FieldPath(format!("{}[{}]", self.0, key))
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a field error; the `reason` strings match apimachinery's `ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// `FieldValueNotFound`: a referenced value was not found.
    NotFound,
    /// `FieldValueRequired`: a required value was missing.
    Required,
    /// `FieldValueDuplicate`: a value must be unique.
    Duplicate,
    /// `FieldValueInvalid`: malformed value.
    Invalid,
    /// `FieldValueNotSupported`: value not in the supported set.
    NotSupported,
    /// `FieldValueForbidden`: valid but not permitted.
    Forbidden,
    /// `FieldValueTooLong`: value too long.
    TooLong,
    /// `FieldValueTooMany`: too many items.
    TooMany,
    /// `InternalError`: an internal failure unrelated to the data.
    Internal,
    /// `FieldValueTypeInvalid`: value of the wrong type.
    TypeInvalid,
}

impl ErrorType {
    /// The machine-readable reason, e.g. `FieldValueInvalid`.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::Internal => "InternalError",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The human-readable form, e.g. `Invalid value`.
    pub fn description(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::Internal => "Internal error",
            ErrorType::TypeInvalid => "Invalid value",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// The offending value carried by a field error.
#[derive(Debug, Clone, PartialEq)]
pub enum BadValue {
    /// No value is shown in the message.
    Omitted,
    /// `null`.
    Null,
    /// A string, shown Go-quoted.
    String(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Any other value, shown as given.
    Other(String),
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::String(s.to_string())
    }
}

impl From<String> for BadValue {
    fn from(s: String) -> Self {
        BadValue::String(s)
    }
}

impl From<i64> for BadValue {
    fn from(v: i64) -> Self {
        BadValue::Int(v)
    }
}

impl From<bool> for BadValue {
    fn from(v: bool) -> Self {
        BadValue::Bool(v)
    }
}

/// One validation failure on one field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {}", self.body())]
pub struct FieldError {
    /// What kind of failure.
    pub error_type: ErrorType,
    /// The field's path.
    pub field: FieldPath,
    /// The offending value.
    pub bad_value: BadValue,
    /// Extra detail, e.g. the validator's message.
    pub detail: String,
}

impl FieldError {
    /// `Invalid value: <value>: <detail>`.
    pub fn invalid(
        field: &FieldPath,
        value: impl Into<BadValue>,
        detail: impl Into<String>,
    ) -> Self {
        Self::with(ErrorType::Invalid, field, value.into(), detail.into())
    }

    /// `Required value: <detail>`.
    pub fn required(field: &FieldPath, detail: impl Into<String>) -> Self {
        Self::with(ErrorType::Required, field, BadValue::Omitted, detail.into())
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(field: &FieldPath, value: impl Into<BadValue>) -> Self {
        Self::with(ErrorType::Duplicate, field, value.into(), String::new())
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: &FieldPath, detail: impl Into<String>) -> Self {
        Self::with(ErrorType::Forbidden, field, BadValue::Omitted, detail.into())
    }

    /// `Not found: <value>`.
    pub fn not_found(field: &FieldPath, value: impl Into<BadValue>) -> Self {
        Self::with(ErrorType::NotFound, field, value.into(), String::new())
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(field: &FieldPath, value: impl Into<BadValue>, valid: &[&str]) -> Self {
        let detail = if valid.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = valid.iter().map(|v| go_quote(v)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::with(ErrorType::NotSupported, field, value.into(), detail)
    }

    /// `Too long: may not be more than <max> bytes`.
    pub fn too_long(field: &FieldPath, value: impl Into<BadValue>, max_length: usize) -> Self {
        let unit = if max_length == 1 { "byte" } else { "bytes" };
        Self::with(
            ErrorType::TooLong,
            field,
            value.into(),
            format!("may not be more than {max_length} {unit}"),
        )
    }

    /// `Too many: <actual>: must have at most <max> items`.
    pub fn too_many(field: &FieldPath, actual: Option<i64>, max: usize) -> Self {
        let unit = if max == 1 { "item" } else { "items" };
        let value = actual.map(BadValue::Int).unwrap_or(BadValue::Omitted);
        Self::with(ErrorType::TooMany, field, value, format!("must have at most {max} {unit}"))
    }

    /// `Internal error: <detail>`.
    pub fn internal(field: &FieldPath, detail: impl Into<String>) -> Self {
        Self::with(ErrorType::Internal, field, BadValue::Omitted, detail.into())
    }

    fn with(error_type: ErrorType, field: &FieldPath, bad_value: BadValue, detail: String) -> Self {
        FieldError { error_type, field: field.clone(), bad_value, detail }
    }

    /// The message without the field path, as apimachinery's `ErrorBody`
    /// (this is what goes into a `Status` cause's `message`).
    pub fn body(&self) -> String {
        let mut s = match (self.error_type, &self.bad_value) {
            (
                ErrorType::Required
                | ErrorType::Forbidden
                | ErrorType::TooLong
                | ErrorType::Internal,
                _,
            )
            | (_, BadValue::Omitted) => self.error_type.description().to_string(),
            (t, BadValue::Null) => format!("{t}: null"),
            (t, BadValue::String(v)) => format!("{t}: {}", go_quote(v)),
            (t, BadValue::Int(v)) => format!("{t}: {v}"),
            (t, BadValue::Bool(v)) => format!("{t}: {v}"),
            (t, BadValue::Other(v)) => format!("{t}: {v}"),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }

    /// The `Status` cause for this error (`reason`, `message`, `field`).
    pub fn to_status_cause(&self) -> StatusCause {
        StatusCause {
            reason: Some(self.error_type.reason().to_string()),
            message: Some(self.body()),
            field: Some(self.field.to_string()),
        }
    }
}

/// A list of field errors, as returned by validators.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// An empty list.
    pub fn new() -> Self {
        FieldErrors(Vec::new())
    }

    /// Appends one error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Appends all errors of another list.
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    /// `true` when no errors were found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// The aggregate message, as apimachinery's `ToAggregate().Error()`:
    /// duplicates removed, one message bare, several as `[a, b]`.
    pub fn aggregate_message(&self) -> String {
        let mut seen = std::collections::HashSet::new();
        let msgs: Vec<String> =
            self.0.iter().map(|e| e.to_string()).filter(|m| seen.insert(m.clone())).collect();
        match msgs.len() {
            0 => String::new(),
            1 => msgs.into_iter().next().unwrap_or_default(),
            _ => format!("[{}]", msgs.join(", ")),
        }
    }

    /// The message of a `422 Invalid` `Status` for an object: `Kind "name" is invalid: <aggregate>`,
    /// where `qualified_kind` is e.g. `Pod` or `Deployment.apps`.
    pub fn invalid_message(&self, qualified_kind: &str, name: &str) -> String {
        format!("{} {} is invalid: {}", qualified_kind, go_quote(name), self.aggregate_message())
    }

    /// The `Status` causes.
    pub fn to_status_causes(&self) -> Vec<StatusCause> {
        self.0.iter().map(FieldError::to_status_cause).collect()
    }
}

impl From<Vec<FieldError>> for FieldErrors {
    fn from(v: Vec<FieldError>) -> Self {
        FieldErrors(v)
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aggregate_message())
    }
}

/// Quotes a string the way Go's `%q`/`strconv.Quote` does.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let p = FieldPath::new("spec").child("containers").index(0).child("image");
        assert_eq!(p.to_string(), "spec.containers[0].image");
        assert_eq!(
            FieldPath::new("metadata").child("labels").key("app").to_string(),
            "metadata.labels[app]"
        );
        assert_eq!(FieldPath::default().child("x").to_string(), "x");
    }

    #[test]
    fn messages() {
        let p = FieldPath::new("metadata").child("name");
        let cases = [
            (
                FieldError::invalid(&p, "x y", "bad"),
                "metadata.name: Invalid value: \"x y\": bad",
                "FieldValueInvalid",
            ),
            (
                FieldError::required(&p, "name or generateName is required"),
                "metadata.name: Required value: name or generateName is required",
                "FieldValueRequired",
            ),
            (FieldError::required(&p, ""), "metadata.name: Required value", "FieldValueRequired"),
            (
                FieldError::forbidden(&p, "not allowed on this type"),
                "metadata.name: Forbidden: not allowed on this type",
                "FieldValueForbidden",
            ),
            (
                FieldError::duplicate(&p, "a"),
                "metadata.name: Duplicate value: \"a\"",
                "FieldValueDuplicate",
            ),
            (
                FieldError::not_supported(&p, "Sometimes", &["Always", "Never"]),
                "metadata.name: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\"",
                "FieldValueNotSupported",
            ),
            (
                FieldError::too_long(&p, "", 262144),
                "metadata.name: Too long: may not be more than 262144 bytes",
                "FieldValueTooLong",
            ),
            (
                FieldError::too_many(&p, Some(5), 1),
                "metadata.name: Too many: 5: must have at most 1 item",
                "FieldValueTooMany",
            ),
            (
                FieldError::invalid(&p, -1i64, "must be greater than or equal to 0"),
                "metadata.name: Invalid value: -1: must be greater than or equal to 0",
                "FieldValueInvalid",
            ),
        ];
        for (e, msg, reason) in cases {
            assert_eq!(e.to_string(), msg);
            let cause = e.to_status_cause();
            assert_eq!(cause.reason.as_deref(), Some(reason));
            assert_eq!(cause.field.as_deref(), Some("metadata.name"));
            assert_eq!(format!("metadata.name: {}", cause.message.unwrap()), msg);
        }
    }

    #[test]
    fn aggregate() {
        let p = FieldPath::new("metadata").child("name");
        let one = FieldErrors(vec![FieldError::required(&p, "")]);
        assert_eq!(
            one.invalid_message("Pod", "x"),
            "Pod \"x\" is invalid: metadata.name: Required value"
        );
        let two = FieldErrors(vec![
            FieldError::required(&p, ""),
            FieldError::required(&p, ""),
            FieldError::forbidden(&p, "no"),
        ]);
        assert_eq!(
            two.aggregate_message(),
            "[metadata.name: Required value, metadata.name: Forbidden: no]"
        );
        assert_eq!(go_quote("a\"b\\\n"), "\"a\\\"b\\\\\\n\"");
    }
}
