//! The transport settings of `HushConfig` become the core's [`Endpoints`].
//! A release library accepts only https endpoints that are not loopback;
//! only the `test-hooks` build (never shipped) also takes a plain-http test
//! collector on this machine. "No relay" is an explicit opt-out
//! (`directToCollector`), never the effect of a missing relay URL.

use hush_core::seal::{EndpointRules, Endpoints, Route};

use crate::error::{BridgeError, Result};

/// What this build of the library accepts.
pub const RULES: EndpointRules = if cfg!(feature = "test-hooks") {
    EndpointRules::LoopbackForTests
} else {
    EndpointRules::Release
};

pub fn endpoints(
    gateway_url: &str,
    relay_url: Option<&str>,
    direct_to_collector: bool,
) -> Result<Endpoints> {
    let route = match (relay_url, direct_to_collector) {
        (Some(relay), false) => Route::Relay(relay.to_owned()),
        (None, true) => Route::DirectToCollector,
        (None, false) => {
            return Err(BridgeError::bad_argument(
                "no relay URL: set one, or set directToCollector = true to send reports \
                 straight to the collector (which then sees the device's IP address)",
            ))
        }
        (Some(_), true) => {
            return Err(BridgeError::bad_argument(
                "a relay URL and directToCollector = true: choose one",
            ))
        }
    };
    Endpoints::new(gateway_url, route, RULES).map_err(|e| BridgeError::bad_argument(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: &str = "https://collector.example/gateway";

    #[test]
    fn no_relay_is_an_explicit_choice() {
        let e = endpoints(GATEWAY, None, false).unwrap_err();
        assert!(e.message.contains("directToCollector = true"), "{e}");
        assert!(endpoints(GATEWAY, Some("https://relay.example/r"), true).is_err());
        let direct = endpoints(GATEWAY, None, true).unwrap();
        assert_eq!(direct.upload_url(), GATEWAY);
        let relayed = endpoints(GATEWAY, Some("https://relay.example/r"), false).unwrap();
        assert_eq!(relayed.upload_url(), "https://relay.example/r");
    }

    /// The library `cargo test --workspace` builds is the release one
    /// (without `test-hooks`): it must refuse every loopback and plain-http
    /// endpoint. `scripts/test` also runs this crate's tests with
    /// `test-hooks`, where a loopback test collector is accepted. (The
    /// aggregators of the task configuration are held to the same rules:
    /// `Hush::open` checks them with `RULES`.)
    #[test]
    fn loopback_and_plain_http_only_in_test_builds() {
        let cases = [
            ("http://127.0.0.1:8080/gateway", None),
            ("http://localhost/gateway", None),
            (GATEWAY, Some("http://[::1]:3000/")),
            ("https://127.0.0.1/gateway", None),
        ];
        for (gateway, relay) in cases {
            let got = endpoints(gateway, relay, relay.is_none());
            if cfg!(feature = "test-hooks") {
                assert!(got.is_ok(), "{gateway} {relay:?}");
            } else {
                assert!(got.is_err(), "release accepted {gateway} {relay:?}");
            }
        }
        // Plain http to anything else is refused in every build.
        assert!(endpoints("http://collector.example/g", None, true).is_err());
        assert!(endpoints(GATEWAY, Some("http://relay.example/r"), false).is_err());
    }
}
