//! `hush replay --plaintext-for-tests` on the sample trace: the report the
//! collector would read holds the normal tab's aggregates and nothing of the
//! private tab; no canary is in any file, on stdout or on stderr.

use std::path::Path;
use std::process::Command;

fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
}

#[test]
fn sample_trace_report_has_no_private_tab_visits_and_no_canary() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let clear = tmp.path().join("clear");
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/sample.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_hush"))
        .args(["replay", trace, "--start", "2026-11-20", "--data-dir"])
        .arg(&data)
        .arg("--plaintext-for-tests")
        .arg(&clear)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = stdout["sealed_reports_opened_for_tests"]
        .as_array()
        .unwrap();
    assert_eq!(reports.len(), 1, "{stdout}");
    let r = &reports[0];
    assert_eq!(r["day"], "2026-11-20");
    let m = &r["metrics"];
    assert_eq!(
        m["page.domain"]["domain"],
        serde_json::json!({"wikipedia.org": 1, "other": 1})
    );
    assert_eq!(
        m["search.engine"]["search_engine"],
        serde_json::json!({"google": 1})
    );
    assert_eq!(m["bookmarks.added"]["counter"], 1);
    // Two normal page loads (840 and 1900 ms) and nothing else: the private
    // tab's 500 ms load of youtube.com, an allow-listed domain no normal tab
    // visited, would show here and in the domains above.
    assert_eq!(
        m["page.load_time_ms"]["histogram"]["counts"],
        serde_json::json!([0, 0, 0, 1, 1, 0, 0, 0, 0])
    );
    // The private tab opened a counter, visited a page, searched on Bing and
    // started a download: none of it is there (Enhanced incognito is on).
    for absent in ["tabs.private_opened", "downloads.started"] {
        assert!(
            m.get(absent).is_none(),
            "{absent} leaked from the private tab: {r}"
        );
    }
    assert_eq!(
        r["dropped"]["urls"],
        serde_json::json!({"ip_literal": 1, "not_http": 1})
    );
    assert_eq!(r["errors"]["unknown_metric"], 1);
    assert_eq!(
        stdout["open_window"]["metrics"]["reader_mode.used"]["counter"],
        1
    );

    let mut everything = Vec::new();
    files(&data, &mut everything);
    files(&clear, &mut everything);
    everything.push(("stdout".into(), out.stdout.clone()));
    everything.push(("stderr".into(), out.stderr.clone()));
    assert!(everything.len() >= 5);
    for (what, bytes) in &everything {
        let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        assert!(!text.contains("canary"), "a canary is in {what}");
        assert!(
            !text.contains("bing"),
            "the private tab's search engine is in {what}"
        );
        assert!(
            !text.contains("youtube"),
            "the private tab's page is in {what}"
        );
    }
    // The data directory itself holds no report in clear.
    let mut data_files = Vec::new();
    files(&data, &mut data_files);
    for (what, bytes) in &data_files {
        if what.contains("pending") {
            assert!(
                !String::from_utf8_lossy(bytes).contains("wikipedia"),
                "{what} is not ciphertext"
            );
        }
    }
}

#[test]
fn a_malformed_trace_line_is_a_clear_error_that_does_not_echo_it() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("t.jsonl");
    std::fs::write(&trace, "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"page_load\",\"tab\":1,\"url\":\"https://secret-canary.example/\"}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hush"))
        .args(["replay"])
        .arg(&trace)
        .arg("--data-dir")
        .arg(tmp.path().join("d"))
        .arg("--plaintext-for-tests")
        .arg(tmp.path().join("c"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    assert!(!err.contains("canary"), "{err}");
}
