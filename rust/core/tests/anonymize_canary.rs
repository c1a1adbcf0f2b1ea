//! A canary placed anywhere but the registrable domain never comes out.

use hush_core::anonymize::{Anonymizer, PageOutcome, SearchOutcome};

const CANARY: &str = "Canary7f3a9c";

fn rendered(url: &str) -> String {
    let anon = Anonymizer::shipped();
    let page = match anon.page(url.as_bytes()) {
        PageOutcome::Domain(label) => format!("{label:?} {}", label.as_str()),
        PageOutcome::Dropped(reason) => format!("{reason:?} {}", reason.as_str()),
    };
    let search = match anon.search(url.as_bytes()) {
        SearchOutcome::Engine(label) => format!("{label:?} {}", label.as_str()),
        SearchOutcome::Dropped(reason) => format!("{reason:?} {}", reason.as_str()),
    };
    let explanation = serde_json::to_string(&anon.explain(url.as_bytes())).unwrap();
    format!("{page} | {search} | {explanation}")
}

#[test]
fn canary_never_appears() {
    let c = CANARY;
    let encoded: String = c.bytes().map(|b| format!("%{b:02X}")).collect();
    let places = [
        format!("https://www.google.com/{c}"),
        format!("https://www.google.com/search?q={c}"),
        format!("https://www.google.com/search?q=x#{c}"),
        format!("https://www.google.com/{encoded}?{encoded}#{encoded}"),
        format!("https://{c}@www.google.com/"),
        format!("https://user:{c}@www.google.com/"),
        format!("https://{c}.google.com/"),
        format!("https://www.{c}.bbc.co.uk/news"),
        format!("https://{c}.example.co.uk/"),
        format!("https://{c}.sub.example.co.uk/{c}?{c}#{c}"),
        format!("https://www.bing.com/search?q={c}&form={c}"),
        format!("https://{c}.search.yahoo.com/search?p={c}"),
        format!("http://{c}.local/{c}"),
        format!("http://www.{c}.nas.lan/"),
        format!("file:///{c}"),
        format!("javascript:{c}"),
        format!("https://www.google.com\\{c}"),
        format!("https://www.google.com/{c}/{}", "x".repeat(9000)),
    ];
    for url in &places {
        let out = rendered(url).to_lowercase();
        assert!(
            !out.contains(&c.to_lowercase()),
            "canary leaked for {}: {out}",
            &url[..url.len().min(80)]
        );
    }
}

#[test]
fn the_check_itself_can_see_a_canary() {
    // A canary in the registrable domain is reported in the explanation, which
    // shows the rendering above would catch a leak.
    let out = rendered(&format!("https://www.{CANARY}.co.uk/")).to_lowercase();
    assert!(out.contains(&CANARY.to_lowercase()), "{out}");
}
