//! Adversarial privacy check (P1, P5, P6, P10, P11): unique canaries planted
//! in every part of URLs and queries, in private-tab calls and in bad input
//! never appear in any file, any sealed report once opened, any upload body,
//! any log line at any level, or any error message.

mod common;

use common::{contains, files_under, logs, Harness};
use hush_core::upload::UploadTask;

const DAY_MS: i64 = 24 * 3_600_000;

fn canary(place: &str) -> String {
    format!("cnry{}x{place}", std::process::id())
}

#[test]
fn canaries_never_leave_the_call() {
    let logs = logs();
    let t = Harness::new();
    let mut h = t.open();
    let mut planted = Vec::new();
    let mut plant = |place: &str| {
        let c = canary(place);
        planted.push(c.clone());
        c
    };
    let mut errors = Vec::new();

    let normal = h.open_tab(false).unwrap();
    let private = h.open_tab(true).unwrap();
    let urls = [
        format!("https://www.wikipedia.org/{}/page", plant("path")),
        format!("https://www.wikipedia.org/wiki?q={}", plant("query")),
        format!("https://www.wikipedia.org/wiki#{}", plant("fragment")),
        format!(
            "https://{}:{}@www.wikipedia.org/",
            plant("user"),
            plant("password")
        ),
        format!("https://{}.wikipedia.org/", plant("subdomain")),
        format!("https://{}.co.uk/", plant("unlisteddomain")),
        format!("https://{}.onion/", plant("onion")),
        format!("file:///sdcard/{}.html", plant("file")),
        format!("http://10.0.0.1/{}", plant("ip")),
        format!("https://xn--{}.com/", plant("punycode")),
        format!("https://WWW.WIKIPEDIA.ORG./{}", plant("trailingdot")),
    ];
    for url in &urls {
        h.page_loaded(normal, url.as_bytes(), 800).unwrap();
        h.page_loaded(private, url.as_bytes(), 800).unwrap();
    }
    let searches = [
        format!("https://www.google.com/search?q={}", plant("google")),
        format!("https://www.bing.com/search?q={}&form=QBLH", plant("bing")),
        format!("https://duckduckgo.com/?q={}", plant("ddg")),
        format!(
            "https://{}.example/search?q={}",
            plant("engine"),
            plant("unknownengine")
        ),
    ];
    for s in &searches {
        h.searched(normal, s.as_bytes()).unwrap();
        h.searched(private, s.as_bytes()).unwrap();
    }
    if let Err(e) = h.metric(&plant("metricname")) {
        errors.push(e.to_string());
    }
    let labeled = h.metric("settings.switched").unwrap();
    if let Err(e) = h.add_label(normal, labeled, &plant("label"), 1) {
        errors.push(e.to_string());
    }
    h.close_tab(private).unwrap();
    if let Err(e) = h.page_loaded(private, plant("closedtab").as_bytes(), 1) {
        errors.push(e.to_string());
    }

    // Mid-day the checkpoint holds the open day's aggregates in the clear
    // (app-private, what `pending_report()` shows): it too must hold only
    // what the anonymizer let through.
    h.checkpoint().unwrap();
    let midday = files_under(t.path());
    assert!(
        midday.values().any(|b| contains(b, "wikipedia.org")),
        "the checkpoint holds today's aggregates"
    );
    let open_window = h.pending_report().to_json();

    // Close the day, seal it, and start an upload.
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    assert_eq!(t.pending_reports(&h).len(), t.aggs.plan.tasks().len());
    let report = t.pending_in_words(&h);
    assert!(
        report.contains("wikipedia.org"),
        "the test exercises reporting: {report}"
    );
    t.clock.advance_ms(DAY_MS);
    let UploadTask::Upload(upload) = h.next_upload().unwrap() else {
        panic!("upload due")
    };

    let mut haystacks: Vec<(String, Vec<u8>)> = files_under(t.path())
        .into_iter()
        .map(|(p, b)| (p.display().to_string(), b))
        .collect();
    for (p, b) in midday {
        haystacks.push((format!("mid-day {}", p.display()), b));
    }
    haystacks.push(("mid-day window".into(), open_window));
    haystacks.push(("opened report".into(), report.into_bytes()));
    haystacks.push(("open window".into(), h.pending_report().to_json()));
    haystacks.push(("upload body".into(), upload.body));
    haystacks.push(("upload url".into(), upload.url.into_bytes()));
    for line in logs.lines() {
        haystacks.push(("log".into(), line.into_bytes()));
    }
    for e in errors {
        haystacks.push(("error message".into(), e.into_bytes()));
    }
    assert!(haystacks.len() > 5);
    for c in &planted {
        for (what, bytes) in &haystacks {
            assert!(!contains(bytes, c), "canary {c} found in {what}");
        }
    }
}
