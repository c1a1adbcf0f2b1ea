//! Time, injected. Tests and `hush replay` move it by hand; the browser uses the
//! system clock. Hush only ever reports the UTC day (P7), so the rest of the core
//! deals in [`UtcDay`] and milliseconds since the Unix epoch.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const MS_PER_DAY: i64 = 86_400_000;

/// No clock that reads a day before this one is right: this version of Hush
/// did not exist yet. A phone that lost its time boots at 1970 or at its
/// build date, and Hush does not close, open or seal a window on such a
/// reading (see `day_change`). Moved forward at a release; an older value
/// is always safe, only less protective.
pub const EARLIEST_TRUE_DAY: UtcDay = UtcDay(20_758); // 2026-11-01

/// A source of wall-clock time in milliseconds since the Unix epoch (UTC).
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// The real clock: the wall clock (UTC), in milliseconds.
///
/// On Linux and Android it is `CLOCK_REALTIME_COARSE`: the wall clock as of
/// the last timer tick, a few milliseconds behind at most, read from the
/// vDSO without a system call. Hush keeps UTC days and schedules in minutes,
/// so a tick's resolution changes nothing it decides, and every recording
/// call reads it: it is a third of what `SystemTime::now()` costs there
/// (the conversion to a `Duration` since the epoch is most of that).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use rustix::time::{clock_gettime_dynamic, ClockId, DynamicClockId};
            if let Ok(t) = clock_gettime_dynamic(DynamicClockId::Known(ClockId::RealtimeCoarse)) {
                // A clock before 1970 is broken: the epoch. Nanoseconds are
                // 0..1e9 (a C long: i32 on 32-bit Android); wrapping
                // arithmetic, which cannot wrap before the year 292 million.
                let millis = (t.tv_nsec as u64 / 1_000_000) as i64;
                return t.tv_sec.max(0).wrapping_mul(1000).wrapping_add(millis);
            }
        }
        system_time_ms()
    }
}

/// `SystemTime`, where there is no coarse clock (or it failed).
fn system_time_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        // A clock before 1970 is broken; treat it as the epoch rather than panic.
        Err(_) => 0,
    }
}

/// A clock that only moves when told to. Cloning shares the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(now_ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now_ms)))
    }
    pub fn set_ms(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
    pub fn advance_ms(&self, delta_ms: i64) {
        self.0.fetch_add(delta_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A UTC calendar day, counted in days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDay(pub i64);

impl UtcDay {
    pub fn of_ms(ms: i64) -> Self {
        Self(ms.div_euclid(MS_PER_DAY))
    }
    pub fn start_ms(self) -> i64 {
        self.0.saturating_mul(MS_PER_DAY)
    }
    pub fn end_ms(self) -> i64 {
        self.0.saturating_add(1).saturating_mul(MS_PER_DAY)
    }

    /// `YYYY-MM-DD` (proleptic Gregorian), the only time a report carries.
    pub fn iso(self) -> String {
        let (y, m, d) = civil_from_days(self.0);
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// Parses `YYYY-MM-DD`.
    /// Exactly `YYYY-MM-DD` (what reports carry): no sign, no short fields.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10
            || b[4] != b'-'
            || b[7] != b'-'
            || !digits(0..4)
            || !digits(5..7)
            || !digits(8..10)
        {
            return None;
        }
        let mut it = s.split('-');
        let y: i64 = it.next()?.parse().ok()?;
        let m: u32 = it.next()?.parse().ok()?;
        let d: u32 = it.next()?.parse().ok()?;
        if it.next().is_some() || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        Some(Self(days_from_civil(y, m, d)))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms: exact for the whole i64-day range we use.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_known_days() {
        assert_eq!(UtcDay(0).iso(), "1970-01-01");
        assert_eq!(UtcDay::of_ms(1_763_683_200_000).iso(), "2025-11-21");
        assert_eq!(UtcDay::parse_iso("2000-02-29").unwrap().iso(), "2000-02-29");
        assert_eq!(UtcDay::parse_iso("1969-12-31"), Some(UtcDay(-1)));
        for bad in [
            "2001-02-29",
            "2020-13-01",
            "2020-00-10",
            "2020-01-32",
            "x",
            "2020-1-1-1",
            "+2026-1-5",
            "2026-1-05",
            "2026-01-5",
            "+202-01-05",
            "2026-01-05 ",
            "２026-01-05",
        ] {
            assert_eq!(UtcDay::parse_iso(bad), None, "{bad}");
        }
        // Years 0000-9999 only: a report never needs a negative year.
        for day in -719_000..2_900_000i64 {
            if day % 997 == 0 {
                assert_eq!(UtcDay::parse_iso(&UtcDay(day).iso()), Some(UtcDay(day)));
            }
        }
    }

    #[test]
    fn earliest_true_day_is_the_date_it_says() {
        assert_eq!(EARLIEST_TRUE_DAY.iso(), "2026-11-01");
    }

    #[test]
    fn day_boundaries() {
        let d = UtcDay::of_ms(MS_PER_DAY * 5 + 1);
        assert_eq!(d, UtcDay(5));
        assert_eq!(d.start_ms(), MS_PER_DAY * 5);
        assert_eq!(d.end_ms(), MS_PER_DAY * 6);
        assert_eq!(UtcDay::of_ms(-1), UtcDay(-1));
    }

    #[test]
    fn system_clock_is_the_wall_clock() {
        // The coarse clock lags the precise one by at most a tick (a few ms).
        for _ in 0..1_000 {
            let before = system_time_ms();
            let now = SystemClock.now_ms();
            let after = system_time_ms();
            assert!(now <= after, "{now} > {after}");
            assert!(
                now >= before - 50,
                "{now} is more than 50 ms before {before}"
            );
        }
        assert!(
            SystemClock.now_ms() > 1_700_000_000_000,
            "after November 2023"
        );
    }

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let a = ManualClock::new(10);
        let b = a.clone();
        a.advance_ms(5);
        assert_eq!(b.now_ms(), 15);
        b.set_ms(1);
        assert_eq!(a.now_ms(), 1);
    }
}
