//! Calling a webhook: `clientConfig` (`url`, or `service` resolved by a [`ServiceResolver`]) → one HTTPS `POST` of the AdmissionReview, the server verified against `caBundle` with rustls, bounded by `timeoutSeconds`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::security::tls::{crypto_provider, root_store};

/// Why a webhook could not be called (what `failurePolicy` decides about).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The `clientConfig` is unusable.
    #[error("invalid client config: {0}")]
    Config(String),
    /// Connecting, TLS or HTTP failed.
    #[error("failed to call webhook: {0}")]
    Transport(String),
    /// No answer within `timeoutSeconds`.
    #[error("failed to call webhook: context deadline exceeded (timeout {0:?})")]
    Timeout(Duration),
    /// The answer is not an AdmissionReview.
    #[error("received invalid webhook response: {0}")]
    Response(String),
}

/// Where a `service` reference of a `clientConfig` is reached.
pub trait ServiceResolver: Send + Sync {
    /// The host and port of `service` (`namespace`/`name`) on `port`.
    fn resolve(&self, namespace: &str, name: &str, port: u16) -> Result<(String, u16), CallError>;
}

/// Resolves every service to `127.0.0.1` on the service's port: Capstan has no
/// service network, so a webhook server referenced by `service` must listen on
/// loopback at that port. The TLS server name stays `<name>.<namespace>.svc`, as in
/// Kubernetes, so its certificate must name it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopbackServices;

impl ServiceResolver for LoopbackServices {
    fn resolve(
        &self,
        _namespace: &str,
        _name: &str,
        port: u16,
    ) -> Result<(String, u16), CallError> {
        Ok(("127.0.0.1".to_string(), port))
    }
}

/// Where to connect, what name the certificate must carry, and the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host to connect to.
    pub connect_host: String,
    /// Port to connect to.
    pub port: u16,
    /// The TLS server name.
    pub server_name: String,
    /// The request path (with query).
    pub path: String,
}

/// The target of a `clientConfig`.
pub fn target(client_config: &Value, resolver: &dyn ServiceResolver) -> Result<Target, CallError> {
    if let Some(url) = client_config.get("url").and_then(Value::as_str) {
        let uri: Uri = url.parse().map_err(|e| CallError::Config(format!("url {url:?}: {e}")))?;
        if uri.scheme_str() != Some("https") {
            return Err(CallError::Config(format!("url {url:?}: the scheme must be https")));
        }
        let host =
            uri.host().ok_or_else(|| CallError::Config(format!("url {url:?} has no host")))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let path =
            uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        return Ok(Target {
            connect_host: host.clone(),
            port: uri.port_u16().unwrap_or(443),
            server_name: host,
            path,
        });
    }
    let Some(service) = client_config.get("service") else {
        return Err(CallError::Config("neither url nor service is set".into()));
    };
    let namespace = service.get("namespace").and_then(Value::as_str).unwrap_or("");
    let name = service.get("name").and_then(Value::as_str).unwrap_or("");
    let port = service.get("port").and_then(Value::as_u64).unwrap_or(443);
    let port = u16::try_from(port).map_err(|_| CallError::Config(format!("port {port}")))?;
    let path = service.get("path").and_then(Value::as_str).unwrap_or("/").to_string();
    let (connect_host, port) = resolver.resolve(namespace, name, port)?;
    Ok(Target { connect_host, port, server_name: format!("{name}.{namespace}.svc"), path })
}

/// POSTs `body` to the webhook of `client_config` and returns its JSON answer.
pub async fn call(
    client_config: &Value,
    resolver: &dyn ServiceResolver,
    body: &Value,
    timeout: Duration,
) -> Result<Value, CallError> {
    match tokio::time::timeout(timeout, call_inner(client_config, resolver, body)).await {
        Ok(r) => r,
        Err(_) => Err(CallError::Timeout(timeout)),
    }
}

async fn call_inner(
    client_config: &Value,
    resolver: &dyn ServiceResolver,
    body: &Value,
) -> Result<Value, CallError> {
    let target = target(client_config, resolver)?;
    let bundle = client_config.get("caBundle").and_then(Value::as_str).unwrap_or("");
    if bundle.is_empty() {
        return Err(CallError::Config("caBundle is required to verify the webhook server".into()));
    }
    let pem = base64::engine::general_purpose::STANDARD
        .decode(bundle)
        .map_err(|e| CallError::Config(format!("caBundle: {e}")))?;
    let pem = String::from_utf8(pem).map_err(|e| CallError::Config(format!("caBundle: {e}")))?;
    let roots = root_store(&pem).map_err(|e| CallError::Config(format!("caBundle: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| CallError::Transport(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let url = format!("https://{}:{}{}", target.server_name, target.port, target.path);
    let transport =
        |e: &dyn std::fmt::Display| CallError::Transport(format!("Post \"{url}\": {e}"));
    let tcp = TcpStream::connect((target.connect_host.as_str(), target.port))
        .await
        .map_err(|e| transport(&e))?;
    let server_name =
        ServerName::try_from(target.server_name.clone()).map_err(|e| transport(&e))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .map_err(|e| transport(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| transport(&e))?;
    let driver = tokio::spawn(connection);
    let request = Request::builder()
        .method(Method::POST)
        .uri(target.path.as_str())
        .header(http::header::HOST, format!("{}:{}", target.server_name, target.port))
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| transport(&e))?;
    let response = sender.send_request(request).await.map_err(|e| transport(&e))?;
    let status = response.status();
    let bytes = response.into_body().collect().await.map_err(|e| transport(&e))?.to_bytes();
    driver.abort();
    if !status.is_success() {
        return Err(CallError::Transport(format!(
            "Post \"{url}\": the server answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        )));
    }
    serde_json::from_slice(&bytes).map_err(|e| CallError::Response(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_and_services_become_targets() {
        let t = target(&json!({"url": "https://127.0.0.1:8443/mutate?x=1"}), &LoopbackServices)
            .expect("url");
        assert_eq!(
            (t.connect_host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 8443, "/mutate?x=1")
        );
        let s = target(
            &json!({"service": {"namespace": "ns", "name": "hook", "path": "/v", "port": 9443}}),
            &LoopbackServices,
        )
        .expect("service");
        assert_eq!(s.server_name, "hook.ns.svc");
        assert_eq!((s.connect_host.as_str(), s.port, s.path.as_str()), ("127.0.0.1", 9443, "/v"));
        assert!(matches!(
            target(&json!({"url": "http://x/"}), &LoopbackServices),
            Err(CallError::Config(_))
        ));
    }
}
