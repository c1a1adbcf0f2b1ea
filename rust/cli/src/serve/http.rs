//! HTTP resources of `hush serve`:
//!
//! | resource | method | answer |
//! |---|---|---|
//! | `/ohttp-keys` | GET, HEAD | 200 `application/ohttp-keys`: the key configuration clients pin |
//! | `/gateway` | POST `message/ohttp-req` | 200 `message/ohttp-res`: the sealed answer of the report target |
//! | anything else | | 404, or 405 with `Allow` for a known path |
//!
//! Outer (unencrypted) errors, before anything is decrypted: 415 for another
//! content type, 413 above [`MAX_BODY`], 408 for a body slower than
//! [`BODY_TIMEOUT`], 400 for a request that cannot be decapsulated. A request
//! for another key id, or one that does not decrypt with this key, gets the
//! RFC 9458 §5.3 `ohttp-key` problem (400, `application/problem+json`): the
//! client's pinned configuration is wrong, which retrying cannot fix.
//!
//! Once a request decrypts, every answer is sealed to the client, including
//! refusals: the inner status is what the client acts on (200 stored or
//! already stored, 400 invalid report, 500 store failure). A replayed
//! encapsulated request is harmless: the report id de-duplicates it, and the
//! answer is sealed to whoever made the original request.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use super::store::Stored;
use super::{validate, State};
use crate::gateway::{self, GatewayError};

pub const KEYS_PATH: &str = "/ohttp-keys";
pub const GATEWAY_PATH: &str = "/gateway";
/// Largest encapsulated request accepted. Clients pad reports to power-of-two
/// buckets; 64 KiB is far above a real day's report.
pub const MAX_BODY: usize = 64 * 1024;
/// A body must arrive within this time once the headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

const KEYS_TYPE: &str = "application/ohttp-keys";
const REQUEST_TYPE: &str = "message/ohttp-req";
const RESPONSE_TYPE: &str = "message/ohttp-res";
const PROBLEM_TYPE: &str = "application/problem+json";
/// RFC 9458 §5.3.
const OHTTP_KEY_PROBLEM: &str = r#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"key identifier unknown or wrong key"}"#;

pub type Body = Full<Bytes>;

pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    let response = match (req.uri().path(), req.method()) {
        (KEYS_PATH, &Method::GET | &Method::HEAD) => {
            respond(StatusCode::OK, KEYS_TYPE, state.keys.clone())
        }
        (KEYS_PATH, _) => not_allowed("GET, HEAD"),
        (GATEWAY_PATH, &Method::POST) => gateway(&state, req).await,
        (GATEWAY_PATH, _) => not_allowed("POST"),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    };
    Ok(response)
}

async fn gateway(state: &State, req: Request<Incoming>) -> Response<Body> {
    let content_type = req.headers().get(CONTENT_TYPE).map(HeaderValue::as_bytes);
    if !content_type.is_some_and(|ct| is_media_type(ct, REQUEST_TYPE)) {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected message/ohttp-req",
        );
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let body = Limited::new(req.into_body(), MAX_BODY).collect();
    let body = match tokio::time::timeout(BODY_TIMEOUT, body).await {
        Err(_) => return text(StatusCode::REQUEST_TIMEOUT, "body too slow"),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Ok(Err(_)) => return text(StatusCode::BAD_REQUEST, "incomplete body"),
        Ok(Ok(collected)) => collected.to_bytes(),
    };

    let (inner, handle) = match state.gateway.open_request(&body) {
        Ok(opened) => opened,
        Err(e) => {
            state.stats.undecryptable.fetch_add(1, Ordering::Relaxed);
            return match e {
                GatewayError::WrongKeyId { .. } | GatewayError::Decrypt => respond(
                    StatusCode::BAD_REQUEST,
                    PROBLEM_TYPE,
                    Bytes::from_static(OHTTP_KEY_PROBLEM.as_bytes()),
                ),
                _ => text(StatusCode::BAD_REQUEST, "not an encapsulated request"),
            };
        }
    };

    let (status, reason) = match validate::check(&state.schema, today(), &inner) {
        Err(refusal) => {
            state.stats.invalid.fetch_add(1, Ordering::Relaxed);
            (refusal.status, refusal.reason)
        }
        Ok(row) => match state.store.insert(row).await {
            Ok(Stored::New) => {
                state.stats.stored.fetch_add(1, Ordering::Relaxed);
                (200, "")
            }
            // Idempotent: the client's earlier answer was lost; it may delete its copy.
            Ok(Stored::Duplicate) => {
                state.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                (200, "")
            }
            Err(_) => (500, "try again later"),
        },
    };
    // A stored report and a duplicate get byte-identical answers (same length):
    // an observer of the ciphertext cannot tell a retry from a first delivery.
    let sealed = gateway::encode_response(status, reason.as_bytes())
        .and_then(|bhttp| gateway::seal_response(handle, &bhttp));
    match sealed {
        Ok(sealed) => respond(StatusCode::OK, RESPONSE_TYPE, Bytes::from(sealed)),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "cannot seal the answer"),
    }
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

fn too_large() -> Response<Body> {
    text(StatusCode::PAYLOAD_TOO_LARGE, "request too large")
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// The collector's UTC day, by its own clock.
fn today() -> hush_core::clock::UtcDay {
    hush_core::clock::UtcDay::of_ms(hush_core::clock::Clock::now_ms(
        &hush_core::clock::SystemClock,
    ))
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
}
