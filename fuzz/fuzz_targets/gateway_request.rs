//! The collector's side of a request. Arbitrary bytes as an encapsulated
//! request, to both gateway implementations (Mozilla's `ohttp` for a keygen'd
//! key, the raw-key one for the RFC 9458 key), and as the decrypted Binary
//! HTTP request, to the report check. Then the round trip: the bytes sealed
//! by the client open to the same bytes, and the sealed answer with the
//! check's status opens at the client with that status.
#![no_main]

use hush_cli::gateway::{self, Gateway};
use hush_cli::serve::validate;
use hush_core::clock::UtcDay;
use hush_core::ohttp::bhttp::decode_response;
use hush_core::ohttp::{encapsulate, KeyConfigs};
use hush_core::report::MetricValue;
use hush_core::schema::Schema;
use hush_fuzz::{keygen_gateway, rfc9458_gateway, rfc9458_keys};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static GATEWAYS: [(Gateway, KeyConfigs); 2] = [keygen_gateway(), (rfc9458_gateway(), rfc9458_keys())];
    static SCHEMA: Schema = Schema::default_browser();
}

fuzz_target!(|data: &[u8]| {
    let today = UtcDay::parse_iso("2026-11-22").expect("date");
    let (status, reason) = SCHEMA.with(|schema| match validate::check(schema, today, data) {
        Ok(row) => {
            let day = UtcDay::parse_iso(&row.day).expect("a stored day is a day");
            assert!(day.0 >= today.0 - validate::MAX_REPORT_AGE_DAYS && day.0 <= today.0 + 1);
            assert_eq!(row.report_id.len(), 32);
            let metrics: std::collections::BTreeMap<String, MetricValue> =
                serde_json::from_str(&row.metrics).expect("stored metrics are a report's");
            assert!(metrics.keys().all(|name| schema.id(name).is_some()));
            (200, "")
        }
        Err(refusal) => (refusal.status, refusal.reason),
    });
    GATEWAYS.with(|gateways| {
        for (gateway, keys) in gateways {
            let _ = gateway.open_request(data);
            let sealed = encapsulate(keys, data).expect("seal");
            let (inner, handle) = gateway.open_request(&sealed.request).expect("open");
            assert_eq!(inner, data);
            let answer = gateway::encode_response(status, reason.as_bytes()).expect("encode");
            let answer = gateway::seal_response(handle, &answer).expect("seal the answer");
            let opened = sealed
                .opener
                .open(&answer)
                .expect("the client opens the answer");
            assert_eq!(
                decode_response(&opened).expect("binary HTTP").status,
                status
            );
        }
    });
});
