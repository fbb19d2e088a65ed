//! [`ApiConfigSource`]: ConfigMaps and Secrets for volumes from shared informer caches
//! (with a GET on a cache miss); [`OpaqueTokenSource`]: placeholder service-account tokens.

use super::is_code;
use crate::source::{ConfigSource, SourceError, TokenRequest, TokenSource, UnsignedTokenSource};
use async_trait::async_trait;
use capstan_controller_runtime::Shutdown;
use capstan_controller_runtime::informer::{ReflectorConfig, SharedInformer};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// ConfigMaps and Secrets read through the client. One informer per kind caches every
/// namespace (share one source among the nodes of a process); an object not yet in the
/// cache is read with a GET.
pub struct ApiConfigSource {
    client: kube::Client,
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
        Arc::new(Self { client, config_maps, secrets })
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
        let cached = self.config_maps.store().get_named(Some(namespace), name);
        self.get(cached, "configmap", namespace, name).await
    }

    async fn secret(&self, namespace: &str, name: &str) -> Result<Arc<Secret>, SourceError> {
        let cached = self.secrets.store().get_named(Some(namespace), name);
        self.get(cached, "secret", namespace, name).await
    }
}

/// Service-account tokens for projected volumes, unsigned and opaque: the API server does
/// not authenticate yet, so there is no TokenRequest to call and no key to sign with. The
/// token names the service account, audience and pod in readable text; once
/// authentication exists this becomes a `serviceaccounts/<sa>/token` request.
#[derive(Debug, Default)]
pub struct OpaqueTokenSource;

#[async_trait]
impl TokenSource for OpaqueTokenSource {
    async fn token(&self, req: &TokenRequest) -> Result<String, SourceError> {
        UnsignedTokenSource.token(req).await
    }
}
