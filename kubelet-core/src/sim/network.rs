//! The simulated CNI plugin: addresses from the node's pod CIDR through [`Ipam`].

use crate::cni::{
    CniError, CniInterface, CniIpConfig, CniResult, NetworkAttachment, NetworkPlugin,
};
use crate::ipam::{Ipam, IpamError};
use async_trait::async_trait;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// A CNI plugin that hands out addresses from one CIDR and keeps attachments in memory.
#[derive(Debug)]
pub struct SimNetwork {
    state: Mutex<(Ipam, HashMap<String, Ipv4Addr>)>,
}

impl SimNetwork {
    /// A plugin over the pod CIDR `cidr`.
    pub fn new(cidr: &str) -> Result<Self, IpamError> {
        Ok(Self { state: Mutex::new((Ipam::new(cidr)?, HashMap::new())) })
    }

    /// Number of attached sandboxes.
    pub fn attached(&self) -> usize {
        self.state.lock().1.len()
    }
}

#[async_trait]
impl NetworkPlugin for SimNetwork {
    fn name(&self) -> &str {
        "capstan-sim"
    }

    async fn add(&self, a: &NetworkAttachment) -> Result<CniResult, CniError> {
        let mut st = self.state.lock();
        let (ipam, attached) = &mut *st;
        let ip = match attached.get(&a.container_id) {
            Some(ip) => *ip,
            None => {
                let ip =
                    ipam.allocate().ok_or_else(|| CniError::Exhausted(ipam.cidr().to_owned()))?;
                attached.insert(a.container_id.clone(), ip);
                ip
            }
        };
        Ok(CniResult {
            cni_version: "1.0.0".into(),
            interfaces: vec![CniInterface {
                name: a.if_name.clone(),
                mac: String::new(),
                sandbox: a.netns.clone(),
            }],
            ips: vec![CniIpConfig {
                address: format!("{ip}/{}", ipam.prefix_len()),
                gateway: Some(ipam.gateway().to_string()),
                interface: Some(0),
            }],
            routes: Vec::new(),
            dns: None,
        })
    }

    async fn del(&self, a: &NetworkAttachment) -> Result<(), CniError> {
        let mut st = self.state.lock();
        let (ipam, attached) = &mut *st;
        if let Some(ip) = attached.remove(&a.container_id) {
            ipam.release(ip);
        }
        Ok(())
    }

    async fn check(&self, a: &NetworkAttachment) -> Result<(), CniError> {
        if self.state.lock().1.contains_key(&a.container_id) {
            Ok(())
        } else {
            Err(CniError::NotFound(a.container_id.clone()))
        }
    }
}
