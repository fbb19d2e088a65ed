//! Built-in kinds from `k8s-openapi`, re-exported by API group and version.
//!
//! Each module mirrors a Kubernetes API group (`core` is the legacy group with
//! an empty name) and re-exports every type of that group version, so
//! `capstan_api_types::core::v1::Pod` and `capstan_api_types::apps::v1::Deployment`
//! are the same types as `k8s_openapi::api::core::v1::Pod` and friends.

macro_rules! group_version {
    ($(#[$doc:meta])* $group:ident :: $version:ident => $($path:ident)::+) => {
        $(#[$doc])*
        pub mod $group {
            /// Types of this group at the named version.
            pub mod $version {
                pub use k8s_openapi::$($path)::+::*;
            }
        }
    };
}

group_version!(
    /// The legacy core group (`""`, served under `/api/v1`).
    core::v1 => api::core::v1
);
group_version!(
    /// `apps`: Deployments, ReplicaSets, StatefulSets, DaemonSets, ControllerRevisions.
    apps::v1 => api::apps::v1
);
group_version!(
    /// `batch`: Jobs and CronJobs.
    batch::v1 => api::batch::v1
);
group_version!(
    /// `coordination.k8s.io`: Leases.
    coordination::v1 => api::coordination::v1
);
group_version!(
    /// `discovery.k8s.io`: EndpointSlices.
    discovery::v1 => api::discovery::v1
);
group_version!(
    /// `events.k8s.io`: the newer Event API.
    events::v1 => api::events::v1
);
group_version!(
    /// `networking.k8s.io`: Ingresses, IngressClasses, NetworkPolicies, ServiceCIDRs, IPAddresses.
    networking::v1 => api::networking::v1
);
group_version!(
    /// `policy`: PodDisruptionBudgets and Evictions.
    policy::v1 => api::policy::v1
);
group_version!(
    /// `rbac.authorization.k8s.io`: Roles, ClusterRoles and their bindings.
    rbac::v1 => api::rbac::v1
);
group_version!(
    /// `scheduling.k8s.io`: PriorityClasses.
    scheduling::v1 => api::scheduling::v1
);
group_version!(
    /// `storage.k8s.io`: StorageClasses, CSI objects, VolumeAttachments.
    storage::v1 => api::storage::v1
);
group_version!(
    /// `admissionregistration.k8s.io`: webhook configurations and admission policies.
    admissionregistration::v1 => api::admissionregistration::v1
);
group_version!(
    /// `apiextensions.k8s.io`: CustomResourceDefinitions.
    apiextensions::v1 => apiextensions_apiserver::pkg::apis::apiextensions::v1
);
group_version!(
    /// `authentication.k8s.io`: TokenReviews, TokenRequests, SelfSubjectReviews.
    authentication::v1 => api::authentication::v1
);
group_version!(
    /// `authorization.k8s.io`: access reviews.
    authorization::v1 => api::authorization::v1
);
group_version!(
    /// `certificates.k8s.io`: CertificateSigningRequests.
    certificates::v1 => api::certificates::v1
);
group_version!(
    /// `node.k8s.io`: RuntimeClasses.
    node::v1 => api::node::v1
);
group_version!(
    /// `meta.k8s.io`: ObjectMeta, ListMeta, LabelSelector, Status and the other shared meta types.
    meta::v1 => apimachinery::pkg::apis::meta::v1
);

/// `autoscaling`: HorizontalPodAutoscalers (`v2`, and the older `v1` with `Scale`).
pub mod autoscaling {
    /// Types of `autoscaling/v1`.
    pub mod v1 {
        pub use k8s_openapi::api::autoscaling::v1::*;
    }
    /// Types of `autoscaling/v2`.
    pub mod v2 {
        pub use k8s_openapi::api::autoscaling::v2::*;
    }
}

/// Shared apimachinery value types that are not in an API group (`Quantity`, `IntOrString`).
pub mod util {
    pub use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    pub use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
}
