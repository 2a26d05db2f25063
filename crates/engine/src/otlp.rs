//! OpenTelemetry metrics (OTLP) as usage: which metrics count, how their points become
//! [`SeriesPoint`]s, and what is refused. `docs/telemetry.md` states the same mapping for
//! node operators.
//!
//! - requests: the count of `http.server.request.duration` (a histogram);
//! - egress bytes: the sum of `http.server.response.body.size` (a histogram, bytes);
//! - compute: the sum of `edgecost.compute.duration` (a histogram or a monotonic sum, in
//!   seconds or milliseconds), or the sum of `http.server.request.duration` when the
//!   resource says `edgecost.compute.source = "http.server.request.duration"`;
//! - route: the `http.route` attribute; account and region: attributes of the point or of its
//!   resource, named by [`OtlpMapping`].
//!
//! Durations are rounded to the nearest millisecond and byte sums to the nearest byte; a
//! cumulative series is rounded on its running total, so its deltas add up to the rounded
//! total.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{AggregationTemporality, DataPointFlags, metric};
use prost::Message;
use sha2::{Digest, Sha256};

use crate::engine::{Engine, NodeId};
use crate::error::Result;
use crate::points::{PointsIngested, Refusal, SeriesPoint, Temporality};
use crate::shared_strings::SharedStrings;

/// The request duration histogram: its count is requests.
pub const REQUEST_DURATION: &str = "http.server.request.duration";
/// The response body size histogram: its sum is egress bytes.
pub const RESPONSE_BODY_SIZE: &str = "http.server.response.body.size";
/// Compute time, when the node measures it apart from the request duration.
pub const COMPUTE_DURATION: &str = "edgecost.compute.duration";
/// The resource attribute that makes the request duration count as compute time.
pub const COMPUTE_SOURCE_ATTRIBUTE: &str = "edgecost.compute.source";
/// The route attribute of the HTTP semantic conventions.
pub const ROUTE_ATTRIBUTE: &str = "http.route";

/// Which attributes name the account and the region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpMapping {
    /// The attribute (of the point or its resource) holding the account id;
    /// `edgecost.account.id` by default.
    pub account_attribute: String,
    /// The attribute (of the point or its resource) holding the region;
    /// `edgecost.region` by default.
    pub region_attribute: String,
}

impl Default for OtlpMapping {
    fn default() -> Self {
        OtlpMapping { account_attribute: "edgecost.account.id".into(), region_attribute: "edgecost.region".into() }
    }
}

/// How the body of an OTLP/HTTP request is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpEncoding {
    /// Binary protobuf (`application/x-protobuf`).
    Protobuf,
    /// The OTLP JSON mapping of the protobuf messages (`application/json`).
    Json,
}

impl Engine {
    /// Counts the usage in a decoded OTLP metrics request (see the module documentation): its points
    /// that count, and the others refused, all in `refused` by index. The request is freed
    /// while the database counts its points rather than after: a large one is tens of
    /// thousands of small allocations.
    pub async fn ingest_otlp(
        &self,
        node: &NodeId,
        request: ExportMetricsServiceRequest,
        mapping: &OtlpMapping,
        now: DateTime<Utc>,
    ) -> Result<PointsIngested> {
        let (points, refused, _) = points(&request, mapping);
        let free = async move {
            // After counting has started (and waits on the database).
            tokio::task::yield_now().await;
            drop(request);
        };
        let (ingested, ()) = tokio::join!(self.ingest_points(node, &points, now), free);
        let mut ingested = ingested?;
        if !refused.is_empty() {
            ingested.refused.extend(refused);
            ingested.refused.sort_by_key(|r| r.index);
        }
        Ok(ingested)
    }
}

/// Decodes an OTLP/HTTP metrics request body; the error says what is wrong with it.
pub fn decode(body: &[u8], encoding: OtlpEncoding) -> Result<ExportMetricsServiceRequest, String> {
    match encoding {
        OtlpEncoding::Protobuf => {
            ExportMetricsServiceRequest::decode(body).map_err(|e| format!("the body is not an OTLP metrics request: {e}"))
        }
        OtlpEncoding::Json => serde_json::from_slice(body).map_err(|e| format!("the body is not an OTLP metrics request in JSON: {e}")),
    }
}

/// The request's points: those that count usage, and refusals (by point index, counting
/// every data point of the request in order) for the others.
pub fn points(request: &ExportMetricsServiceRequest, mapping: &OtlpMapping) -> (Vec<SeriesPoint>, Vec<Refusal>, usize) {
    let mut out = Vec::new();
    let mut refused = Vec::new();
    let mut index = 0usize;
    // Accounts, routes and regions repeat across a request's points: each is allocated once.
    let mut shared = SharedStrings::default();
    for rm in &request.resource_metrics {
        let resource: &[KeyValue] = rm.resource.as_ref().map(|r| r.attributes.as_slice()).unwrap_or_default();
        let compute_from_duration = attribute(resource, COMPUTE_SOURCE_ATTRIBUTE).as_deref() == Some(REQUEST_DURATION);
        for sm in &rm.scope_metrics {
            let (scope_name, scope_version) = sm.scope.as_ref().map(|s| (s.name.as_str(), s.version.as_str())).unwrap_or_default();
            for m in &sm.metrics {
                let meters = match m.name.as_str() {
                    REQUEST_DURATION => Meters { requests: true, compute: compute_from_duration, egress: false },
                    RESPONSE_BODY_SIZE => Meters { requests: false, compute: false, egress: true },
                    COMPUTE_DURATION => Meters { requests: false, compute: true, egress: false },
                    _ => Meters::default(),
                };
                let raw = raw_points(m.data.as_ref());
                if !meters.any() {
                    for _ in &raw {
                        refused.push(Refusal::new(
                            index,
                            "unknown_metric",
                            format!(
                                "metric '{}' is not one usage is counted from ({REQUEST_DURATION}, {RESPONSE_BODY_SIZE}, {COMPUTE_DURATION})",
                                m.name
                            ),
                        ));
                        index += 1;
                    }
                    continue;
                }
                let compute_ms_per_unit = match m.unit.as_str() {
                    "" | "s" => 1000.0,
                    "ms" => 1.0,
                    _ if !meters.compute => 1.0,
                    other => {
                        for _ in &raw {
                            refused.push(Refusal::new(
                                index,
                                "unsupported_unit",
                                format!("durations must be in 's' or 'ms'; metric '{}' is in '{other}'", m.name),
                            ));
                            index += 1;
                        }
                        continue;
                    }
                };
                let metric = MetricContext {
                    name: &m.name,
                    meters,
                    compute_ms_per_unit,
                    identity: metric_identity(&m.name, &m.unit, resource, scope_name, scope_version),
                };
                for p in raw {
                    let this = index;
                    index += 1;
                    match point(this, &p, &metric, resource, mapping, &mut shared) {
                        Ok(Some(sp)) => out.push(sp),
                        Ok(None) => {}
                        Err(r) => refused.push(r),
                    }
                }
            }
        }
    }
    (out, refused, index)
}

/// Which meters a metric's points count.
#[derive(Default)]
struct Meters {
    requests: bool,
    compute: bool,
    egress: bool,
}

impl Meters {
    fn any(&self) -> bool {
        self.requests || self.compute || self.egress
    }
}

/// A data point of any kind, reduced to what usage needs.
struct RawPoint<'a> {
    attributes: &'a [KeyValue],
    start_ns: u64,
    time_ns: u64,
    flags: u32,
    temporality: i32,
    /// Histogram count; `None` for a sum.
    count: Option<u64>,
    /// Histogram sum or the sum's value.
    sum: Option<f64>,
    /// Why this kind of point cannot count usage.
    unsupported: Option<&'static str>,
}

/// The points of a histogram, explicit-bucket or exponential alike: their count and sum.
macro_rules! histogram_points {
    ($h:expr) => {
        $h.data_points
            .iter()
            .map(|p| RawPoint {
                attributes: &p.attributes,
                start_ns: p.start_time_unix_nano,
                time_ns: p.time_unix_nano,
                flags: p.flags,
                temporality: $h.aggregation_temporality,
                count: Some(p.count),
                sum: p.sum,
                unsupported: None,
            })
            .collect()
    };
}

fn raw_points(data: Option<&metric::Data>) -> Vec<RawPoint<'_>> {
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
    let unsupported = |attributes, start_ns, time_ns, why| RawPoint {
        attributes,
        start_ns,
        time_ns,
        flags: 0,
        temporality: 0,
        count: None,
        sum: None,
        unsupported: Some(why),
    };
    match data {
        None => Vec::new(),
        Some(metric::Data::Histogram(h)) => histogram_points!(h),
        Some(metric::Data::ExponentialHistogram(h)) => histogram_points!(h),
        Some(metric::Data::Sum(s)) => s
            .data_points
            .iter()
            .map(|p| RawPoint {
                attributes: &p.attributes,
                start_ns: p.start_time_unix_nano,
                time_ns: p.time_unix_nano,
                flags: p.flags,
                temporality: s.aggregation_temporality,
                count: None,
                sum: match p.value {
                    Some(Value::AsDouble(d)) => Some(d),
                    Some(Value::AsInt(i)) => Some(i as f64),
                    None => None,
                },
                unsupported: (!s.is_monotonic).then_some("a non-monotonic sum cannot count usage"),
            })
            .collect(),
        Some(metric::Data::Gauge(g)) => g
            .data_points
            .iter()
            .map(|p| unsupported(&p.attributes[..], p.start_time_unix_nano, p.time_unix_nano, "a gauge cannot count usage"))
            .collect(),
        Some(metric::Data::Summary(s)) => s
            .data_points
            .iter()
            .map(|p| unsupported(&p.attributes[..], p.start_time_unix_nano, p.time_unix_nano, "a summary cannot count usage"))
            .collect(),
    }
}

/// What a metric's points share.
struct MetricContext<'a> {
    name: &'a str,
    meters: Meters,
    compute_ms_per_unit: f64,
    /// [`metric_identity`] of the metric.
    identity: Sha256,
}

fn point<'a>(
    index: usize,
    p: &RawPoint<'a>,
    metric: &MetricContext<'_>,
    resource: &'a [KeyValue],
    mapping: &OtlpMapping,
    shared: &mut SharedStrings<'a>,
) -> Result<Option<SeriesPoint>, Refusal> {
    let MetricContext { name, meters, compute_ms_per_unit, identity } = metric;
    let (name, compute_ms_per_unit) = (*name, *compute_ms_per_unit);
    if let Some(why) = p.unsupported {
        return Err(Refusal::new(index, "unsupported_metric_type", format!("metric '{name}': {why}")));
    }
    if p.flags & DataPointFlags::NoRecordedValueMask as u32 != 0 {
        // A staleness marker: the series has no value here, and nothing to count.
        return Ok(None);
    }
    if meters.requests && p.count.is_none() {
        return Err(Refusal::new(index, "unsupported_metric_type", format!("metric '{name}' must be a histogram: requests are its count")));
    }
    let temporality = match AggregationTemporality::try_from(p.temporality) {
        Ok(AggregationTemporality::Delta) => Temporality::Delta,
        Ok(AggregationTemporality::Cumulative) => Temporality::Cumulative,
        _ => return Err(Refusal::new(index, "invalid_temporality", format!("metric '{name}' has no aggregation temporality"))),
    };
    let find = |key: &str| attribute(p.attributes, key).or_else(|| attribute(resource, key));
    let account_id = find(&mapping.account_attribute).ok_or_else(|| {
        Refusal::new(index, "missing_account", format!("the point has no '{}' attribute naming the account", mapping.account_attribute))
    })?;
    let region = find(&mapping.region_attribute).ok_or_else(|| {
        Refusal::new(index, "missing_region", format!("the point has no '{}' attribute naming the region", mapping.region_attribute))
    })?;
    let route = find(ROUTE_ATTRIBUTE)
        .ok_or_else(|| Refusal::new(index, "missing_route", format!("the point has no '{ROUTE_ATTRIBUTE}' attribute")))?;
    let sum = match p.sum {
        Some(s) if s.is_finite() && s >= 0.0 => s,
        Some(_) => return Err(Refusal::new(index, "invalid_value", format!("metric '{name}' has a negative or non-finite sum"))),
        None if meters.compute || meters.egress => {
            return Err(Refusal::new(index, "missing_sum", format!("metric '{name}' has no sum; its sum is what is counted")));
        }
        None => 0.0,
    };
    let whole = |v: f64| -> Result<u64, Refusal> {
        let v = v.round();
        // 2^63: anything at or past it is beyond every bound the engine accepts.
        if v >= i64::MAX as f64 {
            return Err(Refusal::new(index, "absurd_value", format!("metric '{name}' has a value beyond what one series can count")));
        }
        Ok(v as u64)
    };
    Ok(Some(SeriesPoint {
        index,
        series: series_id(identity, p.attributes),
        account_id: shared.get(account_id),
        route: shared.get(route),
        region: shared.get(region),
        temporality,
        start_ns: p.start_ns,
        time_ns: p.time_ns,
        requests: if meters.requests { p.count.unwrap_or(0) } else { 0 },
        compute_ms: if meters.compute { whole(sum * compute_ms_per_unit)? } else { 0 },
        egress_bytes: if meters.egress { whole(sum)? } else { 0 },
    }))
}

/// The attribute's value as text (strings, integers and booleans); `None` when absent or
/// empty.
fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<Cow<'a, str>> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    let text = match value.value.as_ref()? {
        any_value::Value::StringValue(s) => Cow::Borrowed(s.as_str()),
        any_value::Value::IntValue(i) => Cow::Owned(i.to_string()),
        any_value::Value::BoolValue(b) => Cow::Owned(b.to_string()),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// What identifies every series of one metric: the metric, its resource and its scope,
/// hashed once; [`series_id`] adds a point's attributes.
fn metric_identity(name: &str, unit: &str, resource: &[KeyValue], scope: &str, version: &str) -> Sha256 {
    let mut h = Sha256::new();
    for part in [name, unit, scope, version] {
        h.update(part.len().to_be_bytes());
        h.update(part.as_bytes());
    }
    hash_attributes(&mut h, resource);
    h
}

/// A series' identity: its metric's and its attributes (their order does not matter).
fn series_id(metric: &Sha256, attributes: &[KeyValue]) -> [u8; 16] {
    let mut h = metric.clone();
    hash_attributes(&mut h, attributes);
    h.finalize()[..16].try_into().expect("16 bytes")
}

fn hash_attributes(h: &mut Sha256, attributes: &[KeyValue]) {
    // Sorted by key; a point's few attributes are sorted on the stack.
    const ON_STACK: usize = 16;
    let mut stack = [0usize; ON_STACK];
    let mut heap = Vec::new();
    let order: &mut [usize] = if attributes.len() <= ON_STACK {
        &mut stack[..attributes.len()]
    } else {
        heap.resize(attributes.len(), 0);
        &mut heap
    };
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i;
    }
    order.sort_by(|&a, &b| attributes[a].key.cmp(&attributes[b].key));
    // A point's attributes come to a few short pieces: gathered on the stack, they reach the
    // hash in one piece rather than a dozen.
    let mut h = Gathered { h, buf: [0; GATHERED_BYTES], len: 0 };
    h.update(&order.len().to_be_bytes());
    for &i in order.iter() {
        let kv = &attributes[i];
        h.update(&kv.key.len().to_be_bytes());
        h.update(kv.key.as_bytes());
        hash_value(&mut h, kv.value.as_ref());
    }
    h.flush();
}

const GATHERED_BYTES: usize = 256;

/// Bytes on their way to a hash, gathered so that it gets them in few pieces (the same bytes
/// in the same order: the same digest).
struct Gathered<'h> {
    h: &'h mut Sha256,
    buf: [u8; GATHERED_BYTES],
    len: usize,
}

impl Gathered<'_> {
    fn update(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > GATHERED_BYTES {
            self.flush();
            if bytes.len() > GATHERED_BYTES {
                self.h.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn flush(&mut self) {
        self.h.update(&self.buf[..self.len]);
        self.len = 0;
    }
}

/// Hashes an attribute value as its length and [`value_text`], without allocating the text
/// for a string (the common case).
fn hash_value(h: &mut Gathered<'_>, v: Option<&AnyValue>) {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => {
            h.update(&(s.len() + 2).to_be_bytes());
            h.update(b"s:");
            h.update(s.as_bytes());
        }
        _ => {
            let text = v.map(value_text).unwrap_or_default();
            h.update(&text.len().to_be_bytes());
            h.update(text.as_bytes());
        }
    }
}

/// An attribute value in a form that tells different values apart.
fn value_text(v: &AnyValue) -> String {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => format!("s:{s}"),
        Some(any_value::Value::IntValue(i)) => format!("i:{i}"),
        Some(any_value::Value::BoolValue(b)) => format!("b:{b}"),
        Some(any_value::Value::DoubleValue(d)) => format!("d:{d}"),
        Some(other) => format!("o:{other:?}"),
        None => String::new(),
    }
}

/// A short account of refusals for OTLP's partial success: counts per code, with the first
/// message of each.
pub fn summary(refused: &[Refusal]) -> String {
    let mut by_code: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for r in refused {
        by_code.entry(r.code).or_insert((0, &r.message)).0 += 1;
    }
    by_code
        .iter()
        .map(|(code, (n, first))| format!("{n} point{} {code}: {first}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
