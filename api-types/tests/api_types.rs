//! Property tests: label selector, field selector and quantity parse/format round trips.

use std::collections::BTreeMap;

use capstan_api_types::Quantity;
use capstan_api_types::fields::FieldSelector;
use capstan_api_types::labels::{Operator, Requirement, Selector};
use capstan_api_types::quantity::Format;
use proptest::prelude::*;

fn label_key() -> impl Strategy<Value = String> {
    (
        proptest::option::of("[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}"),
        "[A-Za-z0-9]([A-Za-z0-9_.-]{0,10}[A-Za-z0-9])?",
    )
        .prop_map(|(prefix, name)| match prefix {
            Some(p) => format!("{p}/{name}"),
            None => name,
        })
        .prop_filter("keywords are not keys", |k| k != "in" && k != "notin")
}

fn label_value() -> impl Strategy<Value = String> {
    "([A-Za-z0-9]([A-Za-z0-9_.-]{0,10}[A-Za-z0-9])?)?"
}

fn requirement() -> impl Strategy<Value = Requirement> {
    (label_key(), 0..9u8, proptest::collection::btree_set(label_value(), 1..4), -1000i64..1000)
        .prop_map(|(key, op, values, n)| {
            let one = values.iter().next().cloned().unwrap_or_default();
            match op {
                0 => Requirement::new(&key, Operator::Equals, [one]),
                1 => Requirement::new(&key, Operator::DoubleEquals, [one]),
                2 => Requirement::new(&key, Operator::NotEquals, [one]),
                3 => Requirement::new(&key, Operator::In, values),
                4 => Requirement::new(&key, Operator::NotIn, values),
                5 => Requirement::new(&key, Operator::Exists, Vec::<String>::new()),
                6 => Requirement::new(&key, Operator::DoesNotExist, Vec::<String>::new()),
                7 => Requirement::new(&key, Operator::GreaterThan, [n.abs().to_string()]),
                _ => Requirement::new(&key, Operator::LessThan, [n.abs().to_string()]),
            }
            .expect("generated requirement is valid")
        })
}

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(
        prop_oneof![label_key(), Just("app".to_string()), Just("n".to_string())],
        prop_oneof![label_value(), (0..2000i64).prop_map(|n| n.to_string())],
        0..5,
    )
}

proptest! {
    #[test]
    fn label_selector_round_trips(reqs in proptest::collection::vec(requirement(), 0..5), l in labels()) {
        let sel = Selector::from_requirements(reqs);
        let text = sel.to_string();
        let parsed = Selector::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert_eq!(&parsed, &sel);
        prop_assert_eq!(parsed.matches(&l), sel.matches(&l));
        // A selector built from a label set matches that set.
        let from_set = Selector::from_set(&l).unwrap();
        prop_assert!(from_set.matches(&l));
    }

    #[test]
    fn label_selector_parse_never_panics(s in "[a-z=!(), <>in0-9]{0,20}") {
        if let Ok(sel) = Selector::parse(&s) {
            let again = Selector::parse(&sel.to_string()).unwrap();
            prop_assert_eq!(again, sel);
        }
    }

    #[test]
    fn field_selector_round_trips(
        terms in proptest::collection::vec(("[a-z]{1,6}(\\.[a-zA-Z]{1,6}){0,2}", 0..3u8, "[a-z0-9,=\\\\.-]{0,8}"), 0..4)
    ) {
        let text: Vec<String> = terms
            .iter()
            .map(|(f, op, v)| {
                let op = ["=", "==", "!="][*op as usize];
                format!("{f}{op}{}", capstan_api_types::fields::escape_value(v))
            })
            .collect();
        let text = text.join(",");
        let sel = FieldSelector::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(sel.requirements().len(), terms.len());
        let again = FieldSelector::parse(&sel.to_string()).unwrap();
        prop_assert_eq!(again, sel);
    }

    #[test]
    fn quantity_format_round_trips(
        mantissa in -1_000_000_000_000i64..1_000_000_000_000,
        frac in proptest::option::of(0u32..1000),
        suffix in prop_oneof![
            Just(""), Just("n"), Just("u"), Just("m"), Just("k"), Just("M"), Just("G"), Just("T"),
            Just("P"), Just("E"), Just("Ki"), Just("Mi"), Just("Gi"), Just("Ti"), Just("Pi"),
            Just("e3"), Just("e-3"), Just("E6"), Just("e-7"),
        ],
    ) {
        let input = match frac {
            Some(f) => format!("{mantissa}.{f:03}{suffix}"),
            None => format!("{mantissa}{suffix}"),
        };
        let q = Quantity::parse(&input).map_err(|e| TestCaseError::fail(format!("{input}: {e}")))?;
        let text = q.to_string();
        let again = Quantity::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&again, &q, "{} -> {}", input, text);
        prop_assert_eq!(again.to_string(), text.clone(), "canonical form is stable for {}", input);
        // Arithmetic is exact.
        let one = Quantity::parse("1").unwrap();
        prop_assert_eq!(&(&(&q + &one) - &one), &q);
        prop_assert_eq!(&(q.clone() - q.clone()), &Quantity::zero());
        prop_assert!(q.clone() + one.clone() > q);
    }

    #[test]
    fn quantity_millis_and_values(millis in proptest::num::i64::ANY, bytes in 0i64..(1 << 50)) {
        let q = Quantity::from_millis(millis, Format::DecimalSI);
        prop_assert_eq!(q.as_millis(), millis);
        let parsed = Quantity::parse(&q.to_string()).unwrap();
        prop_assert_eq!(parsed.as_millis(), millis);
        let b = Quantity::from_i64(bytes, Format::BinarySI);
        let reparsed = Quantity::parse(&b.to_string()).unwrap();
        prop_assert_eq!(reparsed.as_i64_value(), bytes);
        prop_assert_eq!(reparsed.as_millis(), bytes * 1000);
    }

    #[test]
    fn quantity_order_matches_integers(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000) {
        let qa = Quantity::from_millis(a, Format::DecimalSI);
        let qb = Quantity::from_i64(b, Format::BinarySI);
        prop_assert_eq!(qa.cmp(&qb), (a as i128).cmp(&(b as i128 * 1000)));
    }

    #[test]
    fn quantity_parse_never_panics(s in "[+-]?[0-9.]{0,6}[eEinumkKMGTP]{0,2}[-+]?[0-9]{0,3}") {
        if let Ok(q) = Quantity::parse(&s) {
            let again = Quantity::parse(&q.to_string()).unwrap();
            prop_assert_eq!(again, q);
        }
    }
}
