//! libpq-style multi-host connection URLs, and following the read-write server among them.
//!
//! `postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write` names every server of
//! a PostgreSQL high-availability group (pg_auto_failover's `pg_autoctl show uri` prints one).
//! sqlx reads one host per URL and ignores `target_session_attrs`, so the engine reads the host
//! list itself: it finds the server that accepts writes (`SHOW transaction_read_only` answers
//! `off`), points the pool at it, and keeps watching. When that server stops answering or turns
//! read-only (it crashed, or was demoted), the watcher probes the hosts again and points the
//! pool at the new primary ([`sqlx::Pool::set_connect_options`]); connections opened before
//! the switch are dropped instead of reused. Replicas follow a failover without a restart, and
//! requests in between fail with [`crate::EngineError::Unavailable`], which clients retry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::Notify;

use crate::error::{EngineError, Result};

/// How often the watcher asks the current server whether it still accepts writes.
const CHECK_INTERVAL: Duration = Duration::from_millis(500);
/// Pause between rounds of probing every host while none accepts writes.
const PROBE_PAUSE: Duration = Duration::from_millis(200);
/// How long one host may take to connect and answer a probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening the store waits for a read-write server.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a request waits for a connection. sqlx retries a refused connection with a
/// backoff of up to a fifth of this, so it also bounds how late a waiting request notices
/// the new primary.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// What `target_session_attrs` asks of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionAttrs {
    /// `any` (libpq's default): the first host that answers.
    Any,
    /// `read-write` or `primary`: the first host that accepts writes.
    ReadWrite,
}

/// A connection URL split into its hosts, each with the URL's other settings.
#[derive(Debug)]
pub(crate) struct HostList {
    /// `host:port` of each, for messages.
    pub names: Vec<String>,
    pub options: Vec<PgConnectOptions>,
    pub attrs: SessionAttrs,
}

fn bad(url: &str, reason: &str) -> EngineError {
    EngineError::InvalidDatabaseUrl { url: redact(url), reason: reason.to_owned() }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => {
            let (userinfo, tail) = rest.split_at(at);
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Splits `url` when it names several hosts or sets `target_session_attrs`; `None` for a plain
/// single-host URL, which sqlx reads as it always has.
pub(crate) fn parse(url: &str) -> Result<Option<HostList>> {
    let Some((scheme, rest)) = url.split_once("://") else { return Ok(None) };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(at) => (&authority[..=at], &authority[at + 1..]),
        None => ("", authority),
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut attrs = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", value)) => {
                attrs = Some(match value {
                    "any" => SessionAttrs::Any,
                    "read-write" | "primary" => SessionAttrs::ReadWrite,
                    other => {
                        return Err(bad(
                            url,
                            &format!("target_session_attrs={other} is not supported: the engine writes, so use read-write (or any)"),
                        ));
                    }
                })
            }
            _ => kept.push(pair),
        }
    }
    if !hosts.contains(',') && attrs.is_none() {
        return Ok(None);
    }
    let mut names = Vec::new();
    let mut options = Vec::new();
    for host in hosts.split(',') {
        let (name, port) = split_host_port(host).map_err(|reason| bad(url, &reason))?;
        let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
        let single = format!("{scheme}://{userinfo}{name}:{port}{path}{query}");
        let parsed: PgConnectOptions = single.parse().map_err(|e| bad(url, &format!("host {name}:{port}: {e}")))?;
        names.push(format!("{name}:{port}"));
        options.push(parsed);
    }
    Ok(Some(HostList { names, options, attrs: attrs.unwrap_or(SessionAttrs::Any) }))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to 5432.
fn split_host_port(host: &str) -> std::result::Result<(&str, u16), String> {
    let (name, port) = if let Some(v6) = host.strip_prefix('[') {
        let close = v6.find(']').ok_or_else(|| format!("host '{host}' opens '[' without closing it"))?;
        let after = &v6[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("host '{host}': expected ':PORT' after ']'")),
        };
        (&host[..close + 2], port)
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    if name.is_empty() || name == "[]" {
        return Err("an empty host in the host list".to_owned());
    }
    let port = match port {
        None => 5432,
        Some(p) => p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| format!("host '{host}': '{p}' is not a port"))?,
    };
    Ok((name, port))
}

/// Whether the server on `conn` accepts writes.
async fn accepts_writes(conn: &mut PgConnection) -> std::result::Result<bool, sqlx::Error> {
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(conn).await?;
    Ok(read_only == "off")
}

/// What the pool and the watcher share.
struct Shared {
    hosts: HostList,
    /// Wakes the watcher early: a new connection found its server read-only.
    wake: Notify,
    /// When the pool was last pointed at a server, in ms since `epoch`.
    switched_ms: AtomicU64,
    epoch: Instant,
}

impl Shared {
    fn since_switch(&self) -> Duration {
        let switched = Duration::from_millis(self.switched_ms.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(switched)
    }
}

/// Connects to host `i` and answers the connection if it is what the URL asks for.
async fn probe(shared: &Shared, i: usize) -> std::result::Result<PgConnection, String> {
    let attempt = async {
        let mut conn = PgConnection::connect_with(&shared.hosts.options[i]).await.map_err(|e| e.to_string())?;
        if shared.hosts.attrs == SessionAttrs::ReadWrite && !accepts_writes(&mut conn).await.map_err(|e| e.to_string())? {
            let _ = conn.close().await;
            return Err("read-only".to_owned());
        }
        Ok(conn)
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt).await.unwrap_or_else(|_| Err("timed out".to_owned()))
}

/// One round over every host in order: the first that fits, or what each answered.
async fn probe_all(shared: &Shared) -> std::result::Result<(usize, PgConnection), String> {
    let mut failures = Vec::new();
    for i in 0..shared.hosts.options.len() {
        match probe(shared, i).await {
            Ok(conn) => return Ok((i, conn)),
            Err(e) => failures.push(format!("{}: {e}", shared.hosts.names[i])),
        }
    }
    Err(failures.join("; "))
}

/// Opens a pool on the first host that fits `hosts`' `target_session_attrs`, waiting up to
/// a minute for one, and starts the watcher that follows a failover.
pub(crate) async fn connect(hosts: HostList, max_connections: u32) -> Result<PgPool> {
    let shared = Arc::new(Shared { hosts, wake: Notify::new(), switched_ms: AtomicU64::new(0), epoch: Instant::now() });
    let deadline = Instant::now() + OPEN_TIMEOUT;
    let (current, conn) = loop {
        match probe_all(&shared).await {
            Ok(found) => break found,
            Err(failures) if Instant::now() >= deadline => {
                let wanted = if shared.hosts.attrs == SessionAttrs::ReadWrite { "accepts writes" } else { "answers" };
                return Err(EngineError::NoDatabaseHost { wanted, failures });
            }
            Err(_) => tokio::time::sleep(PROBE_PAUSE).await,
        }
    };
    let on_connect = shared.clone();
    let on_acquire = shared.clone();
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| {
            let shared = on_connect.clone();
            Box::pin(async move {
                if shared.hosts.attrs == SessionAttrs::ReadWrite && !accepts_writes(conn).await? {
                    // The pool retries the connection; the watcher finds the new primary.
                    shared.wake.notify_one();
                    return Err(sqlx::Error::Protocol("the server is read-only (a standby, or a demoted primary)".into()));
                }
                Ok(())
            })
        })
        .before_acquire(move |_, meta| {
            // A connection older than the last switch may lead to the old primary.
            let fresh = meta.age < on_acquire.since_switch();
            Box::pin(async move { Ok(fresh) })
        })
        .connect_lazy_with(shared.hosts.options[current].clone());
    tracing::info!(host = %shared.hosts.names[current], "PostgreSQL: connected to the server that accepts writes");
    tokio::spawn(watch(pool.clone(), shared, current, conn));
    Ok(pool)
}

/// Keeps the pool on a server that fits, until the pool closes.
async fn watch(pool: PgPool, shared: Arc<Shared>, mut current: usize, conn: PgConnection) {
    let mut conn = Some(conn);
    loop {
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(CHECK_INTERVAL) => {}
        }
        if pool.is_closed() {
            break;
        }
        if let Some(c) = conn.as_mut() {
            let check = async {
                if shared.hosts.attrs == SessionAttrs::ReadWrite { accepts_writes(c).await } else { c.ping().await.map(|()| true) }
            };
            if matches!(tokio::time::timeout(PROBE_TIMEOUT, check).await, Ok(Ok(true))) {
                continue;
            }
        }
        if let Some(c) = conn.take() {
            let _ = tokio::time::timeout(PROBE_TIMEOUT, c.close()).await;
        }
        tracing::warn!(host = %shared.hosts.names[current], "PostgreSQL: the server stopped accepting writes; probing the hosts");
        let lost = Instant::now();
        loop {
            if pool.is_closed() {
                return;
            }
            match probe_all(&shared).await {
                Ok((i, c)) => {
                    // Back on the same server (its watching connection broke, or it came back
                    // read-write), the pool's connections to it are as good as before.
                    let host = &shared.hosts.names[i];
                    let after_ms = lost.elapsed().as_millis() as u64;
                    if i == current {
                        tracing::warn!(%host, after_ms, "PostgreSQL: the same server accepts writes again");
                    } else {
                        shared.switched_ms.store(shared.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
                        pool.set_connect_options(shared.hosts.options[i].clone());
                        tracing::warn!(%host, after_ms, "PostgreSQL: switched to the server that accepts writes");
                    }
                    current = i;
                    conn = Some(c);
                    break;
                }
                Err(failures) => {
                    tracing::debug!(%failures, "PostgreSQL: no host accepts writes yet");
                    tokio::time::sleep(PROBE_PAUSE).await;
                }
            }
        }
    }
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(url: &str) -> HostList {
        parse(url).unwrap().unwrap_or_else(|| panic!("{url} is not a host list"))
    }

    #[test]
    fn single_host_urls_are_left_to_sqlx() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/edgecost",
            "postgresql://u:p@db.example.com/edgecost?sslmode=require",
            "postgres://localhost",
            "postgres:///edgecost?host=/var/run/postgresql",
        ] {
            assert!(parse(url).unwrap().is_none(), "{url}");
        }
    }

    #[test]
    fn host_lists_keep_every_other_setting_per_host() {
        let h = hosts(
            "postgres://app:s%40cret@10.0.0.1:6001,10.0.0.2,[::1]:6003/billing?sslmode=disable&target_session_attrs=read-write&application_name=edgecost",
        );
        assert_eq!(h.names, ["10.0.0.1:6001", "10.0.0.2:5432", "[::1]:6003"]);
        assert_eq!(h.attrs, SessionAttrs::ReadWrite);
        let ports: Vec<u16> = h.options.iter().map(|o| o.get_port()).collect();
        assert_eq!(ports, [6001, 5432, 6003]);
        assert_eq!(h.options[0].get_host(), "10.0.0.1");
        assert_eq!(h.options[2].get_host(), "[::1]");
        for o in &h.options {
            assert_eq!(o.get_username(), "app");
            assert_eq!(o.get_database(), Some("billing"));
            assert_eq!(o.get_application_name(), Some("edgecost"));
        }
    }

    #[test]
    fn target_session_attrs_alone_makes_a_list_of_one() {
        let h = hosts("postgres://postgres@127.0.0.1:5432/edgecost?target_session_attrs=read-write");
        assert_eq!((h.names.len(), h.attrs), (1, SessionAttrs::ReadWrite));
        let h = hosts("postgres://a,b/edgecost");
        assert_eq!((h.names, h.attrs), (vec!["a:5432".to_owned(), "b:5432".to_owned()], SessionAttrs::Any));
        assert_eq!(hosts("postgres://a,b/db?target_session_attrs=primary").attrs, SessionAttrs::ReadWrite);
    }

    #[test]
    fn bad_host_lists_say_what_is_wrong_without_the_password() {
        for (url, says) in [
            ("postgres://u:hunter2@a:1,b:x/db", "'x' is not a port"),
            ("postgres://u:hunter2@a:1,,b/db", "an empty host"),
            ("postgres://u:hunter2@a:1,b:70000/db", "'70000' is not a port"),
            ("postgres://u:hunter2@a,[::1/db", "opens '['"),
            ("postgres://u:hunter2@a,b/db?target_session_attrs=standby", "target_session_attrs=standby is not supported"),
        ] {
            let e = parse(url).unwrap_err();
            let message = e.to_string();
            assert!(message.contains(says), "{url}: {message}");
            assert!(!message.contains("hunter2"), "{message}");
            assert!(message.contains("u:***@"), "{message}");
            assert_eq!(e.code(), "invalid_database_url");
        }
    }
}
