//! A closed window's report becomes a padded Binary HTTP request sealed with
//! OHTTP to the pinned key configuration, before any byte of it touches disk
//! (P9, P10). The pending file body is the response opener (so the collector's
//! sealed answer can be read after a restart) followed by the encapsulated
//! request: ciphertext and key material that cannot decrypt the request.

use crate::anonymize::Anonymizer;
use crate::ohttp::{self, KeyConfigs, SealError};
use crate::padding;
use crate::report::Report;
use crate::schema::Schema;

/// Path of the report resource inside the sealed request.
pub const REPORT_PATH: &str = "/report";

/// Where sealed reports go: the inner request names the collector; the outer
/// POST goes to the relay when there is one, else straight to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub gateway_url: String,
    pub relay_url: Option<String>,
    collector_authority: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "endpoint URL must be https://host[:port][/path] (http:// only for a loopback test collector)"
)]
pub struct EndpointError;

impl Endpoints {
    pub fn new(gateway_url: &str, relay_url: Option<&str>) -> Result<Self, EndpointError> {
        let authority = authority_of(gateway_url).ok_or(EndpointError)?;
        if let Some(r) = relay_url {
            authority_of(r).ok_or(EndpointError)?;
        }
        Ok(Self {
            gateway_url: gateway_url.to_owned(),
            relay_url: relay_url.map(str::to_owned),
            collector_authority: authority.to_owned(),
        })
    }

    /// The URL the outer, encapsulated POST goes to.
    pub fn upload_url(&self) -> &str {
        self.relay_url.as_deref().unwrap_or(&self.gateway_url)
    }

    pub fn collector_authority(&self) -> &str {
        &self.collector_authority
    }
}

/// The authority of an https URL, or of an http URL to this machine (a test
/// collector on loopback). The body is sealed either way, but plain HTTP
/// would show the path and headers to the network (P10: no plaintext
/// transport).
fn authority_of(url: &str) -> Option<&str> {
    let (rest, https) = match url.strip_prefix("https://") {
        Some(rest) => (rest, true),
        None => (url.strip_prefix("http://")?, false),
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let ok = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    // Strip a port; an IPv6 literal keeps its brackets.
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() => {
            if host.starts_with('[') && !host.ends_with(']') {
                authority
            } else {
                host
            }
        }
        _ => authority,
    };
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    (ok && (https || loopback)).then_some(authority)
}

pub struct ReportSealer {
    keys: KeyConfigs,
    endpoints: Endpoints,
    /// Every sealed message is padded to this length (P9).
    padded_len: usize,
}

impl ReportSealer {
    pub fn new(keys: KeyConfigs, endpoints: Endpoints, schema: &Schema) -> Self {
        let mut sealer = Self {
            keys,
            endpoints,
            padded_len: 0,
        };
        let largest = padding::largest_report(schema, Anonymizer::shipped());
        sealer.padded_len = padding::bucket(sealer.message(&largest).len());
        sealer
    }

    /// The length every report's sealed message is padded to.
    pub fn padded_len(&self) -> usize {
        self.padded_len
    }

    fn message(&self, report: &Report) -> Vec<u8> {
        ohttp::bhttp::encode_request(
            "POST",
            "https",
            self.endpoints.collector_authority(),
            REPORT_PATH,
            &[("content-type", "application/json")],
            &report.to_json(),
            0,
        )
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The body of a pending file for `report`.
    pub fn seal(&self, report: &Report) -> Result<Vec<u8>, SealError> {
        let mut message = self.message(report);
        // RFC 9292 §3.8: trailing zero bytes are padding. A report is never
        // longer than the schema's largest; `bucket` keeps even a broken
        // invariant from truncating.
        message.resize(self.padded_len.max(padding::bucket(message.len())), 0);
        let sealed = ohttp::encapsulate(&self.keys, &message)?;
        let mut body = sealed.opener.to_bytes();
        debug_assert_eq!(body.len(), ohttp::OPENER_LEN);
        body.extend_from_slice(&sealed.request);
        Ok(body)
    }
}

/// Splits a pending file body back into the response opener and the request.
pub fn split_pending(body: &[u8]) -> Option<(&[u8], &[u8])> {
    (body.len() > ohttp::OPENER_LEN).then(|| body.split_at(ohttp::OPENER_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_except_on_loopback() {
        for good in [
            "https://collector.example/gateway",
            "https://collector.example:8443/g",
            "http://127.0.0.1:8080/gateway",
            "http://localhost/gateway",
            "http://[::1]:9/gateway",
            "http://[::1]/gateway",
        ] {
            assert!(Endpoints::new(good, None).is_ok(), "{good}");
        }
        for bad in [
            "http://collector.example/gateway",
            "http://127.0.0.1.evil.example/",
            "http://10.0.0.1/gateway",
            "http://[::2]:9/gateway",
            "ftp://collector.example/",
            "https:///nohost",
            "collector.example/gateway",
            "https://user@collector.example/",
        ] {
            assert_eq!(Endpoints::new(bad, None), Err(EndpointError), "{bad}");
        }
        assert!(Endpoints::new("https://c.example/g", Some("http://relay.example/r")).is_err());
        let e = Endpoints::new("https://c.example/g", Some("https://relay.example/r")).unwrap();
        assert_eq!(e.upload_url(), "https://relay.example/r");
        assert_eq!(e.collector_authority(), "c.example");
    }
}
