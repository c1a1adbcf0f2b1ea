//! End to end over loopback: `hush replay` uploads through the core's policy,
//! `hush serve` decapsulates, validates and stores, `hush query` totals.

mod common;

use common::*;
use serde_json::json;

const SAMPLE: &str = include_str!("../traces/sample.jsonl");

#[test]
fn replay_to_serve_to_query_delivers_each_report_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let server = Server::start(&keys, &db);
    let proxy = Proxy::start(Some(server.addr), Fault::Forward);

    // The sample closes day one (`start()`) and flushes; day two stays open.
    let summary = replay(&data, &keys, &proxy.url(), SAMPLE);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(summary["pending_uploads"], 0);
    assert_eq!(pending_files(&data), 0);

    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    let d1 = day(&q, &start());
    let m = &d1["metrics"];
    assert_eq!(
        m["tabs.opened"],
        json!({"type": "counter", "reports": 1, "sum": 1})
    );
    assert_eq!(m["bookmarks.added"]["sum"], 1);
    assert_eq!(m["settings.switched"]["labels"], json!({"dark_mode_on": 1}));
    assert_eq!(m["news.items_viewed"]["labels"], json!({"technology": 3}));
    assert_eq!(m["search.engine"]["labels"]["google"], 1);
    assert_eq!(m["page.domain"]["labels"]["wikipedia.org"], 1);
    // The private tab's calls recorded nothing (Enhanced incognito is on).
    assert!(m.get("downloads.started").is_none(), "{m}");
    assert!(m.get("tabs.private_opened").is_none(), "{m}");
    assert!(m["search.engine"]["labels"].get("bing").is_none(), "{m}");
    assert_eq!(d1["errors"]["unknown_metric"], 1);

    // A later replay on the same data re-sends nothing that was acknowledged.
    let before = proxy.requests();
    let summary = replay(&data, &keys, &proxy.url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [0, 0, 0, 0], "{summary}");
    assert_eq!(proxy.requests(), before);

    // Closing day two delivers it, once.
    let close_day_two = "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"advance\",\"days\":2}\n{\"op\":\"flush\"}\n";
    let summary = replay(&data, &keys, &proxy.url(), close_day_two);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 2);
    assert_eq!(
        day(&q, &day_after_start(1))["metrics"]["reader_mode.used"]["sum"],
        1,
        "{q}"
    );
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("2 reports stored, 0 duplicates"),
        "{stderr}"
    );
}

/// Canaries planted where a leaky client would send them: URL paths,
/// queries, fragments, subdomains, userinfo, search terms, and every call of
/// a private tab (with Enhanced incognito both on and off).
const CANARY_TRACE: &str = r#"{"op":"consent","enabled":true}
{"op":"open_tab","tab":"n"}
{"op":"page_load","tab":"n","url":"https://www.wikipedia.org/wiki/CANARYPATH1","load_ms":300}
{"op":"page_load","tab":"n","url":"https://canarysub2.google.com/x?q=CANARYQUERY3#CANARYFRAG4","load_ms":300}
{"op":"page_load","tab":"n","url":"https://canaryuser5:canarypass6@wikipedia.org/","load_ms":300}
{"op":"page_load","tab":"n","url":"https://canary-host-7.example.net/a/b","load_ms":300}
{"op":"search","tab":"n","url":"https://www.google.com/search?q=CANARYSEARCH8"}
{"op":"search","tab":"n","url":"https://www.bing.com/search?q=canary+search+9"}
{"op":"open_tab","tab":"p","private":true}
{"op":"page_load","tab":"p","url":"https://canaryprivate10.wikipedia.org/CANARYPRIVPATH11","load_ms":300}
{"op":"search","tab":"p","url":"https://www.google.com/search?q=CANARYPRIVSEARCH12"}
{"op":"count","tab":"p","metric":"tabs.private_opened"}
{"op":"enhanced_incognito","enabled":false}
{"op":"page_load","tab":"p","url":"https://canaryprivate13.google.com/?q=CANARYPRIV14","load_ms":300}
{"op":"search","tab":"p","url":"https://duckduckgo.com/?q=CANARYPRIVSEARCH15"}
{"op":"count","tab":"p","metric":"tabs.private_opened"}
{"op":"close_tab","tab":"p"}
{"op":"count","tab":"n","metric":"tabs.opened"}
{"op":"advance","days":1}
{"op":"flush"}
"#;

fn canaries() -> Vec<String> {
    let mut words = vec![
        "canarypath1",
        "canarysub2",
        "canaryquery3",
        "canaryfrag4",
        "canaryuser5",
        "canarypass6",
        "canary-host-7",
        "canarysearch8",
        "canary+search+9",
        "canaryprivate10",
        "canaryprivpath11",
        "canaryprivsearch12",
        "canaryprivate13",
        "canarypriv14",
        "canaryprivsearch15",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    // Any fragment of "canary" at all, and the example host's name.
    words.push("canary".into());
    words.push("example.net".into());
    words
}

/// Case-insensitive search of raw bytes.
fn leaks(haystack: &[u8], canaries: &[String]) -> Vec<String> {
    let lower = haystack.to_ascii_lowercase();
    canaries
        .iter()
        .filter(|c| lower.windows(c.len()).any(|w| w == c.as_bytes()))
        .cloned()
        .collect()
}

/// What legitimately survives anonymization into the canary trace's report
/// (allow-listed labels, metric names, the day, the report's field names and
/// format, the inner request's authority): the collector must read it, but the
/// wire must not show it, in clear or merely encoded.
fn surviving_plaintext() -> Vec<String> {
    let mut words: Vec<String> = [
        "wikipedia.org",
        "google.com",
        "google",
        "bing",
        "tabs.opened",
        "tabs.private_opened",
        "search.engine",
        "page.domain",
        "page.load_time_ms",
        "userinfo",
        "schema_version",
        "report_id",
        "environment",
        "metrics",
        "hush-report/1",
        "collector.invalid",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    words.push(start());
    words
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The forms `word` takes inside any encoding of a message that contains it:
/// hex in both cases, and for each of the three alignments of base64 (standard
/// and URL-safe) the characters that depend on `word` alone.
fn encodings(word: &str) -> Vec<String> {
    let hex = hex(word.as_bytes());
    let mut forms = vec![hex.to_uppercase(), hex];
    for offset in 0..3 {
        let encoded = base64(&[&vec![0; offset][..], word.as_bytes()].concat());
        let (first, end) = ((8 * offset).div_ceil(6), 8 * (offset + word.len()) / 6);
        let core = encoded[first..end].to_string();
        forms.push(core.replace('+', "-").replace('/', "_"));
        forms.push(core);
    }
    forms.sort();
    forms.dedup();
    forms
}

/// The surviving plaintext found in `haystack`: in clear (any case), or
/// encoded (exactly).
fn plaintext_leaks(haystack: &[u8]) -> Vec<String> {
    let contains = |needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    let words = surviving_plaintext();
    let mut found = leaks(haystack, &words);
    for word in &words {
        for form in encodings(word) {
            if contains(form.as_bytes()) {
                found.push(format!("{word} as {form}"));
            }
        }
    }
    found
}

#[test]
fn no_byte_the_client_sends_holds_a_canary() {
    // The detector itself must be able to fail.
    let planted = b"POST /gateway HTTP/1.1\r\nx: https://CanarySub2.google.com\r\n\r\n";
    assert_eq!(leaks(planted, &canaries()), ["canarysub2", "canary"]);
    // And so must the one for encodings, at every alignment.
    let report = format!(
        r#"{{"day":"{}","metrics":{{"tabs.opened":{{"counter":1}}}}}}"#,
        start()
    );
    for prefix in 0..3 {
        let message = [&b"POST /report "[..prefix * 5], report.as_bytes()].concat();
        for wire in [base64(&message), hex(&message)] {
            let found = plaintext_leaks(wire.as_bytes());
            assert!(
                found.iter().any(|f| f.starts_with("tabs.opened as ")),
                "{found:?}"
            );
            assert!(found.iter().any(|f| f.starts_with(&start())), "{found:?}");
        }
    }

    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let server = Server::start(&keys, &db);
    let proxy = Proxy::start(Some(server.addr), Fault::Forward);
    let summary = replay(&data, &keys, &proxy.url(), CANARY_TRACE);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");

    let captured = proxy.captured();
    assert_eq!(captured.len(), 1);
    for request in &captured {
        assert!(request.len() > 1024, "a padded, sealed report was sent");
        assert_eq!(leaks(request, &canaries()), Vec::<String>::new());
        // Ciphertext, not an encoding: nothing the collector will read shows.
        assert_eq!(plaintext_leaks(request), Vec::<String>::new());
    }
    // Nor does anything the collector decrypted and stored.
    let q = query(&db, 1);
    let text = q.to_string();
    assert_eq!(leaks(text.as_bytes(), &canaries()), Vec::<String>::new());
    // The database and its write-ahead log, byte for byte.
    for file in std::fs::read_dir(tmp.path()).unwrap() {
        let path = file.unwrap().path();
        if path.to_string_lossy().contains("collector.db") {
            let stored = std::fs::read(&path).unwrap();
            assert_eq!(leaks(&stored, &canaries()), Vec::<String>::new());
        }
    }
    // The normal tab's data did arrive; the private tab counted only the
    // UI counter, and only while Enhanced incognito was off.
    let m = &day(&q, &start())["metrics"];
    assert_eq!(m["tabs.opened"]["sum"], 1, "{q}");
    assert_eq!(m["tabs.private_opened"]["sum"], 1, "{q}");
    assert_eq!(m["search.engine"]["labels"]["google"], 1, "{q}");
    assert_eq!(m["search.engine"]["labels"]["bing"], 1, "{q}");
    assert!(
        m["search.engine"]["labels"].get("duckduckgo").is_none(),
        "{q}"
    );
    // What the wire hid did arrive: the plaintext checked for above is real.
    assert_eq!(m["page.domain"]["labels"]["wikipedia.org"], 1, "{q}");
    assert_eq!(m["page.domain"]["labels"]["google.com"], 1, "{q}");
    assert_eq!(day(&q, &start())["dropped"]["urls"]["userinfo"], 1, "{q}");
}

#[test]
fn query_hides_labels_seen_in_fewer_than_k_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let server = Server::start(&keys, &db);
    // Three devices search with google, one of them also with bing.
    for device in 0..3 {
        let mut trace = String::from(
            "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"open_tab\",\"tab\":\"t\"}\n\
             {\"op\":\"search\",\"tab\":\"t\",\"url\":\"https://www.google.com/search?q=x\"}\n",
        );
        if device == 0 {
            for _ in 0..10 {
                trace.push_str(
                    "{\"op\":\"search\",\"tab\":\"t\",\"url\":\"https://www.bing.com/search?q=y\"}\n",
                );
            }
        }
        trace.push_str("{\"op\":\"advance\",\"days\":1}\n{\"op\":\"flush\"}\n");
        let data = tmp.path().join(format!("device{device}"));
        let summary = replay(&data, &keys, &server.gateway_url(), &trace);
        assert_eq!(uploads(&summary)[1], 1, "{summary}");
    }
    let engines = |k| query(&db, k)["days"][0]["metrics"]["search.engine"].clone();
    assert_eq!(
        engines(1),
        json!({"type": "search_engine", "reports": 3, "labels": {"google": 3, "bing": 10}})
    );
    assert_eq!(
        engines(3),
        json!({"type": "search_engine", "reports": 3, "labels": {"google": 3}})
    );
    assert_eq!(engines(4)["labels"], json!({}));
    // The default K is 5.
    let out = std::process::Command::new(HUSH)
        .args(["query", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let q: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(q["min_reports"], 5);
    assert_eq!(
        q["days"][0]["metrics"]["search.engine"]["labels"],
        json!({})
    );
}

#[test]
fn a_collector_without_gateway_seed_opens_reports_and_seals_answers() {
    // Only ohttp-keys and gateway.key: the raw-key gateway opens the request
    // and seals the answer the client must open before deleting its copy.
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    std::fs::remove_file(keys.join("gateway.seed")).unwrap();
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let server = Server::start(&keys, &db);

    let summary = replay(&data, &keys, &server.gateway_url(), &one_day_trace(4));
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(pending_files(&data), 0);
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 4, "{q}");
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("1 reports stored, 0 duplicates"),
        "{stderr}"
    );
}
