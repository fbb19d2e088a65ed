//! `metadata.managedFields` decoded: one entry per manager identity (manager, operation, apiVersion of updates, subresource), with its field set and time.

use serde_json::{Map, Value, json};

use super::fieldset::FieldSet;
use super::fieldsv1::{self, FieldsV1Error};

/// The operation an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Any other write (create, update, patch).
    Update,
}

impl Operation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Who owns an entry: appliers are one entry whatever API version they apply with;
/// updaters get one entry per API version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The field manager name.
    pub manager: String,
    /// Apply or Update.
    pub operation: Operation,
    /// The API version (empty for appliers).
    pub api_version: String,
    /// The subresource written (`status`, `scale`), empty for the main resource.
    pub subresource: String,
}

impl Identity {
    /// The identity of a write by `manager` with `operation` at `api_version`.
    pub fn new(manager: &str, operation: Operation, api_version: &str, subresource: &str) -> Self {
        Identity {
            manager: manager.to_string(),
            operation,
            api_version: if operation == Operation::Apply {
                String::new()
            } else {
                api_version.to_string()
            },
            subresource: subresource.to_string(),
        }
    }

    /// The identifier Kubernetes keys managers by (the JSON of the entry without
    /// fields and time); managers sort by it.
    pub fn key(&self) -> String {
        let mut out = String::from("{");
        let mut sep = "";
        for (name, value) in [
            ("manager", self.manager.as_str()),
            ("operation", self.operation.as_str()),
            ("apiVersion", self.api_version.as_str()),
            ("subresource", self.subresource.as_str()),
        ] {
            if !value.is_empty() {
                out.push_str(&format!("{sep}\"{name}\":{}", Value::String(value.to_string())));
                sep = ",";
            }
        }
        out.push('}');
        out
    }
}

/// One entry of `metadata.managedFields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The field manager name.
    pub manager: String,
    /// Apply or Update.
    pub operation: Operation,
    /// The API version the fields are named in.
    pub api_version: String,
    /// The subresource written, empty for the main resource.
    pub subresource: String,
    /// When the manager last changed the object (RFC 3339, seconds).
    pub time: Option<String>,
    /// The fields it owns.
    pub set: FieldSet,
}

impl Entry {
    /// The entry's identity.
    pub fn identity(&self) -> Identity {
        Identity::new(&self.manager, self.operation, &self.api_version, &self.subresource)
    }

    fn seconds(&self) -> i64 {
        self.time
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map_or(0, |t| t.as_second())
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        if !self.manager.is_empty() {
            map.insert("manager".into(), json!(self.manager));
        }
        map.insert("operation".into(), json!(self.operation.as_str()));
        if !self.api_version.is_empty() {
            map.insert("apiVersion".into(), json!(self.api_version));
        }
        if let Some(time) = &self.time {
            map.insert("time".into(), json!(time));
        }
        map.insert("fieldsType".into(), json!("FieldsV1"));
        map.insert("fieldsV1".into(), fieldsv1::encode(&self.set));
        if !self.subresource.is_empty() {
            map.insert("subresource".into(), json!(self.subresource));
        }
        Value::Object(map)
    }
}

/// Why `metadata.managedFields` could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// `managedFields` is not a list of objects.
    #[error("managedFields must be a list of objects")]
    NotAList,
    /// An entry's operation is neither `Apply` nor `Update`.
    #[error("operation must be `Apply` or `Update`")]
    Operation,
    /// An entry has no API version.
    #[error("apiVersion must not be empty")]
    ApiVersion,
    /// An entry has no `fieldsType`.
    #[error("missing fieldsType in managed fields entry {0}")]
    MissingFieldsType(usize),
    /// An entry's `fieldsType` is not `FieldsV1`.
    #[error("invalid fieldsType {1:?} in managed fields entry {0}")]
    FieldsType(usize, String),
    /// An entry's `fieldsV1` is malformed.
    #[error("error decoding versioned set of entry {0}: {1}")]
    Fields(usize, FieldsV1Error),
}

/// The decoded `metadata.managedFields` of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedFields {
    entries: Vec<Entry>,
}

impl ManagedFields {
    /// Decodes `metadata.managedFields` (absent or null is empty). A later entry with the
    /// identity of an earlier one replaces it.
    pub fn decode(value: Option<&Value>) -> Result<ManagedFields, DecodeError> {
        let items = match value {
            None | Some(Value::Null) => return Ok(ManagedFields::default()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(DecodeError::NotAList),
        };
        let mut out = ManagedFields::default();
        for (i, item) in items.iter().enumerate() {
            let Value::Object(map) = item else { return Err(DecodeError::NotAList) };
            let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let operation = match text("operation").as_str() {
                "Apply" => Operation::Apply,
                "Update" => Operation::Update,
                _ => return Err(DecodeError::Operation),
            };
            let api_version = text("apiVersion");
            if api_version.is_empty() {
                return Err(DecodeError::ApiVersion);
            }
            match text("fieldsType").as_str() {
                "FieldsV1" => {}
                "" => return Err(DecodeError::MissingFieldsType(i)),
                other => return Err(DecodeError::FieldsType(i, other.to_string())),
            }
            let set = match map.get("fieldsV1") {
                None | Some(Value::Null) => FieldSet::new(),
                Some(v) => fieldsv1::decode(v).map_err(|e| DecodeError::Fields(i, e))?,
            };
            let entry = Entry {
                manager: text("manager"),
                operation,
                api_version,
                subresource: text("subresource"),
                time: map.get("time").and_then(Value::as_str).map(str::to_string),
                set,
            };
            out.put(entry);
        }
        Ok(out)
    }

    /// Whether a client-sent `managedFields` asks for a reset: an empty list, or a list
    /// of one empty entry.
    pub fn is_reset(value: Option<&Value>) -> bool {
        match value {
            Some(Value::Array(items)) => match items.as_slice() {
                [] => true,
                [Value::Object(entry)] => entry.is_empty(),
                _ => false,
            },
            _ => false,
        }
    }

    /// The JSON list, sorted as Kubernetes sorts it (operation, time, manager, API
    /// version, subresource); `None` when there are no entries.
    pub fn encode(&self) -> Option<Value> {
        if self.entries.is_empty() {
            return None;
        }
        let mut sorted: Vec<&Entry> = self.entries.iter().collect();
        sorted.sort_by(|p, q| {
            p.operation
                .cmp(&q.operation)
                .then_with(|| p.seconds().cmp(&q.seconds()))
                .then_with(|| p.manager.cmp(&q.manager))
                .then_with(|| p.api_version.cmp(&q.api_version))
                .then_with(|| p.subresource.cmp(&q.subresource))
        });
        Some(Value::Array(sorted.into_iter().map(Entry::to_json).collect()))
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries, mutably.
    pub fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.entries
    }

    /// The entry of `id`.
    pub fn get(&self, id: &Identity) -> Option<&Entry> {
        self.entries.iter().find(|e| e.identity() == *id)
    }

    /// The entry of `id`, mutably.
    pub fn get_mut(&mut self, id: &Identity) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.identity() == *id)
    }

    /// Inserts `entry`, replacing the entry of the same identity.
    pub fn put(&mut self, entry: Entry) {
        let id = entry.identity();
        match self.entries.iter_mut().find(|e| e.identity() == id) {
            Some(existing) => *existing = entry,
            None => self.entries.push(entry),
        }
    }

    /// Removes the entry of `id`.
    pub fn remove(&mut self, id: &Identity) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.identity() == *id)?;
        Some(self.entries.remove(i))
    }

    /// Drops entries that own nothing.
    pub fn drop_empty(&mut self) {
        self.entries.retain(|e| !e.set.is_empty());
    }

    /// Every field any entry owns.
    pub fn all_fields(&self) -> FieldSet {
        let mut all = FieldSet::new();
        for e in &self.entries {
            all.union_in_place(&e.set);
        }
        all
    }

    /// Keeps at most `max` update entries: the oldest are merged into one
    /// `ancient-changes` entry per API version, as Kubernetes does.
    pub fn cap_updates(&mut self, max: usize) {
        let mut updaters: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].operation == Operation::Update)
            .collect();
        if updaters.len() <= max {
            return;
        }
        updaters.sort_by(|&a, &b| {
            let (p, q) = (&self.entries[a], &self.entries[b]);
            p.seconds().cmp(&q.seconds()).then_with(|| p.identity().key().cmp(&q.identity().key()))
        });
        let order: Vec<Identity> = updaters.iter().map(|&i| self.entries[i].identity()).collect();
        let mut length = order.len();
        let mut first_of_version: Vec<(String, Identity)> = Vec::new();
        for id in order {
            if length <= max {
                break;
            }
            let Some(entry) = self.get(&id).cloned() else { continue };
            let bucket =
                Identity::new("ancient-changes", Operation::Update, &entry.api_version, "");
            match first_of_version.iter().find(|(v, _)| *v == entry.api_version) {
                Some((_, first)) => {
                    if self.get(&bucket).is_none()
                        && let Some(mut moved) = self.remove(first)
                    {
                        moved.manager = bucket.manager.clone();
                        moved.subresource = String::new();
                        self.put(moved);
                    }
                    self.remove(&id);
                    if let Some(b) = self.get_mut(&bucket) {
                        b.set.union_in_place(&entry.set);
                        b.time = entry.time.clone();
                    }
                    length -= 1;
                }
                None => first_of_version.push((entry.api_version.clone(), id)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes_entries() {
        let list = json!([
            {"manager": "kubectl", "operation": "Update", "apiVersion": "v1", "time": "2024-01-02T03:04:05Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:a": {}}}},
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": "2024-01-02T03:04:06Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:b": {}}}},
            {"manager": "ctrl", "operation": "Update", "apiVersion": "v1", "time": "2024-01-02T03:04:05Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:x": {}}}, "subresource": "status"},
        ]);
        let managed = ManagedFields::decode(Some(&list)).unwrap();
        assert_eq!(managed.entries().len(), 3);
        let encoded = managed.encode().unwrap();
        // Apply entries first, then updates by time and manager name.
        let managers: Vec<&str> =
            encoded.as_array().unwrap().iter().map(|e| e["manager"].as_str().unwrap()).collect();
        assert_eq!(managers, ["kubectl", "ctrl", "kubectl"]);
        assert_eq!(encoded[0]["operation"], "Apply");
        assert_eq!(encoded[1]["subresource"], "status");
        assert_eq!(ManagedFields::decode(Some(&encoded)).unwrap().encode().unwrap(), encoded);
    }

    #[test]
    fn rejects_invalid_entries() {
        let cases = [
            (json!({}), DecodeError::NotAList),
            (
                json!([{"operation": "Bogus", "apiVersion": "v1", "fieldsType": "FieldsV1"}]),
                DecodeError::Operation,
            ),
            (json!([{"operation": "Update", "fieldsType": "FieldsV1"}]), DecodeError::ApiVersion),
            (
                json!([{"operation": "Update", "apiVersion": "v1"}]),
                DecodeError::MissingFieldsType(0),
            ),
            (
                json!([{"operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"}]),
                DecodeError::FieldsType(0, "FieldsV2".into()),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(ManagedFields::decode(Some(&value)).unwrap_err(), want, "{value}");
        }
    }

    #[test]
    fn resets() {
        assert!(ManagedFields::is_reset(Some(&json!([{}]))));
        assert!(ManagedFields::is_reset(Some(&json!([]))));
        assert!(!ManagedFields::is_reset(None));
        assert!(!ManagedFields::is_reset(Some(&json!([{"manager": "a"}]))));
    }

    #[test]
    fn identities_and_keys() {
        let apply = Identity::new("kubectl", Operation::Apply, "v1", "");
        assert_eq!(apply.key(), r#"{"manager":"kubectl","operation":"Apply"}"#);
        let update = Identity::new("k", Operation::Update, "apps/v1", "scale");
        assert_eq!(
            update.key(),
            r#"{"manager":"k","operation":"Update","apiVersion":"apps/v1","subresource":"scale"}"#
        );
    }

    #[test]
    fn caps_update_entries() {
        let mut managed = ManagedFields::default();
        for i in 0..12 {
            let mut set = FieldSet::new();
            set.insert(&[super::super::path::PathElement::Field(format!("f{i}"))]);
            managed.put(Entry {
                manager: format!("m{i:02}"),
                operation: Operation::Update,
                api_version: "v1".into(),
                subresource: String::new(),
                time: Some(format!("2024-01-01T00:00:{i:02}Z")),
                set,
            });
        }
        managed.cap_updates(10);
        assert_eq!(managed.entries().len(), 10);
        let bucket =
            managed.get(&Identity::new("ancient-changes", Operation::Update, "v1", "")).unwrap();
        assert_eq!(bucket.set.paths().len(), 3);
        assert_eq!(bucket.time.as_deref(), Some("2024-01-01T00:00:02Z"));
    }
}
