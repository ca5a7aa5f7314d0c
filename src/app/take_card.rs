//! "Take your ID card" (请取回您的身份证): the page every way out of a session that used the
//! card passes through — finish, a done page's time, the idle wipe — until the reader no
//! longer sees the card, or, for a card left under the document scanner's lid, until the
//! citizen says they took it. The session is already wiped when it shows (the citizen's data
//! went with it); the rating step, when there is one, comes after it: the card first, then
//! the rating.

use std::time::Duration;

/// Where the card lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardPlace {
    /// On the ID-card reader: the page goes as soon as the reader stops seeing it.
    Reader,
    /// On the document scanner's glass (an ID-card copy). The scanner cannot tell an empty
    /// glass without a scan, so the citizen confirms with "done" (or the page times out).
    Glass,
}

/// The take-card page.
#[derive(Debug)]
pub struct TakeCard<I> {
    place: CardPlace,
    /// When it first showed (set on the first tick when the way out had no time: finish).
    since: Option<Duration>,
    /// The rating step to ask once the card is taken: the service used and its case.
    then_rate: Option<(I, Option<String>)>,
}

impl<I> TakeCard<I> {
    /// The page for a card at `place`; `then_rate` is the rating step that follows.
    pub fn new(
        place: CardPlace,
        since: Option<Duration>,
        then_rate: Option<(I, Option<String>)>,
    ) -> Self {
        Self {
            place,
            since,
            then_rate,
        }
    }

    /// Where the card lies.
    pub fn place(&self) -> CardPlace {
        self.place
    }

    /// Whether the citizen walked away without it: shown for `limit` already.
    pub(super) fn timed_out(&mut self, now: Duration, limit: Duration) -> bool {
        let since = *self.since.get_or_insert(now);
        now.saturating_sub(since) >= limit
    }

    /// The rating step that follows, taken out.
    pub(super) fn take_rating(&mut self) -> Option<(I, Option<String>)> {
        self.then_rate.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_counts_from_the_first_tick_when_the_way_out_had_none() {
        let mut t: TakeCard<()> = TakeCard::new(CardPlace::Reader, None, None);
        let s = Duration::from_secs;
        assert!(!t.timed_out(s(100), s(30)), "starts counting now");
        assert!(!t.timed_out(s(129), s(30)));
        assert!(t.timed_out(s(130), s(30)));
    }
}
