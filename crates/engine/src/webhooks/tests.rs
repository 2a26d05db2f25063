use super::delivery::*;
use super::*;

#[test]
fn receivers_must_be_public_or_loopback_unless_private_targets_are_allowed() {
    let allowed = |ip: &str, private: bool| target_allowed(ip.parse().unwrap(), private);
    for public in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "100.128.0.1", "172.32.0.1"] {
        assert!(allowed(public, false), "{public}");
    }
    for local in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
        assert!(allowed(local, false), "{local}");
    }
    for private in [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.1.2.3",
        "255.255.255.255",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "2001:db8::1",
    ] {
        assert!(!allowed(private, false), "{private}");
    }
    assert!(allowed("10.1.2.3", true) && allowed("fd00::1", true));
    for never in ["0.0.0.0", "::", "224.0.0.1", "ff02::1"] {
        assert!(!allowed(never, true), "{never}");
    }
    let refusal = literal_refusal("https://169.254.169.254/latest/meta-data", false).unwrap();
    assert!(refusal.contains("169.254.169.254 is a private address"), "{refusal}");
    assert_eq!(literal_refusal("https://[fd00::1]:8443/hook", true), None);
    assert!(literal_refusal("https://[fd00::1]:8443/hook", false).is_some());
    assert_eq!(literal_refusal("https://hooks.example.com/x", false), None, "names are checked as they resolve");
    assert_eq!(literal_refusal("http://127.0.0.1:9000/x", false), None);
}

#[tokio::test]
async fn a_name_that_resolves_only_to_loopback_is_kept_and_one_with_no_allowed_address_refused() {
    use reqwest::dns::Resolve;
    let resolver = TargetResolver { private_targets: false };
    let kept: Vec<_> = resolver.resolve("localhost".parse().unwrap()).await.unwrap().collect();
    assert!(!kept.is_empty() && kept.iter().all(|a| a.ip().is_loopback()), "{kept:?}");
}

#[test]
fn urls_are_https_or_loopback_http() {
    for ok in [
        "https://hooks.example.com/edgecost",
        "https://hooks.example.com:8443/a?b=c",
        "http://127.0.0.1:8080/hook",
        "http://127.9.9.9/hook",
        "http://[::1]:9000/",
        "http://localhost/x",
        "http://LOCALHOST:1/x",
    ] {
        assert!(check_url(ok).is_ok(), "{ok}");
    }
    let code = |url: &str| check_url(url).unwrap_err().code();
    assert_eq!(code("http://hooks.example.com/x"), "webhook_url_not_https");
    assert_eq!(code("http://10.0.0.1/x"), "webhook_url_not_https");
    assert_eq!(code("http://localhost.example.com/x"), "webhook_url_not_https");
    for bad in [
        "",
        "not a url",
        "/relative",
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
        "https://example.com/x#frag",
        "https://example.com/a b",
        "file:///etc/passwd",
    ] {
        assert_eq!(code(bad), "invalid_webhook_url", "{bad}");
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_WEBHOOK_URL_CHARS));
    assert_eq!(code(&long), "invalid_webhook_url");
}

#[test]
fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
    mac.update(b"what do ya want for nothing?");
    assert_eq!(hex::encode(mac.finalize().into_bytes()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // The documented example (docs/webhooks.md).
    let body = br#"{"id":"evt_1","type":"notice.raised"}"#;
    let header = signature("whsec_test", 1_795_000_000, body);
    assert_eq!(header, format!("t=1795000000,v1={}", hex::encode(signature_bytes("whsec_test", 1_795_000_000, body))));
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
    mac.update(b"1795000000.{\"id\":\"evt_1\",\"type\":\"notice.raised\"}");
    assert_eq!(header, format!("t=1795000000,v1={}", hex::encode(mac.finalize().into_bytes())));

    // The worked example of docs/webhooks.md.
    let secret = "whsec_5f1c0a3e9b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a1e3f5b7d9c0a2e4f6b8d1c3a";
    let documented = r#"{"id":"evt_7d3f1a9c2b8e4f6a0c5d1e2f","type":"notice.raised","account_id":"acct_4b1e9a7c3d","created_at":"2026-11-23T12:00:00Z","data":{"meter":"requests","notice_id":"ntc_9a8b7c6d5e4f3a2b1c0d","period_start":"2026-11-01T00:00:00Z","reached_at":"2026-11-23T12:00:00Z","threshold_percent":80,"tier":"production"}}"#;
    assert_eq!(
        signature(secret, 1_795_435_200, documented.as_bytes()),
        "t=1795435200,v1=8567a967e22a909cd38aa6ffdc72b64989684821414a66e7ab05ca1878373f51"
    );

    let at = from_unix(1_795_000_000);
    let tolerance = Duration::from_secs(300);
    assert!(verify_signature("whsec_test", &header, body, at, tolerance));
    assert!(verify_signature("whsec_test", &format!("{header},v1=00"), body, at, tolerance));
    assert!(!verify_signature("whsec_other", &header, body, at, tolerance));
    assert!(!verify_signature("whsec_test", &header, b"{}", at, tolerance));
    assert!(!verify_signature("whsec_test", &header, body, from_unix(1_795_000_000 + 301), tolerance));
    assert!(!verify_signature("whsec_test", "v1=00", body, at, tolerance));
}

#[test]
fn retries_back_off_exponentially_to_about_a_day() {
    let o = WebhookOptions::default();
    assert_eq!(o.retry_delay(1), Duration::from_secs(180));
    assert_eq!(o.retry_delay(2), Duration::from_secs(360));
    let total: Duration = (1..o.attempts_max).map(|n| o.retry_delay(n)).sum();
    assert!(total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(30 * 3600), "{total:?}");
    assert_eq!(WebhookOptions { retry_base: Duration::from_millis(100), ..o }.retry_delay(4), Duration::from_millis(800));
}

#[test]
fn account_alerts_map_to_their_event_types() {
    let alert = |kind: &str| AlertRow {
        id: "alr_1".into(),
        account_id: "acct_1".into(),
        period_start: 1_793_491_200,
        kind: kind.into(),
        key: "75".into(),
        message: "Spend reached 75% of the budget.".into(),
        raised_at: 1_795_435_200,
    };
    for (kind, event_type) in [
        ("budget_spend", "budget.alert"),
        ("budget_forecast", "budget.alert"),
        ("spend_cap_reached", "spend_cap.reached"),
        ("top_up_bought", "top_up.succeeded"),
        ("top_up_failed", "top_up.failed"),
        ("top_up_ceiling", "top_up.ceiling"),
    ] {
        let row = alert_raised(&alert(kind)).unwrap();
        assert_eq!((row.event_type.as_str(), row.dedup_key.as_str()), (event_type, "alert:alr_1"));
        let body: serde_json::Value = serde_json::from_str(&row.body).unwrap();
        assert_eq!(
            body["data"],
            serde_json::json!({"alert_id": "alr_1", "kind": kind, "key": "75", "message": "Spend reached 75% of the budget.",
                "period_start": "2026-11-01T00:00:00Z", "raised_at": "2026-11-23T12:00:00Z"})
        );
    }
    assert!(alert_raised(&alert("something_new")).is_none());
}

#[test]
fn an_event_body_is_the_documented_envelope() {
    let at = from_unix(1_795_000_000);
    let event = WebhookEvent::new("acct_1", WebhookEventType::TopUpFailed, "k", serde_json::json!({"packs": 2}), at);
    let row = event.to_outbox();
    assert!(row.id.starts_with("evt_"));
    assert_eq!(row.event_type, "top_up.failed");
    let body: serde_json::Value = serde_json::from_str(&row.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"id": row.id, "type": "top_up.failed", "account_id": "acct_1", "created_at": "2026-11-18T11:06:40Z", "data": {"packs": 2}})
    );
    assert!(row.body.starts_with(r#"{"id":"evt_"#), "{}", row.body);
}
