//! What the tests of `edgecost serve` share: the real binary, run in a scratch home.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_edgecost");

/// A running `edgecost serve`, stopped with SIGTERM (or killed) on drop.
pub struct Served {
    pub child: Child,
    pub addr: String,
    /// Lines printed before `listening on` (the demo token).
    pub banner: Vec<String>,
}

impl Served {
    /// SIGKILL, as `kill -9` sends it: no handler runs, no transaction is finished.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9), "{status:?}");
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// The token `serve --demo` printed before `listening on`.
    pub fn demo_token(&self) -> String {
        self.banner
            .iter()
            .find_map(|l| l.strip_prefix("demo token: "))
            .unwrap_or_else(|| panic!("no demo token in {:?}", self.banner))
            .trim()
            .to_owned()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn command(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    // Keep the default data folder inside the test's scratch folder.
    cmd.env("HOME", home).env("XDG_DATA_HOME", home.join("data")).env_remove("EDGECOST_DATABASE_URL");
    cmd
}

pub fn serve(home: &std::path::Path, extra: &[&str]) -> Served {
    serve_logging(home, extra, "warn")
}

/// `serve` with `rust_log` as its `RUST_LOG`.
pub fn serve_logging(home: &std::path::Path, extra: &[&str], rust_log: &str) -> Served {
    let child = command(home)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("edgecost starts");
    // Owned by `Served` from here on, so a failed assertion still stops the process.
    let mut served = Served { child, addr: String::new(), banner: Vec::new() };
    let mut lines = BufReader::new(served.child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "no `listening on` line; saw {:?}", served.banner);
        let line = lines.next().expect("serve printed `listening on` before exiting").unwrap();
        if let Some(url) = line.strip_prefix("listening on http://") {
            served.addr = url.trim().to_owned();
            // Keep reading, so the server never writes to a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return served;
        }
        served.banner.push(line);
    }
}

/// A minimal HTTP/1.1 GET; returns status code and body.
pub fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}
