//! A throwaway etcd cluster of real `etcd` processes, for tests and benchmarks.
//!
//! [`EtcdCluster::start`] runs 1 or N members from `/usr/bin/etcd` (or `$CAPSTAN_ETCD_BIN`)
//! on free loopback ports with a temporary data directory, waits until every member is
//! healthy and has a leader, and kills everything when dropped. etcd's own logs go to files
//! in the temporary directory; failures quote their tail. The harness panics instead of
//! returning errors: a test that needs etcd must fail loudly when etcd is missing.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use etcd_client::{Client, ConnectOptions};

/// The variable naming an etcd binary to use instead of `/usr/bin/etcd`.
pub const ETCD_BIN_VARIABLE: &str = "CAPSTAN_ETCD_BIN";

/// Where etcd is looked for when [`ETCD_BIN_VARIABLE`] is not set.
pub const DEFAULT_ETCD_BIN: &str = "/usr/bin/etcd";

/// How long a cluster may take to become healthy.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times a start is retried with fresh ports when a port was taken meanwhile.
const START_ATTEMPTS: usize = 3;

static CLUSTERS: AtomicU64 = AtomicU64::new(0);

/// A running etcd cluster of real processes on loopback, stopped on drop.
pub struct EtcdCluster {
    members: Vec<Member>,
    dir: PathBuf,
    binary: PathBuf,
    initial_cluster: String,
    token: String,
}

struct Member {
    name: String,
    client_url: String,
    peer_url: String,
    log: PathBuf,
    child: Option<Child>,
}

impl EtcdCluster {
    /// Starts a cluster of `members` etcd processes and waits until each is healthy and
    /// the cluster has a leader.
    ///
    /// # Panics
    ///
    /// When the etcd binary is missing (the message says how to install it) or the
    /// cluster does not become healthy in time (the message quotes etcd's log).
    pub async fn start(members: usize) -> EtcdCluster {
        let binary = Self::binary();
        let mut failure = String::new();
        for _attempt in 0..START_ATTEMPTS {
            let mut cluster = Self::spawn(&binary, members.max(1));
            match cluster.wait_healthy().await {
                Ok(()) => return cluster,
                Err(message) => {
                    let port_taken = (0..cluster.members.len()).any(|member| {
                        cluster.log_tail(member, 50).contains("address already in use")
                    });
                    failure = message;
                    if !port_taken {
                        break;
                    }
                }
            }
        }
        panic!("{failure}");
    }

    /// The etcd binary the harness runs: `$CAPSTAN_ETCD_BIN`, else `/usr/bin/etcd`.
    ///
    /// # Panics
    ///
    /// When the file does not exist, with installation instructions.
    pub fn binary() -> PathBuf {
        let binary = std::env::var_os(ETCD_BIN_VARIABLE)
            .map_or_else(|| PathBuf::from(DEFAULT_ETCD_BIN), PathBuf::from);
        assert!(
            binary.is_file(),
            "the etcd binary {} does not exist: install etcd 3.4 or later with \
             `apt-get install etcd-server` (Debian/Ubuntu), or set {ETCD_BIN_VARIABLE} to the \
             path of an etcd binary",
            binary.display()
        );
        binary
    }

    /// Every member's client URL (`http://127.0.0.1:port`), killed members included.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|member| member.client_url.clone()).collect()
    }

    /// The client URL of member `member`.
    ///
    /// # Panics
    ///
    /// When there is no such member.
    pub fn endpoint(&self, member: usize) -> &str {
        &self.members[member].client_url
    }

    /// How many members the cluster was started with.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the cluster has no members (never true for a started cluster).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The temporary directory holding the members' data directories and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether member `member` has not been killed and has not exited.
    pub fn is_running(&mut self, member: usize) -> bool {
        match self.members[member].child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills member `member` with SIGKILL and waits until it is gone.
    pub fn kill(&mut self, member: usize) {
        if let Some(mut child) = self.members[member].child.take() {
            // Errors mean the process is already gone, which is what is asked for.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a killed member again on its data directory and ports, and waits until it
    /// is healthy. Does nothing when the member is running.
    ///
    /// # Panics
    ///
    /// When the member does not become healthy in time (its ports may have been taken).
    pub async fn restart(&mut self, member: usize) {
        if self.is_running(member) {
            return;
        }
        self.launch(member);
        let deadline = Instant::now() + START_TIMEOUT;
        while !member_healthy(&self.members[member].client_url).await {
            if !self.is_running(member) || Instant::now() > deadline {
                panic!(
                    "restarted etcd member {member} did not become healthy\n{}",
                    self.describe()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The index of the member that is currently the leader, as the running members see
    /// it (a member that reports itself as the leader); `None` during an election.
    pub async fn leader(&mut self) -> Option<usize> {
        for member in 0..self.members.len() {
            if !self.is_running(member) {
                continue;
            }
            let Ok(mut client) = connect(&self.members[member].client_url).await else { continue };
            let Ok(Ok(status)) =
                tokio::time::timeout(Duration::from_secs(1), client.status()).await
            else {
                continue;
            };
            if status.header().is_some_and(|header| header.member_id() == status.leader()) {
                return Some(member);
            }
        }
        None
    }

    /// Waits until some running member is the leader and returns it.
    ///
    /// # Panics
    ///
    /// When no leader emerges within `timeout`.
    pub async fn wait_for_leader(&mut self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(leader) = self.leader().await {
                return leader;
            }
            if Instant::now() > deadline {
                panic!("no etcd leader within {timeout:?}\n{}", self.describe());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last `lines` lines of member `member`'s etcd log.
    pub fn log_tail(&self, member: usize, lines: usize) -> String {
        let text = fs::read_to_string(&self.members[member].log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Every member's URLs and the tail of its log, for failure messages.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (index, member) in self.members.iter().enumerate() {
            let _ = writeln!(
                out,
                "--- etcd member {} ({}, client {}, peer {}, log {}) ---\n{}",
                index,
                member.name,
                member.client_url,
                member.peer_url,
                member.log.display(),
                self.log_tail(index, 20)
            );
        }
        out
    }

    fn spawn(binary: &Path, count: usize) -> EtcdCluster {
        let unique = format!(
            "{}-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.subsec_nanos())
        );
        let dir = std::env::temp_dir().join(format!("capstan-etcd-{unique}"));
        fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        let ports = free_ports(count * 2);
        let members: Vec<Member> = (0..count)
            .map(|index| Member {
                name: format!("m{index}"),
                client_url: format!("http://127.0.0.1:{}", ports[2 * index]),
                peer_url: format!("http://127.0.0.1:{}", ports[2 * index + 1]),
                log: dir.join(format!("m{index}.log")),
                child: None,
            })
            .collect();
        let initial_cluster = members
            .iter()
            .map(|member| format!("{}={}", member.name, member.peer_url))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = EtcdCluster {
            members,
            dir,
            binary: binary.to_path_buf(),
            initial_cluster,
            token: format!("capstan-{unique}"),
        };
        for member in 0..count {
            cluster.launch(member);
        }
        cluster
    }

    /// Starts member `member`'s process (anew, or again on its existing data directory).
    fn launch(&mut self, index: usize) {
        let member = &self.members[index];
        let log = File::options()
            .create(true)
            .append(true)
            .open(&member.log)
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", member.log.display()));
        let log_err = log
            .try_clone()
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", member.log.display()));
        let child = Command::new(&self.binary)
            .arg("--name")
            .arg(&member.name)
            .arg("--data-dir")
            .arg(self.dir.join(format!("{}.etcd", member.name)))
            .args(["--listen-client-urls", &member.client_url])
            .args(["--advertise-client-urls", &member.client_url])
            .args(["--listen-peer-urls", &member.peer_url])
            .args(["--initial-advertise-peer-urls", &member.peer_url])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--initial-cluster-state", "new"])
            .args(["--initial-cluster-token", &self.token])
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            // Room for a value of the store's limit (1.5 MiB) plus the request around it.
            .args(["--max-request-bytes", "2097152"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.binary.display()));
        self.members[index].child = Some(child);
    }

    /// Polls every member until it serves a linearizable read and knows the leader.
    async fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut healthy = vec![false; self.members.len()];
        loop {
            for (member, healthy) in healthy.iter_mut().enumerate() {
                if *healthy {
                    continue;
                }
                if !self.is_running(member) {
                    return Err(format!(
                        "etcd member {member} exited during start-up\n{}",
                        self.describe()
                    ));
                }
                *healthy = member_healthy(&self.members[member].client_url).await;
            }
            if healthy.iter().all(|healthy| *healthy) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "etcd cluster not healthy within {START_TIMEOUT:?}\n{}",
                    self.describe()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for member in 0..self.members.len() {
            self.kill(member);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

async fn connect(endpoint: &str) -> Result<Client, etcd_client::Error> {
    let options = ConnectOptions::new()
        .with_connect_timeout(Duration::from_millis(500))
        .with_timeout(Duration::from_secs(1));
    Client::connect([endpoint], Some(options)).await
}

async fn member_healthy(endpoint: &str) -> bool {
    let Ok(mut client) = connect(endpoint).await else { return false };
    let check = async {
        let status = client.status().await.ok()?;
        if status.leader() == 0 {
            return None;
        }
        // A linearizable read needs a working leader.
        client.get("health", None).await.ok()
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), check).await, Ok(Some(_)))
}

/// Ports that were free a moment ago: all bound at once (so they differ), then released.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap_or_else(|error| panic!("cannot bind a loopback port: {error}"))
        })
        .collect();
    listeners
        .iter()
        .map(|listener| {
            listener
                .local_addr()
                .unwrap_or_else(|error| panic!("cannot read a bound port: {error}"))
                .port()
        })
        .collect()
}
