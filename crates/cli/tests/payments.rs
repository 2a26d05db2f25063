//! `edgecost admin record-payment` as a real process on a SQLite file: an invoice paid in
//! part, the same reference again, the rest as JSON, and the refusals with their exit status.

mod support;

use edgecost_engine::Engine;
use edgecost_pricing::PriceBook;
use support::command;

/// A SQLite file with a production account created on 2026-10-01: by now its October is closed
/// into INV-00001, $19.00 due. Answers the database URL and the account id.
fn seeded(dir: &std::path::Path) -> (String, String) {
    let url = Engine::sqlite_url(&dir.join("billing.db"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let account = runtime.block_on(async {
        let engine = Engine::open(&url, PriceBook::published().clone()).await.unwrap();
        let created = engine.create_account("Acme", "production", "2026-10-01T00:00:00Z".parse().unwrap()).await.unwrap();
        engine.close().await;
        created.account_id
    });
    (url, account)
}

fn run(home: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = command(home).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn record_payment_pays_an_invoice_in_parts_once_per_reference() {
    let home = tempfile::tempdir().unwrap();
    let (url, account) = seeded(home.path());
    let pay = |invoice: &str, amount: &str, reference: &str, more: &[&str]| {
        let mut args = vec!["admin", "record-payment", "--database", &url, "--account", &account, "--invoice", invoice];
        args.extend(["--amount", amount, "--reference", reference]);
        args.extend(more);
        run(home.path(), &args)
    };

    let (code, out, err) = pay("INV-00001", "10.00", "ch_1", &["--received-at", "2026-11-03T10:00:00+01:00"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("Recorded payment ch_1 on invoice INV-00001.\n"), "{out}");
    assert!(out.contains(" of $10.00, received 2026-11-03 09:00 UTC\n"), "{out}");
    assert!(
        out.contains("INV-00001 (Oct 1–Oct 31 2026, production tier): $19.00 due, $10.00 paid, partly paid ($10.00 of $19.00)"),
        "{out}"
    );

    // The same reference again (by the number's digits): nothing changes.
    let (code, again, err) = pay("1", "$10", "ch_1", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(again.starts_with("Payment ch_1 was already recorded on invoice INV-00001; nothing changed.\n"), "{again}");
    assert_eq!(again.lines().nth(1), out.lines().nth(1), "the first payment is shown");

    // The rest, by id, as JSON.
    let invoice_id = {
        let (_, json, _) = pay("INV-00001", "10.00", "ch_1", &["--json"]);
        let answer: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(answer["replayed"], true);
        answer["invoice"]["id"].as_str().unwrap().to_owned()
    };
    let (code, json, err) = pay(&invoice_id, "9", "ch_2", &["--received-at", "2026-12-03T14:00:00Z", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let answer: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!((answer["replayed"].as_bool(), answer["payment"]["amount"].as_str()), (Some(false), Some("9.00")));
    assert_eq!(answer["invoice"]["status"], "paid");
    assert_eq!(answer["invoice"]["amount_paid"], "19.00");
    assert_eq!(answer["invoice"]["paid_at"], "2026-12-03T14:00:00Z");

    // Refusals: exit 2 with what is wrong.
    for (invoice, amount, reference, more, says) in [
        ("INV-00001", "1.00", "ch_3", &[][..], "invoice INV-00001 has nothing due (paid)"),
        ("INV-00002", "19.01", "ch_3", &[][..], "the payment of $19.01 is more than the $19.00 still due on invoice INV-00002"),
        ("INV-00002", "5.00", "ch_3", &["--received-at", "2026-11-30T12:00:00Z"][..], "before the billed period ended"),
        ("INV-00099", "1.00", "ch_3", &[][..], &format!("account {account} has no invoice INV-00099")),
        ("INV-00002", "0", "ch_3", &[][..], "amount must be above zero"),
        ("INV-00002", "1.005", "ch_3", &[][..], "fractions of a cent"),
        ("INV-00002", "1.00", "ch_3", &["--received-at", "yesterday"][..], "not an RFC 3339 time"),
    ] {
        let (code, out, err) = pay(invoice, amount, reference, more);
        assert_eq!(code, Some(2), "{invoice} {amount} {more:?}: {out}{err}");
        assert!(err.contains(says), "{invoice} {amount} {more:?}: {err}");
    }
    let (code, _, err) = run(
        home.path(),
        &["admin", "record-payment", "--database", &url, "--account", "acct_nobody", "--invoice", "1", "--amount", "1", "--reference", "x"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("account acct_nobody has no invoice 1"), "{err}");

    // The help shows how it is used.
    let (code, help, _) = run(home.path(), &["admin", "record-payment", "--help"]);
    assert_eq!(code, Some(0));
    assert!(help.contains("Examples:\n  edgecost admin record-payment --account"), "{help}");
    assert!(help.contains("--received-at <RFC3339>"), "{help}");
}
