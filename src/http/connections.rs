//! The accept loop. `axum::serve` sets no header timeout, no idle timeout and no connection
//! limit, so a client that opens sockets and never finishes a request (slow-loris) could hold
//! every file descriptor the process has. This loop is `axum::serve` plus those limits, on
//! hyper's own connection builder.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use ipnet::IpNet;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// A request head (request line and headers) larger than this is refused with 431. Browsers
/// send a few KiB; the rest is room for other applications' cookies on the same host.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// More header lines than this is refused with 431.
pub const MAX_HEADERS: usize = 64;
/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionLimits {
    /// Open connections at once; past it the server stops accepting until one closes.
    pub max_connections: usize,
    /// Open connections from one IPv4 address or IPv6 /64; past it new ones are closed at once.
    /// Connections from trusted proxies are exempt: they carry many clients.
    pub max_per_client: usize,
    /// Time to receive a whole request head, and how long an idle keep-alive connection
    /// stays open waiting for the next one.
    pub header_timeout: Duration,
    pub trusted_proxies: Vec<IpNet>,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (for at most `SHUTDOWN_GRACE`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let per_client = Arc::new(PerClient::new(&limits));
    let builder = connection_builder(&limits);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = open.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // the semaphore is never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    wait_after_accept_error(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(client_slot) = per_client.claim(peer.ip()) else {
            tracing::debug!(%peer, "too many connections from this client; closed");
            continue;
        };
        let connection = serve_connection(&builder, stream, peer, router.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, "connection ended: {err}");
            }
            drop((slot, client_slot));
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running {}s after the shutdown signal were cut off",
            SHUTDOWN_GRACE.as_secs()
        );
    }
}

/// HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a reverse proxy terminates, and
/// proxies talk HTTP/1.1 to their upstreams. hyper-util's "auto" builder (what `axum::serve`
/// uses) first waits for bytes to guess the version, and that wait has no timeout: a client
/// that connects and sends nothing would hold its connection forever.
fn connection_builder(limits: &ConnectionLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS);
    builder
}

fn serve_connection(
    builder: &http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
) -> impl hyper_util::server::graceful::GracefulConnection<Error = hyper::Error> + Send + 'static {
    // Small answers (token refreshes) should not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let service = router.map_request(move |request: http::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
}

/// `accept` fails when the process is out of file descriptors (or the peer reset the connection
/// before it was accepted); a pause lets closing connections free descriptors instead of
/// spinning on the error.
async fn wait_after_accept_error(err: std::io::Error) {
    let pause = match err.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
            tracing::error!("accepting a connection failed: {err}; pausing for 100 ms");
            Duration::from_millis(100)
        }
        _ => {
            tracing::debug!("accepting a connection failed: {err}");
            Duration::from_millis(1)
        }
    };
    tokio::time::sleep(pause).await;
}

/// Counts open connections per client, so that one address cannot take every slot.
struct PerClient {
    max: usize,
    trusted: Vec<IpNet>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's claim on its client's count; released when dropped.
struct ClientSlot {
    key: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClient {
    fn new(limits: &ConnectionLimits) -> Self {
        Self {
            max: limits.max_per_client,
            trusted: limits.trusted_proxies.clone(),
            open: Arc::default(),
        }
    }

    fn claim(&self, peer: IpAddr) -> Option<Option<ClientSlot>> {
        let peer = crate::auth::device::canonical(peer);
        if self.trusted.iter().any(|net| net.contains(&peer)) {
            return Some(None);
        }
        let key = client_key(peer);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Some(ClientSlot {
            key,
            open: self.open.clone(),
        }))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// An IPv6 client usually holds a whole /64, so counting single addresses would not limit it.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_per_client: usize, trusted: &[&str]) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 100,
            max_per_client,
            header_timeout: Duration::from_secs(1),
            trusted_proxies: trusted.iter().filter_map(|n| n.parse().ok()).collect(),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn one_client_gets_its_share_and_gets_it_back_when_connections_close() {
        let per_client = PerClient::new(&limits(2, &[]));
        let first = per_client.claim(ip("192.0.2.1"));
        let second = per_client.claim(ip("192.0.2.1"));
        assert!(first.is_some() && second.is_some());
        assert!(per_client.claim(ip("192.0.2.1")).is_none());
        assert!(
            per_client.claim(ip("192.0.2.2")).is_some(),
            "others unaffected"
        );
        drop(first);
        assert!(per_client.claim(ip("192.0.2.1")).is_some());
    }

    #[test]
    fn an_ipv6_slash_64_counts_as_one_client_and_mapped_ipv4_as_ipv4() {
        let per_client = PerClient::new(&limits(1, &[]));
        let _held = per_client.claim(ip("2001:db8:1:2::1"));
        assert!(per_client.claim(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(per_client.claim(ip("2001:db8:1:3::1")).is_some());
        let _v4 = per_client.claim(ip("198.51.100.7"));
        assert!(per_client.claim(ip("::ffff:198.51.100.7")).is_none());
    }

    #[test]
    fn trusted_proxies_are_not_limited() {
        let per_client = PerClient::new(&limits(1, &["10.0.0.0/8"]));
        let held: Vec<_> = (0..5).map(|_| per_client.claim(ip("10.1.2.3"))).collect();
        assert!(held.iter().all(Option::is_some));
        assert!(per_client
            .open
            .lock()
            .map(|m| m.is_empty())
            .unwrap_or(false));
    }
}
