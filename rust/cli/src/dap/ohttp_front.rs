//! The leader's Oblivious HTTP gateway, in front of its upload endpoint: a
//! thin adapter over the collector's gateway (`crate::gateway`, today's
//! `hush serve` code) that decapsulates a request, hands the Binary HTTP
//! request inside to the leader's DAP router in-process, and seals the
//! answer. Devices reach it through an OHTTP relay, so the leader never
//! sees their address (P10).
//!
//! | resource | method | answer |
//! |---|---|---|
//! | `/ohttp-keys` | GET | 200 `application/ohttp-keys`: the key configuration devices pin |
//! | `/gateway` | POST `message/ohttp-req` | 200 `message/ohttp-res`: the sealed DAP answer |
//!
//! Only `PUT {leader}tasks/{task-id}/reports` is forwarded; any other inner
//! request gets a sealed 404. The sealed answer is the DAP answer (200, or
//! a problem document), padded to [`ANSWER_BUCKET`] bytes so that its size
//! does not tell a refusal from a success (P9).
//!
//! Outer errors, before anything is decrypted, are as `hush serve` gives
//! them: 415 for another content type, 413 above [`MAX_ENCAPSULATED`], 400
//! with the RFC 9458 `ohttp-key` problem for a key the gateway does not hold.

use std::path::Path;

use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};

use super::http::{require_media_type, Request, Resource, Response};
use super::problem::Problem;
use crate::gateway::{self, Gateway, GatewayError};

pub const KEYS_PATH: &str = "/ohttp-keys";
pub const GATEWAY_PATH: &str = "/gateway";
/// The largest encapsulated request: a day's largest report (the page
/// domains, about 50 KB) with room to spare.
pub const MAX_ENCAPSULATED: usize = 512 * 1024;
/// Sealed answers are padded to a multiple of this.
pub const ANSWER_BUCKET: usize = 1024;

const KEYS_TYPE: &str = "application/ohttp-keys";
const REQUEST_TYPE: &str = "message/ohttp-req";
const RESPONSE_TYPE: &str = "message/ohttp-res";
/// RFC 9458 §5.3.
const OHTTP_KEY_PROBLEM: &str = r#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"key identifier unknown or wrong key"}"#;

pub struct OhttpFront {
    gateway: Gateway,
    keys: Bytes,
}

impl OhttpFront {
    /// Loads a gateway key directory (`hush keygen`, or `leader/ohttp/` of
    /// `hush dap-setup`).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let gateway = Gateway::load(dir).map_err(|e| e.to_string())?;
        let keys_path = dir.join(gateway::KEYS_FILE);
        let keys =
            std::fs::read(&keys_path).map_err(|e| format!("{}: {e}", keys_path.display()))?;
        Ok(Self {
            gateway,
            keys: Bytes::from(keys),
        })
    }

    /// Whether `path` is the gateway's rather than the DAP API's.
    pub fn serves(path: &str) -> bool {
        path == KEYS_PATH || path == GATEWAY_PATH
    }

    /// Answers a request for one of [`OhttpFront::serves`]'s paths; `dap`
    /// is the leader's router, `base` its DAP path.
    pub fn handle(
        &self,
        req: Request,
        base: &str,
        dap: impl FnOnce(Request) -> Response,
    ) -> Response {
        match (req.path.as_str(), &req.method) {
            (KEYS_PATH, &Method::GET | &Method::HEAD) => Response {
                status: StatusCode::OK,
                headers: vec![(CONTENT_TYPE, HeaderValue::from_static(KEYS_TYPE))],
                body: self.keys.to_vec(),
            },
            (KEYS_PATH, _) => Response::method_not_allowed("GET, HEAD"),
            (GATEWAY_PATH, &Method::POST) => self.gateway(req, base, dap),
            _ => Response::method_not_allowed("POST"),
        }
    }

    fn gateway(&self, req: Request, base: &str, dap: impl FnOnce(Request) -> Response) -> Response {
        if require_media_type(&req, REQUEST_TYPE).is_err() {
            return Response::problem(&Problem::plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected message/ohttp-req.",
            ));
        }
        let (inner, handle) = match self.gateway.open_request(&req.body) {
            Ok(opened) => opened,
            Err(GatewayError::UnknownKeyId(_) | GatewayError::Decrypt) => {
                return Response {
                    status: StatusCode::BAD_REQUEST,
                    headers: vec![(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/problem+json"),
                    )],
                    body: OHTTP_KEY_PROBLEM.as_bytes().to_vec(),
                }
            }
            Err(_) => {
                return Response::problem(&Problem::plain(
                    StatusCode::BAD_REQUEST,
                    "Not an encapsulated request.",
                ))
            }
        };
        let answer = match inner_request(&inner) {
            Some(inner)
                if matches!(Resource::parse(base, &inner.path), Ok(Resource::Reports(_))) =>
            {
                dap(inner)
            }
            Some(_) => Response::not_found(),
            None => Response::problem(&Problem::plain(
                StatusCode::BAD_REQUEST,
                "The decrypted request is not a valid Binary HTTP request.",
            )),
        };
        match encode_answer(&answer).and_then(|bhttp| gateway::seal_response(handle, &bhttp).ok()) {
            Some(sealed) => Response {
                status: StatusCode::OK,
                headers: vec![(CONTENT_TYPE, HeaderValue::from_static(RESPONSE_TYPE))],
                body: sealed,
            },
            None => Response::problem(&Problem::internal()),
        }
    }
}

/// The Binary HTTP request inside, as a DAP request: method, path and the
/// content type only (no other inner header reaches the DAP handler).
fn inner_request(bhttp: &[u8]) -> Option<Request> {
    let message = gateway::decode_request(bhttp).ok()?;
    let control = message.control();
    let method = Method::from_bytes(control.method()?).ok()?;
    let target = std::str::from_utf8(control.path()?).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (target, None),
    };
    let mut headers = HeaderMap::new();
    if let Some(ct) = message.header().get(b"content-type") {
        headers.insert(CONTENT_TYPE, HeaderValue::from_bytes(ct).ok()?);
    }
    Some(Request {
        method,
        path: path.to_owned(),
        query,
        headers,
        body: Bytes::copy_from_slice(message.content()),
    })
}

/// A known-length Binary HTTP response with the answer's status, content
/// type and body, zero-padded to a multiple of [`ANSWER_BUCKET`].
fn encode_answer(answer: &Response) -> Option<Vec<u8>> {
    let status = bhttp::StatusCode::try_from(answer.status.as_u16()).ok()?;
    let mut message = bhttp::Message::response(status);
    if let Some(ct) = answer.content_type() {
        message.put_header("content-type", ct);
    }
    message.write_content(&answer.body);
    let mut out = Vec::new();
    message
        .write_bhttp(bhttp::Mode::KnownLength, &mut out)
        .ok()?;
    out.resize(out.len().div_ceil(ANSWER_BUCKET) * ANSWER_BUCKET, 0);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_pad_to_the_bucket_and_decode_with_the_client() {
        let ok = encode_answer(&Response::empty(StatusCode::OK)).unwrap();
        let refused = encode_answer(&Response::problem(
            &Problem::dap(janus_messages::problem_type::DapProblemType::ReportRejected)
                .with_task(&janus_messages::TaskId::from([7; 32]))
                .with_detail("Report falls into a time interval that has already been collected."),
        ))
        .unwrap();
        assert_eq!(ok.len(), ANSWER_BUCKET);
        assert_eq!(refused.len(), ok.len(), "a refusal is as long as a success");
        let decoded = hush_core::ohttp::bhttp::decode_response(&refused).unwrap();
        assert_eq!(decoded.status, 400);
        assert!(decoded
            .headers
            .iter()
            .any(|(n, v)| n == "content-type" && v == "application/problem+json"));
    }

    #[test]
    fn only_the_request_line_content_type_and_body_get_through() {
        let bhttp = hush_core::ohttp::bhttp::encode_request(
            "PUT",
            "https",
            "leader.example",
            "/dap/tasks/x/reports?a=b",
            &[
                ("content-type", "application/dap-report"),
                ("cookie", "c=1"),
            ],
            b"body",
            256,
        );
        let req = inner_request(&bhttp).unwrap();
        assert_eq!(req.method, Method::PUT);
        assert_eq!(req.path, "/dap/tasks/x/reports");
        assert_eq!(req.query.as_deref(), Some("a=b"));
        assert_eq!(req.headers.len(), 1);
        assert_eq!(&req.body[..], b"body");
    }
}
