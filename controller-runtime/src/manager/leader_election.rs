//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection`
//! does it: a candidate takes the lease when it is free or its holder stopped renewing
//! for `lease_duration` (judged by the local clock since the lease last changed), the
//! leader renews every `retry_period` and gives up leadership when it could not renew
//! for `renew_deadline`.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use parking_lot::Mutex;
use tokio::time::Instant;

use crate::shutdown::Shutdown;

/// Where and how to elect a leader.
#[derive(Clone, Debug)]
pub struct LeaderElectionConfig {
    /// The Lease's namespace.
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// This candidate's identity (unique among candidates; written as `holderIdentity`).
    pub identity: String,
    /// How long a lease lasts without renewal before others may take it (15 s).
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before giving up leadership (10 s).
    pub renew_deadline: Duration,
    /// How often candidates try to acquire and the leader renews (2 s).
    pub retry_period: Duration,
    /// Whether a leader that stops cleanly frees the lease at once (on by default).
    pub release_on_cancel: bool,
}

impl LeaderElectionConfig {
    /// Kubernetes' defaults: lease 15 s, renew deadline 10 s, retry 2 s.
    pub fn new(namespace: &str, name: &str, identity: &str) -> Self {
        LeaderElectionConfig {
            namespace: namespace.to_string(),
            name: name.to_string(),
            identity: identity.to_string(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
            release_on_cancel: true,
        }
    }

    /// Checks client-go's rules: lease duration > renew deadline > 1.2 × retry period,
    /// and a non-empty identity.
    pub fn validate(&self) -> Result<(), ElectionError> {
        if self.identity.is_empty() {
            return Err(ElectionError::Config("identity must not be empty".into()));
        }
        if self.lease_duration <= self.renew_deadline {
            return Err(ElectionError::Config(
                "lease_duration must be greater than renew_deadline".into(),
            ));
        }
        if self.renew_deadline.as_secs_f64() <= 1.2 * self.retry_period.as_secs_f64() {
            return Err(ElectionError::Config(
                "renew_deadline must be greater than 1.2 × retry_period".into(),
            ));
        }
        Ok(())
    }
}

/// Why leader election failed.
#[derive(Debug, thiserror::Error)]
pub enum ElectionError {
    /// The configuration breaks a timing rule.
    #[error("invalid leader election configuration: {0}")]
    Config(String),
    /// A request on the Lease failed.
    #[error("lease request failed: {0}")]
    Api(#[from] kube::Error),
}

/// How a term of leadership ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermEnd {
    /// The lease could not be renewed within the renew deadline.
    Lost,
    /// The shutdown signal fired.
    Cancelled,
}

/// The lease as last seen, and when (by the local clock) it last changed.
#[derive(Debug)]
struct Observed {
    holder: String,
    renew_time: Option<MicroTime>,
    lease_duration: Duration,
    at: Instant,
}

/// One candidate.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaderElectionConfig,
    observed: Mutex<Option<Observed>>,
}

impl std::fmt::Debug for LeaderElector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElector").field("config", &self.config).finish()
    }
}

/// `d` stretched by a random 0–20 % (client-go's jitter factor 1.2), so candidates do not
/// retry in lockstep.
fn jittered(d: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    d.mul_f64(1.0 + 0.2 * (random % 1000) as f64 / 1000.0)
}

fn now() -> MicroTime {
    MicroTime(Timestamp::now())
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409 || s.code == 404)
}

impl LeaderElector {
    /// A candidate; fails on an invalid configuration.
    pub fn new(client: kube::Client, config: LeaderElectionConfig) -> Result<Self, ElectionError> {
        config.validate()?;
        Ok(LeaderElector {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: Mutex::new(None),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LeaderElectionConfig {
        &self.config
    }

    /// The holder last observed (`None` before the first look or when free).
    pub fn observed_leader(&self) -> Option<String> {
        self.observed.lock().as_ref().map(|o| o.holder.clone()).filter(|h| !h.is_empty())
    }

    fn observe(&self, spec: &LeaseSpec) {
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let lease_duration =
            Duration::from_secs(spec.lease_duration_seconds.unwrap_or(0).max(0) as u64);
        let mut observed = self.observed.lock();
        let changed =
            observed.as_ref().is_none_or(|o| o.holder != holder || o.renew_time != spec.renew_time);
        if changed {
            *observed = Some(Observed {
                holder,
                renew_time: spec.renew_time.clone(),
                lease_duration,
                at: Instant::now(),
            });
        }
    }

    fn held_by_other(&self) -> bool {
        let observed = self.observed.lock();
        observed.as_ref().is_some_and(|o| {
            !o.holder.is_empty()
                && o.holder != self.config.identity
                && o.at + o.lease_duration > Instant::now()
        })
    }

    fn spec(&self, acquire_time: MicroTime, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: Some(self.config.lease_duration.as_secs().max(1) as i32),
            acquire_time: Some(acquire_time),
            renew_time: Some(now()),
            lease_transitions: Some(transitions),
            ..Default::default()
        }
    }

    /// One attempt to take or renew the lease; `true` if this candidate holds it now.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, ElectionError> {
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(self.spec(now(), 0)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.observe(created.spec.as_ref().expect("sent a spec"));
                    Ok(true)
                }
                Err(e) if matches!(&e, kube::Error::Api(s) if s.code == 409) => Ok(false),
                Err(e) => Err(e.into()),
            };
        };
        let old = lease.spec.take().unwrap_or_default();
        self.observe(&old);
        if self.held_by_other() {
            return Ok(false);
        }
        let ours = old.holder_identity.as_deref() == Some(self.config.identity.as_str());
        let transitions = old.lease_transitions.unwrap_or(0);
        lease.spec = Some(if ours {
            self.spec(old.acquire_time.clone().unwrap_or_else(now), transitions)
        } else {
            self.spec(now(), transitions + 1)
        });
        match self.api.replace(&self.config.name, &PostParams::default(), &lease).await {
            Ok(updated) => {
                self.observe(updated.spec.as_ref().expect("sent a spec"));
                Ok(true)
            }
            Err(e) if is_conflict(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Tries every `retry_period` until this candidate holds the lease (`true`) or
    /// `shutdown` fires (`false`).
    pub async fn acquire(&self, shutdown: &Shutdown) -> bool {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(identity = %self.config.identity, lease = %self.config.name, "acquired the lease");
                    return true;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "acquiring the lease failed"),
            }
            tokio::select! {
                () = shutdown.wait() => return false,
                () = tokio::time::sleep(jittered(self.config.retry_period)) => {}
            }
        }
    }

    /// Renews every `retry_period` while leading; ends with [`TermEnd::Lost`] when no
    /// renewal succeeded for `renew_deadline`, or [`TermEnd::Cancelled`] on shutdown.
    pub async fn renew(&self, shutdown: &Shutdown) -> TermEnd {
        loop {
            tokio::select! {
                () = shutdown.wait() => return TermEnd::Cancelled,
                () = tokio::time::sleep(self.config.retry_period) => {}
            }
            let deadline = Instant::now() + self.config.renew_deadline;
            loop {
                let attempt = tokio::time::timeout_at(deadline, self.try_acquire_or_renew()).await;
                match attempt {
                    Ok(Ok(true)) => break,
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "renewing the lease failed"),
                    Err(_) => {}
                }
                if Instant::now() + self.config.retry_period >= deadline {
                    tracing::warn!(identity = %self.config.identity, "could not renew the lease: leadership lost");
                    return TermEnd::Lost;
                }
                tokio::select! {
                    () = shutdown.wait() => return TermEnd::Cancelled,
                    () = tokio::time::sleep(self.config.retry_period) => {}
                }
            }
        }
    }

    /// Frees the lease if this candidate holds it (holder cleared, duration 1 s), so
    /// another takes over without waiting for expiry.
    pub async fn release(&self) -> Result<bool, ElectionError> {
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else { return Ok(false) };
        let old = lease.spec.take().unwrap_or_default();
        if old.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(false);
        }
        lease.spec = Some(LeaseSpec {
            holder_identity: None,
            lease_duration_seconds: Some(1),
            acquire_time: Some(now()),
            renew_time: Some(now()),
            lease_transitions: old.lease_transitions,
            ..Default::default()
        });
        match self.api.replace(&self.config.name, &PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            Err(e) if is_conflict(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
