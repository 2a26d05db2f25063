//! The persistent notice banner at 80% and 100% of a quota, and which crossings were already
//! announced as desktop notifications.

use super::*;

/// How strong the banner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BannerLevel {
    /// A meter passed 80% of its quota.
    Warning,
    /// A meter passed 100%: overage is being charged.
    Over,
    /// A meter passed 100% on a tier with a hard cap: traffic past the quota is refused.
    Capped,
}

/// One open notice as a line of the banner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BannerLine {
    pub notice_id: String,
    pub meter: String,
    /// "Requests passed 80% of the Production quota on Nov 20".
    pub headline: String,
    /// "10 days left · projected to cost $31.50".
    pub detail: String,
}

/// The persistent banner over the dashboard. It exists while any notice is open and goes
/// away only when the condition is resolved (an upgrade, or the period's end).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NoticeBanner {
    pub level: BannerLevel,
    /// The strongest notice first.
    pub lines: Vec<BannerLine>,
    /// What the level means for the account, in one sentence.
    pub summary: String,
    /// "Upgrade to Scale": the engine's offer with the strongest notice; `None` when no
    /// higher tier would leave the usage uncapped (the last tier).
    pub upgrade_label: Option<String>,
    /// What the offered upgrade would cost this period against staying, beside its button.
    pub upgrade_hint: Option<String>,
    /// The engine recommends the upgrade: its button is the banner's primary action. One that
    /// costs more than staying is offered as a plain button beside its hint.
    pub upgrade_recommended: bool,
    /// Whether the tier takes burst credit packs (the sandbox does not).
    pub can_buy_credits: bool,
}

/// The banner for `view`, `None` when no notice is open.
pub fn notice_banner(book: &PriceBook, view: &DashboardView) -> Option<NoticeBanner> {
    let mut notices: Vec<&NoticeView> = view.notices.iter().collect();
    if notices.is_empty() {
        return None;
    }
    // Strongest first; the meter name breaks ties so the order is stable between syncs.
    notices.sort_by(|a, b| b.threshold_percent.cmp(&a.threshold_percent).then_with(|| a.meter.cmp(&b.meter)));
    let tier = book.tier(&view.tier);
    let hard_cap = tier.is_some_and(|t| t.hard_cap);
    let top = notices[0].threshold_percent;
    let level = match (top >= 100, hard_cap) {
        (true, true) => BannerLevel::Capped,
        (true, false) => BannerLevel::Over,
        (false, _) => BannerLevel::Warning,
    };
    let lines = notices
        .iter()
        .map(|n| BannerLine {
            notice_id: n.id.clone(),
            meter: n.meter.clone(),
            headline: format!(
                "{} passed {}% of the {} quota on {}",
                n.meter_label,
                n.threshold_percent,
                view.tier_label,
                short_day(&n.reached_on)
            ),
            detail: format!("{} · projected to cost {}", days_left_text(n.days_left), n.projected_bill),
        })
        .collect();
    let summary = match level {
        BannerLevel::Capped => {
            format!("The {} tier is capped: traffic over the quota is refused until the period ends or you upgrade.", view.tier_label)
        }
        BannerLevel::Over => "Usage past the quota is billed as overage; burst credit pays it first.".to_owned(),
        // Only what is certain: the projection may or may not reach the quota.
        BannerLevel::Warning if hard_cap => format!(
            "At 100% the {} tier caps traffic: requests over the quota are refused until the period ends or you upgrade.",
            view.tier_label
        ),
        BannerLevel::Warning => "Past 100%, usage is billed as overage; burst credit pays it first.".to_owned(),
    };
    // A spend cap stops the overage: say when it is projected to, or that it already did.
    let summary = match view.budget.as_ref().and_then(|b| b.cap_note.as_ref()).filter(|_| !hard_cap) {
        Some(note) => match level {
            BannerLevel::Warning => format!("Past 100%, usage is billed as overage up to the spend cap. {note}"),
            _ => format!("Usage past the quota is billed as overage up to the spend cap. {note}"),
        },
        None => summary,
    };
    // The upgrade is the engine's offer (the one the sheet opens on), never a second rule here.
    let offer = notices[0].upgrade.as_ref();
    Some(NoticeBanner {
        level,
        lines,
        summary,
        upgrade_label: offer.map(|o| format!("Upgrade to {}", book.tier(&o.tier).map_or(o.tier.as_str(), |t| t.display_name()))),
        upgrade_hint: offer.map(|o| o.text.clone()),
        upgrade_recommended: offer.is_some_and(|o| o.recommended),
        // Credit bought before a scheduled move to a tier without packs could never be spent.
        can_buy_credits: tier.is_some_and(|t| t.credit_packs)
            && view.scheduled.as_ref().is_none_or(|s| book.tier(&s.tier).is_some_and(|t| t.credit_packs)),
    })
}

/// Which thresholds were already announced with a desktop notification, kept in the app
/// data folder so each fires once per period, across restarts and from background syncs.
#[derive(Clone, Debug)]
pub struct NotifiedThresholds {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
pub(super) struct NotifiedFile {
    /// The period these entries belong to (`YYYY-MM-DD` of its first day).
    period: String,
    /// `meter:threshold`, e.g. `requests:80`, and `alert:<id>` for spend alerts.
    announced: BTreeSet<String>,
}

impl NotifiedThresholds {
    /// The record `notified.json` in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> NotifiedThresholds {
        NotifiedThresholds { path: data_dir.join("notified.json") }
    }

    /// The notices of `view` not announced yet this period, recorded as announced. A record
    /// of an earlier period is dropped, so the file never grows past one period's thresholds.
    pub fn take_new(&self, view: &DashboardView) -> Result<Vec<NoticeView>, DesktopError> {
        let keys: Vec<String> = view.notices.iter().map(|n| format!("{}:{}", n.meter, n.threshold_percent)).collect();
        let fresh = self.take_new_keys(&view.period_first_day, &keys)?;
        Ok(view.notices.iter().zip(keys).filter(|(_, k)| fresh.contains(k)).map(|(n, _)| n.clone()).collect())
    }

    /// Which of `keys` were not announced yet in `period`, recorded as announced.
    pub(crate) fn take_new_keys(&self, period: &str, keys: &[String]) -> Result<BTreeSet<String>, DesktopError> {
        let mut file: NotifiedFile = crate::files::read_json(&self.path).unwrap_or_default();
        if file.period != period {
            file = NotifiedFile { period: period.to_owned(), announced: BTreeSet::new() };
        }
        let fresh: BTreeSet<String> = keys.iter().filter(|k| file.announced.insert((*k).clone())).cloned().collect();
        if !fresh.is_empty() {
            crate::files::write_json(&self.path, &file)?;
        }
        Ok(fresh)
    }
}

/// "Nov 20" from `YYYY-MM-DD`.
pub(super) fn short_day(day: &str) -> String {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_or_else(|_| day.to_owned(), |d| d.format("%b %-d").to_string())
}

pub(super) fn days_left_text(days: u32) -> String {
    match days {
        0 => "last day of the period".to_owned(),
        1 => "1 day left".to_owned(),
        n => format!("{n} days left"),
    }
}
