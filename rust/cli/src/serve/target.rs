//! The report target: what answers a request once the gateway has opened it.
//! Kept apart from the gateway (which only decapsulates, pads and seals) so
//! either side can be replaced by standard software: Hush's gateway in
//! front of another target (a DAP leader, say: [`Target::Forward`]), or any
//! standard OHTTP gateway in front of Hush's target (`hush serve --mode
//! target`, which serves [`Target::Reports`] over plain HTTP).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hush_core::schema::Schema;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper::Request;
use hyper_util::rt::TokioIo;

use super::metrics::{Metrics, Outcome};
use super::store::{StoreHandle, Stored};
use super::validate;

/// A request as a target reads it: the opened Binary HTTP request, or a
/// plain HTTP one in target-only mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerRequest {
    pub method: Vec<u8>,
    pub path: Vec<u8>,
    pub content_type: Option<Vec<u8>>,
    pub body: Vec<u8>,
}

impl InnerRequest {
    pub fn from_bhttp(message: &bhttp::Message) -> Self {
        let control = message.control();
        Self {
            method: control.method().unwrap_or_default().to_vec(),
            path: control.path().unwrap_or_default().to_vec(),
            content_type: message.header().get(b"content-type").map(<[u8]>::to_vec),
            body: message.content().to_vec(),
        }
    }
}

/// A target's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerResponse {
    pub status: u16,
    pub content_type: Vec<u8>,
    pub body: Vec<u8>,
    /// Delay-seconds, passed on to the client (it honours it within bounds).
    pub retry_after: Option<u64>,
}

impl InnerResponse {
    /// A short fixed text: never quotes the request.
    pub fn text(status: u16, reason: &'static str) -> Self {
        Self {
            status,
            content_type: b"text/plain; charset=utf-8".to_vec(),
            body: reason.as_bytes().to_vec(),
            retry_after: None,
        }
    }
}

/// What answers opened requests.
pub enum Target {
    /// Validate the JSON report and store it, in this process.
    Reports(ReportTarget),
    /// Forward to a plain-HTTP target and pass its answer back.
    Forward(ForwardTarget),
}

impl Target {
    pub async fn handle(&self, request: InnerRequest) -> InnerResponse {
        match self {
            Self::Reports(t) => t.handle(request).await,
            Self::Forward(t) => t.handle(request).await,
        }
    }
}

/// The JSON report target: validation ([`validate`]) and the store.
pub struct ReportTarget {
    pub schema: Schema,
    pub store: StoreHandle,
    pub metrics: Arc<Metrics>,
}

/// How long a client is asked to wait after a store failure.
const STORE_RETRY_AFTER_S: u64 = 60;

impl ReportTarget {
    pub async fn handle(&self, request: InnerRequest) -> InnerResponse {
        let row = match validate::check(&self.schema, today(), &request) {
            Ok(row) => row,
            Err(refusal) => {
                self.metrics.count(match refusal.status {
                    404 | 405 => Outcome::NotFound,
                    415 => Outcome::UnsupportedMediaType,
                    _ => Outcome::Invalid,
                });
                return InnerResponse::text(refusal.status, refusal.reason);
            }
        };
        let started = Instant::now();
        let stored = self.store.insert(row).await;
        self.metrics.store_latency(started.elapsed());
        match stored {
            Ok(Stored::New) => {
                self.metrics.count(Outcome::Stored);
                InnerResponse::text(200, "stored")
            }
            // Idempotent: the client's earlier answer was lost; it may delete
            // its copy. The same answer as a first delivery.
            Ok(Stored::Duplicate) => {
                self.metrics.count(Outcome::Duplicate);
                InnerResponse::text(200, "stored")
            }
            Err(_) => {
                self.metrics.count(Outcome::StoreFailed);
                InnerResponse {
                    retry_after: Some(STORE_RETRY_AFTER_S),
                    ..InnerResponse::text(503, "try again later")
                }
            }
        }
    }
}

/// The collector's UTC day, by its own clock.
fn today() -> hush_core::clock::UtcDay {
    hush_core::clock::UtcDay::of_ms(hush_core::clock::Clock::now_ms(
        &hush_core::clock::SystemClock,
    ))
}

/// Forwards opened requests to a plain-HTTP target, `http://host:port[/prefix]`:
/// the inner request's path is appended to it; only its method, content type
/// and body are sent (never the inner authority, which only names the
/// origin the client meant). One connection per request.
pub struct ForwardTarget {
    authority: String,
    prefix: String,
    timeout: Duration,
    pub metrics: Arc<Metrics>,
}

/// The largest target answer passed back.
const MAX_TARGET_ANSWER: usize = 64 * 1024;

impl ForwardTarget {
    /// `url` must be `http://host:port[/prefix]`: the target sits on a
    /// private network or this machine, behind the gateway.
    pub fn new(url: &str, timeout: Duration, metrics: Arc<Metrics>) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("target URL {url}: expected http://host:port[/path]"))?;
        let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() || authority.contains('@') {
            return Err(format!(
                "target URL {url}: expected http://host:port[/path]"
            ));
        }
        Ok(Self {
            authority: authority.to_owned(),
            prefix: prefix.trim_end_matches('/').to_owned(),
            timeout,
            metrics,
        })
    }

    pub async fn handle(&self, request: InnerRequest) -> InnerResponse {
        match tokio::time::timeout(self.timeout, self.forward(request)).await {
            Ok(Ok(answer)) => {
                self.metrics.count(Outcome::Forwarded);
                answer
            }
            // Down, slow or not HTTP: the client retries (P16).
            _ => {
                self.metrics.count(Outcome::TargetFailed);
                InnerResponse::text(502, "report target unavailable")
            }
        }
    }

    async fn forward(&self, request: InnerRequest) -> Result<InnerResponse, String> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            // Ends with the exchange; its error is the request's.
            let _ = conn.await;
        });
        let path = String::from_utf8(request.path).map_err(|e| e.to_string())?;
        if !path.starts_with('/') {
            return Err("inner path is not absolute".into());
        }
        let mut builder = Request::builder()
            .method(request.method.as_slice())
            .uri(format!("{}{path}", self.prefix))
            .header(HOST, self.authority.as_str());
        if let Some(ct) = &request.content_type {
            builder = builder.header(
                CONTENT_TYPE,
                HeaderValue::from_bytes(ct).map_err(|e| e.to_string())?,
            );
        }
        let outgoing = builder
            .body(Full::new(Bytes::from(request.body)))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(outgoing)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = Limited::new(response.into_body(), MAX_TARGET_ANSWER)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes()
            .to_vec();
        Ok(InnerResponse {
            status,
            content_type,
            body,
            retry_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_are_plain_http_host_and_port() {
        let m = Arc::new(Metrics::default());
        let t = ForwardTarget::new(
            "http://127.0.0.1:9000/leader/",
            Duration::from_secs(1),
            m.clone(),
        )
        .unwrap();
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("127.0.0.1:9000", "/leader")
        );
        let t =
            ForwardTarget::new("http://10.0.0.2:80", Duration::from_secs(1), m.clone()).unwrap();
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("10.0.0.2:80", "")
        );
        for bad in ["https://x:1/", "x:1", "http:///p", "http://u@x:1/"] {
            assert!(
                ForwardTarget::new(bad, Duration::from_secs(1), m.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
