//! Slow and greedy clients against a real server process (issue 11): a request head or body
//! that trickles in is cut off, idle connections are closed, one client cannot take every
//! connection, and oversized heads are refused before any handler runs. The limits are set low
//! here (1 s, a handful of connections) so each test takes seconds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::process::Server;
use crate::support::*;

const TIMEOUTS: [(&str, &str); 2] = [
    ("LATCHKEY_HEADER_TIMEOUT", "1"),
    ("LATCHKEY_BODY_TIMEOUT", "1"),
];

async fn server(extra: &[(&str, &str)]) -> (TestDb, Server) {
    let db = test_db(Dialect::Sqlite).await.expect("SQLite");
    let mut env = TIMEOUTS.to_vec();
    env.extend_from_slice(extra);
    let server = Server::start(&db, &env).await;
    (db, server)
}

/// A connection from `source` (any 127.0.0.0/8 address is loopback on Linux), so tests can
/// play several clients.
async fn connect_from(source: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind a loopback source address");
    socket.connect(server).await.expect("connect")
}

/// Reads until the server closes the connection or `limit` passes; returns what arrived and
/// whether the connection was closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into(), false),
        }
    }
}

fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or("")
}

async fn get_healthz(server: &Server, source: [u8; 4]) -> String {
    let mut stream = connect_from(source, server.addr()).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .0
}

#[tokio::test]
async fn a_request_head_that_trickles_in_is_cut_off() {
    let (_db, server) = server(&[]).await;
    let mut slow = connect_from([127, 0, 0, 1], server.addr()).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    // One header line every 200 ms: each write is "progress", but the head never completes.
    let trickle = async {
        for i in 0..40 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow
                .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(4), trickle)
        .await
        .ok();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_millis(500)).await;
    assert!(
        closed,
        "the connection is still open after {:?}",
        started.elapsed()
    );
    // Meanwhile and afterwards, everyone else is served.
    assert!(status_line(&get_healthz(&server, [127, 0, 0, 2]).await).contains("200"));
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_closed() {
    // axum::serve waits for the first bytes without any timeout; this is the case it misses.
    let (_db, server) = server(&[]).await;
    let mut silent = connect_from([127, 0, 0, 1], server.addr()).await;
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(4)).await;
    assert!(closed, "a silent connection stayed open for 4 s");
    assert!(started.elapsed() >= Duration::from_millis(800));
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let (_db, server) = server(&[]).await;
    let mut stream = connect_from([127, 0, 0, 1], server.addr()).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).await.expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(4)).await;
    assert!(closed, "an idle connection stayed open for 4 s");
    assert!(started.elapsed() >= Duration::from_millis(800));
}

#[tokio::test]
async fn a_body_that_trickles_in_gets_408_within_the_body_timeout() {
    let (_db, server) = server(&[]).await;
    let body = br#"{"email":"slow@example.com","password":"correct horse battery staple"}"#;
    let mut stream = connect_from([127, 0, 0, 1], server.addr()).await;
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    // A byte every 100 ms would take 7 s; a per-chunk timeout of 1 s would never fire.
    let trickle = async {
        for byte in body.iter() {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_millis(2_500), trickle)
        .await
        .ok();
    let (response, _) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(
        status_line(&response).contains("408"),
        "after {:?}: {response}",
        started.elapsed()
    );
    assert!(response.contains("request_timeout"), "{response}");
}

#[tokio::test]
async fn one_client_cannot_take_every_connection() {
    let (_db, server) = server(&[("LATCHKEY_MAX_CONNECTIONS_PER_CLIENT", "4")]).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from([127, 0, 0, 1], server.addr()).await);
    }
    // Let the server accept and count them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = connect_from([127, 0, 0, 1], server.addr()).await;
    let _ = fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let (response, closed) = read_until_closed(&mut fifth, Duration::from_secs(1)).await;
    assert!(closed && response.is_empty(), "fifth: {response:?}");
    // Another client is served while the first holds its share.
    assert!(status_line(&get_healthz(&server, [127, 0, 0, 2]).await).contains("200"));
    drop(held);
}

#[tokio::test]
async fn past_the_connection_limit_clients_wait_and_are_served_once_slots_free_up() {
    let (_db, server) = server(&[("LATCHKEY_MAX_CONNECTIONS", "16")]).await;
    let mut idle = Vec::new();
    for i in 0..16u8 {
        idle.push(connect_from([127, 0, 1, i + 1], server.addr()).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = tokio::spawn({
        let addr = server.addr();
        async move {
            let started = Instant::now();
            let mut stream = connect_from([127, 0, 2, 1], addr).await;
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .await
                .expect("write");
            let (response, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
            (response, started.elapsed())
        }
    });
    let (response, waited) = waiting.await.expect("client task");
    assert!(
        status_line(&response).contains("200"),
        "after {waited:?}: {response:?}\n{}",
        server.log_text()
    );
    // Served only after the idle connections hit the 1 s header timeout and freed their slots.
    assert!(
        waited >= Duration::from_millis(700),
        "served after {waited:?}"
    );
    drop(idle);
}

#[tokio::test]
async fn oversized_request_heads_get_431_and_garbage_gets_400() {
    let (_db, server) = server(&[]).await;
    let addr = server.addr();
    let send = |request: Vec<u8>| async move {
        let mut stream = connect_from([127, 0, 0, 1], addr).await;
        let _ = stream.write_all(&request).await;
        read_until_closed(&mut stream, Duration::from_secs(3))
            .await
            .0
    };
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    assert!(status_line(&send(huge_header.into_bytes()).await).contains("431"));
    let huge_cookie = format!(
        "POST /api/auth/refresh HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {}\r\n\r\n",
        (0..2_000)
            .map(|i| format!("c{i}={}", "v".repeat(20)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    assert!(status_line(&send(huge_cookie.into_bytes()).await).contains("431"));
    let many_headers = format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n",
        (0..200)
            .map(|i| format!("X-H{i}: 1\r\n"))
            .collect::<String>()
    );
    assert!(status_line(&send(many_headers.into_bytes()).await).contains("431"));
    let garbage = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n".to_vec();
    assert!(status_line(&send(garbage).await).contains("400"));
    // A header value that is not UTF-8 is data, not a crash: the page still renders.
    let latin1 = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla \xff\xfe\r\nConnection: close\r\n\r\n";
    let response = send(latin1.to_vec()).await;
    assert!(
        status_line(&response).contains("200"),
        "{}",
        status_line(&response)
    );
    // And the server is still fine.
    assert!(status_line(&get_healthz(&server, [127, 0, 0, 1]).await).contains("200"));
}
