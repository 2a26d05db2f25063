//! What users of the charts rely on: valid, labelled SVG in both themes, the quota, 80% mark,
//! series and projection on the usage chart, PNG export at the requested size, CSV that reads
//! back to the same numbers, and a helpful empty state.

use edgecost_charts::{
    BASE_FEE_NOTE, Bucket, CSV_BASE_FEE_ROW, CSV_PERIOD_COST_ROW, MeterProjection, NO_EGRESS_MESSAGE, NO_PROJECTION_MESSAGE,
    NO_ROUTE_COSTS_MESSAGE, NO_USAGE_MESSAGE, PeriodCost, ProjectedTotal, QuotaProjectionChart, RegionEgressChart, RegionSeries, RouteCost,
    RouteCostChart, Size, SpendChart, SpendProjection, Theme, TimeRange, UsageChart, UsagePoint, UsageView, to_png,
};
use edgecost_pricing::{Decimal, Meter};

/// 2026-11-01T00:00:00Z.
const START_UNIX_S: i64 = 1_793_491_200;
const DAY_S: i64 = 86_400;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Ten days of hourly requests, 1,000 to 1,023 an hour, in a 30-day period with 2M included.
fn usage_chart() -> UsageChart {
    let points = (0..240).map(|h| UsagePoint { start_unix_s: START_UNIX_S + h * 3_600, amount: Decimal::from(1_000 + h % 24) }).collect();
    let mut chart = UsageChart {
        meter: Meter::Requests,
        range: TimeRange::new(START_UNIX_S, START_UNIX_S + 30 * DAY_S),
        bucket: Bucket::Hour,
        view: UsageView::Cumulative,
        now_unix_s: START_UNIX_S + 10 * DAY_S,
        points,
        included: Some(Decimal::from(2_000_000)),
        projection: Vec::new(),
        projection_p90: Vec::new(),
    };
    chart.projection = vec![ProjectedTotal { at_unix_s: START_UNIX_S + 30 * DAY_S, total: Decimal::from(728_280) }];
    chart
}

fn route_chart() -> RouteCostChart {
    RouteCostChart {
        period_label: String::from("November 2026"),
        currency: String::from("USD"),
        period_cost: None,
        previous_period_cost: None,
        routes: vec![
            RouteCost { route: String::from("/v1/search"), cost: d("12.40"), previous_cost: Some(d("9.20")) },
            RouteCost { route: String::from("/v1/images, \"resize\""), cost: d("8.75"), previous_cost: Some(d("10.10")) },
            RouteCost { route: String::from("/v2/new"), cost: d("2.30"), previous_cost: None },
        ],
    }
}

fn egress_chart() -> RegionEgressChart {
    let region = |name: &str, gb: &str| RegionSeries {
        region: name.to_string(),
        points: (0..7).map(|day| UsagePoint { start_unix_s: START_UNIX_S + day * DAY_S, amount: d(gb) }).collect(),
    };
    RegionEgressChart {
        range: TimeRange::new(START_UNIX_S, START_UNIX_S + 7 * DAY_S),
        bucket: Bucket::Day,
        now_unix_s: START_UNIX_S + 7 * DAY_S,
        regions: vec![region("eu-west", "2.5"), region("us-east", "4.25")],
    }
}

fn quota_chart() -> QuotaProjectionChart {
    QuotaProjectionChart {
        tier_label: String::from("Production"),
        period_days: 30,
        meters: vec![
            MeterProjection::linear(Meter::Requests, Decimal::from(300_000), Some(Decimal::from(200_000)), 30).unwrap(),
            MeterProjection::linear(Meter::Egress, Decimal::from(30), Some(Decimal::from(50)), 30).unwrap(),
            MeterProjection::linear(Meter::Compute, Decimal::from(900), None, 30).unwrap(),
        ],
    }
}

/// A parsed SVG document, with what tests look for.
struct Svg {
    texts: Vec<String>,
    /// (stroke colour, number of points) of each polyline.
    polylines: Vec<(String, usize)>,
    fills: Vec<String>,
    width: String,
    height: String,
}

fn parse(svg: &str) -> Svg {
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let mut parsed = Svg {
        texts: Vec::new(),
        polylines: Vec::new(),
        fills: Vec::new(),
        width: root.attribute("width").unwrap_or_default().to_string(),
        height: root.attribute("height").unwrap_or_default().to_string(),
    };
    for node in doc.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "text" | "title" => parsed.texts.push(node.text().unwrap_or_default().trim().to_string()),
            "polyline" => parsed.polylines.push((
                node.attribute("stroke").unwrap_or_default().to_string(),
                node.attribute("points").unwrap_or_default().split_whitespace().count(),
            )),
            _ => {}
        }
        if let Some(fill) = node.attribute("fill") {
            parsed.fills.push(fill.to_string());
        }
    }
    parsed
}

impl Svg {
    fn has_text(&self, wanted: &str) -> bool {
        self.texts.iter().any(|t| t == wanted)
    }

    fn longest_polyline(&self, stroke: &str) -> usize {
        self.polylines.iter().filter(|(s, _)| s == stroke).map(|(_, n)| *n).max().unwrap_or(0)
    }

    fn polylines_in(&self, stroke: &str) -> usize {
        self.polylines.iter().filter(|(s, _)| s == stroke).count()
    }
}

#[test]
fn the_usage_chart_shows_axes_quota_80_percent_series_and_projection() {
    let theme = Theme::light();
    let svg = parse(&usage_chart().to_svg(&theme, Size::DASHBOARD).unwrap());
    assert_eq!((svg.width.as_str(), svg.height.as_str()), ("720", "320"));

    // Title, axis descriptions and human tick labels.
    assert!(svg.has_text("Requests, cumulative"));
    assert!(svg.has_text("Date (UTC)"));
    assert!(svg.has_text("requests"));
    assert!(svg.has_text("Nov 9"), "date ticks: {:?}", svg.texts);
    assert!(svg.has_text("1M") && svg.has_text("2M"), "quantity ticks: {:?}", svg.texts);

    // 240 hours of ~1,011.5 requests: 242,760 so far, projected x3 to 728,280.
    assert!(svg.has_text("Measured (243k requests)"), "{:?}", svg.texts);
    assert!(svg.has_text("Projected to period end (728k requests)"), "{:?}", svg.texts);
    assert!(svg.has_text("Included (2M requests)"));
    assert!(svg.has_text("80% notice (1.6M requests)"));

    // The measured line has a vertex per hour plus its start at zero.
    assert_eq!(svg.longest_polyline(&theme.series[0].hex()), 241);
    // The quota is one solid line across the chart; the 80% mark and projection are dashed.
    assert_eq!(svg.longest_polyline(&theme.quota.hex()), 2);
    assert!(svg.polylines_in(&theme.warning.hex()) > 10);
    assert!(svg.polylines_in(&theme.projection.hex()) > 10);
}

#[test]
fn a_busy_case_projection_draws_a_second_dashed_line_and_exports_its_total() {
    let theme = Theme::light();
    let plain = usage_chart();
    let mut busy = usage_chart();
    busy.projection_p90 = vec![ProjectedTotal { at_unix_s: START_UNIX_S + 30 * DAY_S, total: Decimal::from(900_000) }];
    let svg = parse(&busy.to_svg(&theme, Size::DASHBOARD).unwrap());
    assert!(svg.has_text("P90, busy case (900k requests)"), "{:?}", svg.texts);
    assert!(
        svg.polylines_in(&theme.projection.hex())
            > parse(&plain.to_svg(&theme, Size::DASHBOARD).unwrap()).polylines_in(&theme.projection.hex()),
        "the busy case adds dashes in the projection colour"
    );
    let (_, rows) = read_csv(&busy.to_csv().unwrap());
    let p90 = rows.iter().find(|r| r[0] == "projected_p90").expect("a projected_p90 row");
    assert_eq!(p90[4], "900000");
    // Without one, nothing changes.
    assert!(!parse(&plain.to_svg(&theme, Size::DASHBOARD).unwrap()).has_text("P90, busy case (900k requests)"));
}

#[test]
fn the_per_bucket_view_shows_the_even_pace_to_the_quota() {
    let theme = Theme::dark();
    let chart = UsageChart { view: UsageView::PerBucket, ..usage_chart() };
    let svg = parse(&chart.to_svg(&theme, Size::DASHBOARD).unwrap());
    assert!(svg.has_text("Requests per hour") && svg.has_text("requests per hour"));
    // 2M over 720 hours.
    assert!(svg.has_text("Even pace to the quota (2.78k requests per hour)"), "{:?}", svg.texts);
    assert!(svg.has_text("Projected pace to period end"));
    assert_eq!(svg.longest_polyline(&theme.series[0].hex()), 240);
}

#[test]
fn egress_and_compute_ticks_carry_their_units() {
    let mut chart = usage_chart();
    chart.meter = Meter::Egress;
    chart.included = Some(Decimal::from(50));
    let svg = parse(&chart.to_svg(&Theme::light(), Size::DASHBOARD).unwrap());
    // The meter bills region-weighted bytes, and the axis says so.
    assert!(svg.has_text("Egress, cumulative") && svg.has_text("billable egress"), "{:?}", svg.texts);
    assert!(svg.has_text("0") && !svg.has_text("0 GB"), "zero is written bare beside MB or GB ticks: {:?}", svg.texts);
    assert!(svg.texts.iter().any(|t| t.ends_with(" GB") || t.ends_with(" TB")), "{:?}", svg.texts);

    chart.meter = Meter::Compute;
    let svg = parse(&chart.to_svg(&Theme::light(), Size::DASHBOARD).unwrap());
    assert!(svg.has_text("Compute, cumulative") && svg.has_text("seconds"));
    assert!(svg.texts.iter().any(|t| t.ends_with(" s")), "{:?}", svg.texts);
}

#[test]
fn dark_and_light_themes_differ_in_colour_but_not_in_content() {
    let chart = usage_chart();
    let light = parse(&chart.to_svg(&Theme::light(), Size::DASHBOARD).unwrap());
    let dark = parse(&chart.to_svg(&Theme::dark(), Size::DASHBOARD).unwrap());
    assert_eq!(light.texts, dark.texts);
    assert!(light.fills.contains(&Theme::light().background.hex()));
    assert!(dark.fills.contains(&Theme::dark().background.hex()));
    assert!(!dark.fills.contains(&Theme::light().background.hex()));
    assert!(dark.fills.contains(&Theme::dark().text.hex()));
    assert!(!light.fills.contains(&Theme::dark().text.hex()));
}

#[test]
fn the_route_chart_shows_each_cost_and_its_change() {
    let theme = Theme::light();
    let svg = parse(&route_chart().to_svg(&theme, Size::DASHBOARD).unwrap());
    assert!(svg.has_text("Overage by route, November 2026"));
    assert!(svg.has_text("Overage this period (USD)"));
    // Routes carry overage only, and the chart says so even without the periods' bills.
    assert!(svg.has_text(BASE_FEE_NOTE), "{:?}", svg.texts);
    for route in ["/v1/search", "/v1/images, \"resize\"", "/v2/new"] {
        assert!(svg.has_text(route), "{route} in {:?}", svg.texts);
    }
    assert!(svg.has_text("$12.40") && svg.has_text("\u{25B2} +$3.20"));
    assert!(svg.has_text("$8.75") && svg.has_text("\u{25BC} -$1.35"));
    assert!(svg.has_text("$2.30") && svg.has_text("new"));
    assert!(svg.has_text("$5.00"), "money ticks: {:?}", svg.texts);
    // One previous-period marker per route that has a previous cost, and the legend's key.
    assert_eq!(svg.polylines_in(&theme.text.hex()), 2 + 1);
}

#[test]
fn many_routes_fold_into_one_bar_with_their_sums() {
    let routes = (0..15)
        .map(|i| RouteCost { route: format!("/r{i:02}"), cost: Decimal::from(100 - i), previous_cost: Some(Decimal::from(100 - i)) })
        .collect();
    let chart = RouteCostChart { period_label: String::new(), routes, ..route_chart() };
    let svg = parse(&chart.to_svg(&Theme::dark(), Size::DASHBOARD).unwrap());
    assert!(svg.has_text("/r00") && svg.has_text("/r09") && !svg.has_text("/r10"));
    // Routes 10 to 14: 90 + 89 + 88 + 87 + 86.
    assert!(svg.has_text("5 other routes"));
    assert!(svg.has_text("$440.00"));
    // The CSV keeps every route.
    assert_eq!(chart.to_csv().unwrap().lines().count(), 16);
}

#[test]
fn the_egress_chart_stacks_regions_with_their_totals() {
    let theme = Theme::light();
    let svg = parse(&egress_chart().to_svg(&theme, Size::DASHBOARD).unwrap());
    assert!(svg.has_text("Egress by region per day"));
    // Largest first: 7 x 4.25 and 7 x 2.5 GB.
    assert!(svg.has_text("us-east (29.8 GB)"), "{:?}", svg.texts);
    assert!(svg.has_text("eu-west (17.5 GB)"));
    // The bytes served, before region weights, unlike the egress meter's chart.
    assert!(svg.has_text("egress served per day"), "{:?}", svg.texts);
    assert!(svg.polylines_in(&theme.series[0].hex()) >= 1);
    assert!(svg.polylines_in(&theme.series[1].hex()) >= 1);
}

#[test]
fn the_quota_projection_marks_the_days_quotas_are_reached() {
    let svg = parse(&quota_chart().to_svg(&Theme::light(), Size::SMALL).unwrap());
    assert!(svg.has_text("Projected usage of the Production quotas"));
    // 10k requests a day against 200k included: 160k on day 16, 200k on day 20.
    assert!(svg.has_text("Requests: 80% on day 16, 100% on day 20"), "{:?}", svg.texts);
    assert!(svg.has_text("Egress: stays under 80%"));
    assert!(svg.has_text("No quota on this tier: Compute"));
    assert!(svg.has_text("Day of the billing period") && svg.has_text("% of included quota"));
    assert!(svg.has_text("80%") && svg.has_text("100%"));
}

#[test]
fn empty_data_draws_a_helpful_empty_chart() {
    let theme = Theme::dark();
    let usage = UsageChart { points: Vec::new(), projection: Vec::new(), projection_p90: Vec::new(), ..usage_chart() };
    let egress = RegionEgressChart { regions: Vec::new(), ..egress_chart() };
    let routes = RouteCostChart { routes: Vec::new(), ..route_chart() };
    let quotas = QuotaProjectionChart { meters: Vec::new(), ..quota_chart() };
    let cases = [
        (usage.to_svg(&theme, Size::DASHBOARD), NO_USAGE_MESSAGE),
        (egress.to_svg(&theme, Size::DASHBOARD), NO_EGRESS_MESSAGE),
        (routes.to_svg(&theme, Size::DASHBOARD), NO_ROUTE_COSTS_MESSAGE),
        (quotas.to_svg(&theme, Size::SMALL), NO_PROJECTION_MESSAGE),
    ];
    for (svg, message) in cases {
        let svg = parse(&svg.unwrap());
        assert!(svg.has_text(message), "{message} in {:?}", svg.texts);
    }
    assert_eq!(NO_USAGE_MESSAGE, "No usage in this range yet");
    // A range in the future has nothing measured yet either.
    let future = UsageChart { now_unix_s: START_UNIX_S - 1, ..usage_chart() };
    assert!(parse(&future.to_svg(&theme, Size::DASHBOARD).unwrap()).has_text(NO_USAGE_MESSAGE));
    assert!(usage.to_csv().unwrap().lines().count() >= 1);
}

#[test]
fn bad_input_is_refused_with_a_stable_code() {
    let reversed = UsageChart { range: TimeRange::new(START_UNIX_S, START_UNIX_S - 1), ..usage_chart() };
    assert_eq!(reversed.to_svg(&Theme::light(), Size::DASHBOARD).unwrap_err().code(), "chart.invalid_range");
    assert_eq!(usage_chart().to_svg(&Theme::light(), Size::new(10, 10)).unwrap_err().code(), "chart.invalid_size");
    assert_eq!(to_png("<svg", 1.0).unwrap_err().code(), "chart.invalid_svg");
    assert_eq!(to_png("<svg/>", 0.0).unwrap_err().code(), "chart.invalid_scale");
    let svg = usage_chart().to_svg(&Theme::light(), Size::DASHBOARD).unwrap();
    assert_eq!(to_png(&svg, 100.0).unwrap_err().code(), "chart.image_too_large");
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (be(16), be(20))
}

#[test]
fn png_export_has_the_scaled_size_and_differs_by_theme() {
    let chart = usage_chart();
    let light = to_png(&chart.to_svg(&Theme::light(), Size::DASHBOARD).unwrap(), 2.0).unwrap();
    let dark = to_png(&chart.to_svg(&Theme::dark(), Size::DASHBOARD).unwrap(), 1.0).unwrap();
    assert_eq!(png_size(&light), (1_440, 640));
    assert_eq!(png_size(&dark), (720, 320));
    assert!(light.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "IEND chunk");
    let route = to_png(&route_chart().to_svg(&Theme::dark(), Size::SMALL).unwrap(), 1.5).unwrap();
    assert_eq!(png_size(&route), (720, 360));
}

fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(text.ends_with("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

#[test]
fn usage_csv_reads_back_to_the_same_points_and_projection() {
    let chart = usage_chart();
    let (header, rows) = read_csv(&chart.to_csv().unwrap());
    assert_eq!(header, ["kind", "time_utc", "unix_s", "requests", "cumulative_requests"]);
    let measured: Vec<UsagePoint> =
        rows.iter().filter(|r| r[0] == "measured").map(|r| UsagePoint { start_unix_s: r[2].parse().unwrap(), amount: d(&r[3]) }).collect();
    assert_eq!(measured, chart.points);
    assert_eq!(rows[0][1], "2026-11-01T00:00:00Z");
    let last = rows.iter().rfind(|r| r[0] == "measured").unwrap();
    assert_eq!(d(&last[4]), chart.points.iter().map(|p| p.amount).sum::<Decimal>());
    let projected: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "projected").collect();
    assert_eq!(projected.len(), 1);
    assert_eq!(d(&projected[0][4]), chart.projection[0].total);
    let included = rows.iter().find(|r| r[0] == "included").unwrap();
    assert_eq!(d(&included[4]), Decimal::from(2_000_000));
}

#[test]
fn route_csv_quotes_names_and_reads_back_exactly() {
    let chart = route_chart();
    let text = chart.to_csv().unwrap();
    assert!(text.contains("\"/v1/images, \"\"resize\"\"\""), "{text}");
    let (header, rows) = read_csv(&text);
    assert_eq!(header, ["route", "cost", "previous_cost", "change"]);
    let back: Vec<RouteCost> = rows
        .iter()
        .map(|r| RouteCost { route: r[0].clone(), cost: d(&r[1]), previous_cost: if r[2].is_empty() { None } else { Some(d(&r[2])) } })
        .collect();
    assert_eq!(back, chart.routes);
    assert_eq!(rows[0][3], "3.20");
    assert_eq!(rows[1][3], "-1.35");
    assert_eq!(rows[2][3], "");
}

#[test]
fn egress_and_projection_csv_read_back_exactly() {
    let chart = egress_chart();
    let (header, rows) = read_csv(&chart.to_csv().unwrap());
    assert_eq!(header, ["region", "time_utc", "unix_s", "egress_gb"]);
    for series in &chart.regions {
        let back: Vec<UsagePoint> = rows
            .iter()
            .filter(|r| r[0] == series.region)
            .map(|r| UsagePoint { start_unix_s: r[2].parse().unwrap(), amount: d(&r[3]) })
            .collect();
        assert_eq!(back, series.points);
    }

    let chart = quota_chart();
    let (header, rows) = read_csv(&chart.to_csv().unwrap());
    assert_eq!(header, ["meter", "unit", "day", "cumulative", "included"]);
    for m in &chart.meters {
        let back: Vec<Decimal> = rows.iter().filter(|r| r[0] == m.meter.id()).map(|r| d(&r[3])).collect();
        assert_eq!(back, m.cumulative_by_day);
    }
    assert_eq!(rows.iter().find(|r| r[0] == "compute").unwrap()[4], "");
}

#[test]
fn chart_values_cross_a_json_boundary_unchanged() {
    let chart = usage_chart();
    let json = serde_json::to_string(&chart).unwrap();
    // Amounts stay exact decimal strings, never floats.
    assert!(json.contains("\"amount\":\"1000\""), "{json}");
    assert!(json.contains("\"view\":\"cumulative\""));
    let back: UsageChart = serde_json::from_str(&json).unwrap();
    assert_eq!(back, chart);
    let routes = route_chart();
    let back: RouteCostChart = serde_json::from_str(&serde_json::to_string(&routes).unwrap()).unwrap();
    assert_eq!(back, routes);
}

#[test]
fn every_chart_draws_at_the_smallest_and_largest_sizes() {
    let theme = Theme::light();
    for size in [Size::new(Size::SIDE_MIN_PX, Size::SIDE_MIN_PX), Size::new(Size::SIDE_MAX_PX, 1_200)] {
        for svg in [
            usage_chart().to_svg(&theme, size),
            UsageChart { view: UsageView::PerBucket, ..usage_chart() }.to_svg(&theme, size),
            egress_chart().to_svg(&theme, size),
            route_chart().to_svg(&theme, size),
            quota_chart().to_svg(&theme, size),
        ] {
            let svg = parse(&svg.unwrap());
            assert_eq!(svg.width, size.width_px.to_string());
        }
    }
}

#[test]
fn a_short_range_is_labelled_by_hour() {
    let chart = UsageChart {
        range: TimeRange::new(START_UNIX_S, START_UNIX_S + DAY_S),
        view: UsageView::PerBucket,
        now_unix_s: START_UNIX_S + DAY_S,
        included: None,
        projection: Vec::new(),
        projection_p90: Vec::new(),
        ..usage_chart()
    };
    let svg = parse(&chart.to_svg(&Theme::light(), Size::DASHBOARD).unwrap());
    assert!(svg.has_text("Nov 1") && svg.has_text("06:00") && svg.has_text("12:00"), "{:?}", svg.texts);
}

#[test]
fn png_export_draws_the_text_with_system_fonts() {
    // The empty chart is a frame and one sentence: ink inside the frame's middle band is text.
    let theme = Theme::light();
    let empty = UsageChart { points: Vec::new(), ..usage_chart() };
    let png = to_png(&empty.to_svg(&theme, Size::DASHBOARD).unwrap(), 1.0).unwrap();
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    let bg = theme.background;
    let mut inked = 0;
    for y in 150..200 {
        for x in 200..520 {
            let p = pixmap.pixel(x, y).unwrap();
            if (p.red(), p.green(), p.blue()) != (bg.0, bg.1, bg.2) {
                inked += 1;
            }
        }
    }
    assert!(inked > 300, "the empty-state sentence should be drawn (install fonts-dejavu-core): {inked} pixels");
}

#[test]
fn a_small_chart_keeps_its_plot_by_shortening_the_legend() {
    let small = parse(&usage_chart().to_svg(&Theme::dark(), Size::new(360, 220)).unwrap());
    assert!(small.has_text("Measured") && small.has_text("Projected") && small.has_text("Included"));
    assert!(!small.texts.iter().any(|t| t.starts_with("Measured (")), "{:?}", small.texts);
    let large = parse(&usage_chart().to_svg(&Theme::dark(), Size::DASHBOARD).unwrap());
    assert!(large.texts.iter().any(|t| t.starts_with("Measured (")));
}

/// Five days into a 30-day period, with a budget the projections pass.
fn spend_chart() -> SpendChart {
    SpendChart {
        range: TimeRange::new(START_UNIX_S, START_UNIX_S + 30 * DAY_S),
        now_unix_s: START_UNIX_S + 5 * DAY_S,
        spend_to_date: d("40.00"),
        projections: vec![
            SpendProjection { label: String::from("Run rate"), cost: d("130.00"), capped_from_unix_s: None },
            SpendProjection { label: String::from("P90"), cost: d("180.50"), capped_from_unix_s: None },
        ],
        budget: Some(d("150")),
        spend_cap: Some(d("200")),
        currency: String::from("USD"),
    }
}

/// December after an upgrade from Production to Scale on day 11: the higher base fee takes in
/// usage November paid as overage, so every route's overage falls while the period costs more.
fn upgrade_route_chart() -> RouteCostChart {
    RouteCostChart {
        period_label: String::from("December 2026 projected, against November 2026"),
        currency: String::from("USD"),
        routes: vec![
            RouteCost { route: String::from("/v1/search"), cost: d("3.10"), previous_cost: Some(d("18.71")) },
            RouteCost { route: String::from("/v1/images"), cost: d("0.90"), previous_cost: Some(d("11.29")) },
        ],
        // $19.00 x 10/31 + $79.00 x 21/31 = $6.13 + $53.52.
        period_cost: Some(PeriodCost {
            label: String::from("December 2026, projected"),
            base_fee: d("59.65"),
            overage: d("4.00"),
            cost: d("63.65"),
        }),
        previous_period_cost: Some(PeriodCost {
            label: String::from("November 2026"),
            base_fee: d("19.00"),
            overage: d("30.00"),
            cost: d("49.00"),
        }),
    }
}

#[test]
fn after_an_upgrade_the_route_chart_says_the_period_cost_more_though_every_route_fell() {
    let theme = Theme::light();
    let chart = upgrade_route_chart();
    assert_eq!(
        chart.note().unwrap(),
        vec![
            BASE_FEE_NOTE.to_string(),
            String::from("December 2026, projected: base fee $59.65 + overage $4.00 = $63.65, \u{25B2} +$14.65."),
            String::from("November 2026: base fee $19.00 + overage $30.00 = $49.00."),
        ]
    );
    for width_px in [480, 780, 1_100] {
        let svg = chart.to_svg(&theme, Size::new(width_px, 360)).unwrap();
        let parsed = parse(&svg);
        assert!(parsed.has_text("Overage by route, December 2026 projected, against November 2026"));
        // Each route's overage fell, and says so.
        assert!(parsed.has_text("\u{25BC} -$15.61") && parsed.has_text("\u{25BC} -$10.39"), "{:?}", parsed.texts);
        // The note, wrapped to the chart's width, says what the bars leave out and that the
        // period cost more: every word of it is drawn, in order.
        let labels = labels(&svg);
        // The note sits under the axis description, never over the bars.
        let axis = labels.iter().find(|l| l.text == "Overage this period (USD)").expect("the axis description");
        let note: Vec<&Label> = labels.iter().filter(|l| (l.px - 11.0).abs() < 0.01 && l.y > axis.y).collect();
        let words: Vec<&str> = note.iter().flat_map(|l| l.text.split(' ')).collect();
        let expected: Vec<String> = chart.note().unwrap().join(" ").split(' ').map(str::to_owned).collect();
        assert_eq!(words, expected, "at {width_px} px");
        for line in &note {
            // 0.62 em a character is more than DejaVu Sans takes: no line runs off the chart.
            let width = line.text.chars().count() as f64 * line.px * 0.62;
            assert!(line.x >= 0.0 && line.x + width <= f64::from(width_px), "at {width_px} px `{}` runs off the chart", line.text);
            assert!(line.y + line.px <= 360.0, "at {width_px} px `{}` is below the chart", line.text);
        }
    }
    // The CSV holds the figures of the note: the base fee and the whole period's cost.
    let csv = chart.to_csv().unwrap();
    assert!(csv.ends_with(&format!("{CSV_BASE_FEE_ROW},59.65,19.00,40.65\r\n{CSV_PERIOD_COST_ROW},63.65,49.00,14.65\r\n")), "{csv}");
    // Without a previous period the note gives this period's bill alone.
    let first = RouteCostChart { previous_period_cost: None, ..chart };
    assert_eq!(first.note().unwrap()[1..], [String::from("December 2026, projected: base fee $59.65 + overage $4.00 = $63.65.")]);
}

#[test]
fn the_route_chart_writes_amounts_in_the_books_currency() {
    let euros = RouteCostChart { currency: String::from("EUR"), ..upgrade_route_chart() };
    let svg = euros.to_svg(&Theme::dark(), Size::new(780, 360)).unwrap();
    let parsed = parse(&svg);
    assert!(parsed.has_text("\u{20AC}3.10") && parsed.has_text("\u{25BC} -\u{20AC}15.61"), "{:?}", parsed.texts);
    assert!(parsed.has_text("Overage this period (EUR)"));
    assert!(parsed.texts.iter().any(|t| t.contains("base fee \u{20AC}59.65 + overage \u{20AC}4.00 = \u{20AC}63.65")), "{:?}", parsed.texts);
    assert!(parsed.has_text("\u{20AC}0.00"), "ticks in euros: {:?}", parsed.texts);
    assert!(!svg.contains('$'), "no dollar sign in a chart in euros");
    let francs = RouteCostChart { currency: String::from("CHF"), ..upgrade_route_chart() };
    assert!(parse(&francs.to_svg(&Theme::dark(), Size::new(780, 360)).unwrap()).has_text("CHF 3.10"));
    // The spend chart too.
    let spend = SpendChart { currency: String::from("GBP"), ..spend_chart() };
    let spend_svg = spend.to_svg(&Theme::light(), Size::DASHBOARD).unwrap();
    assert!(spend_svg.contains("Budget (\u{00A3}150.00)") && !spend_svg.contains('$'), "{spend_svg}");
}

/// A text of a chart: its words, its size in pixels, the point it is anchored at and how.
struct Label {
    text: String,
    px: f64,
    x: f64,
    y: f64,
    anchor: String,
}

fn labels(svg: &str) -> Vec<Label> {
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
    let number = |node: roxmltree::Node<'_, '_>, name: &str| node.attribute(name).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| Label {
            text: n.text().unwrap_or_default().trim().to_string(),
            px: number(n, "font-size"),
            x: number(n, "x"),
            y: number(n, "y"),
            anchor: n.attribute("text-anchor").unwrap_or("start").to_string(),
        })
        .collect()
}

#[test]
fn text_keeps_its_size_and_dates_stay_apart_at_every_width_the_app_draws() {
    // The app draws a chart as wide as it shows it, from 480 to 1,600 px (the dashboard's
    // column is about 780 px wide in an 880 x 600 window): the text is drawn at the same size
    // at every width, and a narrower chart labels fewer dates rather than crowding them.
    let theme = Theme::dark();
    for width_px in [480, 780, 1_100, 1_600] {
        let size = Size::new(width_px, 360);
        for (name, svg) in [
            ("usage", usage_chart().to_svg(&theme, size)),
            ("per bucket", UsageChart { view: UsageView::PerBucket, ..usage_chart() }.to_svg(&theme, size)),
            ("egress", egress_chart().to_svg(&theme, size)),
            ("routes", route_chart().to_svg(&theme, size)),
            ("routes after an upgrade", upgrade_route_chart().to_svg(&theme, size)),
            ("spend", spend_chart().to_svg(&theme, size)),
        ] {
            let svg = svg.unwrap();
            assert_eq!(parse(&svg).width, width_px.to_string(), "{name}");
            let labels = labels(&svg);
            assert!(!labels.is_empty() && labels.iter().all(|l| l.px >= 11.0), "{name} at {width_px} px: text under 11 px");
            // Centred labels on one line (the dates under a time axis) leave room for their
            // words: 0.62 em a character is more than DejaVu Sans takes.
            let mut centred: Vec<&Label> = labels.iter().filter(|l| l.anchor == "middle").collect();
            centred.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
            for pair in centred.windows(2).filter(|p| p[0].y == p[1].y) {
                let half = |l: &Label| l.text.chars().count() as f64 * l.px * 0.62 / 2.0;
                assert!(
                    pair[1].x - pair[0].x >= half(pair[0]) + half(pair[1]),
                    "{name} at {width_px} px: `{}` and `{}` overlap",
                    pair[0].text,
                    pair[1].text
                );
            }
        }
    }
}
