//! The HTTP client the leader talks to the helper with, and the collector
//! to the leader: the uploader's `ureq` agent (a timeout per request, no
//! redirects, no proxy from the environment, no automatic headers), with the
//! auth token on every request. Plain HTTP unless built with the `tls`
//! feature.

use std::time::Duration;

use super::auth::AuthToken;
use super::problem::{ReceivedProblem, PROBLEM_MEDIA_TYPE};

/// Answers larger than this are not DAP messages Hush expects.
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The problem document, if the peer answered one.
    pub fn problem(&self) -> Option<ReceivedProblem> {
        self.content_type
            .as_deref()
            .filter(|ct| ct.starts_with(PROBLEM_MEDIA_TYPE))
            .and_then(|_| ReceivedProblem::parse(&self.body))
    }

    /// "status 400 (urn:...:invalidBatchSize)", for messages to people.
    pub fn describe(&self) -> String {
        match self.problem() {
            Some(p) => format!("status {} ({})", self.status, p.type_uri),
            None => format!("status {}", self.status),
        }
    }
}

/// The peer could not be reached, or its answer was cut off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

#[derive(Clone)]
pub struct Peer {
    agent: ureq::Agent,
    /// The peer's DAP base URL, ending in `/`.
    base: String,
    token: AuthToken,
}

impl Peer {
    pub fn new(base: &str, token: AuthToken, timeout: Duration) -> Self {
        let agent = crate::upload_client::agent(timeout);
        Self {
            agent,
            base: base.to_owned(),
            token,
        }
    }

    /// `method` on `{base}{path}` (`path` without the leading `/`), with a
    /// body of `media_type` if given.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<(&'static str, &[u8])>,
    ) -> Result<Answer, Unreachable> {
        let url = format!("{}{path}", self.base);
        let (auth_name, auth_value) = self.token.header();
        let sent = match (method, body) {
            ("PUT", Some((media, bytes))) => self
                .agent
                .put(&url)
                .header(auth_name, &auth_value)
                .header("content-type", media)
                .send(bytes),
            ("POST", Some((media, bytes))) => self
                .agent
                .post(&url)
                .header(auth_name, &auth_value)
                .header("content-type", media)
                .send(bytes),
            ("POST", None) => self
                .agent
                .post(&url)
                .header(auth_name, &auth_value)
                .send_empty(),
            ("DELETE", None) => self
                .agent
                .delete(&url)
                .header(auth_name, &auth_value)
                .call(),
            _ => self.agent.get(&url).header(auth_name, &auth_value).call(),
        };
        let mut response = sent.map_err(|e| Unreachable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| Unreachable(format!("{url}: answer cut off: {e}")))?;
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }
}
