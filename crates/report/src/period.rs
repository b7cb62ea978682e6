//! The reporting period: whole UTC days, both ends included.

use anyhow::{bail, Context, Result};
use chrono::{Days, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Parses `YYYY-MM-DD` dates; `to` must not be before `from`.
    pub fn parse(from: &str, to: &str) -> Result<Period> {
        let day = |s: &str, what: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .with_context(|| format!("--{what} {s:?} is not a date like 2026-03-19"))
        };
        let (from, to) = (day(from, "from")?, day(to, "to")?);
        if to < from {
            bail!("the period ends ({to}) before it starts ({from})");
        }
        Ok(Period { from, to })
    }

    /// Number of days in the period, both ends counted.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// SQL literal of the first instant of the period.
    pub fn start_sql(&self) -> String {
        instant_sql(self.from)
    }

    /// SQL literal of the first instant after the period.
    pub fn end_sql(&self) -> String {
        let after = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        instant_sql(after)
    }

    /// `column` falls inside the period.
    pub fn contains_sql(&self, column: &str) -> String {
        format!(
            "{column} >= {} AND {column} < {}",
            self.start_sql(),
            self.end_sql()
        )
    }

    /// A `[first, last]` span overlaps the period.
    pub fn overlaps_sql(&self, first: &str, last: &str) -> String {
        format!(
            "{first} < {} AND {last} >= {}",
            self.end_sql(),
            self.start_sql()
        )
    }
}

/// Midnight UTC of `day` as a timestamp literal of the store's own type, so
/// comparisons need no casts and mean the same in any engine session.
fn instant_sql(day: NaiveDate) -> String {
    format!("TIMESTAMP '{day}T00:00:00Z'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_are_whole_days() {
        let p = Period::parse("2026-03-19", "2026-05-18").unwrap();
        assert_eq!(p.days(), 61);
        assert!(p.end_sql().contains("2026-05-19T00:00:00Z"));
        assert!(p.start_sql().contains("2026-03-19T00:00:00Z"));
    }

    #[test]
    fn bad_periods_say_why() {
        let e = Period::parse("2026-05-18", "2026-03-19").unwrap_err();
        assert!(e.to_string().contains("before it starts"), "{e}");
        let e = Period::parse("19/03/2026", "2026-03-19").unwrap_err();
        assert!(e.to_string().contains("--from"), "{e}");
    }
}
