//! Time for the scheduler: human durations (`1m`, `1h30m`), apply windows written as cron
//! fields, jittered intervals and exponential backoff, and a clock that tests can pause. Kept
//! apart from the loop so each rule is a small pure function with its own tests.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses `500ms`, `30s`, `5m`, `1h30m`, `1d`: one or more number+unit pairs, no spaces.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("it is empty".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| "the number is too large".to_string())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            "" => return Err(format!("{n} has no unit (ms, s, m, h or d)")),
            other => return Err(format!("unknown unit {other:?} (use ms, s, m, h or d)")),
        };
        total = total.saturating_add(part);
    }
    Ok(total)
}

/// Formats a duration the way `parse_duration` reads it (`1h30m`, `45s`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let mut out = String::new();
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= n {
            out.push_str(&format!("{}{unit}", secs / n));
            secs %= n;
        }
    }
    out
}

/// Times when applies are allowed: one or more cron expressions (five fields, UTC); a minute
/// is inside the window when any expression matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    exprs: Vec<CronExpr>,
    source: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CronExpr {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    /// Cron's rule: when both day fields are restricted, a day matching either counts.
    dom_star: bool,
    dow_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Window {
    pub fn parse(exprs: &[&str]) -> Result<Window, String> {
        if exprs.is_empty() {
            return Err("no expression".into());
        }
        let parsed = exprs
            .iter()
            .map(|e| CronExpr::parse(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Window {
            exprs: parsed,
            source: exprs.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// True if applies are allowed at this Unix time (UTC).
    pub fn allows(&self, unix_secs: i64) -> bool {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix_secs) else {
            return false;
        };
        self.exprs.iter().any(|e| e.matches(&t))
    }

    /// The expressions as written.
    pub fn source(&self) -> &[String] {
        &self.source
    }
}

impl CronExpr {
    fn parse(s: &str) -> Result<CronExpr, String> {
        let fields: Vec<&str> = s.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
                fields.len()
            ));
        }
        let minute = field(fields[0], "minute", 0, 59, &[])?;
        let hour = field(fields[1], "hour", 0, 23, &[])?;
        let dom = field(fields[2], "day-of-month", 1, 31, &[])?;
        let month = field(fields[3], "month", 1, 12, &MONTHS)?;
        let mut dow = field(fields[4], "day-of-week", 0, 7, &DAYS)?;
        if dow & (1 << 7) != 0 {
            dow |= 1; // 7 is Sunday too
        }
        Ok(CronExpr {
            minute,
            hour,
            dom,
            month,
            dow,
            dom_star: fields[2] == "*",
            dow_star: fields[4] == "*",
        })
    }

    fn matches(&self, t: &time::OffsetDateTime) -> bool {
        let bit = |set: u64, v: u8| set & (1u64 << v) != 0;
        let dom_ok = bit(self.dom, t.day());
        let dow_ok = bit(self.dow, t.weekday().number_days_from_sunday());
        let day_ok = if self.dom_star || self.dow_star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        };
        bit(self.minute, t.minute())
            && bit(self.hour, t.hour())
            && bit(self.month, u8::from(t.month()))
            && day_ok
    }
}

/// One cron field as a bit set: `*`, `5`, `1-5`, `*/15`, `9-17/2`, `mon-fri`, comma lists.
fn field(s: &str, what: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let value = |v: &str| -> Result<u32, String> {
        let lower = v.to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == lower) {
            // Month names count from 1, day names from 0 (Sunday).
            return Ok(i as u32 + min);
        }
        let n: u32 = v
            .parse()
            .map_err(|_| format!("{what} {v:?} is not a number"))?;
        if n < min || n > max {
            return Err(format!("{what} {n} is out of range {min}-{max}"));
        }
        Ok(n)
    };
    let mut set = 0u64;
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let st: u32 = st
                    .parse()
                    .map_err(|_| format!("{what} step {st:?} is not a number"))?;
                if st == 0 {
                    return Err(format!("{what} step must be at least 1"));
                }
                (r, st)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(format!("{what} range {a}-{b} runs backwards"));
            }
            (a, b)
        } else if part.contains('/') {
            (value(range)?, max)
        } else {
            let v = value(range)?;
            (v, v)
        };
        let mut v = lo;
        while v <= hi {
            set |= 1u64 << v;
            v += step;
        }
    }
    Ok(set)
}

/// `interval` ± 10%, so many stacks with the same interval spread out instead of firing together.
pub fn jittered(interval: Duration, rng: &mut fastrand::Rng) -> Duration {
    interval.mul_f64(0.9 + 0.2 * rng.f64())
}

/// Delay before retry number `failures` (1 = first retry): doubling from `min(interval, 5s)`,
/// capped at `max(interval, 5m)`, with "equal jitter" (half fixed, half random) so retries of
/// stacks that failed together (a cloud outage) do not stay in lockstep.
pub fn backoff(failures: u32, interval: Duration, rng: &mut fastrand::Rng) -> Duration {
    let (base, cap) = backoff_bounds(interval);
    let exp = failures.saturating_sub(1).min(30);
    let d = base.saturating_mul(1u32 << exp).min(cap);
    d / 2 + (d / 2).mul_f64(rng.f64())
}

/// (first delay, largest delay) of `backoff` for an interval.
pub fn backoff_bounds(interval: Duration) -> (Duration, Duration) {
    let base = interval.min(Duration::from_secs(5));
    let cap = interval.max(Duration::from_secs(300));
    (base, cap)
}

/// Wall-clock time for windows and timestamps. `Tokio` derives it from tokio's clock, so tests
/// on paused time see windows open and close as virtual time advances.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Tokio {
        base_unix: f64,
        base: tokio::time::Instant,
    },
}

impl Clock {
    /// A clock that reads `start_unix` now and advances with tokio's (possibly paused) time.
    pub fn tokio_at(start_unix: f64) -> Clock {
        Clock::Tokio {
            base_unix: start_unix,
            base: tokio::time::Instant::now(),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now_unix(&self) -> f64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            Clock::Tokio { base_unix, base } => base_unix + base.elapsed().as_secs_f64(),
        }
    }

    /// The Unix time at which a tokio instant falls.
    pub fn unix_at(&self, at: tokio::time::Instant) -> f64 {
        let now = tokio::time::Instant::now();
        let n = self.now_unix();
        if at >= now {
            n + (at - now).as_secs_f64()
        } else {
            n - (now - at).as_secs_f64()
        }
    }
}

/// RFC 3339 UTC, to the second.
pub fn rfc3339(unix: f64) -> String {
    terrane_state::format_unix(unix.max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 m").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("m")
            .unwrap_err()
            .contains("expected a number"));
        assert!(parse_duration("3y")
            .unwrap_err()
            .contains("unknown unit \"y\""));
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(300)), "300ms");
    }

    // 2026-12-07 is a Monday.
    fn at(day: i64, hour: i64, min: i64) -> i64 {
        let monday = 1_796_601_600; // 2026-12-07T00:00:00Z
        monday + (day * 24 + hour) * 3600 + min * 60
    }

    #[test]
    fn monday_reference_is_right() {
        let t = time::OffsetDateTime::from_unix_timestamp(at(0, 0, 0)).unwrap();
        assert_eq!(t.weekday(), time::Weekday::Monday);
        assert_eq!((t.year(), u8::from(t.month()), t.day()), (2026, 12, 7));
    }

    #[test]
    fn windows() {
        let w = Window::parse(&["* 9-17 * * mon-fri"]).unwrap();
        assert!(w.allows(at(0, 9, 0)));
        assert!(w.allows(at(4, 17, 59)));
        assert!(!w.allows(at(0, 8, 59)));
        assert!(!w.allows(at(0, 18, 0)));
        assert!(!w.allows(at(5, 12, 0))); // Saturday
        let w = Window::parse(&["0-29 * * * *", "* 3 * * 0"]).unwrap();
        assert!(w.allows(at(2, 5, 29)));
        assert!(!w.allows(at(2, 5, 30)));
        assert!(w.allows(at(6, 3, 45))); // Sunday 03:45 via the second expression
        let w = Window::parse(&["*/15 * * * 7"]).unwrap();
        assert!(w.allows(at(6, 10, 45)));
        assert!(!w.allows(at(6, 10, 46)));
        assert!(!w.allows(at(0, 10, 45)));
        // Both day fields restricted: either matches (cron's rule). The 1st is a Tuesday.
        let w = Window::parse(&["* * 1 * mon"]).unwrap();
        assert!(w.allows(at(0, 1, 0)));
        assert!(w.allows(at(-6, 1, 0)));
        assert!(!w.allows(at(1, 1, 0)));
        let w = Window::parse(&["* * * dec *"]).unwrap();
        assert!(w.allows(at(0, 0, 0)));
        assert!(!w.allows(at(30, 0, 0)));
    }

    #[test]
    fn bad_windows() {
        for (e, want) in [
            ("* * *", "expected 5 fields"),
            ("60 * * * *", "minute 60 is out of range"),
            ("* 25 * * *", "hour 25 is out of range"),
            ("* * 0 * *", "day-of-month 0 is out of range"),
            ("* * * foo *", "month \"foo\" is not a number"),
            ("*/0 * * * *", "step must be at least 1"),
            ("* 17-9 * * *", "runs backwards"),
        ] {
            let err = Window::parse(&[e]).unwrap_err();
            assert!(err.contains(want), "{e}: {err}");
        }
    }

    #[test]
    fn jitter_and_backoff_stay_in_bounds_and_grow() {
        let mut rng = fastrand::Rng::with_seed(7);
        let i = Duration::from_secs(60);
        for _ in 0..1000 {
            let j = jittered(i, &mut rng);
            assert!(
                j >= Duration::from_secs(54) && j <= Duration::from_secs(66),
                "{j:?}"
            );
        }
        for n in 1..=20u32 {
            let d = backoff(n, i, &mut rng);
            let full = Duration::from_secs(5)
                .saturating_mul(1 << (n - 1).min(30))
                .min(Duration::from_secs(300));
            assert!(d >= full / 2 && d <= full, "{n}: {d:?} vs {full:?}");
        }
        assert_eq!(
            backoff_bounds(Duration::from_secs(1)),
            (Duration::from_secs(1), Duration::from_secs(300))
        );
        assert_eq!(
            backoff_bounds(Duration::from_secs(3600)),
            (Duration::from_secs(5), Duration::from_secs(3600))
        );
        // Jitter actually varies.
        let a: Vec<Duration> = (0..5).map(|_| backoff(3, i, &mut rng)).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let c = Clock::tokio_at(1000.0);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert!((c.now_unix() - 1090.0).abs() < 0.01);
        let later = tokio::time::Instant::now() + Duration::from_secs(10);
        assert!((c.unix_at(later) - 1100.0).abs() < 0.01);
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
    }
}
