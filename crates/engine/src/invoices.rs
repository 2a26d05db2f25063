//! Closed periods become invoices: once a period's grace hour has passed (no late record can
//! change it any more), its final bill is frozen into an immutable invoice, numbered per
//! account in period order. Periods are closed when an account's invoices are read, by
//! whichever replica reads first; the store issues each period exactly once.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{DEFAULT_INVOICE_PAGE, Invoice, InvoiceCredit, InvoicePage, InvoiceQuery, InvoiceStatus, MAX_INVOICE_PAGE};
use edgecost_pricing::Decimal;

use crate::engine::{AccountId, Engine};
use crate::error::{EngineError, Result};
use crate::ledger::{self, KIND_PURCHASE};
use crate::period::{Period, from_unix};
use crate::store::{InvoiceRow, NewInvoice};
use crate::token;
use crate::validate::LATE_RECORD_GRACE_SECONDS;

impl Engine {
    /// The account's invoices, newest first, one page at a time. Periods whose grace hour has
    /// passed are closed into invoices first.
    pub async fn invoices(&self, account: &AccountId, q: &InvoiceQuery, now: DateTime<Utc>) -> Result<InvoicePage> {
        let limit = q.limit.unwrap_or(DEFAULT_INVOICE_PAGE).clamp(1, MAX_INVOICE_PAGE);
        let before = match &q.cursor {
            None => None,
            Some(c) => Some(c.parse::<i64>().ok().filter(|n| *n > 0).ok_or(EngineError::InvalidCursor)?),
        };
        self.close_periods(account, now).await?;
        let mut rows = self.store.invoices(&account.0, before, i64::from(limit) + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| r.number.to_string()) } else { None };
        let invoices = rows.iter().map(|r| Ok(served(r)?.summary())).collect::<Result<_>>()?;
        Ok(InvoicePage { invoices, next_cursor })
    }

    /// One invoice of the account; another account's id answers as one that does not exist.
    pub async fn invoice(&self, account: &AccountId, id: &str, now: DateTime<Utc>) -> Result<Invoice> {
        self.close_periods(account, now).await?;
        let row = self.store.invoice(&account.0, id).await?.ok_or(EngineError::NotFound)?;
        served(&row)
    }

    /// Issues an invoice for every period of the account that ended at least the grace hour
    /// before `now` and has none yet.
    async fn close_periods(&self, account: &AccountId, now: DateTime<Utc>) -> Result<()> {
        let changes = self.store.tier_changes(&account.0).await?;
        let Some(first) = changes.first() else { return Err(EngineError::NotFound) };
        let closed_before = now - Duration::seconds(LATE_RECORD_GRACE_SECONDS);
        let issued = self.store.invoiced_periods(&account.0).await?;
        let mut due = Vec::new();
        let mut period = Period::containing(from_unix(first.effective_at));
        while period.end <= closed_before {
            if !issued.contains(&period.start_unix()) {
                due.push(period);
            }
            period = period.next();
        }
        if due.is_empty() {
            return Ok(());
        }
        let current = self.period_state(account, now).await?;
        let entries = self.store.ledger(&account.0).await?;
        let issued_at = now.timestamp();
        let mut invoices = Vec::with_capacity(due.len());
        for period in due {
            let state = self.closed_period_state(account, &current, period).await?;
            let paid_cents = ledger::paid_for_period(&entries, period.start_unix());
            let bill = self.rate(&state.tier, &state.totals, paid_cents, &state)?;
            let mut by_pack: BTreeMap<String, i64> = BTreeMap::new();
            for e in entries.iter().filter(|e| e.kind != KIND_PURCHASE && e.period_start == Some(period.start_unix())) {
                if let Some(pack) = &e.pack_id {
                    *by_pack.entry(pack.clone()).or_default() -= e.amount_cents;
                }
            }
            let mut credits: Vec<InvoiceCredit> = by_pack
                .into_iter()
                .filter(|(_, cents)| *cents != 0)
                .map(|(pack_id, cents)| InvoiceCredit { pack_id, amount: ledger::from_cents(cents) })
                .collect();
            credits.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.pack_id.cmp(&b.pack_id)));
            let status = if bill.total > Decimal::ZERO { InvoiceStatus::Due } else { InvoiceStatus::PaidByCredit };
            let invoice = Invoice {
                id: token::random_id("inv_", 10),
                number: String::new(),
                period_start: period.start,
                period_end: period.end,
                tier: state.tier.clone(),
                totals: state.totals.clone(),
                cost: bill.cost(),
                paid_by_credit: bill.credits_applied,
                total: bill.total,
                bill: bill.into(),
                credits,
                status,
                issued_at: from_unix(issued_at),
            };
            invoices.push(NewInvoice {
                id: invoice.id.clone(),
                period_start: period.start_unix(),
                body: serde_json::to_string(&invoice).expect("an invoice serializes"),
                issued_at,
            });
        }
        self.store.issue_invoices(&account.0, &invoices).await
    }
}

/// The invoice as served: its stored body with its number.
fn served(row: &InvoiceRow) -> Result<Invoice> {
    let mut invoice: Invoice =
        serde_json::from_str(&row.body).map_err(|e| EngineError::CorruptRow { reason: format!("stored invoice: {e}") })?;
    invoice.number = invoice_number(row.number);
    Ok(invoice)
}

/// `INV-00001` for the account's first invoice.
fn invoice_number(n: i64) -> String {
    format!("INV-{n:05}")
}
