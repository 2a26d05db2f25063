//! The published JSON Schema of the price book stays in step with the code.

use edgecost_pricing::PriceBook;

#[test]
fn published_schema_file_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/price-book.schema.json");
    let fresh = serde_json::to_string_pretty(&PriceBook::json_schema()).unwrap() + "\n";
    if std::env::var_os("EDGECOST_CODEGEN").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == fresh, "schemas/price-book.schema.json is stale; run `make codegen` and commit");
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let required = schema["required"].as_array().unwrap();
    for field in ["version", "currency", "tiers", "credit_pack"] {
        assert!(required.iter().any(|r| r == field), "{field} should be required");
    }
}
