//! [`TestEnv`]: a real API server (`capstan-apiserver-core` on the memory store) in
//! process — no sockets, started in milliseconds — with a `kube::Client` on it and a
//! way to run a [`Manager`] against it. What envtest is to Go controllers.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use capstan_controller_runtime::TestEnv;
//! use k8s_openapi::api::core::v1::ConfigMap;
//!
//! let env = TestEnv::start().await.unwrap();
//! let cms: kube::Api<ConfigMap> = kube::Api::namespaced(env.client(), "default");
//! assert!(cms.list(&Default::default()).await.unwrap().items.is_empty());
//! # });
//! ```

use std::sync::Arc;
use std::time::Duration;

use capstan_apiserver_core::server::{ApiServer, ServerError};
use capstan_store::Storage;
use capstan_store::memory::MemoryStore;

use crate::manager::{Manager, ManagerBuilder, ManagerError};
use crate::shutdown::Shutdown;

/// Why a test environment could not start.
#[derive(Debug, thiserror::Error)]
pub enum TestEnvError {
    /// The API server failed to build.
    #[error("starting the API server: {0}")]
    Server(#[from] ServerError),
    /// A condition was not met before its deadline.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
}

/// An in-process API server and a client on it.
#[derive(Clone)]
pub struct TestEnv {
    server: ApiServer,
    client: kube::Client,
}

impl std::fmt::Debug for TestEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestEnv").field("server", &self.server).finish()
    }
}

impl TestEnv {
    /// A server on a fresh memory store (with the initial namespaces).
    pub async fn start() -> Result<TestEnv, TestEnvError> {
        TestEnv::with_store(Arc::new(MemoryStore::new())).await
    }

    /// A server on `store` (which may already hold data).
    pub async fn with_store(store: Arc<dyn Storage>) -> Result<TestEnv, TestEnvError> {
        let server = ApiServer::builder().store(store).build().await?;
        let client = kube::Client::new(server.clone(), "default");
        Ok(TestEnv { server, client })
    }

    /// A client on the server (cheap to clone).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The server itself (a `tower::Service`).
    pub fn server(&self) -> &ApiServer {
        &self.server
    }

    /// A manager builder on this server's client.
    pub fn manager(&self) -> ManagerBuilder {
        Manager::builder(self.client())
    }

    /// Runs `manager` on a task until the returned handle is stopped.
    pub fn spawn_manager(&self, manager: Manager) -> RunningManager {
        let shutdown = Shutdown::new();
        let task = tokio::spawn(manager.run(shutdown.clone()));
        RunningManager { shutdown, task }
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes.
    pub async fn wait_until<F, Fut>(
        timeout: Duration,
        what: &str,
        mut condition: F,
    ) -> Result<(), TestEnvError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if condition().await {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(TestEnvError::Timeout(timeout, what.to_string()));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A manager running on a task.
#[derive(Debug)]
pub struct RunningManager {
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<Result<(), ManagerError>>,
}

impl RunningManager {
    /// The signal that stops it.
    pub fn shutdown_signal(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Whether the manager has returned (stopped, or lost its lease).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the manager gracefully and returns its result.
    pub async fn stop(self) -> Result<(), ManagerError> {
        self.shutdown.trigger();
        self.join().await
    }

    /// Waits for the manager to return by itself.
    pub async fn join(self) -> Result<(), ManagerError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Stops the manager abruptly, as a crash would: its task is cancelled (no lease
    /// release, no draining), then the tasks it started (informers, workers) are told
    /// to stop.
    pub fn abort(self) {
        self.task.abort();
        self.shutdown.trigger();
    }
}
