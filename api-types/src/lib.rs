//! The Kubernetes object model for Capstan.
//!
//! Start with:
//! - the built-in kinds, re-exported by API group ([`core::v1::Pod`],
//!   [`apps::v1::Deployment`], [`meta::v1::ObjectMeta`], …) and [`k8s_openapi`] itself;
//! - [`KubeResource`], the trait tying a type to its group, version, kind,
//!   plural and [`Scope`], with [`GroupVersion`], [`GroupVersionKind`] and
//!   [`GroupVersionResource`];
//! - [`DynamicObject`] for objects of any kind;
//! - [`catalogue`], the table of built-in resources that drives discovery and
//!   kubectl name resolution ([`catalogue::resolve`], [`catalogue::by_gvr`]);
//! - [`labels::Selector`] and [`fields::FieldSelector`] for list filtering;
//! - [`Quantity`] for exact resource arithmetic;
//! - [`validation`] (name rules, [`validation::FieldError`]) and [`defaults`]
//!   (the defaulting the API server applies to built-in kinds).
//!
//! Architecture invariant: this crate does no I/O and has no async.

pub mod catalogue;
pub mod defaults;
pub mod dynamic;
pub mod fields;
mod groups;
pub mod gvk;
pub mod labels;
pub mod quantity;
pub mod validation;

pub use groups::{
    admissionregistration, apiextensions, apps, authentication, authorization, autoscaling, batch,
    certificates, coordination, core, discovery, events, meta, networking, node, policy, rbac,
    scheduling, storage, util,
};
pub use k8s_openapi;

pub use dynamic::DynamicObject;
pub use gvk::{
    GroupResource, GroupVersion, GroupVersionKind, GroupVersionResource, KubeResource, Scope,
};
pub use quantity::Quantity;
