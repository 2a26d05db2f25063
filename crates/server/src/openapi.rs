//! The OpenAPI document served at `/openapi.json`, generated from the handlers' annotations
//! and the wire types, so it cannot drift from the code.

use axum::response::IntoResponse;
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
        admin::record_payment,
        handlers::price_book,
        handlers::healthz,
        handlers::metrics,
        openapi,
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

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, description = "This OpenAPI document", body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    axum::Json(document())
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
/// checks use. Those of request bodies are read from the JSON Schema attributes of the wire
/// types ([`edgecost_api::export::body_bounds`]); those of parameters and headers are stated
/// here. (utoipa's `minimum`/`maximum` attributes take only literals, which would state each
/// bound a second time.)
fn declare_bounds(doc: &mut Value) {
    use edgecost_api::{MAX_IDEMPOTENCY_KEY_CHARS, MAX_INVOICE_PAGE, MAX_PACKS_PER_PURCHASE, MAX_USAGE_LOG_PAGE, USAGE_LOG_ID_HEX_DIGITS};
    for (schema, properties) in edgecost_api::export::body_bounds() {
        let Value::Object(properties) = properties else { unreachable!("body bounds are objects by property") };
        for (property, bounds) in properties {
            bound(at(doc, &["components", "schemas", &schema, "properties", &property]), bounds);
        }
    }

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
    for method in ["put", "delete"] {
        let key = json!({"minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_CHARS, "pattern": "^[!-~]+$"});
        bound(parameter_schema(doc, "/v1/account/webhooks", method, "Idempotency-Key"), key);
    }
    // Cursors are record ids as the account sees them.
    let cursor = json!({"pattern": format!("^[0-9a-f]{{{USAGE_LOG_ID_HEX_DIGITS}}}$")});
    bound(parameter_schema(doc, "/v1/account/usage/log", "get", "cursor"), cursor);
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

/// Adds the keywords of `bounds` to `schema`; the bounds of a list's items (under `"items"`)
/// go into the schema of its items.
fn bound(schema: &mut Value, bounds: Value) {
    let schema = schema.as_object_mut().expect("a schema is an object");
    let Value::Object(bounds) = bounds else { unreachable!("bounds are written as objects") };
    for (keyword, value) in bounds {
        match schema.get_mut(&keyword) {
            Some(inner @ Value::Object(_)) if value.is_object() => bound(inner, value),
            _ => {
                schema.insert(keyword, value);
            }
        }
    }
}
