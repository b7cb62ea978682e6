//! Deterministic randomness: splitmix64, and generators derived from keys.
//!
//! Every entity and every day draws from a generator derived from the seed
//! and its own keys (machine number, lease number, day ...), never from one
//! shared stream. So a day can be generated without replaying the days
//! before it, and adding an entity of one kind does not shift the draws of
//! the others. Only `ln`, `exp` and `sqrt` are used on floats (no `powi`,
//! whose result can depend on the optimisation level), so the same seed
//! gives the same bytes in debug and release builds.

/// splitmix64: tiny, fast, statistically good enough for traffic shapes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// Mixes one 64-bit value (the splitmix64 finaliser).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one entity: the seed and the entity's keys hashed
    /// together, so two key lists give unrelated streams.
    pub fn derive(seed: u64, keys: &[u64]) -> Rng {
        let mut h = mix(seed ^ 0x5EED_B0D3_25C0_9E00);
        for &k in keys {
            h = mix(h.wrapping_add(0x9E37_79B9_7F4A_7C15) ^ mix(k));
        }
        Rng(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a collection of `n` items.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// An index in `0..n` skewed towards 0: a few popular items, a long tail.
    pub fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * u * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// Log-uniform in `lo..=hi`: sizes and durations span orders of magnitude.
    pub fn log_between(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1) as f64).ln(), (hi.max(1) as f64).ln());
        ((l + self.unit() * (h - l)).exp() as u64).clamp(lo, hi)
    }

    /// `x` moved by up to `±share` of itself.
    pub fn jitter(&mut self, x: f64, share: f64) -> f64 {
        x * (1.0 + share * (2.0 * self.unit() - 1.0))
    }

    /// Failures before the first success of independent trials that each
    /// succeed with probability `p`: how many beats pass unseen before a
    /// sampled one. `u64::MAX` when `p` is 0.
    pub fn geometric(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 0;
        }
        if p <= 0.0 {
            return u64::MAX;
        }
        let u = 1.0 - self.unit(); // (0, 1]
        let k = (u.ln() / (1.0 - p).ln()).floor();
        if k >= u64::MAX as f64 {
            u64::MAX
        } else {
            k as u64
        }
    }

    /// A Poisson count with mean `lambda`: Knuth's product method for small
    /// means, a rounded normal above 30 (the counts here are rows a day).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let n = lambda + lambda.sqrt() * self.normal();
            return n.round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= self.unit();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// `k` distinct indices of `0..n` (all of them when `k >= n`), in
    /// ascending order.
    pub fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        if k >= n {
            return (0..n).collect();
        }
        // Floyd's algorithm: k draws, no n-sized allocation.
        let mut chosen = std::collections::BTreeSet::new();
        for j in n - k..n {
            let t = self.index(j + 1);
            if !chosen.insert(t) {
                chosen.insert(j);
            }
        }
        chosen.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, &[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(7, &[1, 2]).next_u64(),
            Rng::derive(7, &[2, 1]).next_u64()
        );
        assert_ne!(
            Rng::derive(7, &[1]).next_u64(),
            Rng::derive(8, &[1]).next_u64()
        );
    }

    #[test]
    fn draws_stay_in_range_and_have_the_right_means() {
        let mut r = Rng::new(42);
        let n = 20_000;
        let mut sum_p = 0;
        let mut sum_g = 0;
        for _ in 0..n {
            assert!(r.below(10) < 10);
            let x = r.between(3, 5);
            assert!((3..=5).contains(&x));
            assert!((10..=1000).contains(&r.log_between(10, 1000)));
            sum_p += r.poisson(4.0);
            sum_g += r.geometric(0.2);
        }
        let mean_p = sum_p as f64 / n as f64;
        let mean_g = sum_g as f64 / n as f64;
        assert!((mean_p - 4.0).abs() < 0.1, "poisson mean {mean_p}");
        // Failures before a success: (1 - p) / p = 4.
        assert!((mean_g - 4.0).abs() < 0.15, "geometric mean {mean_g}");
        assert_eq!(r.geometric(0.0), u64::MAX);
        assert_eq!(r.geometric(1.0), 0);
        let big = (0..2000).map(|_| r.poisson(100.0)).sum::<u64>() as f64 / 2000.0;
        assert!((big - 100.0).abs() < 1.5, "{big}");
    }

    #[test]
    fn distinct_indices_are_distinct_and_sorted() {
        let mut r = Rng::new(1);
        let d = r.distinct(50, 20);
        assert_eq!(d.len(), 20);
        assert!(d.windows(2).all(|w| w[0] < w[1]));
        assert!(d.iter().all(|&i| i < 50));
        assert_eq!(r.distinct(3, 9), vec![0, 1, 2]);
    }
}
