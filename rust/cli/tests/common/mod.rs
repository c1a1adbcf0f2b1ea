//! Shared helpers for the gateway and client tests: run `hush serve` and
//! `hush replay` as the built binary, plain and sealed HTTP requests, and a
//! small fault-injecting HTTP relay. Everything listens on 127.0.0.1 only,
//! and every wait is bounded. The DAP deployment behind the gateway (a
//! leader and a helper from `hush dap-setup`) is `tests/dap_common`.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hush_core::ohttp::{bhttp, ResponseOpener};
use serde_json::Value;

pub const HUSH: &str = env!("CARGO_BIN_EXE_hush");
/// Per-attempt upload timeout the replays in these tests use.
pub const UPLOAD_TIMEOUT_MS: u64 = 1000;
/// How long the proxy holds a connection it does not answer ([`Fault::Hang`],
/// [`Fault::ForwardThenNotify`]), unless the client hangs up first: far longer
/// than [`UPLOAD_TIMEOUT_MS`] and any scheduling delay on a loaded machine, so
/// a client that returns early can only have timed out (or been killed).
pub const HANG: Duration = Duration::from_secs(30);
/// The replays' first day: ten days ago, so the leader (which refuses
/// reports more than 40 days old or in the future) accepts it by its own clock.
pub fn start() -> String {
    day_after_start(0)
}

/// `n` days after [`start`].
pub fn day_after_start(n: i64) -> String {
    let today = hush_core::clock::UtcDay::of_ms(hush_core::clock::Clock::now_ms(
        &hush_core::clock::SystemClock,
    ));
    hush_core::clock::UtcDay(today.0 - 10 + n).iso()
}

/// A key directory from `hush keygen`.
pub fn keygen(dir: &Path) -> PathBuf {
    keygen_args(dir, &[])
}

/// A key directory from `hush keygen ARGS` (`--key-id N`, say).
pub fn keygen_args(dir: &Path, args: &[&str]) -> PathBuf {
    let out = Command::new(HUSH)
        .arg("keygen")
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.to_owned()
}

/// A running `hush serve` (the OHTTP gateway); stopped with SIGTERM when
/// dropped.
pub struct Gateway {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// The admin listener, when started with `--admin-listen`.
    pub admin: Option<SocketAddr>,
}

impl Gateway {
    /// `hush serve --key KEYS --target-url TARGET` on a free loopback port.
    pub fn start(keys: &Path, target: &str) -> Self {
        Self::start_on(keys, target, "127.0.0.1:0")
    }

    pub fn start_on(keys: &Path, target: &str, listen: &str) -> Self {
        Self::with(keys, target, listen, &[])
    }

    /// [`Gateway::start`] with an admin listener and `extra` flags.
    pub fn with_admin(keys: &Path, target: &str, extra: &[&str]) -> Self {
        let mut flags = vec!["--admin-listen", "127.0.0.1:0"];
        flags.extend_from_slice(extra);
        Self::with(keys, target, "127.0.0.1:0", &flags)
    }

    fn with(keys: &Path, target: &str, listen: &str, extra: &[&str]) -> Self {
        let mut args: Vec<std::ffi::OsString> = vec![
            "--key".into(),
            keys.into(),
            "--target-url".into(),
            target.into(),
            "--listen".into(),
            listen.into(),
        ];
        args.extend(extra.iter().map(Into::into));
        Self::spawn(&args)
    }

    /// `hush serve ARGS`; waits for its listening line(s).
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Self {
        let admin = args.iter().any(|a| a.as_ref() == "--admin-listen");
        Self::spawn_expecting(args, admin)
    }

    /// `hush serve ARGS` with an admin listener that the args do not show
    /// (it is in a config file).
    pub fn spawn_with_admin<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Self {
        Self::spawn_expecting(args, true)
    }

    fn spawn_expecting<S: AsRef<std::ffi::OsStr>>(args: &[S], admin: bool) -> Self {
        let mut child = Command::new(HUSH)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, admin) = listening_lines(&mut child, admin, Duration::from_secs(60))
            .unwrap_or_else(|e| {
                let _ = child.kill();
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("hush serve: {e}; stderr: {err}");
            });
        Self {
            child: Some(child),
            addr,
            admin,
        }
    }

    /// The RFC 9540 gateway resource.
    pub fn url(&self) -> String {
        format!("http://{}/.well-known/ohttp-gateway", self.addr)
    }

    /// The older gateway resource.
    pub fn gateway_url(&self) -> String {
        format!("http://{}/gateway", self.addr)
    }

    /// SIGTERM, then wait (bounded); returns the exit status and stderr.
    pub fn stop(mut self) -> (ExitStatus, String) {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        signal(&child, "TERM");
        let status = wait_bounded(&mut child, Duration::from_secs(10));
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (status, stderr)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.stop_inner();
        }
    }
}

/// Reads a server's `listening on ADDR` line (and `admin on ADDR` if
/// `admin`) from its piped stdout, within `limit`; a thread keeps draining
/// stdout afterwards.
pub fn listening_lines(
    child: &mut Child,
    admin: bool,
    limit: Duration,
) -> Result<(SocketAddr, Option<SocketAddr>), String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let next = |prefix: &str| -> Result<SocketAddr, String> {
        let line = rx
            .recv_timeout(limit)
            .map_err(|_| format!("no `{prefix}` line within {limit:?}"))?;
        line.trim()
            .strip_prefix(prefix)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("unexpected line {line:?}"))
    };
    let addr = next("listening on ")?;
    let admin = admin.then(|| next("admin on ")).transpose()?;
    Ok((addr, admin))
}

pub fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process {} did not exit within {limit:?}", child.id());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// `hush replay` of a trace on stdin, with the app's task configuration
/// `tasks` (`client/dap-tasks.json`) and gateway keys `keys`
/// (`client/ohttp-keys`), uploading to `endpoint` if given.
pub fn replay_command(data: &Path, tasks: &Path, keys: &Path, endpoint: Option<&str>) -> Command {
    replay_command_with_timeout(data, tasks, keys, endpoint, UPLOAD_TIMEOUT_MS)
}

/// [`replay_command`] with another per-attempt upload timeout.
pub fn replay_command_with_timeout(
    data: &Path,
    tasks: &Path,
    keys: &Path,
    endpoint: Option<&str>,
    timeout_ms: u64,
) -> Command {
    let mut cmd = Command::new(HUSH);
    cmd.args(["replay", "-", "--start", &start(), "--data-dir"])
        .arg(data)
        .arg("--tasks")
        .arg(tasks)
        .arg("--keys")
        .arg(keys)
        .args(["--timeout-ms", &timeout_ms.to_string()]);
    if let Some(e) = endpoint {
        cmd.args(["--endpoint", e]);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs a replay command with `trace` on stdin; returns its summary line.
pub fn run_replay(mut cmd: Command, trace: &str) -> Value {
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(trace.as_bytes())
        .unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "replay failed: {stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout:?}"))
}

/// The `uploads` counters of a replay summary: attempted, delivered, retrying, dropped.
pub fn uploads(summary: &Value) -> [u64; 4] {
    let u = &summary["uploads"];
    ["attempted", "delivered", "retrying", "dropped"].map(|k| u[k].as_u64().unwrap())
}

/// A trace recording `n` opened tabs on day one, then closing it and flushing.
pub fn one_day_trace(n: u64) -> String {
    format!(
        concat!(
            "{{\"op\":\"consent\",\"enabled\":true}}\n",
            "{{\"op\":\"open_tab\",\"tab\":\"t\"}}\n",
            "{{\"op\":\"count\",\"tab\":\"t\",\"metric\":\"tabs.opened\",\"n\":{}}}\n",
            "{{\"op\":\"advance\",\"days\":1}}\n",
            "{{\"op\":\"flush\"}}\n",
        ),
        n
    )
}

/// Only flush (consent first: a replay starts with the choice not yet given).
pub const FLUSH_ONLY: &str = "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"flush\"}\n";

pub fn pending_files(data: &Path) -> usize {
    std::fs::read_dir(data.join("pending"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ----- plain HTTP and sealed requests -----

/// An HTTP answer, read whole.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    /// Each header's name and the length of its value, sorted.
    pub headers: Vec<(String, usize)>,
    pub body: Vec<u8>,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .proxy(None)
        .build()
        .into()
}

/// One HTTP request (GET, PUT or POST), redirects and proxies off.
pub fn send(method: &str, url: &str, content_type: Option<&str>, body: &[u8]) -> Answer {
    let agent = agent();
    let result = match method {
        "GET" => agent.get(url).call(),
        "PUT" => {
            let mut r = agent.put(url);
            if let Some(ct) = content_type {
                r = r.header("content-type", ct);
            }
            r.send(body)
        }
        _ => {
            let mut r = agent.post(url);
            if let Some(ct) = content_type {
                r = r.header("content-type", ct);
            }
            r.send(body)
        }
    };
    let mut response = result.expect("an HTTP answer");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let mut headers: Vec<(String, usize)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.len()))
        .collect();
    headers.sort();
    Answer {
        status: response.status().as_u16(),
        content_type,
        headers,
        body: response.body_mut().read_to_vec().unwrap(),
    }
}

/// A request that declares a body of `declared` bytes and sends none: how
/// an oversized upload is refused without the test depending on how much a
/// loopback socket buffers before the server closes it (which it may do
/// as soon as it has answered 413).
pub fn send_declared(method: &str, url: &str, content_type: &str, declared: usize) -> Answer {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: {content_type}\r\ncontent-length: {declared}\r\n\r\n"
    )
    .unwrap();
    // The connection may stay open: read the head, then as many bytes as
    // it declares.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the connection closed before a complete head");
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let mut headers = Vec::new();
    let mut content_type = String::new();
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        let (name, value) = (name.to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-type" => content_type = value.to_owned(),
            "content-length" => length = Some(value.parse::<usize>().unwrap()),
            _ => {}
        }
        headers.push((name, value.len()));
    }
    headers.sort();
    let length = length.expect("a length-delimited body");
    let mut body = raw[end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(body.len(), length, "nothing beyond the declared body");
    Answer {
        status: status.parse().unwrap(),
        content_type,
        headers,
        body,
    }
}

/// The inner answer of a sealed answer (the outer one must be 200
/// `message/ohttp-res`).
pub fn inner_answer(answer: &Answer, opener: &ResponseOpener) -> bhttp::Response {
    assert_eq!(
        (answer.status, answer.content_type.as_str()),
        (200, "message/ohttp-res"),
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let inner = opener.open(&answer.body).expect("answer opens");
    bhttp::decode_response(&inner).unwrap()
}

/// The inner status of a sealed answer.
pub fn inner_status(answer: &Answer, opener: &ResponseOpener) -> u16 {
    inner_answer(answer, opener).status
}

// ----- fault-injecting proxy -----

/// What the proxy does with the next requests.
#[derive(Clone)]
pub enum Fault {
    /// Pass to the upstream gateway and back.
    Forward,
    /// Answer this status itself (with `Retry-After` when given).
    Status(u16, Option<&'static str>),
    /// Read the request and never answer (the connection ends after [`HANG`],
    /// or when the client hangs up).
    Hang,
    /// Forward, then send only half of the answer and close.
    CloseMidResponse,
    /// Read the request head, then close before reading the body.
    CloseMidRequest,
    /// Forward, tell the test, then hold the answer back ([`HANG`], or until
    /// the client hangs up) and close.
    ForwardThenNotify(mpsc::Sender<()>),
    /// Forward to this path of the upstream instead of the one asked for (a
    /// reverse proxy's rewrite rule).
    ForwardToPath(&'static str),
}

/// HTTP/1.1 relay on 127.0.0.1 in front of `hush serve` that records every
/// byte clients send (before any decapsulation) and injects faults. Its
/// threads end by themselves when it is dropped.
pub struct Relay {
    pub addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    captured: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

impl Relay {
    pub fn start(upstream: Option<SocketAddr>, fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let fault = Arc::new(Mutex::new(fault));
        let captured = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, c, s) = (fault.clone(), captured.clone(), stop.clone());
        thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (f, c) = (f.clone(), c.clone());
                        thread::spawn(move || {
                            let _ = serve_connection(stream, upstream, &f, &c);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            addr,
            fault,
            captured,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/gateway", self.addr)
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// Every request received so far, raw (head and body).
    pub fn captured(&self) -> Vec<Vec<u8>> {
        self.captured.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.captured.lock().unwrap().len()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one HTTP/1.1 message with a Content-Length body: (head, body).
/// `None` at a clean end of stream.
fn read_message(stream: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        buf.push(byte[0]);
        if buf.len() > 64 * 1024 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse::<usize>().unwrap_or(0));
    let mut body = vec![0; len];
    stream.read_exact(&mut body)?;
    Ok(Some((buf, body)))
}

fn forward(upstream: SocketAddr, head: &[u8], body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream)?;
    up.set_read_timeout(Some(Duration::from_secs(10)))?;
    up.write_all(head)?;
    up.write_all(body)?;
    let (resp_head, resp_body) = read_message(&mut up)?.ok_or(std::io::ErrorKind::UnexpectedEof)?;
    let mut out = resp_head;
    out.extend_from_slice(&resp_body);
    Ok(out)
}

/// Waits until the peer closes or `limit` passes, without answering.
fn hold(stream: &mut TcpStream, limit: Duration) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Err(e)
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return
            }
            _ => {}
        }
    }
}

fn serve_connection(
    mut stream: TcpStream,
    upstream: Option<SocketAddr>,
    fault: &Mutex<Fault>,
    captured: &Mutex<Vec<Vec<u8>>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    loop {
        let current = fault.lock().unwrap().clone();
        if let Fault::CloseMidRequest = current {
            // Read the head only, record it, and hang up.
            let mut buf = [0u8; 256];
            let n = stream.read(&mut buf)?;
            captured.lock().unwrap().push(buf[..n].to_vec());
            return Ok(());
        }
        let Some((head, body)) = read_message(&mut stream)? else {
            return Ok(());
        };
        let mut raw = head.clone();
        raw.extend_from_slice(&body);
        captured.lock().unwrap().push(raw);
        let upstream = || upstream.expect("this fault needs an upstream");
        match current {
            Fault::Forward => {
                let answer = forward(upstream(), &head, &body)?;
                stream.write_all(&answer)?;
            }
            Fault::Status(status, retry_after) => {
                let extra = retry_after
                    .map(|s| format!("retry-after: {s}\r\n"))
                    .unwrap_or_default();
                let answer =
                    format!("HTTP/1.1 {status} Fault\r\n{extra}content-length: 5\r\n\r\nfault");
                stream.write_all(answer.as_bytes())?;
            }
            Fault::Hang => {
                hold(&mut stream, HANG);
                return Ok(());
            }
            Fault::CloseMidResponse => {
                let answer = forward(upstream(), &head, &body)?;
                stream.write_all(&answer[..answer.len() - 20])?;
                return Ok(());
            }
            Fault::ForwardThenNotify(tx) => {
                forward(upstream(), &head, &body)?;
                let _ = tx.send(());
                hold(&mut stream, HANG);
                return Ok(());
            }
            Fault::ForwardToPath(path) => {
                let line_end = head.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..line_end]).into_owned();
                let mut parts = line.splitn(3, ' ');
                let (method, _, version) = (parts.next(), parts.next(), parts.next());
                let mut rewritten = format!(
                    "{} {path} {}",
                    method.unwrap_or("POST"),
                    version.unwrap_or("HTTP/1.1")
                )
                .into_bytes();
                rewritten.extend_from_slice(&head[line_end..]);
                let answer = forward(upstream(), &rewritten, &body)?;
                stream.write_all(&answer)?;
            }
            Fault::CloseMidRequest => unreachable!(),
        }
    }
}
