//! Beacon scoring: how regularly one source talks to one destination.
//!
//! [`beacon_udaf`] registers `beacon_score(ts, bytes, data_start, data_end)`,
//! an aggregate over the connections of one pair; [`score_series`] is the
//! same scoring on plain slices, with every part exposed for explanations.
//! Grouped queries run it through a groups accumulator (`groups`) that keeps
//! all pairs' connections in one vector and scores them into one struct
//! array; the row-wise accumulator serves ungrouped queries and windows.
//!
//! The score follows RITA (activecm/rita v5): four parts in [0, 1], averaged,
//! with two departures measured to matter (below): the timing part counts
//! only regularity beyond what random arrivals show, and the mean is capped
//! by the timing part, so steady but random talkers do not score as beacons.
//!
//! - **ts** (timing): over the sorted gaps between connections, the Bowley
//!   skew part `1 - |(Q1 + Q3 - 2·Q2) / (Q3 - Q1)|` (skew taken as 0 when
//!   `Q3 - Q1 < 10 s` or when the median equals Q1 or Q3) and the MAD part
//!   `(median - MAD) / median`, averaged.
//! - **ds** (data size): the same two parts over bytes sent per connection,
//!   with the skew guard relative to the median size (10 %).
//! - **hist**: connections per hour over the whole hours the pair was
//!   observed (hours counted from its first connection): `1 - std/mean`
//!   (0 when the coefficient of variation exceeds 1), or a two-mode fit of
//!   the non-empty hours when that is higher.
//! - **dur**: the larger of the coverage `(last - first) / (data span)` and
//!   the longest run of consecutive active hours / 12; runs bridge the empty
//!   hours that missed flows leave.
//!
//! Beyond RITA, the timing part also takes a *periodicity* measure that
//! survives sampled NetFlow (1 in N packets: most beats are never seen, so
//! gaps become whole multiples of the period), jitter, and cycles of two
//! connections; `ts_score` is the larger of the two, and the estimated period
//! is reported. The method is described on the private `periodicity`.
//!
//! RITA's parts reward any steady talker: Poisson arrivals get a RITA timing
//! part near 0.5 (their gaps have Bowley skew 0.26 and MAD 0.69 of the
//! median) and full histogram and duration parts, so RITA's plain mean
//! scores them about 0.75 (measured 0.72 to 0.77 over ten seeds). Hence the
//! rescaled timing part and the cap: they score below 0.2 here.
//!
//! Quantiles everywhere are the sample value at index `round(q·(n-1))` of the
//! ascending sample (nearest rank, no interpolation), as RITA reads them: the
//! quartiles are then values that occurred, so "the median equals Q1" means
//! what it says.
//!
//! Arithmetic is on `i64` microseconds turned into `f64` seconds; differences
//! are taken with `abs_diff`, so no input (empty, all equal, `i64::MIN..MAX`)
//! overflows or panics.

use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Builder, Int64Array, Int64Builder, ListArray,
    StructArray, TimestampMicrosecondBuilder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type, TimeUnit};
use datafusion::common::{exec_err, plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility,
};
use serde::{Deserialize, Serialize};

mod groups;

/// Fewer connections than this are not scored (RITA's threshold).
const MIN_CONNECTIONS: usize = 4;
/// At this many connections per day a pair is a strobe, not a beacon.
const STROBE_PER_DAY: f64 = 86_400.0;
const MICROS_PER_SEC: f64 = 1e6;
const SECS_PER_DAY: f64 = 86_400.0;
const HOUR_MICROS: i64 = 3_600_000_000;
/// RITA ignores the timing skew when the gaps' inter-quartile range is below
/// 10 s: skew over a spread that small is clock noise, not behaviour.
const TS_SKEW_GUARD_S: f64 = 10.0;
/// The same guard for sizes, relative to the median size: a spread under 10 %
/// of the typical size is padding and header noise (TCP options, TLS record
/// padding). RITA's absolute 10 would mean 10 s for gaps but nothing
/// comparable for bytes, so the size guard scales with the size itself.
const DS_SKEW_GUARD_REL: f64 = 0.1;
/// A run of this many consecutive active hours scores a full duration part.
const RUN_FULL_HOURS: f64 = 12.0;
/// Empty hours inside a run are bridged when they are shorter than this many
/// typical gaps: a sampled or sparse beacon leaves hours empty without having
/// stopped.
const RUN_BRIDGE_GAPS: f64 = 4.0;
/// Two-mode fit: counts are binned with a width of this share of the median
/// hourly count (at least 1), so 59, 60 and 61 connections count as equal.
const HIST_BIN_REL: f64 = 0.1;

/// Periodicity: connections starting within this time of a beat's first
/// connection belong to that beat (retries, parallel sockets, flow records
/// split by the exporter). Beacon periods are seconds or more.
const BEAT_MERGE_MICROS: i64 = 1_000_000;
/// Periodicity: a gap of `k` periods hits when its residual is within
/// `PERIOD_TOLERANCE·sqrt(k)` periods; jitter of each sleep adds up over the
/// missed beats, hence the square root.
const PERIOD_TOLERANCE: f64 = 0.05;
/// Periodicity: candidate periods are these quantiles of the gaps...
const CANDIDATE_QUANTILES: [f64; 4] = [0.05, 0.1, 0.25, 0.5];
/// ...divided by these (a low quantile of a sampled series can be 2 or 3
/// periods when single-period gaps are rare).
const CANDIDATE_DIVISORS: [f64; 3] = [1.0, 2.0, 3.0];
/// Periodicity: each beat is matched against this many previous beats, so a
/// cycle of two connections some seconds apart (a check-in and a retry, or a
/// check-in and a task fetch) is as periodic as a cycle of one.
const MAX_LAG: usize = 2;
/// Periodicity: rounds of the least-squares refinement of a candidate.
const REFINE_ROUNDS: usize = 3;
/// Periodicity: candidates whose fit is within this of the best are ties.
/// Among them the tightest fits win (see [`SPREAD_TIE_REL`]), then those
/// explaining most beats through the beat just before (2P fits a P-beacon
/// through every other beat), then the longest period (P/2 fits a P-beacon
/// as well).
const TIE_MARGIN: f64 = 0.02;
/// Periodicity: fits whose mean residual (seconds) is within this share of the
/// tightest, plus [`SPREAD_TIE_S`], are equally tight. A cycle of two
/// connections 9 s and 14 s apart also fits P/5 within tolerance, but its
/// true period leaves residuals ten times smaller.
const SPREAD_TIE_REL: f64 = 0.25;
const SPREAD_TIE_S: f64 = 0.001;
/// Periodicity: a fit needs at least this much information (beats whose hit
/// is not certain by chance, counted `1 - chance` each)...
const MIN_INFORMATION: f64 = 2.0;
/// ...and at least this share of the beats: a period so short that nearly
/// every gap spans dozens of periods is fitted on a handful of short gaps.
const MIN_INFORMATION_SHARE: f64 = 0.25;
/// The fitted period is reported when its fit is at least this; otherwise
/// the median gap between beats is.
const PERIOD_REPORT_FIT: f64 = 0.5;
/// Hourly-histogram part of a pair seen within one hour: no evidence either way.
const SINGLE_HOUR_HIST: f64 = 0.5;
/// Periodicity: no period below this, nor below 4 timestamp resolutions.
const MIN_PERIOD_S: f64 = 1.0;

/// Timing regularity from RITA's timing part and the periodicity part.
/// RITA's part sits near 0.5 for random (Poisson) arrivals, measured 0.48 to
/// 0.56, so only what it scores above 0.5 is evidence of regularity; it is
/// rescaled to [0, 1] from there before taking the larger of the two.
fn timing_part(ts_rita: f64, ts_periodic: f64) -> f64 {
    let rita = (2.0 * ts_rita - 1.0).clamp(0.0, 1.0);
    rita.max(ts_periodic).clamp(0.0, 1.0)
}

/// The beacon score of one series of connections, with its parts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BeaconScore {
    /// Connections with a timestamp.
    pub connections: i64,
    /// First and last connection, microseconds since the epoch (UTC).
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// Estimated beacon period in seconds: the fitted period when the
    /// periodicity fit is at least 0.5, else the median gap between beats;
    /// `None` under 4 connections or when all are at one instant.
    pub period_s: Option<f64>,
    /// Timing part: the larger of `ts_periodic` and RITA's timing part
    /// rescaled from [0.5, 1] to [0, 1] (see `timing_part`).
    pub ts_score: f64,
    /// Data-size part.
    pub ds_score: f64,
    /// Hourly-histogram part.
    pub hist_score: f64,
    /// Duration part.
    pub dur_score: f64,
    /// Mean of the four parts, capped by the timing part.
    pub score: f64,
    /// At least 86,400 connections per day of the pair's own span.
    pub strobe: bool,
    /// RITA's timing part (skew and MAD of the gaps).
    pub ts_rita: f64,
    /// Missing-beat-tolerant periodicity part.
    pub ts_periodic: f64,
}

/// Scores one series: `ts_micros` are connection start times, `bytes[i]` the
/// bytes sent by connection `i` (only their distribution is used, so the two
/// slices need not be sorted; negative sizes count as unknown), and
/// `data_start..data_end` the span of the whole data set, in microseconds.
pub fn score_series(
    ts_micros: &[i64],
    bytes: &[Option<i64>],
    data_start: i64,
    data_end: i64,
) -> BeaconScore {
    let mut ts = ts_micros.to_vec();
    ts.sort_unstable();
    let (Some(&first), Some(&last)) = (ts.first(), ts.last()) else {
        return BeaconScore::default();
    };
    let mut out = BeaconScore {
        connections: ts.len() as i64,
        first_seen: Some(first),
        last_seen: Some(last),
        strobe: is_strobe(ts.len(), first, last),
        ..BeaconScore::default()
    };
    if ts.len() < MIN_CONNECTIONS {
        return out;
    }
    let beats = merge_beats(&ts);
    let beat_gaps = sorted_gaps(&beats);
    let periodic = periodicity(&beats);
    out.period_s = period_estimate(&beat_gaps, periodic);
    out.ts_periodic = periodic.map_or(0.0, |p| p.part);
    out.ts_rita = rita_ts_part(&ts);
    out.ts_score = timing_part(out.ts_rita, out.ts_periodic);
    out.ds_score = ds_part(bytes);
    out.hist_score = hist_part(&ts);
    out.dur_score = dur_part(&ts, quantile(&beat_gaps, 0.5), data_start, data_end);
    let mean = (out.ts_score + out.ds_score + out.hist_score + out.dur_score) / 4.0;
    // No regular timing, no beacon: steady random talkers have full
    // histogram and duration parts and would otherwise score ~0.75.
    out.score = mean.min(out.ts_score);
    out
}

/// Seconds between two instants, whatever their order and magnitude.
fn seconds_between(a: i64, b: i64) -> f64 {
    a.abs_diff(b) as f64 / MICROS_PER_SEC
}

/// Sorted gaps in seconds between consecutive (ascending) timestamps.
fn sorted_gaps(ts: &[i64]) -> Vec<f64> {
    let mut gaps: Vec<f64> = ts.windows(2).map(|w| seconds_between(w[0], w[1])).collect();
    gaps.sort_by(f64::total_cmp);
    gaps
}

fn is_strobe(connections: usize, first: i64, last: i64) -> bool {
    let days = (seconds_between(first, last) / SECS_PER_DAY).max(1.0);
    connections as f64 / days >= STROBE_PER_DAY
}

/// Nearest-rank quantile of an ascending sample (see the module doc).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let idx = (q.clamp(0.0, 1.0) * last as f64).round() as usize;
    sorted[idx.min(last)]
}

/// Median absolute deviation from `median`.
fn mad(sorted: &[f64], median: f64) -> f64 {
    let mut dev: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    quantile(&dev, 0.5)
}

/// RITA's regularity of an ascending sample: the mean of the Bowley skew part
/// and the MAD part. Skew counts as 0 when the inter-quartile range is below
/// `skew_guard` or when the median equals a quartile (a sample dominated by
/// one value has no meaningful skew).
fn regularity(sorted: &[f64], skew_guard: f64) -> f64 {
    let (q1, q2, q3) = (
        quantile(sorted, 0.25),
        quantile(sorted, 0.5),
        quantile(sorted, 0.75),
    );
    let iqr = q3 - q1;
    let skew = if iqr < skew_guard || iqr <= 0.0 || q2 == q1 || q2 == q3 {
        0.0
    } else {
        (q1 + q3 - 2.0 * q2) / iqr
    };
    let skew_part = (1.0 - skew.abs()).clamp(0.0, 1.0);
    let mad_part = if q2 > 0.0 {
        ((q2 - mad(sorted, q2)) / q2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (skew_part + mad_part) / 2.0
}

/// RITA's timing part over the raw gaps (every connection counts).
fn rita_ts_part(ts: &[i64]) -> f64 {
    regularity(&sorted_gaps(ts), TS_SKEW_GUARD_S)
}

/// RITA's size part over the known, non-negative sizes; 0 when none is known.
fn ds_part(bytes: &[Option<i64>]) -> f64 {
    let mut sizes: Vec<f64> = bytes
        .iter()
        .flatten()
        .filter(|b| **b >= 0)
        .map(|b| *b as f64)
        .collect();
    if sizes.is_empty() {
        return 0.0;
    }
    sizes.sort_by(f64::total_cmp);
    let guard = DS_SKEW_GUARD_REL * quantile(&sizes, 0.5);
    regularity(&sizes, guard)
}

/// Connections per non-empty hour, ascending. Hours are counted from the
/// pair's first connection rather than on the clock, so the first hour is a
/// whole hour of activity whatever minute the pair started at.
fn hourly_counts(ts: &[i64]) -> Vec<(u64, u64)> {
    let Some(&first) = ts.first() else {
        return Vec::new();
    };
    let mut hours: Vec<(u64, u64)> = Vec::new();
    for hour in ts.iter().map(|t| t.abs_diff(first) / HOUR_MICROS as u64) {
        match hours.last_mut() {
            Some((h, n)) if *h == hour => *n += 1,
            _ => hours.push((hour, 1)),
        }
    }
    hours
}

/// RITA's histogram part, over the hours of the pair's own observation window
/// rather than the 24 hours of one day, so a pair seen for a week is judged
/// on its whole week. Empty hours inside the window count as zeros. The last
/// hour is always cut short by the pair's last connection, so it is left out
/// whenever there is a whole hour before it (otherwise a perfect beacon would
/// show an odd last count).
fn hist_part(ts: &[i64]) -> f64 {
    let mut hours = hourly_counts(ts);
    // Whole hours before the partial last one. A pair seen within a single
    // hour has no hourly profile at all: it scores the uninformative middle,
    // not the perfectly flat 1.0 one bucket would give.
    let window = match hours.last() {
        Some(&(last, _)) if last > 0 => {
            hours.pop();
            last as f64
        }
        Some(_) => return SINGLE_HOUR_HIST,
        None => return 0.0,
    };
    let total: u64 = hours.iter().map(|(_, n)| n).sum();
    let mean = total as f64 / window;
    let mean_sq = hours.iter().map(|(_, n)| (*n as f64).powi(2)).sum::<f64>() / window;
    let cv = (mean_sq - mean * mean).max(0.0).sqrt() / mean;
    let cv_part = if cv > 1.0 { 0.0 } else { 1.0 - cv };
    cv_part.max(two_mode_fit(&hours))
}

/// Two-mode fit of the non-empty hours: the share of them whose count falls in
/// the two most common count bins. Empty hours are left out so that a pair
/// silent most of the day (a beacon active in office hours, or one with a
/// period over an hour) is judged on the hours it was active, and so that
/// "mostly silent" is never itself a mode. Any two hours fit two modes, so
/// only the hours beyond two are evidence: `(in_top_two - 2) / (hours - 2)`.
fn two_mode_fit(hours: &[(u64, u64)]) -> f64 {
    if hours.len() <= 2 {
        return 0.0;
    }
    let mut counts: Vec<u64> = hours.iter().map(|(_, n)| *n).collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    let width = ((median as f64 * HIST_BIN_REL).round() as u64).max(1);
    let mut bins: Vec<u64> = counts.iter().map(|n| n / width).collect();
    bins.sort_unstable();
    let mut sizes: Vec<usize> = bins.chunk_by(|a, b| a == b).map(<[u64]>::len).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let top_two: usize = sizes.iter().take(2).sum();
    top_two.saturating_sub(2) as f64 / (hours.len() - 2) as f64
}

/// RITA's duration part: the larger of the coverage of the data set's span
/// and the longest run of active hours over 12. Runs bridge empty stretches
/// shorter than a few typical gaps between beats, so beats lost to sampling
/// do not cut a run. An unknown or empty data span gives no coverage.
fn dur_part(ts: &[i64], typical_gap_s: f64, data_start: i64, data_end: i64) -> f64 {
    let (Some(&first), Some(&last)) = (ts.first(), ts.last()) else {
        return 0.0;
    };
    let coverage = if data_end > data_start {
        seconds_between(first, last) / seconds_between(data_start, data_end)
    } else {
        0.0
    };
    let bridge_hours = (RUN_BRIDGE_GAPS * typical_gap_s / 3600.0).floor();
    let run = longest_run_hours(&hourly_counts(ts), bridge_hours) / RUN_FULL_HOURS;
    coverage.max(run).clamp(0.0, 1.0)
}

/// Longest stretch of hours, first to last active hour, in which no more than
/// `bridge` consecutive hours are empty.
fn longest_run_hours(hours: &[(u64, u64)], bridge: f64) -> f64 {
    let Some(&(mut start, _)) = hours.first() else {
        return 0.0;
    };
    let mut best = 1.0_f64;
    for pair in hours.windows(2) {
        let (prev, next) = (pair[0].0, pair[1].0);
        let empty = prev.abs_diff(next).saturating_sub(1) as f64;
        if empty > bridge {
            start = next;
        }
        best = best.max(start.abs_diff(next) as f64 + 1.0);
    }
    best
}

/// Beat start times: each connection within [`BEAT_MERGE_MICROS`] of the
/// current beat's first connection joins it. Not chained, so a stream of
/// connections every half second stays a stream of beats.
fn merge_beats(ts: &[i64]) -> Vec<i64> {
    let mut beats: Vec<i64> = Vec::new();
    for &t in ts {
        match beats.last() {
            Some(&b) if t.abs_diff(b) < BEAT_MERGE_MICROS as u64 => {}
            _ => beats.push(t),
        }
    }
    beats
}

/// An estimated period and how well the beats fit it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Periodicity {
    period_s: f64,
    /// Hit rate beyond chance, in [0, 1].
    part: f64,
    /// Share of beats that hit through the beat just before them.
    direct: f64,
    /// Mean distance in seconds of the hitting gaps from their multiple.
    spread_s: f64,
}

/// Missing-beat-tolerant periodicity of ascending beat times.
///
/// A beacon of period P seen through sampling has gaps `k·P + noise` with a
/// whole `k ≥ 1` (k - 1 beats missed). For a candidate P, a gap's residual
/// `|g/P - k|` (k the nearest whole multiple, at least 1) is in [0, 0.5]; it
/// *hits* when the residual is within `0.05·sqrt(k)` (jitter of a few % per
/// beat, summed over the k sleeps). A beat hits through the gap to the beat
/// before it, or, when the beat before is a second connection of the same
/// cycle (see [`usable_spans`]), through the span to the one before that.
/// Random arrivals hit by chance with probability `2·tol` per span (their
/// residuals are uniform), so the part is the hit rate beyond chance,
/// `(hits - Σ chance) / Σ (1 - chance)`: ~1 for a beacon, ~0 for Poisson
/// arrivals; gaps so long that chance alone would hit carry no weight.
///
/// Candidates are low quantiles (5 %, 10 %, 25 %, median) of the gaps and of
/// the two-beat spans, each also halved and thirded: with 1-in-10 sampling
/// about one gap in ten is a single period, so the 5 % quantile is P itself.
/// Each candidate is refined by least squares over its hits (`P = Σ g / Σ k`,
/// the total time over the total beats, which weighs long gaps by the beats
/// they span), then the best fit wins, ties broken as [`TIE_MARGIN`] says.
/// Periods under 1 s or under 4 timestamp resolutions (1 s for logs written
/// in whole seconds) are not considered: whole-second gaps fit a 1 s period
/// perfectly whatever the traffic.
fn periodicity(beats: &[i64]) -> Option<Periodicity> {
    if beats.len() < MIN_CONNECTIONS {
        return None;
    }
    let min_period = MIN_PERIOD_S.max(4.0 * resolution_s(beats));
    let fits: Vec<Periodicity> = candidates(beats)
        .into_iter()
        .filter(|p| *p >= min_period)
        .map(|p| refine(beats, p))
        .filter(|p| p.is_finite() && *p >= min_period)
        .map(|p| fit(beats, p))
        .collect();
    let fits = near_best(fits, |f| f.part, TIE_MARGIN);
    let tightest = fits
        .iter()
        .map(|f| f.spread_s)
        .fold(f64::INFINITY, f64::min);
    let spread_margin = tightest * SPREAD_TIE_REL + SPREAD_TIE_S;
    let fits = near_best(fits, |f| -f.spread_s, spread_margin);
    let fits = near_best(fits, |f| f.direct, TIE_MARGIN);
    fits.into_iter()
        .max_by(|a, b| a.period_s.total_cmp(&b.period_s))
}

/// The fits within `margin` of the best (highest) by `key`.
fn near_best(
    fits: Vec<Periodicity>,
    key: impl Fn(&Periodicity) -> f64,
    margin: f64,
) -> Vec<Periodicity> {
    let best = fits.iter().map(&key).fold(f64::NEG_INFINITY, f64::max);
    fits.into_iter()
        .filter(|f| key(f) >= best - margin)
        .collect()
}

/// Candidate periods: low quantiles of the times back to the previous beat
/// and to each earlier one up to [`MAX_LAG`], each also halved and thirded.
fn candidates(beats: &[i64]) -> Vec<f64> {
    let mut out = Vec::new();
    for lag in 1..=MAX_LAG.min(beats.len().saturating_sub(1)) {
        let mut spans: Vec<f64> = beats
            .windows(lag + 1)
            .map(|w| seconds_between(w[0], w[lag]))
            .collect();
        spans.sort_by(f64::total_cmp);
        for q in CANDIDATE_QUANTILES {
            out.extend(CANDIDATE_DIVISORS.map(|d| quantile(&spans, q) / d));
        }
    }
    out
}

/// The spans in seconds from beat `i` back to each of its previous
/// [`MAX_LAG`] beats (fewer at the start), nearest first, each with the
/// shortest single gap inside it.
fn lags(beats: &[i64], i: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
    (1..=MAX_LAG.min(i)).scan(f64::INFINITY, move |shortest, m| {
        *shortest = shortest.min(seconds_between(beats[i - m], beats[i - m + 1]));
        Some((seconds_between(beats[i - m], beats[i]), *shortest))
    })
}

/// The spans of beat `i` that may explain it against `period`: the one back
/// to the previous beat always; longer ones only when they hold a second
/// connection of the same cycle, a gap clearly under half a period (beats
/// evenly spaced at P are a beacon of period P, not two connections per 2P).
fn usable_spans(beats: &[i64], i: usize, period: f64) -> impl Iterator<Item = f64> + '_ {
    lags(beats, i)
        .enumerate()
        .filter(move |(lag, (_, shortest))| {
            *lag == 0 || *shortest < (0.5 - PERIOD_TOLERANCE) * period
        })
        .map(|(_, (span, _))| span)
}

/// The fitted period when the fit is convincing, else the median gap between
/// beats (the interval a reader would quote); `None` without any gap.
fn period_estimate(beat_gaps: &[f64], periodic: Option<Periodicity>) -> Option<f64> {
    match periodic {
        Some(p) if p.part >= PERIOD_REPORT_FIT => Some(p.period_s),
        _ => (!beat_gaps.is_empty()).then(|| quantile(beat_gaps, 0.5)),
    }
}

/// Coarsest of 1 s and 1 ms that divides every timestamp (else 1 µs).
fn resolution_s(ts: &[i64]) -> f64 {
    [1_000_000_i64, 1_000]
        .into_iter()
        .find(|unit| ts.iter().all(|t| t.rem_euclid(*unit) == 0))
        .map_or(1e-6, |unit| unit as f64 / MICROS_PER_SEC)
}

/// Nearest whole multiple of `period` (at least 1) for a gap.
fn multiple(gap: f64, period: f64) -> f64 {
    (gap / period).round().max(1.0)
}

/// Distance of a gap from `k` periods, in periods, capped at 0.5.
fn residual(gap: f64, period: f64, k: f64) -> f64 {
    (gap / period - k).abs().min(0.5)
}

/// Largest residual that still counts as a hit for a gap of `k` periods.
fn tolerance(k: f64) -> f64 {
    (PERIOD_TOLERANCE * k.sqrt()).min(0.5)
}

fn is_hit(gap: f64, period: f64) -> bool {
    let k = multiple(gap, period);
    residual(gap, period, k) <= tolerance(k)
}

/// Least-squares refinement of a candidate period over the beats it
/// explains, each through the nearest earlier beat it hits.
fn refine(beats: &[i64], mut period: f64) -> f64 {
    for _ in 0..REFINE_ROUNDS {
        let (mut time, mut count) = (0.0, 0.0);
        for i in 1..beats.len() {
            if let Some(g) = usable_spans(beats, i, period).find(|g| is_hit(*g, period)) {
                time += g;
                count += multiple(g, period);
            }
        }
        if count <= 0.0 {
            break;
        }
        period = time / count;
    }
    period
}

/// How well the beats fit `period` (see [`periodicity`]). A beat hits when
/// any of its usable spans does; by chance that happens with probability
/// `1 - Π(1 - 2·tol)` over those spans (the residuals of independent random
/// gaps, and of their sums, are independent and uniform).
fn fit(beats: &[i64], period: f64) -> Periodicity {
    let (mut hits, mut direct, mut chance, mut spread) = (0.0, 0.0, 0.0, 0.0);
    for i in 1..beats.len() {
        let mut miss_by_chance = 1.0;
        let mut first_hit = None;
        for (lag, g) in usable_spans(beats, i, period).enumerate() {
            let k = multiple(g, period);
            let tol = tolerance(k);
            let r = residual(g, period, k);
            miss_by_chance *= 1.0 - 2.0 * tol;
            if first_hit.is_none() && r <= tol {
                first_hit = Some(lag);
                spread += r * period;
            }
        }
        chance += 1.0 - miss_by_chance;
        hits += f64::from(u8::from(first_hit.is_some()));
        direct += f64::from(u8::from(first_hit == Some(0)));
    }
    let scored = beats.len().saturating_sub(1) as f64;
    let information = scored - chance;
    let part = if information < MIN_INFORMATION.max(MIN_INFORMATION_SHARE * scored) {
        0.0
    } else {
        ((hits - chance) / information).clamp(0.0, 1.0)
    };
    Periodicity {
        period_s: period,
        part,
        direct: if scored > 0.0 { direct / scored } else { 0.0 },
        spread_s: if hits > 0.0 {
            spread / hits
        } else {
            f64::INFINITY
        },
    }
}

// ---------------------------------------------------------------------------
// The aggregate function.

/// `beacon_score(ts, bytes, data_start, data_end)`: the beacon score of each
/// group's connections as a struct (see [`result_fields`]). Group by the
/// pair: `GROUP BY src_ip, dst_ip[, dst_port]`. `data_start` and `data_end`
/// are the span of the whole data set (the first non-null values are used).
/// Rows with a null `ts` are ignored; null `bytes` are unknown sizes.
pub fn beacon_udaf() -> AggregateUDF {
    AggregateUDF::from(BeaconUdaf {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// Fields of the result struct.
pub fn result_fields() -> Fields {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let f64_field = |name: &str| Field::new(name, DataType::Float64, true);
    Fields::from(vec![
        Field::new("connections", DataType::Int64, false),
        Field::new("first_seen", ts.clone(), true),
        Field::new("last_seen", ts, true),
        f64_field("period_s"),
        f64_field("ts_score"),
        f64_field("ds_score"),
        f64_field("hist_score"),
        f64_field("dur_score"),
        f64_field("score"),
        Field::new("strobe", DataType::Boolean, false),
    ])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct BeaconUdaf {
    signature: Signature,
}

impl AggregateUDFImpl for BeaconUdaf {
    fn name(&self) -> &str {
        "beacon_score"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Timestamps of any unit become microseconds (keeping their zone, so the
    /// instant is unchanged); sizes of any integer type become Int64.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [ts, bytes, start, end] = arg_types else {
            return plan_err!(
                "beacon_score(ts, bytes, data_start, data_end) takes 4 arguments, got {}",
                arg_types.len()
            );
        };
        Ok(vec![
            as_micros(ts, "ts")?,
            as_int64(bytes)?,
            as_micros(start, "data_start")?,
            as_micros(end, "data_end")?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<BeaconAccumulator>::default())
    }

    /// Grouped queries (one group per pair) keep every group's connections
    /// in one shared vector: see [`groups`]. `DISTINCT` stays on the
    /// row-wise path.
    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        !args.is_distinct
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::<groups::BeaconGroups>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)));
        let field = |part: &str, dt: &DataType| {
            Arc::new(Field::new(
                format_state_name(args.name, part),
                dt.clone(),
                true,
            ))
        };
        Ok(vec![
            field("ts", &list),
            field("bytes", &list),
            field("data_start", &DataType::Int64),
            field("data_end", &DataType::Int64),
        ])
    }
}

fn as_micros(dt: &DataType, arg: &str) -> Result<DataType> {
    match dt {
        DataType::Timestamp(_, tz) => Ok(DataType::Timestamp(TimeUnit::Microsecond, tz.clone())),
        DataType::Null => Ok(DataType::Timestamp(TimeUnit::Microsecond, None)),
        other => plan_err!("beacon_score: {arg} must be a timestamp, got {other}"),
    }
}

fn as_int64(dt: &DataType) -> Result<DataType> {
    if dt.is_integer() || *dt == DataType::Null {
        Ok(DataType::Int64)
    } else {
        plan_err!("beacon_score: bytes must be an integer, got {dt}")
    }
}

/// One group's connections. State is the raw series (two `List<Int64>`
/// columns plus the data span), since none of the parts can be merged from
/// partial summaries.
#[derive(Debug, Default)]
struct BeaconAccumulator {
    ts: Vec<i64>,
    /// Size of the connection at the same index in `ts`.
    bytes: Vec<Option<i64>>,
    data_start: Option<i64>,
    data_end: Option<i64>,
}

impl BeaconAccumulator {
    fn note_span(&mut self, start: &ArrayRef, end: &ArrayRef) -> Result<()> {
        if self.data_start.is_none() {
            self.data_start = first_valid(&int64s(start)?);
        }
        if self.data_end.is_none() {
            self.data_end = first_valid(&int64s(end)?);
        }
        Ok(())
    }

    /// The data set's span, or an empty one when it was not given.
    fn span(&self) -> (i64, i64) {
        match (self.data_start, self.data_end) {
            (Some(s), Some(e)) => (s, e),
            _ => (0, 0),
        }
    }
}

/// Any integer or timestamp array as Int64 (timestamps as their raw count).
fn int64s(array: &ArrayRef) -> Result<Int64Array> {
    Ok(cast(array, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

fn first_valid(array: &Int64Array) -> Option<i64> {
    array.iter().flatten().next()
}

/// A one-row `List<Int64>` scalar.
fn list_scalar(values: Int64Array) -> ScalarValue {
    let field = Arc::new(Field::new_list_field(DataType::Int64, true));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    ScalarValue::List(Arc::new(ListArray::new(
        field,
        offsets,
        Arc::new(values),
        None,
    )))
}

/// The Int64 values of every non-null row of a `List<Int64>` state column.
fn list_values(array: &ArrayRef) -> Result<Vec<Int64Array>> {
    let Some(list) = array.as_list_opt::<i32>() else {
        return exec_err!("beacon_score: state is {}, not a list", array.data_type());
    };
    (0..list.len())
        .filter(|row| list.is_valid(*row))
        .map(|row| int64s(&list.value(row)))
        .collect()
}

impl Accumulator for BeaconAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [ts, bytes, start, end] = values else {
            return exec_err!("beacon_score: expected 4 arguments, got {}", values.len());
        };
        let (ts, bytes) = (int64s(ts)?, int64s(bytes)?);
        for (i, t) in ts.iter().enumerate() {
            if let Some(t) = t {
                self.ts.push(t);
                self.bytes.push(bytes.is_valid(i).then(|| bytes.value(i)));
            }
        }
        self.note_span(start, end)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [ts, bytes, start, end] = states else {
            return exec_err!(
                "beacon_score: expected 4 state columns, got {}",
                states.len()
            );
        };
        for part in list_values(ts)? {
            self.ts.extend(part.iter().flatten());
        }
        for part in list_values(bytes)? {
            self.bytes.extend(part.iter());
        }
        self.note_span(start, end)
    }

    /// Hands the series over (state is consumed, per the trait's contract).
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let ts = Int64Array::from(std::mem::take(&mut self.ts));
        let bytes = Int64Array::from(std::mem::take(&mut self.bytes));
        Ok(vec![
            list_scalar(ts),
            list_scalar(bytes),
            ScalarValue::Int64(self.data_start),
            ScalarValue::Int64(self.data_end),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (start, end) = self.span();
        score_scalar(&score_series(&self.ts, &self.bytes, start, end))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self.ts.capacity() * size_of::<i64>()
            + self.bytes.capacity() * size_of::<Option<i64>>()
    }
}

/// A score as a one-row struct scalar with [`result_fields`].
fn score_scalar(s: &BeaconScore) -> Result<ScalarValue> {
    let mut row = ScoreColumns::with_capacity(1);
    row.append(s);
    Ok(ScalarValue::Struct(Arc::new(row.finish()?)))
}

/// Scores appended row by row into the columns of one struct array with
/// [`result_fields`]: the one place both accumulators shape their results.
struct ScoreColumns {
    connections: Int64Builder,
    first_seen: TimestampMicrosecondBuilder,
    last_seen: TimestampMicrosecondBuilder,
    period_s: Float64Builder,
    ts_score: Float64Builder,
    ds_score: Float64Builder,
    hist_score: Float64Builder,
    dur_score: Float64Builder,
    score: Float64Builder,
    strobe: BooleanBuilder,
}

impl ScoreColumns {
    fn with_capacity(rows: usize) -> Self {
        let time = || TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC");
        ScoreColumns {
            connections: Int64Builder::with_capacity(rows),
            first_seen: time(),
            last_seen: time(),
            period_s: Float64Builder::with_capacity(rows),
            ts_score: Float64Builder::with_capacity(rows),
            ds_score: Float64Builder::with_capacity(rows),
            hist_score: Float64Builder::with_capacity(rows),
            dur_score: Float64Builder::with_capacity(rows),
            score: Float64Builder::with_capacity(rows),
            strobe: BooleanBuilder::with_capacity(rows),
        }
    }

    fn append(&mut self, s: &BeaconScore) {
        self.connections.append_value(s.connections);
        self.first_seen.append_option(s.first_seen);
        self.last_seen.append_option(s.last_seen);
        self.period_s.append_option(s.period_s);
        self.ts_score.append_value(s.ts_score);
        self.ds_score.append_value(s.ds_score);
        self.hist_score.append_value(s.hist_score);
        self.dur_score.append_value(s.dur_score);
        self.score.append_value(s.score);
        self.strobe.append_value(s.strobe);
    }

    fn finish(mut self) -> Result<StructArray> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.connections.finish()),
            Arc::new(self.first_seen.finish()),
            Arc::new(self.last_seen.finish()),
            Arc::new(self.period_s.finish()),
            Arc::new(self.ts_score.finish()),
            Arc::new(self.ds_score.finish()),
            Arc::new(self.hist_score.finish()),
            Arc::new(self.dur_score.finish()),
            Arc::new(self.score.finish()),
            Arc::new(self.strobe.finish()),
        ];
        Ok(StructArray::try_new(result_fields(), columns, None)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, TimestampMicrosecondArray};

    /// SplitMix64: a small deterministic generator for synthetic series.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Uniform in [-1, 1).
        fn signed(&mut self) -> f64 {
            2.0 * self.unit() - 1.0
        }
        fn exp(&mut self, mean: f64) -> f64 {
            -mean * (1.0 - self.unit()).ln()
        }
    }

    const SEC: i64 = 1_000_000;
    const T0: i64 = 1_700_000_000 * SEC;
    const SPAN: i64 = 6 * 3600 * SEC;

    fn micros(s: f64) -> i64 {
        (s * MICROS_PER_SEC).round() as i64
    }

    /// A beacon that sleeps `period·(1 ± jitter)` between beats over `SPAN`;
    /// each beat is kept with probability `keep` (sampling).
    fn beacon(rng: &mut Rng, period_s: f64, jitter: f64, keep: f64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut t = T0;
        while t < T0 + SPAN {
            if keep >= 1.0 || rng.unit() < keep {
                out.push(t);
            }
            t += micros(period_s * (1.0 + jitter * rng.signed()));
        }
        out
    }

    fn poisson(rng: &mut Rng, mean_gap_s: f64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut t = T0 + micros(rng.exp(mean_gap_s));
        while t < T0 + SPAN {
            out.push(t);
            t += micros(rng.exp(mean_gap_s));
        }
        out
    }

    /// Human browsing: sessions of 5..60 requests a few seconds apart,
    /// sessions starting at random (mean 40 min apart).
    fn browsing(rng: &mut Rng) -> Vec<i64> {
        let mut out = Vec::new();
        let mut t = T0 + micros(rng.exp(600.0));
        while t < T0 + SPAN {
            let requests = 5 + (rng.unit() * 55.0) as usize;
            let mut r = t;
            for _ in 0..requests {
                out.push(r);
                r += micros(rng.exp(4.0));
            }
            t = r + micros(rng.exp(2400.0));
        }
        out
    }

    fn sizes(rng: &mut Rng, n: usize, base: f64, spread: f64) -> Vec<Option<i64>> {
        (0..n)
            .map(|_| Some((base * (1.0 + spread * rng.signed())) as i64))
            .collect()
    }

    fn random_sizes(rng: &mut Rng, n: usize) -> Vec<Option<i64>> {
        (0..n).map(|_| Some(200 + rng.exp(2000.0) as i64)).collect()
    }

    fn score(ts: &[i64], bytes: &[Option<i64>]) -> BeaconScore {
        score_series(ts, bytes, T0, T0 + SPAN)
    }

    fn show(name: &str, s: &BeaconScore) {
        println!(
            "{name:<28} n={:<5} score={:.3} ts={:.3} (rita {:.3}, periodic {:.3}) ds={:.3} hist={:.3} dur={:.3} period={:?}",
            s.connections, s.score, s.ts_score, s.ts_rita, s.ts_periodic, s.ds_score, s.hist_score, s.dur_score,
            s.period_s.map(|p| (p * 100.0).round() / 100.0)
        );
    }

    /// Parts and score are all in [0, 1] (and not NaN).
    fn assert_bounded(s: &BeaconScore) {
        for (name, v) in [
            ("ts", s.ts_score),
            ("ds", s.ds_score),
            ("hist", s.hist_score),
            ("dur", s.dur_score),
            ("score", s.score),
            ("ts_rita", s.ts_rita),
            ("ts_periodic", s.ts_periodic),
        ] {
            assert!((0.0..=1.0).contains(&v), "{name} = {v} in {s:?}");
        }
        assert!(
            s.period_s.is_none_or(|p| p.is_finite() && p >= 0.0),
            "{s:?}"
        );
    }

    /// The synthetic cases of the tests below, for seed `seed`.
    fn perfect(seed: u64) -> BeaconScore {
        let mut rng = Rng(seed);
        let ts = beacon(&mut rng, 60.0, 0.0, 1.0);
        score(&ts, &sizes(&mut rng, ts.len(), 1200.0, 0.0))
    }

    fn jittered(seed: u64) -> BeaconScore {
        let mut rng = Rng(seed);
        let ts = beacon(&mut rng, 60.0, 0.1, 1.0);
        score(&ts, &sizes(&mut rng, ts.len(), 1200.0, 0.02))
    }

    fn sampled(seed: u64, jitter: f64) -> BeaconScore {
        let mut rng = Rng(seed);
        let ts = beacon(&mut rng, 60.0, jitter, 0.1);
        score(&ts, &sizes(&mut rng, ts.len(), 1200.0, 0.02))
    }

    fn random(seed: u64) -> BeaconScore {
        let mut rng = Rng(seed);
        let ts = poisson(&mut rng, 60.0);
        score(&ts, &random_sizes(&mut rng, ts.len()))
    }

    fn human(seed: u64) -> BeaconScore {
        let mut rng = Rng(seed);
        let ts = browsing(&mut rng);
        score(&ts, &random_sizes(&mut rng, ts.len()))
    }

    const SEEDS: std::ops::Range<u64> = 0..10;

    #[test]
    fn perfect_beacon_scores_high() {
        let s = perfect(1);
        show("perfect 60 s", &s);
        assert_bounded(&s);
        assert!(s.score >= 0.9, "{s:?}");
        assert_eq!(s.period_s, Some(60.0));
        assert!(!s.strobe);
    }

    #[test]
    fn jittered_beacon_scores_high() {
        for seed in SEEDS {
            let s = jittered(seed);
            show("60 s ± 10 %", &s);
            assert_bounded(&s);
            assert!(s.score >= 0.8, "{s:?}");
            let period = s.period_s.unwrap();
            assert!((period - 60.0).abs() < 3.0, "{s:?}");
        }
    }

    /// 1-in-10 sampling: nine beats in ten are missing. The periodicity part
    /// finds the base period (not a multiple), with and without 3 % jitter.
    #[test]
    fn sampled_beacon_keeps_its_period() {
        for seed in SEEDS {
            for jitter in [0.0, 0.03] {
                let s = sampled(seed, jitter);
                show(&format!("sampled 1/10, jitter {jitter}"), &s);
                assert_bounded(&s);
                assert!(s.ts_score >= 0.7, "{s:?}");
                let period = s.period_s.unwrap();
                assert!((period - 60.0).abs() <= 3.0, "{s:?}");
            }
        }
    }

    /// Poisson arrivals at the same mean rate with random sizes. The
    /// periodicity part stays near 0. RITA's own parts do not: the gaps of a
    /// Poisson process have Bowley skew 0.26 and MAD 0.69 of the median, so
    /// RITA's timing part is about 0.5, and a steady rate fills the hourly
    /// histogram and the duration; the score lands near 0.75 — lower than
    /// every beacon above, but not under 0.5 (see the report of this module).
    #[test]
    fn poisson_arrivals_are_not_periodic() {
        let lowest_beacon = SEEDS
            .flat_map(|seed| [perfect(seed), jittered(seed), sampled(seed, 0.0)])
            .map(|s| s.score)
            .fold(1.0, f64::min);
        for seed in SEEDS {
            let s = random(seed);
            show("poisson mean 60 s", &s);
            assert_bounded(&s);
            assert!(s.ts_periodic <= 0.3, "{s:?}");
            assert!(s.ts_rita <= 0.65, "{s:?}");
            assert!(s.score <= 0.3, "{s:?}");
            assert!(s.score < lowest_beacon, "{s:?} vs {lowest_beacon}");
        }
    }

    /// Sessions of clustered requests: no period, an uneven hourly histogram.
    /// RITA's timing part is partly fooled by the seconds-apart requests
    /// inside a session (IQR under 10 s, so no skew), but only what it gives
    /// above chance counts, so the score stays low.
    #[test]
    fn human_browsing_scores_low() {
        for seed in SEEDS {
            let s = human(seed);
            show("browsing sessions", &s);
            assert_bounded(&s);
            assert!(s.ts_periodic <= 0.3, "{s:?}");
            assert!(s.score <= 0.45, "{s:?}");
        }
    }

    /// A beacon whose every check-in is two connections some seconds apart
    /// (a check-in and a retry, or a task fetch): the cycle is the period.
    #[test]
    fn two_connections_per_cycle_keep_the_cycle() {
        for seed in SEEDS {
            let mut rng = Rng(seed);
            let ts: Vec<i64> = beacon(&mut rng, 45.0, 0.02, 1.0)
                .into_iter()
                .flat_map(|t| [t, t + micros(11.0 + rng.signed() * 0.2)])
                .collect();
            let s = score(&ts, &[]);
            show("45 s cycle of two", &s);
            assert!(s.ts_periodic >= 0.8, "{s:?}");
            assert!((s.period_s.unwrap() - 45.0).abs() < 1.0, "{s:?}");
        }
    }

    /// Whole-second timestamps fit a 1 s period perfectly whatever the
    /// traffic; periods under 4 resolutions are not considered.
    #[test]
    fn whole_second_timestamps_do_not_fake_a_period() {
        for seed in SEEDS {
            let mut rng = Rng(seed);
            let ts: Vec<i64> = poisson(&mut rng, 60.0)
                .iter()
                .map(|t| t / SEC * SEC)
                .collect();
            let s = score(&ts, &[]);
            assert!(s.ts_periodic <= 0.3, "{s:?}");
        }
    }

    #[test]
    fn fewer_than_four_connections_score_zero() {
        let ts = [T0, T0 + 60 * SEC, T0 + 120 * SEC];
        let s = score(&ts, &[Some(100); 3]);
        assert_eq!(s.connections, 3);
        assert_eq!(
            (s.first_seen, s.last_seen),
            (Some(T0), Some(T0 + 120 * SEC))
        );
        assert_eq!(s.period_s, None);
        assert_eq!(
            (s.score, s.ts_score, s.ds_score, s.hist_score, s.dur_score),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
        let four = score(
            &[T0, T0 + 60 * SEC, T0 + 120 * SEC, T0 + 180 * SEC],
            &[Some(100); 4],
        );
        assert!(four.score > 0.0, "{four:?}");
    }

    #[test]
    fn strobe_is_flagged() {
        // Two connections a second for 13 hours: 93,600 in less than a day.
        let strobe: Vec<i64> = (0..93_600).map(|i| T0 + i * SEC / 2).collect();
        let s = score(&strobe, &[]);
        show("strobe 2/s for 13 h", &s);
        assert!(s.strobe);
        assert_bounded(&s);
        assert!(s.score > 0.0, "scored anyway: {s:?}");
        // One a second for an hour is busy, not a strobe (the span counts as
        // at least a day).
        let busy: Vec<i64> = (0..3600).map(|i| T0 + i * SEC).collect();
        assert!(!score(&busy, &[]).strobe);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        type Case = (Vec<i64>, Vec<Option<i64>>, i64, i64);
        let cases: Vec<Case> = vec![
            (vec![], vec![], 0, 0),
            (vec![T0; 10], vec![Some(5); 10], T0, T0),
            (vec![T0; 10], vec![None; 10], T0 + SPAN, T0),
            (
                vec![i64::MIN, i64::MAX, 0, 1, -5, i64::MIN],
                vec![Some(i64::MAX), Some(-1), Some(i64::MIN), None],
                i64::MIN,
                i64::MAX,
            ),
            (
                (0..100).map(|i| T0 + i).collect(),
                vec![Some(0); 100],
                T0,
                T0 + 100,
            ),
            (
                (0..100).map(|i| -i * 3600 * SEC).collect(),
                vec![Some(1), Some(1_000_000_000_000)],
                -SPAN,
                SPAN,
            ),
            (
                vec![T0, T0, T0, T0 + SEC, T0 + SEC],
                vec![Some(-7); 5],
                0,
                0,
            ),
        ];
        for (ts, bytes, start, end) in cases {
            let s = score_series(&ts, &bytes, start, end);
            assert_bounded(&s);
            assert_eq!(s.connections, ts.len() as i64);
        }
        // No known size: the size part is 0, the rest still scores.
        let s = score(&beacon(&mut Rng(3), 60.0, 0.0, 1.0), &[None; 4]);
        assert_eq!(s.ds_score, 0.0);
        assert!(s.ts_score > 0.9);
    }

    // -- The aggregate function ------------------------------------------

    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::datatypes::{Float64Type, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::{SessionConfig, SessionContext};
    use std::collections::BTreeMap;

    type Series = (Vec<i64>, Vec<Option<i64>>);

    /// Several pairs, one of each kind, some sizes and one timestamp null.
    fn pairs() -> BTreeMap<(String, String), Series> {
        let mut rng = Rng(42);
        let mut out = BTreeMap::new();
        let mut add = |src: &str, dst: &str, ts: Vec<i64>, bytes: Vec<Option<i64>>| {
            out.insert((src.to_string(), dst.to_string()), (ts, bytes));
        };
        let ts = beacon(&mut rng, 60.0, 0.0, 1.0);
        add(
            "10.0.0.1",
            "198.51.100.7",
            ts.clone(),
            sizes(&mut rng, ts.len(), 800.0, 0.0),
        );
        let ts = beacon(&mut rng, 60.0, 0.03, 0.1);
        add(
            "10.0.0.2",
            "203.0.113.9",
            ts.clone(),
            sizes(&mut rng, ts.len(), 800.0, 0.02),
        );
        let ts = poisson(&mut rng, 60.0);
        add(
            "10.0.0.3",
            "192.0.2.50",
            ts.clone(),
            random_sizes(&mut rng, ts.len()),
        );
        let ts = browsing(&mut rng);
        add(
            "10.0.0.4",
            "192.0.2.80",
            ts.clone(),
            random_sizes(&mut rng, ts.len()),
        );
        add(
            "10.0.0.5",
            "192.0.2.90",
            vec![T0, T0 + SEC, T0 + 2 * SEC],
            vec![Some(1); 3],
        );
        let ts = beacon(&mut rng, 300.0, 0.01, 1.0);
        let bytes = (0..ts.len()).map(|i| (i % 2 == 0).then_some(400)).collect();
        add("10.0.0.6", "192.0.2.99", ts, bytes);
        // ±20 % jitter with 5 % of the beats missing, and some sizes
        // negative (unknown, as a broken exporter may write them).
        let ts = beacon(&mut rng, 120.0, 0.2, 0.95);
        let mut bytes = sizes(&mut rng, ts.len(), 500.0, 0.05);
        for b in bytes.iter_mut().step_by(7) {
            *b = Some(-5);
        }
        add("10.0.0.7", "192.0.2.100", ts, bytes);
        add("10.0.0.8", "192.0.2.101", vec![T0 + 17 * SEC], vec![None]);
        out
    }

    fn flow_schema() -> Arc<Schema> {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        Arc::new(Schema::new(vec![
            Field::new("src", DataType::Utf8, false),
            Field::new("dst", DataType::Utf8, false),
            Field::new("ts", ts, true),
            Field::new("bytes", DataType::Int64, true),
        ]))
    }

    /// The pairs' rows shuffled (plus a null-timestamp row), cut into batches
    /// of 50 dealt over `partitions` partitions.
    fn partitions(
        pairs: &BTreeMap<(String, String), Series>,
        partitions: usize,
    ) -> Vec<Vec<RecordBatch>> {
        use datafusion::arrow::array::StringArray;
        let mut rows: Vec<(&str, &str, Option<i64>, Option<i64>)> = pairs
            .iter()
            .flat_map(|((src, dst), (ts, bytes))| {
                ts.iter()
                    .zip(bytes)
                    .map(move |(t, b)| (src.as_str(), dst.as_str(), Some(*t), *b))
            })
            .collect();
        rows.push(("10.0.0.6", "192.0.2.99", None, Some(1)));
        let mut rng = Rng(7);
        for i in (1..rows.len()).rev() {
            rows.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        let mut out = vec![Vec::new(); partitions];
        for (i, chunk) in rows.chunks(50).enumerate() {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(chunk.iter().map(|r| Some(r.0)).collect::<StringArray>()),
                Arc::new(chunk.iter().map(|r| Some(r.1)).collect::<StringArray>()),
                Arc::new(
                    chunk
                        .iter()
                        .map(|r| r.2)
                        .collect::<TimestampMicrosecondArray>()
                        .with_timezone("UTC"),
                ),
                Arc::new(chunk.iter().map(|r| r.3).collect::<Int64Array>()),
            ];
            out[i % partitions].push(RecordBatch::try_new(flow_schema(), columns).unwrap());
        }
        out
    }

    fn f64_field(row: &StructArray, name: &str, i: usize) -> Option<f64> {
        let col = row
            .column_by_name(name)
            .unwrap()
            .as_primitive::<Float64Type>();
        col.is_valid(i).then(|| col.value(i))
    }

    const BY_PAIR: &str = "SELECT f.src, f.dst, beacon_score(f.ts, f.bytes, s.lo, s.hi) AS b \
         FROM flows f CROSS JOIN (SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM flows) s \
         GROUP BY f.src, f.dst";

    /// Sum of a metric over a physical plan and all its children.
    fn metric(plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>, name: &str) -> usize {
        let own = plan
            .metrics()
            .and_then(|m| m.sum_by_name(name))
            .map_or(0, |v| v.as_usize());
        own + plan
            .children()
            .iter()
            .map(|c| metric(c, name))
            .sum::<usize>()
    }

    /// Runs [`BY_PAIR`] and checks every pair's struct against `score_series`.
    /// With `skip_partial`, the partial aggregation is told to give up at
    /// once, so every row reaches the final one through `convert_to_state`.
    async fn check_sql(target_partitions: usize, skip_partial: bool) {
        let pairs = pairs();
        let mut config = SessionConfig::new().with_target_partitions(target_partitions);
        if skip_partial {
            let exec = &mut config.options_mut().execution;
            exec.skip_partial_aggregation_probe_rows_threshold = 0;
            exec.skip_partial_aggregation_probe_ratio_threshold = 0.0;
        }
        let ctx = SessionContext::new_with_config(config);
        ctx.register_udaf(beacon_udaf());
        let table = MemTable::try_new(flow_schema(), partitions(&pairs, 3)).unwrap();
        ctx.register_table("flows", Arc::new(table)).unwrap();
        let df = ctx.sql(BY_PAIR).await.unwrap();
        let plan = df.create_physical_plan().await.unwrap();
        let shown = displayable(plan.as_ref()).indent(true).to_string();
        if target_partitions > 1 {
            assert!(
                shown.contains("mode=Partial"),
                "no partial aggregation:\n{shown}"
            );
        }
        let batches = datafusion::physical_plan::collect(plan.clone(), ctx.task_ctx())
            .await
            .unwrap();
        let skipped = metric(&plan, "skipped_aggregation_rows");
        assert_eq!(
            skipped > 0,
            skip_partial,
            "skipped {skipped} rows:\n{shown}"
        );
        let all: Vec<i64> = pairs
            .values()
            .flat_map(|(ts, _)| ts.iter().copied())
            .collect();
        let (lo, hi) = (*all.iter().min().unwrap(), *all.iter().max().unwrap());
        let mut seen = 0;
        for batch in batches {
            let src = batch.column(0).as_string::<i32>();
            let dst = batch.column(1).as_string::<i32>();
            let b = batch.column(2).as_struct();
            for i in 0..batch.num_rows() {
                let key = (src.value(i).to_string(), dst.value(i).to_string());
                let (ts, bytes) = &pairs[&key];
                let want = score_series(ts, bytes, lo, hi);
                let connections = b
                    .column_by_name("connections")
                    .unwrap()
                    .as_primitive::<Int64Type>();
                assert_eq!(connections.value(i), want.connections, "{key:?}");
                let first =
                    b.column_by_name("first_seen")
                        .unwrap()
                        .as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>();
                assert_eq!(first.is_valid(i).then(|| first.value(i)), want.first_seen);
                let strobe = b.column_by_name("strobe").unwrap().as_boolean();
                assert_eq!(strobe.value(i), want.strobe);
                assert_eq!(f64_field(b, "period_s", i), want.period_s, "{key:?}");
                for (name, v) in [
                    ("ts_score", want.ts_score),
                    ("ds_score", want.ds_score),
                    ("hist_score", want.hist_score),
                    ("dur_score", want.dur_score),
                    ("score", want.score),
                ] {
                    assert_eq!(f64_field(b, name, i), Some(v), "{key:?} {name}");
                }
                show(&format!("sql {} -> {}", key.0, key.1), &want);
                seen += 1;
            }
        }
        assert_eq!(seen, pairs.len());
    }

    #[tokio::test]
    async fn sql_agrees_with_score_series() {
        check_sql(1, false).await;
        check_sql(4, false).await;
        check_sql(4, true).await;
    }

    /// Splits a series over two accumulators, merges their states into a
    /// third, and compares with scoring the whole series at once.
    #[test]
    fn accumulator_merges_partial_states() {
        let (ts, bytes) = pairs()[&("10.0.0.6".to_string(), "192.0.2.99".to_string())].clone();
        let (lo, hi) = (T0, T0 + SPAN);
        let args = |ts: &[i64], bytes: &[Option<i64>]| -> Vec<ArrayRef> {
            let n = ts.len();
            vec![
                Arc::new(TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC")),
                Arc::new(Int64Array::from(bytes.to_vec())),
                Arc::new(TimestampMicrosecondArray::from(vec![lo; n])),
                Arc::new(TimestampMicrosecondArray::from(vec![hi; n])),
            ]
        };
        let half = ts.len() / 2;
        let mut parts = [BeaconAccumulator::default(), BeaconAccumulator::default()];
        parts[0]
            .update_batch(&args(&ts[..half], &bytes[..half]))
            .unwrap();
        parts[1]
            .update_batch(&args(&ts[half..], &bytes[half..]))
            .unwrap();
        assert!(parts[0].size() >= half * 24);
        let states: Vec<Vec<ScalarValue>> = parts.iter_mut().map(|p| p.state().unwrap()).collect();
        assert_eq!(
            parts[0].size(),
            size_of::<BeaconAccumulator>(),
            "state() hands the series over"
        );
        let columns: Vec<ArrayRef> = (0..4)
            .map(|c| ScalarValue::iter_to_array(states.iter().map(|s| s[c].clone())).unwrap())
            .collect();
        let mut merged = BeaconAccumulator::default();
        merged.merge_batch(&columns).unwrap();
        let got = merged.evaluate().unwrap();
        assert_eq!(
            got,
            score_scalar(&score_series(&ts, &bytes, lo, hi)).unwrap()
        );
    }

    /// Nulls everywhere, empty accumulators and empty states.
    #[test]
    fn accumulator_survives_nulls_and_empty_input() {
        use datafusion::arrow::array::new_null_array;
        let mut acc = BeaconAccumulator::default();
        let empty = acc.evaluate().unwrap();
        let ScalarValue::Struct(row) = &empty else {
            panic!("{empty:?}")
        };
        assert_eq!(
            row.column_by_name("connections")
                .unwrap()
                .as_primitive::<Int64Type>()
                .value(0),
            0
        );
        let ts_type = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let nulls: Vec<ArrayRef> = vec![
            new_null_array(&ts_type, 5),
            new_null_array(&DataType::Int64, 5),
            new_null_array(&ts_type, 5),
            new_null_array(&ts_type, 5),
        ];
        acc.update_batch(&nulls).unwrap();
        let state = acc.state().unwrap();
        let columns: Vec<ArrayRef> = state.iter().map(|s| s.to_array().unwrap()).collect();
        let mut merged = BeaconAccumulator::default();
        merged.merge_batch(&columns).unwrap();
        merged
            .update_batch(&[
                Arc::new(TimestampMicrosecondArray::from(vec![
                    Some(T0),
                    None,
                    Some(T0),
                    Some(i64::MAX),
                    Some(i64::MIN),
                ])),
                Arc::new(Int64Array::from(vec![
                    None,
                    Some(1),
                    Some(-3),
                    Some(i64::MAX),
                    None,
                ])),
                new_null_array(&ts_type, 5),
                Arc::new(TimestampMicrosecondArray::from(vec![
                    None,
                    Some(T0),
                    None,
                    None,
                    None,
                ])),
            ])
            .unwrap();
        let ScalarValue::Struct(row) = merged.evaluate().unwrap() else {
            panic!()
        };
        assert_eq!(
            row.column_by_name("connections")
                .unwrap()
                .as_primitive::<Int64Type>()
                .value(0),
            4
        );
        assert!(
            merged.update_batch(&nulls[..2]).is_err(),
            "wrong arity is an error, not a panic"
        );
    }

    // -- The groups accumulator against the row-wise one -------------------

    use datafusion::logical_expr::EmitTo;
    use groups::BeaconGroups;

    /// Each field of one struct row as its bit pattern (`None` when null):
    /// both paths must give the same bits, not merely close scores.
    fn row_bits(a: &StructArray, i: usize) -> Vec<Option<u64>> {
        a.columns()
            .iter()
            .map(|c| {
                c.is_valid(i).then(|| match c.data_type() {
                    DataType::Float64 => c.as_primitive::<Float64Type>().value(i).to_bits(),
                    DataType::Boolean => u64::from(c.as_boolean().value(i)),
                    _ => cast(c, &DataType::Int64)
                        .unwrap()
                        .as_primitive::<Int64Type>()
                        .value(i) as u64,
                })
            })
            .collect()
    }

    fn scalar_bits(s: &ScalarValue) -> Vec<Option<u64>> {
        let ScalarValue::Struct(a) = s else {
            panic!("not a struct: {s:?}")
        };
        row_bits(a, 0)
    }

    /// The series of [`pairs`], in order: group `g` is the `g`-th pair.
    fn series() -> Vec<Series> {
        pairs().into_values().collect()
    }

    /// One row of input: group, timestamp, size.
    type Row = (usize, Option<i64>, Option<i64>);

    /// Every connection of `series` as a row of its group, shuffled, plus a
    /// row without a timestamp in group 0.
    fn shuffled_rows(series: &[Series], seed: u64) -> Vec<Row> {
        let mut rows: Vec<Row> = series
            .iter()
            .enumerate()
            .flat_map(|(g, (ts, bytes))| {
                ts.iter()
                    .zip(bytes.iter().chain(std::iter::repeat(&None)))
                    .map(move |(t, b)| (g, Some(*t), *b))
            })
            .collect();
        rows.push((0, None, Some(99)));
        let mut rng = Rng(seed);
        for i in (1..rows.len()).rev() {
            rows.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        rows
    }

    /// The aggregate's four argument columns for `rows` over the span.
    fn arguments(rows: &[Row], (lo, hi): (i64, i64)) -> Vec<ArrayRef> {
        let n = rows.len();
        vec![
            Arc::new(
                TimestampMicrosecondArray::from_iter(rows.iter().map(|r| r.1)).with_timezone("UTC"),
            ),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.2))),
            Arc::new(TimestampMicrosecondArray::from(vec![lo; n]).with_timezone("UTC")),
            Arc::new(TimestampMicrosecondArray::from(vec![hi; n]).with_timezone("UTC")),
        ]
    }

    fn indices(rows: &[Row]) -> Vec<usize> {
        rows.iter().map(|r| r.0).collect()
    }

    /// Feeds `rows` to a groups accumulator in batches of 37.
    fn update(acc: &mut BeaconGroups, rows: &[Row], span: (i64, i64), groups: usize) {
        for chunk in rows.chunks(37) {
            acc.update_batch(&arguments(chunk, span), &indices(chunk), None, groups)
                .unwrap();
        }
    }

    /// What the row-wise accumulator gives for group `g` of `rows`.
    fn row_wise(rows: &[Row], g: usize, span: (i64, i64)) -> ScalarValue {
        let mine: Vec<Row> = rows.iter().copied().filter(|r| r.0 == g).collect();
        let mut acc = BeaconAccumulator::default();
        acc.update_batch(&arguments(&mine, span)).unwrap();
        acc.evaluate().unwrap()
    }

    fn assert_same_as_row_wise(
        out: &ArrayRef,
        rows: &[Row],
        groups: std::ops::Range<usize>,
        span: (i64, i64),
    ) {
        let out = out.as_struct();
        assert_eq!(out.len(), groups.len());
        for (i, g) in groups.enumerate() {
            assert_eq!(
                row_bits(out, i),
                scalar_bits(&row_wise(rows, g, span)),
                "group {g}"
            );
        }
    }

    const SPAN_OF_TEST: (i64, i64) = (T0 - 60 * SEC, T0 + SPAN);

    /// The same connections through both accumulators: identical struct
    /// rows for every group, among them a jittered beacon with missing
    /// beats, a sampled one, one with negative sizes, one under four
    /// connections and one with a single connection.
    #[test]
    fn groups_accumulator_agrees_bit_for_bit_with_the_row_wise_one() {
        let series = series();
        let rows = shuffled_rows(&series, 11);
        let mut acc = BeaconGroups::default();
        update(&mut acc, &rows, SPAN_OF_TEST, series.len());
        assert!(acc.size() >= rows.len() * 16);
        let out = acc.evaluate(EmitTo::All).unwrap();
        assert_same_as_row_wise(&out, &rows, 0..series.len(), SPAN_OF_TEST);
        // And both equal the plain scoring of each series.
        for (g, (ts, bytes)) in series.iter().enumerate() {
            let (lo, hi) = SPAN_OF_TEST;
            assert_eq!(
                row_bits(out.as_struct(), g),
                scalar_bits(&score_scalar(&score_series(ts, bytes, lo, hi)).unwrap())
            );
        }
        assert_eq!(
            acc.size(),
            BeaconGroups::default().size(),
            "evaluate hands every group over"
        );
    }

    /// Partial and final aggregation: part of the rows aggregated by one
    /// partial accumulator, part turned into states row by row
    /// (`convert_to_state`, with a filter whose rejected rows go to the
    /// partial accumulator instead), part through row-wise accumulators;
    /// all their states merged into one final accumulator give the scores
    /// of the whole series.
    #[test]
    fn groups_states_merge_across_partitions_and_with_row_wise_states() {
        let series = series();
        let groups = series.len();
        let rows = shuffled_rows(&series, 12);
        let third = rows.len() / 3;
        let (a, rest) = rows.split_at(third);
        let (b, c) = rest.split_at(third);

        let mut partial = BeaconGroups::default();
        update(&mut partial, a, SPAN_OF_TEST, groups);
        let filter: BooleanArray = (0..b.len()).map(|i| Some(i % 3 != 0)).collect();
        let rejected: Vec<Row> = b.iter().step_by(3).copied().collect();
        update(&mut partial, &rejected, SPAN_OF_TEST, groups);
        let converted = partial
            .convert_to_state(&arguments(b, SPAN_OF_TEST), Some(&filter))
            .unwrap();
        assert_eq!(converted[0].len(), b.len());

        let mut fin = BeaconGroups::default();
        fin.merge_batch(
            &partial.state(EmitTo::All).unwrap(),
            &(0..groups).collect::<Vec<_>>(),
            groups,
        )
        .unwrap();
        fin.merge_batch(&converted, &indices(b), groups).unwrap();
        for g in 0..groups {
            let mine: Vec<Row> = c.iter().copied().filter(|r| r.0 == g).collect();
            let mut acc = BeaconAccumulator::default();
            acc.update_batch(&arguments(&mine, SPAN_OF_TEST)).unwrap();
            let state: Vec<ArrayRef> = acc
                .state()
                .unwrap()
                .iter()
                .map(|s| s.to_array().unwrap())
                .collect();
            fin.merge_batch(&state, &[g], groups).unwrap();
        }
        let out = fin.evaluate(EmitTo::All).unwrap();
        assert_same_as_row_wise(&out, &rows, 0..groups, SPAN_OF_TEST);

        // The groups' states merge into the row-wise accumulator too.
        let mut whole = BeaconGroups::default();
        update(&mut whole, &rows, SPAN_OF_TEST, groups);
        let states = whole.state(EmitTo::All).unwrap();
        for g in 0..groups {
            let mut acc = BeaconAccumulator::default();
            let row: Vec<ArrayRef> = states.iter().map(|s| s.slice(g, 1)).collect();
            acc.merge_batch(&row).unwrap();
            assert_eq!(
                scalar_bits(&acc.evaluate().unwrap()),
                scalar_bits(&row_wise(&rows, g, SPAN_OF_TEST)),
                "group {g}"
            );
        }
    }

    /// `EmitTo::First(n)` hands over the first `n` groups and renumbers the
    /// rest from 0; rows arriving afterwards use the new numbers.
    #[test]
    fn emitting_the_first_groups_keeps_the_rest() {
        let series = series();
        let groups = series.len();
        let rows = shuffled_rows(&series, 13);
        let mut acc = BeaconGroups::default();
        update(&mut acc, &rows, SPAN_OF_TEST, groups);

        let first = acc.evaluate(EmitTo::First(2)).unwrap();
        assert_same_as_row_wise(&first, &rows, 0..2, SPAN_OF_TEST);

        // More beats of (old) group 3, now group 1.
        let last = series[3].0.iter().max().copied().unwrap();
        let more: Vec<Row> = (1..=5)
            .map(|k| (3, Some(last + k * 90 * SEC), Some(321)))
            .collect();
        let renumbered: Vec<Row> = more.iter().map(|r| (r.0 - 2, r.1, r.2)).collect();
        update(&mut acc, &renumbered, SPAN_OF_TEST, groups - 2);
        let all_rows: Vec<Row> = rows.iter().chain(&more).copied().collect();

        // Group 2's state alone, merged elsewhere, scores the same.
        let state = acc.state(EmitTo::First(1)).unwrap();
        let mut other = BeaconGroups::default();
        other.merge_batch(&state, &[0], 1).unwrap();
        assert_same_as_row_wise(
            &other.evaluate(EmitTo::All).unwrap(),
            &all_rows,
            2..3,
            SPAN_OF_TEST,
        );

        let rest = acc.evaluate(EmitTo::All).unwrap();
        assert_same_as_row_wise(&rest, &all_rows, 3..groups, SPAN_OF_TEST);
    }

    /// Nulls, filters that are null, empty batches, wrong arity and states
    /// of the wrong type: errors or empty groups, never a panic.
    #[test]
    fn groups_accumulator_survives_nulls_and_bad_states() {
        use datafusion::arrow::array::new_null_array;
        let ts_type = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let nulls: Vec<ArrayRef> = vec![
            new_null_array(&ts_type, 4),
            new_null_array(&DataType::Int64, 4),
            new_null_array(&ts_type, 4),
            new_null_array(&ts_type, 4),
        ];
        let mut acc = BeaconGroups::default();
        let filter = BooleanArray::from(vec![None, Some(true), Some(false), None]);
        acc.update_batch(&nulls, &[0, 1, 2, 3], Some(&filter), 5)
            .unwrap();
        acc.update_batch(&arguments(&[], SPAN_OF_TEST), &[], None, 5)
            .unwrap();
        let out = acc.evaluate(EmitTo::All).unwrap();
        assert_eq!(out.len(), 5);
        let empty = scalar_bits(&score_scalar(&BeaconScore::default()).unwrap());
        for i in 0..5 {
            assert_eq!(row_bits(out.as_struct(), i), empty);
        }
        assert!(acc
            .update_batch(&nulls[..2], &[0, 0, 0, 0], None, 1)
            .is_err());
        assert!(acc.merge_batch(&nulls, &[0, 0, 0, 0], 1).is_err());
        assert!(acc.merge_batch(&nulls[..3], &[0, 0, 0, 0], 1).is_err());
        assert!(
            acc.update_batch(&nulls, &[0, 0], None, 1).is_err(),
            "rows and group indices differ"
        );
        assert!(
            acc.update_batch(&nulls, &[0, 0, 0, 7], None, 5).is_err(),
            "a group beyond the total"
        );
        let short_filter = BooleanArray::from(vec![true]);
        assert!(acc.convert_to_state(&nulls, Some(&short_filter)).is_err());
        let state = acc.convert_to_state(&nulls, None).unwrap();
        assert_eq!(state[0].len(), 4);
    }

    // -- Real data ---------------------------------------------------------

    fn is_public_unicast(ip: &str) -> bool {
        match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => {
                !(v4.is_private()
                    || v4.is_loopback()
                    || v4.is_link_local()
                    || v4.is_multicast()
                    || v4.is_broadcast()
                    || v4.is_unspecified())
            }
            Ok(std::net::IpAddr::V6(v6)) => {
                !(v6.is_multicast()
                    || v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_unicast_link_local()
                    || v6.is_unique_local())
            }
            Err(_) => false,
        }
    }

    /// NjRAT (CTU-Malware-Capture-Botnet-230-1, first 1,000 lines): the pair
    /// that scores highest among those with at least 20 connections is the
    /// labelled C2 channel.
    #[test]
    fn njrat_capture_ranks_the_c2_pair_first() {
        use borderscope_ingest::{formats::zeek, ReadOptions, VecSink};
        use std::collections::HashMap;
        let path =
            borderscope_testdata::require_shared!("zeek/njrat-ctu-malware-230-1/labeled-conn.log");
        let mut input = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let mut sink = VecSink::default();
        zeek::read(&mut input, &ReadOptions::default(), &mut sink).unwrap();
        let (lo, hi) = sink
            .flows
            .iter()
            .fold((i64::MAX, i64::MIN), |(l, h), f| (l.min(f.ts), h.max(f.ts)));
        let mut groups: HashMap<(String, String), (Series, HashMap<String, usize>)> =
            HashMap::new();
        for f in &sink.flows {
            let ((ts, bytes), labels) = groups
                .entry((f.src_ip.to_string(), f.dst_ip.to_string()))
                .or_default();
            ts.push(f.ts);
            bytes.push(f.src_bytes.and_then(|b| i64::try_from(b).ok()));
            let label = f.label.label.as_deref().unwrap_or("-").to_string();
            *labels.entry(label).or_default() += 1;
        }
        let mut ranked: Vec<(BeaconScore, String, &(String, String))> = groups
            .iter()
            .map(|(pair, ((ts, bytes), labels))| {
                let label = labels
                    .iter()
                    .max_by_key(|(l, n)| (**n, l.to_string()))
                    .unwrap()
                    .0
                    .clone();
                (score_series(ts, bytes, lo, hi), label, pair)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        println!("all pairs with at least 20 connections:");
        for (s, label, (src, dst)) in ranked.iter().filter(|r| r.0.connections >= 20) {
            show(&format!("{label:<10} {src} -> {dst}"), s);
        }
        // Link-local multicast (IPv6 neighbour discovery and MLD every ~125 s)
        // is as periodic as any beacon. Like RITA, which scores only traffic
        // crossing the network boundary, the caller keeps destinations that
        // are public unicast addresses (`NOT ip_is_reserved(dst_ip)`).
        let top = ranked
            .iter()
            .find(|r| r.0.connections >= 20 && is_public_unicast(&r.2 .1))
            .unwrap();
        assert_eq!(top.1, "Malicious", "top pair {:?}: {:?}", top.2, top.0);
    }
}
