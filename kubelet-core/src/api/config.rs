//! [`ApiConfigSource`]: ConfigMaps and Secrets for volumes from shared informer caches
//! (with a GET on a cache miss) or read one by one; [`ApiTokenSource`]: service-account
//! tokens from the TokenRequest API; [`OpaqueTokenSource`]: unsigned placeholder tokens.

use super::is_code;
use crate::source::{ConfigSource, SourceError, TokenRequest, TokenSource, UnsignedTokenSource};
use async_trait::async_trait;
use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::informer::{ReflectorConfig, SharedInformer};
use k8s_openapi::api::authentication::v1::{
    BoundObjectReference, TokenRequest as TokenRequestObject, TokenRequestSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use kube::Api;
use kube::api::PostParams;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// ConfigMaps and Secrets read through the client. Started with [`ApiConfigSource::start`],
/// one informer per kind caches every namespace (share one source among the nodes of a
/// process) and an object not yet in the cache is read with a GET; made with
/// [`ApiConfigSource::direct`], each object is read with a GET when a volume needs it —
/// what a kubelet restricted to its own pods' objects by the Node authorizer can do.
pub struct ApiConfigSource {
    client: kube::Client,
    caches: Option<Caches>,
}

/// The shared informers of a cached [`ApiConfigSource`].
struct Caches {
    config_maps: Arc<SharedInformer<ConfigMap>>,
    secrets: Arc<SharedInformer<Secret>>,
}

impl std::fmt::Debug for ApiConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfigSource").finish_non_exhaustive()
    }
}

impl ApiConfigSource {
    /// Starts the two informers until `shutdown` fires.
    pub fn start(client: kube::Client, shutdown: &Shutdown) -> Arc<Self> {
        let config_maps = SharedInformer::new(client.clone(), (), ReflectorConfig::default());
        let secrets = SharedInformer::new(client.clone(), (), ReflectorConfig::default());
        config_maps.start(shutdown);
        secrets.start(shutdown);
        Arc::new(Self { client, caches: Some(Caches { config_maps, secrets }) })
    }

    /// Reads every object with a GET through `client` (no cache, no list or watch).
    pub fn direct(client: kube::Client) -> Arc<Self> {
        Arc::new(Self { client, caches: None })
    }

    async fn get<K>(
        &self,
        cached: Option<Arc<K>>,
        kind: &'static str,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<K>, SourceError>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        if let Some(obj) = cached {
            return Ok(obj);
        }
        let api: Api<K> = Api::namespaced(self.client.clone(), namespace);
        match api.get(name).await {
            Ok(obj) => Ok(Arc::new(obj)),
            Err(e) if is_code(&e, 404) => {
                Err(SourceError::NotFound { kind, namespace: namespace.into(), name: name.into() })
            }
            Err(e) => Err(SourceError::Unavailable(e.to_string())),
        }
    }
}

#[async_trait]
impl ConfigSource for ApiConfigSource {
    async fn config_map(&self, namespace: &str, name: &str) -> Result<Arc<ConfigMap>, SourceError> {
        let cached = self
            .caches
            .as_ref()
            .and_then(|c| c.config_maps.store().get_named(Some(namespace), name));
        self.get(cached, "configmap", namespace, name).await
    }

    async fn secret(&self, namespace: &str, name: &str) -> Result<Arc<Secret>, SourceError> {
        let cached =
            self.caches.as_ref().and_then(|c| c.secrets.store().get_named(Some(namespace), name));
        self.get(cached, "secret", namespace, name).await
    }
}

/// Service-account tokens for projected volumes, unsigned and opaque, for an API server
/// that does not authenticate (so has no TokenRequest to call and no key to sign with):
/// the token names the service account, audience and pod in readable text. Against a
/// secure API server use [`ApiTokenSource`].
#[derive(Debug, Default)]
pub struct OpaqueTokenSource;

#[async_trait]
impl TokenSource for OpaqueTokenSource {
    async fn token(&self, req: &TokenRequest) -> Result<String, SourceError> {
        UnsignedTokenSource.token(req).await
    }
}

/// Service-account tokens from the API server's TokenRequest API
/// (`POST serviceaccounts/<sa>/token`), bound to the pod, with the volume's audience and
/// lifetime: signed tokens the API server authenticates, as a kubelet gets them. The Node
/// authorizer lets a kubelet ask only for the service accounts of its own pods.
#[derive(Clone)]
pub struct ApiTokenSource {
    client: kube::Client,
}

impl std::fmt::Debug for ApiTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTokenSource").finish_non_exhaustive()
    }
}

impl ApiTokenSource {
    /// Requests tokens through `client` (the kubelet's own identity).
    pub fn new(client: kube::Client) -> Self {
        ApiTokenSource { client }
    }
}

#[async_trait]
impl TokenSource for ApiTokenSource {
    async fn token(&self, req: &TokenRequest) -> Result<String, SourceError> {
        let request = TokenRequestObject {
            spec: TokenRequestSpec {
                audiences: if req.audience.is_empty() {
                    Vec::new()
                } else {
                    vec![req.audience.clone()]
                },
                expiration_seconds: Some(req.expiration_seconds),
                bound_object_ref: Some(BoundObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Pod".into()),
                    name: Some(req.pod_name.clone()),
                    uid: Some(req.pod_uid.clone()).filter(|uid| !uid.is_empty()),
                }),
            },
            ..TokenRequestObject::default()
        };
        let accounts: Api<ServiceAccount> = Api::namespaced(self.client.clone(), &req.namespace);
        match accounts
            .create_token_request(&req.service_account, &PostParams::default(), &request)
            .await
        {
            Ok(issued) => issued.status.map(|s| s.token).ok_or_else(|| {
                SourceError::Unavailable(format!(
                    "the token request for serviceaccount {}/{} returned no token",
                    req.namespace, req.service_account
                ))
            }),
            Err(e) if is_code(&e, 404) => Err(SourceError::NotFound {
                kind: "serviceaccount",
                namespace: req.namespace.clone(),
                name: req.service_account.clone(),
            }),
            Err(e) => Err(SourceError::Unavailable(e.to_string())),
        }
    }
}
