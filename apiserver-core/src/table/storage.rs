//! Storage printers: persistent volumes, persistent volume claims, storage classes.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::duration::translate_timestamp_since;
use super::format::access_modes;
use super::value::{arr_at, at, created, is_deleting, name, opt_bool_at, opt_str_at, str_at};
use super::{ColumnDefinition as Col, Row, TableRegistry};

const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

pub(crate) fn register(reg: &mut TableRegistry) {
    reg.register(
        "",
        "persistentvolumes",
        vec![
            Col::name(),
            Col::new("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity."),
            Col::new("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
            Col::new("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            Col::new("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            Col::new("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            Col::new("StorageClass", "string", "StorageClass of the pv"),
            Col::new("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
            Col::new("Reason", "string", "reason is a brief CamelCase string that describes any failure."),
            Col::age(),
            Col::new("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.").wide(),
        ],
        pv_row,
    );
    reg.register(
        "",
        "persistentvolumeclaims",
        vec![
            Col::name(),
            Col::new(
                "Status",
                "string",
                "phase represents the current phase of PersistentVolumeClaim.",
            ),
            Col::new(
                "Volume",
                "string",
                "volumeName is the binding reference to the PersistentVolume backing this claim.",
            ),
            Col::new(
                "Capacity",
                "string",
                "capacity represents the actual resources of the underlying volume.",
            ),
            Col::new(
                "Access Modes",
                "string",
                "accessModes contains the actual access modes the volume backing the PVC has.",
            ),
            Col::new("StorageClass", "string", "StorageClass of the pvc"),
            Col::new("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
            Col::age(),
            Col::new(
                "VolumeMode",
                "string",
                "volumeMode defines what type of volume is required by the claim.",
            )
            .wide(),
        ],
        pvc_row,
    );
    reg.register(
        "storage.k8s.io",
        "storageclasses",
        vec![
            Col::name(),
            Col::new("Provisioner", "string", "provisioner indicates the type of the provisioner."),
            Col::new("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
            Col::new("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
            Col::new("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
            Col::age(),
        ],
        storage_class_row,
    );
}

fn quantity_or_zero(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".to_string(),
    }
}

fn phase(obj: &Value) -> String {
    if is_deleting(obj) {
        "Terminating".to_string()
    } else {
        str_at(obj, &["status", "phase"]).to_string()
    }
}

fn pv_row(pv: &Value, now: Timestamp) -> Row {
    let claim = match at(pv, &["spec", "claimRef"]).filter(|c| c.is_object()) {
        Some(c) => format!("{}/{}", str_at(c, &["namespace"]), str_at(c, &["name"])),
        None => String::new(),
    };
    let class = opt_str_at(pv, &["metadata", "annotations", BETA_CLASS_ANNOTATION])
        .unwrap_or_else(|| str_at(pv, &["spec", "storageClassName"]));
    Row::new(vec![
        json!(name(pv)),
        json!(quantity_or_zero(at(pv, &["spec", "capacity", "storage"]))),
        json!(access_modes(arr_at(pv, &["spec", "accessModes"]))),
        json!(str_at(pv, &["spec", "persistentVolumeReclaimPolicy"])),
        json!(phase(pv)),
        json!(claim),
        json!(class),
        json!(opt_str_at(pv, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")),
        json!(str_at(pv, &["status", "reason"])),
        json!(translate_timestamp_since(created(pv), now)),
        json!(opt_str_at(pv, &["spec", "volumeMode"]).unwrap_or("<unset>")),
    ])
}

fn pvc_row(pvc: &Value, now: Timestamp) -> Row {
    let volume = str_at(pvc, &["spec", "volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity_or_zero(at(pvc, &["status", "capacity", "storage"])),
            access_modes(arr_at(pvc, &["status", "accessModes"])),
        )
    };
    let class = opt_str_at(pvc, &["metadata", "annotations", BETA_CLASS_ANNOTATION])
        .or_else(|| opt_str_at(pvc, &["spec", "storageClassName"]))
        .unwrap_or("");
    Row::new(vec![
        json!(name(pvc)),
        json!(phase(pvc)),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(class),
        json!(opt_str_at(pvc, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")),
        json!(translate_timestamp_since(created(pvc), now)),
        json!(opt_str_at(pvc, &["spec", "volumeMode"]).unwrap_or("<unset>")),
    ])
}

fn storage_class_row(sc: &Value, now: Timestamp) -> Row {
    let annotation = |k: &str| str_at(sc, &["metadata", "annotations", k]) == "true";
    let mut display = name(sc).to_string();
    if annotation("storageclass.kubernetes.io/is-default-class")
        || annotation("storageclass.beta.kubernetes.io/is-default-class")
    {
        display.push_str(" (default)");
    }
    Row::new(vec![
        json!(display),
        json!(str_at(sc, &["provisioner"])),
        json!(opt_str_at(sc, &["reclaimPolicy"]).unwrap_or("Delete")),
        json!(opt_str_at(sc, &["volumeBindingMode"]).unwrap_or("Immediate")),
        json!(opt_bool_at(sc, &["allowVolumeExpansion"]).unwrap_or(false)),
        json!(translate_timestamp_since(created(sc), now)),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ago, cells, column_names};
    use super::*;

    #[test]
    fn persistent_volumes() {
        let pv = json!({"metadata": {"name": "pv1", "creationTimestamp": ago(60)},
            "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "persistentVolumeReclaimPolicy": "Retain",
                     "claimRef": {"namespace": "default", "name": "data"}, "storageClassName": "fast", "volumeMode": "Filesystem"},
            "status": {"phase": "Bound"}});
        assert_eq!(
            cells("", "persistentvolumes", pv),
            vec![
                json!("pv1"),
                json!("10Gi"),
                json!("RWO,ROX"),
                json!("Retain"),
                json!("Bound"),
                json!("default/data"),
                json!("fast"),
                json!("<unset>"),
                json!(""),
                json!("60s"),
                json!("Filesystem")
            ]
        );
        let mut deleting = json!({"metadata": {"deletionTimestamp": ago(1), "annotations": {BETA_CLASS_ANNOTATION: "old"}}, "spec": {"storageClassName": "new"}});
        let c = cells("", "persistentvolumes", deleting.take());
        assert_eq!(
            (c[1].clone(), c[4].clone(), c[5].clone(), c[6].clone()),
            (json!("0"), json!("Terminating"), json!(""), json!("old"))
        );
        assert_eq!(column_names("", "persistentvolumes")[10], ("VolumeMode", 1));
    }

    #[test]
    fn persistent_volume_claims() {
        let bound = json!({"metadata": {"name": "data", "creationTimestamp": ago(60)},
            "spec": {"volumeName": "pv1", "storageClassName": "fast", "resources": {"requests": {"storage": "5Gi"}}},
            "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"]}});
        assert_eq!(
            cells("", "persistentvolumeclaims", bound),
            vec![
                json!("data"),
                json!("Bound"),
                json!("pv1"),
                json!("10Gi"),
                json!("RWO"),
                json!("fast"),
                json!("<unset>"),
                json!("60s"),
                json!("<unset>")
            ]
        );
        let pending = json!({"spec": {"resources": {"requests": {"storage": "5Gi"}}}, "status": {"phase": "Pending"}});
        let c = cells("", "persistentvolumeclaims", pending);
        assert_eq!(c[1..6], [json!("Pending"), json!(""), json!(""), json!(""), json!("")]);
    }

    #[test]
    fn storage_classes() {
        let sc = json!({"metadata": {"name": "standard", "creationTimestamp": ago(60),
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": "rancher.io/local-path",
            "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true});
        assert_eq!(
            cells("storage.k8s.io", "storageclasses", sc),
            vec![
                json!("standard (default)"),
                json!("rancher.io/local-path"),
                json!("Delete"),
                json!("WaitForFirstConsumer"),
                json!(true),
                json!("60s")
            ]
        );
        let plain = cells(
            "storage.k8s.io",
            "storageclasses",
            json!({"metadata": {"name": "s"}, "reclaimPolicy": "Retain"}),
        );
        assert_eq!(
            plain[0..5],
            [json!("s"), json!(""), json!("Retain"), json!("Immediate"), json!(false)]
        );
    }
}
