//! A closed window becomes one DAP report per task of the schema's plan,
//! each sealed with OHTTP to the leader gateway's pinned key configuration
//! before any byte of it touches disk (P10, P14; see [`crate::dap`]). A
//! pending file body is the response opener (so the gateway's sealed answer
//! can be read after a restart) followed by the encapsulated request:
//! ciphertext and key material that cannot decrypt the request.
//!
//! The outer POST goes to the relay (or, opted out, straight to the
//! gateway); the sealed inner request names the leader's upload resource,
//! from the task configuration: a setting apart from the gateway URL, so a
//! third-party gateway in front of the leader needs no rewrite rules.

use crate::anonymize::Anonymizer;
use crate::dap::{self, DapClient, DapError};
use crate::ohttp::{self, KeyConfigs, SealError};
use crate::report::Report;

/// How the outer, encapsulated POST reaches the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Through this OHTTP relay: the collector never sees the device's IP
    /// address (P10). The default to choose.
    Relay(String),
    /// Straight to the gateway, which then sees the device's IP address next
    /// to its reports. An explicit opt-out, never the effect of a missing relay.
    DirectToCollector,
}

/// Which endpoint URLs are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointRules {
    /// What a release build accepts: `https://` only, and never a loopback
    /// host (P10: no plaintext transport, no test collector).
    Release,
    /// Also plain `http://` to this machine (127.0.0.1, [::1], localhost):
    /// for test builds and local tools (`hush replay` against `hush serve`).
    LoopbackForTests,
}

/// Where sealed reports are posted: the relay, or (opted out) the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    gateway_url: String,
    route: Route,
    rules: EndpointRules,
}

/// Why an endpoint setting was refused. Names the setting, never its value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error("{0} must be an https:// URL with a host name (http:// only for a loopback test collector, in test builds)")]
    Malformed(&'static str),
    #[error("{0} must use https://: plain http is accepted only to a loopback test collector, in test builds")]
    NotHttps(&'static str),
    #[error("{0} is a loopback address: accepted only in test builds")]
    Loopback(&'static str),
}

impl Endpoints {
    /// `gateway_url`: the OHTTP gateway (what the relay forwards to).
    pub fn new(
        gateway_url: &str,
        route: Route,
        rules: EndpointRules,
    ) -> Result<Self, EndpointError> {
        check_url(gateway_url, "gateway URL", rules)?;
        if let Route::Relay(relay) = &route {
            check_url(relay, "relay URL", rules)?;
        }
        Ok(Self {
            gateway_url: gateway_url.to_owned(),
            route,
            rules,
        })
    }

    /// The URL the outer, encapsulated POST goes to.
    pub fn upload_url(&self) -> &str {
        match &self.route {
            Route::Relay(relay) => relay,
            Route::DirectToCollector => &self.gateway_url,
        }
    }

    pub fn gateway_url(&self) -> &str {
        &self.gateway_url
    }

    pub fn route(&self) -> &Route {
        &self.route
    }

    /// The rules these endpoints were checked by; the aggregators named in
    /// the task configuration are held to the same.
    pub fn rules(&self) -> EndpointRules {
        self.rules
    }
}

/// Whether `url` is an endpoint `rules` accept: `what` names it in the error.
pub fn check_endpoint(
    url: &str,
    what: &'static str,
    rules: EndpointRules,
) -> Result<(), EndpointError> {
    check_url(url, what, rules).map(|_| ())
}

/// Checks one endpoint URL: its scheme, its authority (host and optional
/// port, no userinfo) and what follows the authority.
fn check_url<'a>(
    url: &'a str,
    what: &'static str,
    rules: EndpointRules,
) -> Result<(&'static str, &'a str, &'a str), EndpointError> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("http", rest)
    } else {
        return Err(EndpointError::Malformed(what));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = host_of(authority).ok_or(EndpointError::Malformed(what))?;
    let loopback = is_loopback(host);
    match (rules, scheme, loopback) {
        (EndpointRules::Release, _, true) => Err(EndpointError::Loopback(what)),
        (_, "http", false) => Err(EndpointError::NotHttps(what)),
        _ => Ok((scheme, authority, tail)),
    }
}

/// The host of `host[:port]` (an IPv6
/// literal keeps its brackets); `None` if the authority is malformed.
fn host_of(authority: &str) -> Option<&str> {
    let ok = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !ok {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            if host.starts_with('[') && !host.ends_with(']') {
                authority // an IPv6 literal without a port
            } else {
                host
            }
        }
        Some((_, "")) => return None,
        _ => authority,
    };
    let bracketed = host.starts_with('[') && host.ends_with(']');
    let valid = if bracketed {
        host[1..host.len() - 1]
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
    } else {
        !host.is_empty() && !host.contains([':', '[', ']'])
    };
    valid.then_some(host)
}

/// This machine: `localhost` (and names under it), 127.0.0.0/8, ::1, the
/// unspecified addresses, and IPv4-mapped loopback.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
        });
    }
    host.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
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
    use EndpointRules::{LoopbackForTests, Release};

    fn gateway(url: &str, rules: EndpointRules) -> Result<Endpoints, EndpointError> {
        Endpoints::new(url, Route::DirectToCollector, rules)
    }

    #[test]
    fn release_rules_take_https_to_a_real_host_only() {
        for good in [
            "https://collector.example/gateway",
            "https://collector.example:8443/g",
            "https://collector.example/.well-known/ohttp-gateway",
            "https://[2001:db8::1]/gateway",
            "https://192.0.2.7/gateway",
        ] {
            assert!(gateway(good, Release).is_ok(), "{good}");
        }
        for (bad, err) in [
            (
                "http://collector.example/gateway",
                EndpointError::NotHttps("gateway URL"),
            ),
            (
                "http://127.0.0.1:8080/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://127.0.0.1:8080/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://127.1.2.3/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://localhost/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://LocalHost./gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://api.localhost/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://[::1]:9/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://[::ffff:127.0.0.1]/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://0.0.0.0/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "https://[::]/gateway",
                EndpointError::Loopback("gateway URL"),
            ),
            (
                "ftp://collector.example/",
                EndpointError::Malformed("gateway URL"),
            ),
            ("https:///nohost", EndpointError::Malformed("gateway URL")),
            (
                "collector.example/gateway",
                EndpointError::Malformed("gateway URL"),
            ),
            (
                "https://user@collector.example/",
                EndpointError::Malformed("gateway URL"),
            ),
            (
                "https://collector.example:/g",
                EndpointError::Malformed("gateway URL"),
            ),
            ("https://[::1/g", EndpointError::Malformed("gateway URL")),
        ] {
            assert_eq!(gateway(bad, Release), Err(err), "{bad}");
        }
    }

    #[test]
    fn test_rules_add_plain_http_to_loopback_only() {
        for good in [
            "https://collector.example/gateway",
            "http://127.0.0.1:8080/gateway",
            "http://localhost/gateway",
            "http://[::1]:9/gateway",
            "http://[::1]/gateway",
        ] {
            assert!(gateway(good, LoopbackForTests).is_ok(), "{good}");
        }
        for bad in [
            "http://collector.example/gateway",
            "http://127.0.0.1.evil.example/",
            "http://10.0.0.1/gateway",
            "http://[::2]:9/gateway",
        ] {
            assert_eq!(
                gateway(bad, LoopbackForTests),
                Err(EndpointError::NotHttps("gateway URL")),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_relay_and_the_aggregators_follow_the_same_rules() {
        let relay = |r: &str| Route::Relay(r.to_owned());
        let g = "https://g.example/gateway";
        assert_eq!(
            Endpoints::new(g, relay("http://relay.example/r"), Release),
            Err(EndpointError::NotHttps("relay URL"))
        );
        assert_eq!(
            Endpoints::new(g, relay("https://localhost/r"), Release),
            Err(EndpointError::Loopback("relay URL"))
        );
        assert_eq!(
            check_endpoint("http://127.0.0.1:9/", "leader", Release),
            Err(EndpointError::Loopback("leader"))
        );
        assert_eq!(
            check_endpoint("http://leader.example/", "leader", LoopbackForTests),
            Err(EndpointError::NotHttps("leader"))
        );
        assert!(check_endpoint("http://127.0.0.1:9/", "leader", LoopbackForTests).is_ok());
        let e = Endpoints::new(g, relay("https://relay.example/r"), Release).unwrap();
        assert_eq!(e.upload_url(), "https://relay.example/r");
        assert_eq!(e.gateway_url(), g);
        assert_eq!(e.rules(), Release);
        let direct = Endpoints::new(g, Route::DirectToCollector, Release).unwrap();
        assert_eq!(direct.upload_url(), g, "opted out: straight to the gateway");
    }

    #[test]
    fn errors_name_the_setting_never_the_value() {
        let e = gateway("http://secret-host.example/x", Release).unwrap_err();
        assert!(
            e.to_string().starts_with("gateway URL must use https://"),
            "{e}"
        );
        assert!(!e.to_string().contains("secret-host"));
    }
}
