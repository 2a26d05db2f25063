use super::pdf::{win_ansi, wrap};
use super::*;
use edgecost_api::{InvoiceCredit, UsageTotals};
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
        status: InvoiceStatus::Due,
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
    assert_eq!(&rows[rows.len() - 1][7], "24.00");
    assert_eq!(&rows[rows.len() - 2][7], "-1.50");
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
    assert_eq!(&header[0], "invoice");
    assert_eq!(&header[7], "amount");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), v.lines.len());
    assert!(rows.iter().all(|r| &r[0] == "INV-00003" && &r[1] == "2026-11-01T00:00:00Z"));
    assert_eq!(&rows[rows.len() - 1][7], "24.00");
    assert_eq!(&rows[rows.len() - 2][7], "-1.50");
    assert!(text.ends_with("\r\n"));
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
    for needle in ["Invoice INV-00003", "Period: Nov 2026", "Requests overage", "150,000", "Total due", "$24.00", "Pack 1"] {
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
