//! The built-in rules on the synthetic fixtures (tests/fixtures/README.md),
//! the evaluation's output shape, and the external variables user rule sets
//! rely on.

use std::path::{Path, PathBuf};

use borderscope_webshell::eval::evaluate;
use borderscope_webshell::{Limits, RuleSet, Scanner};

fn fixtures(which: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(which)
}

#[test]
fn builtin_rules_on_the_fixtures() {
    let rules = RuleSet::compile(true, &[]).unwrap();
    let r = evaluate(
        &fixtures("bad"),
        &fixtures("good"),
        &rules,
        true,
        &[],
        Limits::default(),
    )
    .unwrap();
    let files_bad = std::fs::read_dir(fixtures("bad")).unwrap().count() as u64;
    let files_good = std::fs::read_dir(fixtures("good")).unwrap().count() as u64;
    // every file is counted once, in its type
    let total: u64 = r
        .per_type
        .values()
        .map(|c| c.tp + c.fn_ + c.fp + c.tn)
        .sum();
    assert_eq!(total, files_bad + files_good);
    let o = &r.overall;
    eprintln!(
        "fixtures: {o:?} missed {:?} fp {:?}",
        r.missed, r.false_positives
    );
    assert!(
        o.recall().unwrap() >= 0.95,
        "recall {:?}, missed {:?}",
        o.recall(),
        r.missed
    );
    assert_eq!(o.fp, 0, "false positives: {:?}", r.false_positives);
    // .js and .css are not web script types: outside `overall`
    assert_eq!(o.tp + o.fn_ + o.fp + o.tn, total - 2);
    assert!(r.per_type.contains_key("js") && r.per_type.contains_key("jsp"));
    let json = r.to_json();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["overall", "per_type", "throughput"]);
    for k in ["recall", "false_positive_rate", "tp", "fn", "fp", "tn"] {
        assert!(json["overall"].get(k).is_some(), "overall lacks {k}");
    }
    assert!(
        json["throughput"]["borderscope"]["files_per_s"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // with yara installed both engines must agree on the same rules
    if let Some(y) = &r.throughput.yara_cli {
        assert_eq!(&y.overall, o, "yara CLI disagrees with yara-x");
    } else {
        eprintln!("yara comparison: {:?}", r.throughput.yara_note);
    }
}

#[test]
fn external_variables_are_set_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("ext.yar");
    std::fs::write(
        &rule,
        r#"
rule php_by_extension { condition: extension == ".php" }
rule named_index { condition: filename == "index.php" }
rule gif_content { condition: filetype == "GIF" }
rule under_uploads { condition: filepath matches /\/uploads\// }
"#,
    )
    .unwrap();
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("uploads")).unwrap();
    std::fs::write(root.join("index.php"), "<?php echo 1;").unwrap();
    std::fs::write(root.join("uploads/a.GIF"), b"GIF89a....").unwrap();
    std::fs::write(root.join("readme.txt"), "hello").unwrap();
    let set = RuleSet::compile(false, &[rule]).unwrap();
    let mut s = Scanner::new(&set, Limits::default());
    let files = s.scan_tree(&root).unwrap().files;
    let rules_of = |p: &str| {
        let f = files.iter().find(|f| f.path == p).unwrap();
        let mut r: Vec<String> = f
            .rules
            .iter()
            .map(|r| r.split(':').nth(1).unwrap().to_string())
            .collect();
        r.sort();
        r
    };
    assert_eq!(rules_of("index.php"), ["named_index", "php_by_extension"]);
    assert_eq!(rules_of("uploads/a.GIF"), ["gif_content", "under_uploads"]);
    assert!(rules_of("readme.txt").is_empty());
}
