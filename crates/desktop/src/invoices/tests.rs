use super::pdf::{win_ansi, wrap};
use super::*;
use edgecost_api::{InvoiceCredit, InvoicePayment, UsageTotals};
use edgecost_pricing::format::money;
use edgecost_pricing::{RateOptions, Usage};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A production invoice for Nov 2026 with overage, partly paid by one pack.
fn invoice() -> Invoice {
    let book = PriceBook::published();
    let usage = Usage { requests: d("350000"), egress_bytes: d("60000000000"), compute_seconds: d("0") };
    let bill = book.rate("production", &usage, &RateOptions { credit_balance: d("1.50"), ..RateOptions::default() }).unwrap();
    let start: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
    Invoice {
        id: "inv_abc".into(),
        number: "INV-00003".into(),
        period_start: start,
        period_end: "2026-12-01T00:00:00Z".parse().unwrap(),
        tier: "production".into(),
        totals: UsageTotals {
            requests: 350_000,
            egress_bytes: 60_000_000_000,
            billable_egress_bytes: d("60000000000"),
            compute_ms: 0,
            ..Default::default()
        },
        cost: bill.cost(),
        paid_by_credit: bill.credits_applied,
        total: bill.total,
        credits: vec![InvoiceCredit { pack_id: "led_1".into(), amount: bill.credits_applied }],
        bill: bill.into(),
        amount_paid: Decimal::ZERO,
        paid_at: None,
        status: InvoiceStatus::Due,
        payments: Vec::new(),
        issued_at: "2026-12-01T01:00:05Z".parse().unwrap(),
    }
}

fn detail() -> InvoiceDetailView {
    let packs = BTreeMap::from([("led_1".to_owned(), "Pack 1".to_owned())]);
    invoice_detail(PriceBook::published(), &invoice(), &packs)
}

#[test]
fn the_detail_lists_base_fee_overage_credit_and_total_as_the_engine_billed() {
    let v = detail();
    let inv = invoice();
    assert_eq!(v.row.period, "Nov 2026");
    assert_eq!(v.row.tier, "Production");
    assert_eq!(v.lines.first().unwrap().kind, "base_fee");
    assert_eq!(v.lines.first().unwrap().amount, money(inv.bill.base_fee));
    assert_eq!((v.lines[0].quantity.as_str(), v.lines[0].unit.as_str()), ("1", "period"));
    let overage: Vec<_> = v.lines.iter().filter(|l| l.kind == "overage").collect();
    assert_eq!(overage.len(), inv.bill.lines.len());
    let requests = overage.iter().find(|l| l.description == "Requests overage").unwrap();
    assert_eq!(requests.quantity, "150,000");
    assert!(requests.rate.contains(" per "), "{}", requests.rate);
    let credit = v.lines.iter().find(|l| l.kind == "credit").unwrap();
    assert_eq!(credit.description, "Burst credit applied (Pack 1)");
    assert_eq!(credit.amount, "-$1.50");
    let total = v.lines.last().unwrap();
    assert_eq!((total.kind.as_str(), total.amount.clone()), ("total", money(inv.total)));
    assert_eq!(v.row.total, "$24.00");
}

#[test]
fn an_invoice_from_a_euro_book_shows_euros_and_exports_plain_numbers() {
    let mut book = PriceBook::published().clone();
    book.currency = "EUR".into();
    let mut inv = invoice();
    inv.bill.currency = "EUR".into();
    let packs = BTreeMap::from([("led_1".to_owned(), "Pack 1".to_owned())]);
    let v = invoice_detail(&book, &inv, &packs);
    assert_eq!(v.row.total, "€24.00");
    assert_eq!(v.lines.first().unwrap().amount, "€19.00");
    assert_eq!(v.lines.iter().find(|l| l.kind == "credit").unwrap().amount, "-€1.50");
    assert!(v.lines.iter().all(|l| !l.amount.contains('$') && !l.rate.contains('$')), "{:?}", v.lines);
    let text = invoice_csv(&v).unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()).collect();
    assert_eq!(&rows[rows.len() - 1][12], "24.00");
    assert_eq!(&rows[rows.len() - 2][12], "-1.50");
    assert!(rows.iter().all(|r| &r[3] == "EUR"), "every row names the currency");
}

#[test]
fn a_partial_period_is_labelled_with_its_days() {
    let start = "2026-08-14T10:00:00Z".parse().unwrap();
    let end = "2026-09-01T00:00:00Z".parse().unwrap();
    assert_eq!(period_label(start, end), "Aug 14 - Aug 31, 2026");
}

#[test]
fn the_csv_has_one_row_per_line_with_plain_amounts() {
    let v = detail();
    let text = invoice_csv(&v).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), INVOICE_CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), v.lines.len());
    assert!(rows.iter().all(|r| &r[0] == "INV-00003" && &r[1] == "2026-11-01T00:00:00Z"));
    assert_eq!(&rows[rows.len() - 1][12], "24.00");
    assert_eq!(&rows[rows.len() - 2][12], "-1.50");
    assert!(text.ends_with("\r\n"));
}

/// A spreadsheet reads every figure as a number and recomputes each line from the row alone:
/// a meter line's amount is its overage x rate_price / rate_per, the base fee's quantity x
/// rate_price / rate_per; egress keeps every digit the engine billed.
#[test]
fn the_csv_carries_exact_figures_a_spreadsheet_recomputes_the_amounts_from() {
    let book = PriceBook::published();
    let mut inv = invoice();
    let usage = Usage { requests: d("350000"), egress_bytes: d("60123456789"), compute_seconds: d("0") };
    let bill = book.rate("production", &usage, &RateOptions::default()).unwrap();
    (inv.cost, inv.paid_by_credit, inv.total, inv.credits) = (bill.cost(), bill.credits_applied, bill.total, Vec::new());
    inv.bill = bill.into();
    let text = invoice_csv(&invoice_detail(book, &inv, &BTreeMap::new())).unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()).collect();
    let row = |description: &str| rows.iter().find(|r| &r[5] == description).unwrap_or_else(|| panic!("{description}: {text}")).clone();
    let egress = row("Egress overage");
    let figures: Vec<&str> = [6, 7, 8, 9, 10, 11, 12].iter().map(|&i| &egress[i]).collect();
    assert_eq!(figures, ["60.123456789", "50", "10.123456789", "GB", "0.05", "1", "0.51"]);
    let requests = row("Requests overage");
    assert_eq!([&requests[6], &requests[7], &requests[8], &requests[10], &requests[11]], ["350000", "200000", "150000", "0.40", "10000"]);
    // Every priced line (compute is not priced on production: no rate, no figures to apply).
    for r in rows.iter().filter(|r| !r[10].is_empty()) {
        let billed = if &r[4] == "overage" { d(&r[8]) } else { d(&r[6]) };
        let exact = billed * d(&r[10]) / d(&r[11]);
        assert_eq!(exact.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero), d(&r[12]), "{r:?}");
    }
    let total = rows.last().unwrap();
    assert_eq!((&total[4], &total[3], &total[12]), ("total", "USD", "25.51"));
}

#[test]
fn the_pdf_is_a_pdf_whose_text_holds_the_number_lines_and_total() {
    let bytes = invoice_pdf(&detail(), "Demo storefront");
    assert!(bytes.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&bytes);
    for needle in ["(Invoice INV-00003)", "/Helvetica", "($24.00)", "(Total due)"] {
        assert!(raw.contains(needle), "{needle} missing");
    }
    // Where poppler is installed, read the text back as a person's PDF viewer would.
    let Ok(out) = std::process::Command::new("pdftotext").arg("-v").output() else { return };
    if !out.status.success() && out.stderr.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    // `EDGECOST_SHOTS=DIR` keeps a copy to look at.
    if let Some(shots) = std::env::var_os("EDGECOST_SHOTS") {
        std::fs::write(std::path::Path::new(&shots).join("invoice.pdf"), &bytes).unwrap();
    }
    std::fs::write(&path, &bytes).unwrap();
    let text = std::process::Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().unwrap();
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8(text.stdout).unwrap();
    for needle in [
        "Invoice INV-00003",
        "Period: Nov 2026 (Nov 1 - Nov 30, 2026, UTC)",
        "Requests overage",
        "150,000",
        "Total due",
        "$24.00",
        "Pack 1",
    ] {
        assert!(text.contains(needle), "{needle} not in the PDF text:\n{text}");
    }
}

#[test]
fn long_explanations_wrap_and_unknown_characters_stay_visible() {
    assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
    assert_eq!(win_ansi("€1 – ✓"), vec![0x80, b'1', b' ', 0x96, b' ', b'?']);
}

#[test]
fn the_empty_list_says_when_the_first_invoice_comes() {
    let file = InvoiceCacheFile::default();
    let end = "2027-01-01T00:00:00Z".parse().unwrap();
    let v = list_view(PriceBook::published(), &file, Some(end), None);
    assert_eq!(v.empty_note, "No invoices yet: the first one is issued when this period ends (Jan 1, 01:00 UTC)");
}

/// The invoice of [`invoice`] with payments of `amounts`, each received a day after the last,
/// from Dec 2 2026 at 14:00.
fn paid(amounts: &[&str]) -> Invoice {
    let mut inv = invoice();
    let start: DateTime<Utc> = "2026-12-02T14:00:00Z".parse().unwrap();
    inv.payments = amounts
        .iter()
        .enumerate()
        .map(|(n, amount)| InvoicePayment {
            id: format!("pay_{n}"),
            invoice_id: inv.id.clone(),
            amount: d(amount),
            reference: format!("ch_{n}"),
            received_at: start + Duration::days(n as i64),
            recorded_at: start + Duration::days(n as i64),
        })
        .collect();
    inv.amount_paid = inv.payments.iter().map(|p| p.amount).sum();
    inv.status = if inv.amount_paid >= inv.total {
        InvoiceStatus::Paid
    } else if inv.amount_paid > Decimal::ZERO {
        InvoiceStatus::PartlyPaid
    } else {
        InvoiceStatus::Due
    };
    if inv.status == InvoiceStatus::Paid {
        inv.paid_at = inv.payments.last().map(|p| p.received_at);
    }
    inv
}

#[test]
fn the_list_says_whether_each_invoice_is_paid_partly_paid_or_due() {
    let book = PriceBook::published();
    let row = |inv: &Invoice| invoice_row(book, &inv.summary());
    let due = row(&invoice());
    assert_eq!(
        (due.status.as_str(), due.status_label.as_str(), due.amount_paid.as_str(), due.paid_at.as_str()),
        ("due", "Due", "$0.00", "")
    );
    let part = row(&paid(&["20.00"]));
    assert_eq!((part.status.as_str(), part.status_label.as_str()), ("partly_paid", "Partly paid ($20.00 of $24.00)"));
    assert_eq!(part.amount_paid, "$20.00");
    let whole = row(&paid(&["20.00", "4.00"]));
    assert_eq!((whole.status.as_str(), whole.status_label.as_str()), ("paid", "Paid Dec 3"));
    assert_eq!((whole.amount_paid.as_str(), whole.paid_at.as_str()), ("$24.00", "2026-12-03T14:00:00Z"));
    let mut credit = invoice();
    credit.total = Decimal::ZERO;
    credit.status = InvoiceStatus::PaidByCredit;
    assert_eq!(row(&credit).status_label, "Paid by credit");
    // The list view shows the rows as the cache holds them.
    let file = InvoiceCacheFile { invoices: vec![paid(&["20.00", "4.00"]).summary(), invoice().summary()], ..InvoiceCacheFile::default() };
    let labels: Vec<String> = list_view(book, &file, None, None).rows.into_iter().map(|r| r.status_label).collect();
    assert_eq!(labels, ["Paid Dec 3", "Due"]);
}

#[test]
fn the_detail_and_its_exports_carry_the_status_and_the_payments() {
    let packs = BTreeMap::from([("led_1".to_owned(), "Pack 1".to_owned())]);
    let v = invoice_detail(PriceBook::published(), &paid(&["20.00", "4.00"]), &packs);
    assert_eq!(v.row.status_label, "Paid Dec 3");
    assert_eq!(
        v.payments,
        vec![
            InvoicePaymentView { received: "Dec 2, 2026".into(), reference: "ch_0".into(), amount: "$20.00".into() },
            InvoicePaymentView { received: "Dec 3, 2026".into(), reference: "ch_1".into(), amount: "$4.00".into() },
        ]
    );
    let text = invoice_csv(&v).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[14], "status");
    assert!(reader.records().all(|r| &r.unwrap()[14] == "Paid Dec 3, 2026"));
    let part = invoice_detail(PriceBook::published(), &paid(&["20.00"]), &packs);
    let text = invoice_csv(&part).unwrap();
    assert!(text.contains(",Partly paid ($20.00 of $24.00)\r\n"), "{text}");
    let raw = String::from_utf8_lossy(&invoice_pdf(&v, "Demo storefront")).into_owned();
    for needle in ["(Status: Paid Dec 3, 2026)", "(Payments: $24.00 paid of $24.00)", "(ch_0)", "(Received Dec 2, 2026)"] {
        assert!(raw.contains(needle), "{needle} missing");
    }
    let due = invoice_csv(&detail()).unwrap();
    assert!(due.lines().skip(1).all(|l| l.ends_with(",Due")), "{due}");
}

#[test]
fn purchases_are_named_by_the_packs_they_bought_in_order() {
    let entry = |id: &str, kind: LedgerEntryKind, amount: &str| edgecost_api::LedgerEntry {
        id: id.into(),
        sequence: 0,
        kind,
        amount: d(amount),
        balance_after: Decimal::ZERO,
        pack_id: None,
        paid_overage: None,
        note: String::new(),
        auto_top_up_after: None,
        created_at: "2026-11-02T00:00:00Z".parse().unwrap(),
    };
    let ledger = CreditLedger {
        balance: Decimal::ZERO,
        entries: vec![
            entry("led_a", LedgerEntryKind::Purchase, "25.00"),
            entry("led_b", LedgerEntryKind::Consumption, "-3.00"),
            entry("led_c", LedgerEntryKind::Purchase, "50.00"),
            entry("led_d", LedgerEntryKind::Purchase, "25.00"),
            // Not a whole number of packs (a pack's credit changed): counted as one.
            entry("led_e", LedgerEntryKind::Purchase, "30.00"),
        ],
    };
    let names = pack_names(&ledger, d("25.00"));
    let named: Vec<(&str, &str)> = names.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(named, [("led_a", "Pack 1"), ("led_c", "Packs 2–3"), ("led_d", "Pack 4"), ("led_e", "Pack 5")]);
}
