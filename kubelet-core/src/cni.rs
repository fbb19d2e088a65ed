//! The network plugin interface, shaped after CNI: ADD, DEL and CHECK for a sandbox.
//!
//! Field names follow the CNI specification's result format (`cniVersion`, `interfaces`,
//! `ips`, `routes`, `dns`), so a plugin executor deserialises a plugin's stdout straight
//! into [`CniResult`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What a CNI operation is about: one sandbox's network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAttachment {
    /// `CNI_CONTAINERID`: the sandbox id.
    pub container_id: String,
    /// `CNI_NETNS`: path of the sandbox's network namespace.
    pub netns: String,
    /// `CNI_IFNAME`: interface name inside the namespace (`eth0`).
    pub if_name: String,
    /// `K8S_POD_NAMESPACE`.
    pub pod_namespace: String,
    /// `K8S_POD_NAME`.
    pub pod_name: String,
    /// `K8S_POD_UID`.
    pub pod_uid: String,
}

/// A CNI result (`cniVersion` 1.0 shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CniResult {
    /// Version of the result format.
    pub cni_version: String,
    /// Interfaces created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<CniInterface>,
    /// Addresses assigned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<CniIpConfig>,
    /// Routes installed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<CniRoute>,
    /// DNS configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<CniDns>,
}

impl CniResult {
    /// The addresses without prefix length (`10.0.0.5`), in result order.
    pub fn addresses(&self) -> Vec<String> {
        self.ips
            .iter()
            .map(|ip| ip.address.split('/').next().unwrap_or_default().to_owned())
            .collect()
    }
}

/// One interface of a CNI result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CniInterface {
    /// Interface name.
    pub name: String,
    /// MAC address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac: String,
    /// Network namespace path (empty for host interfaces).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sandbox: String,
}

/// One address of a CNI result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CniIpConfig {
    /// Address in CIDR notation (`10.244.1.5/24`).
    pub address: String,
    /// Gateway address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Index into `interfaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<u32>,
}

/// One route of a CNI result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CniRoute {
    /// Destination in CIDR notation.
    pub dst: String,
    /// Next hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gw: Option<String>,
}

/// DNS settings of a CNI result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CniDns {
    /// Name servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    /// Search domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
}

/// A failed CNI operation (CNI error codes where they exist).
#[derive(Debug, thiserror::Error)]
pub enum CniError {
    /// No address left in the range (IPAM exhausted).
    #[error("no IP addresses available in range {0}")]
    Exhausted(String),
    /// The attachment is unknown (CHECK of something never added).
    #[error("no network attachment for container {0}")]
    NotFound(String),
    /// The plugin failed.
    #[error("network plugin failed: {0}")]
    Plugin(String),
}

/// A CNI network plugin.
#[async_trait]
pub trait NetworkPlugin: Send + Sync {
    /// Plugin (network) name.
    fn name(&self) -> &str;
    /// ADD: attaches the sandbox and returns its addresses.
    async fn add(&self, attachment: &NetworkAttachment) -> Result<CniResult, CniError>;
    /// DEL: detaches the sandbox and releases its addresses; idempotent.
    async fn del(&self, attachment: &NetworkAttachment) -> Result<(), CniError>;
    /// CHECK: verifies the attachment still exists.
    async fn check(&self, attachment: &NetworkAttachment) -> Result<(), CniError>;
}
