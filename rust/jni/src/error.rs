//! The one error type of the JNI edge and the Java exception each becomes.
//! Messages are fixed text or schema names: never an argument that may carry
//! browsing data (P11).

use std::borrow::Cow;

use hush_core::tabs::TabError;
use hush_core::{RecordError, StoreError};

/// Which Java exception an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `IllegalArgumentException`: the caller passed something invalid.
    BadArgument,
    /// `IllegalStateException`: a closed handle, a call out of order.
    Misuse,
    /// `dev.hush.HushException`: disk I/O, sealing, or a bug in Hush.
    Hush,
}

#[derive(Debug)]
pub struct BridgeError {
    pub kind: Kind,
    pub message: Cow<'static, str>,
}

pub type Result<T> = std::result::Result<T, BridgeError>;

impl BridgeError {
    pub fn bad_argument(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind: Kind::BadArgument,
            message: message.into(),
        }
    }
    pub fn misuse(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind: Kind::Misuse,
            message: message.into(),
        }
    }
    pub fn hush(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind: Kind::Hush,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for BridgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BridgeError {}

/// A failed JNI call. `JavaException` means one is already pending; the edge
/// then lets it propagate instead of throwing a second one.
impl From<jni::errors::Error> for BridgeError {
    fn from(e: jni::errors::Error) -> Self {
        Self::hush(format!("JNI call failed: {e}"))
    }
}

impl From<TabError> for BridgeError {
    fn from(e: TabError) -> Self {
        // Both variants are misuse: a stale handle or a leak of open tabs.
        Self::misuse(e.to_string())
    }
}

impl From<RecordError> for BridgeError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Tab(t) => t.into(),
            // These name the metric (a schema name), never the label or URL.
            RecordError::UnknownMetric
            | RecordError::WrongType { .. }
            | RecordError::InvalidLabel { .. }
            | RecordError::Expired { .. } => Self::bad_argument(e.to_string()),
        }
    }
}

impl From<StoreError> for BridgeError {
    fn from(e: StoreError) -> Self {
        match e {
            // The app passed a task configuration that does not fit its
            // schema, or a schema with a reserved name: its mistake.
            StoreError::Tasks(_) | StoreError::Plan(_) => Self::bad_argument(e.to_string()),
            _ => Self::hush(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_the_documented_exception_kinds() {
        let cases: [(BridgeError, Kind); 5] = [
            (TabError::UnknownTab.into(), Kind::Misuse),
            (TabError::TooManyTabs(2).into(), Kind::Misuse),
            (RecordError::UnknownMetric.into(), Kind::BadArgument),
            (RecordError::Tab(TabError::UnknownTab).into(), Kind::Misuse),
            (
                StoreError::Io(std::io::Error::other("disk full")).into(),
                Kind::Hush,
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind, kind, "{err}");
        }
    }
}
