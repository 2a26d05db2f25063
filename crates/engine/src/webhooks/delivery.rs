//! The delivery task: claims due events under a lease, POSTs them to receivers that may be
//! reached (never a private address unless allowed), logs each attempt and schedules retries.

use super::*;

/// The engine's delivery task; stopped when the last clone of the engine goes.
pub(crate) struct DeliveryTask {
    pub(crate) options: watch::Sender<WebhookOptions>,
    pub(crate) wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl DeliveryTask {
    /// Starts the task: a first pass after one poll interval (or as soon as it is woken or
    /// its options change), then one whenever it is woken, an event falls due, a delivery
    /// ends, or every poll interval. The first pass waits so that a short-lived engine (an
    /// `edgecost admin` command) exits before it claims events it would never deliver.
    pub(crate) fn start(store: Arc<dyn Store>) -> DeliveryTask {
        let (options, mut watched) = watch::channel(WebhookOptions::default());
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        let task = tokio::spawn(async move {
            let first_wait = watched.borrow().poll_interval;
            tokio::select! {
                () = woken.notified() => {}
                () = tokio::time::sleep(first_wait) => {}
                changed = watched.changed() => if changed.is_err() { return },
            }
            let mut client: Option<(reqwest::Client, bool)> = None;
            let mut slots = Arc::new(Semaphore::new(watched.borrow().concurrency.max(1)));
            let mut concurrency = watched.borrow().concurrency.max(1);
            let mut last_prune: Option<Instant> = None;
            loop {
                let options = watched.borrow_and_update().clone();
                if options.concurrency.max(1) != concurrency {
                    // Deliveries in flight keep their permits of the old semaphore.
                    concurrency = options.concurrency.max(1);
                    slots = Arc::new(Semaphore::new(concurrency));
                }
                let mut wait = options.poll_interval.max(POLL_INTERVAL_MIN);
                if options.enabled && last_prune.is_none_or(|at| at.elapsed() >= PRUNE_INTERVAL) {
                    last_prune = Some(Instant::now());
                    prune(&store, &options).await;
                }
                if options.enabled {
                    match pass(&store, &options, &slots, &mut client, &woken).await {
                        Ok(Some(due_in)) => wait = wait.min(due_in),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "claiming webhook events failed; retrying at the next pass"),
                    }
                }
                tokio::select! {
                    () = woken.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                    changed = watched.changed() => if changed.is_err() { return },
                }
            }
        });
        DeliveryTask { options, wake, task }
    }

    pub(crate) fn abort(&self) {
        self.task.abort();
    }
}

impl Drop for DeliveryTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Claims what is due and free slots allow, and starts a delivery of each; answers how soon
/// the next event falls due, if one is queued.
async fn pass(
    store: &Arc<dyn Store>,
    options: &WebhookOptions,
    slots: &Arc<Semaphore>,
    client: &mut Option<(reqwest::Client, bool)>,
    wake: &Arc<Notify>,
) -> Result<Option<Duration>> {
    loop {
        let now = now_ms();
        let Some(due) = store.next_event_due().await? else { return Ok(None) };
        if due > now {
            return Ok(Some(Duration::from_millis(u64::try_from(due - now).unwrap_or(0))));
        }
        let free = slots.available_permits().min(CLAIM_MAX);
        if free == 0 {
            // A delivery that ends wakes the task.
            return Ok(None);
        }
        let lease = token::random_id("lse_", 8);
        let lease_ms = i64::try_from(options.lease().as_millis()).unwrap_or(i64::MAX);
        let claimed = store.claim_events(now, now.saturating_add(lease_ms), &lease, free as i64).await?;
        if claimed.is_empty() {
            // Due, but another replica holds them: look again at the next poll.
            return Ok(None);
        }
        let client = match client {
            Some((c, private_targets)) if *private_targets == options.private_targets => c.clone(),
            _ => client.insert((http_client(options.private_targets)?, options.private_targets)).0.clone(),
        };
        for event in claimed {
            let permit = slots.clone().try_acquire_owned().expect("claimed no more events than free slots");
            let (store, client, options, wake) = (store.clone(), client.clone(), options.clone(), wake.clone());
            tokio::spawn(async move {
                deliver(&store, &client, &options, event).await;
                drop(permit);
                wake.notify_one();
            });
        }
    }
}

/// Deletes the events (and their attempts) older than the retention that are no longer
/// pending, a bounded number per transaction.
async fn prune(store: &Arc<dyn Store>, options: &WebhookOptions) {
    let retention = i64::try_from(options.log_retention.as_secs()).unwrap_or(i64::MAX);
    let before = (now_ms() / 1_000).saturating_sub(retention);
    loop {
        match store.prune_webhook_events(before, PRUNE_EVENTS_MAX).await {
            Ok(n) if n < PRUNE_EVENTS_MAX as u64 => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "pruning the webhook log failed; retrying at the next prune");
                return;
            }
        }
    }
}

/// Whether a webhook may be delivered to `ip`: a public address, loopback (a receiver on the
/// engine's own host), or, with `private_targets`, any unicast address.
pub fn target_allowed(ip: std::net::IpAddr, private_targets: bool) -> bool {
    use std::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return true;
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return false;
    }
    if private_targets {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // "This network", 0.0.0.0/8, and the reserved 240.0.0.0/4.
                || a == 0
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
            !((first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

/// Why a webhook cannot be delivered to `url`'s host, when it is an address that is not
/// allowed (a name is checked as it resolves, by [`TargetResolver`]).
pub(super) fn literal_refusal(url: &str, private_targets: bool) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    // The parser writes IPv6 hosts in brackets; a name does not parse as an address.
    let ip: std::net::IpAddr = parsed.host_str()?.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    (!target_allowed(ip, private_targets)).then(|| format!("not delivered: {ip} is a private address, and receivers must be public"))
}

/// Resolves receivers' host names keeping only the addresses webhooks may go to, so a name
/// that points into a private network is never connected to.
pub(super) struct TargetResolver {
    pub(super) private_targets: bool,
}

impl reqwest::dns::Resolve for TargetResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let private_targets = self.private_targets;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<std::net::SocketAddr> = found.iter().copied().filter(|a| target_allowed(a.ip(), private_targets)).collect();
            if kept.is_empty() && !found.is_empty() {
                let message = format!("not delivered: {host} resolves only to private addresses, and receivers must be public");
                return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, message).into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn http_client(private_targets: bool) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        // A redirect is an answer like any other non-2xx: the receiver's URL is the one registered.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(TargetResolver { private_targets }))
        .user_agent(concat!("edgecost-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| EngineError::CorruptRow { reason: format!("the webhook HTTP client could not be built: {e}") })
}

/// One attempt: POSTs the event, logs the attempt, and moves the event on.
async fn deliver(store: &Arc<dyn Store>, client: &reqwest::Client, options: &WebhookOptions, event: ClaimedEvent) {
    let delivery_id = token::random_id("dlv_", 12);
    let attempted_ms = now_ms();
    let started = Instant::now();
    let refused = literal_refusal(&event.url, options.private_targets);
    let sent = match &refused {
        Some(_) => None,
        None => Some(
            client
                .post(&event.url)
                .timeout(options.timeout)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(DELIVERY_HEADER, &delivery_id)
                .header(EVENT_ID_HEADER, &event.id)
                .header(EVENT_TYPE_HEADER, &event.event_type)
                .header(SIGNATURE_HEADER, signature(&event.secret, attempted_ms.div_euclid(1000), event.body.as_bytes()))
                .body(event.body.clone())
                .send()
                .await,
        ),
    };
    let (status_code, error) = match sent {
        None => (None, refused),
        Some(Ok(mut response)) => {
            let status = response.status();
            // Some of the answer is read (within the timeout), so the connection can serve the
            // next delivery; its content is not kept.
            let mut drained = 0;
            while drained < DRAIN_BYTES_MAX {
                match response.chunk().await {
                    Ok(Some(chunk)) => drained += chunk.len(),
                    Ok(None) | Err(_) => break,
                }
            }
            (Some(status.as_u16()), (!status.is_success()).then(|| format!("the receiver answered {status}")))
        }
        Some(Err(e)) => (None, Some(describe(&e, options.timeout))),
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let succeeded = error.is_none();
    let attempts = u32::try_from(event.attempt).unwrap_or(u32::MAX);
    let next = if succeeded {
        EventNext::Delivered
    } else if attempts >= options.attempts_max {
        EventNext::Failed
    } else {
        // Up to a tenth more, at random: events that failed together (a receiver that was
        // down) are not all retried in the same instant.
        let delay = options.retry_delay(attempts);
        let jitter = delay.mul_f64(f64::from(token::random_u32() % 1_000) / 10_000.0);
        let delay = i64::try_from((delay + jitter).as_millis()).unwrap_or(i64::MAX);
        EventNext::Retry(now_ms().saturating_add(delay))
    };
    let record = DeliveryRecord {
        id: delivery_id,
        event_id: event.id.clone(),
        account_id: event.account_id.clone(),
        attempt: event.attempt,
        url: event.url.clone(),
        attempted_ms,
        status_code: status_code.map(i64::from),
        error,
        duration_ms,
        succeeded,
        lease: event.lease.clone(),
        next,
    };
    if let Err(e) = store.record_delivery(&record).await {
        // The event stays claimed until its lease ends, then is tried again: at least once.
        tracing::warn!(error = %e, event = %event.id, "recording a webhook delivery failed");
    }
}

/// A short account of why a POST got no answer, for the delivery log.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let mut text = if e.is_connect() { "could not connect".to_owned() } else { "the request failed".to_owned() };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    for _ in 0..6 {
        let Some(c) = cause else { break };
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.chars().take(500).collect()
}
