//! Hostile web roots: every case is reported, bounded, and its neighbours are
//! still scanned.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use borderscope_webshell::{Limits, Outcome, RuleSet, Scanner, WebFile};

const SHELL: &str = "<?php @eval($_POST['k']); ?>\n";

fn rules() -> RuleSet {
    RuleSet::compile(true, &[]).expect("built-in rules compile")
}

fn scan(root: &Path, limits: Limits) -> Vec<WebFile> {
    let set = rules();
    let mut s = Scanner::new(&set, limits);
    s.scan_tree(root).expect("scan").files
}

fn find<'a>(files: &'a [WebFile], path: &str) -> &'a WebFile {
    files.iter().find(|f| f.path == path).unwrap_or_else(|| {
        panic!(
            "{path} not in {:?}",
            files.iter().map(|f| &f.path).collect::<Vec<_>>()
        )
    })
}

#[test]
fn symlink_loops_are_reported_and_neighbours_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    std::os::unix::fs::symlink("../..", root.join("a/b/up")).unwrap();
    std::os::unix::fs::symlink("self", root.join("self")).unwrap();
    std::fs::write(root.join("a/b/shell.php"), SHELL).unwrap();
    let files = scan(root, Limits::default());
    let up = find(&files, "a/b/up");
    assert_eq!(up.outcome, Outcome::Skipped);
    assert!(up.note.as_deref().unwrap().contains("loop"), "{up:?}");
    let selfie = find(&files, "self");
    assert!(
        selfie.note.as_deref().unwrap().contains("symlink"),
        "{selfie:?}"
    );
    assert!(!find(&files, "a/b/shell.php").rules.is_empty());
}

#[test]
fn symlinks_out_of_the_root_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.php"), SHELL).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape")).unwrap();
    let files = scan(dir.path(), Limits::default());
    let e = find(&files, "escape");
    assert_eq!(e.outcome, Outcome::Skipped);
    assert!(e.note.as_deref().unwrap().contains("leaves the web root"));
    assert_eq!(files.len(), 1);
}

#[test]
fn deep_trees_stop_at_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = dir.path().to_path_buf();
    for _ in 0..12 {
        p.push("d");
    }
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("deep.php"), SHELL).unwrap();
    std::fs::write(dir.path().join("top.php"), SHELL).unwrap();
    let limits = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let files = scan(dir.path(), limits);
    let deep = files
        .iter()
        .find(|f| f.outcome == Outcome::Skipped)
        .expect("a folder reported as too deep");
    assert!(deep.note.as_deref().unwrap().contains("deeper than 5"));
    assert_eq!(deep.path.matches('d').count(), 6);
    assert!(!find(&files, "top.php").rules.is_empty());
    assert!(files.iter().all(|f| !f.path.ends_with("deep.php")));
}

#[test]
fn huge_files_are_scanned_in_part_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse 3 GB file: only the limit is read.
    let f = std::fs::File::create(dir.path().join("huge.php")).unwrap();
    f.set_len(3 * 1024 * 1024 * 1024).unwrap();
    drop(f);
    let mut big = SHELL.as_bytes().to_vec();
    big.resize(2 * 1024 * 1024, b' ');
    std::fs::write(dir.path().join("padded.php"), &big).unwrap();
    let limits = Limits {
        max_file_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let files = scan(dir.path(), limits);
    let huge = find(&files, "huge.php");
    assert_eq!(huge.outcome, Outcome::Truncated);
    assert_eq!(huge.size, Some(3 * 1024 * 1024 * 1024));
    assert!(huge.sha256.is_none());
    assert!(huge
        .note
        .as_deref()
        .unwrap()
        .contains("only the first 1048576 bytes"));
    // the shell at the start of an oversized file is still found
    let padded = find(&files, "padded.php");
    assert_eq!(padded.outcome, Outcome::Truncated);
    assert!(!padded.rules.is_empty());
}

#[test]
fn archives_are_reported_not_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    // The header of a zip whose members would unpack to gigabytes: we only
    // read its bytes, never its members.
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(dir.path().join("backup.zip"), &zip).unwrap();
    std::fs::write(dir.path().join("site.tar.gz"), b"\x1f\x8b\x08\x00rest").unwrap();
    let files = scan(dir.path(), Limits::default());
    for name in ["backup.zip", "site.tar.gz"] {
        let f = find(&files, name);
        assert!(f.is_reported(), "{f:?}");
        assert!(f.note.as_deref().unwrap().contains("archive"), "{f:?}");
    }
}

#[test]
fn binary_files_named_php_are_reported_and_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.path().join("blob.php"), &noise).unwrap();
    let mut gif = b"GIF89a\x01\x00\x01\x00\x00\xff\x00,".to_vec();
    gif.extend_from_slice(b"<?php system($_GET['c']); ?>");
    std::fs::write(dir.path().join("logo.php"), &gif).unwrap();
    let files = scan(dir.path(), Limits::default());
    let blob = find(&files, "blob.php");
    assert!(blob.binary && blob.rules.is_empty());
    assert!(blob.note.as_deref().unwrap().contains("binary content"));
    let logo = find(&files, "logo.php");
    assert!(!logo.rules.is_empty(), "{logo:?}");
}

#[test]
fn names_in_any_encoding_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let latin1 = OsStr::from_bytes(b"sh\xe9ll.php");
    std::fs::write(dir.path().join(latin1), SHELL).unwrap();
    std::fs::write(dir.path().join("шелл.php"), SHELL).unwrap();
    let files = scan(dir.path(), Limits::default());
    assert!(!find(&files, "sh\\xe9ll.php").rules.is_empty());
    assert!(!find(&files, "шелл.php").rules.is_empty());
}

#[test]
fn unreadable_and_special_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("missing-target.php", dir.path().join("dangling.php")).unwrap();
    let fifo = dir.path().join("pipe.php");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    std::fs::write(dir.path().join("ok.php"), SHELL).unwrap();
    let files = scan(dir.path(), Limits::default());
    let d = find(&files, "dangling.php");
    assert!(d.is_reported() && d.size.is_none(), "{d:?}");
    if made.map(|s| s.success()).unwrap_or(false) {
        // Reading a FIFO would block for ever: it is reported instead.
        let p = find(&files, "pipe.php");
        assert_eq!(p.outcome, Outcome::Skipped);
        assert!(p.note.as_deref().unwrap().contains("not a regular file"));
    }
    assert!(!find(&files, "ok.php").rules.is_empty());
}

#[test]
fn slow_rules_time_out_per_file() {
    let dir = tempfile::tempdir().unwrap();
    // A user rule that loops over every byte pair: quadratic in file size.
    let rule = dir.path().join("slow.yar");
    std::fs::write(
        &rule,
        "rule slow { condition: for any i in (0..filesize) : ( for any j in (0..filesize) : ( uint8(i) == 0x41 and uint8(j) == 0x42 and i > j + filesize ) ) }",
    )
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("big.txt"), vec![b'A'; 200_000]).unwrap();
    let set = RuleSet::compile(false, &[rule]).unwrap();
    let mut s = Scanner::new(
        &set,
        Limits {
            timeout: Duration::from_secs(1),
            ..Limits::default()
        },
    );
    let files = s.scan_tree(&data).unwrap().files;
    let f = find(&files, "big.txt");
    assert_eq!(f.outcome, Outcome::TimedOut, "{f:?}");
    assert!(f.note.as_deref().unwrap().contains("timed out"));
}
