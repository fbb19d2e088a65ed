//! The default scheduler against the cluster named by `KUBECONFIG` (or the default
//! kubeconfig / in-cluster config), until Ctrl-C.
//!
//! Run it with:
//!
//! ```text
//! KUBECONFIG=/path/to/kubeconfig cargo run -p capstan-scheduler-framework \
//!     --features rustls-tls --example standalone
//! ```
//!
//! (`rustls-tls` is needed for HTTPS API servers; drop it for plain HTTP.)
//!
//! Set `LEADER_ELECT=1` to schedule only while holding the Lease
//! `kube-system/kube-scheduler`, and `SCHEDULER_CONFIG=<file>` to read a
//! `KubeSchedulerConfiguration`.

use capstan_controller_runtime::{Shutdown, client};
use capstan_scheduler_framework::api::SchedulerRunner;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = client::infer().await?;
    let mut builder = SchedulerRunner::builder(client);
    if let Ok(path) = std::env::var("SCHEDULER_CONFIG") {
        builder = builder.config_yaml(&std::fs::read_to_string(path)?);
    }
    if std::env::var("LEADER_ELECT").is_ok_and(|v| v == "1") {
        builder = builder.leader_election(None);
    }
    let runner = builder.build()?;
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.trigger();
    });
    runner.run(shutdown).await?;
    Ok(())
}
