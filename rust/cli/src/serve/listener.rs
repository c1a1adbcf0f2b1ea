//! Accepting connections without letting slow or silent clients starve the
//! collector, and without looking at who they are (the collector keeps no
//! addresses; the peer address is dropped unread).
//!
//! - A short header deadline: a connection must send its request headers
//!   within [`Limits::header_timeout`] of being accepted (and of its previous
//!   answer), or it is closed.
//! - A connection cap, [`Limits::max_connections`]. When it is reached, or
//!   when the process runs out of file descriptors, the oldest connection
//!   that has not sent a single byte yet is closed to make room: a flood of
//!   idle sockets only ever evicts itself, while a client that connects and
//!   sends its request at once is served. Only when every connection has
//!   sent something is a new one refused.
//!
//! A deployment at scale puts a reverse proxy in front (README, operator
//! section); this keeps a bare `hush serve` available meanwhile.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::http::{self, Body};
use super::metrics::Metrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(5),
        }
    }
}

/// One open connection, in accept order.
struct Entry {
    id: u64,
    /// Set once the peer has sent a byte.
    spoke: Arc<AtomicBool>,
    /// Notified to close the connection.
    evict: Arc<Notify>,
}

/// The open connections of one listener.
#[derive(Default)]
pub struct Open {
    entries: Mutex<VecDeque<Entry>>,
    next_id: AtomicU64,
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        // A panic elsewhere while holding it leaves the list intact.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn insert(&self) -> (u64, Arc<AtomicBool>, Arc<Notify>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let spoke = Arc::new(AtomicBool::new(false));
        let evict = Arc::new(Notify::new());
        self.lock().push_back(Entry {
            id,
            spoke: Arc::clone(&spoke),
            evict: Arc::clone(&evict),
        });
        (id, spoke, evict)
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|e| e.id != id);
    }

    /// Closes the oldest connection that has sent nothing; whether there was one.
    pub fn evict_idle(&self) -> bool {
        let mut entries = self.lock();
        let Some(i) = entries
            .iter()
            .position(|e| !e.spoke.load(Ordering::Relaxed))
        else {
            return false;
        };
        if let Some(entry) = entries.remove(i) {
            // Stored as a permit if the task is not waiting yet.
            entry.evict.notify_one();
        }
        true
    }
}

/// A socket that notes when its peer first sends something.
struct Tracked {
    inner: TcpStream,
    spoke: Arc<AtomicBool>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.spoke.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Which handler a listener serves.
#[derive(Clone, Copy)]
pub enum Service {
    Public,
    Admin,
}

/// Accepts one connection (or handles a failed accept) and spawns it.
pub async fn accept_one(
    listener: &TcpListener,
    app: &Arc<http::App>,
    service: Service,
    open: &Arc<Open>,
    limits: Limits,
    graceful: &GracefulShutdown,
) {
    // The counters are the public listener's; the admin one only serves.
    let metrics = match service {
        Service::Public => Some(Arc::clone(&app.metrics)),
        Service::Admin => None,
    };
    let bump = |counter: fn(&Metrics) -> &AtomicU64| {
        if let Some(m) = &metrics {
            counter(m).fetch_add(1, Ordering::Relaxed);
        }
    };
    let stream = match listener.accept().await {
        // The peer address is dropped unread: the collector keeps no IPs.
        Ok((stream, _)) => stream,
        Err(_) => {
            // Out of file descriptors (or a connection reset before accept):
            // make room as at the cap, and back off instead of spinning.
            if open.evict_idle() {
                bump(|m| &m.connections_evicted);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            return;
        }
    };
    if open.len() >= limits.max_connections {
        if open.evict_idle() {
            bump(|m| &m.connections_evicted);
        } else {
            bump(|m| &m.connections_refused);
            return; // every connection is busy: close this one
        }
    }
    let _ = stream.set_nodelay(true);
    let (id, spoke, evict) = open.insert();
    let gauge = move |open: &Open, metrics: &Option<Arc<Metrics>>| {
        if let Some(m) = metrics {
            m.connections_open
                .store(open.len() as u64, Ordering::Relaxed);
        }
    };
    gauge(open, &metrics);
    let for_handler = Arc::clone(app);
    let handler = move |req: Request<Incoming>| {
        let app = Arc::clone(&for_handler);
        async move {
            let response: Result<Response<Body>, std::convert::Infallible> = match service {
                Service::Public => http::handle(app, req).await,
                Service::Admin => http::handle_admin(app, req).await,
            };
            response
        }
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(http::MAX_BODY + 16 * 1024)
        .serve_connection(
            TokioIo::new(Tracked {
                inner: stream,
                spoke,
            }),
            service_fn(handler),
        );
    let conn = graceful.watch(conn);
    let open = Arc::clone(open);
    tokio::spawn(async move {
        tokio::select! {
            // A connection error (reset, bad request line, header timeout)
            // only ends that connection.
            _ = conn => {}
            () = evict.notified() => {}
        }
        open.remove(id);
        gauge(&open, &metrics);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_takes_the_oldest_silent_connection_only() {
        let open = Open::default();
        let (a, a_spoke, a_evict) = open.insert();
        let (_b, _, b_evict) = open.insert();
        let (_c, _, _) = open.insert();
        a_spoke.store(true, Ordering::Relaxed);
        assert!(open.evict_idle());
        assert_eq!(open.len(), 2);
        // b (the oldest silent one) was told to close, not a (which spoke).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), b_evict.notified())
                .await
                .expect("b evicted");
            assert!(
                tokio::time::timeout(Duration::from_millis(50), a_evict.notified())
                    .await
                    .is_err(),
                "a is busy and stays"
            );
        });
        assert!(open.evict_idle()); // c
        assert!(!open.evict_idle(), "only a is left, and it has spoken");
        open.remove(a);
        assert_eq!(open.len(), 0);
    }
}
