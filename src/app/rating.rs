//! The rating step (好差评) the shell shows after a session that used a service: five
//! levels, and for the lower three a few reasons to pick. It comes *after* the wipe: the
//! citizen's data, the flow and the session token are gone before it shows, so rating can
//! neither keep personal data nor delay the end of a session. What it holds is the service
//! and, where there is one, the case number; no free text (pinyin typing is out of scope,
//! and a typed comment could carry a phone number or a name to the platform).

use std::time::Duration;

/// How long the rating step waits for a touch before it gives way to the attract screen.
/// A level already chosen is sent then, with the reasons picked so far.
pub const RATING_IDLE: Duration = Duration::from_secs(20);
/// How long "thank you" shows.
pub const THANKS_FOR: Duration = Duration::from_secs(3);

/// The five levels, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// 非常满意.
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    Basic,
    /// 不满意.
    Unsatisfied,
    /// 非常不满意.
    VeryUnsatisfied,
}

impl Level {
    /// Best first, as the page shows them.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::Basic,
        Level::Unsatisfied,
        Level::VeryUnsatisfied,
    ];

    /// The lower three ask why.
    pub fn asks_why(self) -> bool {
        matches!(
            self,
            Level::Basic | Level::Unsatisfied | Level::VeryUnsatisfied
        )
    }
}

/// Why not fully satisfied: the list the page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// 等候时间长.
    LongWait,
    /// 操作复杂.
    HardToUse,
    /// 指引不清楚.
    UnclearGuidance,
    /// 设备故障.
    DeviceFault,
    /// 信息有误.
    WrongInformation,
    /// 事项未办成.
    NotDone,
}

impl Reason {
    /// In the page's order.
    pub const ALL: [Reason; 6] = [
        Reason::LongWait,
        Reason::HardToUse,
        Reason::UnclearGuidance,
        Reason::DeviceFault,
        Reason::WrongInformation,
        Reason::NotDone,
    ];
}

/// A rating to send: the service, its case, the level and the reasons.
#[derive(Clone, PartialEq, Eq)]
pub struct Rated<I> {
    /// The service rated.
    pub service: I,
    /// The case it opened or followed, if any (a case number is not personal data).
    pub case_number: Option<String>,
    /// How satisfied.
    pub level: Level,
    /// Why not fully (empty for the upper two).
    pub reasons: Vec<Reason>,
}

// A case number ties a log line to a person: `Debug` says only whether there is one.
impl<I: std::fmt::Debug> std::fmt::Debug for Rated<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rated")
            .field("service", &self.service)
            .field(
                "case_number",
                &self.case_number.as_ref().map(|_| "<redacted>"),
            )
            .field("level", &self.level)
            .field("reasons", &self.reasons)
            .finish()
    }
}

/// Where a rating goes (the rating worker writes it to the outbox). Never blocks.
pub trait RatingPort<I> {
    /// Queues `rated` to be stored and sent.
    fn rate(&self, rated: Rated<I>);
}

/// Where the citizen is in rating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingStep {
    /// The five levels, and "skip".
    Choose,
    /// A lower level was chosen: pick reasons (any, or none), then submit; or skip.
    Reasons {
        /// The level chosen.
        level: Level,
        /// Reasons picked so far, in the page's order.
        picked: Vec<Reason>,
    },
    /// Sent: "thank you".
    Thanks,
}

/// The rating step on screen: which service it is for, and where the citizen is.
#[derive(Clone)]
pub struct Rating<I> {
    service: I,
    case_number: Option<String>,
    step: RatingStep,
    /// The last touch (or when the step showed); `None` until the clock first ticks on
    /// it, since "finish" comes with no time.
    since: Option<Duration>,
}

impl<I: std::fmt::Debug> std::fmt::Debug for Rating<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rating")
            .field("service", &self.service)
            .field(
                "case_number",
                &self.case_number.as_ref().map(|_| "<redacted>"),
            )
            .field("step", &self.step)
            .finish()
    }
}

/// What a touch on the rating step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingDone<I> {
    /// Still on the rating step.
    Stay,
    /// Leave for the attract screen, sending this rating first if there is one.
    Leave(Option<Rated<I>>),
}

impl<I: Copy> Rating<I> {
    /// The rating step for `service`, after its session ended.
    pub fn new(service: I, case_number: Option<String>, now: Option<Duration>) -> Self {
        Self {
            service,
            case_number,
            step: RatingStep::Choose,
            since: now,
        }
    }

    /// The service being rated.
    pub fn service(&self) -> I {
        self.service
    }

    /// The step on screen.
    pub fn step(&self) -> &RatingStep {
        &self.step
    }

    fn rated(&self, level: Level, reasons: Vec<Reason>) -> Rated<I> {
        Rated {
            service: self.service,
            case_number: self.case_number.clone(),
            level,
            reasons,
        }
    }

    /// A level button: the upper two are sent at once; the lower three ask why.
    pub fn choose(&mut self, level: Level, now: Duration) -> Option<Rated<I>> {
        if self.step != RatingStep::Choose {
            return None;
        }
        self.since = Some(now);
        if level.asks_why() {
            self.step = RatingStep::Reasons {
                level,
                picked: Vec::new(),
            };
            None
        } else {
            self.step = RatingStep::Thanks;
            Some(self.rated(level, Vec::new()))
        }
    }

    /// A reason button: picks it, or unpicks it.
    pub fn toggle(&mut self, reason: Reason, now: Duration) {
        if let RatingStep::Reasons { picked, .. } = &mut self.step {
            self.since = Some(now);
            if let Some(i) = picked.iter().position(|r| *r == reason) {
                picked.remove(i);
            } else {
                picked.push(reason);
                picked.sort_by_key(|r| Reason::ALL.iter().position(|a| a == r));
            }
        }
    }

    /// "Submit" on the reasons page (reasons are optional).
    pub fn submit(&mut self, now: Duration) -> Option<Rated<I>> {
        let RatingStep::Reasons { level, picked } = &self.step else {
            return None;
        };
        let rated = self.rated(*level, picked.clone());
        self.step = RatingStep::Thanks;
        self.since = Some(now);
        Some(rated)
    }

    /// "Back" on the reasons page: choose the level again.
    pub fn back(&mut self, now: Duration) {
        if matches!(self.step, RatingStep::Reasons { .. }) {
            self.step = RatingStep::Choose;
            self.since = Some(now);
        }
    }

    /// The step is left without "submit" (the next card, a code, the idle time): a level
    /// already chosen is the citizen's answer and is sent; nothing else is.
    pub fn abandon(&self) -> Option<Rated<I>> {
        match &self.step {
            RatingStep::Reasons { level, picked } => Some(self.rated(*level, picked.clone())),
            RatingStep::Choose | RatingStep::Thanks => None,
        }
    }

    /// The clock ticked: whether the step's time is up.
    pub fn tick(&mut self, now: Duration) -> RatingDone<I> {
        let since = *self.since.get_or_insert(now);
        let limit = match self.step {
            RatingStep::Thanks => THANKS_FOR,
            _ => RATING_IDLE,
        };
        if now.saturating_sub(since) >= limit {
            RatingDone::Leave(self.abandon())
        } else {
            RatingDone::Stay
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn an_upper_level_is_sent_at_once_and_thanks_go_after_a_while() {
        let mut r = Rating::new(7u8, None, Some(S(0)));
        let sent = r.choose(Level::Satisfied, S(1)).expect("sent at once");
        assert_eq!(sent.level, Level::Satisfied);
        assert!(sent.reasons.is_empty());
        assert_eq!(r.step(), &RatingStep::Thanks);
        assert_eq!(r.choose(Level::Basic, S(1)), None, "one rating per step");
        assert_eq!(r.tick(S(3)), RatingDone::Stay);
        assert_eq!(r.tick(S(4)), RatingDone::Leave(None), "nothing sent twice");
    }

    #[test]
    fn a_lower_level_asks_why_and_sends_the_reasons_picked_in_the_page_order() {
        let mut r = Rating::new(1u8, Some("ZM-1".into()), None);
        assert_eq!(r.choose(Level::VeryUnsatisfied, S(0)), None);
        r.toggle(Reason::NotDone, S(1));
        r.toggle(Reason::LongWait, S(1));
        r.toggle(Reason::DeviceFault, S(1));
        r.toggle(Reason::DeviceFault, S(2));
        let sent = r.submit(S(3)).unwrap();
        assert_eq!(sent.reasons, [Reason::LongWait, Reason::NotDone]);
        assert_eq!(sent.case_number.as_deref(), Some("ZM-1"));
        assert_eq!(sent.level, Level::VeryUnsatisfied);
        assert_eq!(r.submit(S(3)), None);
    }

    #[test]
    fn debug_never_shows_the_case_number() {
        let r = Rating::new(1u8, Some("SB-20261124-000501".into()), None);
        assert!(!format!("{r:?}").contains("000501"));
        let mut r = r;
        let sent = r.choose(Level::Satisfied, S(0)).unwrap();
        assert!(!format!("{sent:?}").contains("000501"));
    }

    #[test]
    fn back_chooses_again_and_walking_away_sends_only_a_chosen_level() {
        let mut r = Rating::new(1u8, None, None);
        // The first tick stamps the step ("finish" carries no time).
        assert_eq!(r.tick(S(100)), RatingDone::Stay);
        assert_eq!(r.tick(S(100) + RATING_IDLE), RatingDone::Leave(None));

        let mut r = Rating::new(1u8, None, Some(S(0)));
        r.choose(Level::Basic, S(1));
        r.back(S(2));
        assert_eq!(r.step(), &RatingStep::Choose);
        r.choose(Level::Unsatisfied, S(3));
        r.toggle(Reason::HardToUse, S(4));
        assert_eq!(r.tick(S(4) + RATING_IDLE - S(1)), RatingDone::Stay);
        let RatingDone::Leave(Some(sent)) = r.tick(S(4) + RATING_IDLE) else {
            panic!("the chosen level is the citizen's answer");
        };
        assert_eq!(
            (sent.level, sent.reasons),
            (Level::Unsatisfied, vec![Reason::HardToUse])
        );
    }
}
