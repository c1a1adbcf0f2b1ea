//! The target: where the gateway sends a request once it has opened it,
//! over plain HTTP (the DAP leader, `hush leader`, or any HTTP service).
//! Kept apart from the gateway (which only decapsulates, pads and seals),
//! so either side can be replaced by standard software: Hush's gateway in
//! front of a Janus leader, or any standard OHTTP gateway (`ohttp-gateway`,
//! a cloud's privacy gateway) in front of `hush leader`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST, RETRY_AFTER};
use hyper::Request;
use hyper_util::rt::TokioIo;

use super::metrics::{Metrics, Outcome};

/// A request as the target is sent it: the opened Binary HTTP request's
/// method, path, content type and body (no other header: a credential
/// inside a sealed request never reaches the target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerRequest {
    pub method: Vec<u8>,
    pub path: Vec<u8>,
    pub content_type: Option<Vec<u8>>,
    pub body: Vec<u8>,
}

impl InnerRequest {
    /// Whether it can be sent on as HTTP/1.1: a method token, an absolute
    /// UTF-8 path, a content type that is a header value. Anything else is
    /// the client's error, which no retry can fix.
    pub fn is_forwardable(&self) -> bool {
        hyper::Method::from_bytes(&self.method).is_ok()
            && std::str::from_utf8(&self.path).is_ok_and(|p| p.starts_with('/'))
            && self
                .content_type
                .as_deref()
                .is_none_or(|ct| HeaderValue::from_bytes(ct).is_ok())
    }

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

/// Forwards opened requests to a plain-HTTP target, `http://host:port[/prefix]`:
/// the inner request's path is appended to it; only its method, content type
/// and body are sent (never the inner authority, which only names the
/// origin the client meant, nor any other inner header). One connection per
/// request.
pub struct Target {
    authority: String,
    prefix: String,
    timeout: Duration,
    pub metrics: Arc<Metrics>,
}

/// The largest target answer passed back.
const MAX_TARGET_ANSWER: usize = 64 * 1024;

impl Target {
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
        // Refused before any connection: a sealed 400 ends the report on the
        // device, where a 502 would have it retried until it expires.
        if !request.is_forwardable() {
            self.metrics.count(Outcome::Malformed);
            return InnerResponse::text(400, "not a request the target can be sent");
        }
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, self.forward(request)).await {
            Ok(Ok(answer)) => {
                self.metrics.target_latency(started.elapsed());
                self.metrics.count(Outcome::of_target_status(answer.status));
                answer
            }
            // Down, slow or not HTTP: the client retries (P16).
            _ => {
                self.metrics.count(Outcome::TargetFailed);
                InnerResponse::text(502, "target unavailable")
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
    fn a_request_that_cannot_be_sent_on_is_a_400_without_a_connection() {
        let m = Arc::new(Metrics::default());
        // Nothing listens on the discard port: a connection attempt would
        // be a 502.
        let t = Target::new("http://127.0.0.1:9", Duration::from_secs(5), m.clone()).unwrap();
        let good = InnerRequest {
            method: b"PUT".to_vec(),
            path: b"/tasks/x/reports".to_vec(),
            content_type: Some(b"application/dap-report".to_vec()),
            body: b"report".to_vec(),
        };
        assert!(good.is_forwardable());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let bad = [
            InnerRequest {
                path: b"tasks/x/reports".to_vec(),
                ..good.clone()
            },
            InnerRequest {
                path: vec![b'/', 0xff],
                ..good.clone()
            },
            InnerRequest {
                method: b"P T".to_vec(),
                ..good.clone()
            },
            InnerRequest {
                content_type: Some(b"a\nb".to_vec()),
                ..good.clone()
            },
        ];
        for request in bad {
            assert!(!request.is_forwardable(), "{request:?}");
            assert_eq!(runtime.block_on(t.handle(request)).status, 400);
        }
        assert_eq!(m.get(Outcome::Malformed), 4);
        assert_eq!(m.get(Outcome::TargetFailed), 0);
        // The good one is sent on, and finds nothing there.
        assert_eq!(runtime.block_on(t.handle(good)).status, 502);
        assert_eq!(m.get(Outcome::TargetFailed), 1);
    }

    #[test]
    fn target_urls_are_plain_http_host_and_port() {
        let m = Arc::new(Metrics::default());
        let t = Target::new(
            "http://127.0.0.1:9000/leader/",
            Duration::from_secs(1),
            m.clone(),
        )
        .unwrap();
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("127.0.0.1:9000", "/leader")
        );
        let t = Target::new("http://10.0.0.2:80", Duration::from_secs(1), m.clone()).unwrap();
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("10.0.0.2:80", "")
        );
        for bad in ["https://x:1/", "x:1", "http:///p", "http://u@x:1/"] {
            assert!(
                Target::new(bad, Duration::from_secs(1), m.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
