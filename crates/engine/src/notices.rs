//! Quota notices: what the account has crossed this period and what it is offered.

use chrono::{DateTime, Utc};
use edgecost_api::{CreditPackOffer, Notice, NoticeList, NoticeOffer, UpgradeOffer};
use edgecost_pricing::format::{money_in, quantity};
use edgecost_pricing::{Decimal, Meter, packs_to_cover};

use crate::error::{EngineError, Result};
use crate::period::from_unix;

use crate::engine::{AccountId, Engine};
use crate::rating::PeriodState;

impl Engine {
    /// The account's open notices for the current period.
    pub async fn notices(&self, account: &AccountId, now: DateTime<Utc>) -> Result<NoticeList> {
        let s = self.period_state(account, now).await?;
        Ok(NoticeList { notices: self.notices_of(account, &s, now).await? })
    }

    pub(crate) async fn notices_of(&self, account: &AccountId, s: &PeriodState, now: DateTime<Utc>) -> Result<Vec<Notice>> {
        let rows = self.store.open_notices(&account.0, s.period.start_unix()).await?;
        let rows: Vec<_> = rows.into_iter().filter(|r| r.tier == s.tier).collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let (basis, projected_totals) = self.projection(account, s, now).await?;
        let (tiers, _) = self.tier_quotes(account, s, &projected_totals, now).await?;
        let current = tiers
            .iter()
            .find(|t| t.current)
            .ok_or_else(|| EngineError::CorruptRow { reason: format!("tier {} cannot be rated", s.tier) })?;
        let projected = current.projected.clone();
        let upgrade = tiers.iter().find(|t| t.offered).map(|t| UpgradeOffer {
            tier: t.tier.clone(),
            saving: current.projected_cost - t.projected_cost,
            projected_bill: t.projected_cost,
            recommended: t.recommended,
        });
        // Packs prepay overage; they are offered only on a projection with a day of usage
        // behind it, so a rough guess never suggests spending money.
        let uncovered = projected.overage_total - projected.credits_applied;
        let takes_packs = self.book.tier(&s.tier).is_some_and(|t| t.credit_packs);
        let credit_packs = (takes_packs && uncovered > Decimal::ZERO && !basis.short_history).then(|| {
            let packs = packs_to_cover(uncovered, self.book.credit_pack.credit);
            CreditPackOffer { packs, price: self.book.credit_pack.price * Decimal::from(packs), projected_overage: uncovered }
        });
        let tier = self.book.tier(&s.tier).expect("the current tier is in the book");
        rows.into_iter()
            .map(|r| {
                let meter = Meter::ALL
                    .into_iter()
                    .find(|m| m.id() == r.meter)
                    .ok_or_else(|| EngineError::CorruptRow { reason: format!("notice meter {}", r.meter) })?;
                let reached_on = from_unix(r.reached_at).date_naive();
                let included = tier.included.get(meter).unwrap_or_default();
                let message = format!(
                    "{} reached {}% of the {} {} included on {} on {}; {} days left, projected to cost {} this period.",
                    meter.label(),
                    r.threshold_percent,
                    quantity(included),
                    meter.unit(),
                    tier.display_name(),
                    reached_on.format("%b %-d"),
                    s.period.days_left(now),
                    money_in(current.projected_cost, &self.book.currency)
                );
                Ok(Notice {
                    id: r.id,
                    meter: meter.into(),
                    threshold_percent: r.threshold_percent as u32,
                    tier: r.tier,
                    reached_on,
                    days_left: s.period.days_left(now),
                    projected_bill: current.projected_cost,
                    offer: NoticeOffer { upgrade: upgrade.clone(), credit_packs: credit_packs.clone() },
                    message,
                })
            })
            .collect()
    }
}
