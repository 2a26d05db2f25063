use super::*;
use edgecost_api::{AccountAlert, AlertKind};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn form(budget: &str, percents: &str, cap: &str) -> BudgetForm {
    BudgetForm {
        monthly_budget: budget.into(),
        alert_percents: percents.into(),
        alert_on_p90: false,
        spend_cap: cap.into(),
        confirm_cap_now: false,
    }
}

#[test]
fn amounts_are_read_as_exact_dollars_and_cents() {
    let read = |s: &str| budget_settings(&form(s, "50", ""), "USD").map(|b| b.monthly_budget);
    assert_eq!(read("100").unwrap(), Some(dec("100")));
    assert_eq!(read(" $1,250.50 ").unwrap(), Some(dec("1250.50")));
    assert_eq!(read("0.10").unwrap(), Some(dec("0.10")));
    assert_eq!(read("12.500").unwrap(), Some(dec("12.500")), "trailing zeros are still whole cents");
    assert_eq!(read("").unwrap(), None, "empty is no budget");
    assert_eq!(read("$").unwrap(), None);
    // The exact figure, not a float's nearest: 0.1 + 0.2 style errors cannot arise.
    assert_eq!(read("9999999.99").unwrap().unwrap().to_string(), "9999999.99");
}

#[test]
fn a_bad_amount_says_what_is_wrong_and_which_field() {
    for (typed, says) in [
        ("12.345", "whole cents"),
        ("-5", "negative"),
        ("0", "above $0.00"),
        ("abc", "write an amount in USD such as 100 or 1,250.50; got abc"),
        ("1,00", "a comma only groups thousands (350,000); write decimals with a point: 1.00"),
        ("12,50", "write decimals with a point: 12.50"),
        ("1,2,5", "groups of exactly 3"),
        ("1e3", "write an amount in USD such as 100 or 1,250.50; got 1e3"),
        ("10000000.01", "at most $10,000,000.00"),
        ("99999999999999999999999999999999", "at most"),
    ] {
        let e = budget_settings(&form(typed, "50", ""), "USD").unwrap_err();
        assert_eq!((e.code.as_str(), e.field), ("invalid_controls", Some(ControlField::MonthlyBudget)), "{typed}");
        assert!(e.message.starts_with("Monthly budget: ") && e.message.contains(says), "{typed}: {}", e.message);
    }
    let e = budget_settings(&form("100", "50", "0.001"), "USD").unwrap_err();
    assert_eq!(e.field, Some(ControlField::SpendCap), "{}", e.message);
}

#[test]
fn amounts_are_read_and_refused_in_the_accounts_currency() {
    let read = |s: &str, currency: &str| budget_settings(&form(s, "50", ""), currency).map(|b| b.monthly_budget);
    assert_eq!(read(" €1,250.50 ", "EUR").unwrap(), Some(dec("1250.50")), "the euro sign is the account's");
    assert_eq!(read("CHF 1,250.50", "CHF").unwrap(), Some(dec("1250.50")));
    assert_eq!(read("£", "GBP").unwrap(), None, "a sign alone is no budget");
    let refused = |s: &str, currency: &str| read(s, currency).unwrap_err().message;
    assert_eq!(refused("abc", "EUR"), "Monthly budget: write an amount in EUR such as 100 or 1,250.50; got abc");
    assert_eq!(refused("$100", "EUR"), "Monthly budget: write an amount in EUR such as 100 or 1,250.50; got $100");
    assert_eq!(refused("€100", "USD"), "Monthly budget: write an amount in USD such as 100 or 1,250.50; got €100");
    assert_eq!(refused("0", "EUR"), "Monthly budget: must be above €0.00; leave it empty for none");
    assert_eq!(refused("10000000.01", "CHF"), "Monthly budget: must be at most CHF 10,000,000.00; got 10000000.01");
    let below = |s: &str| {
        top_up_settings(&TopUpForm { enabled: true, below: s.into(), packs: "1".into(), max_packs_per_period: "1".into() }, "GBP")
    };
    assert_eq!(below("£10").unwrap().below, dec("10"));
    assert_eq!(below("-1").unwrap_err().message, "Buy below: must not be negative; got -1");
}

#[test]
fn the_forms_are_labelled_in_the_accounts_currency() {
    let top_up = AutoTopUpStatus {
        settings: None,
        packs_this_period: 0,
        spent_this_period: Decimal::ZERO,
        packs_left_this_period: 0,
        balance: Decimal::ZERO,
        alerts: Vec::new(),
    };
    let sign = |currency: &str| {
        let book = PriceBook { currency: currency.into(), ..PriceBook::published().clone() };
        spend_controls_view(&status(None, "0", Vec::new()), &top_up, None, &book, "production", false).currency_sign
    };
    assert_eq!((sign("USD"), sign("EUR"), sign("GBP"), sign("CHF")), ("$".into(), "€".into(), "£".into(), "CHF".into()));
}

#[test]
fn alert_percentages_are_whole_1_to_100_sorted_and_once() {
    let read = |s: &str| budget_settings(&form("100", s, ""), "USD").map(|b| b.alert_percents);
    assert_eq!(read("90, 50,75 100").unwrap(), vec![50, 75, 90, 100]);
    assert_eq!(read("80%, 80").unwrap(), vec![80]);
    for bad in ["0", "101", "50.5", "half", "", "1,2,3,4,5,6,7,8,9,10,11"] {
        let e = read(bad).unwrap_err();
        assert_eq!(e.field, Some(ControlField::AlertPercents), "{bad}");
        assert!(e.message.starts_with("Alert percentages: "), "{}", e.message);
    }
}

#[test]
fn top_up_packs_are_bounded_and_the_ceiling_holds_one_top_up() {
    let f = |below: &str, packs: &str, max: &str| TopUpForm {
        enabled: true,
        below: below.into(),
        packs: packs.into(),
        max_packs_per_period: max.into(),
    };
    let top_up_settings = |form: &TopUpForm| top_up_settings(form, "USD");
    let s = top_up_settings(&f("10", "2", "6")).unwrap();
    assert_eq!((s.below, s.packs, s.max_packs_per_period, s.enabled), (dec("10"), 2, 6, true));
    assert_eq!(top_up_settings(&f("0", "1", "1")).unwrap().below, Decimal::ZERO, "buying at zero balance is allowed");
    assert_eq!(top_up_settings(&f("", "1", "1")).unwrap_err().field, Some(ControlField::Below));
    assert_eq!(top_up_settings(&f("10", "0", "1")).unwrap_err().field, Some(ControlField::Packs));
    assert_eq!(top_up_settings(&f("10", "101", "200")).unwrap_err().field, Some(ControlField::Packs));
    assert_eq!(top_up_settings(&f("10", "1.5", "2")).unwrap_err().field, Some(ControlField::Packs));
    let e = top_up_settings(&f("10", "3", "2")).unwrap_err();
    assert_eq!(e.field, Some(ControlField::MaxPacksPerPeriod));
    assert!(e.message.contains("at least the 3 packs"), "{}", e.message);
    assert_eq!(top_up_settings(&f("10", "1", "1001")).unwrap_err().field, Some(ControlField::MaxPacksPerPeriod));
}

#[test]
fn a_webhook_url_is_http_and_not_empty() {
    assert_eq!(webhook_request(" https://hooks.example.com/edge ", false).unwrap().url, "https://hooks.example.com/edge");
    assert_eq!(webhook_request("http://127.0.0.1:9/x", true).unwrap().rotate_secret, Some(true));
    assert_eq!(webhook_request("", false).unwrap_err().field, Some(ControlField::WebhookUrl));
    assert!(webhook_request("hooks.example.com", false).unwrap_err().message.contains("https://"));
}

#[test]
fn the_same_form_repeats_its_key_and_an_edited_form_gets_another() {
    let a = budget_settings(&form("100", "50", ""), "USD").unwrap();
    let b = budget_settings(&form("$100.00", "50%", ""), "USD").unwrap();
    let c = budget_settings(&form("120", "50", ""), "USD").unwrap();
    let key = |s: &BudgetSettings| change_key("budget-0123", s);
    assert_eq!(key(&a), key(&a));
    assert_ne!(key(&a), key(&c));
    assert!(key(&b).starts_with("budget-0123-") && key(&b).len() <= 128);
    assert!(key(&a).chars().all(|c| c.is_ascii_graphic()));
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn status(budget: Option<&str>, spend: &str, forecasts: Vec<(ForecastBasis, &str, Option<&str>)>) -> BudgetStatus {
    BudgetStatus {
        settings: BudgetSettings { monthly_budget: budget.map(dec), ..BudgetSettings::default() },
        as_of: t("2026-12-06T12:00:00Z"),
        spend_to_date: dec(spend),
        budget_used_percent: budget.map(|b| (dec(spend) * Decimal::ONE_HUNDRED / dec(b)).floor().try_into().unwrap()),
        forecasts: forecasts
            .into_iter()
            .map(|(basis, cost, on)| edgecost_api::BudgetForecast {
                basis,
                projected_cost: dec(cost),
                reaches_budget_on: on.map(|d| d.parse().unwrap()),
            })
            .collect(),
        capped: false,
        alerts: Vec::new(),
    }
}

#[test]
fn without_a_budget_the_section_says_how_to_set_one_and_nothing_is_projected() {
    let view = budget_view(&status(None, "31.40", Vec::new()), false, "USD");
    assert_eq!(view.summary, "No budget set: set one to be alerted before the bill passes it.");
    assert_eq!((view.budget, view.crossing, view.cap_note), (None, None, None));
    assert_eq!(view.form.alert_percents, "50, 75, 90, 100", "the default alerts start the form");
    assert_eq!(view.form.monthly_budget, "");
}

#[test]
fn the_crossing_is_the_earliest_day_of_a_projection_that_alerts() {
    use ForecastBasis::*;
    let s = status(
        Some("100"),
        "40.00",
        vec![(RunRate, "90.00", None), (P50, "130.00", Some("2026-12-21")), (P90, "180.00", Some("2026-12-15"))],
    );
    let view = budget_view(&s, false, "USD");
    assert_eq!(view.crossing.as_deref(), Some("Projected to pass the $100.00 budget on Dec 21"), "the P90 alerts only when asked");
    assert_eq!(view.summary, "$40.00 of the $100.00 budget spent (40%)");
    assert_eq!(
        view.forecasts.iter().map(|f| (f.label.as_str(), f.passes)).collect::<Vec<_>>(),
        [("Run rate", false), ("P50", true), ("P90", true)]
    );
    let mut p90 = s.clone();
    p90.settings.alert_on_p90 = true;
    assert_eq!(crossing(&p90, false, "USD").as_deref(), Some("Projected to pass the $100.00 budget on Dec 15"));
    // Without an outlook the run rate speaks.
    let run_rate = status(Some("50"), "10", vec![(RunRate, "75.50", Some("2026-12-28"))]);
    assert_eq!(crossing(&run_rate, false, "USD").as_deref(), Some("Projected to pass the $50.00 budget on Dec 28"));
    // Under a day of usage the run rate is a rough guess: labelled so, and no crossing.
    assert_eq!(crossing(&run_rate, true, "USD"), None);
    assert_eq!(budget_view(&run_rate, true, "USD").forecasts[0].note.as_deref(), Some("a rough guess: under a day of usage"));
    // Already past: nothing is projected any more; the spend alerts say so.
    assert_eq!(crossing(&status(Some("50"), "50.00", vec![(RunRate, "80", Some("2026-12-06"))]), false, "USD"), None);
    assert_eq!(crossing(&status(Some("500"), "10", vec![(P50, "90", None)]), false, "USD"), None);
}

#[test]
fn a_reached_cap_reads_capped_plainly() {
    let mut s = status(Some("100"), "150.00", Vec::new());
    s.settings.spend_cap = Some(dec("150"));
    assert!(budget_view(&s, false, "USD").cap_note.unwrap().starts_with("Once this period's bill reaches $150.00"));
    s.capped = true;
    let view = budget_view(&s, false, "USD");
    assert!(view.capped);
    assert!(view.cap_note.unwrap().starts_with("this period's bill reached the $150.00 spend cap"));
    assert_eq!(view.form.spend_cap, "150.00");
}

#[test]
fn top_up_shows_what_it_does_and_what_it_bought() {
    let book = PriceBook::published();
    let status = AutoTopUpStatus {
        settings: Some(AutoTopUpSettings { enabled: true, below: dec("10"), packs: 2, max_packs_per_period: 6 }),
        packs_this_period: 2,
        spent_this_period: dec("50.00"),
        packs_left_this_period: 4,
        balance: dec("41.25"),
        alerts: Vec::new(),
    };
    let view = top_up_view(&status, book, "production");
    assert_eq!(view.summary, "When the credit balance falls below $10.00, buys 2 packs ($50.00), at most 6 packs a period.");
    assert_eq!((view.spent_this_period.as_str(), view.balance.as_str(), view.packs_left_this_period), ("$50.00", "$41.25", 4));
    assert_eq!(view.form, TopUpForm { enabled: true, below: "10.00".into(), packs: "2".into(), max_packs_per_period: "6".into() });
    assert_eq!(view.unavailable, None);
    let never =
        AutoTopUpStatus { settings: None, packs_this_period: 0, spent_this_period: Decimal::ZERO, packs_left_this_period: 0, ..status };
    let sandbox = top_up_view(&never, book, "sandbox");
    assert!(sandbox.unavailable.unwrap().contains("takes no burst credit packs"));
    assert!(!sandbox.form.enabled && sandbox.form.below == "10.00", "sensible defaults: {:?}", sandbox.form);
    // A book in euros writes the same figures in euros.
    let euros = PriceBook { currency: "EUR".into(), ..book.clone() };
    let view = top_up_view(&AutoTopUpStatus { settings: status_settings(), ..never }, &euros, "production");
    assert_eq!(view.summary, "When the credit balance falls below €10.00, buys 2 packs (€50.00), at most 6 packs a period.");
    assert_eq!((view.balance.as_str(), view.pack_price.as_str()), ("€41.25", "€25.00"));
}

fn status_settings() -> Option<AutoTopUpSettings> {
    Some(AutoTopUpSettings { enabled: true, below: dec("10"), packs: 2, max_packs_per_period: 6 })
}

#[test]
fn the_engines_refusal_is_shown_plainly_on_its_field() {
    let e = ClientError::Rejected { status: 422, code: "invalid_controls".into(), message: "spend_cap must be above zero; got 0".into() };
    let f = ControlsFailure::of_change(&e, false);
    assert_eq!((f.code.as_str(), f.field), ("invalid_controls", Some(ControlField::SpendCap)));
    assert_eq!(f.message, "The server refused the change: spend_cap must be above zero; got 0. Nothing was changed.");
    let lost = ClientError::Network { detail: "reset".into(), unsent: false };
    let f = ControlsFailure::of_change(&lost, true);
    assert_eq!(f.charged, Charged::Unknown);
    assert!(f.message.contains("never buys twice") && !f.message.contains("reset"), "{}", f.message);
    assert_eq!(ControlsFailure::of_change(&lost, false).charged, Charged::No);
}

#[test]
fn alerts_of_both_answers_are_listed_once_oldest_first() {
    let alert = |id: &str, kind, at: &str| AccountAlert {
        id: id.into(),
        kind,
        message: format!("{id} happened"),
        raised_at: t(at),
        period_start: t("2026-12-01T00:00:00Z"),
    };
    let mut b = status(Some("100"), "80", Vec::new());
    b.alerts = vec![alert("alr_2", AlertKind::BudgetSpend, "2026-12-05T10:00:00Z")];
    let top = AutoTopUpStatus {
        settings: None,
        packs_this_period: 0,
        spent_this_period: Decimal::ZERO,
        packs_left_this_period: 0,
        balance: Decimal::ZERO,
        alerts: vec![alert("alr_1", AlertKind::TopUpFailed, "2026-12-04T09:30:00Z")],
    };
    let views = alert_views(Some(&b), Some(&top));
    assert_eq!(
        views.iter().map(|a| (a.id.as_str(), a.title.as_str())).collect::<Vec<_>>(),
        [("alr_1", "Automatic top-up failed"), ("alr_2", "Budget")]
    );
    assert_eq!(views[0].raised_at, "Dec 4, 09:30 UTC");
}

#[test]
fn a_cap_at_or_below_the_spend_so_far_is_asked_about_first() {
    let asked_in = |currency: &str, cap: &str, current_cap: Option<&str>| {
        let settings = budget_settings(&form("100", "50", cap), currency).unwrap();
        let mut s = status(Some("100"), "67.39", Vec::new());
        s.settings.spend_cap = current_cap.map(dec);
        // No more spend projected than so far: only the bill so far decides.
        spend_cap_question(&settings, &s, dec("67.39"), t("2027-01-01T00:00:00Z"), currency)
    };
    let asked = |cap: &str, current_cap: Option<&str>| asked_in("USD", cap, current_cap);
    let q = asked("50", None).expect("a cap below the bill caps at once");
    assert_eq!((q.code.as_str(), q.field, q.charged), (CONFIRM_SPEND_CAP, None, Charged::No));
    assert!(q.message.starts_with("This period's bill is already $67.39, so a $50.00 spend cap caps the account"), "{}", q.message);
    assert!(q.message.contains("until the period ends or you raise or remove the cap"), "{}", q.message);
    assert!(asked("67.39", None).is_some(), "at the bill it caps at once too");
    assert!(asked("67.40", None).is_none(), "above the bill nothing happens yet");
    assert!(asked("", None).is_none(), "no cap");
    assert!(asked("50", Some("50")).is_none(), "the cap in force already: nothing new");
    assert!(asked("60", Some("50")).is_some(), "a raised cap still below the bill caps again");
    let in_euros = asked_in("EUR", "50", None).unwrap().message;
    assert!(in_euros.starts_with("This period's bill is already €67.39, so a €50.00 spend cap caps the account"), "{in_euros}");
}

#[test]
fn a_cap_below_the_projected_bill_is_asked_about_first() {
    let asked = |cap: &str, current_cap: Option<&str>| {
        let settings = budget_settings(&form("100", "50", cap), "USD").unwrap();
        let mut s = status(Some("100"), "20.00", Vec::new());
        s.settings.spend_cap = current_cap.map(dec);
        spend_cap_question(&settings, &s, dec("40.11"), t("2027-01-01T00:00:00Z"), "USD")
    };
    let q = asked("30", None).expect("a cap below the projection is reached this period");
    assert_eq!((q.code.as_str(), q.field, q.charged), (CONFIRM_SPEND_CAP_AHEAD, None, Charged::No));
    assert_eq!(
        q.message,
        "At this period's run rate the bill comes to $40.11 by Dec 31, above a $30.00 spend cap: once the spend reaches the cap, usage that would cost more is refused and never billed (a meter with included quantity left is still served until that is used up), until the period ends or you raise or remove the cap. The bill so far is $20.00."
    );
    assert_eq!(asked("20", None).unwrap().code, CONFIRM_SPEND_CAP, "at the bill so far it caps at once: that question first");
    assert!(asked("40.11", None).is_none(), "a cap the projection only reaches is not passed");
    assert!(asked("30", Some("30")).is_none(), "the cap in force already: nothing new");
}

#[test]
fn the_section_and_the_dashboard_line_write_amounts_in_the_accounts_currency() {
    use ForecastBasis::*;
    let mut s = status(Some("100"), "40.00", vec![(P50, "130.00", Some("2026-12-21"))]);
    s.settings.spend_cap = Some(dec("150"));
    let view = budget_view(&s, false, "EUR");
    assert_eq!(view.summary, "€40.00 of the €100.00 budget spent (40%)");
    assert_eq!(view.crossing.as_deref(), Some("Projected to pass the €100.00 budget on Dec 21"));
    assert_eq!((view.budget.as_deref(), view.spend_cap.as_deref()), (Some("€100.00"), Some("€150.00")));
    assert_eq!(view.forecasts[0].projected_cost, "€130.00");
    assert!(view.cap_note.unwrap().starts_with("Once this period's bill reaches €150.00"));
    // The form keeps plain amounts, which the reader takes in any currency.
    assert_eq!(view.form.monthly_budget, "100.00");
    let line = crate::account_status::dashboard_budget(&s, false, "CHF").unwrap();
    assert_eq!((line.budget.as_deref(), line.spend_to_date.as_str()), (Some("CHF 100.00"), "CHF 40.00"));
    assert_eq!(line.crossing.as_deref(), Some("Projected to pass the CHF 100.00 budget on Dec 21"));
}
