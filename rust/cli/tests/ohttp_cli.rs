//! `hush keygen` / `seal` / `open`, run as the built binary.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hush_core::ohttp::bhttp;

fn hush(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hush"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hush");
    // A command that fails early may close stdin first; that is not the test's concern.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn keygen(dir: &Path) -> u8 {
    let out = hush(&["keygen", "--out", dir.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = std::fs::read(dir.join("ohttp-keys")).unwrap();
    keys[2] // after the 2-byte length prefix
}

/// The inner request `seal` makes without `--raw`: a DAP upload.
const UPLOAD_URL: &str =
    "https://leader.example/dap/tasks/8BY0RzZMzxvA46_8ymhzycOB9krN-QIGYvg_RsByGec/reports";
const UPLOAD_ARGS: [&str; 6] = [
    "--url",
    UPLOAD_URL,
    "--method",
    "PUT",
    "--content-type",
    "application/dap-report",
];

fn seal(keys_dir: &Path, raw: bool, stdin: &[u8]) -> Vec<u8> {
    let keys = keys_dir.join("ohttp-keys");
    let mut args = vec!["seal", "--keys", keys.to_str().unwrap()];
    if raw {
        args.push("--raw");
    } else {
        args.extend(UPLOAD_ARGS);
    }
    let out = hush(&args, stdin);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn open(key_dir: &Path, raw: bool, stdin: &[u8]) -> Output {
    let mut args = vec!["open", "--key", key_dir.to_str().unwrap()];
    if raw {
        args.push("--raw");
    }
    hush(&args, stdin)
}

/// Failure as promised: non-zero exit, nothing on stdout, exactly one line on stderr.
fn assert_clean_failure(out: &Output, expected_in_message: &str) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(
        !out.status.success(),
        "unexpected success; stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {:?}",
        out.stdout
    );
    assert_eq!(stderr.matches('\n').count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.ends_with('\n') && stderr.starts_with("hush: "),
        "{stderr:?}"
    );
    assert!(stderr.contains(expected_in_message), "{stderr:?}");
    stderr
}

#[test]
fn keygen_writes_a_0600_secret_and_a_parsable_key_list() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = keygen(dir.path());
    let secret_path = dir.path().join("gateway.key");
    let mode = std::fs::metadata(&secret_path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let secret = std::fs::read_to_string(&secret_path).unwrap();
    assert_eq!(secret.len(), 65);
    assert!(secret.ends_with('\n'));
    assert!(secret[..64]
        .bytes()
        .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));

    let keys = std::fs::read(dir.path().join("ohttp-keys")).unwrap();
    let parsed = hush_core::ohttp::KeyConfigs::parse(&keys).unwrap();
    assert_eq!(parsed.configs().len(), 1);
    let config = parsed.current();
    assert_eq!(config.key_id(), key_id);
    let aeads: Vec<_> = config.suites().iter().map(|s| s.aead).collect();
    assert_eq!(
        aeads,
        [
            hush_core::ohttp::Aead::Aes128Gcm,
            hush_core::ohttp::Aead::ChaCha20Poly1305
        ]
    );
}

fn read_hex32(path: &Path) -> [u8; 32] {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.len(), 65, "{}", path.display());
    let mut out = [0; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn gateway_key_is_the_x25519_secret_of_the_published_key() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let sk = read_hex32(&dir.path().join("gateway.key"));
    let keys = std::fs::read(dir.path().join("ohttp-keys")).unwrap();
    let published = hush_core::ohttp::KeyConfigs::parse(&keys).unwrap();
    let pk = x25519_dalek::x25519(sk, x25519_dalek::X25519_BASEPOINT_BYTES);
    assert_eq!(&pk[..], &published.current().public_key()[..]);
    // The seed is a separate secret, also 0600, and not the key itself.
    let seed_path = dir.path().join("gateway.seed");
    let mode = std::fs::metadata(&seed_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_ne!(read_hex32(&seed_path), sk);
}

#[test]
fn a_key_directory_whose_seed_and_key_disagree_is_refused() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    keygen(a.path());
    keygen(b.path());
    let sealed = seal(a.path(), false, b"x");
    // gateway.key replaced by another key's secret: no longer X25519 of ohttp-keys.
    std::fs::remove_file(a.path().join("gateway.key")).unwrap();
    std::fs::copy(b.path().join("gateway.key"), a.path().join("gateway.key")).unwrap();
    assert_clean_failure(
        &open(a.path(), false, &sealed),
        "does not derive the secret",
    );
    // Without the seed the raw-key gateway takes over, and still checks the
    // secret against the published key.
    std::fs::remove_file(a.path().join("gateway.seed")).unwrap();
    assert_clean_failure(
        &open(a.path(), false, &sealed),
        "does not match the public key",
    );
    // The right secret, no seed: opens.
    std::fs::remove_file(a.path().join("gateway.key")).unwrap();
    std::fs::copy(b.path().join("gateway.key"), a.path().join("gateway.key")).unwrap();
    std::fs::copy(b.path().join("ohttp-keys"), a.path().join("ohttp-keys")).unwrap();
    let out = open(a.path(), false, &seal(b.path(), false, b"y"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"y");
}

#[test]
fn a_malformed_secret_or_seed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let sealed = seal(dir.path(), false, b"x");
    for name in ["gateway.seed", "gateway.key"] {
        let path = dir.path().join(name);
        let good = std::fs::read_to_string(&path).unwrap();
        for bad in [
            format!("{good}\n"),
            good.replace('\n', "\r\n"),
            good.to_uppercase(),
            format!(" {good}"),
            good[2..].to_string(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let out = open(dir.path(), false, &sealed);
            assert_clean_failure(&out, &format!("{name}: expected 64 lowercase hex"));
        }
        std::fs::write(&path, &good).unwrap();
    }
}

#[test]
fn keygen_refuses_to_overwrite_a_gateway_key() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let before = std::fs::read(dir.path().join("gateway.key")).unwrap();
    let out = hush(&["keygen", "--out", dir.path().to_str().unwrap()], b"");
    assert_clean_failure(&out, "refusing to overwrite");
    assert_eq!(
        std::fs::read(dir.path().join("gateway.key")).unwrap(),
        before
    );
}

/// Seals each payload (empty, JSON, binary with NUL and CR/LF, over a page)
/// and opens it again with the key directory `dir`.
fn assert_round_trips(dir: &Path) {
    for payload in [
        &b""[..],
        b"{\"day\":\"2026-05-01\"}",
        &[0u8, 255, 10, 13, 0][..],
        &[b'x'; 9000][..],
    ] {
        let sealed = seal(dir, false, payload);
        if payload.len() >= 8 {
            assert!(
                !sealed.windows(8).any(|w| w == &payload[..8]),
                "plaintext visible"
            );
        }
        let out = open(dir, false, &sealed);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, payload);
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn seal_then_open_returns_the_content() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    assert_round_trips(dir.path());
}

#[test]
fn seal_with_a_url_is_a_request_to_that_url() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let out = open(dir.path(), true, &seal(dir.path(), false, b"report"));
    assert!(out.status.success());
    let expected = bhttp::encode_request(
        "PUT",
        "https",
        "leader.example",
        &UPLOAD_URL["https://leader.example".len()..],
        &[("content-type", "application/dap-report")],
        b"report",
        0,
    );
    assert_eq!(out.stdout, expected);
    // The defaults: POST, no content type, the path `/` of a bare origin.
    let keys = dir.path().join("ohttp-keys");
    let keys = keys.to_str().unwrap();
    let plain = hush(&["seal", "--keys", keys, "--url", "http://t.example"], b"x");
    assert!(plain.status.success());
    let out = open(dir.path(), true, &plain.stdout);
    let expected = bhttp::encode_request("POST", "http", "t.example", "/", &[], b"x", 0);
    assert_eq!(out.stdout, expected);
    // Neither a URL nor --raw: nothing to seal it as.
    let out = hush(&["seal", "--keys", keys], b"x");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--url"));
    let out = hush(&["seal", "--keys", keys, "--url", "leader.example/x"], b"x");
    assert_clean_failure(&out, "expected scheme://authority/path");
}

/// A padded Binary HTTP message sealed with `--raw` opens to the whole
/// message with `--raw`, and to its content without.
fn assert_raw_round_trip(dir: &Path) {
    let message = bhttp::encode_request(
        "PUT",
        "https",
        "leader.example",
        "/dap/tasks/x/reports",
        &[("content-type", "application/dap-report")],
        b"{\"n\":1}",
        512,
    );
    let sealed = seal(dir, true, &message);
    assert_eq!(sealed.len(), hush_core::ohttp::encapsulated_len(512));
    let raw = open(dir, true, &sealed);
    assert!(raw.status.success());
    assert_eq!(raw.stdout, message);
    let content = open(dir, false, &sealed);
    assert!(content.status.success());
    assert_eq!(content.stdout, b"{\"n\":1}");
}

#[test]
fn raw_round_trip_keeps_the_whole_padded_message() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    assert_raw_round_trip(dir.path());
}

#[test]
fn open_refuses_a_request_for_another_key_id() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let id_a = keygen(a.path());
    // Key ids are random bytes: regenerate until they differ (1/256 per try).
    let mut id_b = keygen(b.path());
    while id_b == id_a {
        std::fs::remove_file(b.path().join("gateway.key")).unwrap();
        std::fs::remove_file(b.path().join("gateway.seed")).unwrap();
        id_b = keygen(b.path());
    }
    let sealed = seal(a.path(), false, b"report");
    let message = format!("key id {id_a}, which this gateway does not hold");
    assert_clean_failure(&open(b.path(), false, &sealed), &message);
    assert_clean_failure(&open(b.path(), true, &sealed), &message);
}

#[test]
fn open_refuses_a_request_sealed_to_another_key_with_the_same_id() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    keygen(a.path());
    keygen(b.path());
    let mut sealed = seal(a.path(), false, b"report");
    sealed[0] = std::fs::read(b.path().join("ohttp-keys")).unwrap()[2];
    assert_clean_failure(&open(b.path(), false, &sealed), "decryption failed");
}

#[test]
fn open_refuses_tampered_bytes() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let sealed = seal(dir.path(), false, b"a report worth protecting");
    // key id, KEM, KDF, AEAD, enc, ciphertext, tag.
    for pos in [0, 2, 4, 6, 7, 20, 38, 39, 50, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[pos] ^= 0x04;
        let out = open(dir.path(), false, &bad);
        assert_clean_failure(&out, "");
    }
    let mut bad = sealed.clone();
    bad[45] ^= 0x01;
    assert_clean_failure(&open(dir.path(), true, &bad), "decryption failed");
}

#[test]
fn open_refuses_truncated_requests() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let sealed = seal(dir.path(), false, b"a report worth protecting");
    assert_clean_failure(&open(dir.path(), false, &[]), "truncated");
    assert_clean_failure(&open(dir.path(), false, &sealed[..1]), "truncated");
    assert_clean_failure(&open(dir.path(), false, &sealed[..7]), "truncated");
    assert_clean_failure(&open(dir.path(), false, &sealed[..30]), "truncated");
    for cut in [40, 55, sealed.len() - 16, sealed.len() - 1] {
        assert_clean_failure(&open(dir.path(), false, &sealed[..cut]), "");
    }
}

#[test]
fn open_refuses_a_key_directory_whose_halves_do_not_match() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    keygen(a.path());
    keygen(b.path());
    std::fs::copy(a.path().join("ohttp-keys"), b.path().join("ohttp-keys")).unwrap();
    let sealed = seal(a.path(), false, b"x");
    assert_clean_failure(
        &open(b.path(), false, &sealed),
        "does not match the public key",
    );
}

#[test]
fn seal_refuses_a_bad_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("ohttp-keys");
    std::fs::write(&keys, [0, 3, 1, 0, 0x20]).unwrap();
    let out = hush(&["seal", "--keys", keys.to_str().unwrap(), "--raw"], b"x");
    assert_clean_failure(&out, "truncated: public key needs 32 more byte(s)");
}

// ----- key directories without gateway.seed: the raw-key gateway -----

/// A key directory from `hush keygen`, then without `gateway.seed`, and
/// `gateway.key` without its trailing newline.
fn keygen_seedless(dir: &Path) -> u8 {
    let key_id = keygen(dir);
    std::fs::remove_file(dir.join("gateway.seed")).unwrap();
    let secret = dir.join("gateway.key");
    let text = std::fs::read_to_string(&secret).unwrap();
    std::fs::write(&secret, text.strip_suffix('\n').unwrap()).unwrap();
    key_id
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// One value of RFC 9458 Appendix A, in hex, from hush-core's test data file.
fn rfc_hex(name: &str) -> &'static str {
    let data = include_str!("../../core/tests/data/rfc9458-appendix-a.txt");
    let line = data.lines().find(|l| l.starts_with(&format!("{name} = ")));
    &line.expect(name)[name.len() + 3..]
}

fn rfc(name: &str) -> Vec<u8> {
    unhex(rfc_hex(name))
}

#[test]
fn open_reads_the_rfc9458_appendix_a_request_with_only_the_raw_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = rfc("key_config");
    let mut list = (config.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&config);
    std::fs::write(dir.path().join("ohttp-keys"), &list).unwrap();
    std::fs::write(dir.path().join("gateway.key"), rfc_hex("sk_r")).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    let request = rfc("encapsulated_request");
    let out = open(dir.path(), true, &request);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    assert_eq!(out.stdout, rfc("request"));
    // A GET without content: `open` without --raw prints nothing, successfully.
    let out = open(dir.path(), false, &request);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());

    // The same with the trailing newline keygen writes.
    std::fs::write(
        dir.path().join("gateway.key"),
        format!("{}\n", rfc_hex("sk_r")),
    )
    .unwrap();
    assert_eq!(open(dir.path(), true, &request).stdout, rfc("request"));

    let mut tampered = request.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert_clean_failure(&open(dir.path(), true, &tampered), "decryption failed");
    let mut other_id = request.clone();
    other_id[0] = 2;
    assert_clean_failure(
        &open(dir.path(), true, &other_id),
        "key id 2, which this gateway does not hold",
    );
}

#[test]
fn seedless_seal_then_open_returns_the_content() {
    let dir = tempfile::tempdir().unwrap();
    keygen_seedless(dir.path());
    assert_round_trips(dir.path());
    assert_raw_round_trip(dir.path());
}

#[test]
fn seedless_open_refuses_tampering_truncation_and_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let key_id = keygen_seedless(dir.path());
    let sealed = seal(dir.path(), false, b"a report worth protecting");
    // Header ids: the unsupported-header error.
    for pos in [2, 4, 6] {
        let mut bad = sealed.clone();
        bad[pos] ^= 0x04;
        assert_clean_failure(
            &open(dir.path(), false, &bad),
            "unsupported or malformed header",
        );
    }
    // enc, ciphertext, tag.
    for pos in [7, 20, 38, 39, 45, 50, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[pos] ^= 0x01;
        assert_clean_failure(&open(dir.path(), false, &bad), "decryption failed");
    }
    assert_clean_failure(&open(dir.path(), false, &[]), "truncated");
    for cut in [1, 7, 30, 38] {
        assert_clean_failure(&open(dir.path(), false, &sealed[..cut]), "truncated");
    }
    for cut in [39, 40, 55, sealed.len() - 16, sealed.len() - 1] {
        assert_clean_failure(
            &open(dir.path(), false, &sealed[..cut]),
            "decryption failed",
        );
    }
    // Another key id.
    let mut other_id = sealed.clone();
    other_id[0] = key_id.wrapping_add(1);
    let message = format!("key id {}, which this gateway does not hold", other_id[0]);
    assert_clean_failure(&open(dir.path(), false, &other_id), &message);
    // Another key with this key id.
    let other = tempfile::tempdir().unwrap();
    keygen(other.path());
    let mut foreign = seal(other.path(), false, b"report");
    foreign[0] = key_id;
    assert_clean_failure(&open(dir.path(), false, &foreign), "decryption failed");
}
