//! What the answer to one upload attempt is, and what it means (P16).
//!
//! Only two answers may end a report's life: the collector's own sealed
//! answer (it opens with the report's response opener, so no relay or
//! stranger can forge it), or the RFC 9458 §5.3 `ohttp-key` problem (the
//! gateway does not hold the key the report was sealed to; the ciphertext can
//! never be opened, and no plaintext is kept to seal it again). Everything
//! else, whatever its status, is a relay, a gateway or the network failing or
//! misconfigured: the report is kept and retried.

use serde::{Deserialize, Serialize};

use super::UploadResult;
use crate::ohttp::{bhttp, ResponseOpener};

/// RFC 9458 §5.3.
pub const OHTTP_KEY_PROBLEM: &str = "https://iana.org/assignments/http-problem-types#ohttp-key";

/// How one attempt ended, as recorded for the user (P13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// No HTTP answer: DNS, connect, TLS, timeout, reset.
    Network,
    /// An outer status from a relay or gateway, not a sealed answer: the
    /// relay or the gateway is down or misconfigured.
    Outer { status: u16 },
    /// An outer 2xx whose body is not the collector's sealed answer to this
    /// request (a captive portal, a proxy's page, a replayed answer).
    Unreadable,
    /// The RFC 9458 key problem: the gateway does not hold the key this
    /// report was sealed to.
    KeyProblem,
    /// The collector's sealed answer, with its inner status.
    Sealed { status: u16 },
}

/// What an answer means for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// Stored by the collector (or a duplicate it already had).
    Delivered,
    /// The collector judged the report and refused it for good.
    Refused,
    /// Sealed to a key the gateway does not hold: it can never be opened.
    KeyUnknown,
    /// Kept and retried, after `retry_after_ms` if the answer asked for it.
    Retry { retry_after_ms: Option<u64> },
}

/// Reads the result of one attempt. `opener` opens the collector's answer
/// to this very request; an opener that does not parse (a damaged pending
/// file) makes every answer unreadable, which keeps the report.
pub fn read(opener: &[u8], result: &UploadResult) -> (Answer, Option<u64>) {
    let (status, body, retry_after_ms) = match result {
        UploadResult::TransportError => return (Answer::Network, None),
        UploadResult::Http {
            status,
            body,
            retry_after_ms,
        } => (*status, body, *retry_after_ms),
    };
    if (200..300).contains(&status) {
        return match open(opener, body) {
            Some(inner) => {
                let after = inner_retry_after(&inner);
                (
                    Answer::Sealed {
                        status: inner.status,
                    },
                    after,
                )
            }
            None => (Answer::Unreadable, None),
        };
    }
    if status == 400 && is_key_problem(body) {
        return (Answer::KeyProblem, None);
    }
    (Answer::Outer { status }, retry_after_ms)
}

impl Answer {
    /// Whether the report is delivered, refused, unknown to the gateway's
    /// keys, or to be retried.
    pub fn meaning(self, retry_after_ms: Option<u64>) -> Meaning {
        match self {
            Self::Sealed { status } => match status {
                200..=299 => Meaning::Delivered,
                // The report target read the report and refused it: malformed
                // or invalid (400, 422), conflicting (409), no longer
                // accepted (410), too large (413). Retrying cannot help.
                400 | 409 | 410 | 413 | 422 => Meaning::Refused,
                // Busy or failing (408, 425, 429, 5xx), or the sealed request
                // never reached a report target that takes it (3xx, 401,
                // 403, 404, 405, 415, 421...): a gateway-to-target
                // misconfiguration, which an operator can fix.
                _ => Meaning::Retry { retry_after_ms },
            },
            Self::KeyProblem => Meaning::KeyUnknown,
            Self::Network | Self::Outer { .. } | Self::Unreadable => {
                Meaning::Retry { retry_after_ms }
            }
        }
    }
}

fn open(opener: &[u8], body: &[u8]) -> Option<bhttp::Response> {
    let opener = ResponseOpener::from_bytes(opener).ok()?;
    let bytes = opener.open(body).ok()?;
    bhttp::decode_response(&bytes).ok()
}

/// A `Retry-After` (delay-seconds) inside the sealed answer.
fn inner_retry_after(inner: &bhttp::Response) -> Option<u64> {
    inner
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .map(|s| s.saturating_mul(1000))
}

/// An `application/problem+json` body whose `type` is the RFC 9458 key
/// problem. The body alone decides (the platform does not pass the content
/// type): any other body, JSON or not, is some other 400.
pub fn is_key_problem(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Problem {
        #[serde(rename = "type")]
        kind: String,
    }
    body.len() <= 4096
        && serde_json::from_slice::<Problem>(body).is_ok_and(|p| p.kind == OHTTP_KEY_PROBLEM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_statuses_map_to_meanings() {
        let sealed = |status| Answer::Sealed { status }.meaning(None);
        for s in [200, 201, 202, 204] {
            assert_eq!(sealed(s), Meaning::Delivered, "{s}");
        }
        for s in [400, 409, 410, 413, 422] {
            assert_eq!(sealed(s), Meaning::Refused, "{s}");
        }
        for s in [
            100, 301, 302, 401, 403, 404, 405, 406, 408, 415, 421, 425, 429, 500, 502, 503, 599,
        ] {
            assert_eq!(
                sealed(s),
                Meaning::Retry {
                    retry_after_ms: None
                },
                "{s}"
            );
        }
    }

    #[test]
    fn only_the_key_problem_ends_a_report_without_a_sealed_answer() {
        assert_eq!(Answer::KeyProblem.meaning(None), Meaning::KeyUnknown);
        for a in [
            Answer::Network,
            Answer::Unreadable,
            Answer::Outer { status: 400 },
            Answer::Outer { status: 404 },
            Answer::Outer { status: 413 },
        ] {
            assert_eq!(
                a.meaning(Some(7)),
                Meaning::Retry {
                    retry_after_ms: Some(7)
                },
                "{a:?}"
            );
        }
    }

    #[test]
    fn outer_statuses_are_read_without_the_body() {
        for status in [
            100, 204, 301, 400, 401, 403, 404, 405, 408, 413, 415, 429, 500, 502, 503,
        ] {
            let result = UploadResult::Http {
                status,
                body: b"<html>not found</html>".to_vec(),
                retry_after_ms: Some(9),
            };
            let expected = if (200..300).contains(&status) {
                (Answer::Unreadable, None)
            } else {
                (Answer::Outer { status }, Some(9))
            };
            assert_eq!(read(&[0; 3], &result), expected, "{status}");
        }
        assert_eq!(
            read(&[], &UploadResult::TransportError),
            (Answer::Network, None)
        );
    }

    #[test]
    fn the_key_problem_is_recognised_by_its_type_only() {
        let problem = format!(r#"{{"type":"{OHTTP_KEY_PROBLEM}","title":"wrong key"}}"#);
        let result = |status, body: &str| UploadResult::Http {
            status,
            body: body.as_bytes().to_vec(),
            retry_after_ms: None,
        };
        assert_eq!(read(&[], &result(400, &problem)).0, Answer::KeyProblem);
        // The same body under another status is not the RFC 9458 signal.
        assert_eq!(
            read(&[], &result(403, &problem)).0,
            Answer::Outer { status: 403 }
        );
        for other in [
            r#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-keys"}"#.to_owned(),
            r#"{"type":"about:blank","title":"ohttp-key"}"#.to_owned(),
            r#"{"title":"https://iana.org/assignments/http-problem-types#ohttp-key"}"#.to_owned(),
            "https://iana.org/assignments/http-problem-types#ohttp-key".to_owned(),
            String::new(),
            format!("{problem}{}", " ".repeat(5000)),
        ] {
            assert_eq!(
                read(&[], &result(400, &other)).0,
                Answer::Outer { status: 400 },
                "{other:.80}"
            );
        }
    }
}
