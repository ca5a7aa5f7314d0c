//! The hall's clock. Service days, printed times and the clock on screen are in hall time
//! (China Standard Time, UTC+8, no daylight saving), the same day the platform uses, whatever
//! time zone the machine itself is set to.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
