//! `capstan-controller-runtime`: write controllers that run unchanged against an
//! in-process Capstan API server and any conformant Kubernetes API server.
//!
//! Where to start: implement [`Reconciler`] (level-based: a [`Request`] names an object,
//! you make the world match it and return an [`Action`]), wire it with
//! [`controller::builder`] (`for_kind`, `owns`, `watches`, predicates, concurrency), and
//! run it in a [`Manager`] (shared informers, leader election, health and metrics). Test
//! it against [`TestEnv`], a real API server in-process on the memory store.
//!
//! A reconciler that labels every ConfigMap, run by a manager against an in-process API
//! server (swap `env.client()` for [`client::infer`] to run it against a cluster):
//!
//! ```
//! use std::collections::BTreeMap;
//! use async_trait::async_trait;
//! use capstan_controller_runtime::{Action, Reconciler, Request, TestEnv};
//! use capstan_controller_runtime::reconciler::ReconcileError;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::{Api, api::{Patch, PatchParams, PostParams}};
//!
//! struct Stamp(kube::Client);
//!
//! #[async_trait]
//! impl Reconciler for Stamp {
//!     type Error = ReconcileError;
//!     async fn reconcile(&self, req: Request) -> Result<Action, ReconcileError> {
//!         let api: Api<ConfigMap> = Api::namespaced(self.0.clone(), req.namespace.as_deref().unwrap());
//!         let patch = serde_json::json!({"metadata": {"labels": {"stamped": "yes"}}});
//!         match api.patch(&req.name, &PatchParams::default(), &Patch::Merge(&patch)).await {
//!             Ok(_) => Ok(Action::Done),
//!             Err(kube::Error::Api(s)) if s.code == 404 => Ok(Action::Done),
//!             Err(e) => Err(e.into()),
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let env = TestEnv::start().await.unwrap();
//! let mut manager = env.manager().build().await.unwrap();
//! let controller = manager.controller("stamp").for_kind::<ConfigMap>().build(Stamp(env.client())).unwrap();
//! manager.add(controller);
//! let running = env.spawn_manager(manager);
//!
//! let api: Api<ConfigMap> = Api::namespaced(env.client(), "default");
//! let mut cm = ConfigMap::default();
//! cm.metadata.name = Some("hello".into());
//! api.create(&PostParams::default(), &cm).await.unwrap();
//! TestEnv::wait_until(std::time::Duration::from_secs(10), "the label", || {
//!     let api = api.clone();
//!     async move {
//!         let labels: Option<BTreeMap<String, String>> = api.get("hello").await.unwrap().metadata.labels;
//!         labels.is_some_and(|l| l.get("stamped").map(String::as_str) == Some("yes"))
//!     }
//! })
//! .await
//! .unwrap();
//! running.stop().await.unwrap();
//! # });
//! ```
//!
//! The extension traits, each small and cut by role:
//!
//! - [`Reconciler`] — the controller logic; [`reconciler::Retryable`] classifies its errors;
//! - [`predicate::Predicate`] — which changes wake a controller;
//! - [`controller::Mapper`] — which requests a change of another kind maps to;
//! - [`informer::EventHandler`] — raw informer callbacks; [`informer::Sink`] — where a
//!   reflector delivers;
//! - [`workqueue::RateLimiter`] — retry pacing;
//! - [`manager::Runnable`] — anything a manager runs (controllers are runnables).
//!
//! The builders are sugar over public primitives usable alone: [`client`] (in-process or
//! remote `kube::Client`), [`informer`] (reflector, cache with indexers, shared
//! informers and their factory), [`workqueue`], [`controller`] (handlers mapping changes
//! to requests, the worker loop), [`manager`] (runnables, leader election, health
//! server), [`events`] (an `events.k8s.io/v1` recorder), [`finalizers`], [`owner`].
//! Built-in controllers live in [`controllers`].

pub mod client;
pub mod controller;
pub mod controllers;
pub mod events;
pub mod finalizers;
pub mod informer;
pub mod manager;
pub mod object;
pub mod owner;
pub mod predicate;
pub mod reconciler;
pub mod shutdown;
pub mod testenv;
pub mod workqueue;

pub use controller::Controller;
pub use manager::Manager;
pub use object::{Object, ObjectKey};
pub use reconciler::{Action, Reconciler, Request};
pub use shutdown::Shutdown;
pub use testenv::TestEnv;
