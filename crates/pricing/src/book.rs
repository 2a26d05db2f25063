//! The price book: tiers, included quantities, overage rates, credit packs and region weights.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal;
use crate::error::PriceBookError;
use crate::meter::Meter;

/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The published tiers, embedded in every binary so pricing works offline.
const DEFAULT_BOOK_YAML: &str = include_str!("../price-books/default.yaml");

/// Quantities per meter; a missing meter means "no quota" (unlimited) on that tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeterQuantities {
    /// Requests a month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "decimal::included_requests")]
    #[schemars(schema_with = "decimal::quantity_opt_schema")]
    pub requests: Option<Decimal>,
    /// Billable egress in GB (10^9 bytes) a month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "decimal::included_egress_gb")]
    #[schemars(schema_with = "decimal::quantity_opt_schema")]
    pub egress_gb: Option<Decimal>,
    /// Compute seconds a month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "decimal::included_compute_seconds")]
    #[schemars(schema_with = "decimal::quantity_opt_schema")]
    pub compute_seconds: Option<Decimal>,
}

impl MeterQuantities {
    /// The quantity for one meter, in that meter's unit.
    pub fn get(&self, meter: Meter) -> Option<Decimal> {
        match meter {
            Meter::Requests => self.requests,
            Meter::Egress => self.egress_gb,
            Meter::Compute => self.compute_seconds,
        }
    }
}

/// The price of usage past the included quantity: `price` for every `per` units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverageRate {
    /// The price of one block of `per` units; may be a fraction of a cent.
    #[serde(deserialize_with = "decimal::rate_price")]
    #[schemars(schema_with = "decimal::money_schema")]
    pub price: Decimal,
    /// How many units of the meter's billing unit one `price` buys; quote it to keep every digit.
    #[serde(deserialize_with = "decimal::rate_per")]
    #[schemars(schema_with = "decimal::quantity_schema")]
    pub per: Decimal,
}

/// Overage rates per meter; a meter without a rate is never charged past its quota.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeterRates {
    /// The rate for requests past the quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<OverageRate>,
    /// The rate for billable egress past the quota, per GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_gb: Option<OverageRate>,
    /// The rate for compute past the quota, per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_seconds: Option<OverageRate>,
}

impl MeterRates {
    /// The overage rate for one meter.
    pub fn get(&self, meter: Meter) -> Option<&OverageRate> {
        match meter {
            Meter::Requests => self.requests.as_ref(),
            Meter::Egress => self.egress_gb.as_ref(),
            Meter::Compute => self.compute_seconds.as_ref(),
        }
    }

    fn is_empty(&self) -> bool {
        Meter::ALL.iter().all(|m| self.get(*m).is_none())
    }
}

/// One tier of the book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Tier {
    /// The tier's id, lower case: `sandbox`, `production`, ...
    pub name: String,
    /// The name shown to people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// One sentence on who the tier is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// The monthly base fee; absent only on a custom (negotiated) tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "money_opt")]
    #[schemars(schema_with = "decimal::money_schema")]
    pub base_fee: Option<Decimal>,
    /// Usage past a quota is capped (throttled), never billed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hard_cap: bool,
    /// What the base fee includes each month, per meter.
    #[serde(default)]
    pub included: MeterQuantities,
    /// What usage past the included quantities costs, per meter.
    #[serde(default, skip_serializing_if = "MeterRates::is_empty")]
    pub overage: MeterRates,
    /// Whether accounts on this tier may buy burst credit packs.
    #[serde(default, skip_serializing_if = "is_false")]
    pub credit_packs: bool,
    /// Pricing is negotiated per account.
    #[serde(default, skip_serializing_if = "is_false")]
    pub custom: bool,
    /// What the tier offers beyond its quotas, as ids (`sla`, `sso`); shown, never rated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// What the edge enforces and the engine keeps for accounts on this tier.
    #[serde(default, skip_serializing_if = "TierLimits::is_empty")]
    pub limits: TierLimits,
}

/// A tier's operating limits: a request rate the edge nodes enforce (requests past it are
/// answered 429 at the edge, never billed) and how long the engine keeps the account's usage
/// metrics. Absent means no rate limit and the engine's default retention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierLimits {
    /// Requests a second an account may send through the edge, across every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000_000))]
    pub requests_per_second: Option<u32>,
    /// Days the account's usage metrics (hourly usage and raw records) are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3_650))]
    pub metric_retention_days: Option<u32>,
}

impl TierLimits {
    fn is_empty(&self) -> bool {
        self.requests_per_second.is_none() && self.metric_retention_days.is_none()
    }

    fn check(&self, tier: &str) -> Result<(), String> {
        use crate::bounds::{METRIC_RETENTION_DAYS_MAX, RATE_LIMIT_RPS_MAX};
        if let Some(rps) = self.requests_per_second.filter(|r| *r == 0 || *r > RATE_LIMIT_RPS_MAX) {
            return Err(format!("tier '{tier}': requests_per_second {rps} is out of bounds (1 to {RATE_LIMIT_RPS_MAX})"));
        }
        if let Some(days) = self.metric_retention_days.filter(|d| *d == 0 || *d > METRIC_RETENTION_DAYS_MAX) {
            return Err(format!("tier '{tier}': metric_retention_days {days} is out of bounds (1 to {METRIC_RETENTION_DAYS_MAX})"));
        }
        Ok(())
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn money_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    decimal::money_cents(d).map(Some)
}

impl Tier {
    /// The name shown to people, falling back to the id.
    pub fn display_name(&self) -> &str {
        if self.label.is_empty() { &self.name } else { &self.label }
    }

    /// Whether the book holds enough to price this tier.
    pub fn is_rateable(&self) -> bool {
        self.base_fee.is_some()
    }

    fn check(&self) -> Result<(), String> {
        let name_ok =
            !self.name.is_empty() && self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !name_ok {
            return Err(format!("tier name '{}' must be lower-case letters, digits, '-' or '_'", self.name));
        }
        if self.base_fee.is_none() && !self.custom {
            return Err(format!("tier '{}': base_fee is missing (only a custom tier may leave it out)", self.name));
        }
        for meter in Meter::ALL {
            let key = meter.book_key();
            if self.overage.get(meter).is_some() {
                if self.hard_cap {
                    return Err(format!("tier '{}': a hard-capped tier cannot have an overage rate for {key}", self.name));
                }
            } else if self.included.get(meter).is_some() && !self.hard_cap && self.is_rateable() {
                return Err(format!(
                    "tier '{}': {key} has an included quantity but no overage rate; add one under overage or set hard_cap",
                    self.name
                ));
            }
        }
        if self.hard_cap && self.credit_packs {
            return Err(format!("tier '{}': a hard-capped tier cannot hold burst credit packs", self.name));
        }
        if self.limits.requests_per_second.is_some() && self.overage.requests.is_some() {
            // Requests past the limit that a node still serves are counted but must never be
            // billed: a tier that bills request overage cannot tell them apart.
            return Err(format!(
                "tier '{}': a request-rate limit is only for a tier that bills no request overage (hard-capped, or without an overage rate for requests)",
                self.name
            ));
        }
        self.limits.check(&self.name)
    }
}

impl<'de> Deserialize<'de> for Tier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tier = Tier::deserialize(d)?;
        tier.check().map_err(serde::de::Error::custom)?;
        Ok(tier)
    }
}

impl Serialize for Tier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Tier::serialize(self, s)
    }
}

/// A prepaid burst credit pack: pay `price`, receive `credit` to spend on overage.
///
/// Both are whole cents (the credit ledger stores cents), at most [`crate::bounds::MONEY_MAX`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditPack {
    /// What one pack costs, in the book's currency; quote it ("25.00") to keep it exact.
    #[serde(deserialize_with = "decimal::money_cents")]
    #[schemars(schema_with = "decimal::money_schema")]
    pub price: Decimal,
    /// The credit one pack adds to the balance, quoted like `price`.
    #[serde(deserialize_with = "decimal::money_cents")]
    #[schemars(schema_with = "decimal::money_schema")]
    pub credit: Decimal,
}

/// A whole price book. Build one with [`PriceBook::from_yaml_str`], [`PriceBook::load`] or
/// [`PriceBook::published`]; every constructor validates the whole book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PriceBook {
    /// Format version; this release reads version 1.
    pub version: u32,
    /// ISO 4217 currency of every amount in the book.
    pub currency: String,
    /// Tiers from the smallest to the largest; "the next tier" follows this order.
    pub tiers: Vec<Tier>,
    /// The one burst credit pack on sale, to tiers that take packs.
    pub credit_pack: CreditPack,
    /// Egress weight per region: billable egress = bytes served there x weight.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub regions: BTreeMap<String, RegionWeight>,
    /// What serving each meter costs the operator, for gross margin. Internal: the book
    /// accounts see ([`PriceBook::published_terms`]) leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infrastructure_cost: Option<InfrastructureCost>,
}

/// The operator's own cost of serving usage, per unit of each meter. A meter left out costs
/// nothing. Each price may be a fraction of a cent; a cost is rounded to the cent only where
/// it is summed for an account's month.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InfrastructureCost {
    /// Per compute second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub compute_second: Option<UnitCost>,
    /// Per 10,000 requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub requests_per_10k: Option<UnitCost>,
    /// Per GB (10^9 bytes actually served, not region-weighted) by region; `default` prices
    /// the regions not listed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub egress_gb: BTreeMap<String, UnitCost>,
}

/// One unit's infrastructure cost: an exact decimal amount, zero or more, at most the bound of
/// an overage rate's price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitCost(#[serde(deserialize_with = "decimal::rate_price")] pub Decimal);

impl InfrastructureCost {
    /// The cost of one GB served from `region`: its own price, else `default`'s, else none.
    pub fn egress_gb_in(&self, region: &str) -> Option<Decimal> {
        self.egress_gb.get(region).or_else(|| self.egress_gb.get("default")).map(|c| c.0)
    }
}

/// A region's egress weight, an exact decimal (1.0 for the reference regions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionWeight(#[serde(deserialize_with = "decimal::region_weight")] pub Decimal);

impl PriceBook {
    fn check(&self) -> Result<(), String> {
        if self.version != FORMAT_VERSION {
            return Err(format!("version {} is not supported; this release reads version {FORMAT_VERSION}", self.version));
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!("currency '{}' must be a three-letter code such as USD", self.currency));
        }
        if self.tiers.is_empty() {
            return Err("a price book needs at least one tier".into());
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            if self.tiers[..i].iter().any(|t| t.name == tier.name) {
                return Err(format!("tier '{}' is defined twice", tier.name));
            }
        }
        if self.credit_pack.price.is_zero() || self.credit_pack.credit.is_zero() {
            return Err("credit_pack price and credit must both be more than zero".into());
        }
        Ok(())
    }

    /// The published tiers (sandbox, production, scale, enterprise), parsed once.
    pub fn published() -> &'static PriceBook {
        static BOOK: OnceLock<PriceBook> = OnceLock::new();
        BOOK.get_or_init(|| {
            PriceBook::from_yaml_str(DEFAULT_BOOK_YAML, "<published price book>")
                .expect("the embedded price book is valid; a unit test checks it")
        })
    }

    /// The book as accounts see it: the same terms without the operator's infrastructure cost.
    pub fn published_terms(&self) -> PriceBook {
        PriceBook { infrastructure_cost: None, ..self.clone() }
    }

    /// The YAML text of the published book, as shipped.
    pub fn published_yaml() -> &'static str {
        DEFAULT_BOOK_YAML
    }

    /// Parses and validates a YAML book; `file` names it in errors.
    pub fn from_yaml_str(text: &str, file: &str) -> Result<PriceBook, PriceBookError> {
        serde_yaml_ng::from_str(text).map_err(|e| yaml_error(&e, text, file))
    }

    /// Parses and validates a JSON book; `file` names it in errors.
    pub fn from_json_str(text: &str, file: &str) -> Result<PriceBook, PriceBookError> {
        serde_json::from_str(text).map_err(|e| PriceBookError::Malformed {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        })
    }

    /// Reads a book from a file: JSON when the name ends in `.json`, YAML otherwise.
    pub fn load(path: &Path) -> Result<PriceBook, PriceBookError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PriceBookError::Read { file: file.clone(), source })?;
        let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json { Self::from_json_str(&text, &file) } else { Self::from_yaml_str(&text, &file) }
    }

    /// The book as YAML text.
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).expect("a price book always serializes")
    }

    /// The book as pretty-printed JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a price book always serializes")
    }

    /// A tier by id.
    pub fn tier(&self, name: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.name == name)
    }

    /// The tier after `name` in the book's order that can be priced, if any.
    pub fn next_tier(&self, name: &str) -> Option<&Tier> {
        let at = self.tiers.iter().position(|t| t.name == name)?;
        self.tiers[at + 1..].iter().find(|t| t.is_rateable())
    }

    /// Tier ids, comma separated, for messages.
    pub fn tier_names(&self) -> String {
        self.tiers.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// A region's egress weight; `None` for a region the book does not know.
    pub fn region_weight(&self, region: &str) -> Option<Decimal> {
        self.regions.get(region).map(|w| w.0)
    }

    /// The JSON Schema of the price book format.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(PriceBook)).expect("schema serializes")
    }
}

impl<'de> Deserialize<'de> for PriceBook {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let book = PriceBook::deserialize(d)?;
        book.check().map_err(serde::de::Error::custom)?;
        Ok(book)
    }
}

impl Serialize for PriceBook {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PriceBook::serialize(self, s)
    }
}

fn yaml_error(e: &serde_yaml_ng::Error, source: &str, file: &str) -> PriceBookError {
    let text = e.to_string();
    // The parser appends its own " at line L column C"; the location goes in our fields.
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    // A rule that spans a whole tier is reported by the parser at the start of the list;
    // point at the tier's own `name:` line instead.
    let tier_at =
        message.split("tier '").nth(1).and_then(|rest| rest.split('\'').next()).and_then(|name| find_key_line(source, "name", name));
    match (tier_at, e.location()) {
        (Some((line, column)), _) => PriceBookError::Malformed { file: file.to_owned(), line, column, message },
        (None, Some(at)) => PriceBookError::Malformed { file: file.to_owned(), line: at.line(), column: at.column(), message },
        (None, None) => PriceBookError::Invalid { file: file.to_owned(), message },
    }
}

/// The 1-based line and column of `key: value` in YAML text.
fn find_key_line(source: &str, key: &str, value: &str) -> Option<(usize, usize)> {
    source.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let rest = trimmed.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let v = rest.trim().trim_matches(|c| c == '"' || c == '\'');
        (v == value).then(|| (i + 1, line.len() - trimmed.len() + 1))
    })
}
