use super::*;

#[test]
fn failures_say_what_happened_and_whether_money_moved_without_transport_text() {
    let refused =
        ClientError::Network { detail: "error sending request: tcp connect error: Connection refused (os error 111)".into(), unsent: true };
    let buy = ActionFailure::of(Action::Purchase, &refused);
    assert_eq!((buy.kind, buy.charged), (FailureKind::Offline, Charged::No));
    assert!(buy.message.starts_with("Could not reach the server; nothing was charged."), "{}", buy.message);
    let read = ActionFailure::of_read(&refused);
    assert_eq!((read.charged, read.message.as_str()), (Charged::No, OFFLINE_NOTHING_CHARGED));

    let broke = ClientError::Network { detail: "connection reset".into(), unsent: false };
    let buy = ActionFailure::of(Action::Purchase, &broke);
    assert_eq!(buy.charged, Charged::Unknown);
    assert!(buy.message.contains("same key"), "{}", buy.message);

    let local = ActionFailure::local(&DesktopError::Network { url: "http://127.0.0.1:1".into(), detail: "tcp connect error".into() });
    assert_eq!(local.message, OFFLINE_NOTHING_CHARGED);
    let revoked = ActionFailure::of_read(&ClientError::Unauthorized { code: "invalid_token".into(), message: "no".into() });
    assert_eq!((revoked.kind, revoked.message.as_str()), (FailureKind::SignedOut, TOKEN_REJECTED_NOTHING_CHARGED));
    let packs = ActionFailure::local(&DesktopError::BadPackCount { packs: 0, max: 100 });
    assert_eq!(packs.message, "0 packs: buy 1 to 100 packs at a time; nothing was charged.");
    for f in [buy, read, local, revoked, packs] {
        assert!(!f.message.contains("os error") && !f.message.contains("tcp"), "{}", f.message);
    }
}
