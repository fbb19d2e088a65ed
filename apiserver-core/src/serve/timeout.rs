//! [`TimeoutLayer`]: ends a non-long-running request that takes too long with `504 Timeout`.
//!
//! Follows apiserver's `WithRequestDeadline` and `WithTimeoutForNonLongRunningRequests`
//! filters: every request except the long-running ones (watches, proxy, and the `attach`,
//! `exec`, `log`, `portforward` and `proxy` subresources) gets a deadline — the server's
//! maximum (60 s by default), or the request's `timeout` query parameter (a Go duration
//! such as `32s`) when that is shorter and positive. When the deadline passes the handler
//! is dropped and the client gets `504` with a `Timeout` `Status`; an unparseable
//! `timeout` is a `400 BadRequest`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use tower::{Layer, Service};

use crate::request::{Query, RequestInfo};
use crate::status::ApiError;

/// The response body the timeout layer wraps (the API server's body type).
pub type TimeoutBody = BoxBody<Bytes, Infallible>;

/// The default deadline of a non-long-running request (apiserver's `--request-timeout`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Subresources whose requests run as long as the client wants.
const LONG_RUNNING_SUBRESOURCES: [&str; 5] = ["attach", "exec", "proxy", "log", "portforward"];

/// A [`tower::Layer`] giving every non-long-running request a deadline.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    maximum: Duration,
}

impl TimeoutLayer {
    /// A layer whose deadline is `maximum` unless the request asks for less.
    pub fn new(maximum: Duration) -> Self {
        TimeoutLayer { maximum }
    }

    /// The deadline requests get when they do not ask for a shorter one.
    pub fn maximum(&self) -> Duration {
        self.maximum
    }
}

impl Default for TimeoutLayer {
    fn default() -> Self {
        TimeoutLayer::new(DEFAULT_REQUEST_TIMEOUT)
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = TimeoutService<S>;

    fn layer(&self, inner: S) -> TimeoutService<S> {
        TimeoutService { inner, maximum: self.maximum }
    }
}

/// The service [`TimeoutLayer`] produces.
#[derive(Debug, Clone)]
pub struct TimeoutService<S> {
    inner: S,
    maximum: Duration,
}

/// The future of a [`TimeoutService`] call.
pub type TimeoutFuture<E> =
    Pin<Box<dyn Future<Output = Result<Response<TimeoutBody>, E>> + Send + 'static>>;

impl<S, B> Service<Request<B>> for TimeoutService<S>
where
    S: Service<Request<B>, Response = Response<TimeoutBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<TimeoutBody>;
    type Error = S::Error;
    type Future = TimeoutFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        match request_deadline(&req, self.maximum) {
            Err(error) => Box::pin(std::future::ready(Ok(status_response(&error)))),
            Ok(None) => Box::pin(self.inner.call(req)),
            Ok(Some(deadline)) => {
                let call = self.inner.call(req);
                Box::pin(async move {
                    match tokio::time::timeout(deadline, call).await {
                        Ok(result) => result,
                        Err(_elapsed) => Ok(status_response(&deadline_exceeded())),
                    }
                })
            }
        }
    }
}

/// The deadline of a request: `None` for long-running requests, else the shorter of
/// `maximum` and a positive `timeout` query parameter.
pub fn request_deadline<B>(
    req: &Request<B>,
    maximum: Duration,
) -> Result<Option<Duration>, ApiError> {
    let query = Query::from_uri(req.uri());
    match RequestInfo::parse(req.method(), req.uri().path(), &query) {
        Ok(info) => deadline_for(&info, &query, maximum),
        Err(_) => deadline_from_query(&query, maximum),
    }
}

/// [`request_deadline`] for a request whose path and query are already parsed (the API
/// server's pipeline uses this, so in-process callers get the same deadlines).
pub fn deadline_for(
    info: &RequestInfo,
    query: &Query,
    maximum: Duration,
) -> Result<Option<Duration>, ApiError> {
    if is_long_running(info) {
        return Ok(None);
    }
    deadline_from_query(query, maximum)
}

/// The shorter of `maximum` and a positive `timeout` query parameter.
fn deadline_from_query(query: &Query, maximum: Duration) -> Result<Option<Duration>, ApiError> {
    let Some(value) = query.get("timeout").filter(|v| !v.is_empty()) else {
        return Ok(Some(maximum));
    };
    let requested = parse_go_duration(value).map_err(|error| {
        ApiError::bad_request(format!("invalid timeout specified in the request URL - {error}"))
    })?;
    Ok(Some(match requested {
        Some(requested) if !requested.is_zero() && requested < maximum => requested,
        _ => maximum,
    }))
}

/// The 504 `Status` of a request that ran out of time, as kube-apiserver words it.
pub fn deadline_exceeded() -> ApiError {
    ApiError::timeout(
        "request did not complete within requested timeout - context deadline exceeded",
        0,
    )
}

/// Whether apiserver treats the request as long-running (no deadline).
pub fn is_long_running(info: &RequestInfo) -> bool {
    info.is_resource_request
        && (matches!(info.verb.as_str(), "watch" | "proxy")
            || LONG_RUNNING_SUBRESOURCES.contains(&info.subresource.as_str()))
}

/// Parses a Go `time.Duration` string (`300ms`, `1.5h`, `2h45m`, `0`). A negative duration
/// is `Ok(None)`; errors carry Go's messages.
pub fn parse_go_duration(input: &str) -> Result<Option<Duration>, String> {
    let invalid = || format!("time: invalid duration {input:?}");
    let (negative, mut rest) = match input.as_bytes().first() {
        Some(b'-') => (true, &input[1..]),
        Some(b'+') => (false, &input[1..]),
        _ => (false, input),
    };
    if rest == "0" {
        return Ok(Some(Duration::ZERO));
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let nanos_per_unit = match unit {
            "" => return Err(format!("time: missing unit in duration {input:?}")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => return Err(format!("time: unknown unit {other:?} in duration {input:?}")),
        };
        total += value * nanos_per_unit;
        rest = &rest[unit_len..];
    }
    // Go's Duration is an i64 of nanoseconds.
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    if negative && total > 0.0 {
        return Ok(None);
    }
    Ok(Some(Duration::from_nanos(total as u64)))
}

/// An error as a JSON `Status` response.
fn status_response(error: &ApiError) -> Response<TimeoutBody> {
    let body = serde_json::to_vec(&error.to_json()).unwrap_or_default();
    let mut response =
        Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed());
    *response.status_mut() = error.code();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Request<()> {
        Request::get(uri).body(()).expect("request")
    }

    #[test]
    fn go_durations_parse_like_go() {
        assert_eq!(parse_go_duration("0"), Ok(Some(Duration::ZERO)));
        assert_eq!(parse_go_duration("32s"), Ok(Some(Duration::from_secs(32))));
        assert_eq!(parse_go_duration("1.5h"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(parse_go_duration("2h45m"), Ok(Some(Duration::from_secs(9900))));
        assert_eq!(parse_go_duration("300ms"), Ok(Some(Duration::from_millis(300))));
        assert_eq!(parse_go_duration("-1s"), Ok(None));
        assert_eq!(parse_go_duration("5"), Err("time: missing unit in duration \"5\"".into()));
        assert_eq!(
            parse_go_duration("5x"),
            Err("time: unknown unit \"x\" in duration \"5x\"".into())
        );
        assert_eq!(parse_go_duration("abc"), Err("time: invalid duration \"abc\"".into()));
        assert_eq!(parse_go_duration(""), Err("time: invalid duration \"\"".into()));
    }

    #[test]
    fn long_running_requests_have_no_deadline() {
        let max = DEFAULT_REQUEST_TIMEOUT;
        assert_eq!(request_deadline(&req("/api/v1/pods?watch=true"), max), Ok(None));
        assert_eq!(request_deadline(&req("/api/v1/watch/namespaces/a/pods"), max), Ok(None));
        assert_eq!(request_deadline(&req("/api/v1/namespaces/a/pods/p/log"), max), Ok(None));
        assert_eq!(request_deadline(&req("/api/v1/namespaces/a/pods/p/exec"), max), Ok(None));
        assert_eq!(request_deadline(&req("/api/v1/pods"), max), Ok(Some(max)));
        assert_eq!(request_deadline(&req("/api/v1/pods?watch=false"), max), Ok(Some(max)));
        assert_eq!(request_deadline(&req("/readyz"), max), Ok(Some(max)));
    }

    #[test]
    fn a_shorter_positive_timeout_parameter_wins() {
        let max = DEFAULT_REQUEST_TIMEOUT;
        assert_eq!(
            request_deadline(&req("/api/v1/pods?timeout=5s"), max),
            Ok(Some(Duration::from_secs(5)))
        );
        assert_eq!(request_deadline(&req("/api/v1/pods?timeout=5m"), max), Ok(Some(max)));
        assert_eq!(request_deadline(&req("/api/v1/pods?timeout=0s"), max), Ok(Some(max)));
        assert_eq!(request_deadline(&req("/api/v1/pods?timeout=-3s"), max), Ok(Some(max)));
        let error = request_deadline(&req("/api/v1/pods?timeout=soon"), max).expect_err("invalid");
        assert_eq!(error.code(), http::StatusCode::BAD_REQUEST);
        assert!(error.message().starts_with("invalid timeout specified in the request URL"));
    }
}
