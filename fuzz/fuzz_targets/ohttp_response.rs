//! What the client reads back: the collector's Binary HTTP answer (RFC 9292
//! known-length response) and the stored response opener with the sealed
//! answer it opens (RFC 9458 §4.4; a seed holds the RFC's Appendix A pair,
//! so what opens is decoded too). A decoded answer has a final status and
//! means the same with zero padding after it.
#![no_main]

use hush_core::ohttp::bhttp::decode_response;
use hush_core::ohttp::{ResponseOpener, OPENER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(response) = decode_response(bytes) {
        assert!((200..=599).contains(&response.status));
        let mut padded = bytes.to_vec();
        padded.resize(bytes.len() + 17, 0);
        assert_eq!(decode_response(&padded).as_ref(), Ok(&response));
    }
    if bytes.len() >= OPENER_LEN {
        let (opener, sealed) = bytes.split_at(OPENER_LEN);
        if let Ok(o) = ResponseOpener::from_bytes(opener) {
            assert_eq!(o.to_bytes(), opener);
            if let Ok(answer) = o.open(sealed) {
                let _ = decode_response(&answer);
            }
        }
    }
});
