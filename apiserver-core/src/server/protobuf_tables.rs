//! Protobuf descriptor tables of the built-in kinds (tag numbers from Kubernetes' `generated.proto` via k8s-pb, JSON names from k8s-openapi); generated, do not edit by hand.
//!
//! Generated from the sources of the crates k8s-pb 0.9.0 (the `#[prost(…, tag = "N")]`
//! attributes) and k8s-openapi 0.29 `v1_33` (the JSON names in each type's
//! `Deserialize`), matching types by module and name; fields without a JSON name in
//! v1.33 are `Ignore`, embedded Go structs `Inline`.

use super::protobuf::{Field, Special, Ty};

/// Every message, referenced by index from [`Ty::Msg`] and [`Ty::MapMsg`].
#[rustfmt::skip]
pub(super) static MESSAGES: &[&[Field]] = &[
    // api.admissionregistration.v1.MutatingWebhookConfiguration
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "webhooks", Ty::Msg(91), true)],
    // api.admissionregistration.v1.ValidatingAdmissionPolicy
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(92), false), Field::new(3, "status", Ty::Msg(93), false)],
    // api.admissionregistration.v1.ValidatingAdmissionPolicyBinding
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(94), false)],
    // api.admissionregistration.v1.ValidatingWebhookConfiguration
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "webhooks", Ty::Msg(95), true)],
    // api.admissionregistration.v1alpha1.MutatingAdmissionPolicy
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(96), false)],
    // api.admissionregistration.v1alpha1.MutatingAdmissionPolicyBinding
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(97), false)],
    // api.admissionregistration.v1beta1.ValidatingAdmissionPolicy
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(98), false), Field::new(3, "status", Ty::Msg(99), false)],
    // api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBinding
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(100), false)],
    // api.apiserverinternal.v1alpha1.StorageVersion
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Ignore, false), Field::new(3, "status", Ty::Ignore, false)],
    // api.apps.v1.ControllerRevision
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "data", Ty::Special(Special::RawJson), false), Field::new(3, "revision", Ty::Int, false)],
    // api.apps.v1.DaemonSet
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(101), false), Field::new(3, "status", Ty::Msg(102), false)],
    // api.apps.v1.Deployment
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(103), false), Field::new(3, "status", Ty::Msg(104), false)],
    // api.apps.v1.ReplicaSet
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(105), false), Field::new(3, "status", Ty::Msg(106), false)],
    // api.apps.v1.StatefulSet
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(107), false), Field::new(3, "status", Ty::Msg(108), false)],
    // api.authentication.v1.SelfSubjectReview
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "status", Ty::Msg(109), false)],
    // api.authentication.v1.TokenRequest
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(110), false), Field::new(3, "status", Ty::Msg(111), false)],
    // api.authentication.v1.TokenReview
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(112), false), Field::new(3, "status", Ty::Msg(113), false)],
    // api.authorization.v1.LocalSubjectAccessReview
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(114), false), Field::new(3, "status", Ty::Msg(115), false)],
    // api.authorization.v1.SelfSubjectAccessReview
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(116), false), Field::new(3, "status", Ty::Msg(115), false)],
    // api.authorization.v1.SelfSubjectRulesReview
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(117), false), Field::new(3, "status", Ty::Msg(118), false)],
    // api.authorization.v1.SubjectAccessReview
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(114), false), Field::new(3, "status", Ty::Msg(115), false)],
    // api.autoscaling.v1.HorizontalPodAutoscaler
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(119), false), Field::new(3, "status", Ty::Msg(120), false)],
    // api.autoscaling.v1.Scale
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(121), false), Field::new(3, "status", Ty::Msg(122), false)],
    // api.autoscaling.v2.HorizontalPodAutoscaler
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(123), false), Field::new(3, "status", Ty::Msg(124), false)],
    // api.batch.v1.CronJob
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(125), false), Field::new(3, "status", Ty::Msg(126), false)],
    // api.batch.v1.Job
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(127), false), Field::new(3, "status", Ty::Msg(128), false)],
    // api.batch.v1.JobTemplateSpec
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(127), false)],
    // api.certificates.v1.CertificateSigningRequest
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(129), false), Field::new(3, "status", Ty::Msg(130), false)],
    // api.certificates.v1alpha1.ClusterTrustBundle
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(131), false)],
    // api.certificates.v1beta1.ClusterTrustBundle
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(132), false)],
    // api.coordination.v1.Lease
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(133), false)],
    // api.coordination.v1alpha2.LeaseCandidate
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(134), false)],
    // api.coordination.v1beta1.LeaseCandidate
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(135), false)],
    // api.core.v1.Binding
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "target", Ty::Msg(136), false)],
    // api.core.v1.ComponentStatus
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "conditions", Ty::Msg(137), true)],
    // api.core.v1.ConfigMap
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(4, "immutable", Ty::Bool, false), Field::new(2, "data", Ty::MapStr, false), Field::new(3, "binaryData", Ty::MapBytes, false)],
    // api.core.v1.Endpoints
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "subsets", Ty::Msg(138), true)],
    // api.core.v1.Event
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "involvedObject", Ty::Msg(136), false), Field::new(3, "reason", Ty::Str, false), Field::new(4, "message", Ty::Str, false), Field::new(5, "source", Ty::Msg(139), false), Field::new(6, "firstTimestamp", Ty::Special(Special::Time), false), Field::new(7, "lastTimestamp", Ty::Special(Special::Time), false), Field::new(8, "count", Ty::Int, false), Field::new(9, "type", Ty::Str, false), Field::new(10, "eventTime", Ty::Special(Special::MicroTime), false), Field::new(11, "series", Ty::Msg(140), false), Field::new(12, "action", Ty::Str, false), Field::new(13, "related", Ty::Msg(136), false), Field::new(14, "reportingComponent", Ty::Str, false), Field::new(15, "reportingInstance", Ty::Str, false)],
    // api.core.v1.LimitRange
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(141), false)],
    // api.core.v1.Namespace
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(142), false), Field::new(3, "status", Ty::Msg(143), false)],
    // api.core.v1.Node
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(144), false), Field::new(3, "status", Ty::Msg(145), false)],
    // api.core.v1.PersistentVolume
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(146), false), Field::new(3, "status", Ty::Msg(147), false)],
    // api.core.v1.PersistentVolumeClaim
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(148), false), Field::new(3, "status", Ty::Msg(149), false)],
    // api.core.v1.PersistentVolumeClaimTemplate
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(148), false)],
    // api.core.v1.Pod
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(150), false), Field::new(3, "status", Ty::Msg(151), false)],
    // api.core.v1.PodTemplate
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "template", Ty::Msg(46), false)],
    // api.core.v1.PodTemplateSpec
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(150), false)],
    // api.core.v1.ReplicationController
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(152), false), Field::new(3, "status", Ty::Msg(153), false)],
    // api.core.v1.ResourceQuota
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(154), false), Field::new(3, "status", Ty::Msg(155), false)],
    // api.core.v1.Secret
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(5, "immutable", Ty::Bool, false), Field::new(2, "data", Ty::MapBytes, false), Field::new(4, "stringData", Ty::MapStr, false), Field::new(3, "type", Ty::Str, false)],
    // api.core.v1.Service
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(156), false), Field::new(3, "status", Ty::Msg(157), false)],
    // api.core.v1.ServiceAccount
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "secrets", Ty::Msg(136), true), Field::new(3, "imagePullSecrets", Ty::Msg(158), true), Field::new(4, "automountServiceAccountToken", Ty::Bool, false)],
    // api.discovery.v1.EndpointSlice
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(4, "addressType", Ty::Str, false), Field::new(2, "endpoints", Ty::Msg(159), true), Field::new(3, "ports", Ty::Msg(160), true)],
    // api.events.v1.Event
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "eventTime", Ty::Special(Special::MicroTime), false), Field::new(3, "series", Ty::Msg(161), false), Field::new(4, "reportingController", Ty::Str, false), Field::new(5, "reportingInstance", Ty::Str, false), Field::new(6, "action", Ty::Str, false), Field::new(7, "reason", Ty::Str, false), Field::new(8, "regarding", Ty::Msg(136), false), Field::new(9, "related", Ty::Msg(136), false), Field::new(10, "note", Ty::Str, false), Field::new(11, "type", Ty::Str, false), Field::new(12, "deprecatedSource", Ty::Msg(139), false), Field::new(13, "deprecatedFirstTimestamp", Ty::Special(Special::Time), false), Field::new(14, "deprecatedLastTimestamp", Ty::Special(Special::Time), false), Field::new(15, "deprecatedCount", Ty::Int, false)],
    // api.flowcontrol.v1.FlowSchema
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(162), false), Field::new(3, "status", Ty::Msg(163), false)],
    // api.flowcontrol.v1.PriorityLevelConfiguration
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(164), false), Field::new(3, "status", Ty::Msg(165), false)],
    // api.networking.v1.IPAddress
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(166), false)],
    // api.networking.v1.Ingress
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(167), false), Field::new(3, "status", Ty::Msg(168), false)],
    // api.networking.v1.IngressClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(169), false)],
    // api.networking.v1.NetworkPolicy
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(170), false)],
    // api.networking.v1.ServiceCIDR
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(171), false), Field::new(3, "status", Ty::Msg(172), false)],
    // api.networking.v1beta1.IPAddress
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(173), false)],
    // api.networking.v1beta1.ServiceCIDR
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(174), false), Field::new(3, "status", Ty::Msg(175), false)],
    // api.node.v1.RuntimeClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "handler", Ty::Str, false), Field::new(3, "overhead", Ty::Msg(176), false), Field::new(4, "scheduling", Ty::Msg(177), false)],
    // api.policy.v1.Eviction
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "deleteOptions", Ty::Msg(89), false)],
    // api.policy.v1.PodDisruptionBudget
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(178), false), Field::new(3, "status", Ty::Msg(179), false)],
    // api.rbac.v1.ClusterRole
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "rules", Ty::Msg(180), true), Field::new(3, "aggregationRule", Ty::Msg(181), false)],
    // api.rbac.v1.ClusterRoleBinding
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "subjects", Ty::Msg(182), true), Field::new(3, "roleRef", Ty::Msg(183), false)],
    // api.rbac.v1.Role
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "rules", Ty::Msg(180), true)],
    // api.rbac.v1.RoleBinding
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "subjects", Ty::Msg(182), true), Field::new(3, "roleRef", Ty::Msg(183), false)],
    // api.resource.v1alpha3.DeviceTaintRule
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(184), false), Field::new(3, "", Ty::Ignore, false)],
    // api.resource.v1beta1.DeviceClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(185), false)],
    // api.resource.v1beta1.ResourceClaim
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(186), false), Field::new(3, "status", Ty::Msg(187), false)],
    // api.resource.v1beta1.ResourceClaimTemplate
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(74), false)],
    // api.resource.v1beta1.ResourceClaimTemplateSpec
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(186), false)],
    // api.resource.v1beta1.ResourceSlice
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(188), false)],
    // api.resource.v1beta2.DeviceClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(189), false)],
    // api.resource.v1beta2.ResourceClaim
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(190), false), Field::new(3, "status", Ty::Msg(191), false)],
    // api.resource.v1beta2.ResourceClaimTemplate
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(79), false)],
    // api.resource.v1beta2.ResourceClaimTemplateSpec
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(190), false)],
    // api.resource.v1beta2.ResourceSlice
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(192), false)],
    // api.scheduling.v1.PriorityClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "value", Ty::Int, false), Field::new(3, "globalDefault", Ty::Bool, false), Field::new(4, "description", Ty::Str, false), Field::new(5, "preemptionPolicy", Ty::Str, false)],
    // api.storage.v1.CSIDriver
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(193), false)],
    // api.storage.v1.CSINode
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(194), false)],
    // api.storage.v1.CSIStorageCapacity
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "nodeTopology", Ty::Msg(195), false), Field::new(3, "storageClassName", Ty::Str, false), Field::new(4, "capacity", Ty::Special(Special::Quantity), false), Field::new(5, "maximumVolumeSize", Ty::Special(Special::Quantity), false)],
    // api.storage.v1.StorageClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "provisioner", Ty::Str, false), Field::new(3, "parameters", Ty::MapStr, false), Field::new(4, "reclaimPolicy", Ty::Str, false), Field::new(5, "mountOptions", Ty::Str, true), Field::new(6, "allowVolumeExpansion", Ty::Bool, false), Field::new(7, "volumeBindingMode", Ty::Str, false), Field::new(8, "allowedTopologies", Ty::Msg(196), true)],
    // api.storage.v1.VolumeAttachment
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "spec", Ty::Msg(197), false), Field::new(3, "status", Ty::Msg(198), false)],
    // api.storage.v1alpha1.VolumeAttributesClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "driverName", Ty::Str, false), Field::new(3, "parameters", Ty::MapStr, false)],
    // api.storage.v1beta1.VolumeAttributesClass
    &[Field::new(1, "metadata", Ty::Msg(90), false), Field::new(2, "driverName", Ty::Str, false), Field::new(3, "parameters", Ty::MapStr, false)],
    // apimachinery.pkg.apis.meta.v1.DeleteOptions
    &[Field::new(1, "gracePeriodSeconds", Ty::Int, false), Field::new(2, "preconditions", Ty::Msg(199), false), Field::new(3, "orphanDependents", Ty::Bool, false), Field::new(4, "propagationPolicy", Ty::Str, false), Field::new(5, "dryRun", Ty::Str, true), Field::new(6, "ignoreStoreReadErrorWithClusterBreakingPotential", Ty::Bool, false)],
    // apimachinery.pkg.apis.meta.v1.ObjectMeta
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "generateName", Ty::Str, false), Field::new(3, "namespace", Ty::Str, false), Field::new(4, "selfLink", Ty::Str, false), Field::new(5, "uid", Ty::Str, false), Field::new(6, "resourceVersion", Ty::Str, false), Field::new(7, "generation", Ty::Int, false), Field::new(8, "creationTimestamp", Ty::Special(Special::Time), false), Field::new(9, "deletionTimestamp", Ty::Special(Special::Time), false), Field::new(10, "deletionGracePeriodSeconds", Ty::Int, false), Field::new(11, "labels", Ty::MapStr, false), Field::new(12, "annotations", Ty::MapStr, false), Field::new(13, "ownerReferences", Ty::Msg(200), true), Field::new(14, "finalizers", Ty::Str, true), Field::new(17, "managedFields", Ty::Msg(201), true)],
    // api.admissionregistration.v1.MutatingWebhook
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "clientConfig", Ty::Msg(202), false), Field::new(3, "rules", Ty::Msg(203), true), Field::new(4, "failurePolicy", Ty::Str, false), Field::new(9, "matchPolicy", Ty::Str, false), Field::new(5, "namespaceSelector", Ty::Msg(195), false), Field::new(11, "objectSelector", Ty::Msg(195), false), Field::new(6, "sideEffects", Ty::Str, false), Field::new(7, "timeoutSeconds", Ty::Int, false), Field::new(8, "admissionReviewVersions", Ty::Str, true), Field::new(10, "reinvocationPolicy", Ty::Str, false), Field::new(12, "matchConditions", Ty::Msg(204), true)],
    // api.admissionregistration.v1.ValidatingAdmissionPolicySpec
    &[Field::new(1, "paramKind", Ty::Msg(205), false), Field::new(2, "matchConstraints", Ty::Msg(206), false), Field::new(3, "validations", Ty::Msg(207), true), Field::new(4, "failurePolicy", Ty::Str, false), Field::new(5, "auditAnnotations", Ty::Msg(208), true), Field::new(6, "matchConditions", Ty::Msg(204), true), Field::new(7, "variables", Ty::Msg(209), true)],
    // api.admissionregistration.v1.ValidatingAdmissionPolicyStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "typeChecking", Ty::Msg(210), false), Field::new(3, "conditions", Ty::Msg(211), true)],
    // api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec
    &[Field::new(1, "policyName", Ty::Str, false), Field::new(2, "paramRef", Ty::Msg(212), false), Field::new(3, "matchResources", Ty::Msg(206), false), Field::new(4, "validationActions", Ty::Str, true)],
    // api.admissionregistration.v1.ValidatingWebhook
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "clientConfig", Ty::Msg(202), false), Field::new(3, "rules", Ty::Msg(203), true), Field::new(4, "failurePolicy", Ty::Str, false), Field::new(9, "matchPolicy", Ty::Str, false), Field::new(5, "namespaceSelector", Ty::Msg(195), false), Field::new(10, "objectSelector", Ty::Msg(195), false), Field::new(6, "sideEffects", Ty::Str, false), Field::new(7, "timeoutSeconds", Ty::Int, false), Field::new(8, "admissionReviewVersions", Ty::Str, true), Field::new(11, "matchConditions", Ty::Msg(204), true)],
    // api.admissionregistration.v1alpha1.MutatingAdmissionPolicySpec
    &[Field::new(1, "paramKind", Ty::Msg(213), false), Field::new(2, "matchConstraints", Ty::Msg(214), false), Field::new(3, "variables", Ty::Msg(215), true), Field::new(4, "mutations", Ty::Msg(216), true), Field::new(5, "failurePolicy", Ty::Str, false), Field::new(6, "matchConditions", Ty::Msg(217), true), Field::new(7, "reinvocationPolicy", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.MutatingAdmissionPolicyBindingSpec
    &[Field::new(1, "policyName", Ty::Str, false), Field::new(2, "paramRef", Ty::Msg(218), false), Field::new(3, "matchResources", Ty::Msg(214), false)],
    // api.admissionregistration.v1beta1.ValidatingAdmissionPolicySpec
    &[Field::new(1, "paramKind", Ty::Msg(219), false), Field::new(2, "matchConstraints", Ty::Msg(220), false), Field::new(3, "validations", Ty::Msg(221), true), Field::new(4, "failurePolicy", Ty::Str, false), Field::new(5, "auditAnnotations", Ty::Msg(222), true), Field::new(6, "matchConditions", Ty::Msg(223), true), Field::new(7, "variables", Ty::Msg(224), true)],
    // api.admissionregistration.v1beta1.ValidatingAdmissionPolicyStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "typeChecking", Ty::Msg(225), false), Field::new(3, "conditions", Ty::Msg(211), true)],
    // api.admissionregistration.v1beta1.ValidatingAdmissionPolicyBindingSpec
    &[Field::new(1, "policyName", Ty::Str, false), Field::new(2, "paramRef", Ty::Msg(226), false), Field::new(3, "matchResources", Ty::Msg(220), false), Field::new(4, "validationActions", Ty::Str, true)],
    // api.apps.v1.DaemonSetSpec
    &[Field::new(1, "selector", Ty::Msg(195), false), Field::new(2, "template", Ty::Msg(46), false), Field::new(3, "updateStrategy", Ty::Msg(227), false), Field::new(4, "minReadySeconds", Ty::Int, false), Field::new(6, "revisionHistoryLimit", Ty::Int, false)],
    // api.apps.v1.DaemonSetStatus
    &[Field::new(1, "currentNumberScheduled", Ty::Int, false), Field::new(2, "numberMisscheduled", Ty::Int, false), Field::new(3, "desiredNumberScheduled", Ty::Int, false), Field::new(4, "numberReady", Ty::Int, false), Field::new(5, "observedGeneration", Ty::Int, false), Field::new(6, "updatedNumberScheduled", Ty::Int, false), Field::new(7, "numberAvailable", Ty::Int, false), Field::new(8, "numberUnavailable", Ty::Int, false), Field::new(9, "collisionCount", Ty::Int, false), Field::new(10, "conditions", Ty::Msg(228), true)],
    // api.apps.v1.DeploymentSpec
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(2, "selector", Ty::Msg(195), false), Field::new(3, "template", Ty::Msg(46), false), Field::new(4, "strategy", Ty::Msg(229), false), Field::new(5, "minReadySeconds", Ty::Int, false), Field::new(6, "revisionHistoryLimit", Ty::Int, false), Field::new(7, "paused", Ty::Bool, false), Field::new(9, "progressDeadlineSeconds", Ty::Int, false)],
    // api.apps.v1.DeploymentStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "replicas", Ty::Int, false), Field::new(3, "updatedReplicas", Ty::Int, false), Field::new(7, "readyReplicas", Ty::Int, false), Field::new(4, "availableReplicas", Ty::Int, false), Field::new(5, "unavailableReplicas", Ty::Int, false), Field::new(9, "terminatingReplicas", Ty::Int, false), Field::new(6, "conditions", Ty::Msg(230), true), Field::new(8, "collisionCount", Ty::Int, false)],
    // api.apps.v1.ReplicaSetSpec
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(4, "minReadySeconds", Ty::Int, false), Field::new(2, "selector", Ty::Msg(195), false), Field::new(3, "template", Ty::Msg(46), false)],
    // api.apps.v1.ReplicaSetStatus
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(2, "fullyLabeledReplicas", Ty::Int, false), Field::new(4, "readyReplicas", Ty::Int, false), Field::new(5, "availableReplicas", Ty::Int, false), Field::new(7, "terminatingReplicas", Ty::Int, false), Field::new(3, "observedGeneration", Ty::Int, false), Field::new(6, "conditions", Ty::Msg(231), true)],
    // api.apps.v1.StatefulSetSpec
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(2, "selector", Ty::Msg(195), false), Field::new(3, "template", Ty::Msg(46), false), Field::new(4, "volumeClaimTemplates", Ty::Msg(42), true), Field::new(5, "serviceName", Ty::Str, false), Field::new(6, "podManagementPolicy", Ty::Str, false), Field::new(7, "updateStrategy", Ty::Msg(232), false), Field::new(8, "revisionHistoryLimit", Ty::Int, false), Field::new(9, "minReadySeconds", Ty::Int, false), Field::new(10, "persistentVolumeClaimRetentionPolicy", Ty::Msg(233), false), Field::new(11, "ordinals", Ty::Msg(234), false)],
    // api.apps.v1.StatefulSetStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "replicas", Ty::Int, false), Field::new(3, "readyReplicas", Ty::Int, false), Field::new(4, "currentReplicas", Ty::Int, false), Field::new(5, "updatedReplicas", Ty::Int, false), Field::new(6, "currentRevision", Ty::Str, false), Field::new(7, "updateRevision", Ty::Str, false), Field::new(9, "collisionCount", Ty::Int, false), Field::new(10, "conditions", Ty::Msg(235), true), Field::new(11, "availableReplicas", Ty::Int, false)],
    // api.authentication.v1.SelfSubjectReviewStatus
    &[Field::new(1, "userInfo", Ty::Msg(236), false)],
    // api.authentication.v1.TokenRequestSpec
    &[Field::new(1, "audiences", Ty::Str, true), Field::new(4, "expirationSeconds", Ty::Int, false), Field::new(3, "boundObjectRef", Ty::Msg(237), false)],
    // api.authentication.v1.TokenRequestStatus
    &[Field::new(1, "token", Ty::Str, false), Field::new(2, "expirationTimestamp", Ty::Special(Special::Time), false)],
    // api.authentication.v1.TokenReviewSpec
    &[Field::new(1, "token", Ty::Str, false), Field::new(2, "audiences", Ty::Str, true)],
    // api.authentication.v1.TokenReviewStatus
    &[Field::new(1, "authenticated", Ty::Bool, false), Field::new(2, "user", Ty::Msg(236), false), Field::new(4, "audiences", Ty::Str, true), Field::new(3, "error", Ty::Str, false)],
    // api.authorization.v1.SubjectAccessReviewSpec
    &[Field::new(1, "resourceAttributes", Ty::Msg(238), false), Field::new(2, "nonResourceAttributes", Ty::Msg(239), false), Field::new(3, "user", Ty::Str, false), Field::new(4, "groups", Ty::Str, true), Field::new(5, "extra", Ty::Ignore, false), Field::new(6, "uid", Ty::Str, false)],
    // api.authorization.v1.SubjectAccessReviewStatus
    &[Field::new(1, "allowed", Ty::Bool, false), Field::new(4, "denied", Ty::Bool, false), Field::new(2, "reason", Ty::Str, false), Field::new(3, "evaluationError", Ty::Str, false)],
    // api.authorization.v1.SelfSubjectAccessReviewSpec
    &[Field::new(1, "resourceAttributes", Ty::Msg(238), false), Field::new(2, "nonResourceAttributes", Ty::Msg(239), false)],
    // api.authorization.v1.SelfSubjectRulesReviewSpec
    &[Field::new(1, "namespace", Ty::Str, false)],
    // api.authorization.v1.SubjectRulesReviewStatus
    &[Field::new(1, "resourceRules", Ty::Msg(240), true), Field::new(2, "nonResourceRules", Ty::Msg(241), true), Field::new(3, "incomplete", Ty::Bool, false), Field::new(4, "evaluationError", Ty::Str, false)],
    // api.autoscaling.v1.HorizontalPodAutoscalerSpec
    &[Field::new(1, "scaleTargetRef", Ty::Msg(242), false), Field::new(2, "minReplicas", Ty::Int, false), Field::new(3, "maxReplicas", Ty::Int, false), Field::new(4, "targetCPUUtilizationPercentage", Ty::Int, false)],
    // api.autoscaling.v1.HorizontalPodAutoscalerStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "lastScaleTime", Ty::Special(Special::Time), false), Field::new(3, "currentReplicas", Ty::Int, false), Field::new(4, "desiredReplicas", Ty::Int, false), Field::new(5, "currentCPUUtilizationPercentage", Ty::Int, false)],
    // api.autoscaling.v1.ScaleSpec
    &[Field::new(1, "replicas", Ty::Int, false)],
    // api.autoscaling.v1.ScaleStatus
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(2, "selector", Ty::Str, false)],
    // api.autoscaling.v2.HorizontalPodAutoscalerSpec
    &[Field::new(1, "scaleTargetRef", Ty::Msg(243), false), Field::new(2, "minReplicas", Ty::Int, false), Field::new(3, "maxReplicas", Ty::Int, false), Field::new(4, "metrics", Ty::Msg(244), true), Field::new(5, "behavior", Ty::Msg(245), false)],
    // api.autoscaling.v2.HorizontalPodAutoscalerStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "lastScaleTime", Ty::Special(Special::Time), false), Field::new(3, "currentReplicas", Ty::Int, false), Field::new(4, "desiredReplicas", Ty::Int, false), Field::new(5, "currentMetrics", Ty::Msg(246), true), Field::new(6, "conditions", Ty::Msg(247), true)],
    // api.batch.v1.CronJobSpec
    &[Field::new(1, "schedule", Ty::Str, false), Field::new(8, "timeZone", Ty::Str, false), Field::new(2, "startingDeadlineSeconds", Ty::Int, false), Field::new(3, "concurrencyPolicy", Ty::Str, false), Field::new(4, "suspend", Ty::Bool, false), Field::new(5, "jobTemplate", Ty::Msg(26), false), Field::new(6, "successfulJobsHistoryLimit", Ty::Int, false), Field::new(7, "failedJobsHistoryLimit", Ty::Int, false)],
    // api.batch.v1.CronJobStatus
    &[Field::new(1, "active", Ty::Msg(136), true), Field::new(4, "lastScheduleTime", Ty::Special(Special::Time), false), Field::new(5, "lastSuccessfulTime", Ty::Special(Special::Time), false)],
    // api.batch.v1.JobSpec
    &[Field::new(1, "parallelism", Ty::Int, false), Field::new(2, "completions", Ty::Int, false), Field::new(3, "activeDeadlineSeconds", Ty::Int, false), Field::new(11, "podFailurePolicy", Ty::Msg(248), false), Field::new(16, "successPolicy", Ty::Msg(249), false), Field::new(7, "backoffLimit", Ty::Int, false), Field::new(12, "backoffLimitPerIndex", Ty::Int, false), Field::new(13, "maxFailedIndexes", Ty::Int, false), Field::new(4, "selector", Ty::Msg(195), false), Field::new(5, "manualSelector", Ty::Bool, false), Field::new(6, "template", Ty::Msg(46), false), Field::new(8, "ttlSecondsAfterFinished", Ty::Int, false), Field::new(9, "completionMode", Ty::Str, false), Field::new(10, "suspend", Ty::Bool, false), Field::new(14, "podReplacementPolicy", Ty::Str, false), Field::new(15, "managedBy", Ty::Str, false)],
    // api.batch.v1.JobStatus
    &[Field::new(1, "conditions", Ty::Msg(250), true), Field::new(2, "startTime", Ty::Special(Special::Time), false), Field::new(3, "completionTime", Ty::Special(Special::Time), false), Field::new(4, "active", Ty::Int, false), Field::new(5, "succeeded", Ty::Int, false), Field::new(6, "failed", Ty::Int, false), Field::new(11, "terminating", Ty::Int, false), Field::new(7, "completedIndexes", Ty::Str, false), Field::new(10, "failedIndexes", Ty::Str, false), Field::new(8, "uncountedTerminatedPods", Ty::Msg(251), false), Field::new(9, "ready", Ty::Int, false)],
    // api.certificates.v1.CertificateSigningRequestSpec
    &[Field::new(1, "request", Ty::Bytes, false), Field::new(7, "signerName", Ty::Str, false), Field::new(8, "expirationSeconds", Ty::Int, false), Field::new(5, "usages", Ty::Str, true), Field::new(2, "username", Ty::Str, false), Field::new(3, "uid", Ty::Str, false), Field::new(4, "groups", Ty::Str, true), Field::new(6, "extra", Ty::Ignore, false)],
    // api.certificates.v1.CertificateSigningRequestStatus
    &[Field::new(1, "conditions", Ty::Msg(252), true), Field::new(2, "certificate", Ty::Bytes, false)],
    // api.certificates.v1alpha1.ClusterTrustBundleSpec
    &[Field::new(1, "signerName", Ty::Str, false), Field::new(2, "trustBundle", Ty::Str, false)],
    // api.certificates.v1beta1.ClusterTrustBundleSpec
    &[Field::new(1, "signerName", Ty::Str, false), Field::new(2, "trustBundle", Ty::Str, false)],
    // api.coordination.v1.LeaseSpec
    &[Field::new(1, "holderIdentity", Ty::Str, false), Field::new(2, "leaseDurationSeconds", Ty::Int, false), Field::new(3, "acquireTime", Ty::Special(Special::MicroTime), false), Field::new(4, "renewTime", Ty::Special(Special::MicroTime), false), Field::new(5, "leaseTransitions", Ty::Int, false), Field::new(6, "strategy", Ty::Str, false), Field::new(7, "preferredHolder", Ty::Str, false)],
    // api.coordination.v1alpha2.LeaseCandidateSpec
    &[Field::new(1, "leaseName", Ty::Str, false), Field::new(2, "pingTime", Ty::Special(Special::MicroTime), false), Field::new(3, "renewTime", Ty::Special(Special::MicroTime), false), Field::new(4, "binaryVersion", Ty::Str, false), Field::new(5, "emulationVersion", Ty::Str, false), Field::new(6, "strategy", Ty::Str, false)],
    // api.coordination.v1beta1.LeaseCandidateSpec
    &[Field::new(1, "leaseName", Ty::Str, false), Field::new(2, "pingTime", Ty::Special(Special::MicroTime), false), Field::new(3, "renewTime", Ty::Special(Special::MicroTime), false), Field::new(4, "binaryVersion", Ty::Str, false), Field::new(5, "emulationVersion", Ty::Str, false), Field::new(6, "strategy", Ty::Str, false)],
    // api.core.v1.ObjectReference
    &[Field::new(1, "kind", Ty::Str, false), Field::new(2, "namespace", Ty::Str, false), Field::new(3, "name", Ty::Str, false), Field::new(4, "uid", Ty::Str, false), Field::new(5, "apiVersion", Ty::Str, false), Field::new(6, "resourceVersion", Ty::Str, false), Field::new(7, "fieldPath", Ty::Str, false)],
    // api.core.v1.ComponentCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "message", Ty::Str, false), Field::new(4, "error", Ty::Str, false)],
    // api.core.v1.EndpointSubset
    &[Field::new(1, "addresses", Ty::Msg(253), true), Field::new(2, "notReadyAddresses", Ty::Msg(253), true), Field::new(3, "ports", Ty::Msg(254), true)],
    // api.core.v1.EventSource
    &[Field::new(1, "component", Ty::Str, false), Field::new(2, "host", Ty::Str, false)],
    // api.core.v1.EventSeries
    &[Field::new(1, "count", Ty::Int, false), Field::new(2, "lastObservedTime", Ty::Special(Special::MicroTime), false)],
    // api.core.v1.LimitRangeSpec
    &[Field::new(1, "limits", Ty::Msg(255), true)],
    // api.core.v1.NamespaceSpec
    &[Field::new(1, "finalizers", Ty::Str, true)],
    // api.core.v1.NamespaceStatus
    &[Field::new(1, "phase", Ty::Str, false), Field::new(2, "conditions", Ty::Msg(256), true)],
    // api.core.v1.NodeSpec
    &[Field::new(1, "podCIDR", Ty::Str, false), Field::new(7, "", Ty::Ignore, false), Field::new(3, "providerID", Ty::Str, false), Field::new(4, "unschedulable", Ty::Bool, false), Field::new(5, "taints", Ty::Msg(257), true), Field::new(6, "configSource", Ty::Msg(258), false), Field::new(2, "externalID", Ty::Str, false)],
    // api.core.v1.NodeStatus
    &[Field::new(1, "capacity", Ty::MapSpecial(Special::Quantity), false), Field::new(2, "allocatable", Ty::MapSpecial(Special::Quantity), false), Field::new(3, "phase", Ty::Str, false), Field::new(4, "conditions", Ty::Msg(259), true), Field::new(5, "addresses", Ty::Msg(260), true), Field::new(6, "daemonEndpoints", Ty::Msg(261), false), Field::new(7, "nodeInfo", Ty::Msg(262), false), Field::new(8, "images", Ty::Msg(263), true), Field::new(9, "volumesInUse", Ty::Str, true), Field::new(10, "volumesAttached", Ty::Msg(264), true), Field::new(11, "config", Ty::Msg(265), false), Field::new(12, "runtimeHandlers", Ty::Msg(266), true), Field::new(13, "features", Ty::Msg(267), false), Field::new(14, "", Ty::Ignore, false)],
    // api.core.v1.PersistentVolumeSpec
    &[Field::new(1, "capacity", Ty::MapSpecial(Special::Quantity), false), Field::new(2, "", Ty::Inline(268), false), Field::new(3, "accessModes", Ty::Str, true), Field::new(4, "claimRef", Ty::Msg(136), false), Field::new(5, "persistentVolumeReclaimPolicy", Ty::Str, false), Field::new(6, "storageClassName", Ty::Str, false), Field::new(7, "mountOptions", Ty::Str, true), Field::new(8, "volumeMode", Ty::Str, false), Field::new(9, "nodeAffinity", Ty::Msg(269), false), Field::new(10, "volumeAttributesClassName", Ty::Str, false)],
    // api.core.v1.PersistentVolumeStatus
    &[Field::new(1, "phase", Ty::Str, false), Field::new(2, "message", Ty::Str, false), Field::new(3, "reason", Ty::Str, false), Field::new(4, "lastPhaseTransitionTime", Ty::Special(Special::Time), false)],
    // api.core.v1.PersistentVolumeClaimSpec
    &[Field::new(1, "accessModes", Ty::Str, true), Field::new(4, "selector", Ty::Msg(195), false), Field::new(2, "resources", Ty::Msg(270), false), Field::new(3, "volumeName", Ty::Str, false), Field::new(5, "storageClassName", Ty::Str, false), Field::new(6, "volumeMode", Ty::Str, false), Field::new(7, "dataSource", Ty::Msg(271), false), Field::new(8, "dataSourceRef", Ty::Msg(272), false), Field::new(9, "volumeAttributesClassName", Ty::Str, false)],
    // api.core.v1.PersistentVolumeClaimStatus
    &[Field::new(1, "phase", Ty::Str, false), Field::new(2, "accessModes", Ty::Str, true), Field::new(3, "capacity", Ty::MapSpecial(Special::Quantity), false), Field::new(4, "conditions", Ty::Msg(273), true), Field::new(5, "allocatedResources", Ty::MapSpecial(Special::Quantity), false), Field::new(7, "allocatedResourceStatuses", Ty::MapStr, false), Field::new(8, "currentVolumeAttributesClassName", Ty::Str, false), Field::new(9, "modifyVolumeStatus", Ty::Msg(274), false)],
    // api.core.v1.PodSpec
    &[Field::new(1, "volumes", Ty::Msg(275), true), Field::new(20, "initContainers", Ty::Msg(276), true), Field::new(2, "containers", Ty::Msg(276), true), Field::new(34, "ephemeralContainers", Ty::Msg(277), true), Field::new(3, "restartPolicy", Ty::Str, false), Field::new(4, "terminationGracePeriodSeconds", Ty::Int, false), Field::new(5, "activeDeadlineSeconds", Ty::Int, false), Field::new(6, "dnsPolicy", Ty::Str, false), Field::new(7, "nodeSelector", Ty::MapStr, false), Field::new(8, "serviceAccountName", Ty::Str, false), Field::new(9, "serviceAccount", Ty::Str, false), Field::new(21, "automountServiceAccountToken", Ty::Bool, false), Field::new(10, "nodeName", Ty::Str, false), Field::new(11, "hostNetwork", Ty::Bool, false), Field::new(12, "hostPID", Ty::Bool, false), Field::new(13, "hostIPC", Ty::Bool, false), Field::new(27, "shareProcessNamespace", Ty::Bool, false), Field::new(14, "securityContext", Ty::Msg(278), false), Field::new(15, "imagePullSecrets", Ty::Msg(158), true), Field::new(16, "hostname", Ty::Str, false), Field::new(17, "subdomain", Ty::Str, false), Field::new(18, "affinity", Ty::Msg(279), false), Field::new(19, "schedulerName", Ty::Str, false), Field::new(22, "tolerations", Ty::Msg(280), true), Field::new(23, "hostAliases", Ty::Msg(281), true), Field::new(24, "priorityClassName", Ty::Str, false), Field::new(25, "priority", Ty::Int, false), Field::new(26, "dnsConfig", Ty::Msg(282), false), Field::new(28, "readinessGates", Ty::Msg(283), true), Field::new(29, "runtimeClassName", Ty::Str, false), Field::new(30, "enableServiceLinks", Ty::Bool, false), Field::new(31, "preemptionPolicy", Ty::Str, false), Field::new(32, "overhead", Ty::MapSpecial(Special::Quantity), false), Field::new(33, "topologySpreadConstraints", Ty::Msg(284), true), Field::new(35, "setHostnameAsFQDN", Ty::Bool, false), Field::new(36, "os", Ty::Msg(285), false), Field::new(37, "hostUsers", Ty::Bool, false), Field::new(38, "schedulingGates", Ty::Msg(286), true), Field::new(39, "resourceClaims", Ty::Msg(287), true), Field::new(40, "resources", Ty::Msg(288), false), Field::new(41, "", Ty::Ignore, false), Field::new(42, "", Ty::Ignore, false)],
    // api.core.v1.PodStatus
    &[Field::new(17, "observedGeneration", Ty::Int, false), Field::new(1, "phase", Ty::Str, false), Field::new(2, "conditions", Ty::Msg(289), true), Field::new(3, "message", Ty::Str, false), Field::new(4, "reason", Ty::Str, false), Field::new(11, "nominatedNodeName", Ty::Str, false), Field::new(5, "hostIP", Ty::Str, false), Field::new(16, "hostIPs", Ty::Msg(290), true), Field::new(6, "podIP", Ty::Str, false), Field::new(12, "podIPs", Ty::Msg(291), true), Field::new(7, "startTime", Ty::Special(Special::Time), false), Field::new(10, "initContainerStatuses", Ty::Msg(292), true), Field::new(8, "containerStatuses", Ty::Msg(292), true), Field::new(9, "qosClass", Ty::Str, false), Field::new(13, "ephemeralContainerStatuses", Ty::Msg(292), true), Field::new(14, "resize", Ty::Str, false), Field::new(15, "resourceClaimStatuses", Ty::Msg(293), true), Field::new(18, "", Ty::Ignore, false), Field::new(19, "", Ty::Ignore, false), Field::new(20, "", Ty::Ignore, false)],
    // api.core.v1.ReplicationControllerSpec
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(4, "minReadySeconds", Ty::Int, false), Field::new(2, "selector", Ty::MapStr, false), Field::new(3, "template", Ty::Msg(46), false)],
    // api.core.v1.ReplicationControllerStatus
    &[Field::new(1, "replicas", Ty::Int, false), Field::new(2, "fullyLabeledReplicas", Ty::Int, false), Field::new(4, "readyReplicas", Ty::Int, false), Field::new(5, "availableReplicas", Ty::Int, false), Field::new(3, "observedGeneration", Ty::Int, false), Field::new(6, "conditions", Ty::Msg(294), true)],
    // api.core.v1.ResourceQuotaSpec
    &[Field::new(1, "hard", Ty::MapSpecial(Special::Quantity), false), Field::new(2, "scopes", Ty::Str, true), Field::new(3, "scopeSelector", Ty::Msg(295), false)],
    // api.core.v1.ResourceQuotaStatus
    &[Field::new(1, "hard", Ty::MapSpecial(Special::Quantity), false), Field::new(2, "used", Ty::MapSpecial(Special::Quantity), false)],
    // api.core.v1.ServiceSpec
    &[Field::new(1, "ports", Ty::Msg(296), true), Field::new(2, "selector", Ty::MapStr, false), Field::new(3, "clusterIP", Ty::Str, false), Field::new(18, "clusterIPs", Ty::Str, true), Field::new(4, "type", Ty::Str, false), Field::new(5, "externalIPs", Ty::Str, true), Field::new(7, "sessionAffinity", Ty::Str, false), Field::new(8, "loadBalancerIP", Ty::Str, false), Field::new(9, "loadBalancerSourceRanges", Ty::Str, true), Field::new(10, "externalName", Ty::Str, false), Field::new(11, "externalTrafficPolicy", Ty::Str, false), Field::new(12, "healthCheckNodePort", Ty::Int, false), Field::new(13, "publishNotReadyAddresses", Ty::Bool, false), Field::new(14, "sessionAffinityConfig", Ty::Msg(297), false), Field::new(19, "ipFamilies", Ty::Str, true), Field::new(17, "ipFamilyPolicy", Ty::Str, false), Field::new(20, "allocateLoadBalancerNodePorts", Ty::Bool, false), Field::new(21, "loadBalancerClass", Ty::Str, false), Field::new(22, "internalTrafficPolicy", Ty::Str, false), Field::new(23, "trafficDistribution", Ty::Str, false)],
    // api.core.v1.ServiceStatus
    &[Field::new(1, "loadBalancer", Ty::Msg(298), false), Field::new(2, "conditions", Ty::Msg(211), true)],
    // api.core.v1.LocalObjectReference
    &[Field::new(1, "name", Ty::Str, false)],
    // api.discovery.v1.Endpoint
    &[Field::new(1, "addresses", Ty::Str, true), Field::new(2, "conditions", Ty::Msg(299), false), Field::new(3, "hostname", Ty::Str, false), Field::new(4, "targetRef", Ty::Msg(136), false), Field::new(5, "deprecatedTopology", Ty::MapStr, false), Field::new(6, "nodeName", Ty::Str, false), Field::new(7, "zone", Ty::Str, false), Field::new(8, "hints", Ty::Msg(300), false)],
    // api.discovery.v1.EndpointPort
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "protocol", Ty::Str, false), Field::new(3, "port", Ty::Int, false), Field::new(4, "appProtocol", Ty::Str, false)],
    // api.events.v1.EventSeries
    &[Field::new(1, "count", Ty::Int, false), Field::new(2, "lastObservedTime", Ty::Special(Special::MicroTime), false)],
    // api.flowcontrol.v1.FlowSchemaSpec
    &[Field::new(1, "priorityLevelConfiguration", Ty::Msg(301), false), Field::new(2, "matchingPrecedence", Ty::Int, false), Field::new(3, "distinguisherMethod", Ty::Msg(302), false), Field::new(4, "rules", Ty::Msg(303), true)],
    // api.flowcontrol.v1.FlowSchemaStatus
    &[Field::new(1, "conditions", Ty::Msg(304), true)],
    // api.flowcontrol.v1.PriorityLevelConfigurationSpec
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "limited", Ty::Msg(305), false), Field::new(3, "exempt", Ty::Msg(306), false)],
    // api.flowcontrol.v1.PriorityLevelConfigurationStatus
    &[Field::new(1, "conditions", Ty::Msg(307), true)],
    // api.networking.v1.IPAddressSpec
    &[Field::new(1, "parentRef", Ty::Msg(308), false)],
    // api.networking.v1.IngressSpec
    &[Field::new(4, "ingressClassName", Ty::Str, false), Field::new(1, "defaultBackend", Ty::Msg(309), false), Field::new(2, "tls", Ty::Msg(310), true), Field::new(3, "rules", Ty::Msg(311), true)],
    // api.networking.v1.IngressStatus
    &[Field::new(1, "loadBalancer", Ty::Msg(312), false)],
    // api.networking.v1.IngressClassSpec
    &[Field::new(1, "controller", Ty::Str, false), Field::new(2, "parameters", Ty::Msg(313), false)],
    // api.networking.v1.NetworkPolicySpec
    &[Field::new(1, "podSelector", Ty::Msg(195), false), Field::new(2, "ingress", Ty::Msg(314), true), Field::new(3, "egress", Ty::Msg(315), true), Field::new(4, "policyTypes", Ty::Str, true)],
    // api.networking.v1.ServiceCIDRSpec
    &[Field::new(1, "cidrs", Ty::Str, true)],
    // api.networking.v1.ServiceCIDRStatus
    &[Field::new(1, "conditions", Ty::Msg(211), true)],
    // api.networking.v1beta1.IPAddressSpec
    &[Field::new(1, "parentRef", Ty::Msg(316), false)],
    // api.networking.v1beta1.ServiceCIDRSpec
    &[Field::new(1, "cidrs", Ty::Str, true)],
    // api.networking.v1beta1.ServiceCIDRStatus
    &[Field::new(1, "conditions", Ty::Msg(211), true)],
    // api.node.v1.Overhead
    &[Field::new(1, "podFixed", Ty::MapSpecial(Special::Quantity), false)],
    // api.node.v1.Scheduling
    &[Field::new(1, "nodeSelector", Ty::MapStr, false), Field::new(2, "tolerations", Ty::Msg(280), true)],
    // api.policy.v1.PodDisruptionBudgetSpec
    &[Field::new(1, "minAvailable", Ty::Special(Special::IntOrString), false), Field::new(2, "selector", Ty::Msg(195), false), Field::new(3, "maxUnavailable", Ty::Special(Special::IntOrString), false), Field::new(4, "unhealthyPodEvictionPolicy", Ty::Str, false)],
    // api.policy.v1.PodDisruptionBudgetStatus
    &[Field::new(1, "observedGeneration", Ty::Int, false), Field::new(2, "disruptedPods", Ty::MapSpecial(Special::Time), false), Field::new(3, "disruptionsAllowed", Ty::Int, false), Field::new(4, "currentHealthy", Ty::Int, false), Field::new(5, "desiredHealthy", Ty::Int, false), Field::new(6, "expectedPods", Ty::Int, false), Field::new(7, "conditions", Ty::Msg(211), true)],
    // api.rbac.v1.PolicyRule
    &[Field::new(1, "verbs", Ty::Str, true), Field::new(2, "apiGroups", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "resourceNames", Ty::Str, true), Field::new(5, "", Ty::Ignore, false)],
    // api.rbac.v1.AggregationRule
    &[Field::new(1, "clusterRoleSelectors", Ty::Msg(195), true)],
    // api.rbac.v1.Subject
    &[Field::new(1, "kind", Ty::Str, false), Field::new(2, "apiGroup", Ty::Str, false), Field::new(3, "name", Ty::Str, false), Field::new(4, "namespace", Ty::Str, false)],
    // api.rbac.v1.RoleRef
    &[Field::new(1, "apiGroup", Ty::Str, false), Field::new(2, "kind", Ty::Str, false), Field::new(3, "name", Ty::Str, false)],
    // api.resource.v1alpha3.DeviceTaintRuleSpec
    &[Field::new(1, "deviceSelector", Ty::Msg(317), false), Field::new(2, "taint", Ty::Msg(318), false)],
    // api.resource.v1beta1.DeviceClassSpec
    &[Field::new(1, "selectors", Ty::Msg(319), true), Field::new(2, "config", Ty::Msg(320), true), Field::new(4, "", Ty::Ignore, false)],
    // api.resource.v1beta1.ResourceClaimSpec
    &[Field::new(1, "devices", Ty::Msg(321), false)],
    // api.resource.v1beta1.ResourceClaimStatus
    &[Field::new(1, "allocation", Ty::Msg(322), false), Field::new(2, "reservedFor", Ty::Msg(323), true), Field::new(4, "devices", Ty::Msg(324), true)],
    // api.resource.v1beta1.ResourceSliceSpec
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "pool", Ty::Msg(325), false), Field::new(3, "nodeName", Ty::Str, false), Field::new(4, "nodeSelector", Ty::Msg(326), false), Field::new(5, "allNodes", Ty::Bool, false), Field::new(6, "devices", Ty::Msg(327), true), Field::new(7, "perDeviceNodeSelection", Ty::Bool, false), Field::new(8, "sharedCounters", Ty::Msg(328), true)],
    // api.resource.v1beta2.DeviceClassSpec
    &[Field::new(1, "selectors", Ty::Msg(329), true), Field::new(2, "config", Ty::Msg(330), true), Field::new(4, "", Ty::Ignore, false)],
    // api.resource.v1beta2.ResourceClaimSpec
    &[Field::new(1, "devices", Ty::Msg(331), false)],
    // api.resource.v1beta2.ResourceClaimStatus
    &[Field::new(1, "allocation", Ty::Msg(332), false), Field::new(2, "reservedFor", Ty::Msg(333), true), Field::new(4, "devices", Ty::Msg(334), true)],
    // api.resource.v1beta2.ResourceSliceSpec
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "pool", Ty::Msg(335), false), Field::new(3, "nodeName", Ty::Str, false), Field::new(4, "nodeSelector", Ty::Msg(326), false), Field::new(5, "allNodes", Ty::Bool, false), Field::new(6, "devices", Ty::Msg(336), true), Field::new(7, "perDeviceNodeSelection", Ty::Bool, false), Field::new(8, "sharedCounters", Ty::Msg(337), true)],
    // api.storage.v1.CSIDriverSpec
    &[Field::new(1, "attachRequired", Ty::Bool, false), Field::new(2, "podInfoOnMount", Ty::Bool, false), Field::new(3, "volumeLifecycleModes", Ty::Str, true), Field::new(4, "storageCapacity", Ty::Bool, false), Field::new(5, "fsGroupPolicy", Ty::Str, false), Field::new(6, "tokenRequests", Ty::Msg(338), true), Field::new(7, "requiresRepublish", Ty::Bool, false), Field::new(8, "seLinuxMount", Ty::Bool, false), Field::new(9, "nodeAllocatableUpdatePeriodSeconds", Ty::Int, false), Field::new(10, "", Ty::Ignore, false)],
    // api.storage.v1.CSINodeSpec
    &[Field::new(1, "drivers", Ty::Msg(339), true)],
    // apimachinery.pkg.apis.meta.v1.LabelSelector
    &[Field::new(1, "matchLabels", Ty::MapStr, false), Field::new(2, "matchExpressions", Ty::Msg(340), true)],
    // api.core.v1.TopologySelectorTerm
    &[Field::new(1, "matchLabelExpressions", Ty::Msg(341), true)],
    // api.storage.v1.VolumeAttachmentSpec
    &[Field::new(1, "attacher", Ty::Str, false), Field::new(2, "source", Ty::Msg(342), false), Field::new(3, "nodeName", Ty::Str, false)],
    // api.storage.v1.VolumeAttachmentStatus
    &[Field::new(1, "attached", Ty::Bool, false), Field::new(2, "attachmentMetadata", Ty::MapStr, false), Field::new(3, "attachError", Ty::Msg(343), false), Field::new(4, "detachError", Ty::Msg(343), false)],
    // apimachinery.pkg.apis.meta.v1.Preconditions
    &[Field::new(1, "uid", Ty::Str, false), Field::new(2, "resourceVersion", Ty::Str, false)],
    // apimachinery.pkg.apis.meta.v1.OwnerReference
    &[Field::new(5, "apiVersion", Ty::Str, false), Field::new(1, "kind", Ty::Str, false), Field::new(3, "name", Ty::Str, false), Field::new(4, "uid", Ty::Str, false), Field::new(6, "controller", Ty::Bool, false), Field::new(7, "blockOwnerDeletion", Ty::Bool, false)],
    // apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry
    &[Field::new(1, "manager", Ty::Str, false), Field::new(2, "operation", Ty::Str, false), Field::new(3, "apiVersion", Ty::Str, false), Field::new(4, "time", Ty::Special(Special::Time), false), Field::new(6, "fieldsType", Ty::Str, false), Field::new(7, "fieldsV1", Ty::Special(Special::RawJson), false), Field::new(8, "subresource", Ty::Str, false)],
    // api.admissionregistration.v1.WebhookClientConfig
    &[Field::new(3, "url", Ty::Str, false), Field::new(1, "service", Ty::Msg(344), false), Field::new(2, "caBundle", Ty::Bytes, false)],
    // api.admissionregistration.v1.RuleWithOperations
    &[Field::new(1, "operations", Ty::Str, true), Field::new(2, "", Ty::Inline(345), false)],
    // api.admissionregistration.v1.MatchCondition
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "expression", Ty::Str, false)],
    // api.admissionregistration.v1.ParamKind
    &[Field::new(1, "apiVersion", Ty::Str, false), Field::new(2, "kind", Ty::Str, false)],
    // api.admissionregistration.v1.MatchResources
    &[Field::new(1, "namespaceSelector", Ty::Msg(195), false), Field::new(2, "objectSelector", Ty::Msg(195), false), Field::new(3, "resourceRules", Ty::Msg(346), true), Field::new(4, "excludeResourceRules", Ty::Msg(346), true), Field::new(7, "matchPolicy", Ty::Str, false)],
    // api.admissionregistration.v1.Validation
    &[Field::new(1, "expression", Ty::Str, false), Field::new(2, "message", Ty::Str, false), Field::new(3, "reason", Ty::Str, false), Field::new(4, "messageExpression", Ty::Str, false)],
    // api.admissionregistration.v1.AuditAnnotation
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "valueExpression", Ty::Str, false)],
    // api.admissionregistration.v1.Variable
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "expression", Ty::Str, false)],
    // api.admissionregistration.v1.TypeChecking
    &[Field::new(1, "expressionWarnings", Ty::Msg(347), true)],
    // apimachinery.pkg.apis.meta.v1.Condition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "observedGeneration", Ty::Int, false), Field::new(4, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(5, "reason", Ty::Str, false), Field::new(6, "message", Ty::Str, false)],
    // api.admissionregistration.v1.ParamRef
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "namespace", Ty::Str, false), Field::new(3, "selector", Ty::Msg(195), false), Field::new(4, "parameterNotFoundAction", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.ParamKind
    &[Field::new(1, "apiVersion", Ty::Str, false), Field::new(2, "kind", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.MatchResources
    &[Field::new(1, "namespaceSelector", Ty::Msg(195), false), Field::new(2, "objectSelector", Ty::Msg(195), false), Field::new(3, "resourceRules", Ty::Msg(348), true), Field::new(4, "excludeResourceRules", Ty::Msg(348), true), Field::new(7, "matchPolicy", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.Variable
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "expression", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.Mutation
    &[Field::new(2, "patchType", Ty::Str, false), Field::new(3, "applyConfiguration", Ty::Msg(349), false), Field::new(4, "jsonPatch", Ty::Msg(350), false)],
    // api.admissionregistration.v1alpha1.MatchCondition
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "expression", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.ParamRef
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "namespace", Ty::Str, false), Field::new(3, "selector", Ty::Msg(195), false), Field::new(4, "parameterNotFoundAction", Ty::Str, false)],
    // api.admissionregistration.v1beta1.ParamKind
    &[Field::new(1, "apiVersion", Ty::Str, false), Field::new(2, "kind", Ty::Str, false)],
    // api.admissionregistration.v1beta1.MatchResources
    &[Field::new(1, "namespaceSelector", Ty::Msg(195), false), Field::new(2, "objectSelector", Ty::Msg(195), false), Field::new(3, "resourceRules", Ty::Msg(351), true), Field::new(4, "excludeResourceRules", Ty::Msg(351), true), Field::new(7, "matchPolicy", Ty::Str, false)],
    // api.admissionregistration.v1beta1.Validation
    &[Field::new(1, "expression", Ty::Str, false), Field::new(2, "message", Ty::Str, false), Field::new(3, "reason", Ty::Str, false), Field::new(4, "messageExpression", Ty::Str, false)],
    // api.admissionregistration.v1beta1.AuditAnnotation
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "valueExpression", Ty::Str, false)],
    // api.admissionregistration.v1beta1.MatchCondition
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "expression", Ty::Str, false)],
    // api.admissionregistration.v1beta1.Variable
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "expression", Ty::Str, false)],
    // api.admissionregistration.v1beta1.TypeChecking
    &[Field::new(1, "expressionWarnings", Ty::Msg(352), true)],
    // api.admissionregistration.v1beta1.ParamRef
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "namespace", Ty::Str, false), Field::new(3, "selector", Ty::Msg(195), false), Field::new(4, "parameterNotFoundAction", Ty::Str, false)],
    // api.apps.v1.DaemonSetUpdateStrategy
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "rollingUpdate", Ty::Msg(353), false)],
    // api.apps.v1.DaemonSetCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.apps.v1.DeploymentStrategy
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "rollingUpdate", Ty::Msg(354), false)],
    // api.apps.v1.DeploymentCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(6, "lastUpdateTime", Ty::Special(Special::Time), false), Field::new(7, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.apps.v1.ReplicaSetCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.apps.v1.StatefulSetUpdateStrategy
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "rollingUpdate", Ty::Msg(355), false)],
    // api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy
    &[Field::new(1, "whenDeleted", Ty::Str, false), Field::new(2, "whenScaled", Ty::Str, false)],
    // api.apps.v1.StatefulSetOrdinals
    &[Field::new(1, "start", Ty::Int, false)],
    // api.apps.v1.StatefulSetCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.authentication.v1.UserInfo
    &[Field::new(1, "username", Ty::Str, false), Field::new(2, "uid", Ty::Str, false), Field::new(3, "groups", Ty::Str, true), Field::new(4, "extra", Ty::Ignore, false)],
    // api.authentication.v1.BoundObjectReference
    &[Field::new(1, "kind", Ty::Str, false), Field::new(2, "apiVersion", Ty::Str, false), Field::new(3, "name", Ty::Str, false), Field::new(4, "", Ty::Ignore, false)],
    // api.authorization.v1.ResourceAttributes
    &[Field::new(1, "namespace", Ty::Str, false), Field::new(2, "verb", Ty::Str, false), Field::new(3, "group", Ty::Str, false), Field::new(4, "version", Ty::Str, false), Field::new(5, "resource", Ty::Str, false), Field::new(6, "subresource", Ty::Str, false), Field::new(7, "name", Ty::Str, false), Field::new(8, "fieldSelector", Ty::Msg(356), false), Field::new(9, "labelSelector", Ty::Msg(357), false)],
    // api.authorization.v1.NonResourceAttributes
    &[Field::new(1, "path", Ty::Str, false), Field::new(2, "verb", Ty::Str, false)],
    // api.authorization.v1.ResourceRule
    &[Field::new(1, "verbs", Ty::Str, true), Field::new(2, "apiGroups", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "resourceNames", Ty::Str, true)],
    // api.authorization.v1.NonResourceRule
    &[Field::new(1, "verbs", Ty::Str, true), Field::new(2, "", Ty::Ignore, false)],
    // api.autoscaling.v1.CrossVersionObjectReference
    &[Field::new(1, "kind", Ty::Str, false), Field::new(2, "name", Ty::Str, false), Field::new(3, "apiVersion", Ty::Str, false)],
    // api.autoscaling.v2.CrossVersionObjectReference
    &[Field::new(1, "kind", Ty::Str, false), Field::new(2, "name", Ty::Str, false), Field::new(3, "apiVersion", Ty::Str, false)],
    // api.autoscaling.v2.MetricSpec
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "object", Ty::Msg(358), false), Field::new(3, "pods", Ty::Msg(359), false), Field::new(4, "resource", Ty::Msg(360), false), Field::new(7, "containerResource", Ty::Msg(361), false), Field::new(5, "external", Ty::Msg(362), false)],
    // api.autoscaling.v2.HorizontalPodAutoscalerBehavior
    &[Field::new(1, "scaleUp", Ty::Msg(363), false), Field::new(2, "scaleDown", Ty::Msg(363), false)],
    // api.autoscaling.v2.MetricStatus
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "object", Ty::Msg(364), false), Field::new(3, "pods", Ty::Msg(365), false), Field::new(4, "resource", Ty::Msg(366), false), Field::new(7, "containerResource", Ty::Msg(367), false), Field::new(5, "external", Ty::Msg(368), false)],
    // api.autoscaling.v2.HorizontalPodAutoscalerCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.batch.v1.PodFailurePolicy
    &[Field::new(1, "rules", Ty::Msg(369), true)],
    // api.batch.v1.SuccessPolicy
    &[Field::new(1, "rules", Ty::Msg(370), true)],
    // api.batch.v1.JobCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastProbeTime", Ty::Special(Special::Time), false), Field::new(4, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(5, "reason", Ty::Str, false), Field::new(6, "message", Ty::Str, false)],
    // api.batch.v1.UncountedTerminatedPods
    &[Field::new(1, "succeeded", Ty::Str, true), Field::new(2, "failed", Ty::Str, true)],
    // api.certificates.v1.CertificateSigningRequestCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(6, "status", Ty::Str, false), Field::new(2, "reason", Ty::Str, false), Field::new(3, "message", Ty::Str, false), Field::new(4, "lastUpdateTime", Ty::Special(Special::Time), false), Field::new(5, "lastTransitionTime", Ty::Special(Special::Time), false)],
    // api.core.v1.EndpointAddress
    &[Field::new(1, "ip", Ty::Str, false), Field::new(3, "hostname", Ty::Str, false), Field::new(4, "nodeName", Ty::Str, false), Field::new(2, "targetRef", Ty::Msg(136), false)],
    // api.core.v1.EndpointPort
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "port", Ty::Int, false), Field::new(3, "protocol", Ty::Str, false), Field::new(4, "appProtocol", Ty::Str, false)],
    // api.core.v1.LimitRangeItem
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "max", Ty::MapSpecial(Special::Quantity), false), Field::new(3, "min", Ty::MapSpecial(Special::Quantity), false), Field::new(4, "default", Ty::MapSpecial(Special::Quantity), false), Field::new(5, "defaultRequest", Ty::MapSpecial(Special::Quantity), false), Field::new(6, "maxLimitRequestRatio", Ty::MapSpecial(Special::Quantity), false)],
    // api.core.v1.NamespaceCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(4, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(5, "reason", Ty::Str, false), Field::new(6, "message", Ty::Str, false)],
    // api.core.v1.Taint
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "value", Ty::Str, false), Field::new(3, "effect", Ty::Str, false), Field::new(4, "timeAdded", Ty::Special(Special::Time), false)],
    // api.core.v1.NodeConfigSource
    &[Field::new(2, "configMap", Ty::Msg(371), false)],
    // api.core.v1.NodeCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastHeartbeatTime", Ty::Special(Special::Time), false), Field::new(4, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(5, "reason", Ty::Str, false), Field::new(6, "message", Ty::Str, false)],
    // api.core.v1.NodeAddress
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "address", Ty::Str, false)],
    // api.core.v1.NodeDaemonEndpoints
    &[Field::new(1, "kubeletEndpoint", Ty::Msg(372), false)],
    // api.core.v1.NodeSystemInfo
    &[Field::new(1, "machineID", Ty::Str, false), Field::new(2, "systemUUID", Ty::Str, false), Field::new(3, "bootID", Ty::Str, false), Field::new(4, "kernelVersion", Ty::Str, false), Field::new(5, "osImage", Ty::Str, false), Field::new(6, "containerRuntimeVersion", Ty::Str, false), Field::new(7, "kubeletVersion", Ty::Str, false), Field::new(8, "kubeProxyVersion", Ty::Str, false), Field::new(9, "operatingSystem", Ty::Str, false), Field::new(10, "architecture", Ty::Str, false), Field::new(11, "swap", Ty::Msg(373), false)],
    // api.core.v1.ContainerImage
    &[Field::new(1, "names", Ty::Str, true), Field::new(2, "sizeBytes", Ty::Int, false)],
    // api.core.v1.AttachedVolume
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "devicePath", Ty::Str, false)],
    // api.core.v1.NodeConfigStatus
    &[Field::new(1, "assigned", Ty::Msg(258), false), Field::new(2, "active", Ty::Msg(258), false), Field::new(3, "lastKnownGood", Ty::Msg(258), false), Field::new(4, "error", Ty::Str, false)],
    // api.core.v1.NodeRuntimeHandler
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "features", Ty::Msg(374), false)],
    // api.core.v1.NodeFeatures
    &[Field::new(1, "supplementalGroupsPolicy", Ty::Bool, false)],
    // api.core.v1.PersistentVolumeSource (inline)
    &[Field::new(1, "gcePersistentDisk", Ty::Msg(375), false), Field::new(2, "awsElasticBlockStore", Ty::Msg(376), false), Field::new(3, "hostPath", Ty::Msg(377), false), Field::new(4, "glusterfs", Ty::Msg(378), false), Field::new(5, "nfs", Ty::Msg(379), false), Field::new(6, "rbd", Ty::Msg(380), false), Field::new(7, "iscsi", Ty::Msg(381), false), Field::new(8, "cinder", Ty::Msg(382), false), Field::new(9, "cephfs", Ty::Msg(383), false), Field::new(10, "fc", Ty::Msg(384), false), Field::new(11, "flocker", Ty::Msg(385), false), Field::new(12, "flexVolume", Ty::Msg(386), false), Field::new(13, "azureFile", Ty::Msg(387), false), Field::new(14, "vsphereVolume", Ty::Msg(388), false), Field::new(15, "quobyte", Ty::Msg(389), false), Field::new(16, "azureDisk", Ty::Msg(390), false), Field::new(17, "photonPersistentDisk", Ty::Msg(391), false), Field::new(18, "portworxVolume", Ty::Msg(392), false), Field::new(19, "scaleIO", Ty::Msg(393), false), Field::new(20, "local", Ty::Msg(394), false), Field::new(21, "storageos", Ty::Msg(395), false), Field::new(22, "csi", Ty::Msg(396), false)],
    // api.core.v1.VolumeNodeAffinity
    &[Field::new(1, "required", Ty::Msg(326), false)],
    // api.core.v1.VolumeResourceRequirements
    &[Field::new(1, "limits", Ty::MapSpecial(Special::Quantity), false), Field::new(2, "requests", Ty::MapSpecial(Special::Quantity), false)],
    // api.core.v1.TypedLocalObjectReference
    &[Field::new(1, "apiGroup", Ty::Str, false), Field::new(2, "kind", Ty::Str, false), Field::new(3, "name", Ty::Str, false)],
    // api.core.v1.TypedObjectReference
    &[Field::new(1, "apiGroup", Ty::Str, false), Field::new(2, "kind", Ty::Str, false), Field::new(3, "name", Ty::Str, false), Field::new(4, "namespace", Ty::Str, false)],
    // api.core.v1.PersistentVolumeClaimCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastProbeTime", Ty::Special(Special::Time), false), Field::new(4, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(5, "reason", Ty::Str, false), Field::new(6, "message", Ty::Str, false)],
    // api.core.v1.ModifyVolumeStatus
    &[Field::new(1, "targetVolumeAttributesClassName", Ty::Str, false), Field::new(2, "status", Ty::Str, false)],
    // api.core.v1.Volume
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "", Ty::Inline(397), false)],
    // api.core.v1.Container
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "image", Ty::Str, false), Field::new(3, "command", Ty::Str, true), Field::new(4, "args", Ty::Str, true), Field::new(5, "workingDir", Ty::Str, false), Field::new(6, "ports", Ty::Msg(398), true), Field::new(19, "envFrom", Ty::Msg(399), true), Field::new(7, "env", Ty::Msg(400), true), Field::new(8, "resources", Ty::Msg(288), false), Field::new(23, "resizePolicy", Ty::Msg(401), true), Field::new(24, "restartPolicy", Ty::Str, false), Field::new(25, "", Ty::Ignore, false), Field::new(9, "volumeMounts", Ty::Msg(402), true), Field::new(21, "volumeDevices", Ty::Msg(403), true), Field::new(10, "livenessProbe", Ty::Msg(404), false), Field::new(11, "readinessProbe", Ty::Msg(404), false), Field::new(22, "startupProbe", Ty::Msg(404), false), Field::new(12, "lifecycle", Ty::Msg(405), false), Field::new(13, "terminationMessagePath", Ty::Str, false), Field::new(20, "terminationMessagePolicy", Ty::Str, false), Field::new(14, "imagePullPolicy", Ty::Str, false), Field::new(15, "securityContext", Ty::Msg(406), false), Field::new(16, "stdin", Ty::Bool, false), Field::new(17, "stdinOnce", Ty::Bool, false), Field::new(18, "tty", Ty::Bool, false)],
    // api.core.v1.EphemeralContainer
    &[Field::new(1, "", Ty::Inline(407), false), Field::new(2, "targetContainerName", Ty::Str, false)],
    // api.core.v1.PodSecurityContext
    &[Field::new(1, "seLinuxOptions", Ty::Msg(408), false), Field::new(8, "windowsOptions", Ty::Msg(409), false), Field::new(2, "runAsUser", Ty::Int, false), Field::new(6, "runAsGroup", Ty::Int, false), Field::new(3, "runAsNonRoot", Ty::Bool, false), Field::new(4, "supplementalGroups", Ty::Int, true), Field::new(12, "supplementalGroupsPolicy", Ty::Str, false), Field::new(5, "fsGroup", Ty::Int, false), Field::new(7, "sysctls", Ty::Msg(410), true), Field::new(9, "fsGroupChangePolicy", Ty::Str, false), Field::new(10, "seccompProfile", Ty::Msg(411), false), Field::new(11, "appArmorProfile", Ty::Msg(412), false), Field::new(13, "seLinuxChangePolicy", Ty::Str, false)],
    // api.core.v1.Affinity
    &[Field::new(1, "nodeAffinity", Ty::Msg(413), false), Field::new(2, "podAffinity", Ty::Msg(414), false), Field::new(3, "podAntiAffinity", Ty::Msg(415), false)],
    // api.core.v1.Toleration
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "value", Ty::Str, false), Field::new(4, "effect", Ty::Str, false), Field::new(5, "tolerationSeconds", Ty::Int, false)],
    // api.core.v1.HostAlias
    &[Field::new(1, "ip", Ty::Str, false), Field::new(2, "hostnames", Ty::Str, true)],
    // api.core.v1.PodDnsConfig
    &[Field::new(1, "nameservers", Ty::Str, true), Field::new(2, "searches", Ty::Str, true), Field::new(3, "options", Ty::Msg(416), true)],
    // api.core.v1.PodReadinessGate
    &[Field::new(1, "conditionType", Ty::Str, false)],
    // api.core.v1.TopologySpreadConstraint
    &[Field::new(1, "maxSkew", Ty::Int, false), Field::new(2, "topologyKey", Ty::Str, false), Field::new(3, "whenUnsatisfiable", Ty::Str, false), Field::new(4, "labelSelector", Ty::Msg(195), false), Field::new(5, "minDomains", Ty::Int, false), Field::new(6, "nodeAffinityPolicy", Ty::Str, false), Field::new(7, "nodeTaintsPolicy", Ty::Str, false), Field::new(8, "matchLabelKeys", Ty::Str, true)],
    // api.core.v1.PodOs
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.PodSchedulingGate
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.PodResourceClaim
    &[Field::new(1, "name", Ty::Str, false), Field::new(3, "resourceClaimName", Ty::Str, false), Field::new(4, "resourceClaimTemplateName", Ty::Str, false)],
    // api.core.v1.ResourceRequirements
    &[Field::new(1, "limits", Ty::MapSpecial(Special::Quantity), false), Field::new(2, "requests", Ty::MapSpecial(Special::Quantity), false), Field::new(3, "claims", Ty::Msg(417), true)],
    // api.core.v1.PodCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(7, "observedGeneration", Ty::Int, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastProbeTime", Ty::Special(Special::Time), false), Field::new(4, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(5, "reason", Ty::Str, false), Field::new(6, "message", Ty::Str, false)],
    // api.core.v1.HostIp
    &[Field::new(1, "ip", Ty::Str, false)],
    // api.core.v1.PodIp
    &[Field::new(1, "ip", Ty::Str, false)],
    // api.core.v1.ContainerStatus
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "state", Ty::Msg(418), false), Field::new(3, "lastState", Ty::Msg(418), false), Field::new(4, "ready", Ty::Bool, false), Field::new(5, "restartCount", Ty::Int, false), Field::new(6, "image", Ty::Str, false), Field::new(7, "imageID", Ty::Str, false), Field::new(8, "containerID", Ty::Str, false), Field::new(9, "started", Ty::Bool, false), Field::new(10, "allocatedResources", Ty::MapSpecial(Special::Quantity), false), Field::new(11, "resources", Ty::Msg(288), false), Field::new(12, "volumeMounts", Ty::Msg(419), true), Field::new(13, "user", Ty::Msg(420), false), Field::new(14, "allocatedResourcesStatus", Ty::Msg(421), true), Field::new(15, "stopSignal", Ty::Str, false)],
    // api.core.v1.PodResourceClaimStatus
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "resourceClaimName", Ty::Str, false)],
    // api.core.v1.ReplicationControllerCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.core.v1.ScopeSelector
    &[Field::new(1, "matchExpressions", Ty::Msg(422), true)],
    // api.core.v1.ServicePort
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "protocol", Ty::Str, false), Field::new(6, "appProtocol", Ty::Str, false), Field::new(3, "port", Ty::Int, false), Field::new(4, "targetPort", Ty::Special(Special::IntOrString), false), Field::new(5, "nodePort", Ty::Int, false)],
    // api.core.v1.SessionAffinityConfig
    &[Field::new(1, "clientIP", Ty::Msg(423), false)],
    // api.core.v1.LoadBalancerStatus
    &[Field::new(1, "ingress", Ty::Msg(424), true)],
    // api.discovery.v1.EndpointConditions
    &[Field::new(1, "ready", Ty::Bool, false), Field::new(2, "serving", Ty::Bool, false), Field::new(3, "terminating", Ty::Bool, false)],
    // api.discovery.v1.EndpointHints
    &[Field::new(1, "forZones", Ty::Msg(425), true), Field::new(2, "forNodes", Ty::Msg(426), true)],
    // api.flowcontrol.v1.PriorityLevelConfigurationReference
    &[Field::new(1, "name", Ty::Str, false)],
    // api.flowcontrol.v1.FlowDistinguisherMethod
    &[Field::new(1, "type", Ty::Str, false)],
    // api.flowcontrol.v1.PolicyRulesWithSubjects
    &[Field::new(1, "subjects", Ty::Msg(427), true), Field::new(2, "resourceRules", Ty::Msg(428), true), Field::new(3, "nonResourceRules", Ty::Msg(429), true)],
    // api.flowcontrol.v1.FlowSchemaCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.flowcontrol.v1.LimitedPriorityLevelConfiguration
    &[Field::new(1, "nominalConcurrencyShares", Ty::Int, false), Field::new(2, "limitResponse", Ty::Msg(430), false), Field::new(3, "lendablePercent", Ty::Int, false), Field::new(4, "borrowingLimitPercent", Ty::Int, false)],
    // api.flowcontrol.v1.ExemptPriorityLevelConfiguration
    &[Field::new(1, "nominalConcurrencyShares", Ty::Int, false), Field::new(2, "lendablePercent", Ty::Int, false)],
    // api.flowcontrol.v1.PriorityLevelConfigurationCondition
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false), Field::new(3, "lastTransitionTime", Ty::Special(Special::Time), false), Field::new(4, "reason", Ty::Str, false), Field::new(5, "message", Ty::Str, false)],
    // api.networking.v1.ParentReference
    &[Field::new(1, "group", Ty::Str, false), Field::new(2, "resource", Ty::Str, false), Field::new(3, "namespace", Ty::Str, false), Field::new(4, "name", Ty::Str, false)],
    // api.networking.v1.IngressBackend
    &[Field::new(4, "service", Ty::Msg(431), false), Field::new(3, "resource", Ty::Msg(271), false)],
    // api.networking.v1.IngressTls
    &[Field::new(1, "hosts", Ty::Str, true), Field::new(2, "secretName", Ty::Str, false)],
    // api.networking.v1.IngressRule
    &[Field::new(1, "host", Ty::Str, false), Field::new(2, "", Ty::Inline(432), false)],
    // api.networking.v1.IngressLoadBalancerStatus
    &[Field::new(1, "ingress", Ty::Msg(433), true)],
    // api.networking.v1.IngressClassParametersReference
    &[Field::new(1, "", Ty::Ignore, false), Field::new(2, "kind", Ty::Str, false), Field::new(3, "name", Ty::Str, false), Field::new(4, "scope", Ty::Str, false), Field::new(5, "namespace", Ty::Str, false)],
    // api.networking.v1.NetworkPolicyIngressRule
    &[Field::new(1, "ports", Ty::Msg(434), true), Field::new(2, "from", Ty::Msg(435), true)],
    // api.networking.v1.NetworkPolicyEgressRule
    &[Field::new(1, "ports", Ty::Msg(434), true), Field::new(2, "to", Ty::Msg(435), true)],
    // api.networking.v1beta1.ParentReference
    &[Field::new(1, "group", Ty::Str, false), Field::new(2, "resource", Ty::Str, false), Field::new(3, "namespace", Ty::Str, false), Field::new(4, "name", Ty::Str, false)],
    // api.resource.v1alpha3.DeviceTaintSelector
    &[Field::new(2, "driver", Ty::Str, false), Field::new(3, "pool", Ty::Str, false), Field::new(4, "device", Ty::Str, false)],
    // api.resource.v1alpha3.DeviceTaint
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "value", Ty::Str, false), Field::new(3, "effect", Ty::Str, false), Field::new(4, "timeAdded", Ty::Special(Special::Time), false)],
    // api.resource.v1beta1.DeviceSelector
    &[Field::new(1, "cel", Ty::Msg(436), false)],
    // api.resource.v1beta1.DeviceClassConfiguration
    &[Field::new(1, "", Ty::Inline(437), false)],
    // api.resource.v1beta1.DeviceClaim
    &[Field::new(1, "requests", Ty::Msg(438), true), Field::new(2, "constraints", Ty::Msg(439), true), Field::new(3, "config", Ty::Msg(440), true)],
    // api.resource.v1beta1.AllocationResult
    &[Field::new(1, "devices", Ty::Msg(441), false), Field::new(3, "nodeSelector", Ty::Msg(326), false), Field::new(5, "", Ty::Ignore, false)],
    // api.resource.v1beta1.ResourceClaimConsumerReference
    &[Field::new(1, "apiGroup", Ty::Str, false), Field::new(3, "resource", Ty::Str, false), Field::new(4, "name", Ty::Str, false), Field::new(5, "uid", Ty::Str, false)],
    // api.resource.v1beta1.AllocatedDeviceStatus
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "pool", Ty::Str, false), Field::new(3, "device", Ty::Str, false), Field::new(7, "", Ty::Ignore, false), Field::new(4, "conditions", Ty::Msg(211), true), Field::new(5, "data", Ty::Special(Special::RawJson), false), Field::new(6, "networkData", Ty::Msg(442), false)],
    // api.resource.v1beta1.ResourcePool
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "generation", Ty::Int, false), Field::new(3, "resourceSliceCount", Ty::Int, false)],
    // api.core.v1.NodeSelector
    &[Field::new(1, "nodeSelectorTerms", Ty::Msg(443), true)],
    // api.resource.v1beta1.Device
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "basic", Ty::Msg(444), false)],
    // api.resource.v1beta1.CounterSet
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "counters", Ty::MapMsg(445), false)],
    // api.resource.v1beta2.DeviceSelector
    &[Field::new(1, "cel", Ty::Msg(446), false)],
    // api.resource.v1beta2.DeviceClassConfiguration
    &[Field::new(1, "", Ty::Inline(447), false)],
    // api.resource.v1beta2.DeviceClaim
    &[Field::new(1, "requests", Ty::Msg(448), true), Field::new(2, "constraints", Ty::Msg(449), true), Field::new(3, "config", Ty::Msg(450), true)],
    // api.resource.v1beta2.AllocationResult
    &[Field::new(1, "devices", Ty::Msg(451), false), Field::new(3, "nodeSelector", Ty::Msg(326), false), Field::new(5, "", Ty::Ignore, false)],
    // api.resource.v1beta2.ResourceClaimConsumerReference
    &[Field::new(1, "apiGroup", Ty::Str, false), Field::new(3, "resource", Ty::Str, false), Field::new(4, "name", Ty::Str, false), Field::new(5, "uid", Ty::Str, false)],
    // api.resource.v1beta2.AllocatedDeviceStatus
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "pool", Ty::Str, false), Field::new(3, "device", Ty::Str, false), Field::new(7, "", Ty::Ignore, false), Field::new(4, "conditions", Ty::Msg(211), true), Field::new(5, "data", Ty::Special(Special::RawJson), false), Field::new(6, "networkData", Ty::Msg(452), false)],
    // api.resource.v1beta2.ResourcePool
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "generation", Ty::Int, false), Field::new(3, "resourceSliceCount", Ty::Int, false)],
    // api.resource.v1beta2.Device
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "attributes", Ty::MapMsg(453), false), Field::new(3, "capacity", Ty::MapMsg(454), false), Field::new(4, "consumesCounters", Ty::Msg(455), true), Field::new(5, "nodeName", Ty::Str, false), Field::new(6, "nodeSelector", Ty::Msg(326), false), Field::new(7, "allNodes", Ty::Bool, false), Field::new(8, "taints", Ty::Msg(456), true), Field::new(9, "", Ty::Ignore, false), Field::new(10, "", Ty::Ignore, false), Field::new(11, "", Ty::Ignore, false), Field::new(12, "", Ty::Ignore, false)],
    // api.resource.v1beta2.CounterSet
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "counters", Ty::MapMsg(457), false)],
    // api.storage.v1.TokenRequest
    &[Field::new(1, "audience", Ty::Str, false), Field::new(2, "expirationSeconds", Ty::Int, false)],
    // api.storage.v1.CSINodeDriver
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "nodeID", Ty::Str, false), Field::new(3, "topologyKeys", Ty::Str, true), Field::new(4, "allocatable", Ty::Msg(458), false)],
    // apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "values", Ty::Str, true)],
    // api.core.v1.TopologySelectorLabelRequirement
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "values", Ty::Str, true)],
    // api.storage.v1.VolumeAttachmentSource
    &[Field::new(1, "persistentVolumeName", Ty::Str, false), Field::new(2, "inlineVolumeSpec", Ty::Msg(146), false)],
    // api.storage.v1.VolumeError
    &[Field::new(1, "time", Ty::Special(Special::Time), false), Field::new(2, "message", Ty::Str, false), Field::new(3, "errorCode", Ty::Int, false)],
    // api.admissionregistration.v1.ServiceReference
    &[Field::new(1, "namespace", Ty::Str, false), Field::new(2, "name", Ty::Str, false), Field::new(3, "path", Ty::Str, false), Field::new(4, "port", Ty::Int, false)],
    // api.admissionregistration.v1.Rule (inline)
    &[Field::new(1, "apiGroups", Ty::Str, true), Field::new(2, "apiVersions", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "scope", Ty::Str, false)],
    // api.admissionregistration.v1.NamedRuleWithOperations
    &[Field::new(1, "resourceNames", Ty::Str, true), Field::new(2, "", Ty::Inline(459), false)],
    // api.admissionregistration.v1.ExpressionWarning
    &[Field::new(2, "fieldRef", Ty::Str, false), Field::new(3, "warning", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.NamedRuleWithOperations
    &[Field::new(1, "resourceNames", Ty::Str, true), Field::new(2, "", Ty::Inline(460), false)],
    // api.admissionregistration.v1alpha1.ApplyConfiguration
    &[Field::new(1, "expression", Ty::Str, false)],
    // api.admissionregistration.v1alpha1.JsonPatch
    &[Field::new(1, "expression", Ty::Str, false)],
    // api.admissionregistration.v1beta1.NamedRuleWithOperations
    &[Field::new(1, "resourceNames", Ty::Str, true), Field::new(2, "", Ty::Inline(461), false)],
    // api.admissionregistration.v1beta1.ExpressionWarning
    &[Field::new(2, "fieldRef", Ty::Str, false), Field::new(3, "warning", Ty::Str, false)],
    // api.apps.v1.RollingUpdateDaemonSet
    &[Field::new(1, "maxUnavailable", Ty::Special(Special::IntOrString), false), Field::new(2, "maxSurge", Ty::Special(Special::IntOrString), false)],
    // api.apps.v1.RollingUpdateDeployment
    &[Field::new(1, "maxUnavailable", Ty::Special(Special::IntOrString), false), Field::new(2, "maxSurge", Ty::Special(Special::IntOrString), false)],
    // api.apps.v1.RollingUpdateStatefulSetStrategy
    &[Field::new(1, "partition", Ty::Int, false), Field::new(2, "maxUnavailable", Ty::Special(Special::IntOrString), false)],
    // api.authorization.v1.FieldSelectorAttributes
    &[Field::new(1, "rawSelector", Ty::Str, false), Field::new(2, "requirements", Ty::Ignore, true)],
    // api.authorization.v1.LabelSelectorAttributes
    &[Field::new(1, "rawSelector", Ty::Str, false), Field::new(2, "requirements", Ty::Ignore, true)],
    // api.autoscaling.v2.ObjectMetricSource
    &[Field::new(1, "describedObject", Ty::Msg(243), false), Field::new(2, "target", Ty::Msg(462), false), Field::new(3, "metric", Ty::Msg(463), false)],
    // api.autoscaling.v2.PodsMetricSource
    &[Field::new(1, "metric", Ty::Msg(463), false), Field::new(2, "target", Ty::Msg(462), false)],
    // api.autoscaling.v2.ResourceMetricSource
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "target", Ty::Msg(462), false)],
    // api.autoscaling.v2.ContainerResourceMetricSource
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "target", Ty::Msg(462), false), Field::new(3, "container", Ty::Str, false)],
    // api.autoscaling.v2.ExternalMetricSource
    &[Field::new(1, "metric", Ty::Msg(463), false), Field::new(2, "target", Ty::Msg(462), false)],
    // api.autoscaling.v2.HpaScalingRules
    &[Field::new(3, "stabilizationWindowSeconds", Ty::Int, false), Field::new(1, "selectPolicy", Ty::Str, false), Field::new(2, "policies", Ty::Msg(464), true), Field::new(4, "tolerance", Ty::Special(Special::Quantity), false)],
    // api.autoscaling.v2.ObjectMetricStatus
    &[Field::new(1, "metric", Ty::Msg(463), false), Field::new(2, "current", Ty::Msg(465), false), Field::new(3, "describedObject", Ty::Msg(243), false)],
    // api.autoscaling.v2.PodsMetricStatus
    &[Field::new(1, "metric", Ty::Msg(463), false), Field::new(2, "current", Ty::Msg(465), false)],
    // api.autoscaling.v2.ResourceMetricStatus
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "current", Ty::Msg(465), false)],
    // api.autoscaling.v2.ContainerResourceMetricStatus
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "current", Ty::Msg(465), false), Field::new(3, "container", Ty::Str, false)],
    // api.autoscaling.v2.ExternalMetricStatus
    &[Field::new(1, "metric", Ty::Msg(463), false), Field::new(2, "current", Ty::Msg(465), false)],
    // api.batch.v1.PodFailurePolicyRule
    &[Field::new(1, "action", Ty::Str, false), Field::new(2, "onExitCodes", Ty::Msg(466), false), Field::new(3, "onPodConditions", Ty::Msg(467), true)],
    // api.batch.v1.SuccessPolicyRule
    &[Field::new(1, "succeededIndexes", Ty::Str, false), Field::new(2, "succeededCount", Ty::Int, false)],
    // api.core.v1.ConfigMapNodeConfigSource
    &[Field::new(1, "namespace", Ty::Str, false), Field::new(2, "name", Ty::Str, false), Field::new(3, "uid", Ty::Str, false), Field::new(4, "resourceVersion", Ty::Str, false), Field::new(5, "kubeletConfigKey", Ty::Str, false)],
    // api.core.v1.DaemonEndpoint
    &[Field::new(1, "Port", Ty::Int, false)],
    // api.core.v1.NodeSwapStatus
    &[Field::new(1, "capacity", Ty::Int, false)],
    // api.core.v1.NodeRuntimeHandlerFeatures
    &[Field::new(1, "recursiveReadOnlyMounts", Ty::Bool, false), Field::new(2, "userNamespaces", Ty::Bool, false)],
    // api.core.v1.GcePersistentDiskVolumeSource
    &[Field::new(1, "pdName", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "partition", Ty::Int, false), Field::new(4, "readOnly", Ty::Bool, false)],
    // api.core.v1.AwsElasticBlockStoreVolumeSource
    &[Field::new(1, "volumeID", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "partition", Ty::Int, false), Field::new(4, "readOnly", Ty::Bool, false)],
    // api.core.v1.HostPathVolumeSource
    &[Field::new(1, "path", Ty::Str, false), Field::new(2, "type", Ty::Str, false)],
    // api.core.v1.GlusterfsPersistentVolumeSource
    &[Field::new(1, "endpoints", Ty::Str, false), Field::new(2, "path", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "endpointsNamespace", Ty::Str, false)],
    // api.core.v1.NfsVolumeSource
    &[Field::new(1, "server", Ty::Str, false), Field::new(2, "path", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false)],
    // api.core.v1.RbdPersistentVolumeSource
    &[Field::new(1, "monitors", Ty::Str, true), Field::new(2, "image", Ty::Str, false), Field::new(3, "fsType", Ty::Str, false), Field::new(4, "pool", Ty::Str, false), Field::new(5, "user", Ty::Str, false), Field::new(6, "keyring", Ty::Str, false), Field::new(7, "secretRef", Ty::Msg(468), false), Field::new(8, "readOnly", Ty::Bool, false)],
    // api.core.v1.IscsiPersistentVolumeSource
    &[Field::new(1, "targetPortal", Ty::Str, false), Field::new(2, "iqn", Ty::Str, false), Field::new(3, "lun", Ty::Int, false), Field::new(4, "iscsiInterface", Ty::Str, false), Field::new(5, "fsType", Ty::Str, false), Field::new(6, "readOnly", Ty::Bool, false), Field::new(7, "portals", Ty::Str, true), Field::new(8, "chapAuthDiscovery", Ty::Bool, false), Field::new(11, "chapAuthSession", Ty::Bool, false), Field::new(10, "secretRef", Ty::Msg(468), false), Field::new(12, "initiatorName", Ty::Str, false)],
    // api.core.v1.CinderPersistentVolumeSource
    &[Field::new(1, "volumeID", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "secretRef", Ty::Msg(468), false)],
    // api.core.v1.CephFsPersistentVolumeSource
    &[Field::new(1, "monitors", Ty::Str, true), Field::new(2, "path", Ty::Str, false), Field::new(3, "user", Ty::Str, false), Field::new(4, "secretFile", Ty::Str, false), Field::new(5, "secretRef", Ty::Msg(468), false), Field::new(6, "readOnly", Ty::Bool, false)],
    // api.core.v1.FcVolumeSource
    &[Field::new(1, "", Ty::Ignore, false), Field::new(2, "lun", Ty::Int, false), Field::new(3, "fsType", Ty::Str, false), Field::new(4, "readOnly", Ty::Bool, false), Field::new(5, "wwids", Ty::Str, true)],
    // api.core.v1.FlockerVolumeSource
    &[Field::new(1, "datasetName", Ty::Str, false), Field::new(2, "datasetUUID", Ty::Str, false)],
    // api.core.v1.FlexPersistentVolumeSource
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "secretRef", Ty::Msg(468), false), Field::new(4, "readOnly", Ty::Bool, false), Field::new(5, "options", Ty::MapStr, false)],
    // api.core.v1.AzureFilePersistentVolumeSource
    &[Field::new(1, "secretName", Ty::Str, false), Field::new(2, "shareName", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "secretNamespace", Ty::Str, false)],
    // api.core.v1.VsphereVirtualDiskVolumeSource
    &[Field::new(1, "volumePath", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "storagePolicyName", Ty::Str, false), Field::new(4, "storagePolicyID", Ty::Str, false)],
    // api.core.v1.QuobyteVolumeSource
    &[Field::new(1, "registry", Ty::Str, false), Field::new(2, "volume", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "user", Ty::Str, false), Field::new(5, "group", Ty::Str, false), Field::new(6, "tenant", Ty::Str, false)],
    // api.core.v1.AzureDiskVolumeSource
    &[Field::new(1, "diskName", Ty::Str, false), Field::new(2, "diskURI", Ty::Str, false), Field::new(3, "cachingMode", Ty::Str, false), Field::new(4, "fsType", Ty::Str, false), Field::new(5, "readOnly", Ty::Bool, false), Field::new(6, "kind", Ty::Str, false)],
    // api.core.v1.PhotonPersistentDiskVolumeSource
    &[Field::new(1, "pdID", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false)],
    // api.core.v1.PortworxVolumeSource
    &[Field::new(1, "volumeID", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false)],
    // api.core.v1.ScaleIoPersistentVolumeSource
    &[Field::new(1, "gateway", Ty::Str, false), Field::new(2, "system", Ty::Str, false), Field::new(3, "secretRef", Ty::Msg(468), false), Field::new(4, "sslEnabled", Ty::Bool, false), Field::new(5, "protectionDomain", Ty::Str, false), Field::new(6, "storagePool", Ty::Str, false), Field::new(7, "storageMode", Ty::Str, false), Field::new(8, "volumeName", Ty::Str, false), Field::new(9, "fsType", Ty::Str, false), Field::new(10, "readOnly", Ty::Bool, false)],
    // api.core.v1.LocalVolumeSource
    &[Field::new(1, "path", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false)],
    // api.core.v1.StorageOsPersistentVolumeSource
    &[Field::new(1, "volumeName", Ty::Str, false), Field::new(2, "volumeNamespace", Ty::Str, false), Field::new(3, "fsType", Ty::Str, false), Field::new(4, "readOnly", Ty::Bool, false), Field::new(5, "secretRef", Ty::Msg(136), false)],
    // api.core.v1.CSIPersistentVolumeSource
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "volumeHandle", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "fsType", Ty::Str, false), Field::new(5, "volumeAttributes", Ty::MapStr, false), Field::new(6, "controllerPublishSecretRef", Ty::Msg(468), false), Field::new(7, "nodeStageSecretRef", Ty::Msg(468), false), Field::new(8, "nodePublishSecretRef", Ty::Msg(468), false), Field::new(9, "controllerExpandSecretRef", Ty::Msg(468), false), Field::new(10, "nodeExpandSecretRef", Ty::Msg(468), false)],
    // api.core.v1.VolumeSource (inline)
    &[Field::new(1, "hostPath", Ty::Msg(377), false), Field::new(2, "emptyDir", Ty::Msg(469), false), Field::new(3, "gcePersistentDisk", Ty::Msg(375), false), Field::new(4, "awsElasticBlockStore", Ty::Msg(376), false), Field::new(5, "gitRepo", Ty::Msg(470), false), Field::new(6, "secret", Ty::Msg(471), false), Field::new(7, "nfs", Ty::Msg(379), false), Field::new(8, "iscsi", Ty::Msg(472), false), Field::new(9, "glusterfs", Ty::Msg(473), false), Field::new(10, "persistentVolumeClaim", Ty::Msg(474), false), Field::new(11, "rbd", Ty::Msg(475), false), Field::new(12, "flexVolume", Ty::Msg(476), false), Field::new(13, "cinder", Ty::Msg(477), false), Field::new(14, "cephfs", Ty::Msg(478), false), Field::new(15, "flocker", Ty::Msg(385), false), Field::new(16, "downwardAPI", Ty::Msg(479), false), Field::new(17, "fc", Ty::Msg(384), false), Field::new(18, "azureFile", Ty::Msg(480), false), Field::new(19, "configMap", Ty::Msg(481), false), Field::new(20, "vsphereVolume", Ty::Msg(388), false), Field::new(21, "quobyte", Ty::Msg(389), false), Field::new(22, "azureDisk", Ty::Msg(390), false), Field::new(23, "photonPersistentDisk", Ty::Msg(391), false), Field::new(26, "projected", Ty::Msg(482), false), Field::new(24, "portworxVolume", Ty::Msg(392), false), Field::new(25, "scaleIO", Ty::Msg(483), false), Field::new(27, "storageos", Ty::Msg(484), false), Field::new(28, "csi", Ty::Msg(485), false), Field::new(29, "ephemeral", Ty::Msg(486), false), Field::new(30, "image", Ty::Msg(487), false)],
    // api.core.v1.ContainerPort
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "hostPort", Ty::Int, false), Field::new(3, "containerPort", Ty::Int, false), Field::new(4, "protocol", Ty::Str, false), Field::new(5, "hostIP", Ty::Str, false)],
    // api.core.v1.EnvFromSource
    &[Field::new(1, "prefix", Ty::Str, false), Field::new(2, "configMapRef", Ty::Msg(488), false), Field::new(3, "secretRef", Ty::Msg(489), false)],
    // api.core.v1.EnvVar
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "value", Ty::Str, false), Field::new(3, "valueFrom", Ty::Msg(490), false)],
    // api.core.v1.ContainerResizePolicy
    &[Field::new(1, "resourceName", Ty::Str, false), Field::new(2, "restartPolicy", Ty::Str, false)],
    // api.core.v1.VolumeMount
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "readOnly", Ty::Bool, false), Field::new(7, "recursiveReadOnly", Ty::Str, false), Field::new(3, "mountPath", Ty::Str, false), Field::new(4, "subPath", Ty::Str, false), Field::new(5, "mountPropagation", Ty::Str, false), Field::new(6, "subPathExpr", Ty::Str, false)],
    // api.core.v1.VolumeDevice
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "devicePath", Ty::Str, false)],
    // api.core.v1.Probe
    &[Field::new(1, "", Ty::Inline(491), false), Field::new(2, "initialDelaySeconds", Ty::Int, false), Field::new(3, "timeoutSeconds", Ty::Int, false), Field::new(4, "periodSeconds", Ty::Int, false), Field::new(5, "successThreshold", Ty::Int, false), Field::new(6, "failureThreshold", Ty::Int, false), Field::new(7, "terminationGracePeriodSeconds", Ty::Int, false)],
    // api.core.v1.Lifecycle
    &[Field::new(1, "postStart", Ty::Msg(492), false), Field::new(2, "preStop", Ty::Msg(492), false), Field::new(3, "stopSignal", Ty::Str, false)],
    // api.core.v1.SecurityContext
    &[Field::new(1, "capabilities", Ty::Msg(493), false), Field::new(2, "privileged", Ty::Bool, false), Field::new(3, "seLinuxOptions", Ty::Msg(408), false), Field::new(10, "windowsOptions", Ty::Msg(409), false), Field::new(4, "runAsUser", Ty::Int, false), Field::new(8, "runAsGroup", Ty::Int, false), Field::new(5, "runAsNonRoot", Ty::Bool, false), Field::new(6, "readOnlyRootFilesystem", Ty::Bool, false), Field::new(7, "allowPrivilegeEscalation", Ty::Bool, false), Field::new(9, "procMount", Ty::Str, false), Field::new(11, "seccompProfile", Ty::Msg(411), false), Field::new(12, "appArmorProfile", Ty::Msg(412), false)],
    // api.core.v1.EphemeralContainerCommon (inline)
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "image", Ty::Str, false), Field::new(3, "command", Ty::Str, true), Field::new(4, "args", Ty::Str, true), Field::new(5, "workingDir", Ty::Str, false), Field::new(6, "ports", Ty::Msg(398), true), Field::new(19, "envFrom", Ty::Msg(399), true), Field::new(7, "env", Ty::Msg(400), true), Field::new(8, "resources", Ty::Msg(288), false), Field::new(23, "resizePolicy", Ty::Msg(401), true), Field::new(24, "restartPolicy", Ty::Str, false), Field::new(25, "", Ty::Ignore, false), Field::new(9, "volumeMounts", Ty::Msg(402), true), Field::new(21, "volumeDevices", Ty::Msg(403), true), Field::new(10, "livenessProbe", Ty::Msg(404), false), Field::new(11, "readinessProbe", Ty::Msg(404), false), Field::new(22, "startupProbe", Ty::Msg(404), false), Field::new(12, "lifecycle", Ty::Msg(405), false), Field::new(13, "terminationMessagePath", Ty::Str, false), Field::new(20, "terminationMessagePolicy", Ty::Str, false), Field::new(14, "imagePullPolicy", Ty::Str, false), Field::new(15, "securityContext", Ty::Msg(406), false), Field::new(16, "stdin", Ty::Bool, false), Field::new(17, "stdinOnce", Ty::Bool, false), Field::new(18, "tty", Ty::Bool, false)],
    // api.core.v1.SeLinuxOptions
    &[Field::new(1, "user", Ty::Str, false), Field::new(2, "role", Ty::Str, false), Field::new(3, "type", Ty::Str, false), Field::new(4, "level", Ty::Str, false)],
    // api.core.v1.WindowsSecurityContextOptions
    &[Field::new(1, "gmsaCredentialSpecName", Ty::Str, false), Field::new(2, "gmsaCredentialSpec", Ty::Str, false), Field::new(3, "runAsUserName", Ty::Str, false), Field::new(4, "hostProcess", Ty::Bool, false)],
    // api.core.v1.Sysctl
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "value", Ty::Str, false)],
    // api.core.v1.SeccompProfile
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "localhostProfile", Ty::Str, false)],
    // api.core.v1.AppArmorProfile
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "localhostProfile", Ty::Str, false)],
    // api.core.v1.NodeAffinity
    &[Field::new(1, "requiredDuringSchedulingIgnoredDuringExecution", Ty::Msg(326), false), Field::new(2, "preferredDuringSchedulingIgnoredDuringExecution", Ty::Msg(494), true)],
    // api.core.v1.PodAffinity
    &[Field::new(1, "requiredDuringSchedulingIgnoredDuringExecution", Ty::Msg(495), true), Field::new(2, "preferredDuringSchedulingIgnoredDuringExecution", Ty::Msg(496), true)],
    // api.core.v1.PodAntiAffinity
    &[Field::new(1, "requiredDuringSchedulingIgnoredDuringExecution", Ty::Msg(495), true), Field::new(2, "preferredDuringSchedulingIgnoredDuringExecution", Ty::Msg(496), true)],
    // api.core.v1.PodDnsConfigOption
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "value", Ty::Str, false)],
    // api.core.v1.ResourceClaim
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "request", Ty::Str, false)],
    // api.core.v1.ContainerState
    &[Field::new(1, "waiting", Ty::Msg(497), false), Field::new(2, "running", Ty::Msg(498), false), Field::new(3, "terminated", Ty::Msg(499), false)],
    // api.core.v1.VolumeMountStatus
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "mountPath", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "recursiveReadOnly", Ty::Str, false)],
    // api.core.v1.ContainerUser
    &[Field::new(1, "linux", Ty::Msg(500), false)],
    // api.core.v1.ResourceStatus
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "resources", Ty::Msg(501), true)],
    // api.core.v1.ScopedResourceSelectorRequirement
    &[Field::new(1, "scopeName", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "values", Ty::Str, true)],
    // api.core.v1.ClientIpConfig
    &[Field::new(1, "timeoutSeconds", Ty::Int, false)],
    // api.core.v1.LoadBalancerIngress
    &[Field::new(1, "ip", Ty::Str, false), Field::new(2, "hostname", Ty::Str, false), Field::new(3, "ipMode", Ty::Str, false), Field::new(4, "ports", Ty::Msg(502), true)],
    // api.discovery.v1.ForZone
    &[Field::new(1, "name", Ty::Str, false)],
    // api.discovery.v1.ForNode
    &[Field::new(1, "name", Ty::Str, false)],
    // api.flowcontrol.v1.Subject
    &[Field::new(1, "kind", Ty::Str, false), Field::new(2, "user", Ty::Msg(503), false), Field::new(3, "group", Ty::Msg(504), false), Field::new(4, "serviceAccount", Ty::Msg(505), false)],
    // api.flowcontrol.v1.ResourcePolicyRule
    &[Field::new(1, "verbs", Ty::Str, true), Field::new(2, "apiGroups", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "clusterScope", Ty::Bool, false), Field::new(5, "namespaces", Ty::Str, true)],
    // api.flowcontrol.v1.NonResourcePolicyRule
    &[Field::new(1, "verbs", Ty::Str, true), Field::new(6, "", Ty::Ignore, false)],
    // api.flowcontrol.v1.LimitResponse
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "queuing", Ty::Msg(506), false)],
    // api.networking.v1.IngressServiceBackend
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "port", Ty::Msg(507), false)],
    // api.networking.v1.IngressRuleValue (inline)
    &[Field::new(1, "http", Ty::Msg(508), false)],
    // api.networking.v1.IngressLoadBalancerIngress
    &[Field::new(1, "ip", Ty::Str, false), Field::new(2, "hostname", Ty::Str, false), Field::new(4, "ports", Ty::Msg(509), true)],
    // api.networking.v1.NetworkPolicyPort
    &[Field::new(1, "protocol", Ty::Str, false), Field::new(2, "port", Ty::Special(Special::IntOrString), false), Field::new(3, "endPort", Ty::Int, false)],
    // api.networking.v1.NetworkPolicyPeer
    &[Field::new(1, "podSelector", Ty::Msg(195), false), Field::new(2, "namespaceSelector", Ty::Msg(195), false), Field::new(3, "ipBlock", Ty::Msg(510), false)],
    // api.resource.v1beta1.CelDeviceSelector
    &[Field::new(1, "expression", Ty::Str, false)],
    // api.resource.v1beta1.DeviceConfiguration (inline)
    &[Field::new(1, "opaque", Ty::Msg(511), false)],
    // api.resource.v1beta1.DeviceRequest
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "deviceClassName", Ty::Str, false), Field::new(3, "selectors", Ty::Msg(319), true), Field::new(4, "allocationMode", Ty::Str, false), Field::new(5, "count", Ty::Int, false), Field::new(6, "adminAccess", Ty::Bool, false), Field::new(7, "firstAvailable", Ty::Msg(512), true), Field::new(8, "tolerations", Ty::Msg(513), true), Field::new(9, "", Ty::Ignore, false)],
    // api.resource.v1beta1.DeviceConstraint
    &[Field::new(1, "requests", Ty::Str, true), Field::new(2, "matchAttribute", Ty::Str, false), Field::new(3, "", Ty::Ignore, false)],
    // api.resource.v1beta1.DeviceClaimConfiguration
    &[Field::new(1, "requests", Ty::Str, true), Field::new(2, "", Ty::Inline(514), false)],
    // api.resource.v1beta1.DeviceAllocationResult
    &[Field::new(1, "results", Ty::Msg(515), true), Field::new(2, "config", Ty::Msg(516), true)],
    // api.resource.v1beta1.NetworkDeviceData
    &[Field::new(1, "interfaceName", Ty::Str, false), Field::new(2, "ips", Ty::Str, true), Field::new(3, "hardwareAddress", Ty::Str, false)],
    // api.core.v1.NodeSelectorTerm
    &[Field::new(1, "matchExpressions", Ty::Msg(517), true), Field::new(2, "matchFields", Ty::Msg(517), true)],
    // api.resource.v1beta1.BasicDevice
    &[Field::new(1, "attributes", Ty::MapMsg(518), false), Field::new(2, "capacity", Ty::MapMsg(519), false), Field::new(3, "consumesCounters", Ty::Msg(520), true), Field::new(4, "nodeName", Ty::Str, false), Field::new(5, "nodeSelector", Ty::Msg(326), false), Field::new(6, "allNodes", Ty::Bool, false), Field::new(7, "taints", Ty::Msg(521), true), Field::new(8, "", Ty::Ignore, false), Field::new(9, "", Ty::Ignore, false), Field::new(10, "", Ty::Ignore, false), Field::new(11, "", Ty::Ignore, false)],
    // api.resource.v1beta1.Counter
    &[Field::new(1, "value", Ty::Special(Special::Quantity), false)],
    // api.resource.v1beta2.CelDeviceSelector
    &[Field::new(1, "expression", Ty::Str, false)],
    // api.resource.v1beta2.DeviceConfiguration (inline)
    &[Field::new(1, "opaque", Ty::Msg(522), false)],
    // api.resource.v1beta2.DeviceRequest
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "exactly", Ty::Msg(523), false), Field::new(3, "firstAvailable", Ty::Msg(524), true)],
    // api.resource.v1beta2.DeviceConstraint
    &[Field::new(1, "requests", Ty::Str, true), Field::new(2, "matchAttribute", Ty::Str, false), Field::new(3, "", Ty::Ignore, false)],
    // api.resource.v1beta2.DeviceClaimConfiguration
    &[Field::new(1, "requests", Ty::Str, true), Field::new(2, "", Ty::Inline(525), false)],
    // api.resource.v1beta2.DeviceAllocationResult
    &[Field::new(1, "results", Ty::Msg(526), true), Field::new(2, "config", Ty::Msg(527), true)],
    // api.resource.v1beta2.NetworkDeviceData
    &[Field::new(1, "interfaceName", Ty::Str, false), Field::new(2, "ips", Ty::Str, true), Field::new(3, "hardwareAddress", Ty::Str, false)],
    // api.resource.v1beta2.DeviceAttribute
    &[Field::new(2, "int", Ty::Int, false), Field::new(3, "bool", Ty::Bool, false), Field::new(4, "string", Ty::Str, false), Field::new(5, "version", Ty::Str, false)],
    // api.resource.v1beta2.DeviceCapacity
    &[Field::new(1, "value", Ty::Special(Special::Quantity), false), Field::new(2, "", Ty::Ignore, false)],
    // api.resource.v1beta2.DeviceCounterConsumption
    &[Field::new(1, "counterSet", Ty::Str, false), Field::new(2, "counters", Ty::MapMsg(457), false)],
    // api.resource.v1beta2.DeviceTaint
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "value", Ty::Str, false), Field::new(3, "effect", Ty::Str, false), Field::new(4, "timeAdded", Ty::Special(Special::Time), false)],
    // api.resource.v1beta2.Counter
    &[Field::new(1, "value", Ty::Special(Special::Quantity), false)],
    // api.storage.v1.VolumeNodeResources
    &[Field::new(1, "count", Ty::Int, false)],
    // api.admissionregistration.v1.RuleWithOperations (inline)
    &[Field::new(1, "operations", Ty::Str, true), Field::new(2, "", Ty::Inline(528), false)],
    // api.admissionregistration.v1.RuleWithOperations (inline)
    &[Field::new(1, "operations", Ty::Str, true), Field::new(2, "", Ty::Inline(529), false)],
    // api.admissionregistration.v1.RuleWithOperations (inline)
    &[Field::new(1, "operations", Ty::Str, true), Field::new(2, "", Ty::Inline(530), false)],
    // api.autoscaling.v2.MetricTarget
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "value", Ty::Special(Special::Quantity), false), Field::new(3, "averageValue", Ty::Special(Special::Quantity), false), Field::new(4, "averageUtilization", Ty::Int, false)],
    // api.autoscaling.v2.MetricIdentifier
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "selector", Ty::Msg(195), false)],
    // api.autoscaling.v2.HpaScalingPolicy
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "value", Ty::Int, false), Field::new(3, "periodSeconds", Ty::Int, false)],
    // api.autoscaling.v2.MetricValueStatus
    &[Field::new(1, "value", Ty::Special(Special::Quantity), false), Field::new(2, "averageValue", Ty::Special(Special::Quantity), false), Field::new(3, "averageUtilization", Ty::Int, false)],
    // api.batch.v1.PodFailurePolicyOnExitCodesRequirement
    &[Field::new(1, "containerName", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "values", Ty::Int, true)],
    // api.batch.v1.PodFailurePolicyOnPodConditionsPattern
    &[Field::new(1, "type", Ty::Str, false), Field::new(2, "status", Ty::Str, false)],
    // api.core.v1.SecretReference
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "namespace", Ty::Str, false)],
    // api.core.v1.EmptyDirVolumeSource
    &[Field::new(1, "medium", Ty::Str, false), Field::new(2, "sizeLimit", Ty::Special(Special::Quantity), false)],
    // api.core.v1.GitRepoVolumeSource
    &[Field::new(1, "repository", Ty::Str, false), Field::new(2, "revision", Ty::Str, false), Field::new(3, "directory", Ty::Str, false)],
    // api.core.v1.SecretVolumeSource
    &[Field::new(1, "secretName", Ty::Str, false), Field::new(2, "items", Ty::Msg(531), true), Field::new(3, "defaultMode", Ty::Int, false), Field::new(4, "optional", Ty::Bool, false)],
    // api.core.v1.IscsiVolumeSource
    &[Field::new(1, "targetPortal", Ty::Str, false), Field::new(2, "iqn", Ty::Str, false), Field::new(3, "lun", Ty::Int, false), Field::new(4, "iscsiInterface", Ty::Str, false), Field::new(5, "fsType", Ty::Str, false), Field::new(6, "readOnly", Ty::Bool, false), Field::new(7, "portals", Ty::Str, true), Field::new(8, "chapAuthDiscovery", Ty::Bool, false), Field::new(11, "chapAuthSession", Ty::Bool, false), Field::new(10, "secretRef", Ty::Msg(158), false), Field::new(12, "initiatorName", Ty::Str, false)],
    // api.core.v1.GlusterfsVolumeSource
    &[Field::new(1, "endpoints", Ty::Str, false), Field::new(2, "path", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false)],
    // api.core.v1.PersistentVolumeClaimVolumeSource
    &[Field::new(1, "claimName", Ty::Str, false), Field::new(2, "readOnly", Ty::Bool, false)],
    // api.core.v1.RbdVolumeSource
    &[Field::new(1, "monitors", Ty::Str, true), Field::new(2, "image", Ty::Str, false), Field::new(3, "fsType", Ty::Str, false), Field::new(4, "pool", Ty::Str, false), Field::new(5, "user", Ty::Str, false), Field::new(6, "keyring", Ty::Str, false), Field::new(7, "secretRef", Ty::Msg(158), false), Field::new(8, "readOnly", Ty::Bool, false)],
    // api.core.v1.FlexVolumeSource
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "secretRef", Ty::Msg(158), false), Field::new(4, "readOnly", Ty::Bool, false), Field::new(5, "options", Ty::MapStr, false)],
    // api.core.v1.CinderVolumeSource
    &[Field::new(1, "volumeID", Ty::Str, false), Field::new(2, "fsType", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false), Field::new(4, "secretRef", Ty::Msg(158), false)],
    // api.core.v1.CephFsVolumeSource
    &[Field::new(1, "monitors", Ty::Str, true), Field::new(2, "path", Ty::Str, false), Field::new(3, "user", Ty::Str, false), Field::new(4, "secretFile", Ty::Str, false), Field::new(5, "secretRef", Ty::Msg(158), false), Field::new(6, "readOnly", Ty::Bool, false)],
    // api.core.v1.DownwardAPIVolumeSource
    &[Field::new(1, "items", Ty::Msg(532), true), Field::new(2, "defaultMode", Ty::Int, false)],
    // api.core.v1.AzureFileVolumeSource
    &[Field::new(1, "secretName", Ty::Str, false), Field::new(2, "shareName", Ty::Str, false), Field::new(3, "readOnly", Ty::Bool, false)],
    // api.core.v1.ConfigMapVolumeSource
    &[Field::new(1, "", Ty::Inline(533), false), Field::new(2, "items", Ty::Msg(531), true), Field::new(3, "defaultMode", Ty::Int, false), Field::new(4, "optional", Ty::Bool, false)],
    // api.core.v1.ProjectedVolumeSource
    &[Field::new(1, "sources", Ty::Msg(534), true), Field::new(2, "defaultMode", Ty::Int, false)],
    // api.core.v1.ScaleIoVolumeSource
    &[Field::new(1, "gateway", Ty::Str, false), Field::new(2, "system", Ty::Str, false), Field::new(3, "secretRef", Ty::Msg(158), false), Field::new(4, "sslEnabled", Ty::Bool, false), Field::new(5, "protectionDomain", Ty::Str, false), Field::new(6, "storagePool", Ty::Str, false), Field::new(7, "storageMode", Ty::Str, false), Field::new(8, "volumeName", Ty::Str, false), Field::new(9, "fsType", Ty::Str, false), Field::new(10, "readOnly", Ty::Bool, false)],
    // api.core.v1.StorageOsVolumeSource
    &[Field::new(1, "volumeName", Ty::Str, false), Field::new(2, "volumeNamespace", Ty::Str, false), Field::new(3, "fsType", Ty::Str, false), Field::new(4, "readOnly", Ty::Bool, false), Field::new(5, "secretRef", Ty::Msg(158), false)],
    // api.core.v1.CSIVolumeSource
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "readOnly", Ty::Bool, false), Field::new(3, "fsType", Ty::Str, false), Field::new(4, "volumeAttributes", Ty::MapStr, false), Field::new(5, "nodePublishSecretRef", Ty::Msg(158), false)],
    // api.core.v1.EphemeralVolumeSource
    &[Field::new(1, "volumeClaimTemplate", Ty::Msg(43), false)],
    // api.core.v1.ImageVolumeSource
    &[Field::new(1, "reference", Ty::Str, false), Field::new(2, "pullPolicy", Ty::Str, false)],
    // api.core.v1.ConfigMapEnvSource
    &[Field::new(1, "", Ty::Inline(535), false), Field::new(2, "optional", Ty::Bool, false)],
    // api.core.v1.SecretEnvSource
    &[Field::new(1, "", Ty::Inline(536), false), Field::new(2, "optional", Ty::Bool, false)],
    // api.core.v1.EnvVarSource
    &[Field::new(1, "fieldRef", Ty::Msg(537), false), Field::new(2, "resourceFieldRef", Ty::Msg(538), false), Field::new(3, "configMapKeyRef", Ty::Msg(539), false), Field::new(4, "secretKeyRef", Ty::Msg(540), false), Field::new(5, "", Ty::Ignore, false)],
    // api.core.v1.ProbeHandler (inline)
    &[Field::new(1, "exec", Ty::Msg(541), false), Field::new(2, "httpGet", Ty::Msg(542), false), Field::new(3, "tcpSocket", Ty::Msg(543), false), Field::new(4, "grpc", Ty::Msg(544), false)],
    // api.core.v1.LifecycleHandler
    &[Field::new(1, "exec", Ty::Msg(541), false), Field::new(2, "httpGet", Ty::Msg(542), false), Field::new(3, "tcpSocket", Ty::Msg(543), false), Field::new(4, "sleep", Ty::Msg(545), false)],
    // api.core.v1.Capabilities
    &[Field::new(1, "add", Ty::Str, true), Field::new(2, "drop", Ty::Str, true)],
    // api.core.v1.PreferredSchedulingTerm
    &[Field::new(1, "weight", Ty::Int, false), Field::new(2, "preference", Ty::Msg(443), false)],
    // api.core.v1.PodAffinityTerm
    &[Field::new(1, "labelSelector", Ty::Msg(195), false), Field::new(2, "namespaces", Ty::Str, true), Field::new(3, "topologyKey", Ty::Str, false), Field::new(4, "namespaceSelector", Ty::Msg(195), false), Field::new(5, "matchLabelKeys", Ty::Str, true), Field::new(6, "mismatchLabelKeys", Ty::Str, true)],
    // api.core.v1.WeightedPodAffinityTerm
    &[Field::new(1, "weight", Ty::Int, false), Field::new(2, "podAffinityTerm", Ty::Msg(495), false)],
    // api.core.v1.ContainerStateWaiting
    &[Field::new(1, "reason", Ty::Str, false), Field::new(2, "message", Ty::Str, false)],
    // api.core.v1.ContainerStateRunning
    &[Field::new(1, "startedAt", Ty::Special(Special::Time), false)],
    // api.core.v1.ContainerStateTerminated
    &[Field::new(1, "exitCode", Ty::Int, false), Field::new(2, "signal", Ty::Int, false), Field::new(3, "reason", Ty::Str, false), Field::new(4, "message", Ty::Str, false), Field::new(5, "startedAt", Ty::Special(Special::Time), false), Field::new(6, "finishedAt", Ty::Special(Special::Time), false), Field::new(7, "containerID", Ty::Str, false)],
    // api.core.v1.LinuxContainerUser
    &[Field::new(1, "uid", Ty::Int, false), Field::new(2, "gid", Ty::Int, false), Field::new(3, "supplementalGroups", Ty::Int, true)],
    // api.core.v1.ResourceHealth
    &[Field::new(1, "resourceID", Ty::Str, false), Field::new(2, "health", Ty::Str, false)],
    // api.core.v1.PortStatus
    &[Field::new(1, "port", Ty::Int, false), Field::new(2, "protocol", Ty::Str, false), Field::new(3, "error", Ty::Str, false)],
    // api.flowcontrol.v1.UserSubject
    &[Field::new(1, "name", Ty::Str, false)],
    // api.flowcontrol.v1.GroupSubject
    &[Field::new(1, "name", Ty::Str, false)],
    // api.flowcontrol.v1.ServiceAccountSubject
    &[Field::new(1, "namespace", Ty::Str, false), Field::new(2, "name", Ty::Str, false)],
    // api.flowcontrol.v1.QueuingConfiguration
    &[Field::new(1, "queues", Ty::Int, false), Field::new(2, "handSize", Ty::Int, false), Field::new(3, "queueLengthLimit", Ty::Int, false)],
    // api.networking.v1.ServiceBackendPort
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "number", Ty::Int, false)],
    // api.networking.v1.HttpIngressRuleValue
    &[Field::new(1, "paths", Ty::Msg(546), true)],
    // api.networking.v1.IngressPortStatus
    &[Field::new(1, "port", Ty::Int, false), Field::new(2, "protocol", Ty::Str, false), Field::new(3, "error", Ty::Str, false)],
    // api.networking.v1.IpBlock
    &[Field::new(1, "cidr", Ty::Str, false), Field::new(2, "except", Ty::Str, true)],
    // api.resource.v1beta1.OpaqueDeviceConfiguration
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "parameters", Ty::Special(Special::RawJson), false)],
    // api.resource.v1beta1.DeviceSubRequest
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "deviceClassName", Ty::Str, false), Field::new(3, "selectors", Ty::Msg(319), true), Field::new(4, "allocationMode", Ty::Str, false), Field::new(5, "count", Ty::Int, false), Field::new(7, "tolerations", Ty::Msg(513), true), Field::new(8, "", Ty::Ignore, false)],
    // api.resource.v1beta1.DeviceToleration
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "value", Ty::Str, false), Field::new(4, "effect", Ty::Str, false), Field::new(5, "tolerationSeconds", Ty::Int, false)],
    // api.resource.v1beta1.DeviceConfiguration (inline)
    &[Field::new(1, "opaque", Ty::Msg(511), false)],
    // api.resource.v1beta1.DeviceRequestAllocationResult
    &[Field::new(1, "request", Ty::Str, false), Field::new(2, "driver", Ty::Str, false), Field::new(3, "pool", Ty::Str, false), Field::new(4, "device", Ty::Str, false), Field::new(5, "adminAccess", Ty::Bool, false), Field::new(6, "tolerations", Ty::Msg(513), true), Field::new(7, "", Ty::Ignore, false), Field::new(8, "", Ty::Ignore, false), Field::new(9, "", Ty::Ignore, false), Field::new(10, "", Ty::Ignore, false)],
    // api.resource.v1beta1.DeviceAllocationConfiguration
    &[Field::new(1, "source", Ty::Str, false), Field::new(2, "requests", Ty::Str, true), Field::new(3, "", Ty::Inline(547), false)],
    // api.core.v1.NodeSelectorRequirement
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "values", Ty::Str, true)],
    // api.resource.v1beta1.DeviceAttribute
    &[Field::new(2, "int", Ty::Int, false), Field::new(3, "bool", Ty::Bool, false), Field::new(4, "string", Ty::Str, false), Field::new(5, "version", Ty::Str, false)],
    // api.resource.v1beta1.DeviceCapacity
    &[Field::new(1, "value", Ty::Special(Special::Quantity), false), Field::new(2, "", Ty::Ignore, false)],
    // api.resource.v1beta1.DeviceCounterConsumption
    &[Field::new(1, "counterSet", Ty::Str, false), Field::new(2, "counters", Ty::MapMsg(445), false)],
    // api.resource.v1beta1.DeviceTaint
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "value", Ty::Str, false), Field::new(3, "effect", Ty::Str, false), Field::new(4, "timeAdded", Ty::Special(Special::Time), false)],
    // api.resource.v1beta2.OpaqueDeviceConfiguration
    &[Field::new(1, "driver", Ty::Str, false), Field::new(2, "parameters", Ty::Special(Special::RawJson), false)],
    // api.resource.v1beta2.ExactDeviceRequest
    &[Field::new(1, "deviceClassName", Ty::Str, false), Field::new(2, "selectors", Ty::Msg(329), true), Field::new(3, "allocationMode", Ty::Str, false), Field::new(4, "count", Ty::Int, false), Field::new(5, "adminAccess", Ty::Bool, false), Field::new(6, "tolerations", Ty::Msg(548), true), Field::new(7, "", Ty::Ignore, false)],
    // api.resource.v1beta2.DeviceSubRequest
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "deviceClassName", Ty::Str, false), Field::new(3, "selectors", Ty::Msg(329), true), Field::new(4, "allocationMode", Ty::Str, false), Field::new(5, "count", Ty::Int, false), Field::new(6, "tolerations", Ty::Msg(548), true), Field::new(7, "", Ty::Ignore, false)],
    // api.resource.v1beta2.DeviceConfiguration (inline)
    &[Field::new(1, "opaque", Ty::Msg(522), false)],
    // api.resource.v1beta2.DeviceRequestAllocationResult
    &[Field::new(1, "request", Ty::Str, false), Field::new(2, "driver", Ty::Str, false), Field::new(3, "pool", Ty::Str, false), Field::new(4, "device", Ty::Str, false), Field::new(5, "adminAccess", Ty::Bool, false), Field::new(6, "tolerations", Ty::Msg(548), true), Field::new(7, "", Ty::Ignore, false), Field::new(8, "", Ty::Ignore, false), Field::new(9, "", Ty::Ignore, false), Field::new(10, "", Ty::Ignore, false)],
    // api.resource.v1beta2.DeviceAllocationConfiguration
    &[Field::new(1, "source", Ty::Str, false), Field::new(2, "requests", Ty::Str, true), Field::new(3, "", Ty::Inline(549), false)],
    // api.admissionregistration.v1.Rule (inline)
    &[Field::new(1, "apiGroups", Ty::Str, true), Field::new(2, "apiVersions", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "scope", Ty::Str, false)],
    // api.admissionregistration.v1.Rule (inline)
    &[Field::new(1, "apiGroups", Ty::Str, true), Field::new(2, "apiVersions", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "scope", Ty::Str, false)],
    // api.admissionregistration.v1.Rule (inline)
    &[Field::new(1, "apiGroups", Ty::Str, true), Field::new(2, "apiVersions", Ty::Str, true), Field::new(3, "resources", Ty::Str, true), Field::new(4, "scope", Ty::Str, false)],
    // api.core.v1.KeyToPath
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "path", Ty::Str, false), Field::new(3, "mode", Ty::Int, false)],
    // api.core.v1.DownwardAPIVolumeFile
    &[Field::new(1, "path", Ty::Str, false), Field::new(2, "fieldRef", Ty::Msg(537), false), Field::new(3, "resourceFieldRef", Ty::Msg(538), false), Field::new(4, "mode", Ty::Int, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.VolumeProjection
    &[Field::new(1, "secret", Ty::Msg(550), false), Field::new(2, "downwardAPI", Ty::Msg(551), false), Field::new(3, "configMap", Ty::Msg(552), false), Field::new(4, "serviceAccountToken", Ty::Msg(553), false), Field::new(5, "clusterTrustBundle", Ty::Msg(554), false), Field::new(6, "", Ty::Ignore, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.ObjectFieldSelector
    &[Field::new(1, "apiVersion", Ty::Str, false), Field::new(2, "fieldPath", Ty::Str, false)],
    // api.core.v1.ResourceFieldSelector
    &[Field::new(1, "containerName", Ty::Str, false), Field::new(2, "resource", Ty::Str, false), Field::new(3, "divisor", Ty::Special(Special::Quantity), false)],
    // api.core.v1.ConfigMapKeySelector
    &[Field::new(1, "", Ty::Inline(555), false), Field::new(2, "key", Ty::Str, false), Field::new(3, "optional", Ty::Bool, false)],
    // api.core.v1.SecretKeySelector
    &[Field::new(1, "", Ty::Inline(556), false), Field::new(2, "key", Ty::Str, false), Field::new(3, "optional", Ty::Bool, false)],
    // api.core.v1.ExecAction
    &[Field::new(1, "command", Ty::Str, true)],
    // api.core.v1.HttpGetAction
    &[Field::new(1, "path", Ty::Str, false), Field::new(2, "port", Ty::Special(Special::IntOrString), false), Field::new(3, "host", Ty::Str, false), Field::new(4, "scheme", Ty::Str, false), Field::new(5, "httpHeaders", Ty::Msg(557), true)],
    // api.core.v1.TcpSocketAction
    &[Field::new(1, "port", Ty::Special(Special::IntOrString), false), Field::new(2, "host", Ty::Str, false)],
    // api.core.v1.GrpcAction
    &[Field::new(1, "port", Ty::Int, false), Field::new(2, "service", Ty::Str, false)],
    // api.core.v1.SleepAction
    &[Field::new(1, "seconds", Ty::Int, false)],
    // api.networking.v1.HttpIngressPath
    &[Field::new(1, "path", Ty::Str, false), Field::new(3, "pathType", Ty::Str, false), Field::new(2, "backend", Ty::Msg(309), false)],
    // api.resource.v1beta1.DeviceConfiguration (inline)
    &[Field::new(1, "opaque", Ty::Msg(511), false)],
    // api.resource.v1beta2.DeviceToleration
    &[Field::new(1, "key", Ty::Str, false), Field::new(2, "operator", Ty::Str, false), Field::new(3, "value", Ty::Str, false), Field::new(4, "effect", Ty::Str, false), Field::new(5, "tolerationSeconds", Ty::Int, false)],
    // api.resource.v1beta2.DeviceConfiguration (inline)
    &[Field::new(1, "opaque", Ty::Msg(522), false)],
    // api.core.v1.SecretProjection
    &[Field::new(1, "", Ty::Inline(558), false), Field::new(2, "items", Ty::Msg(531), true), Field::new(4, "optional", Ty::Bool, false)],
    // api.core.v1.DownwardAPIProjection
    &[Field::new(1, "items", Ty::Msg(532), true)],
    // api.core.v1.ConfigMapProjection
    &[Field::new(1, "", Ty::Inline(559), false), Field::new(2, "items", Ty::Msg(531), true), Field::new(4, "optional", Ty::Bool, false)],
    // api.core.v1.ServiceAccountTokenProjection
    &[Field::new(1, "audience", Ty::Str, false), Field::new(2, "expirationSeconds", Ty::Int, false), Field::new(3, "path", Ty::Str, false)],
    // api.core.v1.ClusterTrustBundleProjection
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "signerName", Ty::Str, false), Field::new(3, "labelSelector", Ty::Msg(195), false), Field::new(5, "optional", Ty::Bool, false), Field::new(4, "path", Ty::Str, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.HttpHeader
    &[Field::new(1, "name", Ty::Str, false), Field::new(2, "value", Ty::Str, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
    // api.core.v1.LocalObjectReference (inline)
    &[Field::new(1, "name", Ty::Str, false)],
];

/// Top-level kinds by `<api package>/<version>/<Kind>` (`core/v1/Pod`, `apps/v1/Deployment`).
#[rustfmt::skip]
pub(super) static KINDS: &[(&str, usize)] = &[
    ("admissionregistration/v1/MutatingWebhookConfiguration", 0),
    ("admissionregistration/v1/ValidatingAdmissionPolicy", 1),
    ("admissionregistration/v1/ValidatingAdmissionPolicyBinding", 2),
    ("admissionregistration/v1/ValidatingWebhookConfiguration", 3),
    ("admissionregistration/v1alpha1/MutatingAdmissionPolicy", 4),
    ("admissionregistration/v1alpha1/MutatingAdmissionPolicyBinding", 5),
    ("admissionregistration/v1beta1/ValidatingAdmissionPolicy", 6),
    ("admissionregistration/v1beta1/ValidatingAdmissionPolicyBinding", 7),
    ("apiserverinternal/v1alpha1/StorageVersion", 8),
    ("apps/v1/ControllerRevision", 9),
    ("apps/v1/DaemonSet", 10),
    ("apps/v1/Deployment", 11),
    ("apps/v1/ReplicaSet", 12),
    ("apps/v1/StatefulSet", 13),
    ("authentication/v1/SelfSubjectReview", 14),
    ("authentication/v1/TokenRequest", 15),
    ("authentication/v1/TokenReview", 16),
    ("authorization/v1/LocalSubjectAccessReview", 17),
    ("authorization/v1/SelfSubjectAccessReview", 18),
    ("authorization/v1/SelfSubjectRulesReview", 19),
    ("authorization/v1/SubjectAccessReview", 20),
    ("autoscaling/v1/HorizontalPodAutoscaler", 21),
    ("autoscaling/v1/Scale", 22),
    ("autoscaling/v2/HorizontalPodAutoscaler", 23),
    ("batch/v1/CronJob", 24),
    ("batch/v1/Job", 25),
    ("batch/v1/JobTemplateSpec", 26),
    ("certificates/v1/CertificateSigningRequest", 27),
    ("certificates/v1alpha1/ClusterTrustBundle", 28),
    ("certificates/v1beta1/ClusterTrustBundle", 29),
    ("coordination/v1/Lease", 30),
    ("coordination/v1alpha2/LeaseCandidate", 31),
    ("coordination/v1beta1/LeaseCandidate", 32),
    ("core/v1/Binding", 33),
    ("core/v1/ComponentStatus", 34),
    ("core/v1/ConfigMap", 35),
    ("core/v1/Endpoints", 36),
    ("core/v1/Event", 37),
    ("core/v1/LimitRange", 38),
    ("core/v1/Namespace", 39),
    ("core/v1/Node", 40),
    ("core/v1/PersistentVolume", 41),
    ("core/v1/PersistentVolumeClaim", 42),
    ("core/v1/PersistentVolumeClaimTemplate", 43),
    ("core/v1/Pod", 44),
    ("core/v1/PodTemplate", 45),
    ("core/v1/PodTemplateSpec", 46),
    ("core/v1/ReplicationController", 47),
    ("core/v1/ResourceQuota", 48),
    ("core/v1/Secret", 49),
    ("core/v1/Service", 50),
    ("core/v1/ServiceAccount", 51),
    ("discovery/v1/EndpointSlice", 52),
    ("events/v1/Event", 53),
    ("flowcontrol/v1/FlowSchema", 54),
    ("flowcontrol/v1/PriorityLevelConfiguration", 55),
    ("networking/v1/IPAddress", 56),
    ("networking/v1/Ingress", 57),
    ("networking/v1/IngressClass", 58),
    ("networking/v1/NetworkPolicy", 59),
    ("networking/v1/ServiceCIDR", 60),
    ("networking/v1beta1/IPAddress", 61),
    ("networking/v1beta1/ServiceCIDR", 62),
    ("node/v1/RuntimeClass", 63),
    ("policy/v1/Eviction", 64),
    ("policy/v1/PodDisruptionBudget", 65),
    ("rbac/v1/ClusterRole", 66),
    ("rbac/v1/ClusterRoleBinding", 67),
    ("rbac/v1/Role", 68),
    ("rbac/v1/RoleBinding", 69),
    ("resource/v1alpha3/DeviceTaintRule", 70),
    ("resource/v1beta1/DeviceClass", 71),
    ("resource/v1beta1/ResourceClaim", 72),
    ("resource/v1beta1/ResourceClaimTemplate", 73),
    ("resource/v1beta1/ResourceClaimTemplateSpec", 74),
    ("resource/v1beta1/ResourceSlice", 75),
    ("resource/v1beta2/DeviceClass", 76),
    ("resource/v1beta2/ResourceClaim", 77),
    ("resource/v1beta2/ResourceClaimTemplate", 78),
    ("resource/v1beta2/ResourceClaimTemplateSpec", 79),
    ("resource/v1beta2/ResourceSlice", 80),
    ("scheduling/v1/PriorityClass", 81),
    ("storage/v1/CSIDriver", 82),
    ("storage/v1/CSINode", 83),
    ("storage/v1/CSIStorageCapacity", 84),
    ("storage/v1/StorageClass", 85),
    ("storage/v1/VolumeAttachment", 86),
    ("storage/v1alpha1/VolumeAttributesClass", 87),
    ("storage/v1beta1/VolumeAttributesClass", 88),
    ("meta/v1/DeleteOptions", 89),
    ("core/v1/DeleteOptions", 89),
];
