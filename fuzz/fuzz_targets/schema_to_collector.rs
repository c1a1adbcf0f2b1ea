//! Schema loading, then a day of recording against it, sealing, and the
//! collector: whatever schema the core loads and whatever is recorded, the
//! sealed report opens at the collector's gateway and passes its check
//! against the same schema. Input: schema TOML, a NUL, then (metric, value)
//! byte pairs.
#![no_main]

use std::sync::Arc;

use hush_cli::gateway::Gateway;
use hush_cli::serve::validate;
use hush_core::clock::{Clock, ManualClock, UtcDay};
use hush_core::schema::Schema;
use hush_core::seal::split_pending;
use hush_core::store::MemFs;
use hush_core::Hush;
use hush_fuzz::{config, record, rfc9458_gateway, start_ms, DAY_MS};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static GATEWAY: Gateway = rfc9458_gateway();
}

fuzz_target!(|data: &[u8]| {
    let (text, program) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(schema) = std::str::from_utf8(text).map(Schema::from_toml) else {
        return;
    };
    let Ok(schema) = schema else {
        return;
    };
    let fs = Arc::new(MemFs::new());
    let clock = ManualClock::new(start_ms());
    let mut hush = Hush::open(config(Arc::clone(&fs), &clock, schema.clone())).expect("open");
    let tab = hush.open_tab(false).expect("tab");
    let metrics: Vec<_> = schema.metrics().map(|(id, _)| id).collect();
    if metrics.is_empty() {
        return;
    }
    for pair in program.chunks(2).take(512) {
        let id = metrics[usize::from(pair[0]) % metrics.len()];
        record(&mut hush, tab, id, pair.get(1).copied().unwrap_or(1));
    }
    clock.advance_ms(DAY_MS);
    hush.checkpoint().expect("checkpoint");
    let today = UtcDay::of_ms(clock.now_ms());
    GATEWAY.with(|gateway| {
        for m in hush.outbox().entries() {
            let body = hush
                .outbox()
                .read(fs.as_ref(), &m.id)
                .expect("pending file");
            let (_, request) = split_pending(&body).expect("opener and request");
            let (inner, _) = gateway
                .open_request(request)
                .expect("the collector opens what the core sealed");
            match validate::check(&schema, today, &inner) {
                Ok(row) => assert_eq!(
                    (row.report_id.as_str(), row.day.as_str()),
                    (m.id.as_str(), m.day.as_str())
                ),
                Err(refusal) => panic!("the collector refused a report the core made: {refusal:?}"),
            }
        }
    });
});
