//! The container runtime interface: `RuntimeService` and `ImageService` shaped after CRI v1.
//!
//! Requests and responses are the CRI v1 protobuf messages of the `k8s-cri` crate
//! (re-exported as [`v1`]). [`remote::RemoteRuntime`] implements both over gRPC (a unix
//! socket to containerd or CRI-O), and [`server`] serves any implementation over gRPC.

pub mod remote;
pub mod server;

use async_trait::async_trait;
pub use k8s_cri::v1;
use v1::*;

/// Labels the kubelet puts on every sandbox and container (the ones Kubernetes uses).
pub mod labels {
    /// Pod name label.
    pub const POD_NAME: &str = "io.kubernetes.pod.name";
    /// Pod namespace label.
    pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
    /// Pod UID label.
    pub const POD_UID: &str = "io.kubernetes.pod.uid";
    /// Container name label.
    pub const CONTAINER_NAME: &str = "io.kubernetes.container.name";
    /// Container annotation set to `"true"` when the container is expected to exit by
    /// itself: init containers, and containers of pods with restartPolicy `Never` or
    /// `OnFailure`. Runtimes ignore it; the simulated runtime uses it for its default.
    pub const RUN_TO_COMPLETION: &str = "capstan.dev/run-to-completion";
}

/// A failed CRI call.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    /// The sandbox, container or image does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is invalid for the object's current state.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// The runtime could not serve the call (transport or internal error); retryable.
    #[error("runtime unavailable: {0}")]
    Unavailable(String),
    /// An image could not be pulled.
    #[error("image pull failed: {0}")]
    ImagePull(String),
}

impl CriError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CriError::Unavailable(_) | CriError::ImagePull(_))
    }
}

/// Result of a CRI call.
pub type CriResult<T> = Result<T, CriError>;

/// One container as a relist sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStateEntry {
    /// Container id.
    pub id: String,
    /// UID of its pod.
    pub pod_uid: String,
    /// `ContainerState` as its `i32`.
    pub state: i32,
}

/// CRI v1 `RuntimeService`: sandboxes, containers, exec and stats.
#[async_trait]
pub trait RuntimeService: Send + Sync {
    /// Runtime name and version.
    async fn version(&self, req: VersionRequest) -> CriResult<VersionResponse>;
    /// Creates and starts a pod sandbox.
    async fn run_pod_sandbox(&self, req: RunPodSandboxRequest) -> CriResult<RunPodSandboxResponse>;
    /// Stops a sandbox and every container in it.
    async fn stop_pod_sandbox(
        &self,
        req: StopPodSandboxRequest,
    ) -> CriResult<StopPodSandboxResponse>;
    /// Removes a stopped sandbox and its containers.
    async fn remove_pod_sandbox(
        &self,
        req: RemovePodSandboxRequest,
    ) -> CriResult<RemovePodSandboxResponse>;
    /// Status of one sandbox.
    async fn pod_sandbox_status(
        &self,
        req: PodSandboxStatusRequest,
    ) -> CriResult<PodSandboxStatusResponse>;
    /// Lists sandboxes.
    async fn list_pod_sandbox(
        &self,
        req: ListPodSandboxRequest,
    ) -> CriResult<ListPodSandboxResponse>;
    /// Creates a container in a sandbox.
    async fn create_container(
        &self,
        req: CreateContainerRequest,
    ) -> CriResult<CreateContainerResponse>;
    /// Starts a created container.
    async fn start_container(
        &self,
        req: StartContainerRequest,
    ) -> CriResult<StartContainerResponse>;
    /// Stops a container, waiting at most `timeout` seconds before killing it.
    async fn stop_container(&self, req: StopContainerRequest) -> CriResult<StopContainerResponse>;
    /// Removes a container.
    async fn remove_container(
        &self,
        req: RemoveContainerRequest,
    ) -> CriResult<RemoveContainerResponse>;
    /// Lists containers.
    async fn list_containers(
        &self,
        req: ListContainersRequest,
    ) -> CriResult<ListContainersResponse>;
    /// Every container's id, pod UID (its [`labels::POD_UID`] label) and state, which is
    /// all a relist needs. The default lists the containers; a runtime in the same process
    /// answers without copying labels and metadata.
    async fn container_states(&self) -> CriResult<Vec<ContainerStateEntry>> {
        let list = self.list_containers(ListContainersRequest { filter: None }).await?;
        Ok(list
            .containers
            .into_iter()
            .map(|c| ContainerStateEntry {
                pod_uid: c.labels.get(labels::POD_UID).cloned().unwrap_or_default(),
                id: c.id,
                state: c.state,
            })
            .collect())
    }
    /// Status of one container.
    async fn container_status(
        &self,
        req: ContainerStatusRequest,
    ) -> CriResult<ContainerStatusResponse>;
    /// Runs a command in a container and returns its output and exit code.
    async fn exec_sync(&self, req: ExecSyncRequest) -> CriResult<ExecSyncResponse>;
    /// Resource usage of one container.
    async fn container_stats(
        &self,
        req: ContainerStatsRequest,
    ) -> CriResult<ContainerStatsResponse>;
    /// Resource usage of one sandbox and its containers.
    async fn pod_sandbox_stats(
        &self,
        req: PodSandboxStatsRequest,
    ) -> CriResult<PodSandboxStatsResponse>;
}

/// CRI v1 `ImageService`: pull, list, status and remove images.
#[async_trait]
pub trait ImageService: Send + Sync {
    /// Lists images.
    async fn list_images(&self, req: ListImagesRequest) -> CriResult<ListImagesResponse>;
    /// Status of one image (`image` is `None` when absent).
    async fn image_status(&self, req: ImageStatusRequest) -> CriResult<ImageStatusResponse>;
    /// Pulls an image and returns its reference.
    async fn pull_image(&self, req: PullImageRequest) -> CriResult<PullImageResponse>;
    /// Removes an image.
    async fn remove_image(&self, req: RemoveImageRequest) -> CriResult<RemoveImageResponse>;
}
