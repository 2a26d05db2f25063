//! The OpenAPI document served at `/openapi.json`, generated from the handlers' annotations
//! and the wire types, so it cannot drift from the code.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "edgecost billing engine",
        description = "Telemetry ingest from edge nodes and the account API: bill to date, usage, \
                       tiers, burst credits and quota notices. Every error is `{code, message}`."
    ),
    paths(
        handlers::ingest,
        handlers::account,
        handlers::bill,
        handlers::outlook,
        handlers::upgrade_quote,
        handlers::credits_quote,
        handlers::route_costs,
        handlers::usage,
        handlers::usage_log,
        handlers::change_tier,
        handlers::buy_credits,
        handlers::credits,
        handlers::notices,
        handlers::price_book,
        handlers::healthz,
        handlers::metrics,
        handlers::openapi,
    ),
    components(schemas(edgecost_api::Granularity, edgecost_api::UsageGrouping, edgecost_api::ErrorBody)),
    modifiers(&BearerSchemes),
)]
struct ApiDoc;

/// Declares the two kinds of bearer token the paths refer to.
struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("account_token", "An account token from `edgecost admin create-account`"),
            ("node_token", "An edge-node token from `edgecost admin create-node`"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build(),
                ),
            );
        }
    }
}

/// The OpenAPI document of the whole API.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
