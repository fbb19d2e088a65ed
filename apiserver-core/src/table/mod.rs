//! Server-side `meta.k8s.io/v1` `Table` output: the columns and cells `kubectl get` prints.
//!
//! kubectl asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
//! columns and cells the server returns. [`TableRegistry`] maps a group and resource to a
//! [`TablePrinter`] — column definitions plus a row function — mirroring Kubernetes'
//! `pkg/printers/internalversion`. Kinds without a printer get Kubernetes' default table
//! (`Name`, `Created At`). Like the API server, rows always carry every column, including
//! the `priority: 1` ones kubectl shows only with `-o wide`.

mod cluster;
mod core;
pub mod duration;
mod format;
mod networking;
mod pods;
mod storage;
mod value;
mod workloads;

use std::collections::HashMap;
use std::sync::OnceLock;

use capstan_api_types::gvk::GroupResource;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

pub use duration::{human_duration, translate_timestamp_since};

/// The description Kubernetes gives the `Name` column.
pub(crate) const NAME_DESC: &str = "Name must be unique within a namespace. Is required when \
creating resources, although some resources may allow a client to request the generation of an \
appropriate name automatically. Name is primarily intended for creation idempotence and \
configuration definition. Cannot be updated.";

/// The description Kubernetes gives the `Age` and `Created At` columns.
pub(crate) const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time \
when this object was created. It is not guaranteed to be set in happens-before order across \
separate operations. Clients may not set this value. It is represented in RFC3339 form and is in \
UTC.";

/// One column of a table (`metav1.TableColumnDefinition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDefinition {
    /// Human-readable header, e.g. `"Ready"`; kubectl upper-cases it.
    pub name: &'static str,
    /// OpenAPI type of the cells: `string`, `integer`, `number`, `boolean`, `date`.
    pub type_: &'static str,
    /// Optional OpenAPI format; `"name"` marks the column holding the object name.
    pub format: &'static str,
    /// What the column shows.
    pub description: &'static str,
    /// 0 for default columns, 1 for columns kubectl shows only with `-o wide`.
    pub priority: i32,
}

impl ColumnDefinition {
    /// A column of the given name and type, priority 0, no format.
    pub const fn new(name: &'static str, type_: &'static str, description: &'static str) -> Self {
        ColumnDefinition { name, type_, format: "", description, priority: 0 }
    }

    /// The `Name` column (format `name`).
    pub const fn name() -> Self {
        ColumnDefinition {
            name: "Name",
            type_: "string",
            format: "name",
            description: NAME_DESC,
            priority: 0,
        }
    }

    /// The `Age` column.
    pub const fn age() -> Self {
        ColumnDefinition::new("Age", "string", AGE_DESC)
    }

    /// The same column shown only with `-o wide` (priority 1).
    pub const fn wide(mut self) -> Self {
        self.priority = 1;
        self
    }

    /// The same column with an OpenAPI format.
    pub const fn with_format(mut self, format: &'static str) -> Self {
        self.format = format;
        self
    }

    /// The column as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// One printed row: its cells and optional row conditions (e.g. `Completed` for pods).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// One cell per column definition, in order.
    pub cells: Vec<Value>,
    /// `metav1.TableRowCondition`s as JSON; empty for most kinds.
    pub conditions: Vec<Value>,
}

impl Row {
    /// A row with these cells and no conditions.
    pub fn new(cells: Vec<Value>) -> Self {
        Row { cells, conditions: Vec::new() }
    }
}

/// Prints one object (stored JSON) at `now` into a row.
pub type RowFn = fn(&Value, Timestamp) -> Row;

/// Columns and the row function of one resource.
#[derive(Debug, Clone)]
pub struct TablePrinter {
    /// Column definitions, in cell order.
    pub columns: Vec<ColumnDefinition>,
    /// Builds a row; must not panic on malformed objects.
    pub row: RowFn,
}

/// Which object each row carries (`includeObject` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    /// No object (`"object": null`).
    None,
    /// A `PartialObjectMetadata` with the object's metadata (the default).
    #[default]
    Metadata,
    /// The full object.
    Object,
}

impl IncludeObject {
    /// Parses the `includeObject` query value; `""` is the default, `Metadata`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "None" => Some(IncludeObject::None),
            "" | "Metadata" => Some(IncludeObject::Metadata),
            "Object" => Some(IncludeObject::Object),
            _ => None,
        }
    }
}

/// `metav1.TableOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableOptions {
    /// Which object each row carries.
    pub include_object: IncludeObject,
    /// Omit the column definitions.
    pub no_headers: bool,
}

/// List metadata copied into the table (`metav1.ListMeta`), supplied by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListMeta {
    /// The list's (or single object's) resource version.
    pub resource_version: Option<String>,
    /// The continue token of a paginated list.
    pub continue_token: Option<String>,
    /// How many items remain after this page, when known.
    pub remaining_item_count: Option<i64>,
}

/// Printers keyed by group and resource.
#[derive(Debug, Clone, Default)]
pub struct TableRegistry {
    printers: HashMap<GroupResource, TablePrinter>,
}

impl TableRegistry {
    /// An empty registry: every resource prints the default table.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with the printers of every built-in kind Capstan knows.
    pub fn builtin() -> Self {
        let mut reg = Self::new();
        pods::register(&mut reg);
        workloads::register(&mut reg);
        core::register(&mut reg);
        storage::register(&mut reg);
        networking::register(&mut reg);
        cluster::register(&mut reg);
        reg
    }

    /// Registers (or replaces) the printer of `group`/`resource`.
    pub fn register(
        &mut self,
        group: &str,
        resource: &str,
        columns: Vec<ColumnDefinition>,
        row: RowFn,
    ) {
        self.printers.insert(GroupResource::new(group, resource), TablePrinter { columns, row });
    }

    /// The printer of a resource, if it has one.
    pub fn get(&self, resource: &GroupResource) -> Option<&TablePrinter> {
        self.printers.get(resource)
    }

    /// The column definitions a resource's table has (the default table's if unregistered).
    pub fn columns(&self, resource: &GroupResource) -> Vec<ColumnDefinition> {
        match self.get(resource) {
            Some(p) => p.columns.clone(),
            None => default_columns(),
        }
    }

    /// Converts objects to a `meta.k8s.io/v1` `Table`.
    pub fn to_table(
        &self,
        resource: &GroupResource,
        objects: &[Value],
        list_meta: &ListMeta,
        options: TableOptions,
        now: Timestamp,
    ) -> Value {
        let (columns, row_fn): (Vec<ColumnDefinition>, RowFn) = match self.get(resource) {
            Some(p) => (p.columns.clone(), p.row),
            None => (default_columns(), default_row),
        };
        let rows: Vec<Value> = objects
            .iter()
            .map(|obj| {
                let row = row_fn(obj, now);
                let mut out = Map::new();
                out.insert("cells".into(), Value::Array(row.cells));
                if !row.conditions.is_empty() {
                    out.insert("conditions".into(), Value::Array(row.conditions));
                }
                out.insert("object".into(), row_object(obj, options.include_object));
                Value::Object(out)
            })
            .collect();
        let columns: Vec<Value> = if options.no_headers {
            Vec::new()
        } else {
            columns.iter().map(ColumnDefinition::to_json).collect()
        };
        json!({
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": list_meta_json(list_meta),
            "columnDefinitions": columns,
            "rows": rows,
        })
    }
}

/// Converts objects of `resource` to a `meta.k8s.io/v1` `Table` with the built-in printers.
pub fn to_table(
    resource: &GroupResource,
    objects: &[Value],
    list_meta: &ListMeta,
    options: TableOptions,
    now: Timestamp,
) -> Value {
    static BUILTIN: OnceLock<TableRegistry> = OnceLock::new();
    BUILTIN.get_or_init(TableRegistry::builtin).to_table(resource, objects, list_meta, options, now)
}

/// The columns of Kubernetes' `DefaultTableConvertor`: `Name` and `Created At`.
pub fn default_columns() -> Vec<ColumnDefinition> {
    vec![ColumnDefinition::name(), ColumnDefinition::new("Created At", "date", AGE_DESC)]
}

/// The default row: the name and the creation time in RFC 3339 (UTC, seconds).
pub fn default_row(obj: &Value, _now: Timestamp) -> Row {
    let created = match value::created(obj) {
        Some(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "0001-01-01T00:00:00Z".to_string(),
    };
    Row::new(vec![json!(value::name(obj)), json!(created)])
}

fn row_object(obj: &Value, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => obj.clone(),
        IncludeObject::Metadata => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": value::at(obj, &["metadata"]).filter(|m| m.is_object()).cloned().unwrap_or_else(|| json!({})),
        }),
    }
}

fn list_meta_json(meta: &ListMeta) -> Value {
    let mut out = Map::new();
    if let Some(rv) = meta.resource_version.as_deref().filter(|s| !s.is_empty()) {
        out.insert("resourceVersion".into(), json!(rv));
    }
    if let Some(c) = meta.continue_token.as_deref().filter(|s| !s.is_empty()) {
        out.insert("continue".into(), json!(c));
    }
    if let Some(n) = meta.remaining_item_count {
        out.insert("remainingItemCount".into(), json!(n));
    }
    Value::Object(out)
}

/// Test helpers shared by the printer tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The fixed "now" of every printer test.
    pub(crate) fn now() -> Timestamp {
        "2024-05-01T12:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// A timestamp `secs` seconds before [`now`], as stored JSON.
    pub(crate) fn ago(secs: i64) -> Value {
        let ts = now() - jiff::SignedDuration::from_secs(secs);
        json!(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    }

    /// The cells of `obj` printed as `group`/`resource` by the built-in registry,
    /// checking the row is as wide as the columns.
    pub(crate) fn cells(group: &str, resource: &str, obj: Value) -> Vec<Value> {
        let reg = TableRegistry::builtin();
        let gr = GroupResource::new(group, resource);
        let printer = reg.get(&gr).unwrap_or_else(|| panic!("no printer for {gr}"));
        let row = (printer.row)(&obj, now());
        assert_eq!(row.cells.len(), printer.columns.len(), "cells vs columns for {gr}");
        row.cells
    }

    /// The column names of a resource.
    pub(crate) fn column_names(group: &str, resource: &str) -> Vec<(&'static str, i32)> {
        TableRegistry::builtin()
            .columns(&GroupResource::new(group, resource))
            .iter()
            .map(|c| (c.name, c.priority))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{ago, now};
    use super::*;

    fn cm(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "default", "labels": {"a": "b"},
                            "creationTimestamp": ago(30)},
               "data": {"k": "v"}})
    }

    #[test]
    fn table_envelope_and_partial_metadata() {
        let meta = ListMeta {
            resource_version: Some("42".into()),
            continue_token: Some("tok".into()),
            remaining_item_count: Some(3),
        };
        let t = to_table(
            &GroupResource::new("", "configmaps"),
            &[cm("a")],
            &meta,
            TableOptions::default(),
            now(),
        );
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(
            t["metadata"],
            json!({"resourceVersion": "42", "continue": "tok", "remainingItemCount": 3})
        );
        assert_eq!(t["columnDefinitions"][0]["name"], "Name");
        assert_eq!(t["columnDefinitions"][0]["format"], "name");
        assert_eq!(t["rows"][0]["cells"], json!(["a", 1, "30s"]));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(t["rows"][0]["object"]["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(t["rows"][0]["object"]["metadata"]["labels"]["a"], "b");
        assert!(t["rows"][0].get("conditions").is_none());
    }

    #[test]
    fn include_object_modes_and_no_headers() {
        let gr = GroupResource::new("", "configmaps");
        let full = TableOptions { include_object: IncludeObject::Object, no_headers: true };
        let t = to_table(&gr, &[cm("a")], &ListMeta::default(), full, now());
        assert_eq!(t["rows"][0]["object"]["kind"], "ConfigMap");
        assert_eq!(t["columnDefinitions"], json!([]));
        assert_eq!(t["metadata"], json!({}));
        let none = TableOptions { include_object: IncludeObject::None, no_headers: false };
        let t = to_table(&gr, &[cm("a"), cm("b")], &ListMeta::default(), none, now());
        assert_eq!(t["rows"][1]["object"], Value::Null);
        assert_eq!(t["rows"][1]["cells"][0], "b");
    }

    #[test]
    fn include_object_parse() {
        assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse("None"), Some(IncludeObject::None));
        assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
        assert_eq!(IncludeObject::parse("object"), None);
    }

    #[test]
    fn default_table_for_unknown_kinds() {
        let obj = json!({"metadata": {"name": "r", "creationTimestamp": "2024-01-02T03:04:05Z"}});
        for (group, resource) in [
            ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"),
            ("", "limitranges"),
            ("apiextensions.k8s.io", "customresourcedefinitions"),
            ("example.com", "widgets"),
        ] {
            let gr = GroupResource::new(group, resource);
            let t = to_table(
                &gr,
                std::slice::from_ref(&obj),
                &ListMeta::default(),
                TableOptions::default(),
                now(),
            );
            assert_eq!(t["columnDefinitions"][1]["name"], "Created At", "{gr}");
            assert_eq!(t["columnDefinitions"][1]["type"], "date", "{gr}");
            assert_eq!(t["rows"][0]["cells"], json!(["r", "2024-01-02T03:04:05Z"]), "{gr}");
        }
        let bare = default_row(&json!({}), now());
        assert_eq!(bare.cells, vec![json!(""), json!("0001-01-01T00:00:00Z")]);
    }

    #[test]
    fn custom_registration_overrides() {
        fn row(obj: &Value, _: Timestamp) -> Row {
            Row::new(vec![json!(value::name(obj)), json!(7)])
        }
        let mut reg = TableRegistry::new();
        reg.register(
            "example.com",
            "widgets",
            vec![ColumnDefinition::name(), ColumnDefinition::new("Size", "integer", "s")],
            row,
        );
        let t = reg.to_table(
            &GroupResource::new("example.com", "widgets"),
            &[cm("w")],
            &ListMeta::default(),
            TableOptions::default(),
            now(),
        );
        assert_eq!(t["rows"][0]["cells"], json!(["w", 7]));
        assert_eq!(t["columnDefinitions"][1]["name"], "Size");
    }

    #[test]
    fn malformed_objects_do_not_panic() {
        let reg = TableRegistry::builtin();
        let junk =
            [json!(null), json!(42), json!({"metadata": 1, "spec": [], "status": "x"}), json!({})];
        for (gr, printer) in &reg.printers {
            for obj in &junk {
                let row = (printer.row)(obj, now());
                assert_eq!(row.cells.len(), printer.columns.len(), "{gr}");
            }
        }
        assert!(reg.printers.len() >= 30);
    }
}
