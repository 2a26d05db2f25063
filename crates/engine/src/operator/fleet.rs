//! The fleet as the operator's report sees it: every account with its tier changes, usage,
//! invoices, ledger entries and notices, and each account's month as it was (or is being)
//! billed. Pure: built from stored rows, rated with the price book passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{Invoice, UsageTotals};
use edgecost_pricing::{BaseFeeShare, Decimal, PriceBook};

use crate::error::{EngineError, Result};
use crate::period::Period;
use crate::rating;
use crate::store::operator::{FleetLedgerRow, FleetNoticeRow, FleetRows};
use crate::store::{Counters, RegionCounters, TierChangeRow};

/// What a closed invoice says the account was billed for a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InvoicedMonth {
    pub tier: String,
    pub base_fee: Decimal,
    pub overage: Decimal,
    pub capped: bool,
}

/// One account and everything of it the report reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct FleetAccount {
    pub id: String,
    pub name: String,
    /// Oldest first; the first is the tier the account was created on.
    pub changes: Vec<TierChangeRow>,
    /// Usage per region, by period start.
    pub usage: BTreeMap<i64, Vec<RegionCounters>>,
    /// Issued invoices, by period start.
    pub invoices: BTreeMap<i64, InvoicedMonth>,
    /// Oldest first.
    pub ledger: Vec<FleetLedgerRow>,
    /// Oldest first.
    pub notices: Vec<FleetNoticeRow>,
}

/// Every account, in id order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fleet {
    pub accounts: Vec<FleetAccount>,
}

impl Fleet {
    /// Groups stored rows by account. Rows of an account the list does not hold are corrupt.
    pub fn from_rows(rows: FleetRows) -> Result<Fleet> {
        let mut accounts: BTreeMap<String, FleetAccount> =
            rows.accounts.into_iter().map(|a| (a.id.clone(), FleetAccount { id: a.id, name: a.name, ..FleetAccount::default() })).collect();
        let missing = |what: &str, id: &str| EngineError::CorruptRow { reason: format!("{what} of unknown account {id}") };
        for c in rows.changes {
            let a = accounts.get_mut(&c.account_id).ok_or_else(|| missing("a tier change", &c.account_id))?;
            a.changes.push(TierChangeRow::from(c));
        }
        for u in rows.usage {
            // Period usage is written by ingest for any account id a node names; only known
            // accounts are billed.
            let Some(a) = accounts.get_mut(&u.account_id) else { continue };
            a.usage.entry(u.period_start).or_default().push(RegionCounters {
                region: u.region,
                counters: Counters { requests: u.requests, compute_ms: u.compute_ms, egress_bytes: u.egress_bytes },
            });
        }
        for i in rows.invoices {
            let a = accounts.get_mut(&i.account_id).ok_or_else(|| missing("an invoice", &i.account_id))?;
            let invoice: Invoice = crate::store::invoices::stored_invoice(&i.body)?;
            a.invoices.insert(
                i.period_start,
                InvoicedMonth {
                    tier: invoice.tier,
                    base_fee: invoice.bill.base_fee,
                    overage: invoice.bill.overage_total,
                    capped: invoice.bill.capped,
                },
            );
        }
        for e in rows.ledger {
            accounts.get_mut(&e.account_id).ok_or_else(|| missing("a ledger entry", &e.account_id))?.ledger.push(e);
        }
        for n in rows.notices {
            accounts.get_mut(&n.account_id).ok_or_else(|| missing("a notice", &n.account_id))?.notices.push(n);
        }
        Ok(Fleet { accounts: accounts.into_values().collect() })
    }
}

/// One account's month as billed: from its invoice where one was issued, otherwise rated
/// from its usage as the final bill (or, for the open month, the bill to date) rates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AccountMonth {
    /// Index into [`Fleet::accounts`].
    pub account: usize,
    /// The tier at the month's end (or at `now` in the open month).
    pub tier: String,
    pub base_fee: Decimal,
    pub overage: Decimal,
    pub capped: bool,
}

impl AccountMonth {
    /// What the month costs the account before credit: base fees plus overage.
    pub fn revenue(&self) -> Decimal {
        self.base_fee + self.overage
    }
}

/// The instant a month is judged at: its last second, or `now` while it is open.
pub(crate) fn judged_at(period: &Period, now: DateTime<Utc>) -> DateTime<Utc> {
    (period.end - Duration::seconds(1)).min(now)
}

/// The usage a month is rated on: the totals (billable egress weighted by `book`), less what
/// a hard cap refused, and the base fee shares of the tiers in effect during it.
pub(crate) fn month_usage(
    book: &PriceBook,
    account: &FleetAccount,
    period: &Period,
    at: DateTime<Utc>,
) -> Result<(UsageTotals, Vec<BaseFeeShare>)> {
    let regions = account.usage.get(&period.start_unix()).map_or(&[][..], Vec::as_slice);
    let mut totals = rating::totals(book, regions)?;
    totals.refused_by_cap = rating::refused_in(&account.changes, period, at);
    Ok((totals, rating::base_fee_shares(&account.changes, period, at)))
}

/// The account's month; `None` when the account did not exist by then.
pub(crate) fn account_month(
    book: &PriceBook,
    fleet: &Fleet,
    index: usize,
    period: &Period,
    now: DateTime<Utc>,
) -> Result<Option<AccountMonth>> {
    let account = &fleet.accounts[index];
    if period.start > now {
        return Ok(None);
    }
    let at = judged_at(period, now);
    let Some(tier) = rating::tier_at(&account.changes, at) else { return Ok(None) };
    if let Some(invoiced) = account.invoices.get(&period.start_unix()) {
        return Ok(Some(AccountMonth {
            account: index,
            tier: invoiced.tier.clone(),
            base_fee: invoiced.base_fee,
            overage: invoiced.overage,
            capped: invoiced.capped,
        }));
    }
    let (totals, shares) = month_usage(book, account, period, at)?;
    let bill = book.rate_totals(tier, &totals.usage(), &period.rate_options(Decimal::ZERO, shares))?;
    Ok(Some(AccountMonth {
        account: index,
        tier: tier.to_owned(),
        base_fee: bill.base_fee,
        overage: bill.overage_total,
        capped: bill.capped,
    }))
}

/// Every existing account's month, by account index.
pub(crate) fn fleet_month(book: &PriceBook, fleet: &Fleet, period: &Period, now: DateTime<Utc>) -> Result<BTreeMap<usize, AccountMonth>> {
    let mut months = BTreeMap::new();
    for index in 0..fleet.accounts.len() {
        if let Some(m) = account_month(book, fleet, index, period, now)? {
            months.insert(index, m);
        }
    }
    Ok(months)
}

/// `2026-11` for the period starting Nov 1, 2026.
pub(crate) fn month_label(period: &Period) -> String {
    period.start.format("%Y-%m").to_string()
}

/// The period of a `YYYY-MM` label.
pub(crate) fn parse_month(text: &str) -> Option<Period> {
    let (y, m) = text.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let first = chrono::NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?.and_utc();
    Some(Period::containing(first))
}
