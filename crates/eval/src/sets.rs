//! Plain precision and recall of a predicted set against a true set (e.g. the
//! C2 server addresses found versus those the labels name).

use std::collections::BTreeSet;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetMetrics {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    /// `None` when nothing was predicted (precision is undefined, not 1).
    pub precision: Option<f64>,
    /// `None` when the truth is empty.
    pub recall: Option<f64>,
    /// Predicted items that are not in the truth, for the reader to inspect.
    pub false_positive_items: Vec<String>,
    /// True items that were missed.
    pub missed_items: Vec<String>,
}

impl SetMetrics {
    pub fn compare(predicted: &BTreeSet<String>, truth: &BTreeSet<String>) -> SetMetrics {
        let tp = predicted.intersection(truth).count();
        let fp: Vec<String> = predicted.difference(truth).cloned().collect();
        let missed: Vec<String> = truth.difference(predicted).cloned().collect();
        let ratio = |num: usize, den: usize| (den > 0).then(|| num as f64 / den as f64);
        SetMetrics {
            true_positives: tp,
            false_positives: fp.len(),
            false_negatives: missed.len(),
            precision: ratio(tp, predicted.len()),
            recall: ratio(tp, truth.len()),
            false_positive_items: fp,
            missed_items: missed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_hits_misses_and_false_alarms() {
        let m = SetMetrics::compare(&set(&["a", "b", "x"]), &set(&["a", "b", "c", "d"]));
        assert_eq!(
            (m.true_positives, m.false_positives, m.false_negatives),
            (2, 1, 2)
        );
        assert_eq!(m.precision, Some(2.0 / 3.0));
        assert_eq!(m.recall, Some(0.5));
        assert_eq!(m.false_positive_items, vec!["x"]);
    }

    #[test]
    fn empty_sets_give_undefined_not_perfect_ratios() {
        let m = SetMetrics::compare(&set(&[]), &set(&[]));
        assert_eq!((m.precision, m.recall), (None, None));
        let m = SetMetrics::compare(&set(&[]), &set(&["a"]));
        assert_eq!((m.precision, m.recall), (None, Some(0.0)));
    }
}
