//! Request authentication between leader, helper and collector (DAP-09
//! §3.1), as Janus does it: a shared token in `Authorization: Bearer` or
//! `DAP-Auth-Token`; the receiving side keeps only its SHA-256 hash and
//! compares hashes in constant time, so neither the token's bytes nor its
//! length leak through timing.

use base64::Engine as _;
use hyper::header::{HeaderMap, AUTHORIZATION};
use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

pub const DAP_AUTH_HEADER: &str = "dap-auth-token";

/// How a token travels, with Janus's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenType {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `DAP-Auth-Token: <token>`.
    DapAuth,
}

/// A token the sending side holds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthToken {
    #[serde(rename = "type")]
    pub kind: TokenType,
    pub token: String,
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthToken")
            .field("type", &self.kind)
            .finish_non_exhaustive()
    }
}

/// What the receiving side holds: the SHA-256 of the token, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthTokenHash {
    #[serde(rename = "type")]
    pub kind: TokenType,
    pub hash: String,
}

impl AuthToken {
    /// 32 random bytes, base64url: valid in either header (RFC 6750 token68).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        hush_core::random::fill(&mut bytes);
        Self {
            kind: TokenType::Bearer,
            token: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    pub fn hash(&self) -> AuthTokenHash {
        AuthTokenHash {
            kind: self.kind,
            hash: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(digest(&SHA256, self.token.as_bytes())),
        }
    }

    /// The header that carries the token.
    pub fn header(&self) -> (&'static str, String) {
        match self.kind {
            TokenType::Bearer => ("authorization", format!("Bearer {}", self.token)),
            TokenType::DapAuth => (DAP_AUTH_HEADER, self.token.clone()),
        }
    }
}

impl AuthTokenHash {
    /// Whether `headers` carry the token (in either header). A missing
    /// token, a malformed header and a wrong token are all just "no".
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.hash)
            .ok()
            .filter(|h| h.len() == 32)
        else {
            return false;
        };
        let presented = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .or_else(|| headers.get(DAP_AUTH_HEADER).map(|v| v.as_bytes()));
        presented.is_some_and(|token| {
            let hash = digest(&SHA256, token);
            bool::from(hash.as_ref().ct_eq(&expected))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn either_header_carries_the_token_and_nothing_else_passes() {
        let token = AuthToken::generate();
        let hash = token.hash();
        let (name, value) = token.header();
        assert_eq!(name, "authorization");
        assert!(hash.admits(&headers(name, &value)));
        assert!(hash.admits(&headers(DAP_AUTH_HEADER, &token.token)));
        assert!(!hash.admits(&HeaderMap::new()));
        assert!(!hash.admits(&headers("authorization", &token.token)));
        assert!(!hash.admits(&headers("authorization", "Bearer wrong")));
        let mut almost = token.token.clone();
        almost.pop();
        assert!(!hash.admits(&headers(DAP_AUTH_HEADER, &almost)));
        let broken = AuthTokenHash {
            kind: TokenType::Bearer,
            hash: "short".into(),
        };
        assert!(!broken.admits(&headers(name, &value)));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = AuthToken::generate();
        assert!(!format!("{token:?}").contains(&token.token));
    }
}
