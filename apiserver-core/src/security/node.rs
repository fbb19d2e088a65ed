//! The Node authorizer: a kubelet (`system:node:<name>` in `system:nodes`) may touch its own Node and Lease, the pods bound to it, and the secrets, configmaps, volume claims, volumes and ServiceAccount tokens those pods reference.
//!
//! The pod → node relation comes from a graph fed by the pods watch cache (list, then
//! watch), so a check looks at the pods of one node only. Requests outside what a node
//! needs get no opinion (RBAC may still allow them); reads of graph-tracked kinds with no
//! relationship get no opinion either, so the answer is `403` unless RBAC grants more.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::watch;

use super::follow::{self, Position, Sink};
use super::lookup::ObjectLookup;
use crate::request::RequestInfo;
use crate::server::auth::{Authorizer, Decision, SubjectRules, UserInfo};
use crate::watch_cache::{CacheEvent, CachedObject, WatchCache};

/// The group of every node identity.
pub const NODES_GROUP: &str = "system:nodes";

/// The node name of a kubelet identity, if `user` is one.
pub fn node_name(user: &UserInfo) -> Option<&str> {
    let name = user.name.strip_prefix("system:node:")?;
    (!name.is_empty() && user.in_group(NODES_GROUP)).then_some(name)
}

/// What one pod references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PodRefs {
    node: String,
    secrets: HashSet<String>,
    configmaps: HashSet<String>,
    claims: HashSet<String>,
    service_account: String,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// What a parsed pod references (a pod the view cannot read references nothing).
#[cfg(test)]
fn pod_refs(pod: &Value) -> PodRefs {
    use serde::Deserialize as _;
    view::Pod::deserialize(pod).map(|p| p.refs()).unwrap_or_default()
}

/// `(namespace, name)` of a pod.
type PodKey = (String, String);

#[derive(Debug, Default)]
struct Graph {
    pods: HashMap<PodKey, PodRefs>,
    by_node: HashMap<String, HashSet<PodKey>>,
}

impl Graph {
    fn remove(&mut self, key: &PodKey) {
        if let Some(old) = self.pods.remove(key)
            && let Some(set) = self.by_node.get_mut(&old.node)
        {
            set.remove(key);
            if set.is_empty() {
                self.by_node.remove(&old.node);
            }
        }
    }

    fn upsert(&mut self, key: PodKey, refs: PodRefs) {
        self.remove(&key);
        if refs.node.is_empty() {
            return;
        }
        self.by_node.entry(refs.node.clone()).or_default().insert(key.clone());
        self.pods.insert(key, refs);
    }

    /// The references of the pods bound to `node` in `namespace`.
    fn pods_of<'a>(
        &'a self,
        node: &str,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a PodKey, &'a PodRefs)> + 'a {
        self.by_node
            .get(node)
            .into_iter()
            .flatten()
            .filter(move |k| k.0 == namespace)
            .filter_map(|k| self.pods.get_key_value(k))
    }
}

/// The Node authorizer (see the [module documentation](self)).
#[derive(Clone)]
pub struct NodeAuthorizer {
    graph: Arc<RwLock<Graph>>,
    lookup: ObjectLookup,
    stop: watch::Sender<bool>,
    /// The pods cache followed and how far the graph has applied it (set by `start`).
    followed: Arc<std::sync::OnceLock<(Arc<WatchCache>, Arc<Position>)>>,
}

/// How long a request that the graph would refuse waits for the graph to catch up with
/// the pods written before it (a kubelet acts on a pod as soon as its watch shows it).
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(2);

impl std::fmt::Debug for NodeAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeAuthorizer").field("pods", &self.graph.read().pods.len()).finish()
    }
}

impl NodeAuthorizer {
    /// An authorizer with an empty graph; PersistentVolume checks read claims via `lookup`.
    pub fn new(lookup: ObjectLookup) -> Self {
        NodeAuthorizer {
            graph: Arc::default(),
            lookup,
            stop: watch::channel(false).0,
            followed: Arc::default(),
        }
    }

    /// Follows the pods watch cache.
    pub fn start(&self, pods: Arc<WatchCache>) {
        let feed = GraphFeed(self.graph.clone());
        let position = Arc::new(Position::default());
        let _ = self.followed.set((pods.clone(), position.clone()));
        tokio::spawn(follow::follow(pods, feed, position, self.stop.subscribe()));
    }

    /// Stops following the pods.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    fn pod_on_node(&self, node: &str, namespace: &str, name: &str) -> bool {
        self.graph
            .read()
            .pods
            .get(&(namespace.to_string(), name.to_string()))
            .is_some_and(|p| p.node == node)
    }

    /// Whether `info` reads, deletes or updates the status of one pod the graph does not
    /// have.
    fn about_a_missing_pod(&self, info: &RequestInfo) -> bool {
        let one_pod = info.api_group.is_empty()
            && info.resource == "pods"
            && !info.name.is_empty()
            && matches!(
                (info.verb.as_str(), info.subresource.as_str()),
                ("get" | "delete", "") | ("get" | "update" | "patch", "status")
            );
        one_pod
            && !self.graph.read().pods.contains_key(&(info.namespace.clone(), info.name.clone()))
    }

    fn referenced(&self, node: &str, namespace: &str, pick: impl Fn(&PodRefs) -> bool) -> bool {
        self.graph.read().pods_of(node, namespace).any(|(_, refs)| pick(refs))
    }

    async fn volume_of_node(&self, node: &str, volume: &str) -> bool {
        let claims: Vec<(String, String)> = {
            let graph = self.graph.read();
            graph
                .by_node
                .get(node)
                .into_iter()
                .flatten()
                .filter_map(|k| graph.pods.get(k).map(|p| (k.0.clone(), p)))
                .flat_map(|(ns, p)| p.claims.iter().map(move |c| (ns.clone(), c.clone())))
                .collect()
        };
        for (ns, claim) in claims {
            if let Some(pvc) = self.lookup.get("", "persistentvolumeclaims", &ns, &claim).await
                && str_at(&pvc, "/spec/volumeName") == Some(volume)
            {
                return true;
            }
        }
        false
    }
}

fn allow_if(condition: bool) -> Decision {
    if condition { Decision::Allow } else { Decision::NoOpinion }
}

#[async_trait]
impl Authorizer for NodeAuthorizer {
    /// Decides from the graph; a request the graph would refuse is decided again once the
    /// graph has applied every pod written before the request, so a kubelet acting on a
    /// pod it has just been bound is not refused because the graph lagged.
    async fn authorize(&self, user: &UserInfo, info: &RequestInfo) -> Decision {
        let first = self.decide(user, info).await;
        if first == Decision::Allow || node_name(user).is_none() || !info.is_resource_request {
            return first;
        }
        let Some((pods, position)) = self.followed.get() else { return first };
        let deadline = tokio::time::Instant::now() + CATCH_UP;
        if !position.reach(pods, pods.revision(), deadline).await {
            return first;
        }
        let second = self.decide(user, info).await;
        if second == Decision::NoOpinion && self.about_a_missing_pod(info) {
            // The pod does not exist (the graph has every pod written before this
            // request): let the request through to its 404, as Kubernetes answers a
            // kubelet asking after a pod that is gone.
            return Decision::Allow;
        }
        second
    }

    /// No opinion on anyone but nodes, at once; a node's requests are decided by
    /// [`Authorizer::authorize`] (which may wait for the graph).
    fn decide_now(&self, user: &UserInfo, _info: &RequestInfo) -> Option<Decision> {
        node_name(user).is_none().then_some(Decision::NoOpinion)
    }

    fn rules_for(&self, user: &UserInfo, _namespace: &str) -> Option<SubjectRules> {
        // A node's permissions depend on the objects of each request: not enumerable.
        if node_name(user).is_some() { None } else { Some(SubjectRules::default()) }
    }
}

impl NodeAuthorizer {
    /// The decision the graph gives now.
    async fn decide(&self, user: &UserInfo, info: &RequestInfo) -> Decision {
        let Some(node) = node_name(user) else { return Decision::NoOpinion };
        if !info.is_resource_request {
            return Decision::NoOpinion;
        }
        let (ns, name, verb, sub) = (
            info.namespace.as_str(),
            info.name.as_str(),
            info.verb.as_str(),
            info.subresource.as_str(),
        );
        let read = matches!(verb, "get" | "list" | "watch");
        // One named object: a get, or a list/watch with a `metadata.name` field selector.
        let read_one = read && !name.is_empty() && sub.is_empty();
        match (info.api_group.as_str(), info.resource.as_str()) {
            ("", "secrets") if read_one => {
                allow_if(self.referenced(node, ns, |r| r.secrets.contains(name)))
            }
            ("", "configmaps") if read_one => {
                allow_if(self.referenced(node, ns, |r| r.configmaps.contains(name)))
            }
            ("", "persistentvolumeclaims") if read_one => {
                allow_if(self.referenced(node, ns, |r| r.claims.contains(name)))
            }
            ("", "persistentvolumes") if read_one => {
                allow_if(self.volume_of_node(node, name).await)
            }
            ("", "serviceaccounts") if sub == "token" && verb == "create" => {
                allow_if(self.referenced(node, ns, |r| r.service_account == name))
            }
            ("", "nodes") => match (verb, sub) {
                (_, "") if read => Decision::Allow,
                ("create", "") => Decision::Allow,
                ("update" | "patch" | "delete", "") | ("update" | "patch" | "get", "status") => {
                    allow_if(name == node)
                }
                _ => Decision::NoOpinion,
            },
            ("", "pods") => match (verb, sub) {
                ("list" | "watch", "") => Decision::Allow,
                ("get", "") | ("delete", "") | ("update" | "patch" | "get", "status") => {
                    allow_if(self.pod_on_node(node, ns, name))
                }
                ("create", "") => Decision::Allow,
                ("create", "eviction") => allow_if(self.pod_on_node(node, ns, name)),
                _ => Decision::NoOpinion,
            },
            ("coordination.k8s.io", "leases") if ns == "kube-node-lease" => {
                allow_if(verb == "create" || name == node)
            }
            ("" | "events.k8s.io", "events") => {
                allow_if(matches!(verb, "create" | "patch" | "update"))
            }
            ("", "services" | "endpoints") | ("discovery.k8s.io", "endpointslices") => {
                allow_if(read)
            }
            ("authentication.k8s.io", "tokenreviews")
            | ("authorization.k8s.io", "subjectaccessreviews") => allow_if(verb == "create"),
            _ => Decision::NoOpinion,
        }
    }
}

fn apply(graph: &mut Graph, object: &CachedObject, deleted: bool) {
    let key = (object.namespace.clone().unwrap_or_default(), object.name.clone());
    // A pod bound to no node is in no node's graph: its selectable `spec.nodeName`
    // says so without reading the pod.
    if deleted || object.fields.get("spec.nodeName").is_none() {
        graph.remove(&key);
        return;
    }
    // The references only, read off the bytes as stored (no resourceVersion, no copy).
    match serde_json::from_slice::<view::Pod<'_>>(object.json.without_resource_version()) {
        Ok(pod) => graph.upsert(key, pod.refs()),
        Err(_) => graph.remove(&key),
    }
}

/// A borrowed view of the parts of a pod [`PodRefs`] come from; everything else is
/// skipped unparsed.
mod view {
    use std::borrow::Cow;

    use serde::Deserialize;

    use super::PodRefs;

    /// A string member, borrowed unless it has escapes. Lists and objects are `Option`s
    /// too: a `null` reads as absent.
    type Text<'a> = Option<Cow<'a, str>>;

    fn non_empty(text: &Text<'_>) -> Option<String> {
        text.as_deref().filter(|s| !s.is_empty()).map(str::to_owned)
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    pub(super) struct Pod<'a> {
        #[serde(borrow)]
        metadata: Meta<'a>,
        #[serde(borrow)]
        spec: Spec<'a>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Meta<'a> {
        #[serde(borrow)]
        name: Text<'a>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Spec<'a> {
        #[serde(borrow)]
        node_name: Text<'a>,
        #[serde(borrow)]
        service_account_name: Text<'a>,
        #[serde(borrow)]
        volumes: Option<Vec<Volume<'a>>>,
        #[serde(borrow)]
        containers: Option<Vec<Container<'a>>>,
        #[serde(borrow)]
        init_containers: Option<Vec<Container<'a>>>,
        #[serde(borrow)]
        ephemeral_containers: Option<Vec<Container<'a>>>,
        #[serde(borrow)]
        image_pull_secrets: Option<Vec<Named<'a>>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Volume<'a> {
        #[serde(borrow)]
        name: Text<'a>,
        #[serde(borrow)]
        secret: Option<SecretVolume<'a>>,
        #[serde(borrow)]
        config_map: Option<Named<'a>>,
        #[serde(borrow)]
        persistent_volume_claim: Option<Claim<'a>>,
        ephemeral: Option<serde::de::IgnoredAny>,
        #[serde(borrow)]
        projected: Option<Projected<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct SecretVolume<'a> {
        #[serde(borrow)]
        secret_name: Text<'a>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Claim<'a> {
        #[serde(borrow)]
        claim_name: Text<'a>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Named<'a> {
        #[serde(borrow)]
        name: Text<'a>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Projected<'a> {
        #[serde(borrow)]
        sources: Option<Vec<Source<'a>>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Source<'a> {
        #[serde(borrow)]
        secret: Option<Named<'a>>,
        #[serde(borrow)]
        config_map: Option<Named<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Container<'a> {
        #[serde(borrow)]
        env: Option<Vec<Env<'a>>>,
        #[serde(borrow)]
        env_from: Option<Vec<EnvFrom<'a>>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Env<'a> {
        #[serde(borrow)]
        value_from: Option<ValueFrom<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct ValueFrom<'a> {
        #[serde(borrow)]
        secret_key_ref: Option<Named<'a>>,
        #[serde(borrow)]
        config_map_key_ref: Option<Named<'a>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct EnvFrom<'a> {
        #[serde(borrow)]
        secret_ref: Option<Named<'a>>,
        #[serde(borrow)]
        config_map_ref: Option<Named<'a>>,
    }

    impl Pod<'_> {
        /// What the pod references.
        pub(super) fn refs(&self) -> PodRefs {
            let spec = &self.spec;
            let mut refs = PodRefs {
                node: non_empty(&spec.node_name).unwrap_or_default(),
                service_account: non_empty(&spec.service_account_name)
                    .unwrap_or_else(|| "default".to_string()),
                ..PodRefs::default()
            };
            let pod_name = self.metadata.name.as_deref().unwrap_or("");
            let name = |n: &Option<Named<'_>>| n.as_ref().and_then(|n| non_empty(&n.name));
            for volume in spec.volumes.iter().flatten() {
                refs.secrets.extend(volume.secret.as_ref().and_then(|s| non_empty(&s.secret_name)));
                refs.configmaps.extend(name(&volume.config_map));
                refs.claims.extend(
                    volume.persistent_volume_claim.as_ref().and_then(|c| non_empty(&c.claim_name)),
                );
                if volume.ephemeral.is_some()
                    && let Some(v) = non_empty(&volume.name)
                {
                    refs.claims.insert(format!("{pod_name}-{v}"));
                }
                for source in volume.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
                    refs.secrets.extend(name(&source.secret));
                    refs.configmaps.extend(name(&source.config_map));
                }
            }
            let lists = [&spec.containers, &spec.init_containers, &spec.ephemeral_containers];
            let containers = lists.into_iter().flatten().flatten();
            for container in containers {
                for from in container.env.iter().flatten().filter_map(|e| e.value_from.as_ref()) {
                    refs.secrets.extend(name(&from.secret_key_ref));
                    refs.configmaps.extend(name(&from.config_map_key_ref));
                }
                for from in container.env_from.iter().flatten() {
                    refs.secrets.extend(name(&from.secret_ref));
                    refs.configmaps.extend(name(&from.config_map_ref));
                }
            }
            for secret in spec.image_pull_secrets.iter().flatten() {
                refs.secrets.extend(non_empty(&secret.name));
            }
            refs
        }
    }
}

/// The graph as a follower of the pods watch cache.
struct GraphFeed(Arc<RwLock<Graph>>);

impl Sink for GraphFeed {
    fn reset(&self, objects: &[Arc<CachedObject>]) {
        let mut fresh = Graph::default();
        for object in objects {
            apply(&mut fresh, object, false);
        }
        *self.0.write() = fresh;
    }

    fn apply(&self, events: &[CacheEvent]) {
        let mut graph = self.0.write();
        for event in events {
            match event {
                CacheEvent::Added(o) | CacheEvent::Modified(o) => apply(&mut graph, o, false),
                CacheEvent::Deleted(o) => apply(&mut graph, o, true),
                CacheEvent::Bookmark(_) | CacheEvent::InitialEventsEnd(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_references() {
        let pod = json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {
                "nodeName": "n1",
                "serviceAccountName": "sa",
                "imagePullSecrets": [{"name": "pull"}],
                "volumes": [
                    {"name": "a", "secret": {"secretName": "s1"}},
                    {"name": "b", "configMap": {"name": "c1"}},
                    {"name": "c", "persistentVolumeClaim": {"claimName": "claim"}},
                    {"name": "d", "ephemeral": {}},
                    {"name": "e", "projected": {"sources": [{"secret": {"name": "s2"}}, {"configMap": {"name": "c2"}}]}}
                ],
                "containers": [{"name": "x", "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}}],
                                "envFrom": [{"configMapRef": {"name": "c3"}}]}]
            }
        });
        let refs = pod_refs(&pod);
        // The borrowed view reads the same references off the bytes.
        let bytes = serde_json::to_vec(&pod).unwrap();
        assert_eq!(serde_json::from_slice::<view::Pod<'_>>(&bytes).unwrap().refs(), refs);
        let escaped = br#"{"spec":{"nodeName":"n\u0031","volumes":[{"name":"a","secret":{"secretName":"s\"1"}}]}}"#;
        let viewed = serde_json::from_slice::<view::Pod<'_>>(escaped).unwrap().refs();
        assert_eq!(viewed, pod_refs(&serde_json::from_slice(escaped).unwrap()));
        assert_eq!((viewed.node.as_str(), viewed.service_account.as_str()), ("n1", "default"));
        assert!(viewed.secrets.contains("s\"1"));
        // A null list reads as absent, as an absent one.
        let nulls = br#"{"spec":{"nodeName":"n2","volumes":null,"containers":[{"env":null}]}}"#;
        let viewed = serde_json::from_slice::<view::Pod<'_>>(nulls).unwrap().refs();
        assert_eq!((viewed.node.as_str(), viewed.secrets.len()), ("n2", 0));
        assert_eq!(refs.node, "n1");
        assert_eq!(refs.service_account, "sa");
        for s in ["pull", "s1", "s2", "s3"] {
            assert!(refs.secrets.contains(s), "{s}");
        }
        for c in ["c1", "c2", "c3"] {
            assert!(refs.configmaps.contains(c), "{c}");
        }
        assert!(refs.claims.contains("claim") && refs.claims.contains("p-d"));
    }

    #[tokio::test]
    async fn node_identity_reaches_only_its_objects() {
        let lookup = ObjectLookup::new(Arc::new(capstan_store::memory::MemoryStore::new()));
        let authz = NodeAuthorizer::new(lookup);
        authz.graph.write().upsert(
            ("ns".into(), "p".into()),
            pod_refs(&json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1", "volumes": [{"name": "a", "secret": {"secretName": "s1"}}]}})),
        );
        let n1 = UserInfo::new("system:node:n1", [NODES_GROUP]);
        let n2 = UserInfo::new("system:node:n2", [NODES_GROUP]);
        let info = |v: &str, path: &str| {
            let m = match v {
                "GET" => http::Method::GET,
                "PUT" => http::Method::PUT,
                _ => http::Method::DELETE,
            };
            RequestInfo::parse(&m, path, &crate::request::Query::parse("")).unwrap()
        };
        let secret = info("GET", "/api/v1/namespaces/ns/secrets/s1");
        assert_eq!(authz.authorize(&n1, &secret).await, Decision::Allow);
        // Nodes are decided by awaiting; anyone else has no opinion at once.
        assert_eq!(authz.decide_now(&n1, &secret), None);
        let someone = UserInfo::new("someone", Vec::<String>::new());
        assert_eq!(authz.decide_now(&someone, &secret), Some(Decision::NoOpinion));
        assert_eq!(authz.authorize(&someone, &secret).await, Decision::NoOpinion);
        let watch_one = RequestInfo::parse(
            &http::Method::GET,
            "/api/v1/namespaces/ns/secrets",
            &crate::request::Query::parse("watch=true&fieldSelector=metadata.name%3Ds1"),
        )
        .unwrap();
        assert_eq!(authz.authorize(&n1, &watch_one).await, Decision::Allow);
        let watch_all = info("GET", "/api/v1/namespaces/ns/secrets");
        assert_eq!(authz.authorize(&n1, &watch_all).await, Decision::NoOpinion);
        assert_eq!(authz.authorize(&n2, &secret).await, Decision::NoOpinion);
        assert_eq!(
            authz.authorize(&n1, &info("GET", "/api/v1/namespaces/ns/secrets/other")).await,
            Decision::NoOpinion
        );
        let status = info("PUT", "/api/v1/namespaces/ns/pods/p/status");
        assert_eq!(authz.authorize(&n1, &status).await, Decision::Allow);
        assert_eq!(authz.authorize(&n2, &status).await, Decision::NoOpinion);
        assert_eq!(
            authz.authorize(&n1, &info("PUT", "/api/v1/nodes/n1/status")).await,
            Decision::Allow
        );
        assert_eq!(
            authz.authorize(&n1, &info("PUT", "/api/v1/nodes/n2/status")).await,
            Decision::NoOpinion
        );
        let lease =
            info("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1");
        assert_eq!(authz.authorize(&n1, &lease).await, Decision::Allow);
        assert_eq!(authz.authorize(&n2, &lease).await, Decision::NoOpinion);
        let not_a_node = UserInfo::new("system:node:n1", Vec::<String>::new());
        assert_eq!(authz.authorize(&not_a_node, &secret).await, Decision::NoOpinion);
    }
}
