//! The labels and selectable fields of a cached object in compact form: field paths are the catalogue's static strings, labels are packed into one text.

use capstan_api_types::fields::FieldSource;
use capstan_api_types::labels::Labels;
use serde_json::{Map, Value};

/// The selectable fields of one cached object ([`capstan_api_types::fields::field_values`]):
/// each path is a `&'static str` of the field table, so an object pays only for its
/// values. Fields whose value is empty are left out (a field selector reads a missing
/// field as `""`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldValues(Box<[(&'static str, String)]>);

impl FieldValues {
    /// The fields with a non-empty value, in the order given.
    pub fn new(values: Vec<(&'static str, String)>) -> Self {
        let mut values = values;
        values.retain(|(_, v)| !v.is_empty());
        FieldValues(values.into_boxed_slice())
    }

    /// The value of the field `path`, if it is set and not empty.
    pub fn get(&self, path: &str) -> Option<&String> {
        self.0.iter().find(|(p, _)| *p == path).map(|(_, v)| v)
    }

    /// The fields with a non-empty value.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(p, v)| (*p, v.as_str()))
    }

    /// How many fields have a non-empty value.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no field has a non-empty value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FieldSource for FieldValues {
    fn field(&self, path: &str) -> Option<&str> {
        self.get(path).map(String::as_str)
    }
}

/// `metadata.labels` of one cached object, packed: every key and value in one text, and
/// where each ends. Two allocations however many labels (none without labels).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelValues {
    /// `key0 value0 key1 value1 …` without separators, keys in sorted order.
    text: Box<str>,
    /// The end of each key and value in `text` (two per label).
    ends: Box<[u32]>,
}

impl LabelValues {
    /// The string labels of a JSON `metadata.labels` object (others are left out).
    pub fn from_json(labels: &Map<String, Value>) -> Self {
        Self::from_pairs(labels.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))))
    }

    /// Labels from key/value pairs (a later duplicate key replaces an earlier one).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        // Keep the last of equal keys, as a map would.
        let mut kept: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        let len: usize = kept.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut text = String::with_capacity(len);
        let mut ends = Vec::with_capacity(kept.len() * 2);
        for (k, v) in kept {
            text.push_str(k);
            ends.push(text.len() as u32);
            text.push_str(v);
            ends.push(text.len() as u32);
        }
        LabelValues { text: text.into_boxed_str(), ends: ends.into_boxed_slice() }
    }

    /// The labels as key/value pairs, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.ends.chunks_exact(2).scan(0usize, |start, ends| {
            let (k_end, v_end) = (ends[0] as usize, ends[1] as usize);
            let pair = (&self.text[*start..k_end], &self.text[k_end..v_end]);
            *start = v_end;
            Some(pair)
        })
    }

    /// The value of label `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// How many labels.
    pub fn len(&self) -> usize {
        self.ends.len() / 2
    }

    /// Whether there is no label.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl Labels for LabelValues {
    fn get_label(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api_types::fields::FieldSelector;
    use capstan_api_types::labels::Selector;
    use serde_json::json;

    #[test]
    fn labels_are_packed_and_found() {
        let json = json!({"b": "2", "a": "1", "n": 3, "empty": ""});
        let labels = LabelValues::from_json(json.as_object().unwrap());
        assert_eq!(labels.len(), 3, "the number is not a string label");
        assert_eq!(labels.get("a"), Some("1"));
        assert_eq!(labels.get("b"), Some("2"));
        assert_eq!(labels.get("empty"), Some(""));
        assert_eq!(labels.get("n"), None);
        assert_eq!(labels.get("c"), None);
        let pairs: Vec<_> = labels.iter().collect();
        assert_eq!(pairs, vec![("a", "1"), ("b", "2"), ("empty", "")]);
        assert!(Selector::parse("a=1,b in (2,3),!c").unwrap().matches(&labels));
        assert!(!Selector::parse("a=2").unwrap().matches(&labels));
        assert!(LabelValues::default().is_empty());
        assert!(Selector::parse("!a").unwrap().matches(&LabelValues::default()));
    }

    #[test]
    fn duplicate_label_keys_keep_the_last() {
        let labels = LabelValues::from_pairs([("k", "1"), ("j", "0"), ("k", "2")]);
        assert_eq!(labels.iter().collect::<Vec<_>>(), vec![("j", "0"), ("k", "2")]);
    }

    #[test]
    fn fields_leave_empty_values_out_and_still_match_them() {
        let fields = FieldValues::new(vec![
            ("metadata.name", "web".to_string()),
            ("spec.nodeName", String::new()),
            ("status.phase", "Running".to_string()),
        ]);
        assert_eq!(fields.len(), 2);
        assert_eq!(fields.get("status.phase").map(String::as_str), Some("Running"));
        assert_eq!(fields.get("spec.nodeName"), None);
        for (selector, want) in [
            ("spec.nodeName=", true),
            ("spec.nodeName!=", false),
            ("spec.nodeName=n1", false),
            ("metadata.name=web,status.phase=Running", true),
            ("status.phase!=Running", false),
        ] {
            assert_eq!(
                FieldSelector::parse(selector).unwrap().matches(&fields),
                want,
                "{selector}"
            );
        }
    }
}
