//! A closed window becomes one DAP report per task of the schema's plan,
//! each sealed with OHTTP to the leader gateway's pinned key configuration
//! before any byte of it touches disk (P10, P14; see [`crate::dap`]). A
//! pending file body is the response opener (so the gateway's sealed answer
//! can be read after a restart) followed by the encapsulated request:
//! ciphertext and key material that cannot decrypt the request.

use crate::anonymize::Anonymizer;
use crate::dap::{self, DapClient, DapError};
use crate::ohttp::{self, KeyConfigs, SealError};
use crate::report::Report;

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

/// Whether this build accepts `url` as an endpoint (gateway, relay, or an
/// aggregator named in the task configuration).
pub fn endpoint_allowed(url: &str) -> bool {
    authority_of(url).is_some()
}

/// A report sealed for `pending/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedReport {
    /// The DAP report id, hex: the pending file's name.
    pub id: String,
    /// The task's metric (or `hush.*`) name.
    pub task: String,
    /// Opener, then the encapsulated request.
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum DaySealError {
    #[error(transparent)]
    Dap(#[from] DapError),
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Seals closed days: the DAP client, the leader gateway's keys, where to post.
pub struct DaySealer {
    dap: DapClient,
    keys: KeyConfigs,
    endpoints: Endpoints,
}

impl DaySealer {
    pub fn new(dap: DapClient, keys: KeyConfigs, endpoints: Endpoints) -> Self {
        Self {
            dap,
            keys,
            endpoints,
        }
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn dap(&self) -> &DapClient {
        &self.dap
    }

    /// Every task's report of the closed `day`, sealed. The ids are the
    /// window's own (see [`dap::report::report_id`]): sealing the same window
    /// again gives the same ids.
    pub fn seal_day(
        &self,
        day: &Report,
        anonymizer: &Anonymizer,
    ) -> Result<Vec<SealedReport>, DaySealError> {
        let plan = self.dap.plan();
        self.dap
            .day_reports(day, anonymizer)?
            .into_iter()
            .map(|r| {
                Ok(SealedReport {
                    id: hex(&r.report.report_id),
                    task: plan.tasks()[r.task].name.clone(),
                    body: dap::upload::seal(self.dap.config(), &self.keys, &r.report)?,
                })
            })
            .collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
