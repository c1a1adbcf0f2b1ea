//! The HTTP half of uploading, as the Kotlin uploader does it on a phone: make
//! the one POST the core asked for and hand back what happened. Every
//! decision (what, when, what a status means) stays in the core's policy.
//!
//! Blocking `ureq` with a global timeout per attempt, no redirects (a
//! redirect is handed back as a status, which the policy treats as retry),
//! no proxy from the environment, no cookies, and no automatic headers
//! (no User-Agent, Accept or Accept-Encoding): the request carries only
//! what the core put in it. Plain HTTP unless built with the `tls` feature.

use std::io::Read;
use std::time::Duration;

use hush_core::upload::{UploadRequest, UploadResult};
use ureq::config::AutoHeaderValue;

/// Collector answers are small sealed responses; anything larger is not one.
const MAX_ANSWER: u64 = 64 * 1024;

pub struct UploadClient {
    agent: ureq::Agent,
}

/// The agent described above: also what the DAP leader and collector talk
/// to their peers with.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .user_agent(AutoHeaderValue::None)
        .accept(AutoHeaderValue::None)
        .accept_encoding(AutoHeaderValue::None)
        .build()
        .into()
}

impl UploadClient {
    pub fn new(timeout: Duration) -> Self {
        Self {
            agent: agent(timeout),
        }
    }

    /// Performs one upload task. Never fails: anything that is not an HTTP
    /// answer is a transport error, which the policy retries later.
    pub fn send(&self, request: &UploadRequest) -> UploadResult {
        let mut post = self.agent.post(&request.url);
        for (name, value) in &request.headers {
            post = post.header(name.as_str(), value.as_str());
        }
        let Ok(mut response) = post.send(&request.body[..]) else {
            return UploadResult::TransportError;
        };
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after_ms);
        // Read one byte past the limit to tell "exactly the limit" from "more".
        let mut body = Vec::new();
        let read = response
            .body_mut()
            .as_reader()
            .take(MAX_ANSWER + 1)
            .read_to_end(&mut body);
        if read.is_err() || body.len() as u64 > MAX_ANSWER {
            // Cut off mid-answer: we cannot know whether it was stored, so retry;
            // the collector de-duplicates by report id.
            return UploadResult::TransportError;
        }
        UploadResult::Http {
            status,
            body,
            retry_after_ms,
        }
    }
}

/// `Retry-After` in delay-seconds form. The HTTP-date form is ignored: the
/// policy's own backoff applies then.
fn retry_after_ms(value: &str) -> Option<u64> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| s.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(retry_after_ms("120"), Some(120_000));
        assert_eq!(retry_after_ms(" 0 "), Some(0));
        assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_ms("-1"), None);
    }
}
