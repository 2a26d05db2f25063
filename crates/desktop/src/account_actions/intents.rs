//! Money actions in flight: each confirmation's key, so a repeated click or a retry after a
//! lost answer is the same change, made once.

use super::*;

/// The settled answer of one intent.
#[derive(Clone, Debug)]
pub(super) enum Settled {
    Upgraded(TierChange),
    Bought(CreditPurchase),
}

type IntentCell = Arc<tokio::sync::Mutex<Option<Settled>>>;

/// The intents of this app run: one record per opened sheet, so a double click or a retry
/// of the same confirmation never acts twice.
#[derive(Default)]
pub struct Intents {
    cells: std::sync::Mutex<VecDeque<(String, IntentCell)>>,
}

impl Intents {
    pub fn new() -> Intents {
        Intents::default()
    }

    /// The record of `key`, made on first use.
    fn cell(&self, key: &str) -> IntentCell {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, cell)) = cells.iter().find(|(k, _)| k == key) {
            return cell.clone();
        }
        if cells.len() >= INTENTS_MAX {
            cells.pop_front();
        }
        let cell: IntentCell = Arc::default();
        cells.push_back((key.to_owned(), cell.clone()));
        cell
    }

    /// Upgrades to `tier` once for `key`, sending `key` as the idempotency key: a repeat of
    /// `key` (a double click, a retry after a lost answer, a fresh app run) returns the first
    /// change, and the engine never changes the tier twice for it. An account another window
    /// or device already moved to `tier` counts as done.
    pub async fn upgrade(&self, client: &Client, key: &str, tier: &str) -> Result<TierChange, ActionFailure> {
        let cell = self.cell(key);
        let mut settled = cell.lock().await;
        if let Some(Settled::Upgraded(change)) = &*settled {
            return Ok(change.clone());
        }
        let change = match client.change_tier(tier, key).await {
            Ok(change) => change,
            Err(ClientError::Rejected { code, .. }) if code == "tier_unchanged" => {
                let account = client.account().await.map_err(|e| ActionFailure::of(Action::Upgrade, &e))?;
                already_on(&account.tier, account.period.start, tier)
            }
            Err(e) => return Err(ActionFailure::of(Action::Upgrade, &e)),
        };
        *settled = Some(Settled::Upgraded(change.clone()));
        Ok(change)
    }

    /// Buys `packs` packs once for `key`, sending `key` as the idempotency key so the engine
    /// also answers any repeat with the first purchase.
    pub async fn buy(&self, client: &Client, key: &str, packs: u32) -> Result<CreditPurchase, ActionFailure> {
        let cell = self.cell(key);
        let mut settled = cell.lock().await;
        if let Some(Settled::Bought(purchase)) = &*settled {
            return Ok(purchase.clone());
        }
        let purchase = client.buy_credits(packs, key).await.map_err(|e| ActionFailure::of(Action::Purchase, &e))?;
        *settled = Some(Settled::Bought(purchase.clone()));
        Ok(purchase)
    }
}
