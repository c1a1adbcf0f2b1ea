//! The HTTP side both aggregators share: the request and response a
//! handler sees, the DAP-09 resource paths, and a small hyper server.
//!
//! The server logs nothing about a request (no peer address, no header, no
//! path), reads each body under the limit its route allows (413 beyond),
//! runs the handler on a blocking thread (it decrypts, prepares and writes
//! SQLite), prints `listening on ADDR` once bound, and stops on SIGTERM or
//! SIGINT after letting requests in progress finish. With an admin address
//! it also serves the operator's `/metrics` (Prometheus) and `/healthz`
//! there, and prints `admin on ADDR` next.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use janus_messages::{AggregationJobId, CollectionJobId, TaskId};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;

use super::problem::{Problem, PROBLEM_MEDIA_TYPE};

/// A request as a handler sees it: nothing about who sent it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// 200 with a DAP message.
    pub fn message(media_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status: StatusCode::OK,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(media_type))],
            body,
        }
    }

    pub fn problem(problem: &Problem) -> Self {
        Self {
            status: problem.status(),
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_MEDIA_TYPE))],
            body: problem.to_json(),
        }
    }

    pub fn not_found() -> Self {
        Self::problem(&Problem::plain(StatusCode::NOT_FOUND, "Not found."))
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut r = Self::problem(&Problem::plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed.",
        ));
        r.headers.push((ALLOW, HeaderValue::from_static(allow)));
        r
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    #[cfg(test)]
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == CONTENT_TYPE)
            .and_then(|(_, v)| v.to_str().ok())
    }
}

impl From<Problem> for Response {
    fn from(p: Problem) -> Self {
        Self::problem(&p)
    }
}

/// The DAP-09 resources (§4), relative to an aggregator's base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    HpkeConfig,
    Reports(TaskId),
    AggregationJob(TaskId, AggregationJobId),
    AggregateShares(TaskId),
    CollectionJob(TaskId, CollectionJobId),
}

/// Why a path is not a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not a DAP path at all.
    NotFound,
    /// A DAP path with an id that does not parse (Janus: 400).
    BadId(&'static str),
}

impl Resource {
    /// Parses `path` under `base` (the path of the aggregator's URL, ending
    /// in `/`).
    pub fn parse(base: &str, path: &str) -> Result<Self, PathError> {
        let rest = path.strip_prefix(base).ok_or(PathError::NotFound)?;
        let parts: Vec<&str> = rest.split('/').collect();
        let task = |s: &str| s.parse::<TaskId>().map_err(|_| PathError::BadId("task ID"));
        match parts.as_slice() {
            ["hpke_config"] => Ok(Self::HpkeConfig),
            ["tasks", t, "reports"] => Ok(Self::Reports(task(t)?)),
            ["tasks", t, "aggregate_shares"] => Ok(Self::AggregateShares(task(t)?)),
            ["tasks", t, "aggregation_jobs", j] => Ok(Self::AggregationJob(
                task(t)?,
                j.parse()
                    .map_err(|_| PathError::BadId("aggregation job ID"))?,
            )),
            ["tasks", t, "collection_jobs", j] => Ok(Self::CollectionJob(
                task(t)?,
                j.parse()
                    .map_err(|_| PathError::BadId("collection job ID"))?,
            )),
            _ => Err(PathError::NotFound),
        }
    }

    /// The path of this resource under `base`.
    #[cfg(test)]
    pub fn path(&self, base: &str) -> String {
        match self {
            Self::HpkeConfig => format!("{base}hpke_config"),
            Self::Reports(t) => format!("{base}tasks/{t}/reports"),
            Self::AggregateShares(t) => format!("{base}tasks/{t}/aggregate_shares"),
            Self::AggregationJob(t, j) => format!("{base}tasks/{t}/aggregation_jobs/{j}"),
            Self::CollectionJob(t, j) => format!("{base}tasks/{t}/collection_jobs/{j}"),
        }
    }
}

/// The resource at `path` under `base`, or the answer to a path that is
/// none: 404, or 400 for a malformed id (Janus).
pub fn resource(base: &str, path: &str) -> Result<Resource, Response> {
    Resource::parse(base, path).map_err(|e| match e {
        PathError::NotFound => Response::not_found(),
        PathError::BadId(what) => {
            Problem::plain(StatusCode::BAD_REQUEST, "Malformed ID in the path.")
                .with_detail(format!("invalid {what}"))
                .into()
        }
    })
}

/// The path part of a base URL (`https://host/dap/` -> `/dap/`).
pub fn base_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let path = &rest[rest.find('/')?..];
    path.ends_with('/').then_some(path)
}

/// Janus compares the Content-Type with the message's media type exactly; a
/// parameter (`; charset=...`) or a different case is accepted here too.
pub fn require_media_type(req: &Request, media_type: &'static str) -> Result<(), Problem> {
    let ok = req.headers.get(CONTENT_TYPE).is_some_and(|v| {
        let essence = v
            .as_bytes()
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default();
        essence
            .trim_ascii()
            .eq_ignore_ascii_case(media_type.as_bytes())
    });
    if ok {
        Ok(())
    } else {
        Err(
            Problem::plain(StatusCode::BAD_REQUEST, "Wrong or missing Content-Type.")
                .with_detail(format!("expected {media_type}")),
        )
    }
}

/// A task's request body as the DAP message `T` (`what` names it in the
/// `invalidMessage` problem otherwise).
pub fn decode<T: janus_messages::codec::Decode>(
    task_id: &TaskId,
    body: &[u8],
    what: &str,
) -> Result<T, Problem> {
    T::get_decoded(body)
        .map_err(|_| Problem::invalid_message(task_id, &format!("the body is not a DAP-09 {what}")))
}

/// Prio3 takes no aggregation parameter: anything else is `invalidMessage`.
pub fn no_aggregation_parameter(task_id: &TaskId, param: &[u8]) -> Result<(), Problem> {
    if param.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid_message(
            task_id,
            "Prio3 takes no aggregation parameter",
        ))
    }
}

/// What a server runs: the handler, and how large a body each request may
/// have (read before the handler is called, so a limit can depend on the
/// request's headers: the helper reads large bodies only from the leader).
pub trait Service: Send + Sync + 'static {
    fn body_limit(&self, method: &Method, path: &str, headers: &HeaderMap) -> usize;
    /// Runs on a blocking thread.
    fn handle(&self, req: Request) -> Response;
    /// Every answer to `path`, the handler's or a refused body's, as it is
    /// sent (the leader gives every answer to an upload one size, P9).
    fn finish(&self, _path: &str, answer: Response) -> Response {
        answer
    }
    /// The operator's `/metrics` page, on the admin listener only.
    fn metrics(&self) -> String {
        String::new()
    }
}

/// Open connections beyond this are closed at once (bounded memory).
const MAX_CONNECTIONS: usize = 256;
/// The admin listener's own cap: a flood of the public one never locks the
/// operator out.
const MAX_ADMIN_CONNECTIONS: usize = 16;
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A body must arrive within this time once the headers are in.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Binds `listen` (and `admin`, if given) and serves `service` until
/// SIGTERM or SIGINT.
pub fn run<S: Service>(
    service: Arc<S>,
    listen: SocketAddr,
    admin: Option<SocketAddr>,
) -> Result<(), String> {
    let public = bind(listen)?;
    let admin = admin.map(bind).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(accept_loop(service, public, admin));
    // Whatever outlived the grace period ends here.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}

pub type Bound = (std::net::TcpListener, SocketAddr);

/// A non-blocking listener on `addr` (port 0: a free one) and the address
/// it got; `hush serve` binds its listeners with it too.
pub fn bind(addr: SocketAddr) -> Result<Bound, String> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {local}: {e}"))?;
    Ok((listener, local))
}

/// One listener being served: its socket, its connection cap, and whether
/// it is the operator's.
struct Listening {
    listener: tokio::net::TcpListener,
    connections: Arc<Semaphore>,
    admin: bool,
}

impl Listening {
    fn new((listener, local): Bound, cap: usize, admin: bool) -> Result<Self, String> {
        Ok(Self {
            listener: tokio::net::TcpListener::from_std(listener)
                .map_err(|e| format!("cannot listen on {local}: {e}"))?,
            connections: Arc::new(Semaphore::new(cap)),
            admin,
        })
    }

    /// Accepts one connection and serves it on a task of its own.
    async fn accept_one<S: Service>(&self, service: &Arc<S>, graceful: &GracefulShutdown) {
        // The peer address is dropped unread: aggregators keep no IPs.
        let Ok((stream, _)) = self.listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            return;
        };
        let Ok(permit) = Arc::clone(&self.connections).try_acquire_owned() else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let (service, admin) = (Arc::clone(service), self.admin);
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .serve_connection(
                TokioIo::new(stream),
                service_fn(move |req| {
                    let service = Arc::clone(&service);
                    async move {
                        if admin {
                            serve_admin(&*service, &req)
                        } else {
                            serve_one(service, req).await
                        }
                    }
                }),
            );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
}

async fn accept_loop<S: Service>(
    service: Arc<S>,
    public: Bound,
    admin: Option<Bound>,
) -> Result<(), String> {
    let (public_addr, admin_addr) = (public.1, admin.as_ref().map(|a| a.1));
    let public = Listening::new(public, MAX_CONNECTIONS, false)?;
    let admin = admin
        .map(|a| Listening::new(a, MAX_ADMIN_CONNECTIONS, true))
        .transpose()?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("signals: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("signals: {e}"))?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // Scripts wait for these lines; if stdout is gone there is no one to tell.
        let _ = writeln!(out, "listening on {public_addr}");
        if let Some(addr) = admin_addr {
            let _ = writeln!(out, "admin on {addr}");
        }
        let _ = out.flush();
    }
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            () = public.accept_one(&service, &graceful) => {}
            () = async {
                match &admin {
                    Some(admin) => admin.accept_one(&service, &graceful).await,
                    None => std::future::pending().await,
                }
            } => {}
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(public);
    drop(admin);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {}
    }
    Ok(())
}

async fn serve_one<S: Service>(
    service: Arc<S>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let limit = service.body_limit(&parts.method, &path, &parts.headers);
    let response = match read_body(&parts.headers, body, limit).await {
        Err(r) => r,
        Ok(body) => {
            let req = Request {
                method: parts.method,
                path: path.clone(),
                query: parts.uri.query().map(str::to_owned),
                headers: parts.headers,
                body,
            };
            let service = Arc::clone(&service);
            tokio::task::spawn_blocking(move || service.handle(req))
                .await
                .unwrap_or_else(|_| Response::problem(&Problem::internal()))
        }
    };
    Ok(to_hyper(service.finish(&path, response)))
}

/// The admin listener: `/metrics` and `/healthz`, nothing else.
fn serve_admin<S: Service>(
    service: &S,
    req: &hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let text = |status, content_type: &'static str, body: Vec<u8>| Response {
        status,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    };
    let get = matches!(*req.method(), Method::GET | Method::HEAD);
    let response = match (req.uri().path(), get) {
        ("/metrics", true) => text(
            StatusCode::OK,
            crate::prometheus::CONTENT_TYPE,
            service.metrics().into_bytes(),
        ),
        ("/healthz", true) => text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            b"ok\n".to_vec(),
        ),
        ("/metrics" | "/healthz", false) => Response::method_not_allowed("GET, HEAD"),
        _ => Response::not_found(),
    };
    Ok(to_hyper(response))
}

async fn read_body(headers: &HeaderMap, body: Incoming, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        Response::problem(
            &Problem::plain(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.")
                .with_detail(format!("at most {limit} bytes")),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, limit).collect()).await {
        Err(_) => Err(Response::problem(&Problem::plain(
            StatusCode::REQUEST_TIMEOUT,
            "Request body too slow.",
        ))),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(Response::problem(&Problem::plain(
            StatusCode::BAD_REQUEST,
            "Incomplete request body.",
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

fn to_hyper(r: Response) -> hyper::Response<Full<Bytes>> {
    let mut out = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *out.status_mut() = r.status;
    for (name, value) in r.headers {
        out.headers_mut().append(name, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dap_paths_parse_under_the_base() {
        let t = TaskId::from([1; 32]);
        let j = AggregationJobId::from([2; 16]);
        for base in ["/", "/dap/"] {
            for r in [
                Resource::HpkeConfig,
                Resource::Reports(t),
                Resource::AggregateShares(t),
                Resource::AggregationJob(t, j),
            ] {
                assert_eq!(Resource::parse(base, &r.path(base)), Ok(r));
            }
        }
        assert_eq!(
            Resource::parse("/dap/", "/tasks/x/reports"),
            Err(PathError::NotFound)
        );
        assert_eq!(
            Resource::parse("/", "/tasks/short/reports"),
            Err(PathError::BadId("task ID"))
        );
        assert_eq!(
            Resource::parse("/", &format!("/tasks/{t}/reports/extra")),
            Err(PathError::NotFound)
        );
        assert_eq!(base_path("https://leader.example/dap/"), Some("/dap/"));
        assert_eq!(base_path("http://127.0.0.1:9/"), Some("/"));
        assert_eq!(base_path("https://leader.example"), None);
    }
}
