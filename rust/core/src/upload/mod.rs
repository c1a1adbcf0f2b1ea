//! Upload tasks the platform performs and the results it hands back. The core
//! decides everything (what, when, what an answer means); the platform only
//! does HTTP (DESIGN.md §2). [`answer`] reads an attempt's result, [`policy`]
//! decides what follows, and `flow` applies it to the outbox.

pub mod answer;
mod delay;
pub(crate) mod flow;
pub mod policy;

pub use answer::{Answer, Meaning};
pub use delay::UploadDelay;
pub use policy::{UploadPolicy, Verdict};

/// One HTTP POST for the platform to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Hand back to [`crate::Hush::upload_finished`].
    pub id: String,
    /// The relay, or the gateway when opted out of one.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// An OHTTP encapsulated request (`message/ohttp-req`).
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadTask {
    Upload(UploadRequest),
    /// Nothing due: ask again after this many milliseconds.
    Wait(u64),
    /// Nothing pending.
    Done,
}

/// How the platform's HTTP attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadResult {
    Http {
        status: u16,
        /// The response body (a sealed `message/ohttp-res` on success).
        body: Vec<u8>,
        /// A `Retry-After` in seconds, converted to milliseconds.
        retry_after_ms: Option<u64>,
    },
    /// No HTTP answer: DNS, connect, TLS, timeout, reset.
    TransportError,
}

pub const OHTTP_REQUEST_TYPE: &str = "message/ohttp-req";
pub const OHTTP_RESPONSE_TYPE: &str = "message/ohttp-res";
