//! Stalled and oversized clients on a real socket: they are cut off in bounded time, they
//! cannot hold more than the connection bound, and everyone else is still answered.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::Fixture;
use edgecost_server::{AppState, ConnectionLimits, RunningServer, metrics_router, router};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Short limits so each test runs in seconds.
const LIMITS: ConnectionLimits =
    ConnectionLimits { header_read_timeout: Duration::from_millis(800), body_read_timeout: Duration::from_millis(800), connections_max: 4 };

/// The longest any single exchange in these tests may take.
const EXCHANGE_DEADLINE: Duration = Duration::from_secs(15);

async fn serve(f: &Fixture, limits: ConnectionLimits) -> RunningServer {
    let state = AppState::with_clock(f.engine.clone(), f.clock.clone());
    RunningServer::start_with(router(state), "127.0.0.1:0".parse().unwrap(), limits).await.unwrap()
}

/// Reads until the server closes the connection or `EXCHANGE_DEADLINE` passes (which fails the
/// test). Returns what was read and when the connection closed.
async fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Instant) {
    let mut received = Vec::new();
    let mut buf = [0_u8; 4096];
    let deadline = tokio::time::Instant::now() + EXCHANGE_DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open; read so far: {}", String::from_utf8_lossy(&received)),
            Ok(Ok(0)) | Ok(Err(_)) => return (received, Instant::now()),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Status and JSON body of a raw HTTP/1.1 answer.
fn parse(answer: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {text}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("the answer's body is not JSON: {text}"));
    (status, json)
}

/// One complete request with `Connection: close`; returns the answer.
async fn request(addr: SocketAddr, head_and_body: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head_and_body.as_bytes()).await.unwrap();
    read_until_closed(&mut stream).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_closed_after_the_header_timeout() {
    let f = Fixture::new().await;
    let server = serve(&f, LIMITS).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let sent = Instant::now();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: edgecost\r\nX-Slow: ").await.unwrap();
    let (_, closed) = read_until_closed(&mut stream).await;
    let held = closed - sent;
    assert!(held >= LIMITS.header_read_timeout - Duration::from_millis(100), "closed early, after {held:?}");
    assert!(held < LIMITS.header_read_timeout * 5, "held for {held:?}");

    // A connection that sends nothing at all, and one left idle after an answer, are closed too.
    let mut silent = TcpStream::connect(server.addr()).await.unwrap();
    read_until_closed(&mut silent).await;
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: edgecost\r\n\r\n").await.unwrap();
    let (answer, _) = read_until_closed(&mut idle).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_answers_408_in_the_error_shape_and_closes() {
    let f = Fixture::new().await;
    let server = serve(&f, LIMITS).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST /v1/telemetry HTTP/1.1\r\nHost: edgecost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"batch_id\": ",
        f.node.token
    );
    let sent = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    // Trickle a byte now and then: the deadline is for the whole body, not between bytes.
    for _ in 0..3 {
        tokio::time::sleep(LIMITS.body_read_timeout / 4).await;
        if stream.write_all(b" ").await.is_err() {
            break;
        }
    }
    let (answer, closed) = read_until_closed(&mut stream).await;
    let (status, body) = parse(&answer);
    assert_eq!((status, body["code"].as_str()), (408, Some("body_read_timeout")), "{body}");
    assert!(body["message"].is_string());
    assert!(closed - sent < LIMITS.body_read_timeout * 5, "held for {:?}", closed - sent);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn stalled_clients_beyond_the_bound_cannot_lock_others_out() {
    // The current-thread runtime runs the accept loop on this thread, under this subscriber.
    let (captured, _guard) = common::CapturedLog::install(tracing::Level::WARN);

    let f = Fixture::new().await;
    let server = serve(&f, LIMITS).await;
    // Twice the bound of clients that send half a request head and stall.
    let stalled_count = LIMITS.connections_max * 2;
    let mut stalled = Vec::with_capacity(stalled_count);
    for _ in 0..stalled_count {
        let mut s = TcpStream::connect(server.addr()).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: edgecost\r\n").await.unwrap();
        stalled.push(s);
    }
    // Let the server take what it may.
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A well-behaved client is still answered, once stalled clients time out.
    let started = Instant::now();
    let answer = tokio::time::timeout(
        EXCHANGE_DEADLINE,
        request(server.addr(), "GET /healthz HTTP/1.1\r\nHost: edgecost\r\nConnection: close\r\n\r\n"),
    )
    .await
    .expect("the well-behaved client was answered");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    assert!(answer.ends_with(b"ok"), "{}", String::from_utf8_lossy(&answer));
    assert!(started.elapsed() < EXCHANGE_DEADLINE);
    // Every stalled client was cut off.
    for s in &mut stalled {
        read_until_closed(s).await;
    }

    let log = captured.text();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("connection bound reached")).collect();
    assert_eq!(warnings.len(), 1, "one line per minute at most: {log}");
    assert!(warnings[0].contains("WARN") && warnings[0].contains(&LIMITS.connections_max.to_string()), "{log}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_answer_in_the_error_shape_on_the_socket() {
    let f = Fixture::new().await;
    let server = serve(&f, LIMITS).await;
    let pad = "v".repeat(edgecost_server::HEAD_BYTES_MAX + 1024);
    let answer =
        request(server.addr(), &format!("GET /healthz HTTP/1.1\r\nHost: edgecost\r\nX-Pad: {pad}\r\nConnection: close\r\n\r\n")).await;
    let (status, body) = parse(&answer);
    assert_eq!((status, body["code"].as_str()), (431, Some("headers_too_large")), "{body}");

    let long = "x".repeat(edgecost_server::URI_BYTES_MAX + 1);
    let answer = request(server.addr(), &format!("GET /healthz?pad={long} HTTP/1.1\r\nHost: edgecost\r\nConnection: close\r\n\r\n")).await;
    let (status, body) = parse(&answer);
    assert_eq!((status, body["code"].as_str()), (414, Some("uri_too_long")), "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_address_only() {
    let f = Fixture::new().await;
    let state = AppState::with_clock(f.engine.clone(), f.clock.clone());
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let api = RunningServer::start(router(state.clone()), any_port).await.unwrap();
    let metrics = RunningServer::start(metrics_router(state), any_port).await.unwrap();
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: edgecost\r\nConnection: close\r\n\r\n");

    let (status, body) = parse(&request(api.addr(), &get("/metrics")).await);
    assert_eq!((status, body["code"].as_str()), (404, Some("unknown_route")));
    let answer = request(api.addr(), &get("/healthz")).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"));

    let answer = String::from_utf8(request(metrics.addr(), &get("/metrics")).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_lowercase().contains("content-type: application/openmetrics-text"), "{answer}");
    assert!(answer.contains("edgecost_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{answer}");
    let (status, _) = parse(&request(metrics.addr(), &get("/v1/price-book")).await);
    assert_eq!(status, 404);
    api.shutdown().await.unwrap();
    metrics.shutdown().await.unwrap();
}

/// What hyper answers itself, before the router runs, has the API's error shape too, and the
/// connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_refuses_before_routing_answer_in_the_error_shape() {
    let f = Fixture::new().await;
    let server = serve(&f, LIMITS).await;
    // (A head over the 64 KiB buffer gets the same treatment as a 431; it is left out because
    // the server closes with the rest of the head unread, and the reset can race the answer.)
    let cases = [
        ("a header line without a colon", "GET /healthz HTTP/1.1\r\nHost: edgecost\r\nNoColon\r\n\r\n".to_owned()),
        (
            "conflicting Content-Length headers",
            "POST /v1/telemetry HTTP/1.1\r\nHost: edgecost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}".to_owned(),
        ),
        ("a bad HTTP version", "GET /healthz HTTP/9.9\r\nHost: edgecost\r\n\r\n".to_owned()),
    ];
    for (what, raw) in cases {
        let answer = request(server.addr(), &raw).await;
        let (status, body) = parse(&answer);
        assert_eq!((status, body["code"].as_str()), (400, Some("malformed_request")), "{what}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains("HTTP/1.1")), "{what}: {body}");
    }
    // A request after them on a new connection is answered as usual.
    let (status, _) = parse(&request(server.addr(), "GET /v1/account HTTP/1.1\r\nHost: edgecost\r\nConnection: close\r\n\r\n").await);
    assert_eq!(status, 401);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_nobody_reads_does_not_hold_the_connection() {
    let f = Fixture::new().await;
    let server = serve(&f, LIMITS).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    // `/healthz` never reads a body; the client promises one and never sends it.
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: edgecost\r\nContent-Length: 1000\r\n\r\n").await.unwrap();
    let (answer, _) = read_until_closed(&mut stream).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    server.shutdown().await.unwrap();
}
