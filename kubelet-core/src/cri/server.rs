//! Serves any [`RuntimeService`] and [`ImageService`] as a CRI v1 gRPC server, e.g. the
//! simulated runtime on a unix socket for a kubelet or `crictl`.

use super::{CriError, ImageService, RuntimeService, v1};
use k8s_cri::v1::image_service_server::{ImageService as GrpcImages, ImageServiceServer};
use k8s_cri::v1::runtime_service_server::{RuntimeService as GrpcRuntime, RuntimeServiceServer};
use std::path::Path;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Adapts our traits to the generated gRPC service traits.
#[derive(Clone)]
pub struct CriService {
    runtime: Arc<dyn RuntimeService>,
    images: Arc<dyn ImageService>,
}

impl std::fmt::Debug for CriService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CriService").finish_non_exhaustive()
    }
}

/// Maps a [`CriError`] to a gRPC status.
pub fn error_to_status(e: CriError) -> Status {
    match e {
        CriError::NotFound(m) => Status::not_found(m),
        CriError::FailedPrecondition(m) => Status::failed_precondition(m),
        CriError::Unavailable(m) => Status::unavailable(m),
        CriError::ImagePull(m) => Status::unknown(m),
    }
}

impl CriService {
    /// A service over a runtime and an image service.
    pub fn new(runtime: Arc<dyn RuntimeService>, images: Arc<dyn ImageService>) -> Self {
        Self { runtime, images }
    }

    /// Binds the unix socket `path` (replacing a stale one) and returns the server, which
    /// serves both services until `shutdown` completes.
    pub fn serve_unix(
        self,
        path: &Path,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<
        impl std::future::Future<Output = Result<(), tonic::transport::Error>> + Send + 'static,
    > {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let listener = tokio::net::UnixListener::bind(path)?;
        let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
        Ok(tonic::transport::Server::builder()
            .add_service(RuntimeServiceServer::new(self.clone()))
            .add_service(ImageServiceServer::new(self))
            .serve_with_incoming_shutdown(incoming, shutdown))
    }
}

macro_rules! grpc_impl {
    (
        $trait:ident {
            serve $field:ident { $($method:ident($req:ty) -> $resp:ty;)* }
            unimplemented { $($um:ident($ureq:ty) -> $uresp:ty;)* }
            $($extra:item)*
        }
    ) => {
        #[tonic::async_trait]
        impl $trait for CriService {
            $(
                async fn $method(&self, req: Request<$req>) -> Result<Response<$resp>, Status> {
                    self.$field.$method(req.into_inner()).await.map(Response::new).map_err(error_to_status)
                }
            )*
            $(
                async fn $um(&self, _req: Request<$ureq>) -> Result<Response<$uresp>, Status> {
                    Err(Status::unimplemented(stringify!($um)))
                }
            )*
            $($extra)*
        }
    };
}

grpc_impl! {
    GrpcRuntime {
        serve runtime {
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
        unimplemented {
        update_container_resources(v1::UpdateContainerResourcesRequest) -> v1::UpdateContainerResourcesResponse;
        reopen_container_log(v1::ReopenContainerLogRequest) -> v1::ReopenContainerLogResponse;
        exec(v1::ExecRequest) -> v1::ExecResponse;
        attach(v1::AttachRequest) -> v1::AttachResponse;
        port_forward(v1::PortForwardRequest) -> v1::PortForwardResponse;
        list_container_stats(v1::ListContainerStatsRequest) -> v1::ListContainerStatsResponse;
        list_pod_sandbox_stats(v1::ListPodSandboxStatsRequest) -> v1::ListPodSandboxStatsResponse;
        update_runtime_config(v1::UpdateRuntimeConfigRequest) -> v1::UpdateRuntimeConfigResponse;
        checkpoint_container(v1::CheckpointContainerRequest) -> v1::CheckpointContainerResponse;
        list_metric_descriptors(v1::ListMetricDescriptorsRequest) -> v1::ListMetricDescriptorsResponse;
        list_pod_sandbox_metrics(v1::ListPodSandboxMetricsRequest) -> v1::ListPodSandboxMetricsResponse;
        runtime_config(v1::RuntimeConfigRequest) -> v1::RuntimeConfigResponse;
        }
    async fn status(&self, _req: Request<v1::StatusRequest>) -> Result<Response<v1::StatusResponse>, Status> {
        let ready = |t: &str| v1::RuntimeCondition { r#type: t.into(), status: true, ..Default::default() };
        Ok(Response::new(v1::StatusResponse {
            status: Some(v1::RuntimeStatus { conditions: vec![ready("RuntimeReady"), ready("NetworkReady")] }),
            ..Default::default()
        }))
    }

    type GetContainerEventsStream =
        tokio_stream::wrappers::ReceiverStream<Result<v1::ContainerEventResponse, Status>>;

    async fn get_container_events(
        &self,
        _req: Request<v1::GetEventsRequest>,
    ) -> Result<Response<Self::GetContainerEventsStream>, Status> {
        Err(Status::unimplemented("get_container_events"))
    }
    }
}

grpc_impl! {
    GrpcImages {
        serve images {
        list_images(v1::ListImagesRequest) -> v1::ListImagesResponse;
        image_status(v1::ImageStatusRequest) -> v1::ImageStatusResponse;
        pull_image(v1::PullImageRequest) -> v1::PullImageResponse;
        remove_image(v1::RemoveImageRequest) -> v1::RemoveImageResponse;
        }
        unimplemented {
        image_fs_info(v1::ImageFsInfoRequest) -> v1::ImageFsInfoResponse;
        }
    }
}
