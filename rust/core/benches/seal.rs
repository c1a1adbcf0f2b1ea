//! Sealing one 4 KiB report with OHTTP (Binary HTTP + HPKE on ring) against
//! the encoding Hush replaces: base64(gzip(JSON)) of the Sensors SDK.
//!
//! Budget: the median seal must stay at or below 150 µs; the run fails otherwise.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use base64::Engine;
use criterion::Criterion;
use hush_core::ohttp::{bhttp, encapsulate, Aead, Kdf, Kem, KeyConfig, KeyConfigs, SymmetricSuite};

const REPORT_LEN: usize = 4096;
/// A bucket that fits the report plus its Binary HTTP framing.
const PAD_TO: usize = 4608;
const BUDGET: Duration = Duration::from_micros(150);

/// JSON-like bytes shaped like a daily report: keys, small numbers, domains.
fn report() -> Vec<u8> {
    let mut out = String::from("{\"day\":\"2026-05-01\",\"env\":{\"app\":\"14.2\",\"api\":34,\"lang\":\"en\"},\"counters\":[");
    let mut i = 0u32;
    while out.len() < REPORT_LEN - 64 {
        out.push_str(&format!(
            "{{\"metric\":\"page_load_ms\",\"label\":\"site{}.example\",\"bucket\":{},\"count\":{}}},",
            i % 97,
            (i * 37) % 12,
            (i * 7919) % 1000
        ));
        i += 1;
    }
    out.push_str("{}]}");
    let mut bytes = out.into_bytes();
    bytes.resize(REPORT_LEN, b' ');
    bytes
}

fn keys(aead: Aead) -> KeyConfigs {
    let secret = x25519_dalek::StaticSecret::from([0x42; 32]);
    let public = x25519_dalek::PublicKey::from(&secret);
    let suite = SymmetricSuite::new(Kdf::HkdfSha256, aead);
    KeyConfigs::new(vec![KeyConfig::new(
        1,
        Kem::X25519HkdfSha256,
        public.as_bytes(),
        vec![suite],
    )
    .unwrap()])
    .unwrap()
}

fn seal(keys: &KeyConfigs, report: &[u8]) -> Vec<u8> {
    let message = bhttp::encode_request(
        "POST",
        "https",
        "collector.invalid",
        "/report",
        &[],
        report,
        PAD_TO,
    );
    encapsulate(keys, &message).unwrap().request
}

fn base64_gzip(report: &[u8]) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(report).unwrap();
    base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
}

/// Median time of one call, over batches, for the summary line.
fn median(mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..101)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..20 {
                f();
            }
            start.elapsed() / 20
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let report = report();
    let aes = keys(Aead::Aes128Gcm);
    let chacha = keys(Aead::ChaCha20Poly1305);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("report_4KiB");
    group.bench_function("ohttp_seal_aes128gcm", |b| {
        b.iter(|| seal(&aes, black_box(&report)))
    });
    group.bench_function("ohttp_seal_chacha20poly1305", |b| {
        b.iter(|| seal(&chacha, black_box(&report)))
    });
    group.bench_function("base64_gzip_json", |b| {
        b.iter(|| base64_gzip(black_box(&report)))
    });
    group.finish();
    c.final_summary();

    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let seal_aes = median(|| {
        black_box(seal(&aes, black_box(&report)));
    });
    let seal_chacha = median(|| {
        black_box(seal(&chacha, black_box(&report)));
    });
    let b64 = median(|| {
        black_box(base64_gzip(black_box(&report)));
    });
    let sealed_len = seal(&aes, &report).len();
    let b64_len = base64_gzip(&report).len();
    println!("summary: 4 KiB report");
    println!("  OHTTP seal, AES-128-GCM       median {seal_aes:>10.1?}  -> {sealed_len} bytes");
    println!("  OHTTP seal, ChaCha20-Poly1305 median {seal_chacha:>10.1?}  -> {sealed_len} bytes");
    println!("  base64(gzip(JSON))            median {b64:>10.1?}  -> {b64_len} bytes");
    println!(
        "  ratio seal(AES-128-GCM) / base64(gzip): {:.2}",
        seal_aes.as_secs_f64() / b64.as_secs_f64()
    );
    let worst = seal_aes.max(seal_chacha);
    if worst > BUDGET {
        eprintln!("FAIL: median seal {worst:?} exceeds the {BUDGET:?} budget");
        std::process::exit(1);
    }
    println!("  budget: median seal {worst:.1?} <= {BUDGET:?}: OK");
}
