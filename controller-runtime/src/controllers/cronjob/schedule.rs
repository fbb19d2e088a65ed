//! Cron schedules as Kubernetes accepts them (the robfig/cron standard parser): five
//! fields (minute, hour, day of month, month, day of week) with lists, ranges, steps and
//! month/weekday names, the `@yearly` … `@hourly` macros, and a `CRON_TZ=`/`TZ=` prefix.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// Why a schedule could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// Not five fields (nor a known macro).
    #[error("expected exactly 5 fields, found {0}: {1:?}")]
    FieldCount(usize, String),
    /// A field value is malformed or out of range.
    #[error("invalid {field} value {value:?}")]
    Field {
        /// Which field.
        field: &'static str,
        /// The offending text.
        value: String,
    },
    /// Unknown time zone.
    #[error("unknown time zone {0:?}")]
    TimeZone(String),
}

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: FieldSpec = FieldSpec { name: "minute", min: 0, max: 59, names: &[] };
const HOUR: FieldSpec = FieldSpec { name: "hour", min: 0, max: 23, names: &[] };
const DOM: FieldSpec = FieldSpec { name: "day of month", min: 1, max: 31, names: &[] };
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
const DOW: FieldSpec = FieldSpec {
    name: "day of week",
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    doms: u64,
    months: u64,
    dows: u64,
    /// Day of month or day of week given as `*`/`?` (then both must match, else either).
    day_star: bool,
    tz: TimeZone,
}

fn parse_value(spec: &FieldSpec, text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = spec.names.iter().position(|n| *n == lower) {
        return Some(i as u32 + spec.min);
    }
    let v: u32 = text.parse().ok()?;
    // Sunday may be written 7.
    if spec.name == DOW.name && v == 7 {
        return Some(0);
    }
    (spec.min..=spec.max).contains(&v).then_some(v)
}

/// Bits of one field and whether it was a plain `*`/`?`.
fn parse_field(spec: &FieldSpec, text: &str) -> Result<(u64, bool), ScheduleError> {
    let bad = || ScheduleError::Field { field: spec.name, value: text.to_string() };
    let mut bits = 0u64;
    let mut star = false;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(bad)?)),
            None => (part, None),
        };
        let (first, last, is_star) = if range == "*" || range == "?" {
            (spec.min, spec.max, step.is_none_or(|s| s == 1))
        } else if let Some((a, b)) = range.split_once('-') {
            let a = parse_value(spec, a).ok_or_else(bad)?;
            let b = parse_value(spec, b).ok_or_else(bad)?;
            (a, b, false)
        } else {
            let a = parse_value(spec, range).ok_or_else(bad)?;
            // `N/step` means `N-max/step`.
            (a, if step.is_some() { spec.max } else { a }, false)
        };
        if first > last {
            return Err(bad());
        }
        star |= is_star;
        let step = step.unwrap_or(1) as usize;
        for v in (first..=last).step_by(step) {
            bits |= 1 << v;
        }
    }
    Ok((bits, star))
}

impl Schedule {
    /// Parses `text` in time zone `zone` (the CronJob's `timeZone`; `None`: UTC, as the
    /// controller manager runs). A `CRON_TZ=`/`TZ=` prefix overrides it.
    pub fn parse(text: &str, zone: Option<&str>) -> Result<Schedule, ScheduleError> {
        let mut text = text.trim();
        let mut zone = zone.map(str::to_string);
        for prefix in ["CRON_TZ=", "TZ="] {
            if let Some(rest) = text.strip_prefix(prefix) {
                let (z, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                zone = Some(z.to_string());
                text = rest.trim();
            }
        }
        let tz = match zone.as_deref() {
            None | Some("UTC") | Some("Etc/UTC") => TimeZone::UTC,
            Some(z) => TimeZone::get(z).map_err(|_| ScheduleError::TimeZone(z.to_string()))?,
        };
        let expanded = match text {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(ScheduleError::FieldCount(fields.len(), text.to_string()));
        }
        let (minutes, _) = parse_field(&MINUTE, fields[0])?;
        let (hours, _) = parse_field(&HOUR, fields[1])?;
        let (doms, dom_star) = parse_field(&DOM, fields[2])?;
        let (months, _) = parse_field(&MONTH, fields[3])?;
        let (dows, dow_star) = parse_field(&DOW, fields[4])?;
        Ok(Schedule { minutes, hours, doms, months, dows, day_star: dom_star || dow_star, tz })
    }

    /// The schedule's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    fn day_matches(&self, dt: &DateTime) -> bool {
        let dom = self.doms & (1 << dt.day()) != 0;
        let dow = self.dows & (1 << dt.weekday().to_sunday_zero_offset()) != 0;
        if self.day_star { dom && dow } else { dom || dow }
    }

    /// The first activation strictly after `after`; `None` if there is none within
    /// five years (e.g. `30 2 31 2 *`).
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let start = after.to_zoned(self.tz.clone()).datetime();
        // The next whole minute.
        let mut dt = start
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok()?
            .checked_add(1.minute())
            .ok()?;
        let limit = start.year() + 5;
        while dt.year() <= limit {
            if self.months & (1 << dt.month()) == 0 {
                dt = dt
                    .first_of_month()
                    .with()
                    .hour(0)
                    .minute(0)
                    .build()
                    .ok()?
                    .checked_add(1.month())
                    .ok()?;
                continue;
            }
            if !self.day_matches(&dt) {
                dt = dt.with().hour(0).minute(0).build().ok()?.checked_add(1.day()).ok()?;
                continue;
            }
            if self.hours & (1 << dt.hour()) == 0 {
                dt = dt.with().minute(0).build().ok()?.checked_add(1.hour()).ok()?;
                continue;
            }
            if self.minutes & (1 << dt.minute()) == 0 {
                dt = dt.checked_add(1.minute()).ok()?;
                continue;
            }
            let at = dt.to_zoned(self.tz.clone()).ok()?.timestamp();
            if at > after {
                return Some(at);
            }
            dt = dt.checked_add(1.minute()).ok()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn next(schedule: &str, after: &str) -> String {
        Schedule::parse(schedule, None).unwrap().next_after(ts(after)).unwrap().to_string()
    }

    #[test]
    fn fields_ranges_steps_and_names() {
        assert_eq!(next("*/15 * * * *", "2024-03-01T10:07:00Z"), "2024-03-01T10:15:00Z");
        assert_eq!(next("*/15 * * * *", "2024-03-01T10:15:00Z"), "2024-03-01T10:30:00Z");
        assert_eq!(next("5-10/2 3 * * *", "2024-03-01T03:07:30Z"), "2024-03-01T03:09:00Z");
        assert_eq!(next("0 9 * * MON-FRI", "2024-03-01T10:00:00Z"), "2024-03-04T09:00:00Z");
        assert_eq!(next("0 0 1 jan,Jul *", "2024-03-01T00:00:00Z"), "2024-07-01T00:00:00Z");
        assert_eq!(next("0 0 * * 7", "2024-03-01T00:00:00Z"), "2024-03-03T00:00:00Z");
        assert_eq!(next("30/10 * * * *", "2024-03-01T00:55:00Z"), "2024-03-01T01:30:00Z");
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // Both restricted: either matches (1st of the month or a Friday).
        assert_eq!(next("0 0 1 * 5", "2024-03-02T00:00:00Z"), "2024-03-08T00:00:00Z");
        // Day of week `*`: the day of month alone decides.
        assert_eq!(next("0 0 13 * *", "2024-03-02T00:00:00Z"), "2024-03-13T00:00:00Z");
        assert_eq!(next("0 0 29 2 *", "2025-01-01T00:00:00Z"), "2028-02-29T00:00:00Z");
        assert!(
            Schedule::parse("0 0 31 2 *", None)
                .unwrap()
                .next_after(ts("2024-01-01T00:00:00Z"))
                .is_none()
        );
    }

    #[test]
    fn macros_and_time_zones() {
        assert_eq!(next("@hourly", "2024-03-01T10:07:00Z"), "2024-03-01T11:00:00Z");
        assert_eq!(next("@daily", "2024-03-01T10:07:00Z"), "2024-03-02T00:00:00Z");
        assert_eq!(next("@weekly", "2024-03-01T10:07:00Z"), "2024-03-03T00:00:00Z");
        assert_eq!(next("@yearly", "2024-03-01T10:07:00Z"), "2025-01-01T00:00:00Z");
        // 09:00 in Tokyo is 00:00 UTC.
        assert_eq!(
            next("CRON_TZ=Asia/Tokyo 0 9 * * *", "2024-03-01T10:00:00Z"),
            "2024-03-02T00:00:00Z"
        );
        let s = Schedule::parse("0 9 * * *", Some("Asia/Tokyo")).unwrap();
        assert_eq!(
            s.next_after(ts("2024-03-01T10:00:00Z")).unwrap().to_string(),
            "2024-03-02T00:00:00Z"
        );
    }

    #[test]
    fn malformed_schedules_are_rejected() {
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "*/0 * * * *",
            "5-1 * * * *",
            "* * * foo *",
        ] {
            assert!(Schedule::parse(bad, None).is_err(), "{bad}");
        }
        assert_eq!(
            Schedule::parse("* * * * *", Some("Mars/Base")).unwrap_err(),
            ScheduleError::TimeZone("Mars/Base".into())
        );
    }
}
