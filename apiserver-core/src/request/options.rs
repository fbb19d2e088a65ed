//! The typed query options of each verb (list/watch, get, create, update, patch, delete), decoded and validated as apiserver does.
//!
//! Decoding errors (a non-integer `limit`, an unparseable selector) are `400 BadRequest`,
//! as `ParameterCodec.DecodeParameters` failures are; combinations the options'
//! validation refuses are `422 Invalid` against the options kind (`ListOptions.meta.k8s.io
//! "" is invalid: …`), exactly as the handlers answer.

use capstan_api_types::fields::FieldSelector;
use capstan_api_types::labels::Selector;
use capstan_api_types::validation::field::go_quote;
use capstan_api_types::validation::{BadValue, FieldError, FieldErrors, FieldPath};
use serde::Deserialize;

use super::negotiation::{BodyFormat, classify_body};
use super::query::Query;
use crate::status::ApiError;

/// The API group of the options kinds (`meta.k8s.io`).
const META_GROUP: &str = "meta.k8s.io";

/// The longest accepted `fieldManager` (apimachinery's `FieldManagerMaxLength`).
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;

fn invalid_options(kind: &str, errors: FieldErrors) -> Result<(), ApiError> {
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(META_GROUP, kind, "", &errors)) }
}

/// Go's `strconv.ParseInt(s, 10, 64)` with its error text, as a `400`.
fn parse_int(value: &str) -> Result<i64, ApiError> {
    value.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        ApiError::bad_request(format!("strconv.ParseInt: parsing {}: {why}", go_quote(value)))
    })
}

fn opt_int(query: &Query, key: &str) -> Result<Option<i64>, ApiError> {
    query.get(key).map(parse_int).transpose()
}

fn non_empty(query: &Query, key: &str) -> Option<String> {
    query.get(key).filter(|v| !v.is_empty()).map(str::to_string)
}

/// Parses a resource version as the storage layer does: empty is `None`; anything not
/// an unsigned integer is `400 invalid resource version`.
pub fn parse_resource_version(rv: &str) -> Result<Option<u64>, ApiError> {
    if rv.is_empty() {
        return Ok(None);
    }
    rv.parse::<u64>().map(Some).map_err(|_| {
        ApiError::bad_request(format!(
            "invalid resource version: resourceVersion: Invalid value: {}: strconv.ParseUint: parsing {}: invalid syntax",
            go_quote(rv),
            go_quote(rv)
        ))
    })
}

/// How `resourceVersion` constrains a list (`resourceVersionMatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceVersionMatch {
    /// Exactly the given resource version.
    Exact,
    /// Any resource version at least as new as the given one.
    NotOlderThan,
}

impl ResourceVersionMatch {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceVersionMatch::Exact => "Exact",
            ResourceVersionMatch::NotOlderThan => "NotOlderThan",
        }
    }
}

/// The options of list and watch requests (and the selectors of deletecollection).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListOptions {
    /// `labelSelector` (everything when absent).
    pub label_selector: Selector,
    /// `fieldSelector` (everything when absent).
    pub field_selector: FieldSelector,
    /// `watch`.
    pub watch: bool,
    /// `allowWatchBookmarks`.
    pub allow_watch_bookmarks: bool,
    /// `resourceVersion` (`None` when absent or empty).
    pub resource_version: Option<String>,
    /// `resourceVersionMatch`.
    pub resource_version_match: Option<ResourceVersionMatch>,
    /// `timeoutSeconds`.
    pub timeout_seconds: Option<i64>,
    /// `limit` (0 when absent: no limit).
    pub limit: i64,
    /// `continue` (`None` when absent or empty).
    pub continue_token: Option<String>,
    /// `sendInitialEvents` (`None` when absent).
    pub send_initial_events: Option<bool>,
}

impl ListOptions {
    /// Decodes, defaults and validates the list options of a request.
    ///
    /// `watch_list_enabled` is the `WatchList` feature: when on, a watch from
    /// `resourceVersion` empty or `0` without `sendInitialEvents`/`resourceVersionMatch`
    /// is defaulted to `sendInitialEvents=true&resourceVersionMatch=NotOlderThan`
    /// (`SetListOptionsDefaults`), and `sendInitialEvents` is allowed on watches.
    pub fn from_query(query: &Query, watch_list_enabled: bool) -> Result<Self, ApiError> {
        let label_selector = match query.get("labelSelector") {
            Some(s) => Selector::parse(s).map_err(|e| ApiError::bad_request(e.to_string()))?,
            None => Selector::everything(),
        };
        let field_selector = match query.get("fieldSelector") {
            Some(s) => FieldSelector::parse(s).map_err(|e| ApiError::bad_request(e.to_string()))?,
            None => FieldSelector::everything(),
        };
        let watch = query.get_bool("watch").unwrap_or(false);
        let resource_version = non_empty(query, "resourceVersion");
        let mut raw_match = query.get("resourceVersionMatch").unwrap_or("").to_string();
        let continue_token = non_empty(query, "continue");
        let mut send_initial_events = query.get_bool("sendInitialEvents");

        // SetListOptionsDefaults.
        if watch_list_enabled
            && send_initial_events.is_none()
            && raw_match.is_empty()
            && watch
            && matches!(resource_version.as_deref(), None | Some("0"))
        {
            send_initial_events = Some(true);
            raw_match = "NotOlderThan".to_string();
        }

        let errors = validate_list(
            watch,
            resource_version.as_deref().unwrap_or(""),
            &raw_match,
            continue_token.is_some(),
            send_initial_events,
            watch_list_enabled,
        );
        invalid_options("ListOptions", errors)?;

        let resource_version_match = match raw_match.as_str() {
            "Exact" => Some(ResourceVersionMatch::Exact),
            "NotOlderThan" => Some(ResourceVersionMatch::NotOlderThan),
            _ => None,
        };
        Ok(ListOptions {
            label_selector,
            field_selector,
            watch,
            allow_watch_bookmarks: query.get_bool("allowWatchBookmarks").unwrap_or(false),
            resource_version,
            resource_version_match,
            timeout_seconds: opt_int(query, "timeoutSeconds")?,
            limit: opt_int(query, "limit")?.unwrap_or(0),
            continue_token,
            send_initial_events,
        })
    }
}

/// `ValidateListOptions` of apimachinery's `meta/internalversion/validation`.
fn validate_list(
    watch: bool,
    rv: &str,
    rv_match: &str,
    has_continue: bool,
    send_initial_events: Option<bool>,
    watch_list_enabled: bool,
) -> FieldErrors {
    let mut errs = FieldErrors::new();
    let match_path = FieldPath::new("resourceVersionMatch");
    let sie_path = FieldPath::new("sendInitialEvents");
    if watch {
        if send_initial_events.is_some() {
            if rv_match != "NotOlderThan" {
                errs.push(FieldError::forbidden(
                    &match_path,
                    "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ));
            }
            if !watch_list_enabled {
                errs.push(FieldError::forbidden(
                    &sie_path,
                    "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
                ));
            }
        }
        if !rv_match.is_empty() {
            if send_initial_events.is_none() {
                errs.push(FieldError::forbidden(
                    &match_path,
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ));
            }
            if rv_match != "NotOlderThan" {
                errs.push(FieldError::not_supported(&match_path, rv_match, &["NotOlderThan"]));
            }
            if has_continue {
                errs.push(FieldError::forbidden(
                    &match_path,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
        }
        return errs;
    }
    if !rv_match.is_empty() {
        if rv.is_empty() {
            errs.push(FieldError::forbidden(
                &match_path,
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        if has_continue {
            errs.push(FieldError::forbidden(
                &match_path,
                "resourceVersionMatch is forbidden when continue is provided",
            ));
        }
        if rv_match != "Exact" && rv_match != "NotOlderThan" {
            errs.push(FieldError::not_supported(
                &match_path,
                rv_match,
                &["Exact", "NotOlderThan", ""],
            ));
        }
        if rv_match == "Exact" && rv == "0" {
            errs.push(FieldError::forbidden(
                &match_path,
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ));
        }
    }
    if send_initial_events.is_some() {
        errs.push(FieldError::forbidden(&sie_path, "sendInitialEvents is forbidden for list"));
    }
    errs
}

/// The options of a get.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetOptions {
    /// `resourceVersion` (`None` when absent or empty: the latest).
    pub resource_version: Option<String>,
}

impl GetOptions {
    /// Decodes the get options of a request.
    pub fn from_query(query: &Query) -> Self {
        GetOptions { resource_version: non_empty(query, "resourceVersion") }
    }
}

/// How the server treats unknown or duplicate fields in a body (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and return a `Warning` header per field (the server default when unset).
    #[default]
    Warn,
    /// Fail the request with `400 BadRequest`.
    Strict,
}

impl FieldValidation {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldValidation::Ignore => "Ignore",
            FieldValidation::Warn => "Warn",
            FieldValidation::Strict => "Strict",
        }
    }
}

/// The options common to create, update and patch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// `dryRun=All`: validate and admit but do not persist.
    pub dry_run: bool,
    /// `fieldManager` (`None` when absent or empty; the handler defaults it from the
    /// user agent, see [`default_field_manager`]).
    pub field_manager: Option<String>,
    /// `fieldValidation` (an empty or absent value is [`FieldValidation::Warn`]).
    pub field_validation: FieldValidation,
}

fn dry_run_value(values: &[String]) -> BadValue {
    let quoted: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
    BadValue::Other(format!("[]string{{{}}}", quoted.join(", ")))
}

/// `ValidateDryRun`: every value must be `All`.
fn validate_dry_run(values: &[String], errs: &mut FieldErrors) -> bool {
    if values.iter().any(|v| v != "All") {
        errs.push(FieldError::not_supported(
            &FieldPath::new("dryRun"),
            dry_run_value(values),
            &["All"],
        ));
    }
    !values.is_empty()
}

/// `ValidateFieldManager`: at most 128 bytes, printable characters only.
fn validate_field_manager(manager: &str, errs: &mut FieldErrors) {
    let path = FieldPath::new("fieldManager");
    if manager.len() > FIELD_MANAGER_MAX_LENGTH {
        errs.push(FieldError::too_long(&path, manager, FIELD_MANAGER_MAX_LENGTH));
    }
    for (i, ch) in manager.char_indices() {
        let printable = ch == ' ' || !(ch.is_control() || ch.is_whitespace());
        if !printable {
            errs.push(FieldError::invalid(
                &path,
                manager,
                format!("invalid character U+{:04X} (at position {i})", ch as u32),
            ));
        }
    }
}

fn parse_field_validation(raw: &str, errs: &mut FieldErrors) -> FieldValidation {
    match raw {
        "" | "Warn" => FieldValidation::Warn,
        "Strict" => FieldValidation::Strict,
        "Ignore" => FieldValidation::Ignore,
        other => {
            errs.push(FieldError::not_supported(
                &FieldPath::new("fieldValidation"),
                other,
                &["", "Ignore", "Strict", "Warn"],
            ));
            FieldValidation::Warn
        }
    }
}

impl WriteOptions {
    fn decode(query: &Query, errs: &mut FieldErrors) -> Self {
        let dry_run_values: Vec<String> = query.get_all("dryRun").map(str::to_string).collect();
        let dry_run = validate_dry_run(&dry_run_values, errs);
        let manager = query.get("fieldManager").unwrap_or("");
        validate_field_manager(manager, errs);
        let field_validation =
            parse_field_validation(query.get("fieldValidation").unwrap_or(""), errs);
        WriteOptions {
            dry_run,
            field_manager: (!manager.is_empty()).then(|| manager.to_string()),
            field_validation,
        }
    }

    /// Decodes and validates the options of a create (`422` against `CreateOptions`).
    pub fn create_from_query(query: &Query) -> Result<Self, ApiError> {
        let mut errs = FieldErrors::new();
        let opts = Self::decode(query, &mut errs);
        invalid_options("CreateOptions", errs).map(|()| opts)
    }

    /// Decodes and validates the options of an update (`422` against `UpdateOptions`).
    pub fn update_from_query(query: &Query) -> Result<Self, ApiError> {
        let mut errs = FieldErrors::new();
        let opts = Self::decode(query, &mut errs);
        invalid_options("UpdateOptions", errs).map(|()| opts)
    }
}

/// The field manager the server records when a non-apply write names none: the user
/// agent up to its first `/` (`kubectl/v1.33.0 (linux/amd64) …` → `kubectl`),
/// truncated to 128 bytes.
pub fn default_field_manager(user_agent: &str) -> String {
    let prefix = user_agent.split('/').next().unwrap_or("");
    let mut end = prefix.len().min(FIELD_MANAGER_MAX_LENGTH);
    while !prefix.is_char_boundary(end) {
        end -= 1;
    }
    prefix[..end].to_string()
}

/// The options of a patch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PatchOptions {
    /// The options shared with create and update.
    pub write: WriteOptions,
    /// `force`: take ownership of conflicting fields (server-side apply only).
    pub force: Option<bool>,
}

impl PatchOptions {
    /// Decodes and validates the options of a patch (`422` against `PatchOptions`).
    /// `is_apply` is whether the body is an apply patch, which requires a
    /// `fieldManager` and is the only kind that may set `force`.
    pub fn from_query(query: &Query, is_apply: bool) -> Result<Self, ApiError> {
        let mut errs = FieldErrors::new();
        let force = query.get_bool("force");
        if !is_apply {
            if force.is_some() {
                errs.push(FieldError::forbidden(
                    &FieldPath::new("force"),
                    "may not be specified for non-apply patch",
                ));
            }
        } else if query.get("fieldManager").unwrap_or("").is_empty() {
            errs.push(FieldError::required(
                &FieldPath::new("fieldManager"),
                "is required for apply patch",
            ));
        }
        let write = WriteOptions::decode(query, &mut errs);
        invalid_options("PatchOptions", errs).map(|()| PatchOptions { write, force })
    }
}

/// How dependents are treated when their owner is deleted (`propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropagationPolicy {
    /// Orphan the dependents.
    Orphan,
    /// Delete the owner now, the dependents in the background.
    Background,
    /// Delete the dependents first; the owner waits with the `foregroundDeletion` finalizer.
    Foreground,
}

impl PropagationPolicy {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            PropagationPolicy::Orphan => "Orphan",
            PropagationPolicy::Background => "Background",
            PropagationPolicy::Foreground => "Foreground",
        }
    }
}

/// Preconditions a delete checks against the stored object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preconditions {
    /// The object's uid must be this.
    pub uid: Option<String>,
    /// The object's resourceVersion must be this.
    pub resource_version: Option<String>,
}

/// The options of a delete or deletecollection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteOptions {
    /// `gracePeriodSeconds` (`None`: the object's default).
    pub grace_period_seconds: Option<i64>,
    /// `preconditions` (body only).
    pub preconditions: Option<Preconditions>,
    /// The deprecated `orphanDependents`.
    pub orphan_dependents: Option<bool>,
    /// `propagationPolicy`.
    pub propagation_policy: Option<PropagationPolicy>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `ignoreStoreReadErrorWithClusterBreakingPotential`.
    pub ignore_store_read_error_with_cluster_breaking_potential: Option<bool>,
}

/// The wire form of `DeleteOptions`, accepted under any `apiVersion` (`v1`,
/// `meta.k8s.io/v1`, or a group version for backwards compatibility).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDeleteOptions {
    kind: Option<String>,
    grace_period_seconds: Option<i64>,
    preconditions: Option<Preconditions>,
    orphan_dependents: Option<bool>,
    propagation_policy: Option<String>,
    dry_run: Option<Vec<String>>,
    ignore_store_read_error_with_cluster_breaking_potential: Option<bool>,
}

impl DeleteOptions {
    /// Decodes and validates the options of a delete, as the delete handlers do: from
    /// the body when it is non-empty (JSON or YAML per `content_type`; the query is then
    /// ignored), else from the query. Decoding failures are `400`, an unknown body media
    /// type `415`, and refused combinations `422` against `DeleteOptions`.
    pub fn from_request(
        query: &Query,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<Self, ApiError> {
        let raw = if body.iter().any(|b| !b.is_ascii_whitespace()) {
            let format = classify_body(content_type)?;
            let raw: RawDeleteOptions = match format {
                BodyFormat::Json => serde_json::from_slice(body).map_err(|e| {
                    ApiError::bad_request(format!("unable to decode DeleteOptions: {e}"))
                })?,
                BodyFormat::Yaml => serde_norway::from_slice(body).map_err(|e| {
                    ApiError::bad_request(format!("unable to decode DeleteOptions: {e}"))
                })?,
            };
            if let Some(kind) = raw.kind.as_deref()
                && !kind.is_empty()
                && kind != "DeleteOptions"
            {
                return Err(ApiError::bad_request(format!(
                    "decoded object of kind {} cannot be converted to DeleteOptions",
                    go_quote(kind)
                )));
            }
            raw
        } else {
            let dry_run: Vec<String> = query.get_all("dryRun").map(str::to_string).collect();
            RawDeleteOptions {
                kind: None,
                grace_period_seconds: opt_int(query, "gracePeriodSeconds")?,
                preconditions: None,
                orphan_dependents: query.get_bool("orphanDependents"),
                propagation_policy: query.get("propagationPolicy").map(str::to_string),
                dry_run: (!dry_run.is_empty()).then_some(dry_run),
                ignore_store_read_error_with_cluster_breaking_potential: query
                    .get_bool("ignoreStoreReadErrorWithClusterBreakingPotential"),
            }
        };
        Self::validate(raw)
    }

    fn validate(raw: RawDeleteOptions) -> Result<Self, ApiError> {
        let mut errs = FieldErrors::new();
        let policy_path = FieldPath::new("propagationPolicy");
        if let (Some(_), Some(policy)) = (raw.orphan_dependents, raw.propagation_policy.as_deref())
        {
            errs.push(FieldError::invalid(
                &policy_path,
                policy,
                "orphanDependents and deletionPropagation cannot be both set",
            ));
        }
        let propagation_policy = match raw.propagation_policy.as_deref() {
            None => None,
            Some("Foreground") => Some(PropagationPolicy::Foreground),
            Some("Background") => Some(PropagationPolicy::Background),
            Some("Orphan") => Some(PropagationPolicy::Orphan),
            Some(other) => {
                errs.push(FieldError::not_supported(
                    &policy_path,
                    other,
                    &["Foreground", "Background", "Orphan", "nil"],
                ));
                None
            }
        };
        let dry_run_values = raw.dry_run.clone().unwrap_or_default();
        let dry_run = validate_dry_run(&dry_run_values, &mut errs);
        if raw.ignore_store_read_error_with_cluster_breaking_potential == Some(true) {
            let path = FieldPath::new("ignoreStoreReadErrorWithClusterBreakingPotential");
            let conflicts = [
                (!dry_run_values.is_empty(), "cannot be set together with .dryRun"),
                (
                    raw.propagation_policy.is_some(),
                    "cannot be set together with .propagationPolicy",
                ),
                (raw.orphan_dependents.is_some(), "cannot be set together with .orphanDependents"),
                (
                    raw.grace_period_seconds.is_some(),
                    "cannot be set together with .gracePeriodSeconds",
                ),
                (raw.preconditions.is_some(), "cannot be set together with .preconditions"),
            ];
            for (set, detail) in conflicts {
                if set {
                    errs.push(FieldError::invalid(&path, true, detail));
                }
            }
        }
        invalid_options("DeleteOptions", errs)?;
        Ok(DeleteOptions {
            grace_period_seconds: raw.grace_period_seconds,
            preconditions: raw.preconditions,
            orphan_dependents: raw.orphan_dependents,
            propagation_policy,
            dry_run,
            ignore_store_read_error_with_cluster_breaking_potential: raw
                .ignore_store_read_error_with_cluster_breaking_potential,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn q(s: &str) -> Query {
        Query::parse(s)
    }

    #[test]
    fn list_options_decode() {
        let o = ListOptions::from_query(
            &q("labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1&limit=500&continue=abc&timeoutSeconds=30&allowWatchBookmarks=true&resourceVersion=12"),
            false,
        )
        .expect("valid");
        assert_eq!(o.label_selector, Selector::parse("app=web").expect("selector"));
        assert_eq!(o.field_selector.required_value("spec.nodeName"), Some("n1"));
        assert_eq!(o.limit, 500);
        assert_eq!(o.continue_token.as_deref(), Some("abc"));
        assert_eq!(o.timeout_seconds, Some(30));
        assert!(o.allow_watch_bookmarks);
        assert!(!o.watch);
        assert_eq!(o.resource_version.as_deref(), Some("12"));
        assert_eq!(o.send_initial_events, None);

        let o = ListOptions::from_query(
            &q("resourceVersion=5&resourceVersionMatch=NotOlderThan"),
            false,
        )
        .expect("valid");
        assert_eq!(o.resource_version_match, Some(ResourceVersionMatch::NotOlderThan));
        let o = ListOptions::from_query(&q(""), false).expect("valid");
        assert!(o.label_selector.is_empty() && o.field_selector.is_empty() && o.limit == 0);
    }

    #[test]
    fn list_options_bad_requests() {
        let cases = [
            ("limit=abc", r#"strconv.ParseInt: parsing "abc": invalid syntax"#),
            (
                "timeoutSeconds=99999999999999999999",
                r#"strconv.ParseInt: parsing "99999999999999999999": value out of range"#,
            ),
        ];
        for (query, msg) in cases {
            let e = ListOptions::from_query(&q(query), false).expect_err(query);
            assert_eq!(e.code(), StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(e.message(), msg);
        }
        for query in ["labelSelector=a%20in%20(", "fieldSelector=novalue"] {
            let e = ListOptions::from_query(&q(query), false).expect_err(query);
            assert_eq!(e.code(), StatusCode::BAD_REQUEST, "{query}");
        }
    }

    #[test]
    fn list_options_validation() {
        let prefix = r#"ListOptions.meta.k8s.io "" is invalid: "#;
        let cases: &[(&str, bool, &str)] = &[
            (
                "resourceVersionMatch=Exact",
                false,
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
            ),
            (
                "resourceVersion=1&resourceVersionMatch=Exact&continue=x",
                false,
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided",
            ),
            (
                "resourceVersion=1&resourceVersionMatch=Newest",
                false,
                r#"resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", """#,
            ),
            (
                "resourceVersion=0&resourceVersionMatch=Exact",
                false,
                r#"resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0""#,
            ),
            (
                "sendInitialEvents=true",
                false,
                "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list",
            ),
            (
                "watch=true&resourceVersionMatch=NotOlderThan",
                false,
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ),
            (
                "watch=true&sendInitialEvents=true",
                false,
                "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled]",
            ),
            (
                "watch=true&sendInitialEvents=true&resourceVersionMatch=Exact",
                true,
                r#"[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]"#,
            ),
        ];
        for (query, watch_list, msg) in cases {
            let e = ListOptions::from_query(&q(query), *watch_list).expect_err(query);
            assert_eq!(e.code(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            assert_eq!(e.message(), format!("{prefix}{msg}"), "{query}");
            assert_eq!(e.to_json()["details"]["kind"], "ListOptions");
        }
        let ok: &[(&str, bool)] = &[
            ("watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan", true),
            ("watch=true&resourceVersion=5", true),
            ("watch=1&resourceVersion=5", false),
            ("resourceVersion=5&resourceVersionMatch=Exact", false),
        ];
        for (query, watch_list) in ok {
            assert!(ListOptions::from_query(&q(query), *watch_list).is_ok(), "{query}");
        }
    }

    #[test]
    fn watch_list_defaulting() {
        let o = ListOptions::from_query(&q("watch=true"), true).expect("valid");
        assert_eq!(o.send_initial_events, Some(true));
        assert_eq!(o.resource_version_match, Some(ResourceVersionMatch::NotOlderThan));
        let o = ListOptions::from_query(&q("watch=true&resourceVersion=0"), true).expect("valid");
        assert_eq!(o.send_initial_events, Some(true));
        let o = ListOptions::from_query(&q("watch=true&resourceVersion=7"), true).expect("valid");
        assert_eq!(o.send_initial_events, None);
        let o = ListOptions::from_query(&q("watch=true"), false).expect("valid");
        assert_eq!(o.send_initial_events, None);
        assert_eq!(o.resource_version_match, None);
    }

    #[test]
    fn get_options_and_resource_versions() {
        assert_eq!(
            GetOptions::from_query(&q("resourceVersion=0")).resource_version.as_deref(),
            Some("0")
        );
        assert_eq!(GetOptions::from_query(&q("resourceVersion=")).resource_version, None);
        assert_eq!(parse_resource_version("").expect("empty"), None);
        assert_eq!(parse_resource_version("42").expect("number"), Some(42));
        let e = parse_resource_version("abc").expect_err("not a number");
        assert_eq!(e.code(), StatusCode::BAD_REQUEST);
        assert!(e.message().starts_with("invalid resource version: "));
    }

    #[test]
    fn write_options() {
        let o = WriteOptions::create_from_query(&q(
            "dryRun=All&fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
        ))
        .expect("valid");
        assert!(o.dry_run);
        assert_eq!(o.field_manager.as_deref(), Some("kubectl-client-side-apply"));
        assert_eq!(o.field_validation, FieldValidation::Strict);
        let o = WriteOptions::update_from_query(&q("")).expect("valid");
        assert!(!o.dry_run);
        assert_eq!(o.field_manager, None);
        assert_eq!(o.field_validation, FieldValidation::Warn);
        assert_eq!(
            WriteOptions::create_from_query(&q("fieldValidation=Ignore"))
                .expect("valid")
                .field_validation,
            FieldValidation::Ignore
        );

        let long = "m".repeat(129);
        let cases: Vec<(String, &str, String)> = vec![
            ("dryRun=foo".into(), "CreateOptions", r#"dryRun: Unsupported value: []string{"foo"}: supported values: "All""#.into()),
            ("dryRun=All&dryRun=".into(), "CreateOptions", r#"dryRun: Unsupported value: []string{"All", ""}: supported values: "All""#.into()),
            ("fieldValidation=Loud".into(), "UpdateOptions", r#"fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn""#.into()),
            (format!("fieldManager={long}"), "CreateOptions", "fieldManager: Too long: may not be more than 128 bytes".into()),
            ("fieldManager=a%09b".into(), "CreateOptions", r#"fieldManager: Invalid value: "a\tb": invalid character U+0009 (at position 1)"#.into()),
        ];
        for (query, kind, msg) in cases {
            let query = q(&query);
            let result = if kind == "CreateOptions" {
                WriteOptions::create_from_query(&query)
            } else {
                WriteOptions::update_from_query(&query)
            };
            let e = result.expect_err(&msg);
            assert_eq!(e.code(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(e.message(), format!(r#"{kind}.meta.k8s.io "" is invalid: {msg}"#));
        }
    }

    #[test]
    fn patch_options() {
        let o = PatchOptions::from_query(&q("fieldManager=kubectl&force=true"), true)
            .expect("valid apply");
        assert_eq!(o.force, Some(true));
        assert_eq!(o.write.field_manager.as_deref(), Some("kubectl"));
        let o = PatchOptions::from_query(&q(""), false).expect("valid merge");
        assert_eq!(o.force, None);
        let e = PatchOptions::from_query(&q("force=true"), false).expect_err("force on merge");
        assert_eq!(
            e.message(),
            r#"PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch"#
        );
        let e = PatchOptions::from_query(&q(""), true).expect_err("apply without manager");
        assert_eq!(
            e.message(),
            r#"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#
        );
    }

    #[test]
    fn field_manager_default() {
        assert_eq!(
            default_field_manager("kubectl/v1.33.0 (linux/amd64) kubernetes/abc"),
            "kubectl"
        );
        assert_eq!(
            default_field_manager("kube-controller-manager/v1.33.0"),
            "kube-controller-manager"
        );
        assert_eq!(default_field_manager(""), "");
        assert_eq!(default_field_manager(&"é".repeat(100)).len(), 128);
    }

    #[test]
    fn delete_options_from_body() {
        let body = br#"{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"propagationPolicy":"Foreground","preconditions":{"uid":"u1","resourceVersion":"7"},"dryRun":["All"]}"#;
        let o = DeleteOptions::from_request(
            &q("gracePeriodSeconds=30"),
            body,
            Some("application/json"),
        )
        .expect("valid");
        assert_eq!(o.grace_period_seconds, Some(0), "body wins over query");
        assert_eq!(o.propagation_policy, Some(PropagationPolicy::Foreground));
        assert_eq!(
            o.preconditions,
            Some(Preconditions { uid: Some("u1".into()), resource_version: Some("7".into()) })
        );
        assert!(o.dry_run);

        let yaml = b"kind: DeleteOptions\napiVersion: meta.k8s.io/v1\norphanDependents: true\n";
        let o = DeleteOptions::from_request(&q(""), yaml, Some("application/yaml")).expect("yaml");
        assert_eq!(o.orphan_dependents, Some(true));

        let o = DeleteOptions::from_request(
            &q(""),
            br#"{"apiVersion":"apps/v1","kind":"DeleteOptions","propagationPolicy":"Orphan"}"#,
            None,
        )
        .expect("group DeleteOptions accepted");
        assert_eq!(o.propagation_policy, Some(PropagationPolicy::Orphan));
    }

    #[test]
    fn delete_options_from_query() {
        let o = DeleteOptions::from_request(
            &q("gracePeriodSeconds=5&propagationPolicy=Background&dryRun=All"),
            b"",
            None,
        )
        .expect("valid");
        assert_eq!(o.grace_period_seconds, Some(5));
        assert_eq!(o.propagation_policy, Some(PropagationPolicy::Background));
        assert!(o.dry_run);
        let o = DeleteOptions::from_request(&q(""), b"  \n", Some("application/json"))
            .expect("blank body");
        assert_eq!(o, DeleteOptions::default());
    }

    #[test]
    fn delete_options_errors() {
        let prefix = r#"DeleteOptions.meta.k8s.io "" is invalid: "#;
        let invalid: &[(&str, &[u8], &str)] = &[
            ("orphanDependents=true&propagationPolicy=Orphan", b"", r#"propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set"#),
            ("propagationPolicy=Sometimes", b"", r#"propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil""#),
            ("", br#"{"dryRun":["Some"]}"#, r#"dryRun: Unsupported value: []string{"Some"}: supported values: "All""#),
            ("", br#"{"ignoreStoreReadErrorWithClusterBreakingPotential":true,"gracePeriodSeconds":0}"#, "ignoreStoreReadErrorWithClusterBreakingPotential: Invalid value: true: cannot be set together with .gracePeriodSeconds"),
        ];
        for (query, body, msg) in invalid {
            let e = DeleteOptions::from_request(&q(query), body, None).expect_err(msg);
            assert_eq!(e.code(), StatusCode::UNPROCESSABLE_ENTITY, "{msg}");
            assert_eq!(e.message(), format!("{prefix}{msg}"));
        }
        let e = DeleteOptions::from_request(&q(""), b"{not json", Some("application/json"))
            .expect_err("bad json");
        assert_eq!(e.code(), StatusCode::BAD_REQUEST);
        let e = DeleteOptions::from_request(&q(""), br#"{"kind":"Pod"}"#, None)
            .expect_err("wrong kind");
        assert_eq!(e.code(), StatusCode::BAD_REQUEST);
        let e =
            DeleteOptions::from_request(&q(""), b"{}", Some("text/plain")).expect_err("media type");
        assert_eq!(e.code(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let e =
            DeleteOptions::from_request(&q("gracePeriodSeconds=soon"), b"", None).expect_err("int");
        assert_eq!(e.code(), StatusCode::BAD_REQUEST);
    }
}
