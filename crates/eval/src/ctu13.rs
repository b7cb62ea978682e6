//! The time-window metrics of García, Grill, Stiborek and Zunino, "An
//! empirical comparison of botnet detection methods" (Computers & Security,
//! 2014), used to compare detectors on the CTU-13 captures.
//!
//! Traffic is cut into windows (300 s in the paper). In each window every
//! address is labelled from its flows (Botnet over Normal over Background;
//! Background addresses are not counted) and predicted positive when the
//! detector flagged any of its flows in that window. Errors are weighted by
//! window: a botnet address found early counts more,
//! `c(t) = exp(-alpha * t) + 1`, with t the window index and alpha 0.01:
//!
//! ```text
//! tTP += TP * c(t) / N_bot      tFN += FN * c(t) / N_bot
//! tFP += FP / N_normal          tTN += TN / N_normal
//! ```
//!
//! where N_bot and N_normal are the botnet and normal addresses of the window.
//! Precision, TPR, FPR and F1 follow from the summed terms.

use serde::Serialize;

/// The paper's window length and decay.
pub const WINDOW_SECS: i64 = 300;
pub const ALPHA: f64 = 0.01;

/// Address counts of one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WindowCounts {
    /// Window index from the start of the capture (0-based).
    pub window: i64,
    /// Botnet addresses predicted positive.
    pub tp: u64,
    /// Botnet addresses not predicted.
    pub fn_: u64,
    /// Normal addresses predicted positive.
    pub fp: u64,
    /// Normal addresses not predicted.
    pub tn: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ctu13Metrics {
    pub windows: usize,
    pub t_tp: f64,
    pub t_fn: f64,
    pub t_fp: f64,
    pub t_tn: f64,
    /// `None` where the denominator is zero (e.g. no botnet address at all).
    pub precision: Option<f64>,
    pub tpr: Option<f64>,
    pub fpr: Option<f64>,
    pub f1: Option<f64>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// Sums the weighted terms over windows and derives the rates.
pub fn metrics(windows: &[WindowCounts], alpha: f64) -> Ctu13Metrics {
    let (mut t_tp, mut t_fn, mut t_fp, mut t_tn) = (0.0, 0.0, 0.0, 0.0);
    for w in windows {
        let c = (-alpha * w.window as f64).exp() + 1.0;
        let n_bot = (w.tp + w.fn_) as f64;
        let n_normal = (w.fp + w.tn) as f64;
        if n_bot > 0.0 {
            t_tp += w.tp as f64 * c / n_bot;
            t_fn += w.fn_ as f64 * c / n_bot;
        }
        if n_normal > 0.0 {
            t_fp += w.fp as f64 / n_normal;
            t_tn += w.tn as f64 / n_normal;
        }
    }
    let precision = ratio(t_tp, t_tp + t_fp);
    let tpr = ratio(t_tp, t_tp + t_fn);
    let f1 = match (precision, tpr) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    };
    Ctu13Metrics {
        windows: windows.len(),
        t_tp,
        t_fn,
        t_fp,
        t_tn,
        precision,
        tpr,
        fpr: ratio(t_fp, t_fp + t_tn),
        f1,
    }
}

/// SQL giving one row per (window, address) with its truth and prediction,
/// from a relation `labelled` of flows with columns `ts`, `ip` (the address
/// judged), `label` (`Malicious`, `Benign`, `Background` or NULL) and
/// `flagged` (boolean). Windows count from the first flow of `labelled`.
pub fn window_rows_sql(labelled: &str) -> String {
    format!(
        "WITH l AS (SELECT * FROM {labelled}), \
              start AS (SELECT MIN(ts) AS t0 FROM l) \
         SELECT CAST(floor((CAST(to_unixtime(l.ts) AS DOUBLE) - CAST(to_unixtime(start.t0) AS DOUBLE)) / {WINDOW_SECS}) AS BIGINT) AS window, \
                l.ip, \
                CASE WHEN bool_or(l.label = 'Malicious') THEN 'botnet' \
                     WHEN bool_or(l.label = 'Benign') THEN 'normal' \
                     ELSE 'background' END AS truth, \
                bool_or(l.flagged) AS predicted \
         FROM l CROSS JOIN start GROUP BY 1, 2"
    )
}

/// Folds `(window, truth, predicted)` rows into per-window counts.
pub fn count_windows(rows: impl IntoIterator<Item = (i64, String, bool)>) -> Vec<WindowCounts> {
    let mut by_window: std::collections::BTreeMap<i64, WindowCounts> = Default::default();
    for (window, truth, predicted) in rows {
        let w = by_window.entry(window).or_insert(WindowCounts {
            window,
            ..WindowCounts::default()
        });
        match (truth.as_str(), predicted) {
            ("botnet", true) => w.tp += 1,
            ("botnet", false) => w.fn_ += 1,
            ("normal", true) => w.fp += 1,
            ("normal", false) => w.tn += 1,
            _ => {}
        }
    }
    by_window.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(window: i64, tp: u64, fn_: u64, fp: u64, tn: u64) -> WindowCounts {
        WindowCounts {
            window,
            tp,
            fn_,
            fp,
            tn,
        }
    }

    #[test]
    fn a_perfect_detector_scores_one_and_zero_false_positives() {
        let m = metrics(&[w(0, 1, 0, 0, 3), w(1, 2, 0, 0, 5)], ALPHA);
        assert_eq!(m.precision, Some(1.0));
        assert_eq!(m.tpr, Some(1.0));
        assert_eq!(m.fpr, Some(0.0));
        assert_eq!(m.f1, Some(1.0));
    }

    #[test]
    fn early_detection_weighs_more_than_late() {
        let early = metrics(&[w(0, 1, 0, 0, 1), w(100, 0, 1, 0, 1)], ALPHA);
        let late = metrics(&[w(0, 0, 1, 0, 1), w(100, 1, 0, 0, 1)], ALPHA);
        assert!(early.tpr.unwrap() > late.tpr.unwrap());
        // c(0) = 2, c(100) = e^-1 + 1.
        let c100 = (-1.0f64).exp() + 1.0;
        assert!((early.tpr.unwrap() - 2.0 / (2.0 + c100)).abs() < 1e-12);
    }

    #[test]
    fn false_positives_are_normalised_per_window() {
        let m = metrics(&[w(0, 1, 0, 1, 3)], ALPHA);
        assert!((m.t_fp - 0.25).abs() < 1e-12);
        assert!((m.fpr.unwrap() - 0.25).abs() < 1e-12);
        assert!((m.precision.unwrap() - 2.0 / 2.25).abs() < 1e-12);
    }

    #[test]
    fn windows_without_botnet_or_normal_addresses_divide_by_nothing() {
        let m = metrics(&[w(0, 0, 0, 0, 4)], ALPHA);
        assert_eq!(m.tpr, None);
        assert_eq!(m.precision, None);
        assert_eq!(m.fpr, Some(0.0));
        assert_eq!(m.f1, None);
    }

    #[test]
    fn rows_fold_into_window_counts_ignoring_background() {
        let rows = vec![
            (0, "botnet".to_string(), true),
            (0, "normal".to_string(), false),
            (0, "background".to_string(), true),
            (2, "normal".to_string(), true),
        ];
        assert_eq!(
            count_windows(rows),
            vec![w(0, 1, 0, 0, 1), w(2, 0, 0, 1, 0)]
        );
    }
}
