//! End to end over loopback: `hush replay` uploads through the core's policy
//! and a relay, `hush serve` (the OHTTP gateway) opens each DAP report and
//! hands it to `hush leader`, which stores it once; `hush collect` gets the
//! day's totals from the leader and the helper. Minimum batch size 1 here:
//! one device's day is a batch, so its totals can be checked exactly.

mod dap_common;

use dap_common::*;

const SAMPLE: &str = include_str!("../traces/sample.jsonl");

/// The day `day`'s totals of every task (exit 0 expected).
fn collect_day(c: &Cluster, leader: &Aggregator, day: &str) -> Vec<serde_json::Value> {
    let (code, lines, out) = collect(&c.dep, leader, day, 1, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(lines.len(), c.dep.plan.tasks().len(), "{out}");
    lines
}

#[test]
fn replay_through_the_gateway_to_the_leader_delivers_each_report_exactly_once() {
    let c = Cluster::new(1, Mode::Pass);
    let _helper = c.helper();
    let leader = c.leader();
    let relay = Relay::start(Some(leader.gateway.as_ref().unwrap().addr), Fault::Forward);
    let data = c.file("device");

    // The sample records on day one (`start()`) and a little on day two,
    // then flushes: every day the flush's clock closed leaves, one report
    // per task and day.
    let summary = c.dep.replay(&data, &relay.url(), SAMPLE);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert!(whole_days(&c.dep, delivered) >= 2, "{summary}");
    assert_eq!(summary["pending_uploads"], 0);
    assert_eq!(pending_files(&data), 0);
    assert_eq!(relay.requests() as u64, delivered);
    let days = assert_one_device(&c.dep, &c.accepted(), delivered);
    assert_eq!(days[..2], [start(), day_after_start(1)], "{days:?}");

    let d1 = collect_day(&c, &leader, &start());
    let total = |task: &str, label: Option<&str>| total_of(line_of(&d1, task), label);
    assert_eq!(total("tabs.opened", None), 1);
    assert_eq!(total("bookmarks.added", None), 1);
    assert_eq!(total("settings.switched", Some("dark_mode_on")), 1);
    assert_eq!(total("settings.switched", Some("dark_mode_off")), 0);
    assert_eq!(total("news.items_viewed", Some("technology")), 3);
    assert_eq!(total("search.engine", Some("google")), 1);
    assert_eq!(total("page.domain", Some("wikipedia.org")), 1);
    // The unlisted news site counts as `other`; the file: and IP-literal
    // visits are dropped and counted.
    assert_eq!(total("page.domain", Some("other")), 1);
    assert_eq!(total("hush.dropped", Some("url/not_http")), 1);
    assert_eq!(total("hush.dropped", Some("url/ip_literal")), 1);
    // The private tab's calls recorded nothing (Enhanced incognito is on).
    assert_eq!(total("downloads.started", None), 0);
    assert_eq!(total("tabs.private_opened", None), 0);
    assert_eq!(total("search.engine", Some("bing")), 0);
    assert_eq!(total("page.domain", Some("youtube.com")), 0);
    assert_eq!(total("hush.errors", Some("unknown_metric")), 1);
    for line in &d1 {
        assert_eq!(line["report_count"], 1, "{line}");
    }
    let d2 = collect_day(&c, &leader, &day_after_start(1));
    assert_eq!(total_of(line_of(&d2, "reader_mode.used"), None), 1);
    assert_eq!(total_of(line_of(&d2, "tabs.opened"), None), 0);

    // A later replay on the same data re-sends nothing that was acknowledged.
    let before = relay.requests();
    let summary = c.dep.replay(&data, &relay.url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [0, 0, 0, 0], "{summary}");
    assert_eq!(relay.requests(), before);

    // Closing the days after delivers them, once each.
    let later = "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"advance\",\"days\":6}\n{\"op\":\"flush\"}\n";
    let summary = c.dep.replay(&data, &relay.url(), later);
    let more = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [more, more, 0, 0], "{summary}");
    whole_days(&c.dep, more);
    assert_one_device(&c.dep, &c.accepted(), delivered + more);
    let (status, stderr) = leader.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} reports stored, 0 duplicates",
            delivered + more
        )),
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
        .filter(|c| {
            let needle = c.to_ascii_lowercase();
            lower.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .cloned()
        .collect()
}

/// What the sealed request carries in clear inside (the leader's origin and
/// upload path, the media type, each task id): the gateway must read it,
/// but the wire must not show it, in clear or merely encoded.
fn inner_plaintext(dep: &Deployment) -> Vec<String> {
    let mut words: Vec<String> = ["leader.example", "/dap/tasks/", "application/dap-report"]
        .into_iter()
        .map(String::from)
        .collect();
    words.extend(dep.config.tasks.iter().map(|t| t.task_id.to_string()));
    words
}

/// Words of the day that a DAP report never carries, not even inside the
/// sealed request: its values are vectors of numbers, in secret shares.
/// (Six letters at least: a shorter word turns up in megabytes of random
/// bytes by chance.)
fn labels() -> Vec<String> {
    [
        "wikipedia.org",
        "google.com",
        "google",
        "tabs.opened",
        "tabs.private_opened",
        "search.engine",
        "page.domain",
        "userinfo",
    ]
    .into_iter()
    .map(String::from)
    .collect()
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

/// The `words` found in `haystack`: in clear (any case), or encoded (exactly).
fn plaintext_leaks(haystack: &[u8], words: &[String]) -> Vec<String> {
    let contains = |needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    let mut found = leaks(haystack, words);
    for word in words {
        for form in encodings(word) {
            if contains(form.as_bytes()) {
                found.push(format!("{word} as {form}"));
            }
        }
    }
    found
}

/// The body of a captured HTTP request.
fn body(request: &[u8]) -> &[u8] {
    &request[request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..]
}

/// `hush open --raw`: the Binary HTTP request inside `encapsulated`.
fn open_raw(keys: &std::path::Path, encapsulated: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new(HUSH)
        .args(["open", "--raw", "--key"])
        .arg(keys)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(encapsulated).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn no_byte_the_client_sends_holds_a_canary() {
    // The detector itself must be able to fail.
    let planted = b"POST /gateway HTTP/1.1\r\nx: https://CanarySub2.google.com\r\n\r\n";
    assert_eq!(leaks(planted, &canaries()), ["canarysub2", "canary"]);
    let c = Cluster::new(1, Mode::Pass);
    // And so must the one for encodings, at every alignment.
    let words = inner_plaintext(&c.dep);
    let path = format!("/dap/tasks/{}/reports", c.dep.config.tasks[3].task_id);
    for prefix in 0..3 {
        let message = [
            &b"PUT https://leader.example"[..prefix * 5],
            path.as_bytes(),
        ]
        .concat();
        for wire in [base64(&message), hex(&message)] {
            let found = plaintext_leaks(wire.as_bytes(), &words);
            let id = c.dep.config.tasks[3].task_id.to_string();
            assert!(
                found.iter().any(|f| f.starts_with(&format!("{id} as "))),
                "{found:?}"
            );
        }
    }

    let helper = c.helper();
    let leader = c.leader();
    let relay = Relay::start(Some(leader.gateway.as_ref().unwrap().addr), Fault::Forward);
    let data = c.file("device");
    let summary = c.dep.replay(&data, &relay.url(), CANARY_TRACE);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    let days = whole_days(&c.dep, delivered);

    // Every request is exactly one sealed DAP report: as long as a sealed
    // report of its task (each task's reports have one length), one per
    // task and day.
    let sealed_len = |r: &hush_core::dap::DapReport| {
        hush_core::dap::upload::seal(&c.dep.config, &c.dep.ohttp_keys, r)
            .unwrap()
            .len()
            - hush_core::ohttp::OPENER_LEN
    };
    let mut expected: Vec<usize> = c
        .dep
        .device_reports(&start(), &[])
        .iter()
        .map(sealed_len)
        .collect();
    expected = (0..days).flat_map(|_| expected.clone()).collect();
    expected.sort_unstable();
    let captured = relay.captured();
    let mut lengths: Vec<usize> = captured.iter().map(|r| body(r).len()).collect();
    lengths.sort_unstable();
    assert_eq!(lengths, expected);
    let keys = c.dep.path("leader/ohttp");
    for request in &captured {
        assert_eq!(leaks(request, &canaries()), Vec::<String>::new());
        // Ciphertext, not an encoding: nothing the gateway will read shows.
        assert_eq!(plaintext_leaks(request, &words), Vec::<String>::new());
        assert_eq!(plaintext_leaks(request, &labels()), Vec::<String>::new());
        // Opened, the request names the leader's upload resource of one
        // task, and holds no label or canary either: only shares.
        let inner = open_raw(&keys, body(request));
        assert!(
            leaks(&inner, &words).len() >= 4,
            "{:?}",
            leaks(&inner, &words)
        );
        assert_eq!(leaks(&inner, &canaries()), Vec::<String>::new());
        assert_eq!(leaks(&inner, &labels()), Vec::<String>::new());
    }

    // The normal tab's data did arrive; the private tab counted only the
    // UI counter, and only while Enhanced incognito was off.
    let (code, lines, out) = collect(&c.dep, &leader, &start(), 1, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(leaks(out.as_bytes(), &canaries()), Vec::<String>::new());
    let total = |task: &str, label: Option<&str>| total_of(line_of(&lines, task), label);
    assert_eq!(total("tabs.opened", None), 1);
    assert_eq!(total("tabs.private_opened", None), 1);
    assert_eq!(total("search.engine", Some("google")), 1);
    assert_eq!(total("search.engine", Some("bing")), 1);
    assert_eq!(total("search.engine", Some("duckduckgo")), 0);
    // What the wire hid did arrive: the labels checked for above are real.
    assert_eq!(total("page.domain", Some("wikipedia.org")), 1);
    assert_eq!(total("page.domain", Some("google.com")), 1);
    assert_eq!(total("hush.dropped", Some("url/userinfo")), 1);

    // Nor does anything either aggregator or the gateway keeps or logs:
    // both databases and their write-ahead logs, byte for byte, and the logs.
    let (status, leader_log) = leader.stop();
    assert!(status.success(), "{leader_log}");
    let (status, helper_log) = helper.stop();
    assert!(status.success(), "{helper_log}");
    for db in ["leader.db", "helper.db"] {
        let stored = raw_files(&c.file(db));
        assert!(stored.len() > 4096, "{db} holds the reports");
        assert_eq!(leaks(&stored, &canaries()), Vec::<String>::new(), "{db}");
        assert_eq!(leaks(&stored, &labels()), Vec::<String>::new(), "{db}");
    }
    for log in [&leader_log, &helper_log] {
        assert_eq!(leaks(log.as_bytes(), &canaries()), Vec::<String>::new());
    }
}

/// The threshold that stands between a lone device and the collector: a
/// batch below the task's minimum batch size yields nothing, whatever the
/// collector asks; the aggregators refuse it. One more device and the
/// totals are released, exactly.
#[test]
fn a_batch_below_the_minimum_batch_size_yields_nothing() {
    let c = Cluster::new(4, Mode::Pass);
    let _helper = c.helper();
    let leader = c.leader();
    // Three devices search with google, one of them also with bing.
    let device = |n: usize| {
        let mut trace = String::from(
            "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"open_tab\",\"tab\":\"t\"}\n\
             {\"op\":\"search\",\"tab\":\"t\",\"url\":\"https://www.google.com/search?q=x\"}\n",
        );
        if n == 0 {
            for _ in 0..10 {
                trace.push_str(
                    "{\"op\":\"search\",\"tab\":\"t\",\"url\":\"https://www.bing.com/search?q=y\"}\n",
                );
            }
        }
        trace.push_str("{\"op\":\"advance\",\"days\":1}\n{\"op\":\"flush\"}\n");
        let data = c.file(&format!("device{n}"));
        let summary = c.dep.replay(&data, &leader.gateway_url(), &trace);
        let delivered = uploads(&summary)[1];
        assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    };
    for n in 0..3 {
        device(n);
    }
    let tasks = ["search.engine"];
    let (code, lines, out) = collect(&c.dep, &leader, &start(), 1, &tasks);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        lines[0]["refused"]["type"],
        "urn:ietf:params:ppm:dap:error:invalidBatchSize"
    );
    assert!(lines[0].get("totals").is_none(), "{out}");
    assert!(!out.contains("\"google\""), "{out}");

    device(3);
    let (code, lines, out) = collect(&c.dep, &leader, &start(), 1, &tasks);
    assert_eq!(code, 0, "{out}");
    assert_eq!(lines[0]["report_count"], 4);
    assert_eq!(total_of(&lines[0], Some("google")), 4);
    assert_eq!(total_of(&lines[0], Some("bing")), 10);
}

#[test]
fn a_gateway_without_gateway_seed_opens_reports_and_seals_answers() {
    // Only ohttp-keys and gateway.key: the raw-key gateway opens the request
    // and seals the answer the client must open before deleting its copy.
    let c = Cluster::new(1, Mode::Pass);
    let keys = c.file("keys");
    std::fs::create_dir(&keys).unwrap();
    for file in ["ohttp-keys", "gateway.key"] {
        std::fs::copy(c.dep.path(&format!("leader/ohttp/{file}")), keys.join(file)).unwrap();
    }
    let _helper = c.helper();
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    let gateway = Gateway::start(&keys, &format!("http://{}/", leader.addr));
    let data = c.file("device");

    let summary = c.dep.replay(&data, &gateway.url(), &one_day_trace(4));
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert_eq!(pending_files(&data), 0);
    let days = assert_one_device(&c.dep, &c.accepted(), delivered);
    assert_eq!(days[0], start());
    let (code, lines, out) = collect(&c.dep, &leader, &start(), 1, &["tabs.opened"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(total_of(&lines[0], None), 4);
    let (status, stderr) = gateway.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{delivered} accepted, 0 refused")),
        "{stderr}"
    );
    let (status, stderr) = leader.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{delivered} reports stored, 0 duplicates")),
        "{stderr}"
    );
}
