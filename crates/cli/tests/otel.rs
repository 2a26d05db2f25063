//! A real `edgecost serve` fed by the official OpenTelemetry Python SDK (its OTLP/HTTP
//! exporter, and its OTLP encoder for OTLP/JSON) and the official CloudEvents Python SDK, on
//! SQLite and PostgreSQL: the bill counts exactly what the SDKs recorded, retries included.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{Served, command, get, serve};

/// The Python of the test tools' virtual environment (`scripts/setup-debian.sh`).
fn python() -> std::path::PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".local/share"));
    let path = data.join("edgecost-dev/venv/bin/python");
    assert!(path.exists(), "the test tools' Python is not at {}; run `make setup`", path.display());
    path
}

fn admin(home: &std::path::Path, url: &str, args: &[&str]) -> Value {
    let output = command(home).arg("admin").args(args).args(["--json", "--database", url]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Runs the sender script; answers what it recorded.
fn send(served: &Served, node_token: &str, account: &str, mode: &str, extra: &[&str]) -> Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send.py");
    let output = Command::new(python())
        .arg(script)
        .arg(mode)
        .args(["--endpoint", &format!("http://{}", served.addr), "--token", node_token, "--account", account, "--region", "eu"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "send.py {mode} {extra:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn bill(served: &Served, token: &str) -> Value {
    let (status, body) = get(&served.addr, "/v1/account/bill", Some(token));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// POSTs JSON with a bearer token; answers status and body.
fn post_json(addr: &str, path: &str, token: &str, body: &Value) -> (u16, String) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

/// Sends the SDKs' usage for a fresh account per case, and checks each bill against what the
/// SDK recorded, and against the bill of a twin account sent the same totals natively.
fn sdks_are_billed_exactly(url: &str) {
    let home = tempfile::tempdir().unwrap();
    let node = admin(home.path(), url, &["create-node", "--name", "fra-1"]);
    let node_token = node["token"].as_str().unwrap();
    let served = serve(home.path(), &["--database", url]);
    let cases: [(&str, &[&str]); 5] = [
        ("metrics", &["--encoding", "protobuf", "--temporality", "delta", "--retry"]),
        ("metrics", &["--encoding", "protobuf", "--temporality", "cumulative", "--retry"]),
        ("metrics", &["--encoding", "json", "--temporality", "delta", "--retry"]),
        ("metrics", &["--encoding", "json", "--temporality", "cumulative", "--retry"]),
        ("events", &[]),
    ];
    for (i, (mode, extra)) in cases.into_iter().enumerate() {
        let account = admin(home.path(), url, &["create-account", "--name", &format!("Case {i}"), "--tier", "production"]);
        let (account_id, token) = (account["account_id"].as_str().unwrap(), account["token"].as_str().unwrap());
        let sent = send(&served, node_token, account_id, mode, extra);
        let got = bill(&served, token);
        for meter in ["requests", "compute_ms", "egress_bytes"] {
            assert_eq!(got["totals"][meter], sent[meter], "{mode} {extra:?}: {meter}\nsent {sent}\nbill {got}");
        }
        if extra.contains(&"--retry") && extra.contains(&"protobuf") {
            // The exporter did resend what the server had stored (the proxy lost the answer).
            let lost = sent["answers"].as_array().unwrap().iter().filter(|a| a["lost"] == true).count();
            assert_eq!(lost, 3, "one answer lost per round: {}", sent["answers"]);
        }
        if mode == "events" {
            let answers = sent["answers"].as_array().unwrap();
            let counted: Vec<u64> = answers.iter().map(|a| a["body"]["accepted"].as_u64().unwrap()).collect();
            let duplicates: Vec<u64> = answers.iter().map(|a| a["body"]["duplicates"].as_u64().unwrap()).collect();
            assert_eq!((counted, duplicates), (vec![2, 1, 0, 0], vec![0, 0, 1, 2]), "{}", sent["answers"]);
        }

        // The twin: the same totals as one native record, in the same hour.
        let twin = admin(home.path(), url, &["create-account", "--name", &format!("Twin {i}"), "--tier", "production"]);
        let window_start = got["as_of"].as_str().unwrap().get(..13).unwrap().to_owned() + ":00:00Z";
        let batch = serde_json::json!({
            "batch_id": format!("twin-{i}"), "node_id": node["node_id"], "records": [{
                "account_id": twin["account_id"], "route": "/api/orders", "region": "eu",
                "window_start": window_start, "window_seconds": 60,
                "requests": sent["requests"], "compute_ms": sent["compute_ms"], "egress_bytes": sent["egress_bytes"],
            }]
        });
        let (status, body) = post_json(&served.addr, "/v1/telemetry", node_token, &batch);
        assert_eq!(status, 200, "{body}");
        let twin_bill = bill(&served, twin["token"].as_str().unwrap());
        assert_eq!(twin_bill["totals"], got["totals"], "{mode} {extra:?}");
        assert_eq!(twin_bill["cost"], got["cost"], "{mode} {extra:?}");
        assert_eq!(twin_bill["bill"]["total"], got["bill"]["total"], "{mode} {extra:?}");
    }
}

#[test]
fn opentelemetry_and_cloudevents_sdks_are_billed_exactly_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sdks_are_billed_exactly(&format!("sqlite://{}", dir.path().join("otel.db").display()));
}

#[test]
fn opentelemetry_and_cloudevents_sdks_are_billed_exactly_on_postgres() {
    let pg = edgecost_engine::testing::PgServer::shared();
    let url = tokio::runtime::Runtime::new().unwrap().block_on(pg.create_database());
    sdks_are_billed_exactly(&url);
}
