//! Criterion micro-benchmarks of the object model's hot paths: selector parsing and
//! matching, Quantity parsing and formatting, and catalogue name resolution.
//! Run with `cargo bench -p capstan-benches --bench micro`.

use std::collections::BTreeMap;
use std::hint::black_box;

use capstan_api_types::Quantity;
use capstan_api_types::catalogue;
use capstan_api_types::labels::Selector;
use criterion::{Criterion, criterion_group, criterion_main};

fn selectors(c: &mut Criterion) {
    let text = "app=web,tier in (frontend,backend),env!=prod,release,!canary";
    c.bench_function("labels/parse", |b| b.iter(|| Selector::parse(black_box(text))));
    let selector = Selector::parse(text).expect("valid selector");
    let labels: BTreeMap<String, String> = [
        ("app", "web"),
        ("tier", "frontend"),
        ("env", "staging"),
        ("release", "v3"),
        ("pod-template-hash", "7d9f8c6b5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    c.bench_function("labels/match", |b| b.iter(|| selector.matches(black_box(&labels))));
}

fn quantities(c: &mut Criterion) {
    c.bench_function("quantity/parse", |b| {
        b.iter(|| {
            for text in ["100m", "1.5Gi", "2", "512Mi", "1e3"] {
                black_box(Quantity::parse(black_box(text)).ok());
            }
        })
    });
    let q = Quantity::parse("1536Mi").expect("valid quantity");
    c.bench_function("quantity/format", |b| b.iter(|| black_box(&q).to_canonical_string()));
    c.bench_function("quantity/as_millis", |b| b.iter(|| black_box(&q).as_millis()));
}

fn names(c: &mut Criterion) {
    c.bench_function("catalogue/resolve", |b| {
        b.iter(|| {
            for name in ["po", "deployments.apps", "svc", "Node", "cronjobs"] {
                black_box(catalogue::resolve(black_box(name)));
            }
        })
    });
}

criterion_group!(benches, selectors, quantities, names);
criterion_main!(benches);
