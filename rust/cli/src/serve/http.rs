//! HTTP resources of `hush serve`. The public listener, as a gateway
//! (`--mode all`, the default, or `--mode gateway`):
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
//! As the report target alone (`--mode target`, plain HTTP behind any
//! standard OHTTP gateway): `POST /report` and `/healthz`; every answer but
//! `/healthz`, refusals included, has the same headers and a body of the
//! same length ([`TARGET_BODY_LEN`]), so the gateway in front seals answers
//! of one size.
//!
//! Outer (unencrypted) errors, before anything is decrypted: 415 for another
//! content type, 413 above [`MAX_BODY`], 408 for a body slower than
//! [`BODY_TIMEOUT`], 400 for a request that cannot be decapsulated. A request
//! for a key id the gateway does not hold, or one that does not decrypt with
//! it, gets the RFC 9458 §5.3 `ohttp-key` problem (400,
//! `application/problem+json`): the client's pinned configuration is wrong,
//! which retrying cannot fix.
//!
//! Once a request decrypts, every answer is sealed to the client, including
//! refusals: the inner status is what the client acts on (200 stored or
//! already stored, 400 invalid report, 503 store failure, 502 target
//! unreachable). Every sealed answer is padded to [`ANSWER_PAD`] bytes of
//! Binary HTTP, so its size does not tell a refusal from a success (P9). A
//! replayed encapsulated request is harmless: the report id de-duplicates
//! it, and the answer is sealed to whoever made the original request.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};

use super::metrics::{Metrics, Outcome};
use super::target::{InnerRequest, InnerResponse, Target};
use crate::gateway::{self, Gateway, GatewayError};

pub const KEYS_PATH: &str = "/ohttp-keys";
pub const GATEWAY_PATH: &str = "/gateway";
/// RFC 9540 §3: the gateway resource and its key configuration.
pub const WELL_KNOWN_PATH: &str = "/.well-known/ohttp-gateway";
pub const HEALTH_PATH: &str = "/healthz";
pub const METRICS_PATH: &str = "/metrics";
/// Largest encapsulated request accepted. Clients pad reports to power-of-two
/// buckets; 64 KiB is far above a real day's report.
pub const MAX_BODY: usize = 64 * 1024;
/// A body must arrive within this time once the headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Every sealed answer's Binary HTTP message is zero-padded to a multiple of
/// this (RFC 9292 §3.8): one size for every answer the report target gives.
pub const ANSWER_PAD: usize = 512;
/// Target-only mode: the length of every answer body.
pub const TARGET_BODY_LEN: usize = 64;

const KEYS_TYPE: &str = "application/ohttp-keys";
const REQUEST_TYPE: &str = "message/ohttp-req";
const RESPONSE_TYPE: &str = "message/ohttp-res";
const PROBLEM_TYPE: &str = "application/problem+json";
/// RFC 9458 §5.3.
const OHTTP_KEY_PROBLEM: &str = r#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"key identifier unknown or wrong key"}"#;

pub type Body = Full<Bytes>;

/// What the public listener is.
pub enum Role {
    /// An OHTTP gateway in front of `target`.
    Gateway { gateway: Gateway, target: Target },
    /// The report target alone, plain HTTP.
    Target(Target),
}

/// What every request handler shares.
pub struct App {
    pub role: Role,
    pub metrics: Arc<Metrics>,
}

/// The public listener.
pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path();
    if path == HEALTH_PATH {
        return Ok(health(&app.metrics, req.method()));
    }
    let response = match &app.role {
        Role::Gateway { gateway, target } => match (path, req.method()) {
            (KEYS_PATH | WELL_KNOWN_PATH, &Method::GET | &Method::HEAD) => {
                app.metrics.count(Outcome::Keys);
                respond(
                    StatusCode::OK,
                    KEYS_TYPE,
                    Bytes::copy_from_slice(gateway.key_configs()),
                )
            }
            (GATEWAY_PATH | WELL_KNOWN_PATH, &Method::POST) => {
                gateway_request(gateway, target, &app.metrics, req).await
            }
            (KEYS_PATH, _) => not_allowed(&app.metrics, "GET, HEAD"),
            (WELL_KNOWN_PATH, _) => not_allowed(&app.metrics, "GET, HEAD, POST"),
            (GATEWAY_PATH, _) => not_allowed(&app.metrics, "POST"),
            _ => not_found(&app.metrics),
        },
        Role::Target(target) => plain_target(target, &app.metrics, req).await,
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
            "text/plain; version=0.0.4; charset=utf-8",
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
fn sealed_answer(
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

/// Target-only mode: the report target over plain HTTP.
async fn plain_target(
    target: &Target,
    metrics: &Metrics,
    req: Request<Incoming>,
) -> Response<Body> {
    let method = req.method().as_str().as_bytes().to_vec();
    let path = req.uri().path().as_bytes().to_vec();
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec());
    let body = match read_body(metrics, req).await {
        Ok(body) => body.to_vec(),
        // Of the one size too, as every answer of the target.
        Err((status, reason)) => return fixed_size(&InnerResponse::text(status.as_u16(), reason)),
    };
    let answer = target
        .handle(InnerRequest {
            method,
            path,
            content_type,
            body,
        })
        .await;
    fixed_size(&answer)
}

/// An answer whose headers and body length are the same whatever it says.
fn fixed_size(answer: &InnerResponse) -> Response<Body> {
    let mut body = answer.body.clone();
    body.truncate(TARGET_BODY_LEN);
    body.resize(TARGET_BODY_LEN, b' ');
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = respond(status, "text/plain; charset=utf-8", Bytes::from(body));
    // Always present, so the header section is the same size: 0 = no wait.
    let after = answer.retry_after.unwrap_or(0).min(9_999);
    response.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from_str(&format!("{after:04}")).unwrap_or(HeaderValue::from_static("0000")),
    );
    response
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

    #[test]
    fn target_answers_have_one_size() {
        let answers = [
            InnerResponse::text(200, "stored"),
            InnerResponse::text(400, "unknown metric, type or label"),
            InnerResponse::text(404, "unknown resource"),
            InnerResponse {
                retry_after: Some(60),
                ..InnerResponse::text(503, "try again later")
            },
        ];
        let sizes: Vec<(usize, usize)> = answers
            .iter()
            .map(|a| {
                let r = fixed_size(a);
                let headers: usize = r
                    .headers()
                    .iter()
                    .map(|(n, v)| n.as_str().len() + v.len())
                    .sum();
                let len = http_body_util::BodyExt::boxed(r.into_body());
                (
                    headers,
                    hyper::body::Body::size_hint(&len).exact().unwrap() as usize,
                )
            })
            .collect();
        assert!(sizes.iter().all(|s| *s == sizes[0]), "{sizes:?}");
        assert_eq!(sizes[0].1, TARGET_BODY_LEN);
    }

    /// P9 at the seam where it is made: every answer the target can give
    /// (stored or duplicate, a refusal, an invalid report, a store failure
    /// with its Retry-After, a target that is down) seals to one length.
    #[test]
    fn sealed_answers_have_one_size() {
        let dir = tempfile::tempdir().unwrap();
        crate::gateway::generate(dir.path(), None).unwrap();
        let gateway = Gateway::load(dir.path()).unwrap();
        let keys = hush_core::ohttp::KeyConfigs::parse(gateway.key_configs()).unwrap();
        let answers = [
            InnerResponse::text(200, "stored"),
            InnerResponse::text(400, "unknown metric, type or label"),
            InnerResponse::text(400, "not a binary HTTP request"),
            InnerResponse::text(404, "unknown resource"),
            InnerResponse {
                retry_after: Some(60),
                ..InnerResponse::text(503, "try again later")
            },
            InnerResponse::text(502, "report target unavailable"),
            InnerResponse {
                status: 400,
                content_type: b"application/problem+json".to_vec(),
                body: br#"{"type":"urn:ietf:params:ppm:dap:error:reportRejected","title":"Report could not be processed.","taskid":"8BY0RzZMzxvA46_8ymhzycOB9krN-QIGYvg_RsByGec"}"#.to_vec(),
                retry_after: None,
            },
        ];
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
        assert!(lengths.iter().all(|&l| l == ANSWER_PAD + 32), "{lengths:?}");
    }
}
