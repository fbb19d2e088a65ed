//! Human-readable ages, exactly as apimachinery's `duration.HumanDuration` prints them.

use jiff::{SignedDuration, Timestamp};

/// Formats a duration with two or three significant figures, like Kubernetes'
/// `duration.HumanDuration`: `"45s"`, `"2m3s"`, `"15m"`, `"3h4m"`, `"20h"`, `"3d4h"`,
/// `"300d"`, `"3y2d"`, `"10y"`. Durations below -1s are `"<invalid>"`; small negative
/// ones (clock skew) are `"0s"`.
pub fn human_duration(d: SignedDuration) -> String {
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The age of `timestamp` at `now` (Kubernetes' `translateTimestampSince`):
/// `"<unknown>"` for an unset timestamp, otherwise [`human_duration`].
pub fn translate_timestamp_since(timestamp: Option<Timestamp>, now: Timestamp) -> String {
    match timestamp {
        None => "<unknown>".to_string(),
        Some(ts) => human_duration(now.duration_since(ts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_matches_apimachinery() {
        const MIN: i64 = 60;
        const HOUR: i64 = 3600;
        const DAY: i64 = 24 * HOUR;
        const YEAR: i64 = 365 * DAY;
        let cases: &[(i64, &str)] = &[
            (-3, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (59, "59s"),
            (60, "60s"),
            (119, "119s"),
            (2 * MIN, "2m"),
            (2 * MIN + 3, "2m3s"),
            (9 * MIN + 59, "9m59s"),
            (10 * MIN, "10m"),
            (10 * MIN + 30, "10m"),
            (179 * MIN, "179m"),
            (3 * HOUR, "3h"),
            (3 * HOUR + 4 * MIN, "3h4m"),
            (7 * HOUR + 59 * MIN, "7h59m"),
            (8 * HOUR, "8h"),
            (8 * HOUR + 30 * MIN, "8h"),
            (47 * HOUR, "47h"),
            (48 * HOUR, "2d"),
            (3 * DAY + 4 * HOUR, "3d4h"),
            (7 * DAY + 23 * HOUR, "7d23h"),
            (8 * DAY, "8d"),
            (300 * DAY, "300d"),
            (2 * YEAR - DAY, "729d"),
            (2 * YEAR, "2y"),
            (3 * YEAR + 2 * DAY, "3y2d"),
            (8 * YEAR - DAY, "7y364d"),
            (8 * YEAR, "8y"),
            (10 * YEAR + 100 * DAY, "10y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(SignedDuration::from_secs(*secs)), *want, "{secs}s");
        }
    }

    #[test]
    fn sub_second_negative_skew_is_zero() {
        assert_eq!(human_duration(SignedDuration::from_millis(-1500)), "0s");
        assert_eq!(human_duration(SignedDuration::from_millis(1999)), "1s");
    }

    #[test]
    fn unknown_for_unset_timestamp() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().expect("ts");
        assert_eq!(translate_timestamp_since(None, now), "<unknown>");
        let then: Timestamp = "2024-05-01T11:55:00Z".parse().expect("ts");
        assert_eq!(translate_timestamp_since(Some(then), now), "5m");
    }
}
