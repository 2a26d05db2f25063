//! CloudEvents 1.0 as usage (structured JSON mode, one event or a batch).
//!
//! A usage event has `type` [`USAGE_EVENT_TYPE`], `subject` the account id, `time` the start
//! of its window (to the second; a fraction is dropped), and `data` the usage:
//!
//! ```json
//! { "route": "/api/orders", "region": "eu", "window_seconds": 60,
//!   "requests": 1200, "compute_ms": 5400, "egress_bytes": 9600000 }
//! ```
//!
//! `window_seconds` defaults to 1; each counter defaults to 0 and may be a JSON integer or a
//! string of digits (as OpenMeter's events carry them). An event is counted once per
//! (`source`, `id`), as the CloudEvents specification makes that pair unique. An event refused
//! (an unknown account, say) is not remembered: sent again, it is judged again.

use chrono::{DateTime, Timelike, Utc};
use edgecost_api::TelemetryRecord;
use serde_json::Value;

use crate::points::{Refusal, UsageEvent};

/// The `type` of a usage event.
pub const USAGE_EVENT_TYPE: &str = "edgecost.usage";
/// The longest accepted `source` or `id`, in characters.
pub const EVENT_KEY_CHARS_MAX: usize = 256;

/// The usage events of a request, and refusals (by index in the request) for the others.
pub fn usage_events(events: &[Value]) -> (Vec<UsageEvent>, Vec<Refusal>) {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for (index, e) in events.iter().enumerate() {
        match usage_event(index, e) {
            Ok(event) => out.push(event),
            Err(message) => refused.push(Refusal::new(index, "invalid_event", message)),
        }
    }
    (out, refused)
}

fn usage_event(index: usize, e: &Value) -> Result<UsageEvent, String> {
    let e = e.as_object().ok_or("an event is a JSON object")?;
    let text = |name: &str| -> Result<&str, String> {
        e.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| format!("the event has no '{name}'"))
    };
    let version = text("specversion")?;
    if version != "1.0" {
        return Err(format!("specversion '{version}' is not 1.0"));
    }
    let (id, source) = (text("id")?, text("source")?);
    for (name, value) in [("id", id), ("source", source)] {
        if value.chars().count() > EVENT_KEY_CHARS_MAX || value.chars().any(char::is_control) {
            return Err(format!("'{name}' must be at most {EVENT_KEY_CHARS_MAX} characters without control characters"));
        }
    }
    let kind = text("type")?;
    if kind != USAGE_EVENT_TYPE {
        return Err(format!("type '{kind}' is not a usage event ('{USAGE_EVENT_TYPE}')"));
    }
    if let Some(ct) = e.get("datacontenttype").and_then(Value::as_str)
        && !ct.starts_with("application/json")
    {
        return Err(format!("datacontenttype '{ct}' is not application/json"));
    }
    let account_id = text("subject").map_err(|_| "the event has no 'subject' naming the account".to_string())?;
    let time: DateTime<Utc> = text("time")?
        .parse::<DateTime<chrono::FixedOffset>>()
        .map_err(|err| format!("'time' is not an RFC 3339 timestamp: {err}"))?
        .with_timezone(&Utc);
    // Windows start on a whole second.
    let time = time.with_nanosecond(0).unwrap_or(time);
    let data = e.get("data").and_then(Value::as_object).ok_or("the event has no 'data' object")?;
    let field = |name: &str| -> Result<&str, String> {
        data.get(name).and_then(Value::as_str).ok_or_else(|| format!("'data.{name}' is missing or not a string"))
    };
    let number = |name: &str, default: u64| -> Result<u64, String> {
        match data.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| format!("'data.{name}' must be a whole number at least 0")),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().map_err(|_| format!("'data.{name}' is too large"))
            }
            Some(_) => Err(format!("'data.{name}' must be a whole number at least 0 (a JSON number or a string of digits)")),
        }
    };
    let window_seconds = number("window_seconds", 1)?;
    Ok(UsageEvent {
        index,
        source: source.to_owned(),
        id: id.to_owned(),
        record: TelemetryRecord {
            account_id: account_id.to_owned(),
            route: field("route")?.to_owned(),
            region: field("region")?.to_owned(),
            window_start: time,
            // Out of range is the record check's to refuse, with its own words.
            window_seconds: u32::try_from(window_seconds).unwrap_or(u32::MAX),
            requests: number("requests", 0)?,
            compute_ms: number("compute_ms", 0)?,
            egress_bytes: number("egress_bytes", 0)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "specversion": "1.0", "id": "e-1", "source": "//edge/fra-1", "type": USAGE_EVENT_TYPE,
            "subject": "acc_1", "time": "2026-12-06T10:00:00Z",
            "data": { "route": "/api", "region": "eu", "window_seconds": 60, "requests": "1200", "compute_ms": 5400 }
        })
    }

    #[test]
    fn a_usage_event_becomes_a_record() {
        let (events, refused) = usage_events(&[event()]);
        assert!(refused.is_empty(), "{refused:?}");
        let r = &events[0].record;
        assert_eq!((r.account_id.as_str(), r.route.as_str(), r.region.as_str()), ("acc_1", "/api", "eu"));
        assert_eq!((r.window_seconds, r.requests, r.compute_ms, r.egress_bytes), (60, 1200, 5400, 0));
        assert_eq!((events[0].source.as_str(), events[0].id.as_str()), ("//edge/fra-1", "e-1"));
    }

    #[test]
    fn each_wrong_field_is_named() {
        let cases: [(&str, Value, &str); 6] = [
            ("specversion", json!("0.3"), "specversion '0.3'"),
            ("type", json!("com.example.other"), "type 'com.example.other'"),
            ("subject", Value::Null, "'subject'"),
            ("time", json!("yesterday"), "'time'"),
            ("data", json!({"region": "eu"}), "'data.route'"),
            ("id", json!(""), "no 'id'"),
        ];
        for (field, value, expected) in cases {
            let mut e = event();
            e[field] = value;
            let (events, refused) = usage_events(&[event(), e]);
            assert_eq!(events.len(), 1, "{field}");
            assert_eq!((refused[0].index, refused[0].code), (1, "invalid_event"));
            assert!(refused[0].message.contains(expected), "{field}: {}", refused[0].message);
        }
        let mut e = event();
        e["data"]["requests"] = json!(-3);
        assert!(usage_events(&[e]).1[0].message.contains("'data.requests' must be a whole number"));
    }
}
