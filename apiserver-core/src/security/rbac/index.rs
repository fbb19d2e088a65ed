//! The RBAC index: Roles, ClusterRoles and their bindings followed through the API server's watch caches, resolved into per-subject grants once per change — never listed per request.
//!
//! One follower per resource ([`crate::security::follow`]) lists its watch cache, then
//! follows its watch. After each batch of events a new [`Snapshot`] is built and swapped
//! in: ClusterRole aggregation resolved (an aggregated role's rules are the union of the
//! roles its selectors pick, nested aggregation included), each binding's role resolved
//! to its rules, and grants indexed by user name and by group, each subject's rules by
//! the resource they name. A request then looks at the rules of its user and groups that
//! name its resource (or `*`) only. [`RbacIndex::wait_for`] returns once all four
//! followers have applied a revision.

use std::collections::{BTreeMap, HashSet};

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;
use std::time::Duration;

use capstan_api_types::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use capstan_api_types::labels::Selector;
use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use super::rules::PolicyRule;
use crate::request::RequestInfo;
use crate::security::authn::service_account::service_account_username;
use crate::security::follow::{self, Position, Sink};
use crate::server::auth::UserInfo;
use crate::watch_cache::{CacheEvent, CachedObject, WatchCache};

/// The API group of RBAC.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The four RBAC resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RbacKind {
    /// `clusterroles`.
    ClusterRole,
    /// `roles`.
    Role,
    /// `clusterrolebindings`.
    ClusterRoleBinding,
    /// `rolebindings`.
    RoleBinding,
}

impl RbacKind {
    /// All four, in feed order.
    pub const ALL: [RbacKind; 4] = [
        RbacKind::ClusterRole,
        RbacKind::Role,
        RbacKind::ClusterRoleBinding,
        RbacKind::RoleBinding,
    ];

    /// The plural resource name.
    pub fn plural(self) -> &'static str {
        match self {
            RbacKind::ClusterRole => "clusterroles",
            RbacKind::Role => "roles",
            RbacKind::ClusterRoleBinding => "clusterrolebindings",
            RbacKind::RoleBinding => "rolebindings",
        }
    }
}

/// A Role or ClusterRole as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
struct RoleObj {
    rules: Vec<PolicyRule>,
    labels: BTreeMap<String, String>,
    /// `aggregationRule.clusterRoleSelectors`, when present.
    aggregation: Option<Vec<Selector>>,
}

/// A binding subject.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subject {
    kind: String,
    name: String,
    namespace: String,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BindingObj {
    role_kind: String,
    role_name: String,
    subjects: Vec<Subject>,
}

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
type Key = (String, String);

#[derive(Debug, Default)]
struct Raw {
    cluster_roles: HashMap<String, RoleObj>,
    roles: HashMap<Key, RoleObj>,
    cluster_bindings: HashMap<String, BindingObj>,
    bindings: HashMap<Key, BindingObj>,
}

/// One binding's permissions: where they apply and the rules.
#[derive(Debug, Clone)]
pub struct Grant {
    /// `None`: everywhere (a ClusterRoleBinding); else only in this namespace.
    pub namespace: Option<String>,
    /// The bound role's rules.
    pub rules: Arc<[PolicyRule]>,
}

impl Grant {
    fn applies_in(&self, namespace: &str) -> bool {
        self.namespace.as_deref().is_none_or(|ns| ns == namespace)
    }
}

/// Where one rule of a subject's grants is: `(grant, rule)` indexes.
type RuleAt = (usize, usize);

/// The grants of one subject, with their resource rules indexed by the resource they
/// name (`pods` for `pods` and `pods/log`; `*` for `*` and `*/scale`).
#[derive(Debug, Default)]
struct SubjectGrants {
    grants: Vec<Grant>,
    by_resource: HashMap<String, Vec<RuleAt>>,
    /// Rules with `nonResourceURLs`.
    non_resource: Vec<RuleAt>,
}

impl SubjectGrants {
    fn push(&mut self, grant: Grant) {
        let g = self.grants.len();
        for (r, rule) in grant.rules.iter().enumerate() {
            let mut named = HashSet::new();
            for resource in &rule.resources {
                let base = resource.split_once('/').map_or(resource.as_str(), |(base, _)| base);
                if named.insert(base) {
                    self.by_resource.entry(base.to_string()).or_default().push((g, r));
                }
            }
            if !rule.non_resource_urls.is_empty() {
                self.non_resource.push((g, r));
            }
        }
        self.grants.push(grant);
    }

    /// Whether one of the rules that can match the request allows it.
    fn allows(&self, info: &RequestInfo) -> bool {
        let allows = |&(g, r): &RuleAt| {
            let grant = &self.grants[g];
            grant.applies_in(&info.namespace) && grant.rules[r].allows(info)
        };
        if !info.is_resource_request {
            return self.non_resource.iter().any(allows);
        }
        [info.resource.as_str(), "*"]
            .iter()
            .filter_map(|resource| self.by_resource.get(*resource))
            .any(|rules| rules.iter().any(allows))
    }
}

/// The resolved state at one point: effective roles and grants by subject.
#[derive(Debug, Default)]
pub struct Snapshot {
    cluster_roles: HashMap<String, Arc<[PolicyRule]>>,
    roles: HashMap<Key, Arc<[PolicyRule]>>,
    by_user: HashMap<String, SubjectGrants>,
    by_group: HashMap<String, SubjectGrants>,
    /// Aggregated ClusterRoles whose stored rules differ from their aggregation.
    pub(crate) stale_aggregations: Vec<(String, Arc<[PolicyRule]>)>,
}

impl Snapshot {
    /// The grants of the user and of each of its groups.
    fn subjects<'a>(&'a self, user: &'a UserInfo) -> impl Iterator<Item = &'a SubjectGrants> + 'a {
        self.by_user
            .get(&user.name)
            .into_iter()
            .chain(user.groups.iter().filter_map(|g| self.by_group.get(g)))
    }

    /// The grants of a user (by name and by each group).
    pub fn grants<'a>(&'a self, user: &'a UserInfo) -> impl Iterator<Item = &'a Grant> + 'a {
        self.subjects(user).flat_map(|s| s.grants.iter())
    }

    /// Whether some grant of `user` allows the request.
    pub fn allows(&self, user: &UserInfo, info: &RequestInfo) -> bool {
        self.subjects(user).any(|s| s.allows(info))
    }

    /// Every rule `user` holds in `namespace` (cluster-wide ones included; only those
    /// when `namespace` is empty).
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for grant in self.grants(user).filter(|g| g.applies_in(namespace)) {
            for rule in grant.rules.iter() {
                if seen.insert(rule.clone()) {
                    out.push(rule.clone());
                }
            }
        }
        out
    }

    /// The effective rules of a ClusterRole (aggregation applied).
    pub fn cluster_role(&self, name: &str) -> Option<Arc<[PolicyRule]>> {
        self.cluster_roles.get(name).cloned()
    }

    /// The rules of a Role.
    pub fn role(&self, namespace: &str, name: &str) -> Option<Arc<[PolicyRule]>> {
        self.roles.get(&(namespace.to_string(), name.to_string())).cloned()
    }
}

fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

fn parse_role(object: &Value) -> RoleObj {
    let aggregation = object
        .pointer("/aggregationRule/clusterRoleSelectors")
        .and_then(Value::as_array)
        .map(|selectors| {
            selectors
                .iter()
                .filter_map(|s| serde_json::from_value::<LabelSelector>(s.clone()).ok())
                .filter_map(|s| Selector::from_label_selector(Some(&s)).ok())
                .collect()
        });
    RoleObj { rules: PolicyRule::list_from_object(object), labels: labels_of(object), aggregation }
}

fn parse_binding(object: &Value) -> BindingObj {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let role_ref = object.get("roleRef").cloned().unwrap_or(Value::Null);
    BindingObj {
        role_kind: s(&role_ref, "kind"),
        role_name: s(&role_ref, "name"),
        subjects: object
            .get("subjects")
            .and_then(Value::as_array)
            .map(|subjects| {
                subjects
                    .iter()
                    .map(|sub| Subject {
                        kind: s(sub, "kind"),
                        name: s(sub, "name"),
                        namespace: s(sub, "namespace"),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Resolves a ClusterRole's effective rules (aggregation, nested, cycles cut).
fn resolve(
    name: &str,
    raw: &Raw,
    memo: &mut HashMap<String, Arc<[PolicyRule]>>,
    visiting: &mut HashSet<String>,
) -> Arc<[PolicyRule]> {
    if let Some(done) = memo.get(name) {
        return done.clone();
    }
    let Some(role) = raw.cluster_roles.get(name) else { return Arc::from(Vec::new()) };
    let Some(selectors) = &role.aggregation else {
        let rules: Arc<[PolicyRule]> = Arc::from(role.rules.clone());
        memo.insert(name.to_string(), rules.clone());
        return rules;
    };
    if !visiting.insert(name.to_string()) {
        return Arc::from(role.rules.clone());
    }
    let mut selected: Vec<&String> = raw
        .cluster_roles
        .iter()
        .filter(|(other, r)| *other != name && selectors.iter().any(|s| s.matches(&r.labels)))
        .map(|(other, _)| other)
        .collect();
    selected.sort();
    let mut rules: Vec<PolicyRule> = Vec::new();
    for other in selected {
        for rule in resolve(other, raw, memo, visiting).iter() {
            if !rules.contains(rule) {
                rules.push(rule.clone());
            }
        }
    }
    visiting.remove(name);
    let rules: Arc<[PolicyRule]> = Arc::from(rules);
    memo.insert(name.to_string(), rules.clone());
    rules
}

fn build(raw: &Raw) -> Snapshot {
    let mut memo = HashMap::new();
    let mut visiting = HashSet::new();
    let mut snapshot = Snapshot::default();
    for name in raw.cluster_roles.keys() {
        let rules = resolve(name, raw, &mut memo, &mut visiting);
        let role = &raw.cluster_roles[name];
        if role.aggregation.is_some() && role.rules.as_slice() != &*rules {
            snapshot.stale_aggregations.push((name.clone(), rules.clone()));
        }
        snapshot.cluster_roles.insert(name.clone(), rules);
    }
    for (key, role) in &raw.roles {
        snapshot.roles.insert(key.clone(), Arc::from(role.rules.clone()));
    }
    let mut add = |binding: &BindingObj, namespace: Option<&str>| {
        let rules = match (binding.role_kind.as_str(), namespace) {
            ("ClusterRole", _) => snapshot.cluster_roles.get(&binding.role_name).cloned(),
            ("Role", Some(ns)) => {
                snapshot.roles.get(&(ns.to_string(), binding.role_name.clone())).cloned()
            }
            _ => None,
        };
        let Some(rules) = rules else { return };
        let grant = Grant { namespace: namespace.map(str::to_string), rules };
        for subject in &binding.subjects {
            match subject.kind.as_str() {
                "User" => {
                    snapshot.by_user.entry(subject.name.clone()).or_default().push(grant.clone())
                }
                "Group" => {
                    snapshot.by_group.entry(subject.name.clone()).or_default().push(grant.clone())
                }
                "ServiceAccount" => {
                    let ns = if subject.namespace.is_empty() {
                        namespace.unwrap_or("")
                    } else {
                        &subject.namespace
                    };
                    if !ns.is_empty() {
                        let user = service_account_username(ns, &subject.name);
                        snapshot.by_user.entry(user).or_default().push(grant.clone());
                    }
                }
                _ => {}
            }
        }
    };
    for binding in raw.cluster_bindings.values() {
        add(binding, None);
    }
    for ((ns, _), binding) in &raw.bindings {
        add(binding, Some(ns));
    }
    snapshot
}

struct Shared {
    raw: Mutex<Raw>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Each resource's cache and follower position, once started.
    feeds: Mutex<Vec<(Arc<WatchCache>, Arc<Position>)>>,
    stop: watch::Sender<bool>,
    /// Told after each rebuild (the aggregation writer listens).
    rebuilt: watch::Sender<u64>,
}

/// The RBAC index (see the [module documentation](self)). Cheap to clone.
#[derive(Clone)]
pub struct RbacIndex {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RbacIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RbacIndex").field("revision", &self.revision()).finish()
    }
}

impl Default for RbacIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl RbacIndex {
    /// An empty index (denies everything until started).
    pub fn new() -> Self {
        RbacIndex {
            shared: Arc::new(Shared {
                raw: Mutex::new(Raw::default()),
                snapshot: RwLock::new(Arc::new(Snapshot::default())),
                feeds: Mutex::new(Vec::new()),
                stop: watch::channel(false).0,
                rebuilt: watch::channel(0).0,
            }),
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.snapshot.read().clone()
    }

    /// Whether the current snapshot allows `user` the request ([`Snapshot::allows`],
    /// without taking a reference to the snapshot: one shared counter fewer to touch
    /// per request).
    pub fn allows(&self, user: &UserInfo, info: &RequestInfo) -> bool {
        self.shared.snapshot.read().allows(user, info)
    }

    /// Follows the four RBAC watch caches (one task each).
    pub fn start(&self, caches: Vec<(RbacKind, Arc<WatchCache>)>) {
        for (kind, cache) in caches {
            let position = Arc::new(Position::default());
            self.shared.feeds.lock().push((cache.clone(), position.clone()));
            let sink = Feed { shared: self.shared.clone(), kind };
            tokio::spawn(follow::follow(cache, sink, position, self.shared.stop.subscribe()));
        }
    }

    /// Stops following the caches.
    pub fn stop(&self) {
        self.shared.stop.send_replace(true);
    }

    fn feeds(&self) -> Vec<(Arc<WatchCache>, Arc<Position>)> {
        self.shared.feeds.lock().clone()
    }

    /// The revision up to which every RBAC resource is applied (`-1` before all were
    /// listed, or when not started).
    pub fn revision(&self) -> i64 {
        self.feeds().iter().map(|(_, p)| p.applied()).min().unwrap_or(-1)
    }

    /// Waits until every resource was listed once; `false` after `timeout`.
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let feeds = self.feeds();
        !feeds.is_empty()
            && futures::future::join_all(feeds.iter().map(|(_, p)| p.listed(deadline)))
                .await
                .into_iter()
                .all(|listed| listed)
    }

    /// Waits until the index has applied every RBAC change up to `revision` — of all four
    /// resources, whichever was written (the resourceVersion of an RBAC object just
    /// written, or the store's revision) — so an authorization afterwards sees it;
    /// `false` after `timeout`, or when the index was not started.
    pub async fn wait_for(&self, revision: i64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let feeds = self.feeds();
        !feeds.is_empty()
            && futures::future::join_all(
                feeds.iter().map(|(cache, p)| p.reach(cache, revision, deadline)),
            )
            .await
            .into_iter()
            .all(|reached| reached)
    }

    /// A receiver told after every rebuild.
    pub(crate) fn rebuilds(&self) -> watch::Receiver<u64> {
        self.shared.rebuilt.subscribe()
    }

    /// A receiver of the stop signal.
    pub(crate) fn stopped(&self) -> watch::Receiver<bool> {
        self.shared.stop.subscribe()
    }
}

fn apply(raw: &mut Raw, kind: RbacKind, object: &CachedObject, deleted: bool) {
    let ns = object.namespace.clone().unwrap_or_default();
    let name = object.name.clone();
    let value: Option<Value> = if deleted { None } else { object.json.to_value().ok() };
    match kind {
        RbacKind::ClusterRole => match value {
            Some(v) => drop(raw.cluster_roles.insert(name, parse_role(&v))),
            None => drop(raw.cluster_roles.remove(&name)),
        },
        RbacKind::Role => match value {
            Some(v) => drop(raw.roles.insert((ns, name), parse_role(&v))),
            None => drop(raw.roles.remove(&(ns, name))),
        },
        RbacKind::ClusterRoleBinding => match value {
            Some(v) => drop(raw.cluster_bindings.insert(name, parse_binding(&v))),
            None => drop(raw.cluster_bindings.remove(&name)),
        },
        RbacKind::RoleBinding => match value {
            Some(v) => drop(raw.bindings.insert((ns, name), parse_binding(&v))),
            None => drop(raw.bindings.remove(&(ns, name))),
        },
    }
}

fn clear(raw: &mut Raw, kind: RbacKind) {
    match kind {
        RbacKind::ClusterRole => raw.cluster_roles.clear(),
        RbacKind::Role => raw.roles.clear(),
        RbacKind::ClusterRoleBinding => raw.cluster_bindings.clear(),
        RbacKind::RoleBinding => raw.bindings.clear(),
    }
}

/// Builds and publishes a snapshot of `raw`. The caller still holds `raw`'s lock, so
/// snapshots are published in the order of the changes they contain (two followers'
/// rebuilds never leave the older one in place).
fn rebuild(shared: &Shared, raw: &Raw) {
    let snapshot = Arc::new(build(raw));
    *shared.snapshot.write() = snapshot;
    shared.rebuilt.send_modify(|n| *n += 1);
}

/// One RBAC resource's follower: its changes go into the shared raw state, and every
/// batch rebuilds the snapshot.
struct Feed {
    shared: Arc<Shared>,
    kind: RbacKind,
}

impl Sink for Feed {
    fn reset(&self, objects: &[Arc<CachedObject>]) {
        let mut raw = self.shared.raw.lock();
        clear(&mut raw, self.kind);
        for object in objects {
            apply(&mut raw, self.kind, object, false);
        }
        rebuild(&self.shared, &raw);
    }

    fn apply(&self, events: &[CacheEvent]) {
        let mut raw = self.shared.raw.lock();
        for event in events {
            match event {
                CacheEvent::Added(o) | CacheEvent::Modified(o) => {
                    apply(&mut raw, self.kind, o, false)
                }
                CacheEvent::Deleted(o) => apply(&mut raw, self.kind, o, true),
                CacheEvent::Bookmark(_) | CacheEvent::InitialEventsEnd(_) => {}
            }
        }
        rebuild(&self.shared, &raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn role(rules: Value, labels: Value, aggregation: Option<Value>) -> RoleObj {
        let mut obj = json!({"metadata": {"labels": labels}, "rules": rules});
        if let Some(a) = aggregation {
            obj["aggregationRule"] = json!({"clusterRoleSelectors": a});
        }
        parse_role(&obj)
    }

    #[test]
    fn aggregation_is_nested_and_bindings_resolve() {
        let mut raw = Raw::default();
        raw.cluster_roles.insert(
            "view".into(),
            role(
                json!([]),
                json!({"agg-edit": "true"}),
                Some(json!([{"matchLabels": {"agg-view": "true"}}])),
            ),
        );
        raw.cluster_roles.insert(
            "view-pods".into(),
            role(
                json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
                json!({"agg-view": "true"}),
                None,
            ),
        );
        raw.cluster_roles.insert(
            "edit".into(),
            role(json!([]), json!({}), Some(json!([{"matchLabels": {"agg-edit": "true"}}]))),
        );
        raw.bindings.insert(
            ("ns".into(), "b".into()),
            parse_binding(&json!({
                "roleRef": {"kind": "ClusterRole", "name": "edit"},
                "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "sa"}]
            })),
        );
        let snap = build(&raw);
        assert_eq!(snap.cluster_role("edit").unwrap().len(), 1);
        assert_eq!(snap.stale_aggregations.len(), 2);
        let alice = UserInfo::new("alice", Vec::<String>::new());
        let get = |ns: &str| {
            let q = crate::request::Query::parse("");
            RequestInfo::parse(&http::Method::GET, &format!("/api/v1/namespaces/{ns}/pods/p"), &q)
                .unwrap()
        };
        assert!(snap.allows(&alice, &get("ns")));
        assert!(!snap.allows(&alice, &get("other")));
        let sa = UserInfo::new("system:serviceaccount:ns:sa", Vec::<String>::new());
        assert!(snap.allows(&sa, &get("ns")));
        assert_eq!(snap.rules_for(&alice, "ns").len(), 1);
        assert!(snap.rules_for(&alice, "").is_empty());
    }
}
