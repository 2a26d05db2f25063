//! The OpenAPI document served at `/openapi.json`, generated from the handlers' annotations
//! and the wire types, so it cannot drift from the code.

use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{admin, controls, formats, handlers, nodes, otlp, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "edgecost billing engine",
        description = "Telemetry ingest from edge nodes and the account API: bill to date, usage, \
                       tiers, burst credits and quota notices. Every error is `{code, message}`."
    ),
    paths(
        handlers::ingest,
        otlp::otlp_metrics,
        formats::cloud_events,
        nodes::limits,
        handlers::account,
        handlers::bill,
        handlers::outlook,
        handlers::upgrade_quote,
        handlers::credits_quote,
        handlers::route_costs,
        handlers::usage,
        handlers::usage_log,
        handlers::invoices,
        handlers::invoice,
        handlers::change_tier,
        handlers::buy_credits,
        handlers::credits,
        handlers::notices,
        controls::budget,
        controls::set_budget,
        controls::auto_top_up,
        controls::set_auto_top_up,
        webhooks::get_webhook,
        webhooks::put_webhook,
        webhooks::delete_webhook,
        admin::report,
        admin::what_if,
        handlers::price_book,
        handlers::healthz,
        handlers::metrics,
        handlers::openapi,
    ),
    components(schemas(
        edgecost_api::Granularity,
        edgecost_api::UsageGrouping,
        edgecost_api::ErrorBody,
        // What a webhook receives (docs/webhooks.md); no route answers with it.
        edgecost_api::WebhookPayload,
        edgecost_api::NoticeRaisedData,
        edgecost_api::AlertRaisedData,
    )),
    modifiers(&BearerSchemes),
)]
struct ApiDoc;

/// Declares the three kinds of bearer token the paths refer to.
struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("account_token", "An account token from `edgecost admin create-account`"),
            ("node_token", "An edge-node token from `edgecost admin create-node`"),
            ("operator_token", "An operator token from `edgecost admin create-operator`"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build()),
            );
        }
    }
}

/// The OpenAPI document of the whole API.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    declare_bounds(&mut doc);
    declare_metrics_address(&mut doc);
    declare_usage_formats(&mut doc);
    serde_json::from_value(doc).expect("the amended OpenAPI document deserializes")
}

/// Writes the bounds the server enforces into the document, from the same constants the
/// checks use. (utoipa's `minimum`/`maximum` attributes take only literals, which would state
/// each bound a second time.)
fn declare_bounds(doc: &mut Value) {
    use edgecost_api::{
        MAX_BATCH_ID_CHARS, MAX_BATCH_RECORDS, MAX_BUDGET_ALERTS, MAX_IDEMPOTENCY_KEY_CHARS, MAX_INVOICE_PAGE, MAX_PACKS_PER_PURCHASE,
        MAX_ROUTE_CHARS, MAX_TOP_UP_PACKS_PER_PERIOD, MAX_USAGE_LOG_PAGE, MAX_WINDOW_SECONDS, USAGE_LOG_ID_HEX_DIGITS,
    };
    let schemas = &["components", "schemas"];
    let batch = at(at(doc, schemas), &["TelemetryBatch", "properties"]);
    bound(at(batch, &["batch_id"]), json!({"minLength": 1, "maxLength": MAX_BATCH_ID_CHARS}));
    bound(at(batch, &["records"]), json!({"maxItems": MAX_BATCH_RECORDS}));
    let record = at(at(doc, schemas), &["TelemetryRecord", "properties"]);
    bound(at(record, &["route"]), json!({"minLength": 1, "maxLength": MAX_ROUTE_CHARS}));
    bound(at(record, &["window_seconds"]), json!({"minimum": 1, "maximum": MAX_WINDOW_SECONDS}));
    let purchase = at(at(doc, schemas), &["CreditPurchaseRequest", "properties"]);
    bound(at(purchase, &["packs"]), json!({"minimum": 1, "maximum": MAX_PACKS_PER_PURCHASE}));

    let packs = json!({"minimum": 1, "maximum": MAX_PACKS_PER_PURCHASE});
    bound(parameter_schema(doc, "/v1/account/credits/quote", "get", "packs"), packs);
    let limit = json!({"minimum": 1, "maximum": MAX_USAGE_LOG_PAGE});
    bound(parameter_schema(doc, "/v1/account/usage/log", "get", "limit"), limit);
    let limit = json!({"minimum": 1, "maximum": MAX_INVOICE_PAGE});
    bound(parameter_schema(doc, "/v1/account/invoices", "get", "limit"), limit);
    // Invoice cursors are invoice numbers.
    bound(parameter_schema(doc, "/v1/account/invoices", "get", "cursor"), json!({"pattern": "^[1-9][0-9]{0,17}$"}));
    for (path, method) in
        [("/v1/account/tier", "post"), ("/v1/account/credits", "post"), ("/v1/account/budget", "put"), ("/v1/account/auto-top-up", "put")]
    {
        // Visible ASCII, as `invalid_idempotency_key` checks.
        let key = json!({"minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_CHARS, "pattern": "^[!-~]+$"});
        bound(parameter_schema(doc, path, method, "Idempotency-Key"), key);
    }
    let budget = at(at(doc, schemas), &["BudgetSettings", "properties"]);
    bound(at(budget, &["alert_percents"]), json!({"maxItems": MAX_BUDGET_ALERTS}));
    bound(at(budget, &["alert_percents", "items"]), json!({"minimum": 1, "maximum": 100}));
    let top_up = at(at(doc, schemas), &["AutoTopUpSettings", "properties"]);
    bound(at(top_up, &["packs"]), json!({"minimum": 1, "maximum": MAX_PACKS_PER_PURCHASE}));
    bound(at(top_up, &["max_packs_per_period"]), json!({"minimum": 1, "maximum": MAX_TOP_UP_PACKS_PER_PERIOD}));
    for method in ["put", "delete"] {
        let key = json!({"minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_CHARS, "pattern": "^[!-~]+$"});
        bound(parameter_schema(doc, "/v1/account/webhooks", method, "Idempotency-Key"), key);
    }
    let webhook = at(at(doc, schemas), &["WebhookRequest", "properties"]);
    bound(at(webhook, &["url"]), json!({"minLength": 1, "maxLength": edgecost_api::MAX_WEBHOOK_URL_CHARS}));
    // Cursors are record ids as the account sees them.
    let cursor = json!({"pattern": format!("^[0-9a-f]{{{USAGE_LOG_ID_HEX_DIGITS}}}$")});
    bound(parameter_schema(doc, "/v1/account/usage/log", "get", "cursor"), cursor);
    let tier = at(at(doc, schemas), &["TierChangeRequest", "properties"]);
    bound(at(tier, &["tier"]), json!({"minLength": 1}));
}

/// The bodies of `/v1/metrics` and `/v1/events` are specified by OTLP and CloudEvents, not by
/// this document: an opaque protobuf message, and a JSON array of event objects.
fn declare_usage_formats(doc: &mut Value) {
    *at(doc, &["paths", "/v1/metrics", "post", "requestBody", "content", "application/x-protobuf"]) =
        json!({"schema": {"type": "string", "format": "binary"}});
    *at(doc, &["paths", "/v1/events", "post", "requestBody", "content", "application/cloudevents-batch+json"]) =
        json!({"schema": {"type": "array", "items": {"type": "object"}}});
}

/// States that `/metrics` answers on the metrics address, not the API's.
fn declare_metrics_address(doc: &mut Value) {
    let item = at(doc, &["paths", "/metrics"]);
    let object = item.as_object_mut().expect("a path item is an object");
    object.insert(
        "servers".to_owned(),
        json!([{
            "url": "http://{metrics_listen}",
            "description": "The metrics address: `edgecost serve --metrics-listen ADDR` (off by default)",
            "variables": {"metrics_listen": {"default": "127.0.0.1:9090", "description": "The address given to --metrics-listen"}},
        }]),
    );
}

/// The value at `keys` under `value`. Panics when it is missing: a renamed field or route must
/// fail the document's tests, not leave a bound out silently.
fn at<'a>(value: &'a mut Value, keys: &[&str]) -> &'a mut Value {
    keys.iter().fold(value, |v, key| v.get_mut(*key).unwrap_or_else(|| panic!("the OpenAPI document has no `{key}`")))
}

/// The schema of parameter `name` of `method path`.
fn parameter_schema<'a>(doc: &'a mut Value, path: &str, method: &str, name: &str) -> &'a mut Value {
    let parameters = at(doc, &["paths", path, method, "parameters"]).as_array_mut().expect("parameters are a list");
    let parameter =
        parameters.iter_mut().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{method} {path} has no parameter `{name}`"));
    at(parameter, &["schema"])
}

/// Adds the keywords of `bounds` to `schema`.
fn bound(schema: &mut Value, bounds: Value) {
    let schema = schema.as_object_mut().expect("a schema is an object");
    let Value::Object(bounds) = bounds else { unreachable!("bounds are written as objects") };
    schema.extend(bounds);
}
