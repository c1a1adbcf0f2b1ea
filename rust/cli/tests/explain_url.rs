//! `hush explain-url` as an auditor runs it.

use std::process::Command;

fn explain(url: impl AsRef<std::ffi::OsStr>) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hush"))
        .arg("explain-url")
        .arg(url)
        .output()
        .expect("run hush");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    serde_json::from_str(&stdout).expect("one JSON object")
}

#[test]
fn allow_listed_domain() {
    let v = explain("https://news.bbc.co.uk/sport/football?id=1#top");
    assert_eq!(
        v,
        serde_json::json!({"registrable_domain": "bbc.co.uk", "reported": "bbc.com", "reason": "allow_listed"})
    );
}

#[test]
fn other_domain() {
    let v = explain("https://shop.example.co.uk/basket?item=42");
    assert_eq!(
        v,
        serde_json::json!({"registrable_domain": "example.co.uk", "reported": "other", "reason": "not_on_allow_list"})
    );
}

#[test]
fn dropped_visits_report_null() {
    for (url, reason) in [
        ("http://192.168.0.1/admin", "ip_literal"),
        ("https://user:pw@google.com/", "userinfo"),
        ("file:///sdcard/secret.html", "not_http"),
        ("http://printer.local/", "special_use"),
    ] {
        let v = explain(url);
        assert_eq!(v["reported"], serde_json::Value::Null, "{url}");
        assert_eq!(v["registrable_domain"], serde_json::Value::Null, "{url}");
        assert_eq!(v["reason"], reason, "{url}");
    }
}

#[cfg(unix)]
#[test]
fn invalid_utf8_argument() {
    use std::os::unix::ffi::OsStrExt;
    let v = explain(std::ffi::OsStr::from_bytes(b"https://google.com/\xff"));
    assert_eq!(v["reason"], "invalid_utf8");
    assert_eq!(v["reported"], serde_json::Value::Null);
}

#[test]
fn missing_argument_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_hush"))
        .arg("explain-url")
        .output()
        .expect("run hush");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

/// A reader that has gone away (`hush … | head -1`) ends the command quietly:
/// no panic message, success.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_hush"))
        .args(["explain-url", "https://www.wikipedia.org/"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}
