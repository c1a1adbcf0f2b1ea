//! HTTP resources of `hush serve`, the OHTTP gateway. The public listener:
//!
//! | resource | method | answer |
//! |---|---|---|
//! | `/.well-known/ohttp-gateway` (RFC 9540) | POST `message/ohttp-req` | 200 `message/ohttp-res`: the target's sealed answer |
//! | `/.well-known/ohttp-gateway` | GET, HEAD | 200 `application/ohttp-keys`: the key configurations, newest first |
//! | `/gateway` | POST | as `/.well-known/ohttp-gateway` |
//! | `/ohttp-keys` | GET, HEAD | as `/.well-known/ohttp-gateway` |
//! | `/healthz` | GET, HEAD | 200 `ok` |
//! | anything else | | 404, or 405 with `Allow` for a known path |
//!
//! Outer (unencrypted) errors, before anything is decrypted: 415 for another
//! content type, 413 above [`MAX_BODY`], 408 for a body slower than
//! [`BODY_TIMEOUT`], 400 for a request that cannot be decapsulated. A request
//! for a key id the gateway does not hold, or one that does not decrypt with
//! it, gets the RFC 9458 §5.3 `ohttp-key` problem (400,
//! `application/problem+json`): the client's pinned configuration is wrong,
//! which retrying cannot fix.
//!
//! Once a request decrypts, it is forwarded to the target ([`forward`]) and
//! every answer is sealed to the client, including refusals: the inner
//! status is what the client acts on (the leader's 200 for a stored or
//! already stored report, its DAP problem document otherwise; 502 if the
//! target is down or too slow, 400 for a message that is not Binary HTTP
//! or not a request the target can be sent: see [`InnerRequest::is_forwardable`]).
//! Every sealed answer is padded to a multiple of [`ANSWER_PAD`] bytes of
//! Binary HTTP, one size for every answer to an upload, so its size does not
//! tell a refusal from a success (P9). A replayed encapsulated request is
//! harmless: the report id de-duplicates it at the leader, and the answer is
//! sealed to whoever made the original request.
//!
//! [`forward`]: super::forward

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use super::forward::{InnerRequest, InnerResponse, Target};
use super::metrics::{Metrics, Outcome};
use crate::gateway::{self, Gateway, GatewayError};

pub const KEYS_PATH: &str = "/ohttp-keys";
pub const GATEWAY_PATH: &str = "/gateway";
/// RFC 9540 §3: the gateway resource and its key configuration.
pub const WELL_KNOWN_PATH: &str = "/.well-known/ohttp-gateway";
pub const HEALTH_PATH: &str = "/healthz";
pub const METRICS_PATH: &str = "/metrics";
/// Largest encapsulated request accepted: twice the largest report of the
/// shipped plan (the page domains, about 46 KB sealed), so an allow-list that
/// grows does not strand uploads.
pub const MAX_BODY: usize = 128 * 1024;
/// A body must arrive within this time once the headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Every sealed answer's Binary HTTP message is zero-padded to a multiple of
/// this (RFC 9292 §3.8): above every answer the leader gives an upload (its
/// 512-byte one-size answers with their header) and every answer of the
/// gateway's own, so all of them seal to one size.
pub const ANSWER_PAD: usize = 1024;

const KEYS_TYPE: &str = "application/ohttp-keys";
const REQUEST_TYPE: &str = "message/ohttp-req";
const RESPONSE_TYPE: &str = "message/ohttp-res";
const PROBLEM_TYPE: &str = "application/problem+json";
/// RFC 9458 §5.3.
const OHTTP_KEY_PROBLEM: &str = r#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"key identifier unknown or wrong key"}"#;

pub type Body = Full<Bytes>;

/// What every request handler shares: the keys, the target behind them.
pub struct App {
    pub gateway: Gateway,
    pub target: Target,
    pub metrics: Arc<Metrics>,
}

/// The public listener.
pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path();
    if path == HEALTH_PATH {
        return Ok(health(&app.metrics, req.method()));
    }
    let response = match (path, req.method()) {
        (KEYS_PATH | WELL_KNOWN_PATH, &Method::GET | &Method::HEAD) => {
            app.metrics.count(Outcome::Keys);
            respond(
                StatusCode::OK,
                KEYS_TYPE,
                Bytes::copy_from_slice(app.gateway.key_configs()),
            )
        }
        (GATEWAY_PATH | WELL_KNOWN_PATH, &Method::POST) => {
            gateway_request(&app.gateway, &app.target, &app.metrics, req).await
        }
        (KEYS_PATH, _) => not_allowed(&app.metrics, "GET, HEAD"),
        (WELL_KNOWN_PATH, _) => not_allowed(&app.metrics, "GET, HEAD, POST"),
        (GATEWAY_PATH, _) => not_allowed(&app.metrics, "POST"),
        _ => not_found(&app.metrics),
    };
    Ok(response)
}

/// The admin listener: `/metrics` and `/healthz`.
pub async fn handle_admin(
    app: Arc<App>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    Ok(match (req.uri().path(), req.method()) {
        (METRICS_PATH, &Method::GET) => respond(
            StatusCode::OK,
            crate::prometheus::CONTENT_TYPE,
            Bytes::from(app.metrics.render()),
        ),
        (HEALTH_PATH, method) => health(&app.metrics, method),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    })
}

fn health(metrics: &Metrics, method: &Method) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    metrics.count(Outcome::Health);
    text(StatusCode::OK, "ok\n")
}

/// Reads a request body of at most [`MAX_BODY`] bytes within
/// [`BODY_TIMEOUT`]; or the status and reason to refuse it with.
async fn read_body(
    metrics: &Metrics,
    req: Request<Incoming>,
) -> Result<Bytes, (StatusCode, &'static str)> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        metrics.count(Outcome::TooLarge);
        (StatusCode::PAYLOAD_TOO_LARGE, "request too large")
    };
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let body = Limited::new(req.into_body(), MAX_BODY).collect();
    match tokio::time::timeout(BODY_TIMEOUT, body).await {
        Err(_) => {
            metrics.count(Outcome::Timeout);
            Err((StatusCode::REQUEST_TIMEOUT, "body too slow"))
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => {
            metrics.count(Outcome::Malformed);
            Err((StatusCode::BAD_REQUEST, "incomplete body"))
        }
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

async fn gateway_request(
    gateway: &Gateway,
    target: &Target,
    metrics: &Metrics,
    req: Request<Incoming>,
) -> Response<Body> {
    let content_type = req.headers().get(CONTENT_TYPE).map(HeaderValue::as_bytes);
    if !content_type.is_some_and(|ct| is_media_type(ct, REQUEST_TYPE)) {
        metrics.count(Outcome::UnsupportedMediaType);
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected message/ohttp-req",
        );
    }
    let body = match read_body(metrics, req).await {
        Ok(body) => body,
        Err((status, reason)) => return text(status, reason),
    };
    let (inner, handle) = match gateway.open_request(&body) {
        Ok(opened) => opened,
        Err(GatewayError::UnknownKeyId(_) | GatewayError::Decrypt) => {
            metrics.count(Outcome::KeyProblem);
            return respond(
                StatusCode::BAD_REQUEST,
                PROBLEM_TYPE,
                Bytes::from_static(OHTTP_KEY_PROBLEM.as_bytes()),
            );
        }
        Err(_) => {
            metrics.count(Outcome::Malformed);
            return text(StatusCode::BAD_REQUEST, "not an encapsulated request");
        }
    };
    let answer = match gateway::decode_request(&inner) {
        Ok(message) => target.handle(InnerRequest::from_bhttp(&message)).await,
        Err(_) => {
            metrics.count(Outcome::Malformed);
            InnerResponse::text(400, "not a binary HTTP request")
        }
    };
    match sealed_answer(handle, &answer) {
        Ok(sealed) => respond(StatusCode::OK, RESPONSE_TYPE, Bytes::from(sealed)),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "cannot seal the answer"),
    }
}

/// The target's answer as a padded Binary HTTP response, sealed. Only its
/// status, content type, `Retry-After` and content are kept.
pub fn sealed_answer(
    handle: gateway::ResponseHandle,
    answer: &InnerResponse,
) -> Result<Vec<u8>, GatewayError> {
    let mut headers: Vec<(&[u8], Vec<u8>)> = Vec::new();
    if !answer.content_type.is_empty() {
        headers.push((b"content-type", answer.content_type.clone()));
    }
    if let Some(s) = answer.retry_after {
        headers.push((b"retry-after", s.to_string().into_bytes()));
    }
    let bhttp = gateway::encode_response(answer.status, &headers, &answer.body, ANSWER_PAD)?;
    gateway::seal_response(handle, &bhttp)
}

/// `value` names `media_type` (ASCII case-insensitive), with or without parameters.
pub fn is_media_type(value: &[u8], media_type: &str) -> bool {
    let essence = value.split(|&b| b == b';').next().unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(media_type.as_bytes())
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn text(status: StatusCode, message: &'static str) -> Response<Body> {
    respond(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(message.as_bytes()),
    )
}

fn not_found(metrics: &Metrics) -> Response<Body> {
    metrics.count(Outcome::NotFound);
    text(StatusCode::NOT_FOUND, "not found")
}

fn not_allowed(metrics: &Metrics, allow: &'static str) -> Response<Body> {
    metrics.count(Outcome::NotFound);
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_match_without_case_or_parameters() {
        assert!(is_media_type(b"message/ohttp-req", REQUEST_TYPE));
        assert!(is_media_type(b"Message/OHTTP-Req ; x=1", REQUEST_TYPE));
        assert!(!is_media_type(b"message/ohttp-res", REQUEST_TYPE));
        assert!(!is_media_type(b"", REQUEST_TYPE));
        assert!(!is_media_type(b"message/ohttp-reqx", REQUEST_TYPE));
    }

    /// P9 at the seam where it is made: every answer the leader can give an
    /// upload (stored or duplicate, each DAP problem, a refused body), and
    /// the gateway's own (a target that is down, a message that is not
    /// Binary HTTP), seals to one length.
    #[test]
    fn sealed_answers_have_one_size() {
        use crate::dap::leader::upload::{one_size, tests::every_answer};
        let dir = tempfile::tempdir().unwrap();
        crate::gateway::generate(dir.path(), None).unwrap();
        let gateway = Gateway::load(dir.path()).unwrap();
        let keys = hush_core::ohttp::KeyConfigs::parse(gateway.key_configs()).unwrap();
        let mut answers: Vec<InnerResponse> = every_answer()
            .into_iter()
            .map(|a| {
                let a = one_size(a);
                InnerResponse {
                    status: a.status.as_u16(),
                    content_type: a.content_type().unwrap_or_default().as_bytes().to_vec(),
                    body: a.body,
                    retry_after: None,
                }
            })
            .collect();
        answers.push(InnerResponse::text(400, "not a binary HTTP request"));
        answers.push(InnerResponse::text(502, "target unavailable"));
        // A plain 404 of the leader (not an upload path).
        answers.push(InnerResponse {
            status: 404,
            content_type: b"application/problem+json".to_vec(),
            body: crate::dap::http::Response::not_found().body,
            retry_after: None,
        });
        let mut lengths = Vec::new();
        for answer in &answers {
            let sealed = hush_core::ohttp::encapsulate(&keys, b"request").unwrap();
            let (_, handle) = gateway.open_request(&sealed.request).unwrap();
            let bytes = sealed_answer(handle, answer).unwrap();
            let inner = sealed.opener.open(&bytes).unwrap();
            let decoded = hush_core::ohttp::bhttp::decode_response(&inner).unwrap();
            assert_eq!(decoded.status, answer.status);
            assert_eq!(decoded.content, answer.body);
            lengths.push(bytes.len());
        }
        // The response nonce (16) and the AEAD tag (16) around the padding.
        assert!(lengths.iter().all(|&l| l == ANSWER_PAD + 32), "{lengths:?}");
    }
}
