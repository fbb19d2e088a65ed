//! Apply conflicts: fields an apply would change that other managers own, and the `409` Kubernetes answers for them.

use capstan_api_types::validation::field::go_quote;

use super::fieldset::FieldSet;
use super::managers::{Identity, Operation};
use super::path::Path;

/// One field an apply would change that another manager owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The owner.
    pub manager: Identity,
    /// The field.
    pub path: Path,
}

/// Every conflict of one apply, by manager then path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conflicts(pub Vec<Conflict>);

impl Conflicts {
    /// The conflicts of `manager` over the fields of `set`.
    pub fn push_set(&mut self, manager: &Identity, set: &FieldSet) {
        for path in set.paths() {
            self.0.push(Conflict { manager: manager.clone(), path });
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The conflicting paths.
    pub fn paths(&self) -> FieldSet {
        let mut set = FieldSet::new();
        for c in &self.0 {
            set.insert(&c.path.0);
        }
        set
    }

    /// The conflicts whose path is not in `allowed`.
    pub fn without(&self, allowed: &FieldSet) -> Conflicts {
        Conflicts(self.0.iter().filter(|c| !allowed.has(&c.path.0)).cloned().collect())
    }

    /// Sorts by manager identifier, then path.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            a.manager.key().cmp(&b.manager.key()).then_with(|| a.path.cmp(&b.path))
        });
    }

    /// The message of the `409`: `Apply failed with 1 conflict: conflict with
    /// "kubectl-client-side-apply" using v1: .data.a`, or one block per manager.
    pub fn message(&self) -> String {
        if let [only] = self.0.as_slice() {
            return format!(
                "Apply failed with 1 conflict: conflict with {}: {}",
                describe(&only.manager),
                only.path
            );
        }
        let mut keys: Vec<(String, &Identity)> =
            self.0.iter().map(|c| (c.manager.key(), &c.manager)).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys.dedup_by(|a, b| a.0 == b.0);
        let mut lines = Vec::new();
        for (_, manager) in keys {
            lines.push(format!("conflicts with {}:", describe(manager)));
            for c in self.0.iter().filter(|c| c.manager == *manager) {
                lines.push(format!("- {}", c.path));
            }
        }
        format!("Apply failed with {} conflicts: {}", self.0.len(), lines.join("\n"))
    }

    /// One `(field, message)` cause per conflict (`.data.a`, `conflict with "m" using v1`).
    pub fn causes(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|c| (c.path.to_string(), format!("conflict with {}", describe(&c.manager))))
            .collect()
    }
}

/// A manager as conflict messages name it: `"kubectl"`, `"kubectl" with subresource
/// "scale" using apps/v1`.
pub fn describe(manager: &Identity) -> String {
    let mut out = go_quote(&manager.manager);
    if !manager.subresource.is_empty() {
        out = format!("{out} with subresource {}", go_quote(&manager.subresource));
    }
    if manager.operation == Operation::Update {
        out = format!("{out} using {}", manager.api_version);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_as_kubernetes_writes_them() {
        let csa = Identity::new("kubectl-client-side-apply", Operation::Update, "v1", "");
        let scale = Identity::new("kubectl", Operation::Update, "apps/v1", "scale");
        let applier = Identity::new("other", Operation::Apply, "v1", "");
        let one =
            Conflicts(vec![Conflict { manager: csa.clone(), path: Path::fields(&["data", "a"]) }]);
        assert_eq!(
            one.message(),
            r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a"#
        );
        assert_eq!(
            one.causes(),
            vec![(
                ".data.a".to_string(),
                r#"conflict with "kubectl-client-side-apply" using v1"#.to_string()
            )]
        );
        let many = Conflicts(vec![
            Conflict { manager: scale.clone(), path: Path::fields(&["spec", "replicas"]) },
            Conflict { manager: applier.clone(), path: Path::fields(&["data", "a"]) },
            Conflict { manager: applier, path: Path::fields(&["data", "b"]) },
        ]);
        assert_eq!(
            many.message(),
            "Apply failed with 3 conflicts: conflicts with \"kubectl\" with subresource \"scale\" using apps/v1:\n- .spec.replicas\nconflicts with \"other\":\n- .data.a\n- .data.b"
        );
    }
}
