//! The EndpointSlice controller: for every Service with a selector, `discovery.k8s.io/v1`
//! EndpointSlices listing its pods' addresses with ready / serving / terminating
//! conditions, node, zone and target reference, ports resolved per pod (named container
//! ports), at most 100 endpoints per slice; plus the legacy `core/v1` Endpoints object.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use parking_lot::Mutex;
use std::sync::Arc;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort as CorePort, EndpointSubset, Endpoints, Node, ObjectReference,
    Pod, Service,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Api;
use kube::api::{DeleteParams, PostParams};

use crate::controller::{Controller, ControllerError};
use crate::informer::{NAMESPACE_INDEX, Store, namespace_index};
use crate::manager::Manager;
use crate::owner::controller_reference;
use crate::reconciler::{Action, ReconcileError, Reconciler, Request};

/// The credentials this controller writes with: Kubernetes' ServiceAccount
/// `kube-system/endpointslice-controller` (see [`Manager::client_for`]).
pub const CREDENTIALS: &str = "endpointslice-controller";

/// Label naming a slice's Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// Label naming who manages a slice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// This controller's [`MANAGED_BY_LABEL`] value.
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
/// The node label with the zone.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// Endpoints per slice.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// Reconciles the slices (and Endpoints) of Services.
pub struct EndpointSliceReconciler {
    client: kube::Client,
    services: Store<Service>,
    pods: Store<Pod>,
    nodes: Store<Node>,
    slices: Store<EndpointSlice>,
    /// Slices created and not yet seen in the cache, per Service.
    pending: Mutex<HashMap<Request, HashSet<String>>>,
}

impl std::fmt::Debug for EndpointSliceReconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointSliceReconciler").finish()
    }
}

fn selects(service: &Service, labels: Option<&BTreeMap<String, String>>) -> bool {
    let Some(selector) =
        service.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty())
    else {
        return false;
    };
    selector.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// The controller on `manager`'s informers: Services, their pods (by selector), their
/// slices (by label).
pub fn controller(
    manager: &Manager,
) -> Result<Controller<EndpointSliceReconciler>, ControllerError> {
    let services = manager.factory().informer::<Service>();
    services.add_indexer(NAMESPACE_INDEX, namespace_index());
    let service_store = services.store();
    let reconciler = EndpointSliceReconciler {
        client: manager.client_for(CREDENTIALS),
        services: service_store.clone(),
        pods: manager.factory().informer::<Pod>().store(),
        nodes: manager.factory().informer::<Node>().store(),
        slices: manager.factory().informer::<EndpointSlice>().store(),
        pending: Mutex::new(HashMap::new()),
    };
    manager
        .controller("endpointslice")
        .for_kind::<Service>()
        .watches::<Pod>(move |pod: &Pod| {
            let ns = pod.metadata.namespace.clone().unwrap_or_default();
            service_store
                .by_index(NAMESPACE_INDEX, &ns)
                .unwrap_or_default()
                .iter()
                .filter(|s| selects(s, pod.metadata.labels.as_ref()))
                .map(|s| Request::of(s.as_ref()))
                .collect()
        })
        .watches::<EndpointSlice>(|slice: &EndpointSlice| {
            let labels = slice.metadata.labels.as_ref();
            match (
                labels.and_then(|l| l.get(MANAGED_BY_LABEL)),
                labels.and_then(|l| l.get(SERVICE_NAME_LABEL)),
            ) {
                (Some(m), Some(svc)) if m == MANAGED_BY => {
                    vec![Request::namespaced(
                        slice.metadata.namespace.as_deref().unwrap_or_default(),
                        svc,
                    )]
                }
                _ => vec![],
            }
        })
        .build(reconciler)
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The pod's port for a Service port (`None`: a named port the pod does not have).
fn resolve_port(pod: &Pod, target: Option<&IntOrString>, port: i32) -> Option<i32> {
    match target {
        None => Some(port),
        Some(IntOrString::Int(p)) => Some(*p),
        Some(IntOrString::String(name)) => {
            if let Ok(p) = name.parse::<i32>() {
                return Some(p);
            }
            pod.spec.as_ref()?.containers.iter().flat_map(|c| c.ports.iter().flatten()).find_map(
                |p| (p.name.as_deref() == Some(name.as_str())).then_some(p.container_port),
            )
        }
    }
}

/// One endpoint and the ports it resolved.
struct PodEndpoint {
    endpoint: Endpoint,
    ports: Vec<EndpointPort>,
}

impl EndpointSliceReconciler {
    fn endpoint(&self, service: &Service, pod: &Pod, family: &str) -> Option<PodEndpoint> {
        let status = pod.status.as_ref()?;
        if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
            return None;
        }
        let v6 = family == "IPv6";
        let mut ips: Vec<String> = status.pod_ips.iter().flatten().map(|p| p.ip.clone()).collect();
        if ips.is_empty() {
            ips.extend(status.pod_ip.clone());
        }
        let ip = ips.into_iter().find(|ip| ip.contains(':') == v6)?;
        let spec = service.spec.as_ref()?;
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let serving = pod_ready(pod);
        let publish = spec.publish_not_ready_addresses == Some(true);
        let ready = publish || (serving && !terminating);
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty());
        let zone = node
            .as_deref()
            .and_then(|n| self.nodes.get_named(None, n))
            .and_then(|n| n.metadata.labels.as_ref()?.get(ZONE_LABEL).cloned());
        let pod_spec = pod.spec.as_ref();
        let hostname = pod_spec.and_then(|s| s.hostname.clone()).filter(|_| {
            pod_spec.and_then(|s| s.subdomain.as_deref()) == service.metadata.name.as_deref()
        });
        let ports = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|p| {
                Some(EndpointPort {
                    name: Some(p.name.clone().unwrap_or_default()),
                    port: Some(resolve_port(pod, p.target_port.as_ref(), p.port)?),
                    protocol: Some(p.protocol.clone().unwrap_or_else(|| "TCP".into())),
                    app_protocol: p.app_protocol.clone(),
                })
            })
            .collect();
        Some(PodEndpoint {
            endpoint: Endpoint {
                addresses: vec![ip],
                conditions: Some(EndpointConditions {
                    ready: Some(ready),
                    serving: Some(serving),
                    terminating: Some(terminating),
                }),
                hostname,
                node_name: node,
                zone,
                target_ref: Some(ObjectReference {
                    kind: Some("Pod".into()),
                    name: pod.metadata.name.clone(),
                    namespace: pod.metadata.namespace.clone(),
                    uid: pod.metadata.uid.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ports,
        })
    }

    /// The slices `service` should have: endpoints grouped by resolved ports, chunked.
    fn desired(&self, service: &Service, family: &str) -> Vec<(Vec<EndpointPort>, Vec<Endpoint>)> {
        let ns = service.metadata.namespace.as_deref();
        let mut pods: Vec<Arc<Pod>> = self
            .pods
            .list()
            .into_iter()
            .filter(|p| {
                p.metadata.namespace.as_deref() == ns
                    && selects(service, p.metadata.labels.as_ref())
            })
            .collect();
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let mut groups: Vec<(Vec<EndpointPort>, Vec<Endpoint>)> = Vec::new();
        for pod in &pods {
            let Some(pe) = self.endpoint(service, pod, family) else { continue };
            match groups.iter_mut().find(|(ports, _)| *ports == pe.ports) {
                Some((_, eps)) => eps.push(pe.endpoint),
                None => groups.push((pe.ports, vec![pe.endpoint])),
            }
        }
        let mut slices = Vec::new();
        for (ports, eps) in groups {
            for chunk in eps.chunks(MAX_ENDPOINTS_PER_SLICE) {
                slices.push((ports.clone(), chunk.to_vec()));
            }
        }
        if slices.is_empty() {
            // An empty slice says "no endpoints" rather than "not yet reconciled".
            slices.push((Vec::new(), Vec::new()));
        }
        slices
    }

    async fn sync_endpoints(
        &self,
        service: &Service,
        slices: &[(Vec<EndpointPort>, Vec<Endpoint>)],
    ) -> Result<(), ReconcileError> {
        let ns = service.metadata.namespace.clone().unwrap_or_default();
        let name = service.metadata.name.clone().unwrap_or_default();
        let subsets: Vec<EndpointSubset> = slices
            .iter()
            .filter(|(_, eps)| !eps.is_empty())
            .map(|(ports, eps)| {
                let address = |e: &Endpoint| EndpointAddress {
                    ip: e.addresses[0].clone(),
                    hostname: e.hostname.clone(),
                    node_name: e.node_name.clone(),
                    target_ref: e.target_ref.clone(),
                };
                let ready =
                    |e: &&Endpoint| e.conditions.as_ref().and_then(|c| c.ready) == Some(true);
                let addresses: Vec<EndpointAddress> =
                    eps.iter().filter(ready).map(address).collect();
                let not_ready: Vec<EndpointAddress> =
                    eps.iter().filter(|e| !ready(e)).map(address).collect();
                EndpointSubset {
                    addresses: (!addresses.is_empty()).then_some(addresses),
                    not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
                    ports: Some(
                        ports
                            .iter()
                            .map(|p| CorePort {
                                name: p.name.clone().filter(|n| !n.is_empty()),
                                port: p.port.unwrap_or_default(),
                                protocol: p.protocol.clone(),
                                app_protocol: p.app_protocol.clone(),
                            })
                            .collect(),
                    ),
                }
            })
            .collect();
        let api: Api<Endpoints> = Api::namespaced(self.client.clone(), &ns);
        let subsets = (!subsets.is_empty()).then_some(subsets);
        match api.get_opt(&name).await? {
            Some(existing) if existing.subsets == subsets => Ok(()),
            Some(mut existing) => {
                existing.subsets = subsets;
                api.replace(&name, &PostParams::default(), &existing).await?;
                Ok(())
            }
            None => {
                let mut labels = service.metadata.labels.clone().unwrap_or_default();
                labels.insert(SERVICE_NAME_LABEL.into(), name.clone());
                let endpoints = Endpoints {
                    metadata: ObjectMeta {
                        name: Some(name),
                        labels: Some(labels),
                        ..Default::default()
                    },
                    subsets,
                };
                match api.create(&PostParams::default(), &endpoints).await {
                    Ok(_) => Ok(()),
                    Err(kube::Error::Api(s)) if s.code == 409 => {
                        Err(ReconcileError::retryable("endpoints created concurrently"))
                    }
                    Err(e) => Err(e.into()),
                }
            }
        }
    }
}

#[async_trait]
impl Reconciler for EndpointSliceReconciler {
    type Error = ReconcileError;

    async fn reconcile(&self, request: Request) -> Result<Action, ReconcileError> {
        let ns = request.namespace.clone().unwrap_or_default();
        let api: Api<EndpointSlice> = Api::namespaced(self.client.clone(), &ns);
        let mut existing: Vec<Arc<EndpointSlice>> = self
            .slices
            .list()
            .into_iter()
            .filter(|s| {
                let labels = s.metadata.labels.as_ref();
                s.metadata.namespace.as_deref() == Some(ns.as_str())
                    && labels.and_then(|l| l.get(SERVICE_NAME_LABEL)) == Some(&request.name)
                    && labels.and_then(|l| l.get(MANAGED_BY_LABEL)).map(String::as_str)
                        == Some(MANAGED_BY)
                    && s.metadata.deletion_timestamp.is_none()
            })
            .collect();
        existing.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        // Act only on a cache that has seen this controller's own creations (or a
        // slice created and already deleted again).
        let unseen: Vec<String> = {
            let mut pending = self.pending.lock();
            let names = pending.entry(request.clone()).or_default();
            names.retain(|n| {
                !existing.iter().any(|s| s.metadata.name.as_deref() == Some(n.as_str()))
            });
            names.iter().cloned().collect()
        };
        for name in unseen {
            if api.get_opt(&name).await?.is_some() {
                return Ok(Action::RequeueAfter(Duration::from_millis(50)));
            }
            if let Some(names) = self.pending.lock().get_mut(&request) {
                names.remove(&name);
            }
        }
        self.pending.lock().retain(|_, names| !names.is_empty());
        let service = self.services.get_named(Some(&ns), &request.name);
        let service = service.filter(|s| {
            s.spec.as_ref().and_then(|s| s.selector.as_ref()).is_some_and(|s| !s.is_empty())
        });
        let Some(service) = service else {
            for slice in existing {
                match api
                    .delete(
                        slice.metadata.name.as_deref().unwrap_or_default(),
                        &DeleteParams::default(),
                    )
                    .await
                {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(e.into()),
                }
            }
            return Ok(Action::Done);
        };
        let family = service
            .spec
            .as_ref()
            .and_then(|s| s.ip_families.as_ref())
            .and_then(|f| f.first().cloned())
            .unwrap_or_else(|| "IPv4".into());
        let desired = self.desired(&service, &family);
        let mut labels = service.metadata.labels.clone().unwrap_or_default();
        labels.insert(SERVICE_NAME_LABEL.into(), request.name.clone());
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
        let owner = controller_reference(service.as_ref())
            .map_err(|e| ReconcileError::terminal(e.to_string()))?;
        for (i, (ports, endpoints)) in desired.iter().enumerate() {
            let ports = (!ports.is_empty()).then(|| ports.clone());
            match existing.get(i) {
                Some(current)
                    if current.endpoints == *endpoints
                        && current.ports == ports
                        && current.address_type == family
                        && current.metadata.labels.as_ref() == Some(&labels) => {}
                Some(current) => {
                    let mut slice = (**current).clone();
                    slice.endpoints = endpoints.clone();
                    slice.ports = ports;
                    slice.metadata.labels = Some(labels.clone());
                    if slice.address_type != family {
                        // The address type is immutable: replace the slice.
                        api.delete(
                            slice.metadata.name.as_deref().unwrap_or_default(),
                            &DeleteParams::default(),
                        )
                        .await?;
                        return Ok(Action::Requeue);
                    }
                    api.replace(
                        slice.metadata.name.as_deref().unwrap_or_default(),
                        &PostParams::default(),
                        &slice,
                    )
                    .await?;
                }
                None => {
                    let slice = EndpointSlice {
                        metadata: ObjectMeta {
                            generate_name: Some(format!("{}-", request.name)),
                            labels: Some(labels.clone()),
                            owner_references: Some(vec![owner.clone()]),
                            ..Default::default()
                        },
                        address_type: family.clone(),
                        endpoints: endpoints.clone(),
                        ports,
                    };
                    let created = api.create(&PostParams::default(), &slice).await?;
                    if let Some(name) = created.metadata.name {
                        self.pending.lock().entry(request.clone()).or_default().insert(name);
                    }
                }
            }
        }
        for extra in existing.iter().skip(desired.len()) {
            match api
                .delete(
                    extra.metadata.name.as_deref().unwrap_or_default(),
                    &DeleteParams::default(),
                )
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.sync_endpoints(&service, &desired).await?;
        Ok(Action::Done)
    }
}
