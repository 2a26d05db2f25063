//! Closed periods become invoices: once a period's grace hour has passed (no late record can
//! change it any more), its final bill is frozen into an immutable invoice, numbered per
//! account in period order. Periods are closed when an account's invoices are read, by
//! whichever replica reads first; the store issues each period exactly once.
//!
//! Payments the operator's payment processor received are recorded against an issued invoice
//! as rows of their own (the invoice itself never changes); an invoice's paid amount, paid
//! time and status are worked out from them whenever it is read.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use edgecost_api::{
    DEFAULT_INVOICE_PAGE, Invoice, InvoiceCredit, InvoicePage, InvoicePayment, InvoiceQuery, InvoiceStatus, MAX_INVOICE_PAGE,
    MAX_PAYMENT_REFERENCE_CHARS, PaymentRequest, RecordedPayment,
};
use edgecost_pricing::Decimal;
use edgecost_pricing::format::money_in;

use crate::engine::{AccountId, Engine};
use crate::error::{EngineError, Result};
use crate::ledger::{self, KIND_PURCHASE};
use crate::period::{Period, from_unix};
use crate::store::invoices::{PaymentRow, stored_invoice};
use crate::store::{InvoiceRow, NewInvoice};
use crate::token;
use crate::validate::LATE_RECORD_GRACE_SECONDS;

/// The largest payment, in cents, the engine takes: far above any invoice, and exact in i64.
const PAYMENT_CENTS_MAX: i64 = 1_000_000_000_000_000;

/// A payment recorded by [`Engine::record_payment`], or the first one recorded with its
/// reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentOutcome {
    /// The payment and the invoice as it stands with it.
    pub recorded: RecordedPayment,
    /// The reference was recorded before: nothing changed, and `recorded` holds the first
    /// payment.
    pub replayed: bool,
}

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
        let payments = match (rows.last(), rows.first()) {
            (Some(oldest), Some(newest)) => self.store.payments(&account.0, oldest.number, newest.number).await?,
            _ => Vec::new(),
        };
        let invoices = rows.iter().map(|r| Ok(served(r, &payments)?.summary())).collect::<Result<_>>()?;
        Ok(InvoicePage { invoices, next_cursor })
    }

    /// One invoice of the account; another account's id answers as one that does not exist.
    pub async fn invoice(&self, account: &AccountId, id: &str, now: DateTime<Utc>) -> Result<Invoice> {
        self.close_periods(account, now).await?;
        let row = self.store.invoice(&account.0, id).await?.ok_or(EngineError::NotFound)?;
        let payments = self.store.payments(&account.0, row.number, row.number).await?;
        served(&row, &payments)
    }

    /// Records a payment the operator's payment processor received for the invoice `invoice`
    /// (its id, `inv_...`, or its number, `INV-00003` or `3`) of the account `account_id`, in
    /// one transaction. The amount is in the invoice's currency, whole cents, above zero and at
    /// most what is still due. The same reference recorded again for the invoice changes
    /// nothing and answers the first payment (refused when the amount differs). Periods whose
    /// grace hour has passed are closed into invoices first, so a number can name one just due.
    pub async fn record_payment(
        &self,
        account_id: &str,
        invoice: &str,
        request: &PaymentRequest,
        now: DateTime<Utc>,
    ) -> Result<PaymentOutcome> {
        let not_found = || EngineError::InvoiceNotFound { account_id: account_id.to_owned(), invoice: invoice.to_owned() };
        let reference = payment_reference(&request.reference)?;
        let cents = payment_cents(request.amount)?;
        let now = from_unix(now.timestamp());
        let received_at = request.received_at.map_or(now, |t| from_unix(t.timestamp()));
        if received_at > now {
            return Err(EngineError::InvalidPayment { reason: format!("received_at {received_at} is in the future") });
        }
        let account = AccountId(account_id.to_owned());
        if self.store.account(account_id).await?.is_none() {
            return Err(not_found());
        }
        self.close_periods(&account, now).await?;
        let invoice_id = if invoice.starts_with("inv_") {
            invoice.to_owned()
        } else {
            let number = number_of(invoice).ok_or_else(not_found)?;
            self.store.invoice_id_by_number(account_id, number).await?.ok_or_else(not_found)?
        };
        let candidate = PaymentRow {
            id: token::random_id("pay_", 10),
            invoice_id: invoice_id.clone(),
            reference: reference.to_owned(),
            amount_cents: cents,
            received_at: received_at.timestamp(),
            recorded_at: now.timestamp(),
        };
        let currency = request.currency.as_deref().map(str::trim);
        let decide = |row: &InvoiceRow, payments: &[PaymentRow]| -> Result<Option<PaymentRow>> {
            let invoice = stored_invoice(&row.body)?;
            let number = invoice_number(row.number);
            let money = |cents: i64| money_in(ledger::from_cents(cents), &invoice.bill.currency);
            if let Some(first) = payments.iter().find(|p| p.reference == candidate.reference) {
                if first.amount_cents != cents {
                    return Err(EngineError::PaymentReferenceReused {
                        reference: first.reference.clone(),
                        invoice: number,
                        recorded: money(first.amount_cents),
                        amount: money(cents),
                    });
                }
                return Ok(None);
            }
            if let Some(currency) = currency.filter(|c| !c.eq_ignore_ascii_case(&invoice.bill.currency)) {
                return Err(EngineError::InvalidPayment {
                    reason: format!("invoice {number} is in {}, not {currency}", invoice.bill.currency),
                });
            }
            if received_at < invoice.period_end {
                return Err(EngineError::InvalidPayment {
                    reason: format!("received_at {received_at} is before the billed period ended ({})", invoice.period_end),
                });
            }
            let total = ledger::to_cents(invoice.total)?;
            let paid: i64 = payments.iter().map(|p| p.amount_cents).sum();
            if total <= 0 {
                return Err(EngineError::NothingDue { invoice: number, status: "paid by credit" });
            }
            if paid >= total {
                return Err(EngineError::NothingDue { invoice: number, status: "paid" });
            }
            if cents > total - paid {
                return Err(EngineError::PaymentExceedsDue { invoice: number, amount: money(cents), due: money(total - paid) });
            }
            Ok(Some(candidate.clone()))
        };
        let (row, payments) = self.store.record_payment(account_id, &invoice_id, &decide).await?.ok_or_else(not_found)?;
        let first = payments.iter().find(|p| p.reference == reference).ok_or_else(|| EngineError::CorruptRow {
            reason: format!("payment '{reference}' of invoice {invoice_id} missing after it was recorded"),
        })?;
        let invoice = served(&row, &payments)?;
        Ok(PaymentOutcome {
            replayed: first.id != candidate.id,
            recorded: RecordedPayment { payment: payment(first), invoice: invoice.summary() },
        })
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
                amount_paid: Decimal::ZERO,
                paid_at: None,
                bill: bill.into(),
                credits,
                status,
                payments: Vec::new(),
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

/// The invoice as served: its stored body with its number, and what `payments` (any of the
/// account's; those of this invoice count) paid of it.
fn served(row: &InvoiceRow, payments: &[PaymentRow]) -> Result<Invoice> {
    let mut invoice = stored_invoice(&row.body)?;
    invoice.number = invoice_number(row.number);
    let mut mine: Vec<&PaymentRow> = payments.iter().filter(|p| p.invoice_id == invoice.id).collect();
    mine.sort_by(|a, b| (a.received_at, a.recorded_at, &a.id).cmp(&(b.received_at, b.recorded_at, &b.id)));
    let paid: i64 = mine.iter().map(|p| p.amount_cents).sum();
    invoice.amount_paid = ledger::from_cents(paid);
    invoice.status = payment_status(invoice.total, invoice.amount_paid);
    invoice.paid_at = match invoice.status {
        InvoiceStatus::Paid => mine.iter().map(|p| p.received_at).max().map(from_unix),
        _ => None,
    };
    invoice.payments = mine.into_iter().map(payment).collect();
    Ok(invoice)
}

/// Where an invoice of `total` due stands once `paid` of it is paid.
fn payment_status(total: Decimal, paid: Decimal) -> InvoiceStatus {
    if total <= Decimal::ZERO {
        InvoiceStatus::PaidByCredit
    } else if paid >= total {
        InvoiceStatus::Paid
    } else if paid > Decimal::ZERO {
        InvoiceStatus::PartlyPaid
    } else {
        InvoiceStatus::Due
    }
}

/// A stored payment as the API shows it.
fn payment(row: &PaymentRow) -> InvoicePayment {
    InvoicePayment {
        id: row.id.clone(),
        invoice_id: row.invoice_id.clone(),
        amount: ledger::from_cents(row.amount_cents),
        reference: row.reference.clone(),
        received_at: from_unix(row.received_at),
        recorded_at: from_unix(row.recorded_at),
    }
}

/// A payment's reference: 1 to [`MAX_PAYMENT_REFERENCE_CHARS`] characters, not all
/// whitespace, without control characters.
fn payment_reference(reference: &str) -> Result<&str> {
    let chars = reference.chars().count();
    if chars == 0 || chars > MAX_PAYMENT_REFERENCE_CHARS || reference.trim().is_empty() || reference.chars().any(char::is_control) {
        return Err(EngineError::InvalidPayment {
            reason: format!("reference must be 1 to {MAX_PAYMENT_REFERENCE_CHARS} printable characters"),
        });
    }
    Ok(reference)
}

/// A payment's amount in cents: above zero and whole cents.
fn payment_cents(amount: Decimal) -> Result<i64> {
    if amount <= Decimal::ZERO {
        return Err(EngineError::InvalidPayment { reason: format!("amount must be above zero; got {amount}") });
    }
    if amount.normalize().scale() > 2 {
        return Err(EngineError::InvalidPayment { reason: format!("amount must be whole cents; got {amount}") });
    }
    amount
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|c| rust_decimal::prelude::ToPrimitive::to_i64(&c))
        .filter(|c| *c <= PAYMENT_CENTS_MAX)
        .ok_or_else(|| EngineError::InvalidPayment { reason: format!("amount {amount} is too large") })
}

/// The number `INV-00003`, `inv-3` or `3` names.
fn number_of(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.get(..4).filter(|p| p.eq_ignore_ascii_case("INV-")).map_or(text, |_| &text[4..]);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// `INV-00001` for the account's first invoice.
fn invoice_number(n: i64) -> String {
    format!("INV-{n:05}")
}
