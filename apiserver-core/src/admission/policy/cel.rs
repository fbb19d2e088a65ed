//! CEL for admission policies: expressions compiled once and cached by their text, evaluated over JSON variables (`object`, `oldObject`, `request`, `params`, `namespaceObject`, `variables`).

use std::collections::HashMap;
use std::sync::Arc;

use cel::{Context, Program, Value as CelValue};
use parking_lot::Mutex;
use serde_json::Value;

/// Why an expression could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CelError {
    /// The expression does not parse.
    #[error("compilation failed: {0}")]
    Compile(String),
    /// Evaluation failed (no such key, wrong types, …).
    #[error("{0}")]
    Eval(String),
    /// The expression gave a value of the wrong type.
    #[error("expected {expected}, got {got}")]
    Type {
        /// What was wanted.
        expected: &'static str,
        /// What came out.
        got: String,
    },
}

/// A compiled program, or why it did not compile.
type Compiled = Result<Arc<Program>, CelError>;

/// Compiled programs by expression text.
#[derive(Clone, Default)]
pub struct ProgramCache {
    programs: Arc<Mutex<HashMap<String, Compiled>>>,
}

impl std::fmt::Debug for ProgramCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgramCache").field("programs", &self.programs.lock().len()).finish()
    }
}

impl ProgramCache {
    /// The compiled program of `expression` (compiled on first use).
    pub fn get(&self, expression: &str) -> Result<Arc<Program>, CelError> {
        if let Some(found) = self.programs.lock().get(expression) {
            return found.clone();
        }
        let compiled = Program::compile(expression)
            .map(Arc::new)
            .map_err(|e| CelError::Compile(e.to_string()));
        self.programs.lock().insert(expression.to_string(), compiled.clone());
        compiled
    }
}

/// The variables an expression sees, converted once per request.
#[derive(Clone, Default)]
pub struct Activation {
    vars: Vec<(String, CelValue)>,
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.vars.iter().map(|(k, _)| k)).finish()
    }
}

/// A JSON value as CEL sees it.
pub fn to_cel(v: &Value) -> CelValue {
    cel::to_value(v).unwrap_or(CelValue::Null)
}

impl Activation {
    /// An empty activation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a variable from JSON.
    pub fn set(&mut self, name: &str, value: &Value) {
        self.set_cel(name, to_cel(value));
    }

    /// Sets a variable.
    pub fn set_cel(&mut self, name: &str, value: CelValue) {
        self.vars.retain(|(k, _)| k != name);
        self.vars.push((name.to_string(), value));
    }

    /// Evaluates `program`.
    pub fn eval(&self, program: &Program) -> Result<CelValue, CelError> {
        let mut ctx = Context::default();
        for (k, v) in &self.vars {
            ctx.add_variable_from_value(k.clone(), v.clone());
        }
        program.execute(&ctx).map_err(|e| CelError::Eval(e.to_string()))
    }

    /// Evaluates `program` to a boolean.
    pub fn eval_bool(&self, program: &Program) -> Result<bool, CelError> {
        match self.eval(program)? {
            CelValue::Bool(b) => Ok(b),
            other => Err(CelError::Type { expected: "bool", got: format!("{other:?}") }),
        }
    }

    /// Evaluates `program` to a string.
    pub fn eval_string(&self, program: &Program) -> Result<String, CelError> {
        match self.eval(program)? {
            CelValue::String(s) => Ok(s.to_string()),
            other => Err(CelError::Type { expected: "string", got: format!("{other:?}") }),
        }
    }
}

/// A map of evaluated `variables` as one CEL value.
pub fn variables_value(vars: &[(String, CelValue)]) -> CelValue {
    let map: HashMap<String, CelValue> = vars.iter().cloned().collect();
    CelValue::from(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_latest_tag_rule_evaluates() {
        let cache = ProgramCache::default();
        let program = cache
            .get("object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))")
            .expect("compiles");
        let mut a = Activation::new();
        let deploy = |image: &str| json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": image}]}}}});
        a.set("object", &deploy("nginx:latest"));
        assert_eq!(a.eval_bool(&program), Ok(false));
        a.set("object", &deploy("nginx:1.27"));
        assert_eq!(a.eval_bool(&program), Ok(true));
    }

    #[test]
    fn params_and_message_expressions() {
        let cache = ProgramCache::default();
        let mut a = Activation::new();
        a.set("object", &json!({"spec": {"replicas": 7}}));
        a.set("params", &json!({"data": {"max": "5"}}));
        let check = cache.get("object.spec.replicas <= int(params.data.max)").expect("compiles");
        assert_eq!(a.eval_bool(&check), Ok(false));
        let msg = cache.get("'replicas must be at most ' + params.data.max").expect("compiles");
        assert_eq!(a.eval_string(&msg).as_deref(), Ok("replicas must be at most 5"));
        assert!(matches!(cache.get("object.spec.("), Err(CelError::Compile(_))));
        let missing = cache.get("object.nothing.here == 1").expect("compiles");
        assert!(matches!(a.eval_bool(&missing), Err(CelError::Eval(_))));
    }
}
