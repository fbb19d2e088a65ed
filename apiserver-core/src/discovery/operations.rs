//! The REST operations of every served resource (paths, verbs, parameters, bodies, responses), as one model both OpenAPI renderers share.

use capstan_api_types::GroupVersion;
use capstan_api_types::catalogue::{ResourceInfo, SubresourceInfo};

use super::groups::served_resources;
use super::schemas::{DELETE_OPTIONS, Definitions, PATCH, STATUS, WATCH_EVENT};

/// The JSON type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamType {
    String,
    Integer,
    Boolean,
}

impl ParamType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
        }
    }
}

/// A query parameter.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    pub description: &'static str,
    pub ty: ParamType,
}

const fn p(name: &'static str, ty: ParamType, description: &'static str) -> Param {
    Param { name, description, ty }
}

use ParamType::{Boolean, Integer, String as Str};

static ALLOW_WATCH_BOOKMARKS: Param = p(
    "allowWatchBookmarks",
    Boolean,
    "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion.",
);
static CONTINUE: Param = p(
    "continue",
    Str,
    "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue).",
);
static FIELD_SELECTOR: Param = p(
    "fieldSelector",
    Str,
    "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
);
static LABEL_SELECTOR: Param = p(
    "labelSelector",
    Str,
    "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
);
static LIMIT: Param = p(
    "limit",
    Integer,
    "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.",
);
static RESOURCE_VERSION: Param = p(
    "resourceVersion",
    Str,
    "resourceVersion sets a constraint on what resource versions a request may be served from. Defaults to unset.",
);
static RESOURCE_VERSION_MATCH: Param = p(
    "resourceVersionMatch",
    Str,
    "resourceVersionMatch determines how resourceVersion is applied to list calls. Defaults to unset.",
);
static SEND_INITIAL_EVENTS: Param = p(
    "sendInitialEvents",
    Boolean,
    "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.",
);
static TIMEOUT_SECONDS: Param = p(
    "timeoutSeconds",
    Integer,
    "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.",
);
static WATCH: Param = p(
    "watch",
    Boolean,
    "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
);
static DRY_RUN: Param = p(
    "dryRun",
    Str,
    "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
);
static FIELD_MANAGER: Param = p(
    "fieldManager",
    Str,
    "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.",
);
static FIELD_VALIDATION: Param = p(
    "fieldValidation",
    Str,
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict",
);
static FORCE: Param = p(
    "force",
    Boolean,
    "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.",
);
static GRACE_PERIOD_SECONDS: Param = p(
    "gracePeriodSeconds",
    Integer,
    "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately.",
);
static ORPHAN_DEPENDENTS: Param = p(
    "orphanDependents",
    Boolean,
    "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned.",
);
static PROPAGATION_POLICY: Param = p(
    "propagationPolicy",
    Str,
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
);
static CONTAINER: Param = p(
    "container",
    Str,
    "The container for which to stream logs or run the command. Defaults to only container if there is one container in the pod.",
);
static FOLLOW: Param = p("follow", Boolean, "Follow the log stream of the pod. Defaults to false.");
static LIMIT_BYTES: Param = p(
    "limitBytes",
    Integer,
    "If set, the number of bytes to read from the server before terminating the log output.",
);
static PREVIOUS: Param =
    p("previous", Boolean, "Return previous terminated container logs. Defaults to false.");
static SINCE_SECONDS: Param = p(
    "sinceSeconds",
    Integer,
    "A relative time in seconds before the current time from which to show logs.",
);
static TAIL_LINES: Param =
    p("tailLines", Integer, "If set, the number of lines from the end of the logs to show.");
static TIMESTAMPS: Param = p(
    "timestamps",
    Boolean,
    "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.",
);
static COMMAND: Param = p(
    "command",
    Str,
    "Command is the remote command to execute. argv array. Not executed within a shell.",
);
static STDIN: Param = p(
    "stdin",
    Boolean,
    "Redirect the standard input stream of the pod for this call. Defaults to false.",
);
static STDOUT: Param =
    p("stdout", Boolean, "Redirect the standard output stream of the pod for this call.");
static STDERR: Param =
    p("stderr", Boolean, "Redirect the standard error stream of the pod for this call.");
static TTY: Param = p(
    "tty",
    Boolean,
    "TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.",
);
static PORTS: Param = p("ports", Integer, "List of ports to forward.");
static PATH: Param = p("path", Str, "Path is the URL path to use for the current proxy request.");

static LIST_PARAMS: &[&Param] = &[
    &ALLOW_WATCH_BOOKMARKS,
    &CONTINUE,
    &FIELD_SELECTOR,
    &LABEL_SELECTOR,
    &LIMIT,
    &RESOURCE_VERSION,
    &RESOURCE_VERSION_MATCH,
    &SEND_INITIAL_EVENTS,
    &TIMEOUT_SECONDS,
    &WATCH,
];
static WRITE_PARAMS: &[&Param] = &[&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION];
static PATCH_PARAMS: &[&Param] = &[&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION, &FORCE];
static DELETE_PARAMS: &[&Param] =
    &[&DRY_RUN, &GRACE_PERIOD_SECONDS, &ORPHAN_DEPENDENTS, &PROPAGATION_POLICY];
static DELETE_COLLECTION_PARAMS: &[&Param] = &[
    &CONTINUE,
    &DRY_RUN,
    &FIELD_SELECTOR,
    &GRACE_PERIOD_SECONDS,
    &LABEL_SELECTOR,
    &LIMIT,
    &ORPHAN_DEPENDENTS,
    &PROPAGATION_POLICY,
    &RESOURCE_VERSION,
    &RESOURCE_VERSION_MATCH,
    &SEND_INITIAL_EVENTS,
    &TIMEOUT_SECONDS,
];
static LOG_PARAMS: &[&Param] =
    &[&CONTAINER, &FOLLOW, &LIMIT_BYTES, &PREVIOUS, &SINCE_SECONDS, &TAIL_LINES, &TIMESTAMPS];
static EXEC_PARAMS: &[&Param] = &[&COMMAND, &CONTAINER, &STDERR, &STDIN, &STDOUT, &TTY];
static ATTACH_PARAMS: &[&Param] = &[&CONTAINER, &STDERR, &STDIN, &STDOUT, &TTY];
static PORT_FORWARD_PARAMS: &[&Param] = &[&PORTS];
static PROXY_PARAMS: &[&Param] = &[&PATH];

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    /// An object of the named definition.
    Object(String),
    /// A patch (`Patch`, in every patch content type).
    Patch,
}

/// A response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Response {
    /// An object of the named definition.
    Object(String),
    /// Plain text (logs, connect streams).
    Text,
}

/// One operation of a path.
#[derive(Debug)]
pub(crate) struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Unique operation id, Kubernetes-style (`listCoreV1NamespacedPod`).
    pub id: String,
    /// `x-kubernetes-action`.
    pub action: &'static str,
    /// `x-kubernetes-group-version-kind`: group, version, kind.
    pub gvk: (String, String, String),
    /// Human description.
    pub description: String,
    /// Query parameters.
    pub query: &'static [&'static Param],
    /// Request body.
    pub body: Option<Body>,
    /// Status codes with their bodies.
    pub responses: Vec<(u16, Response)>,
    /// Tag (`core_v1`).
    pub tag: String,
}

/// One path with its operations.
#[derive(Debug)]
pub(crate) struct PathItem {
    /// The path (`/api/v1/namespaces/{namespace}/pods/{name}`).
    pub path: String,
    /// Path parameters in the order they appear (`namespace`, `name`).
    pub path_params: Vec<&'static str>,
    /// The name of the resource, for the `name` parameter's description.
    pub resource: String,
    /// Operations.
    pub operations: Vec<Operation>,
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// `Core`, `Apps`, `RbacAuthorization`, `Networking` (Kubernetes' operation id group word).
pub(crate) fn group_word(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    group.trim_end_matches(".k8s.io").split('.').map(capitalize).collect()
}

/// The tag of a group version (`core_v1`, `rbacAuthorization_v1`).
pub(crate) fn tag(gv: &GroupVersion) -> String {
    let word = group_word(&gv.group);
    let mut chars = word.chars();
    let first = chars.next().map(|c| c.to_ascii_lowercase().to_string()).unwrap_or_default();
    format!("{first}{}_{}", chars.as_str(), gv.version)
}

/// The URL prefix of a group version (`/api/v1`, `/apis/apps/v1`).
pub(crate) fn prefix(gv: &GroupVersion) -> String {
    if gv.group.is_empty() {
        format!("/api/{}", gv.version)
    } else {
        format!("/apis/{}/{}", gv.group, gv.version)
    }
}

struct Ctx<'a> {
    defs: &'a Definitions,
    gv_word: String,
    tag: String,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn op(
        &self,
        method: &'static str,
        id: String,
        action: &'static str,
        gvk: (&str, &str, &str),
        description: String,
        query: &'static [&'static Param],
        body: Option<Body>,
        responses: Vec<(u16, Response)>,
    ) -> Operation {
        Operation {
            method,
            id,
            action,
            gvk: (gvk.0.to_string(), gvk.1.to_string(), gvk.2.to_string()),
            description,
            query,
            body,
            responses,
            tag: self.tag.clone(),
        }
    }
}

fn verb_method(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "get" => "get",
        "create" => "post",
        "update" => "put",
        "patch" => "patch",
        "delete" => "delete",
        _ => return None,
    })
}

/// Every path of one served group version, sorted by path.
pub(crate) fn paths_for(gv: &GroupVersion, defs: &Definitions) -> Vec<PathItem> {
    let ctx = Ctx {
        defs,
        gv_word: format!("{}{}", group_word(&gv.group), capitalize(&gv.version)),
        tag: tag(gv),
    };
    let mut out = Vec::new();
    for info in served_resources(gv) {
        resource_paths(&ctx, gv, info, &mut out);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn resource_paths(ctx: &Ctx<'_>, gv: &GroupVersion, info: &ResourceInfo, out: &mut Vec<PathItem>) {
    let Some(kind_def) = ctx.defs.name_of(info.group, info.version, info.kind) else { return };
    let list_kind = format!("{}List", info.kind);
    let list_def = ctx.defs.name_of(info.group, info.version, &list_kind).map(str::to_string);
    let kind_def = kind_def.to_string();
    let gvk = (info.group, info.version, info.kind);
    let prefix = prefix(gv);
    let (ns_path, ns_word, ns_params): (&str, &str, Vec<&'static str>) = if info.namespaced() {
        ("/namespaces/{namespace}", "Namespaced", vec!["namespace"])
    } else {
        ("", "", vec![])
    };
    let gvw = &ctx.gv_word;
    let kind = info.kind;
    let has = |verb: &str| info.supports_verb(verb);
    let obj = |name: &str| Response::Object(name.to_string());
    let status = || Response::Object(STATUS.to_string());
    let named = |mut params: Vec<&'static str>| {
        params.push("name");
        params
    };
    let item = |path: String, params: Vec<&'static str>, operations: Vec<Operation>| PathItem {
        path,
        path_params: params,
        resource: kind.to_string(),
        operations,
    };

    // Collection.
    let collection = format!("{prefix}{ns_path}/{}", info.plural);
    let mut ops = Vec::new();
    if let (true, Some(list_def)) = (has("list"), &list_def) {
        ops.push(ctx.op(
            "get",
            format!("list{gvw}{ns_word}{kind}"),
            "list",
            gvk,
            format!("list or watch objects of kind {kind}"),
            LIST_PARAMS,
            None,
            vec![(200, obj(list_def))],
        ));
    }
    if has("create") {
        ops.push(ctx.op(
            "post",
            format!("create{gvw}{ns_word}{kind}"),
            "post",
            gvk,
            format!("create a {kind}"),
            WRITE_PARAMS,
            Some(Body::Object(kind_def.clone())),
            vec![(200, obj(&kind_def)), (201, obj(&kind_def)), (202, obj(&kind_def))],
        ));
    }
    if has("deletecollection") {
        ops.push(ctx.op(
            "delete",
            format!("delete{gvw}Collection{ns_word}{kind}"),
            "deletecollection",
            gvk,
            format!("delete collection of {kind}"),
            DELETE_COLLECTION_PARAMS,
            Some(Body::Object(DELETE_OPTIONS.to_string())),
            vec![(200, status())],
        ));
    }
    if !ops.is_empty() {
        out.push(item(collection.clone(), ns_params.clone(), ops));
    }

    // Object.
    let object = format!("{collection}/{{name}}");
    let mut ops = Vec::new();
    if has("get") {
        ops.push(ctx.op(
            "get",
            format!("read{gvw}{ns_word}{kind}"),
            "get",
            gvk,
            format!("read the specified {kind}"),
            &[],
            None,
            vec![(200, obj(&kind_def))],
        ));
    }
    if has("update") {
        ops.push(ctx.op(
            "put",
            format!("replace{gvw}{ns_word}{kind}"),
            "put",
            gvk,
            format!("replace the specified {kind}"),
            WRITE_PARAMS,
            Some(Body::Object(kind_def.clone())),
            vec![(200, obj(&kind_def)), (201, obj(&kind_def))],
        ));
    }
    if has("patch") {
        ops.push(ctx.op(
            "patch",
            format!("patch{gvw}{ns_word}{kind}"),
            "patch",
            gvk,
            format!("partially update the specified {kind}"),
            PATCH_PARAMS,
            Some(Body::Patch),
            vec![(200, obj(&kind_def)), (201, obj(&kind_def))],
        ));
    }
    if has("delete") {
        ops.push(ctx.op(
            "delete",
            format!("delete{gvw}{ns_word}{kind}"),
            "delete",
            gvk,
            format!("delete a {kind}"),
            DELETE_PARAMS,
            Some(Body::Object(DELETE_OPTIONS.to_string())),
            vec![(200, status()), (202, status())],
        ));
    }
    if !ops.is_empty() {
        out.push(item(object.clone(), named(ns_params.clone()), ops));
    }

    // Across namespaces.
    if let (true, true, Some(list_def)) = (info.namespaced(), has("list"), &list_def) {
        let op = ctx.op(
            "get",
            format!("list{gvw}{kind}ForAllNamespaces"),
            "list",
            gvk,
            format!("list or watch objects of kind {kind}"),
            LIST_PARAMS,
            None,
            vec![(200, obj(list_def))],
        );
        out.push(item(format!("{prefix}/{}", info.plural), vec![], vec![op]));
    }

    // Deprecated watch paths, still published by Kubernetes.
    if has("watch") {
        let event = || vec![(200, Response::Object(WATCH_EVENT.to_string()))];
        let op = ctx.op("get", format!("watch{gvw}{ns_word}{kind}List"), "watchlist", gvk,
            format!("watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."),
            LIST_PARAMS, None, event());
        out.push(item(
            format!("{prefix}/watch{ns_path}/{}", info.plural),
            ns_params.clone(),
            vec![op],
        ));
        let op = ctx.op("get", format!("watch{gvw}{ns_word}{kind}"), "watch", gvk,
            format!("watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."),
            LIST_PARAMS, None, event());
        out.push(item(
            format!("{prefix}/watch{ns_path}/{}/{{name}}", info.plural),
            named(ns_params.clone()),
            vec![op],
        ));
        if info.namespaced() {
            let op = ctx.op("get", format!("watch{gvw}{kind}ListForAllNamespaces"), "watchlist", gvk,
                format!("watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."),
                LIST_PARAMS, None, event());
            out.push(item(format!("{prefix}/watch/{}", info.plural), vec![], vec![op]));
        }
    }

    // Subresources.
    for sub in info.subresources {
        let ops = subresource_ops(ctx, info, sub, ns_word);
        if !ops.is_empty() {
            out.push(item(format!("{object}/{}", sub.name), named(ns_params.clone()), ops));
        }
    }
}

fn subresource_ops(
    ctx: &Ctx<'_>,
    info: &ResourceInfo,
    sub: &SubresourceInfo,
    ns_word: &str,
) -> Vec<Operation> {
    let group = sub.group.unwrap_or(info.group);
    let version = sub.version.unwrap_or(info.version);
    let gvk = (group, version, sub.kind);
    let gvw = &ctx.gv_word;
    let kind = info.kind;
    let suffix = capitalize(sub.name);
    let text = || vec![(200, Response::Text)];
    let mut ops = Vec::new();
    if sub.kind.ends_with("Options") {
        let query = match sub.name {
            "exec" => EXEC_PARAMS,
            "attach" => ATTACH_PARAMS,
            "portforward" => PORT_FORWARD_PARAMS,
            "proxy" => PROXY_PARAMS,
            _ => &[],
        };
        for verb in sub.verbs {
            let Some(method) = verb_method(verb) else { continue };
            ops.push(ctx.op(
                method,
                format!("connect{gvw}{}{ns_word}{kind}{suffix}", capitalize(method)),
                "connect",
                gvk,
                format!("connect {} requests to {} of {kind}", method.to_uppercase(), sub.name),
                query,
                None,
                text(),
            ));
        }
        return ops;
    }
    if sub.name == "log" {
        ops.push(ctx.op(
            "get",
            format!("read{gvw}{ns_word}{kind}Log"),
            "get",
            gvk,
            format!("read log of the specified {kind}"),
            LOG_PARAMS,
            None,
            text(),
        ));
        return ops;
    }
    let Some(def) = ctx.defs.name_of(group, version, sub.kind) else { return ops };
    let obj = || Response::Object(def.to_string());
    for verb in sub.verbs {
        let op = match *verb {
            "get" => ctx.op(
                "get",
                format!("read{gvw}{ns_word}{kind}{suffix}"),
                "get",
                gvk,
                format!("read {} of the specified {kind}", sub.name),
                &[],
                None,
                vec![(200, obj())],
            ),
            "update" => ctx.op(
                "put",
                format!("replace{gvw}{ns_word}{kind}{suffix}"),
                "put",
                gvk,
                format!("replace {} of the specified {kind}", sub.name),
                WRITE_PARAMS,
                Some(Body::Object(def.to_string())),
                vec![(200, obj()), (201, obj())],
            ),
            "patch" => ctx.op(
                "patch",
                format!("patch{gvw}{ns_word}{kind}{suffix}"),
                "patch",
                gvk,
                format!("partially update {} of the specified {kind}", sub.name),
                PATCH_PARAMS,
                Some(Body::Patch),
                vec![(200, obj()), (201, obj())],
            ),
            "create" => ctx.op(
                "post",
                format!("create{gvw}{ns_word}{kind}{suffix}"),
                "post",
                gvk,
                format!("create {} of a {kind}", sub.name),
                WRITE_PARAMS,
                Some(Body::Object(def.to_string())),
                vec![(200, obj()), (201, obj()), (202, obj())],
            ),
            _ => continue,
        };
        ops.push(op);
    }
    ops
}

/// The definition names a path's bodies and responses use directly.
pub(crate) fn used_definitions(items: &[PathItem]) -> Vec<String> {
    let mut out = Vec::new();
    for op in items.iter().flat_map(|i| &i.operations) {
        match &op.body {
            Some(Body::Object(name)) => out.push(name.clone()),
            Some(Body::Patch) => out.push(PATCH.to_string()),
            None => {}
        }
        for (_, response) in &op.responses {
            if let Response::Object(name) = response {
                out.push(name.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::schemas::definitions;

    fn op<'a>(items: &'a [PathItem], path: &str, method: &str) -> &'a Operation {
        items
            .iter()
            .find(|i| i.path == path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .operations
            .iter()
            .find(|o| o.method == method)
            .unwrap_or_else(|| panic!("{method} {path} missing"))
    }

    #[test]
    fn pod_paths() {
        let items = paths_for(&GroupVersion::new("", "v1"), definitions());
        let list = op(&items, "/api/v1/namespaces/{namespace}/pods", "get");
        assert_eq!((list.id.as_str(), list.action), ("listCoreV1NamespacedPod", "list"));
        assert_eq!(list.gvk, ("".into(), "v1".into(), "Pod".into()));
        assert_eq!(list.responses[0].1, Response::Object("io.k8s.api.core.v1.PodList".into()));
        let patch = op(&items, "/api/v1/namespaces/{namespace}/pods/{name}", "patch");
        assert!(patch.query.iter().any(|p| p.name == "fieldValidation"));
        assert_eq!(patch.body, Some(Body::Patch));
        assert_eq!(op(&items, "/api/v1/pods", "get").id, "listCoreV1PodForAllNamespaces");
        let exec = op(&items, "/api/v1/namespaces/{namespace}/pods/{name}/exec", "post");
        assert_eq!(
            (exec.id.as_str(), exec.action),
            ("connectCoreV1PostNamespacedPodExec", "connect")
        );
        let log = op(&items, "/api/v1/namespaces/{namespace}/pods/{name}/log", "get");
        assert_eq!(log.responses[0].1, Response::Text);
        let eviction = op(&items, "/api/v1/namespaces/{namespace}/pods/{name}/eviction", "post");
        assert_eq!(eviction.gvk.0, "policy");
        let ns = op(&items, "/api/v1/namespaces/{name}", "delete");
        assert_eq!(ns.id, "deleteCoreV1Namespace");
        assert!(
            items.iter().all(|i| i.path != "/api/v1/namespaces"
                || i.operations.iter().all(|o| o.method != "delete")),
            "namespaces have no deletecollection"
        );
        let mut ids: Vec<&str> =
            items.iter().flat_map(|i| i.operations.iter().map(|o| o.id.as_str())).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "operation ids must be unique");
    }

    #[test]
    fn scale_and_words() {
        let items = paths_for(&GroupVersion::new("apps", "v1"), definitions());
        let scale =
            op(&items, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "put");
        assert_eq!(scale.id, "replaceAppsV1NamespacedDeploymentScale");
        assert_eq!(scale.gvk, ("autoscaling".into(), "v1".into(), "Scale".into()));
        assert_eq!(group_word("rbac.authorization.k8s.io"), "RbacAuthorization");
        assert_eq!(
            tag(&GroupVersion::new("rbac.authorization.k8s.io", "v1")),
            "rbacAuthorization_v1"
        );
        assert_eq!(tag(&GroupVersion::new("", "v1")), "core_v1");
        let reviews = paths_for(&GroupVersion::new("authorization.k8s.io", "v1"), definitions());
        let create = op(&reviews, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "post");
        assert_eq!(create.action, "post");
        assert!(
            reviews.iter().all(|i| !i.path.ends_with("{name}")),
            "create-only resources have no item path"
        );
    }
}
