//! The scorer on the real data in ../shared/data/phishing (skipped with a
//! printed reason when it is absent; a failure under CI=true).

use borderscope_phish::eval::{evaluate, evaluate_pages, read_page_index};
use borderscope_phish::feeds::{read_domain_list, read_phishtank};
use borderscope_phish::page::PageScorer;
use borderscope_phish::{Registry, Scorer};
use borderscope_testdata::require_shared;

#[test]
fn phishtank_dump_reads_completely() {
    let path = require_shared!("phishing/2018-10-26.csv.bz2");
    let dump = read_phishtank(&path).unwrap();
    // The README gives 26,714 rows for this dump.
    assert_eq!(
        dump.rows.len() + dump.bad.len(),
        26_714,
        "{:?}",
        &dump.bad[..dump.bad.len().min(5)]
    );
    assert!(dump.format.contains("bzip2"));
}

/// The development dump: guards at the measured figures (docs/accuracy.md)
/// on rows where the brand is visible in the URL, and well above the
/// baseline on all branded rows. The targets (recall 0.95 at
/// precision 0.99) are not reached yet on recall: see docs/accuracy.md.
#[test]
fn development_dump_figures_do_not_regress() {
    let dump = require_shared!("phishing/2018-10-26.csv.bz2");
    let benign = require_shared!("phishing/tranco-top10k.csv");
    let rows = read_phishtank(&dump).unwrap().rows;
    let benign = read_domain_list(&benign).unwrap().rows;
    assert_eq!(benign.len(), 10_000);
    let e = evaluate(&Registry::builtin(), &rows, &benign);
    let v = &e.borderscope.visible;
    assert!(v.recall >= 0.85, "visible recall {v:?}");
    assert!(v.precision >= 0.97, "visible precision {v:?}");
    assert!(
        e.borderscope.branded.f1 > 2.0 * e.baseline.branded.f1,
        "{e:?}"
    );
}

#[test]
fn saved_pages_score_without_crashing_and_content_adds_recall() {
    let dir = require_shared!("phishing/pages");
    let (pages, bad) = read_page_index(&dir).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(pages.iter().filter(|p| p.phish).count(), 70);
    assert_eq!(pages.iter().filter(|p| !p.phish).count(), 13);
    let scorer = PageScorer::new(Scorer::new(Registry::builtin())).unwrap();
    let e = evaluate_pages(&scorer, &pages);
    assert!(e.unreadable.is_empty(), "{:?}", e.unreadable);
    assert!(
        e.url_and_content.recall > e.url_only.recall,
        "content should find pages whose URL says nothing: {e:?}"
    );
}
