//! Phase 5: what the security chain costs per request — allow-all against authentication,
//! impersonation checks, RBAC and the whole admission chain, in-process and over loopback
//! (HTTP/1.1 against HTTPS with a client certificate), measured in alternating rounds.
//!
//! The servers run side by side on their own memory stores (fresh ones for each phase,
//! so the stores compared hold the same objects); each round runs one configuration for
//! a short slice, then the other (the order flips every round), so a noisy machine slows
//! both alike. The overhead is the median over rounds of `allow-all rate / chain rate −
//! 1`, and the same by CPU per request; absolute rates are only context.
//!
//! CPU per request is counted two ways from per-thread CPU time ([`ThreadCpu`]): the
//! server's (every thread but the load generator's) and the whole process's. Over
//! loopback the clients (their connections, and over HTTPS their TLS) run on a runtime of
//! their own ([`ClientRuntime`], threads `bench-client-N`), while the servers, their
//! connections, the watch caches' ingest thread and this phase's own bookkeeping stay on
//! the other threads. In-process, the callers run the handlers themselves on the server's
//! runtime, so there both figures are the same. The report ends with the target's figure:
//! the full chain (TLS + authn + RBAC + admission) over established HTTPS connections
//! against HTTP/1.1 allow-all, by server CPU per request.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_apiserver_core::admission::{Admission, AdmissionConfig};
use capstan_apiserver_core::security::authn::in_process::{AsUser, InProcessUser, loopback_user};
use capstan_apiserver_core::security::pki::{
    CertifiedKeyPem, ClusterCredentials, CredentialOptions, pem_certificates,
};
use capstan_apiserver_core::security::{Security, SecurityConfig, tls};
use capstan_apiserver_core::serve::{self, PlainTcp};
use capstan_apiserver_core::server::ApiServer;
use capstan_apiserver_core::server::auth::UserInfo;
use capstan_store::memory::MemoryStore;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::Mutex;
use tower::{Service, ServiceExt};

use crate::http_sqlite::http_request;
use crate::support::{self, BoxError, ClientRuntime, CpuUsed, Latencies, Rate, ThreadCpu};

const NAMESPACE: &str = "bench-sec";
/// The non-privileged user of the full-chain configurations.
const USER: &str = "bench-user";
/// How long setup waits for the RBAC index to apply the binding.
const SYNC_TIMEOUT: Duration = Duration::from_secs(10);
/// Worker threads of the load generator's runtime (as many as the server's on 2 cores).
const CLIENT_WORKERS: usize = 2;

/// One kind of request under both configurations.
#[derive(Clone, Copy, Debug, Default)]
pub struct Compared {
    /// The allow-all server, over every round.
    pub allow_all: Rate,
    /// The full chain, over every round.
    pub chain: Rate,
    /// Median over rounds of `allow-all rate / chain rate − 1`, in percent.
    pub overhead_pct: f64,
    /// Smallest and largest per-round overhead, in percent.
    pub overhead_range_pct: (f64, f64),
    /// Server CPU per allow-all request (every thread but the load generator's), µs.
    pub allow_all_server_cpu_us: f64,
    /// Server CPU per full-chain request, µs.
    pub chain_server_cpu_us: f64,
    /// Median over rounds of `chain server CPU per request / allow-all server CPU per
    /// request − 1`, in percent: the server's cost, insensitive to time the process did
    /// not run.
    pub server_cpu_overhead_pct: f64,
    /// Process CPU per allow-all request (server, client and background work), µs.
    pub allow_all_cpu_us: f64,
    /// Process CPU per full-chain request, µs.
    pub chain_cpu_us: f64,
    /// Median over rounds of `chain CPU per request / allow-all CPU per request − 1` by
    /// process CPU, in percent.
    pub cpu_overhead_pct: f64,
    /// Threads that exited during a slice (their CPU in it is not counted), over all
    /// rounds of both configurations.
    pub threads_exited: usize,
}

/// The security phase's results.
#[derive(Clone, Copy, Debug)]
pub struct SecurityCost {
    /// Rounds per kind of request.
    pub rounds: usize,
    /// Length of one configuration's slice of a round, ms.
    pub slice_ms: u64,
    /// In-process GETs of one ConfigMap.
    pub in_process_get: Compared,
    /// In-process creates of distinct ConfigMaps.
    pub in_process_create: Compared,
    /// GETs of one ConfigMap: HTTP/1.1 allow-all against HTTPS with the full chain.
    pub https_get: Compared,
    /// Creates of distinct ConfigMaps: HTTP/1.1 allow-all against HTTPS with the full chain.
    pub https_create: Compared,
    /// GETs: HTTP/1.1 allow-all against HTTPS allow-all (TLS alone; `chain` is HTTPS).
    pub tls_get: Compared,
    /// Creates: HTTP/1.1 allow-all against HTTPS allow-all (TLS alone).
    pub tls_create: Compared,
    /// The offered rate of the paced GET rounds, requests/s (the same for every
    /// configuration: half the slowest configuration's rate at saturation).
    pub paced_get_per_s: f64,
    /// The offered rate of the paced create rounds, requests/s.
    pub paced_create_per_s: f64,
    /// GETs at the same offered rate: HTTP/1.1 allow-all against HTTPS with the full chain.
    pub paced_https_get: Compared,
    /// Creates at the same offered rate: HTTP/1.1 allow-all against HTTPS with the full chain.
    pub paced_https_create: Compared,
    /// GETs at the same offered rate: HTTP/1.1 allow-all against HTTPS allow-all.
    pub paced_tls_get: Compared,
    /// Creates at the same offered rate: HTTP/1.1 allow-all against HTTPS allow-all.
    pub paced_tls_create: Compared,
}

/// Which request a round sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Get,
    Create,
}

/// What one configuration's slice of a round measured.
#[derive(Clone)]
struct Slice {
    latencies: Latencies,
    errors: usize,
    /// The first failure, for the error message.
    failure: Option<String>,
    seconds: f64,
    /// CPU the slice used (and, for creates, until the watch cache had ingested them).
    cpu: CpuUsed,
}

impl Slice {
    fn per_s(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    /// Server and process CPU seconds per successful request.
    fn cpu_per_request(&self) -> (f64, f64) {
        let requests = self.latencies.len().max(1) as f64;
        (self.cpu.server / requests, self.cpu.process / requests)
    }
}

/// Runs one configuration's slice, then (for creates) waits for `settle`'s watch cache
/// to ingest them, and charges the CPU of both to the slice.
async fn measured(slice: impl Future<Output = Slice>, settle: Option<&ApiServer>) -> Slice {
    let before = ThreadCpu::now();
    let mut out = slice.await;
    if let Some(api) = settle
        && let Err(e) = catch_up(api).await
    {
        out.failure.get_or_insert_with(|| e.to_string());
    }
    out.cpu = ThreadCpu::now().since(&before);
    out
}

/// One configuration's slices over all rounds.
#[derive(Default)]
struct Totals {
    latencies: Latencies,
    errors: usize,
    seconds: f64,
    cpu: CpuUsed,
}

impl Totals {
    /// Server and process CPU µs per successful request.
    fn cpu_us(&self) -> (f64, f64) {
        let requests = self.latencies.len().max(1) as f64;
        (self.cpu.server * 1e6 / requests, self.cpu.process * 1e6 / requests)
    }

    fn rate(mut self) -> Rate {
        Rate {
            per_s: self.latencies.len() as f64 / self.seconds,
            p99_ms: self.latencies.quantile_ms(0.99),
            errors: self.errors,
        }
    }
}

/// Both configurations' slices over all rounds of one kind of request.
#[derive(Default)]
struct Tally {
    allow: Totals,
    chain: Totals,
    ratios: Vec<f64>,
    server_cpu_ratios: Vec<f64>,
    cpu_ratios: Vec<f64>,
    failure: Option<String>,
}

impl Tally {
    fn add(&mut self, allow: Slice, chain: Slice) {
        self.ratios.push(allow.per_s() / chain.per_s().max(f64::MIN_POSITIVE));
        let ((allow_server, allow_process), (chain_server, chain_process)) =
            (allow.cpu_per_request(), chain.cpu_per_request());
        self.server_cpu_ratios.push(chain_server / allow_server.max(f64::MIN_POSITIVE));
        self.cpu_ratios.push(chain_process / allow_process.max(f64::MIN_POSITIVE));
        for (into, slice) in [(&mut self.allow, allow), (&mut self.chain, chain)] {
            into.errors += slice.errors;
            into.seconds += slice.seconds;
            into.cpu.server += slice.cpu.server;
            into.cpu.process += slice.cpu.process;
            into.cpu.exited += slice.cpu.exited;
            into.latencies.merge(slice.latencies);
            if self.failure.is_none() {
                self.failure = slice.failure;
            }
        }
    }

    fn finish(mut self, what: &str) -> Result<Compared, BoxError> {
        if let Some(failure) = self.failure {
            return Err(format!("security {what}: a request failed: {failure}").into());
        }
        let (allow_all_server_cpu_us, allow_all_cpu_us) = self.allow.cpu_us();
        let (chain_server_cpu_us, chain_cpu_us) = self.chain.cpu_us();
        let threads_exited = self.allow.cpu.exited + self.chain.cpu.exited;
        let (overhead_pct, overhead_range_pct) = median_pct(&mut self.ratios);
        let (server_cpu_overhead_pct, _) = median_pct(&mut self.server_cpu_ratios);
        let (cpu_overhead_pct, _) = median_pct(&mut self.cpu_ratios);
        Ok(Compared {
            allow_all: self.allow.rate(),
            chain: self.chain.rate(),
            overhead_pct,
            overhead_range_pct,
            allow_all_server_cpu_us,
            chain_server_cpu_us,
            server_cpu_overhead_pct,
            allow_all_cpu_us,
            chain_cpu_us,
            cpu_overhead_pct,
            threads_exited,
        })
    }
}

/// The median of `ratios` and their range, as percentages above 1.
fn median_pct(ratios: &mut [f64]) -> (f64, (f64, f64)) {
    ratios.sort_by(f64::total_cmp);
    let pct = |ratio: f64| (ratio - 1.0) * 100.0;
    let median = match ratios.len() {
        0 => 1.0,
        n if n % 2 == 1 => ratios[n / 2],
        n => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
    };
    let range = (ratios.first().copied().map_or(0.0, pct), ratios.last().copied().map_or(0.0, pct));
    (pct(median), range)
}

/// Runs the phase: `concurrency` tasks or connections per configuration, `rounds` rounds
/// of `slice` per configuration for each kind of request.
pub async fn run(
    concurrency: usize,
    rounds: usize,
    slice: Duration,
) -> Result<SecurityCost, BoxError> {
    // Every phase starts on fresh servers, so the stores being compared hold the same
    // objects: a memory store's per-write cost grows with its size (page faults as its
    // maps and event log grow), which would otherwise favour the smaller one.
    let plain = allow_all_server().await?;
    let secure = SecureServer::start().await?;

    // In-process: the plain server through `tower::Service` against the secure one
    // through `AsUser`, so both go through the same call path.
    let as_user = AsUser::new(secure.api.clone(), bench_user());
    let mut get = Tally::default();
    let mut create = Tally::default();
    for round in 0..rounds {
        let (allow, chain) = alternate(round, || {
            (
                measured(
                    in_process_slice(plain.clone(), Kind::Get, round, concurrency, slice),
                    None,
                ),
                measured(
                    in_process_slice(as_user.clone(), Kind::Get, round, concurrency, slice),
                    None,
                ),
            )
        })
        .await;
        get.add(allow, chain);
    }
    for round in 0..rounds {
        let (allow, chain) = alternate(round, || {
            (
                measured(
                    in_process_slice(plain.clone(), Kind::Create, round, concurrency, slice),
                    Some(&plain),
                ),
                measured(
                    in_process_slice(as_user.clone(), Kind::Create, round, concurrency, slice),
                    Some(&secure.api),
                ),
            )
        })
        .await;
        create.add(allow, chain);
    }
    let in_process_get = get.finish("in-process GET")?;
    let in_process_create = create.finish("in-process create")?;
    secure.security.shutdown().await;
    plain.shutdown();
    secure.api.shutdown();
    drop(as_user);

    // TLS alone gets its own allow-all server, so each loopback configuration's store
    // grows by its own creates only.
    let plain = allow_all_server().await?;
    let plain_tls = allow_all_server().await?;
    let secure = SecureServer::start().await?;

    // Loopback: established keep-alive connections. Three configurations per round:
    // HTTP/1.1 allow-all, HTTPS allow-all (the same server behind the TLS acceptor: TLS
    // alone) and HTTPS with the full chain; the middle one stays in the middle. The
    // servers run on this runtime; the clients (connections and request loops) on their
    // own, so the servers' CPU can be told from theirs.
    let (plain_addr, stop_plain, plain_serving) = listen(&plain, false, &secure).await?;
    let (tls_addr, stop_tls, tls_serving) = listen(&plain_tls, true, &secure).await?;
    let (secure_addr, stop_secure, secure_serving) = listen(&secure.api, true, &secure).await?;
    let client = ClientRuntime::new(CLIENT_WORKERS)?;
    let clients = client.handle();
    let connector = secure.connector()?;
    let (mut plain_conns, mut tls_conns, mut secure_conns) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..concurrency {
        let tls = || Some(connector.clone());
        plain_conns.push(Arc::new(Mutex::new(clients.spawn(connect(plain_addr, None)).await??)));
        tls_conns.push(Arc::new(Mutex::new(clients.spawn(connect(tls_addr, tls())).await??)));
        secure_conns.push(Arc::new(Mutex::new(clients.spawn(connect(secure_addr, tls())).await??)));
    }
    let servers = Loopback {
        clients,
        apis: [&plain, &plain_tls, &secure.api],
        conns: [&plain_conns, &tls_conns, &secure_conns],
    };
    // At saturation, then at the same offered rate for every configuration: half the
    // slowest one's saturated rate, so each server has the same load and idle time.
    let (https_get, tls_get) = servers.compare(Kind::Get, rounds, slice, None).await?;
    let (https_create, tls_create) = servers.compare(Kind::Create, rounds, slice, None).await?;
    let slowest = |c: &[&Compared]| {
        c.iter().flat_map(|c| [c.allow_all.per_s, c.chain.per_s]).fold(f64::MAX, f64::min)
    };
    let paced_get_per_s = (slowest(&[&https_get, &tls_get]) / 2.0).max(1.0);
    let paced_create_per_s = (slowest(&[&https_create, &tls_create]) / 2.0).max(1.0);
    let (paced_https_get, paced_tls_get) =
        servers.compare(Kind::Get, rounds, slice, Some(paced_get_per_s)).await?;
    let (paced_https_create, paced_tls_create) =
        servers.compare(Kind::Create, rounds, slice, Some(paced_create_per_s)).await?;
    drop((plain_conns, tls_conns, secure_conns));

    for stop in [stop_plain, stop_tls, stop_secure] {
        let _ = stop.send(());
    }
    for serving in [plain_serving, tls_serving, secure_serving] {
        serving.await??;
    }
    drop(client);
    secure.security.shutdown().await;
    plain.shutdown();
    plain_tls.shutdown();
    secure.api.shutdown();
    Ok(SecurityCost {
        rounds,
        slice_ms: u64::try_from(slice.as_millis()).unwrap_or(u64::MAX),
        in_process_get,
        in_process_create,
        https_get,
        https_create,
        tls_get,
        tls_create,
        paced_get_per_s,
        paced_create_per_s,
        paced_https_get,
        paced_https_create,
        paced_tls_get,
        paced_tls_create,
    })
}

/// The three loopback configurations: HTTP/1.1 allow-all, HTTPS allow-all (TLS alone)
/// and HTTPS with the full chain — their servers and established connections.
struct Loopback<'a> {
    clients: &'a Handle,
    apis: [&'a ApiServer; 3],
    conns: [&'a [Connection]; 3],
}

/// One established client connection, locked by the task sending on it.
type Connection = Arc<Mutex<SendRequest<Full<Bytes>>>>;

impl Loopback<'_> {
    /// `rounds` rounds of `kind` requests, one slice per configuration each (the TLS-alone
    /// slice in the middle, the other two in alternating order), as fast as the
    /// connections go or at `pace` requests/s. Returns (full chain, TLS alone), each
    /// against HTTP/1.1 allow-all.
    async fn compare(
        &self,
        kind: Kind,
        rounds: usize,
        slice: Duration,
        pace: Option<f64>,
    ) -> Result<(Compared, Compared), BoxError> {
        let (mut chain, mut tls_only) = (Tally::default(), Tally::default());
        let settle = |api| (kind == Kind::Create).then_some(api);
        let [plain, plain_tls, secure] = self.apis;
        let [plain_conns, tls_conns, secure_conns] = self.conns;
        // Created names differ between the paced and the saturated rounds.
        let (paced, [http, tls, https]) = match pace {
            Some(_) => ("paced ", ["paced-http", "paced-tls", "paced-https"]),
            None => ("", ["http", "tls", "https"]),
        };
        for round in 0..rounds {
            let slice_of = |conns, prefix: &'static str, api| {
                traced(
                    prefix,
                    kind,
                    measured(
                        http_slice(self.clients, conns, kind, prefix, round, slice, pace),
                        settle(api),
                    ),
                )
            };
            let p = slice_of(plain_conns, http, plain);
            let t = slice_of(tls_conns, tls, plain_tls);
            let c = slice_of(secure_conns, https, secure);
            let (p, t, c) = if round % 2 == 0 {
                let p = p.await;
                let t = t.await;
                (p, t, c.await)
            } else {
                let c = c.await;
                let t = t.await;
                (p.await, t, c)
            };
            tls_only.add(p.clone(), t);
            chain.add(p, c);
        }
        let what = if kind == Kind::Get { "GET" } else { "create" };
        Ok((
            chain.finish(&format!("HTTPS {paced}{what}"))?,
            tls_only.finish(&format!("HTTPS allow-all {paced}{what}"))?,
        ))
    }
}

/// Set to print each loopback slice's start and end (`CLOCK_MONOTONIC` ns) to standard
/// error, so a profile taken with `perf record -k CLOCK_MONOTONIC` can be cut by
/// configuration (see BENCHMARKS.md).
const SLICE_TRACE_ENV: &str = "APISERVER_BENCH_SLICE_TIMES";

/// Runs `slice`, printing its configuration and start and end times when
/// [`SLICE_TRACE_ENV`] is set.
async fn traced(config: &str, kind: Kind, slice: impl Future<Output = Slice>) -> Slice {
    if std::env::var_os(SLICE_TRACE_ENV).is_none() {
        return slice.await;
    }
    let now = || {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
    };
    let start = now();
    let out = slice.await;
    eprintln!("slice {config} {kind:?} {start} {}", now());
    out
}

/// An allow-all server (the builder's defaults) with the namespace and the GET target.
async fn allow_all_server() -> Result<ApiServer, BoxError> {
    let api = ApiServer::builder().store(Arc::new(MemoryStore::new())).build().await?;
    support::namespace(&api, NAMESPACE).await?;
    admin(&api, Method::POST, &configmaps_uri(), support::configmap("target")).await?;
    Ok(api)
}

/// Runs one round's two slices one after the other: allow-all first in even rounds, the
/// chain first in odd ones. Returns (allow-all, chain).
async fn alternate<F, A, C>(round: usize, make: F) -> (Slice, Slice)
where
    F: FnOnce() -> (A, C),
    A: Future<Output = Slice>,
    C: Future<Output = Slice>,
{
    let (allow, chain) = make();
    if round % 2 == 0 {
        let allow = allow.await;
        (allow, chain.await)
    } else {
        let chain = chain.await;
        (allow.await, chain)
    }
}

fn configmaps_uri() -> String {
    format!("/api/v1/namespaces/{NAMESPACE}/configmaps")
}

fn bench_user() -> UserInfo {
    UserInfo::new(USER, Vec::<String>::new())
}

/// The secure server and what its clients need.
struct SecureServer {
    api: ApiServer,
    security: Security,
    credentials: ClusterCredentials,
    /// The client certificate of [`USER`].
    user_cert: CertifiedKeyPem,
    _dir: tempfile::TempDir,
}

impl SecureServer {
    /// Builds the server with `Security` and the default admission plugins, creates the
    /// namespace, a Role granting get/create on its ConfigMaps bound to [`USER`], and the
    /// GET target, then checks that the user is allowed exactly that.
    async fn start() -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let credentials = ClusterCredentials::load_or_create(
            dir.path().join("pki"),
            &CredentialOptions::default(),
        )?;
        let user_cert = credentials.issue_client(USER, None)?;
        let store = Arc::new(MemoryStore::new());
        let security = Security::new(&credentials, store.clone(), SecurityConfig::default())?;
        let admission = Admission::new(AdmissionConfig::default());
        let builder = security.configure(ApiServer::builder().store(store));
        let api = admission.configure(builder).build().await?;
        security.start(&api).await?;
        admission.start(&api);

        let namespace = format!(
            r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{NAMESPACE}"}}}}"#
        );
        admin(&api, Method::POST, "/api/v1/namespaces", namespace.into()).await?;
        let rbac = format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{NAMESPACE}");
        let role = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"configmaps"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","create"]}]}"#;
        admin(&api, Method::POST, &format!("{rbac}/roles"), Bytes::from_static(role.as_bytes()))
            .await?;
        let binding = format!(
            r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{{"name":"configmaps"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"configmaps"}},"subjects":[{{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"{USER}"}}]}}"#
        );
        let created =
            admin(&api, Method::POST, &format!("{rbac}/rolebindings"), binding.into()).await?;
        let revision =
            serde_json::from_slice::<serde_json::Value>(&created)?["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|rv| rv.parse::<i64>().ok())
                .ok_or("the RoleBinding has no resourceVersion")?;
        if !security.rbac().index().wait_for(revision, SYNC_TIMEOUT).await {
            return Err("the RBAC index did not apply the RoleBinding".into());
        }
        admin(&api, Method::POST, &configmaps_uri(), support::configmap("target")).await?;

        // The user gets the target, and nothing the Role does not grant.
        let mut as_user = AsUser::new(api.clone(), bench_user());
        let target = format!("{}/target", configmaps_uri());
        let (status, _) =
            call(&mut as_user, support::request(Method::GET, &target, Bytes::new())).await;
        if status != StatusCode::OK {
            return Err(format!("{USER} GET of the target ConfigMap: {status}").into());
        }
        let secrets = format!("/api/v1/namespaces/{NAMESPACE}/secrets");
        let (status, _) =
            call(&mut as_user, support::request(Method::GET, &secrets, Bytes::new())).await;
        if status != StatusCode::FORBIDDEN {
            return Err(format!("{USER} listing secrets: {status}, expected 403").into());
        }
        Ok(SecureServer { api, security, credentials, user_cert, _dir: dir })
    }

    /// A TLS connector trusting the cluster CA and presenting [`USER`]'s certificate,
    /// offering only HTTP/1.1.
    fn connector(&self) -> Result<tokio_rustls::TlsConnector, BoxError> {
        let roots = tls::root_store(self.credentials.ca_cert_pem())?;
        let chain: Vec<CertificateDer<'static>> = pem_certificates(&self.user_cert.cert_pem)
            .into_iter()
            .map(CertificateDer::from)
            .collect();
        let key = tls::private_key(&self.user_cert.key_pem)?;
        let mut config = rustls::ClientConfig::builder_with_provider(tls::crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }
}

/// Sends one request through `service` and collects the whole response body.
async fn call<S, B>(service: &mut S, request: Request<Full<Bytes>>) -> (StatusCode, Bytes)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: hyper::body::Body<Data = Bytes, Error = Infallible>,
{
    let response = match service.ready().await {
        Ok(ready) => match ready.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        Err(never) => match never {},
    };
    let status = response.status();
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    (status, body)
}

/// A request as the server's own loopback identity (`system:masters`); the body on success.
async fn admin(api: &ApiServer, method: Method, uri: &str, body: Bytes) -> Result<Bytes, BoxError> {
    let mut request = support::request(method, uri, body);
    request.extensions_mut().insert(InProcessUser(loopback_user()));
    let (status, text) = support::call(api, request).await;
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!("{uri}: {status} {}", String::from_utf8_lossy(&text)).into())
    }
}

/// Waits until a consistent list answers as admin, i.e. the watch cache ingested every
/// create so far.
async fn catch_up(api: &ApiServer) -> Result<(), BoxError> {
    let uri = format!("{}?limit=1", configmaps_uri());
    for _ in 0..20 {
        let mut request = support::request(Method::GET, &uri, Bytes::new());
        request.extensions_mut().insert(InProcessUser(loopback_user()));
        let (status, text) = support::call(api, request).await;
        if status.is_success() {
            return Ok(());
        }
        if status != StatusCode::GATEWAY_TIMEOUT {
            return Err(
                format!("list after creates: {status} {}", String::from_utf8_lossy(&text)).into()
            );
        }
    }
    Err("list after creates: the watch cache stayed behind".into())
}

/// One configuration's slice of a round in-process: `tasks` tasks sending `kind`
/// requests through `service` for `slice`.
async fn in_process_slice<S, B>(
    service: S,
    kind: Kind,
    round: usize,
    tasks: usize,
    slice: Duration,
) -> Slice
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: hyper::body::Body<Data = Bytes, Error = Infallible> + Send,
{
    let started = Instant::now();
    let deadline = started + slice;
    let uri: Arc<str> = match kind {
        Kind::Get => format!("{}/target", configmaps_uri()).into(),
        Kind::Create => configmaps_uri().into(),
    };
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (mut service, uri) = (service.clone(), Arc::clone(&uri));
        handles.push(tokio::spawn(async move {
            let mut out = (Latencies::default(), 0, None);
            let mut i = 0usize;
            while Instant::now() < deadline {
                let request = match kind {
                    Kind::Get => support::request(Method::GET, &uri, Bytes::new()),
                    Kind::Create => support::request(
                        Method::POST,
                        &uri,
                        support::configmap(&format!("cm-{round}-{task}-{i}")),
                    ),
                };
                i += 1;
                let sent = Instant::now();
                let (status, text) = call(&mut service, request).await;
                record(&mut out, status, sent, || String::from_utf8_lossy(&text).into_owned());
            }
            out
        }));
    }
    join(handles, started).await
}

/// Counts one answer: its latency on success, else an error (the first one described).
fn record(
    out: &mut (Latencies, usize, Option<String>),
    status: StatusCode,
    sent: Instant,
    text: impl FnOnce() -> String,
) {
    if status.is_success() {
        out.0.record(sent.elapsed());
    } else {
        out.1 += 1;
        if out.2.is_none() {
            out.2 = Some(format!("{status} {}", text()));
        }
    }
}

async fn join(
    handles: Vec<tokio::task::JoinHandle<(Latencies, usize, Option<String>)>>,
    started: Instant,
) -> Slice {
    let mut slice = Slice {
        latencies: Latencies::default(),
        errors: 0,
        failure: None,
        seconds: 0.0,
        cpu: CpuUsed::default(),
    };
    for handle in handles {
        match handle.await {
            Ok((latencies, errors, failure)) => {
                slice.latencies.merge(latencies);
                slice.errors += errors;
                if slice.failure.is_none() {
                    slice.failure = failure;
                }
            }
            Err(e) => {
                slice.errors += 1;
                slice.failure.get_or_insert_with(|| format!("task failed: {e}"));
            }
        }
    }
    slice.seconds = started.elapsed().as_secs_f64();
    slice
}

type Serving = tokio::task::JoinHandle<std::io::Result<()>>;

/// Serves `api` on `127.0.0.1:0`, over HTTPS with the secure server's acceptor when
/// `https`; the address, the stop signal and the serving task.
async fn listen(
    api: &ApiServer,
    https: bool,
    secure: &SecureServer,
) -> Result<(SocketAddr, tokio::sync::oneshot::Sender<()>, Serving), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let stopped = async move {
        let _ = stopped.await;
    };
    let serving = if https {
        tokio::spawn(serve::serve(listener, api.clone(), secure.security.acceptor(), stopped))
    } else {
        tokio::spawn(serve::serve(listener, api.clone(), PlainTcp, stopped))
    };
    Ok((addr, stop, serving))
}

/// An established HTTP/1.1 connection, over TLS when `tls` is given. Its connection task
/// runs on the runtime `connect` runs on.
async fn connect(
    addr: SocketAddr,
    tls: Option<tokio_rustls::TlsConnector>,
) -> Result<SendRequest<Full<Bytes>>, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut sender = match tls {
        None => {
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            sender
        }
        Some(connector) => {
            let name = ServerName::try_from("127.0.0.1")?;
            let stream = connector.connect(name, stream).await?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            sender
        }
    };
    // One request before timing, so the connection (and its TLS session) is in use.
    let uri = Bytes::from(format!("{}/target", configmaps_uri()));
    let (status, text) = send(&mut sender, http_request(Method::GET, &uri, Bytes::new())).await;
    if status != StatusCode::OK {
        return Err(format!("the first GET on a connection to {addr}: {status} {text}").into());
    }
    Ok(sender)
}

/// Sends one request and drains the response: its status, and its body when it failed
/// (`502` with the error when the connection failed).
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, String) {
    if let Err(e) = sender.ready().await {
        return (StatusCode::BAD_GATEWAY, e.to_string());
    }
    match sender.send_request(request).await {
        Ok(response) => {
            let status = response.status();
            match response.into_body().collect().await {
                Ok(_) if status.is_success() => (status, String::new()),
                Ok(body) => (status, String::from_utf8_lossy(&body.to_bytes()).into_owned()),
                Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()),
            }
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

/// One configuration's slice of a round over loopback: one task per connection, on the
/// `clients` runtime, sending `kind` requests for `slice` — each as soon as the previous
/// answer arrived, or, with `pace`, `pace` requests/s over all connections (each
/// connection on its own ticks, staggered; a late one catches up); created names start
/// with `prefix`.
async fn http_slice(
    clients: &Handle,
    connections: &[Arc<Mutex<SendRequest<Full<Bytes>>>>],
    kind: Kind,
    prefix: &'static str,
    round: usize,
    slice: Duration,
    pace: Option<f64>,
) -> Slice {
    let started = Instant::now();
    let deadline = started + slice;
    let period = pace.map(|per_s| Duration::from_secs_f64(connections.len() as f64 / per_s));
    let uri = Bytes::from(match kind {
        Kind::Get => format!("{}/target", configmaps_uri()),
        Kind::Create => configmaps_uri(),
    });
    let mut handles = Vec::new();
    for (conn, sender) in connections.iter().enumerate() {
        let (sender, uri) = (Arc::clone(sender), uri.clone());
        let mut ticks = period.map(|period| {
            let offset = period.mul_f64(conn as f64 / connections.len() as f64);
            let mut ticks = tokio::time::interval_at((started + offset).into(), period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            ticks
        });
        handles.push(clients.spawn(async move {
            let mut sender = sender.lock().await;
            let mut out = (Latencies::default(), 0, None);
            let mut i = 0usize;
            while Instant::now() < deadline {
                if let Some(ticks) = ticks.as_mut() {
                    ticks.tick().await;
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                let request = match kind {
                    Kind::Get => http_request(Method::GET, &uri, Bytes::new()),
                    Kind::Create => http_request(
                        Method::POST,
                        &uri,
                        support::configmap(&format!("{prefix}-{round}-{conn}-{i}")),
                    ),
                };
                i += 1;
                let sent = Instant::now();
                let (status, text) = send(&mut sender, request).await;
                record(&mut out, status, sent, || text);
                if !status.is_success() && sender.is_closed() {
                    break;
                }
            }
            out
        }));
    }
    join(handles, started).await
}
