//! The initial objects of a new cluster: the namespaces `default`, `kube-system`, `kube-public` and `kube-node-lease`.

use capstan_api_types::GroupVersionResource;
use serde_json::json;

use super::Inner;
use super::registry::encode_for_store;
use super::{ids, strategy::set_path};
use crate::status::{ApiError, StoreOperation};

/// The namespaces every cluster starts with.
pub const INITIAL_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Creates the initial namespaces that do not exist yet (Active).
pub(crate) async fn initial_objects(inner: &Inner) -> Result<(), ApiError> {
    let Some(res) = inner.resources.get(&GroupVersionResource::new("", "v1", "namespaces")) else {
        return Ok(());
    };
    for name in INITIAL_NAMESPACES {
        if res.read(inner.store.as_ref(), "", name).await?.is_some() {
            continue;
        }
        let mut ns = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "uid": ids::new_uid(), "creationTimestamp": ids::now_rfc3339()},
        });
        res.strategy.prepare_for_create(&mut ns);
        res.strategy.default(&mut ns)?;
        set_path(&mut ns, &["status", "phase"], json!("Active"));
        let bytes = encode_for_store(&mut ns)?;
        match inner.store.create(&res.key("", name), bytes, 0).await {
            Ok(_) | Err(capstan_store::StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(ApiError::from_store(StoreOperation::Create, &res.gr, name, e)),
        }
    }
    Ok(())
}
