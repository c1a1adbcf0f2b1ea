//! Key configuration parsing (`application/ohttp-keys`, RFC 9458 §3): what
//! parses encodes to bytes that parse to the same thing and encode again to
//! the same bytes; a single configuration likewise; sealing to whatever
//! parsed works or fails cleanly.
#![no_main]

use hush_core::ohttp::{encapsulate, KeyConfig, KeyConfigs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(list) = KeyConfigs::parse(bytes) {
        let encoded = list.encode();
        let again = KeyConfigs::parse(&encoded).expect("an encoded list parses");
        assert_eq!(again, list);
        assert_eq!(again.encode(), encoded);
        for c in list.configs() {
            assert_eq!(
                list.by_key_id(c.key_id()).map(KeyConfig::key_id),
                Some(c.key_id())
            );
            assert!(c.suites().contains(&c.preferred_suite()));
        }
        if let Ok(sealed) = encapsulate(&list, b"POST /report") {
            assert_eq!(sealed.request[0], list.current().key_id());
        }
    }
    if let Ok(config) = KeyConfig::parse(bytes) {
        let encoded = config.encode();
        let again = KeyConfig::parse(&encoded).expect("an encoded configuration parses");
        assert_eq!(again, config);
        assert_eq!(again.encode(), encoded);
    }
});
