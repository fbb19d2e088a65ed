//! `ApiBinder`: binds pods by POSTing a `Binding` to `pods/<name>/binding`.

use async_trait::async_trait;
use capstan_api_types::core::v1::Pod;
use kube::Api;
use kube::api::PostParams;

use crate::framework::binder::{BindError, Binder, Binding};

/// A [`Binder`] writing `pods/<name>/binding` through a `kube::Client`.
///
/// A 404 (the pod is gone) or 409 (the pod is already bound, being deleted, or its
/// uid changed) maps to [`BindError::Conflict`]; anything else to
/// [`BindError::Failed`]. Either way the scheduler forgets the assumed pod; the API
/// wiring then drops pods that are gone or bound instead of retrying them.
#[derive(Clone)]
pub struct ApiBinder {
    client: kube::Client,
}

impl ApiBinder {
    /// A binder using `client`.
    pub fn new(client: kube::Client) -> Self {
        ApiBinder { client }
    }
}

impl std::fmt::Debug for ApiBinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiBinder").finish_non_exhaustive()
    }
}

#[async_trait]
impl Binder for ApiBinder {
    async fn bind(&self, binding: &Binding) -> Result<(), BindError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &binding.namespace);
        let body = binding.to_api();
        let result: Result<serde_json::Value, kube::Error> =
            api.create_subresource("binding", &binding.name, &PostParams::default(), &body).await;
        match result {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {
                Err(BindError::Conflict {
                    pod: format!("{}/{}", binding.namespace, binding.name),
                    node: binding.node.clone(),
                    message: s.message.clone(),
                })
            }
            Err(e) => Err(BindError::Failed(e.to_string())),
        }
    }
}
