use super::*;

/// Series identities are stored: hashing must give the same bytes as it always has (each
/// attribute as its key and `value_text`, sorted by key).
#[test]
fn series_identities_are_hashed_as_they_always_were() {
    fn before(h: &mut Sha256, attributes: &[KeyValue]) {
        let mut sorted: Vec<&KeyValue> = attributes.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        h.update(sorted.len().to_be_bytes());
        for kv in sorted {
            let value = kv.value.as_ref().map(value_text).unwrap_or_default();
            h.update(kv.key.len().to_be_bytes());
            h.update(kv.key.as_bytes());
            h.update(value.len().to_be_bytes());
            h.update(value.as_bytes());
        }
    }
    let kv = |key: &str, value: Option<any_value::Value>| KeyValue {
        key: key.into(),
        value: value.map(|v| AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let text = |s: &str| Some(any_value::Value::StringValue(s.into()));
    let many: Vec<KeyValue> = (0..20).map(|i| kv(&format!("k{}", 19 - i), text("v"))).collect();
    for attributes in [
        vec![],
        vec![kv("http.route", text("/api/orders")), kv("edgecost.account.id", text("acct_1")), kv("edgecost.region", text(""))],
        vec![kv("b", Some(any_value::Value::IntValue(-4))), kv("a", Some(any_value::Value::BoolValue(true))), kv("c", None)],
        vec![kv("d", Some(any_value::Value::DoubleValue(1.5))), kv("a", text("x")), kv("a", text("y"))],
        many,
        // Longer than what is gathered before hashing, and just short of it.
        vec![kv("long", text(&"x".repeat(700))), kv("a", text(&"y".repeat(200))), kv("b", text(&"z".repeat(230)))],
    ] {
        let metric = metric_identity("http.server.request.duration", "s", &attributes, "scope", "1.0");
        let mut reference = metric.clone();
        before(&mut reference, &attributes);
        assert_eq!(series_id(&metric, &attributes)[..], reference.finalize()[..16]);
    }
}
