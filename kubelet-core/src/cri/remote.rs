//! A CRI client over gRPC: [`RemoteRuntime`] implements [`RuntimeService`] and
//! [`ImageService`] against containerd, CRI-O or any CRI server on a unix socket.

use super::{CriError, CriResult, ImageService, RuntimeService, v1};
use async_trait::async_trait;
use hyper_util::rt::TokioIo;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use std::path::{Path, PathBuf};
use tonic::transport::{Channel, Endpoint, Uri};

/// A connection to a CRI runtime.
#[derive(Debug, Clone)]
pub struct RemoteRuntime {
    runtime: RuntimeServiceClient<Channel>,
    images: ImageServiceClient<Channel>,
}

/// Maps a gRPC status to a [`CriError`].
pub fn status_to_error(status: tonic::Status) -> CriError {
    let msg = status.message().to_owned();
    match status.code() {
        tonic::Code::NotFound => CriError::NotFound(msg),
        tonic::Code::FailedPrecondition
        | tonic::Code::InvalidArgument
        | tonic::Code::AlreadyExists => CriError::FailedPrecondition(msg),
        _ => CriError::Unavailable(format!("{:?}: {msg}", status.code())),
    }
}

impl RemoteRuntime {
    /// Connects to the CRI server listening on the unix socket `path`.
    pub async fn connect_unix(path: impl AsRef<Path>) -> CriResult<Self> {
        let path: PathBuf = path.as_ref().to_owned();
        let channel = Endpoint::try_from("http://[::]:50051")
            .map_err(|e| CriError::Unavailable(e.to_string()))?
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let path = path.clone();
                async move {
                    Ok::<_, std::io::Error>(TokioIo::new(
                        tokio::net::UnixStream::connect(path).await?,
                    ))
                }
            }))
            .await
            .map_err(|e| CriError::Unavailable(e.to_string()))?;
        Ok(Self::from_channel(channel))
    }

    /// A client over an established channel.
    pub fn from_channel(channel: Channel) -> Self {
        Self {
            runtime: RuntimeServiceClient::new(channel.clone()),
            images: ImageServiceClient::new(channel),
        }
    }
}

macro_rules! forward {
    ($trait:ident, $client:ident, $($method:ident($req:ty) -> $resp:ty;)*) => {
        #[async_trait]
        impl $trait for RemoteRuntime {
            $(
                async fn $method(&self, req: $req) -> CriResult<$resp> {
                    let mut client = self.$client.clone();
                    client.$method(req).await.map(tonic::Response::into_inner).map_err(status_to_error)
                }
            )*
        }
    };
}

forward! {
    RuntimeService, runtime,
    version(v1::VersionRequest) -> v1::VersionResponse;
    run_pod_sandbox(v1::RunPodSandboxRequest) -> v1::RunPodSandboxResponse;
    stop_pod_sandbox(v1::StopPodSandboxRequest) -> v1::StopPodSandboxResponse;
    remove_pod_sandbox(v1::RemovePodSandboxRequest) -> v1::RemovePodSandboxResponse;
    pod_sandbox_status(v1::PodSandboxStatusRequest) -> v1::PodSandboxStatusResponse;
    list_pod_sandbox(v1::ListPodSandboxRequest) -> v1::ListPodSandboxResponse;
    create_container(v1::CreateContainerRequest) -> v1::CreateContainerResponse;
    start_container(v1::StartContainerRequest) -> v1::StartContainerResponse;
    stop_container(v1::StopContainerRequest) -> v1::StopContainerResponse;
    remove_container(v1::RemoveContainerRequest) -> v1::RemoveContainerResponse;
    list_containers(v1::ListContainersRequest) -> v1::ListContainersResponse;
    container_status(v1::ContainerStatusRequest) -> v1::ContainerStatusResponse;
    exec_sync(v1::ExecSyncRequest) -> v1::ExecSyncResponse;
    container_stats(v1::ContainerStatsRequest) -> v1::ContainerStatsResponse;
    pod_sandbox_stats(v1::PodSandboxStatsRequest) -> v1::PodSandboxStatsResponse;
}

forward! {
    ImageService, images,
    list_images(v1::ListImagesRequest) -> v1::ListImagesResponse;
    image_status(v1::ImageStatusRequest) -> v1::ImageStatusResponse;
    pull_image(v1::PullImageRequest) -> v1::PullImageResponse;
    remove_image(v1::RemoveImageRequest) -> v1::RemoveImageResponse;
}
