//! The hall's clock. Service days, printed times and the clock on screen are in hall time
//! (China Standard Time, UTC+8, no daylight saving), the same day the platform uses, whatever
//! time zone the machine itself is set to.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// The hall's offset from UTC.
pub fn hall_offset() -> FixedOffset {
    FixedOffset::east_opt(kiosk_platform::api::HALL_UTC_OFFSET_SECS).expect("valid offset")
}

/// Now, in hall time.
pub fn hall_now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&hall_offset())
}

/// Today's service day in the hall.
pub fn service_day() -> NaiveDate {
    kiosk_platform::api::hall_service_day(Utc::now())
}

/// A span of the day, from one time to another (may pass midnight; equal ends are the
/// whole day): the voice's quiet hours, the screen's night.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyHours {
    /// From this time on.
    pub from: NaiveTime,
    /// Until this time.
    pub to: NaiveTime,
}

impl DailyHours {
    /// `"22:00-07:00"`.
    pub fn parse(s: &str) -> Option<DailyHours> {
        let (from, to) = s.split_once('-')?;
        let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
        Some(DailyHours {
            from: t(from)?,
            to: t(to)?,
        })
    }

    /// Whether `at` is in them.
    pub fn contains(self, at: NaiveTime) -> bool {
        if self.from == self.to {
            true
        } else if self.from < self.to {
            self.from <= at && at < self.to
        } else {
            at >= self.from || at < self.to
        }
    }
}

impl std::fmt::Display for DailyHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_pass_midnight_and_equal_ends_are_the_whole_day() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let night = DailyHours::parse("22:00-06:30").unwrap();
        assert!(night.contains(t(23, 59)) && night.contains(t(0, 0)) && night.contains(t(6, 29)));
        assert!(!night.contains(t(6, 30)) && !night.contains(t(21, 59)));
        let all = DailyHours::parse("03:00-03:00").unwrap();
        assert!(all.contains(t(2, 59)) && all.contains(t(3, 0)) && all.contains(t(15, 0)));
        assert_eq!(DailyHours::parse("9:00"), None);
    }

    #[test]
    fn the_service_day_turns_at_midnight_in_the_hall() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            kiosk_platform::api::hall_service_day(t),
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
        );
        assert_eq!(
            t.with_timezone(&hall_offset()).format("%H:%M").to_string(),
            "00:30"
        );
    }
}
