//! Schema loading, then a day of recording against it, sealing, and the
//! leader: whatever schema the core loads and whatever is recorded, each
//! sealed report (one per task of the schema's plan) opens at the gateway
//! as `PUT {leader}tasks/{id}/reports` of an `application/dap-report`, for
//! a task of the configuration, dated the day's start, and its input shares
//! decrypt and decode for both aggregators: what the leader checks at
//! upload (`hush_cli::dap::leader::upload`), and the helper at aggregation.
//! Input: a schema (TOML as written, or the JSON the library takes), a NUL,
//! then (metric, value) byte pairs. A TOML schema that loads must convert
//! (`Schema::toml_to_json`) to JSON that loads as the same metrics.
#![no_main]

use std::collections::BTreeSet;
use std::sync::Arc;

use hush_cli::dap::hpke::{application_info, Keypair, Label};
use hush_cli::dap::prep::shares_decode;
use hush_cli::gateway::{self, Gateway};
use hush_core::clock::{ManualClock, UtcDay};
use hush_core::dap::upload::REPORT_MEDIA_TYPE;
use hush_core::schema::Schema;
use hush_core::seal::split_pending;
use hush_core::store::MemFs;
use hush_core::Hush;
use hush_fuzz::{config, record, rfc9458_gateway, start_ms, Deployment, DAY_MS};
use janus_messages::codec::{Decode, Encode};
use janus_messages::{HpkeCiphertext, InputShareAad, PlaintextInputShare, Report, Role};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static GATEWAY: Gateway = rfc9458_gateway();
}

/// Opens `sealed` as `to` does, and returns the share's payload.
fn open_share(keys: &Keypair, to: Role, sealed: &HpkeCiphertext, aad: &[u8]) -> Vec<u8> {
    let info = application_info(Label::InputShare, Role::Client, to);
    let plaintext = keys
        .open(&info, sealed, aad)
        .unwrap_or_else(|e| panic!("the {to:?} cannot open its share: {e}"));
    PlaintextInputShare::get_decoded(&plaintext)
        .expect("a plaintext input share")
        .payload()
        .to_vec()
}

fuzz_target!(|data: &[u8]| {
    let (text, program) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let schema = match Schema::from_toml(text) {
        Ok(schema) => {
            let json = Schema::toml_to_json(text).expect("a loaded schema converts");
            let shipped = Schema::from_json(&json).expect("its JSON loads");
            let names = |s: &Schema| s.metrics().map(|(_, d)| d.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&schema),
                names(&shipped),
                "the conversion keeps every metric"
            );
            schema
        }
        Err(_) => match Schema::from_json(text) {
            Ok(schema) => schema,
            Err(_) => return,
        },
    };
    let Some(dep) = Deployment::for_schema(&schema) else {
        return;
    };
    let fs = Arc::new(MemFs::new());
    let clock = ManualClock::new(start_ms());
    let c = config(Arc::clone(&fs), &clock, schema.clone(), &dep.tasks);
    let mut hush = Hush::open(c).expect("open");
    let tab = hush.open_tab(false).expect("tab");
    let metrics: Vec<_> = schema.metrics().map(|(id, _)| id).collect();
    if !metrics.is_empty() {
        for pair in program.chunks(2).take(512) {
            let id = metrics[usize::from(pair[0]) % metrics.len()];
            record(&mut hush, tab, id, pair.get(1).copied().unwrap_or(1));
        }
    }
    let day = UtcDay::of_ms(start_ms());
    clock.advance_ms(DAY_MS);
    hush.checkpoint().expect("checkpoint");
    // Every day is reported, idle or not (P9): one report per task, but
    // for those the outbox's bounds dropped, which are counted (P12).
    let entries = hush.outbox().entries();
    let dropped = hush.pending_report().dropped.reports;
    assert_eq!(
        entries.len() as u64 + dropped,
        dep.plan.tasks().len() as u64
    );
    let mut tasks_seen = BTreeSet::new();
    GATEWAY.with(|gw| {
        for m in entries {
            assert_eq!(m.day, day.iso());
            let body = hush
                .outbox()
                .read(fs.as_ref(), &m.id)
                .expect("pending file");
            let (_, request) = split_pending(&body).expect("opener and request");
            let (inner, _) = gw.open_request(request).expect("the gateway opens it");
            let message = gateway::decode_request(&inner).expect("binary HTTP");
            let control = message.control();
            assert_eq!(control.method(), Some(&b"PUT"[..]));
            let binding = dep
                .tasks
                .task(&m.task)
                .expect("a task of the configuration");
            assert!(
                tasks_seen.insert(m.task.clone()),
                "two reports of {}",
                m.task
            );
            let path = format!("/dap/tasks/{}/reports", binding.task_id);
            assert_eq!(control.path(), Some(path.as_bytes()));
            assert_eq!(
                message.header().get(b"content-type"),
                Some(REPORT_MEDIA_TYPE.as_bytes())
            );
            let report = Report::get_decoded(message.content()).expect("a DAP report");
            let metadata = report.metadata();
            let id: String = metadata
                .id()
                .as_ref()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(id, m.id);
            let start = u64::try_from(day.start_ms() / 1000).expect("after 1970");
            assert_eq!(metadata.time().as_seconds_since_epoch(), start);
            let aad = InputShareAad::new(
                binding.task_id,
                metadata.clone(),
                report.public_share().to_vec(),
            )
            .get_encoded()
            .expect("aad");
            let leader = open_share(
                &dep.leader,
                Role::Leader,
                report.leader_encrypted_input_share(),
                &aad,
            );
            assert!(shares_decode(
                &binding.vdaf,
                0,
                report.public_share(),
                &leader
            ));
            let helper = open_share(
                &dep.helper,
                Role::Helper,
                report.helper_encrypted_input_share(),
                &aad,
            );
            assert!(shares_decode(
                &binding.vdaf,
                1,
                report.public_share(),
                &helper
            ));
        }
    });
});
