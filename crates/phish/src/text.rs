//! String measures behind the impersonation scores: confusable folding,
//! tokens, edit distance with the kind of typo, entropy.

use std::collections::HashSet;

/// Words phishing names join to a brand (`paypal-login`, `secureapple`):
/// credentials, urgency and support. Words brands use for their own
/// infrastructure (app, mail, team, net, web, info, language codes) are
/// deliberately absent: `yandex-team` or `microsoftapp` are not squats.
pub const COMBO_WORDS: &[&str] = &[
    "access",
    "account",
    "accounts",
    "activate",
    "alert",
    "auth",
    "authenticate",
    "bank",
    "banking",
    "billing",
    "center",
    "centre",
    "check",
    "client",
    "com",
    "confirm",
    "confirmation",
    "customer",
    "help",
    "id",
    "limited",
    "log",
    "login",
    "logon",
    "member",
    "my",
    "notice",
    "official",
    "online",
    "pay",
    "payment",
    "portal",
    "protect",
    "recover",
    "recovery",
    "restore",
    "safe",
    "secure",
    "security",
    "service",
    "services",
    "sign",
    "signin",
    "signon",
    "support",
    "suspend",
    "suspended",
    "unlock",
    "update",
    "user",
    "validate",
    "validation",
    "verification",
    "verify",
    "wallet",
    "webscr",
    "www",
];

/// The subset of [`COMBO_WORDS`] (and a few more) that speak of credentials:
/// their presence anywhere in a URL is context for a brand match.
pub const CREDENTIAL_WORDS: &[&str] = &[
    "account",
    "activate",
    "auth",
    "authenticate",
    "banking",
    "billing",
    "confirm",
    "credential",
    "login",
    "logon",
    "password",
    "recover",
    "recovery",
    "secure",
    "security",
    "signin",
    "signon",
    "suspend",
    "suspended",
    "unlock",
    "update",
    "validate",
    "validation",
    "verification",
    "verify",
    "webscr",
    "wallet",
];

/// UTS #39 skeleton, made case-blind: `pаypaI` and `paypal` fold alike, and
/// so do `rn` and `m`, `1` and `l`, `0` and `o`.
pub fn fold(s: &str) -> String {
    let once: String = unicode_security::skeleton(s).collect();
    let lower = once.to_lowercase();
    let twice: String = unicode_security::skeleton(&lower).collect();
    twice.to_lowercase()
}

/// Runs of letters and digits (Unicode), lower case.
pub fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// What remains of `token` after taking combo words off its ends, in every
/// way (`secureappleidlogin` gives `appleidlogin`, `appleid`, ...). The
/// token itself is included. Bounded: at most six words are removed.
pub fn cores(token: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut frontier = vec![token.to_string()];
    seen.insert(token.to_string());
    for _ in 0..6 {
        let mut next = Vec::new();
        for t in &frontier {
            // Digit runs at either end (`orange57`, `30netflix`) go too.
            let digits = [
                t.trim_start_matches(|c: char| c.is_ascii_digit()),
                t.trim_end_matches(|c: char| c.is_ascii_digit()),
            ];
            for r in digits {
                if r.len() != t.len() && r.chars().count() >= 2 && seen.insert(r.to_string()) {
                    next.push(r.to_string());
                }
            }
            for w in COMBO_WORDS {
                let rest = [t.strip_prefix(w), t.strip_suffix(w)];
                for r in rest.into_iter().flatten() {
                    if r.chars().count() >= 2 && seen.insert(r.to_string()) {
                        next.push(r.to_string());
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    seen
}

/// The kind of a one-edit typo of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typo {
    KeyboardNeighbour,
    Substituted,
    Swapped,
    Doubled,
    Inserted,
    Dropped,
    /// Two edits (long names only), each a typing slip: a letter doubled,
    /// dropped, swapped with its neighbour or replaced by its keyboard
    /// neighbour (`iinsttagram`, `steammcommuniity`).
    TwoSlips,
    /// Two edits (long names only) of any kind: as often another word that
    /// shares most letters (`spglobal` and `sbcglobal`) as a squat.
    TwoEdits,
}

impl Typo {
    pub fn describe(self) -> &'static str {
        match self {
            Typo::KeyboardNeighbour => "a letter replaced by its keyboard neighbour",
            Typo::Substituted => "a letter replaced",
            Typo::Swapped => "two letters swapped",
            Typo::Doubled => "a letter doubled",
            Typo::Inserted => "a letter inserted",
            Typo::Dropped => "a letter dropped",
            Typo::TwoSlips => "two typing slips",
            Typo::TwoEdits => "two letters changed",
        }
    }
}

/// Whether `candidate` is a typo of `name` (not equal to it): one edit for
/// names of 5–8 characters, up to two for longer ones. Shorter names are
/// not typo-matched: one edit of a four-letter name is another word.
pub fn typo_of(candidate: &str, name: &str) -> Option<Typo> {
    // Cheap rejections before any allocation: this runs for every token
    // (and path token) against every brand name.
    if candidate.chars().next() != name.chars().next()
        || candidate.len().abs_diff(name.len()) > 2 * 4
    {
        return None;
    }
    let c: Vec<char> = candidate.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Typos keep the first letter: a name that differs there (`cloud`,
    // `icloud`) is usually another word, not a slip.
    if n.len() < 5 || c == n || c.first() != n.first() {
        return None;
    }
    let max = if n.len() >= 9 { 2 } else { 1 };
    if c.len().abs_diff(n.len()) > max {
        return None;
    }
    let d = osa_distance(&c, &n);
    if d == 0 || d > max {
        return None;
    }
    if d == 2 {
        return Some(if two_slips(&c, &n) {
            Typo::TwoSlips
        } else {
            Typo::TwoEdits
        });
    }
    Some(classify_one_edit(&c, &n))
}

fn classify_one_edit(c: &[char], n: &[char]) -> Typo {
    use std::cmp::Ordering;
    match c.len().cmp(&n.len()) {
        Ordering::Greater => {
            // Which char was inserted; doubled if it repeats its neighbour.
            let i = first_difference(c, n);
            let doubled = (i > 0 && c[i] == c[i - 1]) || (i + 1 < c.len() && c[i] == c[i + 1]);
            if doubled {
                Typo::Doubled
            } else {
                Typo::Inserted
            }
        }
        Ordering::Less => Typo::Dropped,
        Ordering::Equal => {
            let diffs: Vec<usize> = (0..c.len()).filter(|&i| c[i] != n[i]).collect();
            match diffs.as_slice() {
                [i] if keyboard_neighbours(c[*i], n[*i]) => Typo::KeyboardNeighbour,
                [_] => Typo::Substituted,
                _ => Typo::Swapped,
            }
        }
    }
}

/// Whether `c` is two typing slips from `n`: some string one slip from `n`
/// is one slip from `c`. Bounded by the name's length (at most a few
/// hundred candidates, each compared in O(len²)); called only when the
/// edit distance is already known to be two.
fn two_slips(c: &[char], n: &[char]) -> bool {
    let slip = |t: Typo| {
        matches!(
            t,
            Typo::Doubled | Typo::Dropped | Typo::Swapped | Typo::KeyboardNeighbour
        )
    };
    let mut variants: Vec<Vec<char>> = Vec::new();
    for i in 0..n.len() {
        let mut doubled = n.to_vec();
        doubled.insert(i, n[i]);
        variants.push(doubled);
        let mut dropped = n.to_vec();
        dropped.remove(i);
        variants.push(dropped);
        if i + 1 < n.len() {
            let mut swapped = n.to_vec();
            swapped.swap(i, i + 1);
            variants.push(swapped);
        }
        for k in QWERTY.iter().flat_map(|row| row.chars()) {
            if keyboard_neighbours(n[i], k) {
                let mut near = n.to_vec();
                near[i] = k;
                variants.push(near);
            }
        }
    }
    variants.iter().any(|m| {
        m.as_slice() != c && osa_distance(c, m) == 1 && {
            // `m` is the name after one slip; `c` must be one more slip of it.
            slip(classify_one_edit(c, m))
        }
    })
}

fn first_difference(a: &[char], b: &[char]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps).
pub fn osa_distance(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

const QWERTY: [&str; 4] = ["1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

fn key_position(c: char) -> Option<(i32, i32)> {
    QWERTY.iter().enumerate().find_map(|(row, keys)| {
        keys.chars()
            .position(|k| k == c)
            .map(|col| (row as i32, col as i32))
    })
}

/// Adjacent on a QWERTY keyboard (same row or the row above/below,
/// allowing for the half-key stagger).
pub fn keyboard_neighbours(a: char, b: char) -> bool {
    let (Some((ra, ca)), Some((rb, cb))) = (key_position(a), key_position(b)) else {
        return false;
    };
    match ra - rb {
        0 => (ca - cb).abs() == 1,
        // The lower row is shifted right by about half a key.
        1 => cb - ca == 0 || cb - ca == 1,
        -1 => ca - cb == 0 || ca - cb == 1,
        _ => false,
    }
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// More than one script among the letters (digits and `-` are common to all).
pub fn mixed_script(s: &str) -> bool {
    use unicode_security::MixedScript;
    !s.is_single_script()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_maps_confusables_together() {
        assert_eq!(fold("pаypaI"), fold("paypal")); // Cyrillic а, capital I
        assert_eq!(fold("rnicrosoft"), fold("microsoft"));
        assert_eq!(fold("paypa1"), fold("paypal"));
        assert_eq!(fold("g00gle"), fold("google"));
        assert_ne!(fold("paypal"), fold("paybal"));
    }

    #[test]
    fn typos_are_classified() {
        assert_eq!(typo_of("paypak", "paypal"), Some(Typo::KeyboardNeighbour));
        assert_eq!(typo_of("paypxl", "paypal"), Some(Typo::Substituted));
        assert_eq!(typo_of("papyal", "paypal"), Some(Typo::Swapped));
        assert_eq!(typo_of("paypall", "paypal"), Some(Typo::Doubled));
        assert_eq!(typo_of("paypals", "paypal"), Some(Typo::Inserted));
        assert_eq!(typo_of("paypl", "paypal"), Some(Typo::Dropped));
        assert_eq!(typo_of("micrsooft", "microsoft"), Some(Typo::Swapped));
        assert_eq!(typo_of("mikrosof", "microsoft"), Some(Typo::TwoEdits));
        assert_eq!(typo_of("iinsttagram", "instagram"), Some(Typo::TwoSlips));
        assert_eq!(typo_of("mircosofft", "microsoft"), Some(Typo::TwoSlips));
        assert_eq!(typo_of("spglobal", "sbcglobal"), Some(Typo::TwoEdits));
        assert_eq!(typo_of("paypal", "paypal"), None);
        assert_eq!(typo_of("pay", "paypal"), None);
        assert_eq!(
            typo_of("ebey", "ebay"),
            None,
            "short names are not typo-matched"
        );
    }

    #[test]
    fn cores_strip_combo_words_from_both_ends() {
        let c = cores("secureappleidlogin");
        assert!(c.contains("appleid"));
        assert!(c.contains("secureappleidlogin"));
        assert!(!cores("pineapple").contains("apple"));
    }

    #[test]
    fn keyboard_and_entropy() {
        assert!(keyboard_neighbours('l', 'k'));
        assert!(keyboard_neighbours('a', 'q'));
        assert!(!keyboard_neighbours('a', 'p'));
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-9);
        assert!(mixed_script("pаypal"));
        assert!(!mixed_script("paypal-2"));
    }
}
