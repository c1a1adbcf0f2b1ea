//! What a visit becomes, for `hush explain-url` and privacy audits.

use serde::Serialize;

/// `{"registrable_domain": ..., "reported": ..., "reason": ...}`.
/// `reported` is `None` when the visit is dropped (nothing recorded); then
/// `reason` is the [`DropReason`](super::DropReason) counted instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The eTLD+1 the PSL gives, punycode; `None` when the URL was dropped
    /// before one was computed or the host has none.
    pub registrable_domain: Option<String>,
    /// `"other"`, an allow-list entry, or `None` (dropped).
    pub reported: Option<String>,
    pub reason: &'static str,
}

/// Reason for a reported allow-list entry.
pub const REASON_ALLOW_LISTED: &str = "allow_listed";
/// Reason for `other`: a public registrable domain not on the allow-list.
pub const REASON_NOT_ALLOW_LISTED: &str = "not_on_allow_list";
