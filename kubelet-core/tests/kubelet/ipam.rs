//! IPAM never hands out one address twice and reuses released ones; the simulated CNI
//! plugin's ADD is idempotent per sandbox and DEL releases.

use capstan_kubelet_core::cni::{NetworkAttachment, NetworkPlugin};
use capstan_kubelet_core::ipam::Ipam;
use capstan_kubelet_core::sim::SimNetwork;
use std::collections::HashSet;

#[test]
fn never_twice_and_released_addresses_come_back() {
    let mut ipam = Ipam::new("10.9.0.0/24").unwrap();
    let mut seen = HashSet::new();
    while let Some(ip) = ipam.allocate() {
        assert!(seen.insert(ip), "{ip} handed out twice");
    }
    assert_eq!(seen.len(), 253);
    assert_eq!(ipam.allocated(), 253);
    let freed: Vec<_> = seen.iter().copied().take(10).collect();
    for ip in &freed {
        assert!(ipam.release(*ip));
    }
    let again: HashSet<_> = std::iter::from_fn(|| ipam.allocate()).collect();
    assert_eq!(again, freed.into_iter().collect::<HashSet<_>>());
    assert!(ipam.allocate().is_none());
}

fn att(id: &str) -> NetworkAttachment {
    NetworkAttachment {
        container_id: id.into(),
        netns: format!("/var/run/netns/{id}"),
        if_name: "eth0".into(),
        pod_namespace: "default".into(),
        pod_name: id.into(),
        pod_uid: id.into(),
    }
}

#[tokio::test]
async fn cni_add_is_idempotent_and_del_releases() {
    let net = SimNetwork::new("10.9.1.0/29").unwrap();
    let a = net.add(&att("a")).await.unwrap();
    assert_eq!(a, net.add(&att("a")).await.unwrap());
    assert_eq!(a.ips[0].address, "10.9.1.2/29");
    assert_eq!(a.ips[0].gateway.as_deref(), Some("10.9.1.1"));
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["cniVersion"], "1.0.0");
    assert_eq!(json["interfaces"][0]["sandbox"], "/var/run/netns/a");
    for id in ["b", "c", "d", "e"] {
        net.add(&att(id)).await.unwrap();
    }
    assert!(net.add(&att("f")).await.is_err(), "a /29 has 5 pod addresses");
    net.check(&att("c")).await.unwrap();
    net.del(&att("c")).await.unwrap();
    assert!(net.check(&att("c")).await.is_err());
    let f = net.add(&att("f")).await.unwrap();
    assert_eq!(f.addresses(), ["10.9.1.4"], "c's address is reused");
}
