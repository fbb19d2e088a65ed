//! Label selectors: parsing the string form, matching label sets, canonical
//! formatting and conversion from `meta/v1` `LabelSelector`, following apimachinery's `labels` package.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::validation::names;

/// Errors from parsing or building label selectors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelSelectorError {
    /// The parser found an unexpected token.
    #[error(
        "unable to parse label selector at position {position}: found '{found}', expected: {expected}"
    )]
    Syntax {
        /// Byte offset of the offending token in the selector string.
        position: usize,
        /// The token text found (empty at end of string).
        found: String,
        /// What the parser expected there.
        expected: &'static str,
    },
    /// A requirement was well-formed but invalid (bad key, value or value count).
    #[error("invalid label selector requirement at position {position} (key {key:?}): {message}")]
    InvalidRequirement {
        /// Byte offset of the requirement's key (0 for structured selectors).
        position: usize,
        /// The requirement's key.
        key: String,
        /// What is wrong, in Kubernetes' words.
        message: String,
    },
    /// A `matchExpressions` entry used an unknown operator.
    #[error("{operator:?} is not a valid label selector operator (matchExpressions[{index}])")]
    UnknownOperator {
        /// Index in `matchExpressions`.
        index: usize,
        /// The operator given.
        operator: String,
    },
}

/// Source of labels for matching; implemented for maps so callers need not allocate.
pub trait Labels {
    /// The value for `key`, if present.
    fn get_label(&self, key: &str) -> Option<&str>;
}

impl Labels for BTreeMap<String, String> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<S: std::hash::BuildHasher> Labels for HashMap<String, String, S> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl Labels for [(&str, &str)] {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl<const N: usize> Labels for [(&str, &str); N] {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.as_slice().get_label(key)
    }
}

impl<L: Labels + ?Sized> Labels for &L {
    fn get_label(&self, key: &str) -> Option<&str> {
        (**self).get_label(key)
    }
}

impl<L: Labels> Labels for Option<L> {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.as_ref().and_then(|l| l.get_label(key))
    }
}

/// A requirement operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key=value`
    Equals,
    /// `key==value`
    DoubleEquals,
    /// `key!=value`
    NotEquals,
    /// `key in (a,b)`
    In,
    /// `key notin (a,b)`
    NotIn,
    /// `key`
    Exists,
    /// `!key`
    DoesNotExist,
    /// `key>5` (integer comparison)
    GreaterThan,
    /// `key<5` (integer comparison)
    LessThan,
}

/// One `key op values` requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: BTreeSet<String>,
}

impl Requirement {
    /// Builds a validated requirement, as apimachinery's `NewRequirement`.
    pub fn new<I, S>(key: &str, operator: Operator, values: I) -> Result<Self, LabelSelectorError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values: BTreeSet<String> = values.into_iter().map(Into::into).collect();
        Self::validated(key.to_string(), operator, values, 0)
    }

    fn validated(
        key: String,
        operator: Operator,
        values: BTreeSet<String>,
        position: usize,
    ) -> Result<Self, LabelSelectorError> {
        let invalid = |message: String| LabelSelectorError::InvalidRequirement {
            position,
            key: key.clone(),
            message,
        };
        let key_errs = names::is_qualified_name(&key);
        if !key_errs.is_empty() {
            return Err(invalid(format!("invalid label key {:?}: {}", key, key_errs.join("; "))));
        }
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    return Err(invalid(
                        "for 'in', 'notin' operators, values set can't be empty".into(),
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    return Err(invalid(
                        "exact-match compatibility requires one single value".into(),
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    return Err(invalid(
                        "values set must be empty for exists and does not exist".into(),
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    return Err(invalid(
                        "for 'Gt', 'Lt' operators, exactly one value is required".into(),
                    ));
                }
                if values.iter().any(|v| v.parse::<i64>().is_err()) {
                    return Err(invalid(
                        "for 'Gt', 'Lt' operators, the value must be an integer".into(),
                    ));
                }
            }
        }
        for v in &values {
            let errs = names::is_valid_label_value(v);
            if !errs.is_empty() {
                return Err(invalid(format!("invalid label value: {:?}: {}", v, errs.join("; "))));
            }
        }
        Ok(Requirement { key, operator, values })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(String::as_str)
    }

    /// Whether `labels` satisfy this requirement.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        let value = labels.get_label(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                value.is_some_and(|v| self.values.contains(v))
            }
            Operator::NotIn | Operator::NotEquals => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(have) = value.and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                let Some(want) = self.values.iter().next().and_then(|v| v.parse::<i64>().ok())
                else {
                    return false;
                };
                if self.operator == Operator::GreaterThan { have > want } else { have < want }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        let parens = matches!(self.operator, Operator::In | Operator::NotIn);
        if parens {
            f.write_str("(")?;
        }
        let mut first = true;
        for v in &self.values {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(v)?;
        }
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A label selector: a conjunction of requirements, or the special "nothing" selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl Selector {
    /// The selector matching every label set.
    pub fn everything() -> Self {
        Selector::default()
    }

    /// The selector matching nothing (what a nil `LabelSelector` converts to).
    pub fn nothing() -> Self {
        Selector { requirements: Vec::new(), nothing: true }
    }

    /// A selector requiring every `key=value` of `set` (apimachinery's `SelectorFromSet`).
    pub fn from_set<'a, I>(set: I) -> Result<Self, LabelSelectorError>
    where
        I: IntoIterator<Item = (&'a String, &'a String)>,
    {
        let mut reqs = Vec::new();
        for (k, v) in set {
            reqs.push(Requirement::new(k, Operator::Equals, [v.clone()])?);
        }
        Ok(Selector::from_requirements(reqs))
    }

    /// Builds a selector from requirements, sorting them by key as Kubernetes does.
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Selector { requirements, nothing: false }
    }

    /// Parses the string form, e.g. `a=b,c!=d,e in (x,y),!f,g>1`.
    pub fn parse(input: &str) -> Result<Self, LabelSelectorError> {
        Parser::new(input).parse()
    }

    /// Builds a selector from `meta/v1` `LabelSelector`; `None` selects nothing,
    /// an empty selector selects everything.
    pub fn from_label_selector(ls: Option<&LabelSelector>) -> Result<Self, LabelSelectorError> {
        let Some(ls) = ls else {
            return Ok(Selector::nothing());
        };
        let mut reqs = Vec::new();
        for (k, v) in ls.match_labels.iter().flatten() {
            reqs.push(Requirement::new(k, Operator::Equals, [v.clone()])?);
        }
        for (index, expr) in ls.match_expressions.iter().flatten().enumerate() {
            let op = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(LabelSelectorError::UnknownOperator {
                        index,
                        operator: other.to_string(),
                    });
                }
            };
            reqs.push(Requirement::new(&expr.key, op, expr.values.iter().flatten().cloned())?);
        }
        Ok(Selector::from_requirements(reqs))
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches<L: Labels + ?Sized>(&self, labels: &L) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// `true` when the selector has no requirements and matches everything.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// `true` for the "nothing" selector.
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Adds a requirement, keeping the key order.
    pub fn with_requirement(mut self, requirement: Requirement) -> Self {
        self.requirements.push(requirement);
        self.requirements.sort_by(|a, b| a.key.cmp(&b.key));
        self
    }
}

impl fmt::Display for Selector {
    /// The canonical string form; the "nothing" selector prints as an empty string like Kubernetes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Selector {
    type Err = LabelSelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

impl TryFrom<&LabelSelector> for Selector {
    type Error = LabelSelectorError;
    fn try_from(ls: &LabelSelector) -> Result<Self, Self::Error> {
        Selector::from_label_selector(Some(ls))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Identifier,
    DoesNotExist,
    Equals,
    DoubleEquals,
    NotEquals,
    GreaterThan,
    LessThan,
    In,
    NotIn,
    OpenPar,
    ClosedPar,
    Comma,
    End,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok,
    text: &'a str,
    pos: usize,
}

fn lex(input: &str) -> Vec<Token<'_>> {
    let bytes = input.as_bytes();
    let special = |c: u8| matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<');
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if ws(c) {
            i += 1;
            continue;
        }
        if special(c) {
            let two = bytes.get(i + 1).copied();
            let (tok, len) = match (c, two) {
                (b'!', Some(b'=')) => (Tok::NotEquals, 2),
                (b'=', Some(b'=')) => (Tok::DoubleEquals, 2),
                (b'=', _) => (Tok::Equals, 1),
                (b'!', _) => (Tok::DoesNotExist, 1),
                (b'(', _) => (Tok::OpenPar, 1),
                (b')', _) => (Tok::ClosedPar, 1),
                (b',', _) => (Tok::Comma, 1),
                (b'>', _) => (Tok::GreaterThan, 1),
                _ => (Tok::LessThan, 1),
            };
            out.push(Token { tok, text: &input[i..i + len], pos: i });
            i += len;
            continue;
        }
        let start = i;
        while i < bytes.len() && !ws(bytes[i]) && !special(bytes[i]) {
            i += 1;
        }
        let text = &input[start..i];
        let tok = match text {
            "in" => Tok::In,
            "notin" => Tok::NotIn,
            _ => Tok::Identifier,
        };
        out.push(Token { tok, text, pos: start });
    }
    out.push(Token { tok: Tok::End, text: "", pos: input.len() });
    out
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser { tokens: lex(input), at: 0 }
    }

    /// Peeks; in value context the keywords `in`/`notin` are plain identifiers.
    fn peek(&self, values: bool) -> Token<'a> {
        let mut t = self.tokens[self.at].clone();
        if values && matches!(t.tok, Tok::In | Tok::NotIn) {
            t.tok = Tok::Identifier;
        }
        t
    }

    fn next(&mut self, values: bool) -> Token<'a> {
        let t = self.peek(values);
        if t.tok != Tok::End {
            self.at += 1;
        }
        t
    }

    fn err(t: &Token<'_>, expected: &'static str) -> LabelSelectorError {
        LabelSelectorError::Syntax {
            position: t.pos,
            found: if t.tok == Tok::End { "end of string".into() } else { t.text.to_string() },
            expected,
        }
    }

    fn parse(mut self) -> Result<Selector, LabelSelectorError> {
        let mut reqs = Vec::new();
        loop {
            let t = self.peek(true);
            match t.tok {
                Tok::Identifier | Tok::DoesNotExist => {
                    reqs.push(self.requirement()?);
                    let t = self.next(false);
                    match t.tok {
                        Tok::End => break,
                        Tok::Comma => {
                            let after = self.peek(true);
                            if !matches!(after.tok, Tok::Identifier | Tok::DoesNotExist) {
                                return Err(Self::err(&after, "identifier after ','"));
                            }
                        }
                        _ => return Err(Self::err(&t, "',' or 'end of string'")),
                    }
                }
                Tok::End => break,
                _ => return Err(Self::err(&t, "!, identifier, or 'end of string'")),
            }
        }
        Ok(Selector::from_requirements(reqs))
    }

    fn requirement(&mut self) -> Result<Requirement, LabelSelectorError> {
        let first = self.next(true);
        let (key_tok, negated) = if first.tok == Tok::DoesNotExist {
            let k = self.next(true);
            if k.tok != Tok::Identifier {
                return Err(Self::err(&k, "identifier after '!'"));
            }
            (k, true)
        } else {
            (first, false)
        };
        let key = key_tok.text.to_string();
        let pos = key_tok.pos;
        if negated {
            return Requirement::validated(key, Operator::DoesNotExist, BTreeSet::new(), pos);
        }
        let op_tok = self.peek(false);
        if matches!(op_tok.tok, Tok::End | Tok::Comma) {
            return Requirement::validated(key, Operator::Exists, BTreeSet::new(), pos);
        }
        let op = match op_tok.tok {
            Tok::In => Operator::In,
            Tok::NotIn => Operator::NotIn,
            Tok::Equals => Operator::Equals,
            Tok::DoubleEquals => Operator::DoubleEquals,
            Tok::NotEquals => Operator::NotEquals,
            Tok::GreaterThan => Operator::GreaterThan,
            Tok::LessThan => Operator::LessThan,
            _ => return Err(Self::err(&op_tok, "[!= < = == > in notin]")),
        };
        self.next(false);
        let values = if matches!(op, Operator::In | Operator::NotIn) {
            self.value_list()?
        } else {
            self.exact_value()?
        };
        Requirement::validated(key, op, values, pos)
    }

    fn exact_value(&mut self) -> Result<BTreeSet<String>, LabelSelectorError> {
        let t = self.peek(true);
        if matches!(t.tok, Tok::End | Tok::Comma) {
            return Ok(BTreeSet::from([String::new()]));
        }
        let t = self.next(true);
        if t.tok == Tok::Identifier {
            Ok(BTreeSet::from([t.text.to_string()]))
        } else {
            Err(Self::err(&t, "identifier"))
        }
    }

    fn value_list(&mut self) -> Result<BTreeSet<String>, LabelSelectorError> {
        let open = self.next(true);
        if open.tok != Tok::OpenPar {
            return Err(Self::err(&open, "'('"));
        }
        let t = self.peek(true);
        match t.tok {
            Tok::ClosedPar => {
                self.next(true);
                Ok(BTreeSet::from([String::new()]))
            }
            Tok::Identifier | Tok::Comma => {
                let mut set = BTreeSet::new();
                loop {
                    let t = self.next(true);
                    match t.tok {
                        Tok::Identifier => {
                            set.insert(t.text.to_string());
                            let after = self.peek(true);
                            match after.tok {
                                Tok::Comma => {
                                    self.next(true);
                                    let again = self.peek(true);
                                    if again.tok == Tok::ClosedPar {
                                        set.insert(String::new());
                                    }
                                }
                                Tok::ClosedPar => {}
                                _ => return Err(Self::err(&after, "',' or ')'")),
                            }
                            if self.peek(true).tok == Tok::ClosedPar {
                                self.next(true);
                                return Ok(set);
                            }
                        }
                        Tok::Comma => {
                            // "(,x" or ",,": an empty value.
                            set.insert(String::new());
                            if self.peek(true).tok == Tok::ClosedPar {
                                self.next(true);
                                return Ok(set);
                            }
                        }
                        _ => return Err(Self::err(&t, "',', or identifier")),
                    }
                }
            }
            _ => Err(Self::err(&t, "',', ')' or identifier")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parse_and_canonical_form() {
        let cases = [
            ("", ""),
            ("x=a", "x=a"),
            ("x==a", "x==a"),
            ("x=a,y!=b", "x=a,y!=b"),
            ("y!=b,x=a", "x=a,y!=b"),
            ("x in (c,b,a)", "x in (a,b,c)"),
            ("x notin (z)", "x notin (z)"),
            ("!h", "!h"),
            ("g", "g"),
            (
                "a=b,a==b,c!=d,e in (x,y),f notin (z),g,!h",
                "a=b,a==b,c!=d,e in (x,y),f notin (z),g,!h",
            ),
            ("x>1", "x>1"),
            ("x<5", "x<5"),
            ("  x  =  a  ", "x=a"),
            ("x=", "x="),
            ("x in ()", "x in ()"),
            ("x in (a,)", "x in (,a)"),
            ("example.com/app=web", "example.com/app=web"),
            ("x=in", "x=in"),
        ];
        for (input, want) in cases {
            let s = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(s.to_string(), want, "{input:?}");
            assert_eq!(Selector::parse(&s.to_string()).unwrap(), s, "reparse {input:?}");
        }
    }

    #[test]
    fn parse_errors_name_position() {
        let cases: &[(&str, usize)] = &[
            ("x=a,", 4),
            ("x in a", 5),
            ("x=a y=b", 4),
            ("=a", 0),
            ("x>a", 0),
            ("x in (a", 7),
            ("-x=a", 0),
            ("x=-a-", 0),
            ("x>1.5", 0),
            ("a=b,,c", 4),
            ("!", 1),
        ];
        for (input, pos) in cases {
            let err = Selector::parse(input).expect_err(input);
            let got = match &err {
                LabelSelectorError::Syntax { position, .. } => *position,
                LabelSelectorError::InvalidRequirement { position, .. } => *position,
                LabelSelectorError::UnknownOperator { .. } => usize::MAX,
            };
            assert_eq!(got, *pos, "{input:?}: {err}");
            assert!(err.to_string().contains("position"), "{err}");
        }
    }

    #[test]
    fn matching() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "7")]);
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("missing!=x", true),
            ("app in (web,db)", true),
            ("app notin (web)", false),
            ("missing notin (web)", true),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("n>5", true),
            ("n>7", false),
            ("n<8", true),
            ("app>1", false),
            ("missing<1", false),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
        ];
        for (sel, want) in cases {
            let s = Selector::parse(sel).unwrap();
            assert_eq!(s.matches(&l), want, "{sel}");
            assert_eq!(
                s.matches(&[("app", "web"), ("tier", "front"), ("n", "7")]),
                want,
                "{sel} slice"
            );
        }
        assert!(!Selector::nothing().matches(&l));
        assert!(Selector::everything().is_empty());
        assert!(!Selector::nothing().is_empty());
    }

    #[test]
    fn from_label_selector() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
        let expr = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: if values.is_empty() {
                None
            } else {
                Some(values.iter().map(|v| v.to_string()).collect())
            },
        };
        let ls = LabelSelector {
            match_labels: Some(BTreeMap::from([("z".to_string(), "1".to_string())])),
            match_expressions: Some(vec![
                expr("a", "In", &["y", "x"]),
                expr("b", "NotIn", &["q"]),
                expr("c", "Exists", &[]),
                expr("d", "DoesNotExist", &[]),
            ]),
        };
        let s = Selector::try_from(&ls).unwrap();
        assert_eq!(s.to_string(), "a in (x,y),b notin (q),c,!d,z=1");
        assert!(Selector::from_label_selector(Some(&LabelSelector::default())).unwrap().is_empty());
        assert!(Selector::from_label_selector(None).unwrap().is_nothing());

        let bad_cases = [
            expr("a", "Gt", &["1"]),
            expr("a", "In", &[]),
            expr("a", "Exists", &["x"]),
            expr("bad key", "Exists", &[]),
            expr("a", "In", &["bad value"]),
        ];
        for e in bad_cases {
            let ls =
                LabelSelector { match_expressions: Some(vec![e.clone()]), ..Default::default() };
            assert!(Selector::try_from(&ls).is_err(), "{e:?}");
        }
    }
}
