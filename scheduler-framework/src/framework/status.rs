//! `Status`: the result of running a plugin, with Kubernetes' codes, reasons and the failing plugin.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// The outcome class of a plugin call, as `framework.Code` in kube-scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Code {
    /// The plugin ran correctly and found the pod schedulable (or had nothing to say).
    #[default]
    Success,
    /// An internal error: the pod is retried after backoff, not marked unschedulable.
    Error,
    /// The pod does not fit now; preemption may help and cluster events may change it.
    Unschedulable,
    /// The pod does not fit and preemption on this node cannot help.
    UnschedulableAndUnresolvable,
    /// A Permit plugin asks the pod to wait.
    Wait,
    /// The plugin is not relevant for this pod (PreFilter/PreScore/Bind): its later
    /// extension points are skipped for this cycle.
    Skip,
    /// The pod waits for something outside the scheduler (another pod, a resource
    /// claim); it is requeued only on events its plugin registered.
    Pending,
}

impl Code {
    /// The name Kubernetes prints for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Success => "Success",
            Code::Error => "Error",
            Code::Unschedulable => "Unschedulable",
            Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
            Code::Wait => "Wait",
            Code::Skip => "Skip",
            Code::Pending => "Pending",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of a plugin call: a [`Code`], human-readable reasons, the plugin that
/// produced it and, for [`Code::Error`], the underlying error.
///
/// A success status is built and dropped without allocating, and so is a rejection with
/// one reason and its plugin (the common Filter answer, made for every rejected node):
/// the first reason and the plugin are held inline, static reasons are borrowed, not
/// copied. Only further reasons and wrapped errors go to the heap.
#[derive(Clone, Default)]
pub struct Status {
    code: Code,
    /// The only reason, while there is one (with more, they are all in `detail`).
    first: Option<Cow<'static, str>>,
    plugin: Option<Arc<str>>,
    /// Two or more reasons, and the wrapped error.
    detail: Option<Box<Detail>>,
}

#[derive(Clone, Default)]
struct Detail {
    reasons: Vec<Cow<'static, str>>,
    error: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

const NO_REASONS: &[Cow<'static, str>] = &[];

impl Status {
    /// A success status.
    pub const fn success() -> Self {
        Status { code: Code::Success, first: None, plugin: None, detail: None }
    }

    /// A status with `code` and one reason.
    pub fn new(code: Code, reason: impl Into<Cow<'static, str>>) -> Self {
        Status { code, first: Some(reason.into()), plugin: None, detail: None }
    }

    /// A status with `code` and no reason.
    pub fn with_code(code: Code) -> Self {
        Status { code, first: None, plugin: None, detail: None }
    }

    /// An `Unschedulable` status with one reason.
    pub fn unschedulable(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Unschedulable, reason)
    }

    /// An `UnschedulableAndUnresolvable` status with one reason.
    pub fn unresolvable(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::UnschedulableAndUnresolvable, reason)
    }

    /// A `Skip` status.
    pub fn skip() -> Self {
        Self::with_code(Code::Skip)
    }

    /// An `Error` status whose reason is `message`.
    pub fn error(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Error, message)
    }

    /// An `Error` status wrapping `err` (its display text is the reason).
    pub fn from_error(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Status {
            code: Code::Error,
            first: Some(Cow::Owned(err.to_string())),
            plugin: None,
            detail: Some(Box::new(Detail { reasons: Vec::new(), error: Some(Arc::new(err)) })),
        }
    }

    /// Adds a reason.
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        let reason = reason.into();
        let has_many = self.detail.as_ref().is_some_and(|d| !d.reasons.is_empty());
        if !has_many && self.first.is_none() {
            self.first = Some(reason);
            return self;
        }
        let detail = self.detail.get_or_insert_with(Default::default);
        if let Some(first) = self.first.take() {
            detail.reasons.push(first);
        }
        detail.reasons.push(reason);
        self
    }

    /// Records the plugin that produced this status (the framework does this for you).
    pub fn with_plugin(mut self, plugin: impl Into<Arc<str>>) -> Self {
        self.plugin = Some(plugin.into());
        self
    }

    /// Sets the plugin name in place.
    pub fn set_plugin(&mut self, plugin: Arc<str>) {
        self.plugin = Some(plugin);
    }

    /// The only reason when it is a static string and the status carries nothing else
    /// (no plugin, no error): such a status is rebuilt from its code and this reason.
    pub fn static_reason(&self) -> Option<&'static str> {
        match (&self.first, &self.plugin, &self.detail) {
            (Some(Cow::Borrowed(r)), None, None) => Some(r),
            _ => None,
        }
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The reasons, in order.
    pub fn reasons(&self) -> &[Cow<'static, str>] {
        if let Some(first) = &self.first {
            return std::slice::from_ref(first);
        }
        self.detail.as_ref().map(|d| d.reasons.as_slice()).unwrap_or(NO_REASONS)
    }

    /// The plugin that produced the status, if recorded.
    pub fn plugin(&self) -> Option<&str> {
        self.plugin.as_deref()
    }

    /// The underlying error of an `Error` status, if one was wrapped.
    pub fn as_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.detail.as_ref().and_then(|d| d.error.as_deref())
    }

    /// The reasons joined by `", "` (Kubernetes' `Status.Message()`).
    pub fn message(&self) -> String {
        match (&self.first, &self.detail) {
            (Some(first), _) => first.to_string(),
            (None, Some(d)) => d.reasons.join(", "),
            (None, None) => String::new(),
        }
    }

    /// `true` for [`Code::Success`].
    pub fn is_success(&self) -> bool {
        self.code == Code::Success
    }

    /// `true` for [`Code::Skip`].
    pub fn is_skip(&self) -> bool {
        self.code == Code::Skip
    }

    /// `true` for [`Code::Wait`].
    pub fn is_wait(&self) -> bool {
        self.code == Code::Wait
    }

    /// `true` for `Unschedulable`, `UnschedulableAndUnresolvable` and `Pending` —
    /// the codes that mean "the pod does not fit" rather than "something broke".
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable | Code::Pending
        )
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Status");
        d.field("code", &self.code).field("reasons", &self.reasons());
        if let Some(p) = self.plugin() {
            d.field("plugin", &p);
        }
        d.finish()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reasons().is_empty() {
            f.write_str(self.code.as_str())
        } else {
            write!(f, "{}", self.message())
        }
    }
}

impl PartialEq for Status {
    /// Statuses are equal when code and reasons are (plugin and wrapped error are ignored).
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.reasons() == other.reasons()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_does_not_allocate_and_reports_code() {
        let s = Status::success();
        assert!(s.is_success());
        assert_eq!(s.reasons().len(), 0);
        assert_eq!(s.to_string(), "Success");
    }

    #[test]
    fn message_joins_reasons_and_keeps_plugin() {
        let s = Status::unschedulable("Insufficient cpu")
            .with_reason("Insufficient memory")
            .with_plugin("NodeResourcesFit");
        assert_eq!(s.message(), "Insufficient cpu, Insufficient memory");
        assert_eq!(s.plugin(), Some("NodeResourcesFit"));
        assert!(s.is_rejected());
        assert!(!Status::error("boom").is_rejected());
    }

    #[test]
    fn one_reason_is_inline_and_more_reasons_keep_their_order() {
        let one = Status::unresolvable("node(s) were unschedulable").with_plugin("P");
        assert_eq!(one.reasons().len(), 1);
        assert_eq!(one.message(), "node(s) were unschedulable");
        assert_eq!(one.plugin(), Some("P"));
        let three = Status::with_code(Code::Unschedulable)
            .with_reason("a")
            .with_reason(String::from("b"))
            .with_reason("c");
        assert_eq!(three.reasons(), ["a", "b", "c"]);
        assert_eq!(three.message(), "a, b, c");
        assert_eq!(three, Status::unschedulable("a").with_reason("b").with_reason("c"));
        assert_ne!(three, Status::unschedulable("a").with_reason("c").with_reason("b"));
    }

    #[test]
    fn only_a_bare_static_reason_is_static() {
        assert_eq!(Status::unschedulable("fixed").static_reason(), Some("fixed"));
        assert_eq!(Status::unschedulable(String::from("owned")).static_reason(), None);
        assert_eq!(Status::unschedulable("fixed").with_plugin("P").static_reason(), None);
        assert_eq!(Status::unschedulable("a").with_reason("b").static_reason(), None);
        assert_eq!(Status::with_code(Code::Unschedulable).static_reason(), None);
    }

    #[test]
    fn wrapped_error_keeps_its_text_and_source() {
        let err = std::io::Error::other("disk gone");
        let s = Status::from_error(err).with_reason("while binding");
        assert_eq!(s.code(), Code::Error);
        assert_eq!(s.reasons(), ["disk gone", "while binding"]);
        assert_eq!(s.as_error().map(|e| e.to_string()).as_deref(), Some("disk gone"));
    }
}
